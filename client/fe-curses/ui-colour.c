/* SPDX-License-Identifier: ISC */
/* ui-colour.c: colour pairs for member names and for the UI's roles. */
#include <stdint.h>

#include "ui-colour.h"
#include "ui-curses.h"

/* Readable on dark and light backgrounds; no near-black, near-white or the
 * status line's own background. */
static const short palette256[] = {
	33, 37, 41, 69, 71, 99, 105, 136, 141, 161, 166, 172, 178, 197, 202, 208,
	31, 35, 65, 130, 133, 163, 169, 173,
};
static const short palette8[] = {
	COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN,
};

static const short *palette;
static short palette_n;

static void roles_init(bool rich)
{
	short bg = rich ? 236 : COLOR_BLUE, fg = rich ? 252 : COLOR_WHITE;

	init_pair(UI_ROLE_STATUS, fg, bg);
	init_pair(UI_ROLE_STATUS_OK, rich ? 114 : COLOR_GREEN, bg);
	init_pair(UI_ROLE_STATUS_WAIT, rich ? 221 : COLOR_YELLOW, bg);
	init_pair(UI_ROLE_MORE, COLOR_BLACK, COLOR_YELLOW);
	init_pair(UI_ROLE_OK, COLOR_GREEN, -1);
	init_pair(UI_ROLE_WAIT, COLOR_YELLOW, -1);
	init_pair(UI_ROLE_WARN, COLOR_YELLOW, -1);
	init_pair(UI_ROLE_ERROR, COLOR_RED, -1);
	init_pair(UI_ROLE_INFO, COLOR_CYAN, -1);
}

void ui_colour_init(void)
{
	bool rich;
	short i;

	palette_n = 0;
	if (!has_colors() || start_color() != OK)
		return;
	use_default_colors();
	rich = COLORS >= 256;
	palette = rich ? palette256 : palette8;
	palette_n = rich ? (short)(sizeof(palette256) / sizeof(palette256[0]))
	    : (short)(sizeof(palette8) / sizeof(palette8[0]));
	if (COLOR_PAIRS < UI_ROLE_COUNT + palette_n) {
		palette_n = 0;
		return;
	}
	roles_init(rich);
	for (i = 0; i < palette_n; i++)
		init_pair((short)(UI_ROLE_COUNT + i), palette[i], -1);
}

short ui_colour_role(enum ui_role role)
{
	return palette_n > 0 ? (short)role : 0;
}

short ui_colour_member(const char *fpr)
{
	uint32_t h = 2166136261u;   /* FNV-1a: stable across runs and builds */

	if (palette_n == 0 || fpr == NULL)
		return 0;
	for (; *fpr != '\0'; fpr++)
		h = (h ^ (uint8_t)*fpr) * 16777619u;
	return (short)(UI_ROLE_COUNT + (short)(h % (uint32_t)palette_n));
}

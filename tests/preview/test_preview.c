/* SPDX-License-Identifier: ISC */
/* test_preview.c: a picture preview is block symbols and SGR colour, and the checker refuses every other escape. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "preview.h"
#include "view.h"

#define W 64u
#define H 32u

static uint8_t px[H][W * 4];

/* Written independently of preview.c: every ESC opens "[" digits/';' "m";
 * no other byte below 0x20 but '\n', no DEL, no C1 (0xc2 0x80..0x9f). */
static int
only_sgr(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1b) {
			if (i + 1 >= n || s[i + 1] != '[')
				return 0;
			for (i += 2; i < n && s[i] != 'm'; i++)
				if ((s[i] < '0' || s[i] > '9') && s[i] != ';')
					return 0;
			if (i >= n)
				return 0;
		} else if ((c < 0x20 && c != '\n') || c == 0x7f)
			return 0;
		else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 0;
		i++;
	}
	return 1;
}

static size_t
count_char(const char *s, char c)
{
	size_t k = 0;

	for (; *s != '\0'; s++)
		k += *s == c;
	return k;
}

static void
test_gradient(void)
{
	char *out;
	size_t len, x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			px[y][x * 4] = (uint8_t)(x * 4);
			px[y][x * 4 + 1] = (uint8_t)(y * 8);
			px[y][x * 4 + 2] = 128;
			px[y][x * 4 + 3] = 255;
		}
	CHECK_EQ(sotto_preview_render(&px[0][0], W, H, W * 4, 40, 12, &out, &len), 0);
	CHECK(out != NULL && len > 0 && strlen(out) == len);
	if (out == NULL)
		return;
	CHECK(only_sgr(out, len));
	CHECK(strstr(out, "\x1b[") != NULL);           /* it is in colour */
	CHECK(count_char(out, '\n') <= 12);            /* fits the rows asked */
	printf("preview: %zu bytes, %zu rows\n", len, count_char(out, '\n'));
	free(out);
}

/* Pixels are numbers, whatever a sender put in them: random pictures of
 * random sizes render to text and SGR only. */
static void
test_noise(void)
{
	uint64_t s = 0x243f6a8885a308d3ull;
	char *out;
	size_t len, i, k;
	unsigned w, h;

	for (k = 0; k < 50; k++) {
		for (i = 0; i < sizeof(px); i++) {
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
			((uint8_t *)px)[i] = (uint8_t)s;
		}
		w = 1u + (unsigned)(s % W);
		h = 1u + (unsigned)((s >> 8) % H);
		CHECK_EQ(sotto_preview_render(&px[0][0], w, h, W * 4,
		    1u + (unsigned)((s >> 16) % 60), 1u + (unsigned)((s >> 24) % 20),
		    &out, &len), 0);
		CHECK(out != NULL && only_sgr(out, len));
		free(out);
	}
}

static void
test_args(void)
{
	char *out = (char *)1;
	size_t len = 1;

	CHECK_EQ(sotto_preview_render(&px[0][0], 0, H, W * 4, 40, 12, &out, &len), SOTTO_E_INVAL);
	CHECK(out == NULL && len == 0);
	CHECK_EQ(sotto_preview_render(&px[0][0], W, H, W * 4 - 1, 40, 12, &out, &len), SOTTO_E_INVAL);
	CHECK_EQ(sotto_preview_render(&px[0][0], SOTTO_PREVIEW_PX_MAX + 1, 1,
	    (SOTTO_PREVIEW_PX_MAX + 1) * 4, 40, 12, &out, &len), SOTTO_E_INVAL);
	CHECK_EQ(sotto_preview_render(&px[0][0], W, H, W * 4, 0, 12, &out, &len), SOTTO_E_INVAL);
	CHECK_EQ(sotto_preview_render(&px[0][0], W, H, W * 4, 40,
	    SOTTO_PREVIEW_ROWS_MAX + 1, &out, &len), SOTTO_E_INVAL);
	CHECK_EQ(sotto_preview_render(NULL, W, H, W * 4, 40, 12, &out, &len), SOTTO_E_INVAL);
}

#define CHK(s) sotto_preview_check((s), sizeof(s) - 1)

static void
test_check(void)
{
	CHECK_EQ(CHK("ab\x1b[38;5;12m\xe2\x96\x80\x1b[0m\n\x1b[m"), 0);
	CHECK_EQ(CHK(""), 0);
	CHECK_EQ(CHK("\x1b]0;owned\x07"), SOTTO_E_FORMAT);   /* OSC title */
	CHECK_EQ(CHK("\x1b[2J"), SOTTO_E_FORMAT);            /* erase screen */
	CHECK_EQ(CHK("\x1b[1;1H"), SOTTO_E_FORMAT);          /* cursor move */
	CHECK_EQ(CHK("\x1bPq#0;2;0;0;0\x1b\\"), SOTTO_E_FORMAT);  /* sixel DCS */
	CHECK_EQ(CHK("\x1b_Ga=T\x1b\\"), SOTTO_E_FORMAT);    /* kitty APC */
	CHECK_EQ(CHK("\x1b[31"), SOTTO_E_FORMAT);            /* unterminated */
	CHECK_EQ(CHK("\x1b"), SOTTO_E_FORMAT);
	CHECK_EQ(CHK("a\rb"), SOTTO_E_FORMAT);
	CHECK_EQ(CHK("a\x7f"), SOTTO_E_FORMAT);
	CHECK_EQ(CHK("\xc2\x9b" "2J"), SOTTO_E_FORMAT);      /* C1 CSI */
	CHECK_EQ(CHK("\xff"), SOTTO_E_FORMAT);               /* invalid UTF-8 */
	CHECK_EQ(sotto_preview_check("a\0b", 3), SOTTO_E_FORMAT);
}

/* A solid picture: no REP or cursor movement, which chafa's optimisations
 * would otherwise use for runs of one cell. */
static void
test_solid(void)
{
	char *out;
	size_t len, i;

	for (i = 0; i < sizeof(px); i++)
		((uint8_t *)px)[i] = i % 4 == 3 ? 255 : 200;
	CHECK_EQ(sotto_preview_render(&px[0][0], W, H, W * 4, 40, 12, &out, &len), 0);
	CHECK(out != NULL && only_sgr(out, len));
	free(out);
}

static void
gradient(void)
{
	size_t x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			px[y][x * 4] = (uint8_t)(x * 4);
			px[y][x * 4 + 1] = (uint8_t)(y * 8);
			px[y][x * 4 + 2] = 200;
			px[y][x * 4 + 3] = 255;
		}
}

/* /view: each mode's real output passes its own rule, and carries its
 * kind of picture. */
static void
test_view_modes(void)
{
	static char *env[] = { "TERM=xterm-256color", NULL };
	char *out;
	size_t len;

	gradient();
	CHECK_EQ(sotto_view_render(SOTTO_VIEW_SYMBOLS, &px[0][0], W, H, W * 4, 120,
	    40, 0, 0, env, &out, &len), 0);
	CHECK(out != NULL && only_sgr(out, len) && count_char(out, '\n') >= 10);
	free(out);
	CHECK_EQ(sotto_view_render(SOTTO_VIEW_SIXELS, &px[0][0], W, H, W * 4, 120,
	    40, 10, 20, env, &out, &len), 0);
	CHECK(out != NULL && strncmp(out, "\x1bP", 2) == 0 && strchr(out, 'q') != NULL);
	CHECK(out != NULL && sotto_view_check(SOTTO_VIEW_SYMBOLS, out, len) != 0);
	free(out);
	CHECK_EQ(sotto_view_render(SOTTO_VIEW_KITTY, &px[0][0], W, H, W * 4, 120,
	    40, 10, 20, env, &out, &len), 0);
	CHECK(out != NULL && strstr(out, "\x1b_G") != NULL);
	CHECK(out != NULL && sotto_view_check(SOTTO_VIEW_SIXELS, out, len) != 0);
	free(out);
	CHECK_EQ(sotto_view_render(SOTTO_VIEW_KITTY, NULL, W, H, W * 4, 120, 40, 0,
	    0, env, &out, &len), SOTTO_E_INVAL);
}

#define VCHK(m, s) sotto_view_check((m), (s), sizeof(s) - 1)

static void
test_view_check(void)
{
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bP0;1;0q\"1;1;10;20#0;2;0;0;0#0~~-\x1b\\\n"), 0);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, ""), 0);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bPq~~\x1b[2J\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bPq~~\x07\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bPq~~ \x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bPq~~"), SOTTO_E_FORMAT);   /* no ST */
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1bP1$q\x1b\\"), SOTTO_E_FORMAT); /* DECRQSS */
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "a\x1bPq~\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_SIXELS, "\x1b]0;t\x07"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1b_Ga=T,f=32,s=2,v=1,m=1;AAAA/+==\x1b\\\x1b_Gm=0\x1b\\\n"), 0);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1b_Ga=d\x1b]0;t\x07\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1b_Gm=0\x1b\\\x1b[H"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1b_Xm=0\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1b_Gm=0 \x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_KITTY, "\x1bPq~\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK(SOTTO_VIEW_SYMBOLS, "\x1b[38;2;1;2;3m\xe2\x96\x80\n"), 0);
	CHECK_EQ(VCHK(SOTTO_VIEW_SYMBOLS, "\x1b_Gm=0\x1b\\"), SOTTO_E_FORMAT);
	CHECK_EQ(VCHK((enum sotto_view_mode)7, ""), SOTTO_E_FORMAT);
}

int
main(void)
{
	test_check();
	test_args();
	test_gradient();
	test_noise();
	test_solid();
	test_view_modes();
	test_view_check();
	return check_summary();
}

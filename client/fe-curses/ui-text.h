/* SPDX-License-Identifier: ISC */
/* ui-text.h: untrusted text as display cells (sanitized code points with their column widths). */
#ifndef SOTTO_UI_TEXT_H
#define SOTTO_UI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui-curses.h"

/* One code point on screen. `mark` cells are stand-ins for something the
 * sanitizer neutralised and are drawn dim. Width 0: a combining mark that
 * joins the cell before it. */
struct ui_cell {
	uint32_t cp;
	uint8_t  width;
	uint8_t  mark;
};

struct ui_text {
	struct ui_cell *cell;
	size_t          n, cap;
};

/* Once, after setlocale: whether the terminal takes UTF-8. Without it every
 * code point past ASCII shows as a marked "\u{...}". */
void ui_text_set_utf8(bool utf8);
bool ui_text_utf8(void);

/* ui_text_add flag (above the sanitize.h ones): '\n' is a line break
 * (a break cell), not a "^J" marker. For multi-line messages. */
#define UI_TEXT_LINES 0x100u

static inline bool ui_cell_is_break(const struct ui_cell *c)
{
	return c->cp == '\n' && !c->mark;
}

/* Append s[0..n) made safe (sanitize.h flags); at most max_cells cells are
 * kept, the rest is summarised by a marked "[+N bytes]". 0 or -1 (no memory). */
int ui_text_add(struct ui_text *t, const char *s, size_t n, unsigned flags,
    size_t max_cells);
/* Append trusted ASCII/UTF-8 (labels the UI writes itself); still sanitized. */
int ui_text_puts(struct ui_text *t, const char *s);
void ui_text_clear(struct ui_text *t);
void ui_text_free(struct ui_text *t);

size_t ui_cells_utf8(const struct ui_cell *c, size_t n, char *out, size_t cap);
/* Columns a run of cells takes. */
int ui_cells_width(const struct ui_cell *c, size_t n);
/* Draw cells at the cursor of w, at most maxw columns (a wide cell that does
 * not fit whole is left out). Marked cells get A_DIM on top of attr.
 * Returns the columns used. */
int ui_cells_draw(WINDOW *w, const struct ui_cell *c, size_t n, int maxw,
    attr_t attr, short pair);
/* Same for a trusted UTF-8 label. */
int ui_label_draw(WINDOW *w, const char *s, int maxw, attr_t attr, short pair);

#endif

/* SPDX-License-Identifier: ISC */
/* ui-picture.h: a picture preview in the scrollback: the previewer's checked text and SGR as rows of coloured cells, drawn with curses colour pairs. */
#ifndef SOTTO_UI_PICTURE_H
#define SOTTO_UI_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ui-curses.h"

/* The inline preview's size in cells at most (docs/ui.md "Files"). */
#define UI_PIC_COLS 40
#define UI_PIC_ROWS 12

struct ui_pcell {
	uint32_t cp;          /* a code point one column wide */
	int16_t  fg, bg;      /* 0..255, or -1 for the terminal's default */
};

struct ui_pic {
	int              cols, rows;
	struct ui_pcell *cell;       /* rows * cols, row by row */
};

/* The preview s[0..n) (sotto_preview_render's output) as cells, at most
 * max_cols x max_rows. It must pass sotto_preview_check (checked here
 * again: nothing else is ever parsed); SGR sets colours (38;5 / 48;5,
 * 30-37, 90-97, 40-47, 100-107, 39, 49, 7, 27, 0), other parameters are
 * ignored. 0 with *out malloc'd, SOTTO_E_FORMAT or SOTTO_E_ALLOC. */
int ui_pic_parse(const char *s, size_t n, int max_cols, int max_rows,
    struct ui_pic **out);
void ui_pic_free(struct ui_pic *p);

/* After ui_colour_init: whether pictures get colours (a terminal with
 * 256 colours and enough pairs) or plain symbols. */
void ui_pic_colours_init(void);
/* Before each full redraw: colour pairs are handed out again when half
 * of them are taken, so one screen's worth always fits. */
void ui_pic_frame(void);
/* Draw row `row` of p at the cursor of w, at most maxw columns. */
void ui_pic_draw_row(WINDOW *w, const struct ui_pic *p, int row, int maxw);

#endif

/* SPDX-License-Identifier: ISC */
/* ui-picture.c: parse a checked preview into coloured cells, and draw them with colour pairs made on demand for each (fg, bg) the picture uses. */
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "buf.h"
#include "err.h"
#include "preview.h"
#include "ui-picture.h"
#include "utf8.h"

/* Pairs below this are the roles' and the members' (ui-colour.c). */
#define PIC_PAIR_BASE   64
#define PIC_PAIR_LIMIT  32767      /* init_pair takes a short */
#define PIC_SGR_PARAMS  16

struct sgr_state {
	int16_t fg, bg;
	int     reverse;
};

/* --- parsing --------------------------------------------------------------- */

static void
sgr_apply(struct sgr_state *st, const int *p, size_t n)
{
	size_t i;

	if (n == 0) {
		st->fg = st->bg = -1;
		st->reverse = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		int v = p[i];

		if ((v == 38 || v == 48) && i + 2 < n && p[i + 1] == 5) {
			int16_t c = (int16_t)(p[i + 2] >= 0 && p[i + 2] <= 255 ? p[i + 2] : -1);

			if (v == 38)
				st->fg = c;
			else
				st->bg = c;
			i += 2;
		} else if ((v == 38 || v == 48) && i + 1 < n && p[i + 1] == 2) {
			i += 4;     /* direct colour: not asked for; skipped whole */
		} else if (v == 0) {
			st->fg = st->bg = -1;
			st->reverse = 0;
		} else if (v == 7 || v == 27) {
			st->reverse = v == 7;
		} else if (v >= 30 && v <= 37) {
			st->fg = (int16_t)(v - 30);
		} else if (v >= 90 && v <= 97) {
			st->fg = (int16_t)(v - 90 + 8);
		} else if (v >= 40 && v <= 47) {
			st->bg = (int16_t)(v - 40);
		} else if (v >= 100 && v <= 107) {
			st->bg = (int16_t)(v - 100 + 8);
		} else if (v == 39) {
			st->fg = -1;
		} else if (v == 49) {
			st->bg = -1;
		}
	}
}

/* One SGR sequence after its ESC (the check has shown its shape). */
static void
sgr_read(struct sotto_rd *rd, struct sgr_state *st)
{
	int p[PIC_SGR_PARAMS] = { 0 };
	size_t n = 0;
	int have = 0;
	uint8_t c;

	(void)sotto_rd_u8(rd, &c);       /* '[' */
	while (sotto_rd_u8(rd, &c) == 0 && c != 'm') {
		if (c == ';') {
			if (n < PIC_SGR_PARAMS)
				n++;
			have = 1;
			continue;
		}
		have = 1;
		if (n < PIC_SGR_PARAMS && p[n] < 100000)
			p[n] = p[n] * 10 + (c - '0');
	}
	if (have && n < PIC_SGR_PARAMS)
		n++;
	sgr_apply(st, p, n);
}

static void
cell_put(struct ui_pic *p, int max_cols, int row, int col, uint32_t cp,
    const struct sgr_state *st)
{
	struct ui_pcell *c = &p->cell[(size_t)row * (size_t)max_cols + (size_t)col];

	/* One column each, or the rows would not line up. */
	c->cp = wcwidth((wchar_t)cp) == 1 ? cp : ' ';
	c->fg = st->reverse ? st->bg : st->fg;
	c->bg = st->reverse ? st->fg : st->bg;
	if (col + 1 > p->cols)
		p->cols = col + 1;
	if (row + 1 > p->rows)
		p->rows = row + 1;
}

int
ui_pic_parse(const char *s, size_t n, int max_cols, int max_rows,
    struct ui_pic **out)
{
	struct sgr_state st = { -1, -1, 0 };
	struct sotto_rd rd;
	struct ui_pic *p;
	uint32_t cp;
	int row = 0, col = 0, r;

	*out = NULL;
	if (max_cols < 1 || max_rows < 1 || max_cols > 1000 || max_rows > 1000)
		return SOTTO_E_INVAL;
	if ((r = sotto_preview_check(s, n)) != 0)
		return r;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->cell = calloc((size_t)max_cols * (size_t)max_rows,
	    sizeof(*p->cell))) == NULL) {
		free(p);
		return SOTTO_E_ALLOC;
	}
	sotto_rd_init(&rd, s, n);
	while (sotto_utf8_next(&rd, &cp) == 0) {
		if (cp == 0x1b)
			sgr_read(&rd, &st);
		else if (cp == '\n') {
			row++;
			col = 0;
		} else if (row < max_rows && col < max_cols)
			cell_put(p, max_cols, row, col++, cp, &st);
	}
	/* Rows were laid out max_cols apart: pack them to p->cols. */
	for (row = 1; row < p->rows && p->cols < max_cols; row++)
		memmove(&p->cell[(size_t)row * (size_t)p->cols],
		    &p->cell[(size_t)row * (size_t)max_cols],
		    (size_t)p->cols * sizeof(*p->cell));
	*out = p;
	return 0;
}

void
ui_pic_free(struct ui_pic *p)
{
	if (p == NULL)
		return;
	free(p->cell);
	free(p);
}

/* --- colour pairs ----------------------------------------------------------- */

static short pair_of[257][257];   /* [fg + 1][bg + 1]; 0: none yet */
static int   pair_next, pair_max;  /* pair_max 0: plain symbols */

void
ui_pic_colours_init(void)
{
	memset(pair_of, 0, sizeof(pair_of));
	pair_next = PIC_PAIR_BASE;
	pair_max = 0;
	if (has_colors() && COLORS >= 256 && COLOR_PAIRS > PIC_PAIR_BASE + 256)
		pair_max = COLOR_PAIRS - 1 < PIC_PAIR_LIMIT ? COLOR_PAIRS - 1 :
		    PIC_PAIR_LIMIT;
}

void
ui_pic_frame(void)
{
	if (pair_max > 0 && pair_next - PIC_PAIR_BASE > (pair_max - PIC_PAIR_BASE) / 2) {
		memset(pair_of, 0, sizeof(pair_of));
		pair_next = PIC_PAIR_BASE;
	}
}

/* The pair for fg on bg; 0 (default colours) when pictures are plain or
 * every pair is taken in this frame. */
static short
pic_pair(int16_t fg, int16_t bg)
{
	short *slot;

	if (pair_max == 0 || (fg < 0 && bg < 0))
		return 0;
	slot = &pair_of[fg + 1][bg + 1];
	if (*slot == 0 && pair_next <= pair_max &&
	    init_pair((short)pair_next, fg, bg) == OK)
		*slot = (short)pair_next++;
	return *slot;
}

void
ui_pic_draw_row(WINDOW *w, const struct ui_pic *p, int row, int maxw)
{
	const struct ui_pcell *c;
	wchar_t wc[2] = { 0, L'\0' };
	cchar_t cc;
	int x;

	if (row < 0 || row >= p->rows)
		return;
	for (x = 0; x < p->cols && x < maxw; x++) {
		c = &p->cell[(size_t)row * (size_t)p->cols + (size_t)x];
		/* A cell a short row never set: blank, default colours. */
		wc[0] = c->cp != 0 ? (wchar_t)c->cp : L' ';
		if (setcchar(&cc, wc, A_NORMAL, c->cp != 0 ?
		    pic_pair(c->fg, c->bg) : 0, NULL) == OK)
			wadd_wch(w, &cc);
	}
}

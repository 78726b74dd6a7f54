/* SPDX-License-Identifier: ISC */
/* ui-text.c: untrusted text to display cells, and cells to the screen. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "buf.h"
#include "sanitize.h"
#include "ui-text.h"
#include "utf8.h"

static bool term_utf8;

void ui_text_set_utf8(bool utf8)
{
	term_utf8 = utf8;
}

bool ui_text_utf8(void)
{
	return term_utf8;
}

static int text_push(struct ui_text *t, uint32_t cp, int width, bool mark)
{
	struct ui_cell *grown;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 32;
		if ((grown = realloc(t->cell, cap * sizeof(*grown))) == NULL)
			return -1;
		t->cell = grown;
		t->cap = cap;
	}
	t->cell[t->n].cp = cp;
	t->cell[t->n].width = (uint8_t)width;
	t->cell[t->n].mark = mark;
	t->n++;
	return 0;
}

/* Marked ASCII: the sanitizer's stand-ins and the UI's own notes. */
static int text_push_marked(struct ui_text *t, const char *s)
{
	for (; *s != '\0'; s++)
		if (text_push(t, (uint8_t)*s, 1, true) != 0)
			return -1;
	return 0;
}

/* A code point the sanitizer let through may still be one the terminal
 * cannot show: unassigned (wcwidth -1) or, on a non-UTF-8 terminal,
 * anything past ASCII. Those show as "\u{...}" too. */
static int text_push_cp(struct ui_text *t, uint32_t cp)
{
	char esc[16];
	int w = (cp >= 0x80 && !term_utf8) ? -1 : wcwidth((wchar_t)cp);

	if (w >= 0)
		return text_push(t, cp, w > 2 ? 2 : w, false);
	snprintf(esc, sizeof(esc), "\\u{%x}", (unsigned)cp);
	return text_push_marked(t, esc);
}

static int text_push_piece(struct ui_text *t, const struct san_piece *pc)
{
	struct sotto_rd rd;
	uint32_t cp;

	if (pc->marked)
		return text_push_marked(t, pc->text);
	/* The sanitizer's output is valid UTF-8: each decode succeeds. */
	sotto_rd_init(&rd, pc->text, pc->len);
	while (sotto_utf8_next(&rd, &cp) == 0)
		if (text_push_cp(t, cp) != 0)
			return -1;
	return 0;
}

int ui_text_add(struct ui_text *t, const char *s, size_t n, unsigned flags,
    size_t max_cells)
{
	struct sotto_rd rd;
	struct san_piece pc;
	size_t start = t->n;
	char note[48];

	sotto_rd_init(&rd, s, n);
	while (sotto_rd_left(&rd) > 0 && t->n - start < max_cells) {
		/* A multi-line message keeps its line ends: a break cell. */
		if ((flags & UI_TEXT_LINES) && rd.p[0] == '\n') {
			if (text_push(t, '\n', 0, false) != 0)
				return -1;
			(void)sotto_rd_skip(&rd, 1);
			continue;
		}
		if (sotto_rd_skip(&rd, sanitize_next(rd.p, rd.len, &pc, flags)) != 0)
			break;
		if (text_push_piece(t, &pc) != 0)
			return -1;
	}
	if (sotto_rd_left(&rd) > 0) {
		snprintf(note, sizeof(note), " [+%zu bytes]", sotto_rd_left(&rd));
		return text_push_marked(t, note);
	}
	return 0;
}

int ui_text_puts(struct ui_text *t, const char *s)
{
	return ui_text_add(t, s, strlen(s), 0, SIZE_MAX);
}

void ui_text_clear(struct ui_text *t)
{
	t->n = 0;
}

void ui_text_free(struct ui_text *t)
{
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

int ui_cells_width(const struct ui_cell *c, size_t n)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		w += c[i].width;
	return w;
}

static void cell_draw(WINDOW *w, const struct ui_cell *c, attr_t attr, short pair)
{
	wchar_t wc[2] = { (wchar_t)c->cp, L'\0' };
	cchar_t cc;

	if (setcchar(&cc, wc, c->mark ? attr | A_DIM : attr, pair, NULL) == OK)
		wadd_wch(w, &cc);
}

int ui_cells_draw(WINDOW *w, const struct ui_cell *c, size_t n, int maxw,
    attr_t attr, short pair)
{
	int used = 0;

	for (size_t i = 0; i < n; i++) {
		if (used + c[i].width > maxw)
			break;
		if (ui_cell_is_break(&c[i]))
			continue;
		cell_draw(w, &c[i], attr, pair);
		used += c[i].width;
	}
	return used;
}

int ui_label_draw(WINDOW *w, const char *s, int maxw, attr_t attr, short pair)
{
	struct ui_text t = { 0 };
	int used = 0;

	if (ui_text_puts(&t, s) == 0)
		used = ui_cells_draw(w, t.cell, t.n, maxw, attr, pair);
	ui_text_free(&t);
	return used;
}

/* UTF-8 of the cells (already neutralised) into out, NUL-terminated, cut
 * at a cell boundary; line breaks come back as '\n'. */
size_t ui_cells_utf8(const struct ui_cell *c, size_t n, char *out, size_t cap)
{
	size_t used = 0;
	char b[8];
	int k;

	for (size_t i = 0; i < n && cap > 0; i++) {
		if ((k = wctomb(b, (wchar_t)c[i].cp)) <= 0)
			continue;
		if (used + (size_t)k >= cap)
			break;
		memcpy(out + used, b, (size_t)k);
		used += (size_t)k;
	}
	if (cap > 0)
		out[used] = '\0';
	return used;
}

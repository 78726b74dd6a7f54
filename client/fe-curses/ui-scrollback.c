/* SPDX-License-Identifier: ISC */
/* ui-scrollback.c: a bounded ring of lines, wrapped to the pane and drawn bottom-up from the model. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui-colour.h"
#include "ui-picture.h"
#include "ui-scrollback.h"

#define SB_NAME_MIN   3     /* room for "-->" */
#define SB_NAME_MAX   16    /* longer names are cut with an ellipsis */
#define SB_TIME_MAX   32    /* bytes of a formatted time */
#define SB_SEP_W      3     /* " │ " */
#define SB_TEXT_MIN   8     /* the name column shrinks before the text does */

int sb_init(struct scrollback *sb, size_t cap)
{
	memset(sb, 0, sizeof(*sb));
	if ((sb->line = calloc(cap, sizeof(*sb->line))) == NULL)
		return -1;
	sb->cap = cap;
	sb->name_w = SB_NAME_MIN;
	sb_set_time_format(sb, "%H:%M");
	return 0;
}

static struct sb_line *line_at(const struct scrollback *sb, size_t k)
{
	return &sb->line[(sb->first + k) % sb->cap];
}

static void line_free(struct sb_line *l)
{
	ui_text_free(&l->name);
	ui_text_free(&l->text);
	ui_pic_free(l->pic);
	l->pic = NULL;
}

void sb_free(struct scrollback *sb)
{
	for (size_t k = 0; k < sb->n; k++)
		line_free(line_at(sb, k));
	free(sb->line);
	memset(sb, 0, sizeof(*sb));
}

/* strftime with the user's own --timestamp-format: not a literal, and
 * meant to be (the command line checked it gives 1..32 bytes). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t time_fmt(char *buf, size_t n, const char *fmt, const struct tm *tm)
{
	return strftime(buf, n, fmt, tm);
}
#pragma GCC diagnostic pop

/* The time column: fmt (checked by the command line) and its width, from a
 * sample time (at most SB_TIME_MAX bytes). */
void sb_set_time_format(struct scrollback *sb, const char *fmt)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 28, .tm_hour = 23,
	    .tm_min = 59, .tm_sec = 59 };
	char buf[SB_TIME_MAX + 1];
	struct ui_text t = { 0 };
	size_t n = time_fmt(buf, sizeof(buf), fmt, &tm);

	sb->ts_fmt = fmt;
	sb->time_w = 6;
	if (n > 0 && ui_text_add(&t, buf, n, 0, SB_TIME_MAX) == 0)
		sb->time_w = ui_cells_width(t.cell, t.n) + 1;
	ui_text_free(&t);
}

/* Has the local day changed since the last line? Decided on our own clock,
 * never a sender's timestamp (a skewed clock must not spray day lines). */
bool sb_day_changed(struct scrollback *sb, time_t now)
{
	struct tm tm;
	long day;

	if (localtime_r(&now, &tm) == NULL)
		return false;
	day = (long)(tm.tm_year + 1900) * 400 + tm.tm_yday;
	if (sb->day == 0 || sb->day == day) {
		sb->day = day;
		return false;
	}
	sb->day = day;
	return true;
}

/* Forget every line (/clear); the view goes back to live. */
void sb_clear(struct scrollback *sb)
{
	for (size_t k = 0; k < sb->n; k++)
		line_free(line_at(sb, k));
	sb->first = sb->n = 0;
	sb_live(sb);
}

void sb_resize(struct scrollback *sb, int width, int height)
{
	sb->width = width > 1 ? width : 1;
	sb->height = height > 0 ? height : 0;
}

static struct sb_line *sb_slot(struct scrollback *sb, enum sb_kind kind,
    time_t when);

struct sb_line *sb_add(struct scrollback *sb, enum sb_kind kind, time_t when)
{
	time_t now = time(NULL);
	struct sb_line *l;
	struct tm tm;
	char day[64];

	if (sb_day_changed(sb, now) && localtime_r(&now, &tm) != NULL &&
	    strftime(day, sizeof(day), "day changed to %A %d %B %Y", &tm) > 0) {
		l = sb_slot(sb, SB_INFO, now);
		ui_text_puts(&l->text, day);
		sb_commit(sb, l);
	}
	return sb_slot(sb, kind, when);
}

static struct sb_line *sb_slot(struct scrollback *sb, enum sb_kind kind,
    time_t when)
{
	struct sb_line *l;

	if (sb->n == sb->cap) {
		line_free(line_at(sb, 0));
		sb->first = (sb->first + 1) % sb->cap;
		sb->n--;
	}
	l = line_at(sb, sb->n++);
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->when = when;
	return l;
}

/* Rows of the newest lines, counting up to limit. */
static int rows_up_to(const struct scrollback *sb, int text_w, int limit)
{
	int rows = 0;

	for (size_t k = sb->n; k-- > 0 && rows < limit;)
		rows += sb_line_rows(line_at(sb, k), text_w);
	return rows;
}

/* The view never lifts past the oldest line. */
static void scroll_clamp(struct scrollback *sb, const struct sb_geom *g)
{
	int max = rows_up_to(sb, g->text_w, INT_MAX) - sb->height;

	if (sb->scroll > max)
		sb->scroll = max > 0 ? max : 0;
}

void sb_commit(struct scrollback *sb, const struct sb_line *l)
{
	struct sb_geom g;
	int w = ui_cells_width(l->name.cell, l->name.n);

	if (w > sb->name_w)
		sb->name_w = w < SB_NAME_MAX ? w : SB_NAME_MAX;
	if (sb->scroll > 0) {
		/* Keep the view where the reader left it (unless the oldest
		 * line it showed just fell out of the ring). */
		sb_geom(sb, &g);
		sb->scroll += sb_line_rows(l, g.text_w);
		sb->more = true;
		if (sb->n == sb->cap)
			scroll_clamp(sb, &g);
	}
}

void sb_clear_pending(struct scrollback *sb)
{
	for (size_t k = 0; k < sb->n; k++)
		line_at(sb, k)->pending = false;
}

size_t sb_pending(const struct scrollback *sb)
{
	size_t count = 0;

	for (size_t k = 0; k < sb->n; k++)
		count += line_at(sb, k)->pending;
	return count;
}

void sb_geom(const struct scrollback *sb, struct sb_geom *g)
{
	int fixed;

	g->show_time = sb->width >= 40;
	fixed = (g->show_time ? sb->time_w : 0) + SB_SEP_W;
	g->name_w = sb->name_w;
	if (fixed + g->name_w + SB_TEXT_MIN > sb->width)
		g->name_w = sb->width - fixed - SB_TEXT_MIN;
	if (g->name_w < 1)
		g->name_w = 1;
	g->text_x = fixed + g->name_w;
	g->text_w = sb->width - g->text_x;
	if (g->text_w < 1)
		g->text_w = 1;
}

size_t sb_row_end(const struct ui_cell *c, size_t n, size_t from, int width)
{
	size_t i = from, brk = 0;
	int used = 0;

	while (i < n && used + c[i].width <= width) {
		if (ui_cell_is_break(&c[i]))
			return i + 1;
		used += c[i].width;
		if (c[i].cp == ' ' && !c[i].mark)
			brk = i + 1;
		i++;
	}
	if (i == n)
		return n;
	if (i == from)
		return from + 1;    /* wider than the row: show it cut, move on */
	return brk > from ? brk : i;
}

int sb_line_rows(const struct sb_line *l, int text_w)
{
	size_t from = 0;
	int rows = 0;

	if (l->pic != NULL)
		return l->pic->rows > 0 ? l->pic->rows : 1;
	if (l->text.n == 0)
		return 1;
	while (from < l->text.n) {
		from = sb_row_end(l->text.cell, l->text.n, from, text_w);
		rows++;
	}
	return rows;
}

void sb_page(struct scrollback *sb, int dir)
{
	struct sb_geom g;
	int page = sb->height > 2 ? sb->height - 1 : 1;

	sb_geom(sb, &g);
	sb->scroll += dir > 0 ? page : -page;
	scroll_clamp(sb, &g);
	if (sb->scroll <= 0)
		sb_live(sb);
}

void sb_live(struct scrollback *sb)
{
	sb->scroll = 0;
	sb->more = false;
}

/* --- drawing ------------------------------------------------------------ */

struct sb_style {
	const char *tag;      /* name column of lines without a sender */
	short       tag_pair;
	attr_t      text_attr;
	short       text_pair;
};

static struct sb_style line_style(const struct sb_line *l)
{
	struct sb_style s = { NULL, 0, A_NORMAL, 0 };

	switch (l->kind) {
	case SB_MSG:
		break;
	case SB_OWN:
		s.text_attr = l->pending ? A_DIM : A_NORMAL;
		break;
	case SB_JOIN:
		s = (struct sb_style){ "-->", ui_colour_role(UI_ROLE_OK), A_DIM, 0 };
		break;
	case SB_LEFT:
		s = (struct sb_style){ "<--", ui_colour_role(UI_ROLE_INFO), A_DIM, 0 };
		break;
	case SB_ACTION:
		s = (struct sb_style){ "*", l->pair, A_NORMAL, 0 };
		break;
	case SB_INFO:
		s = (struct sb_style){ "--", ui_colour_role(UI_ROLE_INFO), A_DIM, 0 };
		break;
	case SB_WARN:
		s = (struct sb_style){ "!", ui_colour_role(UI_ROLE_WARN), A_DIM, 0 };
		break;
	case SB_ERROR:
		s = (struct sb_style){ "!!", ui_colour_role(UI_ROLE_ERROR), A_BOLD,
		    ui_colour_role(UI_ROLE_ERROR) };
		break;
	case SB_PICTURE:
		s = (struct sb_style){ "", 0, A_NORMAL, 0 };
		break;
	}
	if (l->history)
		s.text_attr = A_DIM;
	return s;
}

/* The sender, right-aligned in the name column; cut with an ellipsis. */
static void name_draw(WINDOW *w, const struct sb_line *l, int name_w)
{
	int width = ui_cells_width(l->name.cell, l->name.n);
	/* A line that mentions us: the sender in reverse video, as irssi. */
	attr_t attr = A_BOLD | (l->mention ? A_REVERSE : 0);
	int used;

	if (width <= name_w) {
		wmove(w, getcury(w), getcurx(w) + name_w - width);
		ui_cells_draw(w, l->name.cell, l->name.n, name_w, attr, l->pair);
		return;
	}
	used = ui_cells_draw(w, l->name.cell, l->name.n, name_w - 1, attr, l->pair);
	wmove(w, getcury(w), getcurx(w) + name_w - 1 - used);
	ui_label_draw(w, ui_text_utf8() ? "\u2026" : "+", 1, A_DIM, 0);
}

static void tag_draw(WINDOW *w, const struct sb_style *s, int name_w,
    bool mention)
{
	int width = (int)strlen(s->tag);

	if (width < name_w)
		wmove(w, getcury(w), getcurx(w) + name_w - width);
	ui_label_draw(w, s->tag, name_w, A_BOLD | (mention ? A_REVERSE : 0),
	    s->tag_pair);
}

static void sep_draw(WINDOW *w, const struct sb_line *l, int row)
{
	bool u = ui_text_utf8();

	if (l->history)         /* a stored line: a dotted bar, dimmed */
		ui_label_draw(w, u ? " \u2506 " : " : ", SB_SEP_W, A_DIM, 0);
	else if (l->kind == SB_OWN && row == 0)
		ui_label_draw(w, l->pending ? (u ? " \u22ef " : " ~ ") : (u ? " \u00bb " : " > "),
		    SB_SEP_W, A_BOLD, l->pair);
	else
		ui_label_draw(w, u ? " \u2502 " : " | ", SB_SEP_W, A_DIM, 0);
}

static void head_draw(WINDOW *w, const struct scrollback *sb,
    const struct sb_geom *g, const struct sb_line *l, const struct sb_style *s)
{
	char when[SB_TIME_MAX + 2];
	struct tm tm;

	if (g->show_time) {
		/* A member's clock is untrusted: a time localtime cannot take shows as such. */
		if (localtime_r(&l->when, &tm) == NULL ||
		    time_fmt(when, sizeof(when) - 1, sb->ts_fmt, &tm) == 0)
			strcpy(when, "--:--");
		strcat(when, " ");
		ui_label_draw(w, when, sb->time_w, A_DIM, 0);
	}
	if (s->tag != NULL)
		tag_draw(w, s, g->name_w, l->mention);
	else
		name_draw(w, l, g->name_w);
}

static void row_draw(WINDOW *w, const struct scrollback *sb, int y,
    const struct sb_geom *g, const struct sb_line *l, int row, size_t from,
    size_t to)
{
	struct sb_style s = line_style(l);

	wmove(w, y, 0);
	if (row == 0)
		head_draw(w, sb, g, l, &s);
	wmove(w, y, g->text_x - SB_SEP_W);
	sep_draw(w, l, row);
	wmove(w, y, g->text_x);
	ui_cells_draw(w, l->text.cell + from, to - from, g->text_w, s.text_attr,
	    s.text_pair);
}

/* A preview: the time on its first row, then its rows of cells in the
 * text column (cut at the pane's edge). */
static void pic_draw(WINDOW *w, const struct scrollback *sb,
    const struct sb_geom *g, const struct sb_line *l, int top)
{
	struct sb_style s = line_style(l);

	for (int row = 0; row < l->pic->rows; row++) {
		if (top + row < 0 || top + row >= sb->height)
			continue;
		wmove(w, top + row, 0);
		if (row == 0)
			head_draw(w, sb, g, l, &s);
		wmove(w, top + row, g->text_x - SB_SEP_W);
		sep_draw(w, l, row);
		wmove(w, top + row, g->text_x);
		ui_pic_draw_row(w, l->pic, row, g->text_w);
	}
}

/* Draw the rows of l that fall inside the pane; l's first row is at `top`. */
static void line_draw(WINDOW *w, const struct scrollback *sb,
    const struct sb_geom *g, const struct sb_line *l, int top)
{
	size_t from = 0, to;
	int row = 0;

	if (l->pic != NULL) {
		pic_draw(w, sb, g, l, top);
		return;
	}
	do {
		to = sb_row_end(l->text.cell, l->text.n, from, g->text_w);
		if (top + row >= 0 && top + row < sb->height)
			row_draw(w, sb, top + row, g, l, row, from, to);
		from = to;
		row++;
	} while (from < l->text.n && top + row < sb->height);
}

void sb_draw(const struct scrollback *sb, WINDOW *w)
{
	struct sb_geom g;
	int bottom, rows;

	werase(w);
	sb_geom(sb, &g);
	/* Until the pane is full, lines start at the top, as in irssi. */
	bottom = rows_up_to(sb, g.text_w, sb->height);
	if (bottom >= sb->height)
		bottom = sb->height + sb->scroll;
	for (size_t k = sb->n; k-- > 0 && bottom > 0;) {
		const struct sb_line *l = line_at(sb, k);

		rows = sb_line_rows(l, g.text_w);
		if (bottom - rows < sb->height)
			line_draw(w, sb, &g, l, bottom - rows);
		bottom -= rows;
	}
}

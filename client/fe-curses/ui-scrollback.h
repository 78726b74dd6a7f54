/* SPDX-License-Identifier: ISC */
/* ui-scrollback.h: the scrollback model (a ring of lines), its wrapping, scrolling and drawing. */
#ifndef SOTTO_UI_SCROLLBACK_H
#define SOTTO_UI_SCROLLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ui-text.h"

enum sb_kind {
	SB_MSG,     /* a member's message */
	SB_OWN,     /* one of ours */
	SB_JOIN,    /* "-->" someone joined */
	SB_LEFT,    /* "<--" someone left */
	SB_ACTION,  /* "*" a /me line: the text starts with the name */
	SB_INFO,    /* "--" the UI or the core tells something */
	SB_WARN,    /* "!" a dropped frame, a disconnect */
	SB_ERROR,   /* "!!" */
	SB_PICTURE, /* a picture preview (pic): rows of coloured cells */
};

struct ui_pic;

struct sb_line {
	time_t         when;
	enum sb_kind   kind;
	bool           pending;   /* SB_OWN typed before the client was ready */
	bool           history;   /* restored from the local history: dimmed, marked */
	bool           mention;   /* names us: the sender is drawn reversed */
	short          pair;      /* colour of the name */
	struct ui_text name;      /* SB_MSG, SB_OWN: sanitized sender name */
	struct ui_text text;
	struct ui_pic *pic;       /* SB_PICTURE: owned, freed with the line */
};

/* Geometry of one wrapped line: where the text column starts, how wide it is. */
struct sb_geom {
	bool show_time;
	int  name_w;    /* name column */
	int  text_x;    /* first column of text */
	int  text_w;    /* columns of text per row, >= 1 */
};

struct scrollback {
	struct sb_line *line;     /* ring of cap lines */
	size_t          cap, first, n;
	int             width, height;   /* of the pane */
	int             scroll;   /* rows the view is lifted above the live end */
	bool            more;     /* lines arrived while lifted */
	int             name_w;   /* widest name seen, capped */
	const char     *ts_fmt;   /* strftime format of the time column (borrowed) */
	int             time_w;   /* its columns, with the space after it */
	long            day;      /* local day of the last line, 0 none yet */
};

int sb_init(struct scrollback *sb, size_t cap);
void sb_free(struct scrollback *sb);
void sb_resize(struct scrollback *sb, int width, int height);
void sb_set_time_format(struct scrollback *sb, const char *fmt);
/* True (once) when now's local day differs from the last line's. */
bool sb_day_changed(struct scrollback *sb, time_t now);
void sb_clear(struct scrollback *sb);

/* A fresh line at the end (the oldest is dropped when full); fill its name
 * and text, then call sb_commit. */
struct sb_line *sb_add(struct scrollback *sb, enum sb_kind kind, time_t when);
void sb_commit(struct scrollback *sb, const struct sb_line *l);
/* Own lines typed before the client was ready are sent now: unmark them. */
void sb_clear_pending(struct scrollback *sb);
size_t sb_pending(const struct scrollback *sb);

/* PgUp (dir > 0) / PgDn (dir < 0) by a page; back to the live end. */
void sb_page(struct scrollback *sb, int dir);
void sb_live(struct scrollback *sb);

void sb_geom(const struct scrollback *sb, struct sb_geom *g);
/* End (exclusive) of the row of c[] that starts at `from`, at most width
 * columns; breaks after the last space in the row when there is one. */
size_t sb_row_end(const struct ui_cell *c, size_t n, size_t from, int width);
int sb_line_rows(const struct sb_line *l, int text_w);

void sb_draw(const struct scrollback *sb, WINDOW *w);

#endif

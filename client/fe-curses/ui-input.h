/* SPDX-License-Identifier: ISC */
/* ui-input.h: the input line: a UTF-8 aware line editor with history and horizontal scrolling. */
#ifndef SOTTO_UI_INPUT_H
#define SOTTO_UI_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui-curses.h"

#define INPUT_MAX       4096   /* code points in one line */
#define INPUT_HIST_MAX  500    /* lines kept for Up/Down */

struct input_line {
	uint32_t *cp;
	size_t    len;
};

struct input {
	uint32_t          *cp;          /* the line being edited, INPUT_MAX long */
	size_t             len, cur;    /* code points; cursor index 0..len */
	int                hscroll;     /* first column shown */
	struct input_line *hist;        /* oldest first */
	size_t             hist_n;
	size_t             hist_pos;    /* == hist_n: editing a new line */
	struct input_line  draft;       /* the new line while browsing history */
};

int input_init(struct input *in);
void input_free(struct input *in);

/* Editing. Each returns false when it changed nothing (the UI may beep). */
bool input_insert(struct input *in, uint32_t cp);
bool input_left(struct input *in);
bool input_right(struct input *in);
bool input_home(struct input *in);
bool input_end(struct input *in);
bool input_backspace(struct input *in);
bool input_delete(struct input *in);
bool input_kill_start(struct input *in);   /* Ctrl-U */
bool input_kill_end(struct input *in);     /* Ctrl-K */
bool input_kill_word(struct input *in);    /* Ctrl-W */
bool input_hist_prev(struct input *in);    /* Up */
bool input_hist_next(struct input *in);    /* Down */

bool input_empty(const struct input *in);
/* Remove code points [from, to); the cursor goes to from. */
void input_cut(struct input *in, size_t from, size_t to);
/* History across runs: add a UTF-8 line (skipped unless the editor would
 * take it as typed); line i, oldest first, as malloc'd UTF-8. */
void input_hist_add_utf8(struct input *in, const char *s, size_t n);
char *input_hist_utf8(const struct input *in, size_t i, size_t *n);
/* The line as UTF-8 (malloc'd, NUL-terminated, *n its length); the line is
 * added to history and the editor cleared. NULL when out of memory. */
char *input_take(struct input *in, size_t *n);

/* Draw prompt and line into w (one row); the cursor column comes back in
 * *cursor_x. Scrolls horizontally to keep the cursor in view. */
void input_draw(struct input *in, WINDOW *w, const char *prompt, int *cursor_x);

#endif

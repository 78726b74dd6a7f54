/* ui.h: the interactive UI's state, shared by its files: ui.c (loop and
 * keys), ui-event.c (core events), ui-cmd.c (typed lines and commands) and
 * ui-term.c (the terminal). Only ui_main (frontend.h) is public. */
#ifndef SOTTO_UI_H
#define SOTTO_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "client.h"
#include "ui-input.h"
#include "ui-scrollback.h"

#define UI_SCROLLBACK_LINES  5000
#define UI_MSG_MAX_CELLS     16384  /* a longer message is cut, with a note */
#define UI_NAME_MAX_CELLS    64
#define UI_DRAIN_SECONDS     2.0    /* /quit waits this long for queued lines */

struct ui_member {
	char *name;
	char *fpr;
	bool  self;
};

struct ui {
	struct ev_loop   *loop;
	struct client    *client;

	ev_io             key_w;      /* keys on stdin */
	ev_signal         winch_w;    /* the terminal was resized */
	ev_signal         term_w, int_w;   /* SIGHUP is the core's: reload */
	ev_prepare        draw_w;     /* one redraw per loop iteration, when dirty */
	ev_timer          drain_w;    /* /quit: wait for queued lines, bounded */
	ev_tstamp         drain_until;

	WINDOW           *sb_win, *status_win, *input_win;
	bool              curses_on;
	int               key_ctrl_end;   /* keycode of Ctrl-End, 0 when unknown */
	unsigned          empty_wakeups;  /* stdin readable, no key: at end? */

	struct scrollback sb;
	struct input      in;
	struct ui_member *members;
	size_t            n_members;

	char             *room, *relay, *state;
	char             *self_name;      /* from the members list, NULL until known */
	uint32_t          epoch;
	bool              ready;

	bool              dirty;          /* the model changed: redraw */
	bool              repaint;        /* the screen may be stale: repaint all */
	bool              want_who;       /* ask the core for members, quietly */
	unsigned          quiet_who;      /* MEMBERS answers not to print */
	bool              stop;           /* leave the loop at the next chance */
	int               exit_code;
	char              fatal[512];     /* raw; sanitized when shown after endwin */
};

/* ui.c */
void ui_line(struct ui *ui, enum sb_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_quit(struct ui *ui, bool drain);
void ui_draw(struct ui *ui);
void ui_set_str(char **dst, const char *src);

/* ui-event.c */
void ui_on_event(const struct client_event *ev, void *ctx);
void ui_members_free(struct ui *ui);

/* ui-cmd.c */
void ui_submit(struct ui *ui, const char *line, size_t n);

/* ui-term.c */
int term_start(struct ui *ui, char *err, size_t err_len);
void term_layout(struct ui *ui);
void term_resize(struct ui *ui);
void term_stop(struct ui *ui);

#endif

/* SPDX-License-Identifier: ISC */
/* ui.h: the interactive UI's state, shared by its files: ui.c (loop and
 * keys), ui-win.c (windows: one room each), ui-event.c (core events),
 * ui-cmd.c (typed lines and commands), ui-paste.c (bracketed paste) and
 * ui-term.c (the terminal), ui-query.c (private views), ui-files.c
 * (file transfers), ui-view.c (/view), ui-picture.c (previews). Only ui_main (frontend.h) is public. */
#ifndef SOTTO_UI_H
#define SOTTO_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "client.h"
#include "frontend.h"
#include "ui-complete.h"
#include "ui-files.h"
#include "ui-input.h"
#include "ui-paste.h"
#include "ui-scrollback.h"

#define UI_SCROLLBACK_LINES  5000
#define UI_MSG_MAX_CELLS     16384  /* a longer message is cut, with a note */
#define UI_NAME_MAX_CELLS    64
#define UI_DRAIN_SECONDS     2.0    /* /quit waits this long for queued lines */
#define UI_WIN_MAX           9      /* Alt-1..9 */
#define UI_SEEN_KEYS_MAX     64     /* untrusted keys shown once per connection */
#define UI_CTRLC_HINT_GAP    2.0    /* s between two Ctrl-C hints */

struct ui_member {
	char    *name;
	char    *fpr;
	bool     self;
	unsigned sessions;
};

struct ui;

/* One room on the relay: its own client, scrollback and status. */
struct ui_win {
	struct ui        *ui;
	int               num;        /* 1..9, as Alt-N and /window N */
	struct client    *client;
	struct scrollback sb;
	struct ui_member *members;
	size_t            n_members;

	char             *room, *relay, *state;
	char             *self_name;  /* from the members list, NULL until known */
	char             *asked;      /* waiting-key: whom we asked */
	uint32_t          epoch;
	bool              ready;
	bool              want_who;   /* ask the core for members, quietly */
	unsigned          quiet_who;  /* MEMBERS answers not to print */
	int               activity;   /* 0 none, 1 lines, 2 a mention: status "Act:" */
	unsigned          unread;     /* lines since it was last shown */
	/* A private view (ui-query.c): direct messages with peer, through the
	 * client of room window room_win (borrowed, never freed here). */
	char             *peer;
	struct ui_win    *room_win;

	struct ui_xfers   xfers;      /* file transfers (room windows only) */

	size_t            untrusted;  /* untrusted readers present (identities) */
	uint64_t          dropped;    /* frames from untrusted keys, this connection */
	char             *seen[UI_SEEN_KEYS_MAX];  /* keys already given a line */
	size_t            n_seen;
};

struct ui {
	struct ev_loop   *loop;
	struct client_config cfg;     /* for /join: the same identity, folder, relay */
	const char       *ts_format;

	struct ui_win    *win[UI_WIN_MAX];
	size_t            n_win;
	struct ui_win    *w;          /* the window shown */

	ev_io             key_w;      /* keys on stdin */
	ev_signal         winch_w;    /* the terminal was resized */
	ev_signal         term_w, int_w;   /* SIGHUP is the core's: reload */
	ev_prepare        draw_w;     /* one redraw per loop iteration, when dirty */
	ev_timer          drain_w;    /* /quit: wait for queued lines, bounded */
	ev_tstamp         drain_until;

	WINDOW           *sb_win, *status_win, *input_win;
	size_t          hist_shown;  /* stored lines shown (restore, /history, /search) */
	bool              curses_on;
	int               key_ctrl_end;   /* keycode of Ctrl-End, 0 when unknown */
	unsigned          empty_wakeups;  /* stdin readable, no key: at end? */
	bool              esc;            /* ESC seen: Alt-N comes as ESC N */

	struct input      in;
	bool              in_pasted;      /* the line began as a paste: never a command */
	struct complete   comp;
	struct paste      paste;
	char             *held;           /* a paste waiting for Enter (asked first) */
	size_t            held_len;
	ev_tstamp         ctrlc_hint;     /* when the last Ctrl-C hint was shown */
	bool              quit_asked;     /* lines unsent: the next quit leaves anyway */
	bool              leave_sent;     /* quitting: the signed LEAVEs are sent */
	bool              viewing;        /* /view's picture is up: curses is off */
	bool              away;
	bool              title_set;      /* the title says there is a mention */
	char             *hist_path;

	bool              dirty;          /* the model changed: redraw */
	bool              repaint;        /* the screen may be stale: repaint all */
	bool              stop;           /* leave the loop at the next chance */
	int               exit_code;
	char              fatal[512];     /* raw; sanitized when shown after endwin */
};

/* ui.c */
void ui_line(struct ui *ui, enum sb_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void win_line(struct ui_win *w, enum sb_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_quit(struct ui *ui, bool drain);
void ui_draw(struct ui *ui);
void ui_set_str(char **dst, const char *src);

/* ui-win.c */
struct ui_win *win_open(struct ui *ui, const char *room, char *err, size_t err_len);
void win_free(struct ui_win *w);
void win_show(struct ui *ui, int num);
void win_remove(struct ui *ui, struct ui_win *w);
size_t win_unsent(const struct ui_win *w);

/* ui-query.c: private views */
struct ui_win *query_find(struct ui *ui, const struct ui_win *rw, const char *peer);
struct ui_win *query_open(struct ui *ui, struct ui_win *rw, const char *peer,
    char *err, size_t err_len);
void query_close(struct ui *ui, struct ui_win *w);
struct ui_win *query_route(struct ui_win *rw, const struct client_ev_message *ev,
    bool *own);

/* ui-event.c */
void ui_on_event(const struct client_event *ev, void *ctx);
void ui_members_free(struct ui_win *w);
void ui_mention_alert(struct ui *ui, struct ui_win *w);
/* News in w (not shown): level 1 lines, 2 a mention; counts unread. */
void ui_activity(struct ui_win *w, int level);

/* ui-cmd.c */
void ui_submit(struct ui *ui, const char *line, size_t n, bool pasted);
void ui_say(struct ui *ui, uint8_t ctype, const char *text, size_t n);
const char *const *ui_cmd_names(size_t *n);

/* ui-pasted.c */
void ui_paste_done(struct ui *ui);
bool ui_held_key(struct ui *ui, int code, wint_t ch);

/* ui-term.c */
int term_start(struct ui *ui, char *err, size_t err_len);
void term_layout(struct ui *ui);
void term_resize(struct ui *ui);
void term_stop(struct ui *ui);
void term_title(struct ui *ui, const char *title);

#define KEY_PASTE_BEGIN  (KEY_MAX + 1)   /* ESC [200~, defined with define_key */
#define KEY_PASTE_END    (KEY_MAX + 2)   /* ESC [201~ */

#endif

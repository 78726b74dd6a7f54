/* SPDX-License-Identifier: ISC */
/* ui-query.c: private views (irssi's queries): one window per member a room's direct messages are with, borrowing that room's client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* The private view with peer under room window rw, NULL when none. */
struct ui_win *query_find(struct ui *ui, const struct ui_win *rw, const char *peer)
{
	for (size_t i = 0; i < ui->n_win; i++)
		if (ui->win[i]->room_win == rw && ui->win[i]->peer != NULL &&
		    strcmp(ui->win[i]->peer, peer) == 0)
			return ui->win[i];
	return NULL;
}

/* A new view: the conversation's last stored lines (--history N, as the
 * room window at start), dimmed, then the line that says so. They land
 * here through ui-event.c's on_history, which routes a DM record to the
 * view with its peer. A DM that opens the view is stored already; the
 * core leaves it out (it is shown live right after). */
static void query_restore(struct ui_win *w)
{
	struct ui *ui = w->ui;
	size_t before = ui->hist_shown, n;

	if (ui->cfg.history_restore == 0)
		return;
	ui->hist_shown = 0;
	(void)client_history_dm_replay(w->client, w->peer, ui->cfg.history_restore,
	    "restore");
	n = ui->hist_shown;
	ui->hist_shown = before;
	if (n > 0)
		win_line(w, SB_INFO, "%zu line%s above from the local history", n,
		    n == 1 ? "" : "s");
}

/* A private view with peer in room window rw's room: the next number, or
 * NULL with err filled (all nine windows taken). */
struct ui_win *query_open(struct ui *ui, struct ui_win *rw, const char *peer,
    char *err, size_t err_len)
{
	struct ui_win *w;

	if ((w = query_find(ui, rw, peer)) != NULL)
		return w;
	if (ui->n_win == UI_WIN_MAX) {
		snprintf(err, err_len, "at most %d windows", UI_WIN_MAX);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	w->ui = ui;
	w->num = (int)ui->n_win + 1;
	w->room_win = rw;
	w->client = rw->client;         /* borrowed: the room's session */
	ui_set_str(&w->peer, peer);
	ui_set_str(&w->room, rw->room);
	ui_set_str(&w->relay, rw->relay);
	ui_set_str(&w->state, "private");
	if (w->peer == NULL || w->room == NULL || w->relay == NULL ||
	    w->state == NULL || sb_init(&w->sb, UI_SCROLLBACK_LINES) != 0) {
		snprintf(err, err_len, "out of memory");
		win_free(w);
		return NULL;
	}
	sb_set_time_format(&w->sb, ui->ts_format);
	sb_resize(&w->sb, rw->sb.width, rw->sb.height);
	ui->win[ui->n_win++] = w;
	query_restore(w);
	win_line(w, SB_INFO, "private messages with %s in #%s: only %s's current "
	    "session can read what you type here", peer, rw->room, peer);
	return w;
}

/* Close private view w (shown or not): its room window is shown if w was,
 * its scrollback goes, and the windows after it move down one number. A
 * later DM with its peer opens it again (query_route). Room windows are
 * not closed here: their client stays until /quit. */
void query_close(struct ui *ui, struct ui_win *w)
{
	if (w->room_win == NULL)
		return;
	if (ui->w == w)
		win_show(ui, w->room_win->num);
	win_remove(ui, w);
}

/* Where a direct message of room window rw shows: the view with its peer,
 * opened on the first one; the room window itself when all nine windows
 * are taken. */
struct ui_win *query_route(struct ui_win *rw, const struct client_ev_message *ev,
    bool *own)
{
	const char *fpr = client_fingerprint(rw->client);
	const char *peer;
	struct ui_win *w;
	char err[64];

	*own = fpr != NULL && ev->fpr != NULL && strcmp(fpr, ev->fpr) == 0;
	peer = *own ? ev->to : ev->name;
	if (peer == NULL)
		return rw;
	if ((w = query_open(rw->ui, rw, peer, err, sizeof(err))) == NULL)
		return rw;
	return w;
}

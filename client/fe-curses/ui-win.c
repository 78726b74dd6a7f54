/* SPDX-License-Identifier: ISC */
/* ui-win.c: windows: one room each (or a private view, ui-query.c), with its own client on the same relay; opening, switching, freeing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "identity.h"
#include "ui.h"

size_t win_unsent(const struct ui_win *w)
{
	return sb_pending(&w->sb);
}

void win_free(struct ui_win *w)
{
	if (w == NULL)
		return;
	if (w->room_win == NULL)
		client_free(w->client);     /* a private view borrows its room's */
	free(w->peer);
	sb_free(&w->sb);
	ui_members_free(w);
	ui_xfers_free(&w->xfers);
	for (size_t i = 0; i < w->n_seen; i++)
		free(w->seen[i]);
	free(w->room);
	free(w->relay);
	free(w->state);
	free(w->self_name);
	free(w->asked);
	free(w);
}

/* A window for room on the same relay, with the same identity: it gets the
 * next number. NULL with err filled when it cannot be made. */
struct ui_win *win_open(struct ui *ui, const char *room, char *err, size_t err_len)
{
	struct client_config cfg = ui->cfg;
	struct ui_win *w;

	if (ui->n_win == UI_WIN_MAX) {
		snprintf(err, err_len, "at most %d windows", UI_WIN_MAX);
		return NULL;
	}
	if (sotto_room_valid(room) != 0) {
		snprintf(err, err_len, "room: 1..64 bytes of UTF-8 without control "
		    "characters");
		return NULL;
	}
	for (size_t i = 0; i < ui->n_win; i++)
		if (ui->win[i]->room_win == NULL && strcmp(ui->win[i]->room, room) == 0) {
			snprintf(err, err_len, "#%s is window %d already", room,
			    ui->win[i]->num);
			return NULL;
		}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	w->ui = ui;
	w->num = (int)ui->n_win + 1;
	ui_set_str(&w->room, room);
	ui_set_str(&w->relay, cfg.relay != NULL ? cfg.relay : "127.0.0.1:7700");
	ui_set_str(&w->state, "starting");
	if (w->room == NULL || w->relay == NULL || w->state == NULL ||
	    sb_init(&w->sb, UI_SCROLLBACK_LINES) != 0) {
		snprintf(err, err_len, "out of memory");
		win_free(w);
		return NULL;
	}
	sb_set_time_format(&w->sb, ui->ts_format);
	if (ui->sb_win != NULL)
		sb_resize(&w->sb, getmaxx(ui->sb_win), getmaxy(ui->sb_win));
	else if (ui->n_win > 0)
		sb_resize(&w->sb, ui->win[0]->sb.width, ui->win[0]->sb.height);
	cfg.room = room;
	/* Each client owns an identity: a copy of the one main opened. */
	if (sotto_identity_dup(ui->cfg.ident, &cfg.ident, err, err_len) != 0) {
		win_free(w);
		return NULL;
	}
	ui->win[ui->n_win++] = w;
	if ((w->client = client_new(ui->loop, &cfg, ui_on_event, w, err,
	    err_len)) == NULL) {
		ui->win[--ui->n_win] = NULL;
		win_free(w);
		return NULL;
	}
	w->want_who = true;       /* our own name, before the first line is typed */
	return w;
}

/* Take w out of the list and free it; the windows after it move down one
 * number (irssi's renumbering), so num stays its place in ui->win and
 * Alt-N, /window N and the status line's Act: list keep agreeing. The
 * caller shows another window first when w is the one shown. */
void win_remove(struct ui *ui, struct ui_win *w)
{
	size_t i = 0;

	while (i < ui->n_win && ui->win[i] != w)
		i++;
	if (i == ui->n_win || ui->w == w)
		return;
	for (; i + 1 < ui->n_win; i++) {
		ui->win[i] = ui->win[i + 1];
		ui->win[i]->num = (int)i + 1;
	}
	ui->win[--ui->n_win] = NULL;
	win_free(w);
	ui->dirty = true;
}

/* Show window num (1-based); its activity mark goes. */
void win_show(struct ui *ui, int num)
{
	struct ui_win *w;

	if (num < 1 || (size_t)num > ui->n_win) {
		ui_line(ui, SB_INFO, "no window %d (there %s %zu)", num,
		    ui->n_win == 1 ? "is" : "are", ui->n_win);
		return;
	}
	w = ui->win[num - 1];
	w->activity = 0;
	w->unread = 0;
	if (ui->sb_win != NULL)
		sb_resize(&w->sb, getmaxx(ui->sb_win), getmaxy(ui->sb_win));
	ui->w = w;
	ui->dirty = ui->repaint = true;
}

/* SPDX-License-Identifier: ISC */
/* ui-event.c: the core's events become scrollback lines, member list and status of their window; nothing is drawn here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"
#include "ui-colour.h"
#include "ui-mention.h"
#include "ui.h"

/* The sender's clock is untrusted; past year 9999 we show our own time. */
#define UI_TS_MAX 253402300799ull

static const char *or(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* --- the member list (for the count on the status line and our own name) --- */

void ui_members_free(struct ui_win *w)
{
	for (size_t i = 0; i < w->n_members; i++) {
		free(w->members[i].name);
		free(w->members[i].fpr);
	}
	free(w->members);
	w->members = NULL;
	w->n_members = 0;
}

static void member_add(struct ui_win *w, const char *name, const char *fpr,
    bool self, unsigned sessions)
{
	struct ui_member *grown, *m;

	grown = realloc(w->members, (w->n_members + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	w->members = grown;
	m = &w->members[w->n_members];
	m->name = strdup(or(name, "?"));
	m->fpr = strdup(or(fpr, "?"));
	m->self = self;
	m->sessions = sessions ? sessions : 1;
	if (m->name == NULL || m->fpr == NULL) {
		free(m->name);
		free(m->fpr);
		return;
	}
	w->n_members++;
	if (self)
		ui_set_str(&w->self_name, m->name);
}

/* The identity left (the core says so only when its last session went). */
static void member_remove(struct ui_win *w, const char *fpr)
{
	for (size_t i = 0; fpr != NULL && i < w->n_members; i++) {
		if (w->members[i].self || strcmp(w->members[i].fpr, fpr) != 0)
			continue;
		free(w->members[i].name);
		free(w->members[i].fpr);
		w->members[i] = w->members[--w->n_members];
		return;
	}
}

static void members_set(struct ui_win *w, const struct client_member *m, size_t n)
{
	ui_members_free(w);
	for (size_t i = 0; i < n; i++)
		member_add(w, m[i].name, m[i].fpr, m[i].self, m[i].sessions);
}

/* Columns a name takes once neutralised, for lining up the fingerprints. */
static int name_cols(const char *name)
{
	struct ui_text t = { 0 };
	int w = 0;

	if (ui_text_add(&t, name, strlen(name), 0, UI_NAME_MAX_CELLS) == 0)
		w = ui_cells_width(t.cell, t.n);
	ui_text_free(&t);
	return w;
}

static void readers_print(struct ui_win *w, const struct client_ev_members *ev)
{
	for (size_t i = 0; i < ev->n_readers; i++)
		win_line(w, SB_WARN, "  %s  untrusted: can read if any member trusts "
		    "it and hands it the key%s", ev->readers[i].fpr,
		    ev->readers[i].sessions > 1 ? " (several sessions)" : "");
}

static void members_print(struct ui_win *w, const struct client_ev_members *ev)
{
	int width = 0, c;

	for (size_t i = 0; i < ev->n_members; i++)
		if ((c = name_cols(ev->members[i].name)) > width)
			width = c;
	win_line(w, SB_INFO, "%zu member%s in #%s:", ev->n_members,
	    ev->n_members == 1 ? "" : "s", w->room);
	for (size_t i = 0; i < ev->n_members; i++) {
		const struct client_member *m = &ev->members[i];
		char extra[320] = "";

		if (m->sessions > 1)
			snprintf(extra, sizeof(extra), "  (%u sessions)", m->sessions);
		if (m->away != NULL)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			    "  (away: %.256s)", m->away);
		win_line(w, SB_INFO, "  %s%*s  %s%s%s", m->name,
		    width - name_cols(m->name), "", m->fpr, m->self ? "  (you)" : "",
		    extra);
	}
	readers_print(w, ev);
}

/* --- events ------------------------------------------------------------------ */

/* A line for us: bell, title, and the window's activity mark. */
void ui_mention_alert(struct ui *ui, struct ui_win *w)
{
	char title[96];

	if (!ui->curses_on)
		return;
	beep();
	snprintf(title, sizeof(title), "sotto: mention in #%.64s", w->room);
	term_title(ui, title);
}

void ui_activity(struct ui_win *w, int level)
{
	if (w == w->ui->w)
		return;
	if (w->activity < level)
		w->activity = level;
	w->unread++;
}

static void on_message(struct ui_win *w, const struct client_ev_message *ev,
    enum sb_kind kind)
{
	time_t when = ev->ts != 0 && ev->ts <= UI_TS_MAX ? (time_t)ev->ts : time(NULL);
	struct sb_line *l;
	const char *name = or(ev->name, "?");
	bool own = false;

	if (ev->dm) {
		/* In the private view with its peer; ours are not news. */
		w = query_route(w, ev, &own);
		kind = own ? SB_OWN : SB_MSG;
	}
	l = sb_add(&w->sb, kind, when);
	l->pair = ui_colour_member(ev->fpr);
	l->mention = !own && (ev->dm || (w->self_name != NULL && ev->text != NULL &&
	    mention_in(ev->text, ev->text_len, w->self_name)));
	if (kind == SB_ACTION) {
		/* "* bob waves": the name leads the text. */
		ui_text_add(&l->text, name, strlen(name), 0, UI_NAME_MAX_CELLS);
		ui_text_add(&l->text, " ", 1, 0, 1);
	} else {
		ui_text_add(&l->name, name, strlen(name), 0, UI_NAME_MAX_CELLS);
	}
	if (ev->text != NULL)
		ui_text_add(&l->text, ev->text, ev->text_len,
		    SAN_TAB_SPACE | UI_TEXT_LINES, UI_MSG_MAX_CELLS);
	if (ev->dm && w->peer == NULL)      /* no free window: say it is private */
		ui_text_add(&l->text, " (private)", 10, 0, 10);
	sb_commit(&w->sb, l);
	if (own)
		sb_live(&w->sb);
	else
		ui_activity(w, l->mention ? 2 : 1);
	if (l->mention)
		ui_mention_alert(w->ui, w);
	w->ui->dirty = true;
}

/* Where a stored record shows: a DM's in the private view with its peer
 * (ui-query.c and ui-cmd.c ask for one conversation at a time), the rest
 * in the room window. */
static struct ui_win *history_win(struct ui_win *w, const struct client_ev_history *ev)
{
	struct ui_win *q;

	if (ev->peer != NULL && (q = query_find(w->ui, w, ev->peer)) != NULL)
		return q;
	return w;
}

/* A stored record (restore at start, /history, /search): dimmed, with the
 * history bar; its time is when it was sent or stored. */
static void on_history(struct ui_win *w, const struct client_ev_history *ev)
{
	time_t when = ev->ts != 0 && ev->ts <= UI_TS_MAX ? (time_t)ev->ts : 0;
	enum sb_kind kind = ev->kind == CLIENT_HIST_JOINED ? SB_JOIN :
	    ev->kind == CLIENT_HIST_LEFT ? SB_LEFT : ev->self ? SB_OWN : SB_MSG;
	struct sb_line *l = sb_add(&w->sb, kind, when);
	const char *name = or(ev->name, "?");
	char what[320];

	l->history = true;
	w->ui->hist_shown++;
	l->pair = ui_colour_member(ev->fpr);
	if (kind == SB_JOIN || kind == SB_LEFT) {
		snprintf(what, sizeof(what), "%s %s", name,
		    kind == SB_JOIN ? "joined" : "left");
		ui_text_add(&l->text, what, strlen(what), 0, UI_MSG_MAX_CELLS);
	} else {
		ui_text_add(&l->name, name, strlen(name), 0, UI_NAME_MAX_CELLS);
		if (ev->text != NULL)
			ui_text_add(&l->text, ev->text, ev->text_len, SAN_TAB_SPACE,
			    UI_MSG_MAX_CELLS);
	}
	sb_commit(&w->sb, l);
	w->ui->dirty = true;
}

static void on_ready(struct ui_win *w, const struct client_ev_ready *ev)
{
	w->ready = true;
	w->epoch = ev->epoch;
	ui_set_str(&w->state, "ready");
	ui_set_str(&w->asked, NULL);
	if (ev->members != NULL)
		members_set(w, ev->members, ev->n_members);
	w->want_who = true;      /* learn names and our own, quietly */
	if (sb_pending(&w->sb) > 0)
		win_line(w, SB_INFO, "sending %zu pending line%s", sb_pending(&w->sb),
		    sb_pending(&w->sb) == 1 ? "" : "s");
	sb_clear_pending(&w->sb);
	win_line(w, SB_INFO, "ready in #%s: epoch %u%s", or(ev->room, w->room),
	    (unsigned)ev->epoch, ev->first ? ", first here: made the group key" : "");
}

static void on_members(struct ui_win *w, const struct client_ev_members *ev)
{
	members_set(w, ev->members, ev->n_members);
	if (w->quiet_who > 0)
		w->quiet_who--;
	else
		members_print(w, ev);
}

/* An untrusted key's frames: one line per key per connection, then only
 * the count on the status line (the batch front-end still reports each). */
static bool seen_key(struct ui_win *w, const char *fpr)
{
	char *dup;

	for (size_t i = 0; i < w->n_seen; i++)
		if (strcmp(w->seen[i], fpr) == 0)
			return true;
	if (w->n_seen == UI_SEEN_KEYS_MAX)
		return true;       /* a flood of keys: the count says enough */
	if ((dup = strdup(fpr)) != NULL)
		w->seen[w->n_seen++] = dup;
	return false;
}

static void seen_reset(struct ui_win *w)
{
	for (size_t i = 0; i < w->n_seen; i++)
		free(w->seen[i]);
	w->n_seen = 0;
	w->dropped = 0;
	w->untrusted = 0;
}

/* One dim line per dropped frame; the core names the sender in the detail
 * when it knows one. */
static void on_rejected(struct ui_win *w, const struct client_ev_rejected *ev)
{
	const char *from = ev->name;
	const char *detail = or(ev->detail, NULL);

	/* A cut-off flood: one notice said so; its frames would push the
	 * conversation out of the scrollback ring. */
	if (ev->quiet)
		return;
	if (ev->fpr != NULL && ev->reason != NULL &&
	    strcmp(ev->reason, "untrusted-key") == 0) {
		w->dropped++;
		w->ui->dirty = true;
		if (seen_key(w, ev->fpr))
			return;
		from = NULL;
	}
	win_line(w, SB_WARN, "dropped a frame%s%s: %s%s%s%s", from ? " from " : "",
	    from ? from : "", or(ev->reason, "?"), detail ? " (" : "",
	    detail ? detail : "", detail ? ")" : "");
}

/* Fatal: shown here, and again on stderr after endwin (sanitized there). */
static void on_error(struct ui_win *w, const struct client_ev_error *ev)
{
	struct ui *ui = w->ui;

	snprintf(ui->fatal, sizeof(ui->fatal), "#%s: %s%s%s", w->room,
	    or(ev->reason, "error"), ev->detail != NULL ? ": " : "",
	    ev->detail != NULL ? ev->detail : "");
	win_line(w, SB_ERROR, "%s", ui->fatal);
	ui->exit_code = 1;
	ui->quit_asked = true;
	ui->stop = true;
}

static void on_disconnected(struct ui_win *w, const struct client_ev_disconnected *ev)
{
	const char *why = or(ev->reason, "?");

	w->ready = false;
	seen_reset(w);
	ui_set_str(&w->state, "disconnected");
	if (strstr(why, "retrying") != NULL)
		win_line(w, SB_WARN, "%s", why);
	else
		win_line(w, SB_WARN, "disconnected: %s; reconnecting", why);
}

static void on_status(struct ui_win *w, const struct client_ev_status *ev)
{
	if (ev->state == NULL)
		return;
	if (ev->reason != NULL) {
		/* A notice (a failed reload on SIGHUP), not a connection state. */
		win_line(w, SB_WARN, "%s: %s", ev->reason, or(ev->detail, "?"));
		return;
	}
	ui_set_str(&w->state, ev->state);
	w->ready = strcmp(ev->state, "ready") == 0;
	w->ui->dirty = true;
}

static void on_untrusted(struct ui_win *w, enum client_event_type type,
    const struct client_ev_untrusted *ev)
{
	const char *fpr = or(ev->fpr, "?");

	if (type == CLIENT_EV_UNTRUSTED_JOINED) {
		w->untrusted++;
		win_line(w, SB_WARN, "untrusted %s is in #%s: not in your trusted "
		    "folder; it can read everything here if any member trusts it and "
		    "hands it the key", fpr, w->room);
		ui_activity(w, 2);
		return;
	}
	if (w->untrusted > 0)
		w->untrusted--;
	win_line(w, SB_INFO, "untrusted %s left", fpr);
}

static void on_away(struct ui_win *w, const struct client_ev_away *ev)
{
	if (ev->away)
		win_line(w, SB_INFO, "%s is away: %.*s", or(ev->name, "?"),
		    (int)ev->reason_len, ev->reason);
	else
		win_line(w, SB_INFO, "%s is back", or(ev->name, "?"));
}

void ui_on_event(const struct client_event *ev, void *ctx)
{
	struct ui_win *w = ctx;

	switch (ev->type) {
	case CLIENT_EV_CONNECTED:
		seen_reset(w);
		ui_set_str(&w->relay, or(ev->connected.relay, w->relay));
		win_line(w, SB_INFO, "connected to %s, joining #%s",
		    or(ev->connected.relay, "?"), or(ev->connected.room, w->room));
		break;
	case CLIENT_EV_READY: on_ready(w, &ev->ready); break;
	case CLIENT_EV_JOINED:
		member_add(w, ev->joined.name, ev->joined.fpr, false, 1);
		win_line(w, SB_JOIN, "%s joined (%s)", or(ev->joined.name, "?"),
		    or(ev->joined.fpr, "?"));
		break;
	case CLIENT_EV_LEFT:
		member_remove(w, ev->left.fpr);
		win_line(w, SB_LEFT, "%s left", or(ev->left.name, "?"));
		break;
	case CLIENT_EV_HISTORY:
		on_history(history_win(w, &ev->history), &ev->history);
		break;
	case CLIENT_EV_MESSAGE: on_message(w, &ev->message, SB_MSG); break;
	case CLIENT_EV_ACTION: on_message(w, &ev->message, SB_ACTION); break;
	case CLIENT_EV_QUIT_MESSAGE:
		win_line(w, SB_LEFT, "%s quit: %.*s", or(ev->message.name, "?"),
		    (int)ev->message.text_len,
		    ev->message.text != NULL ? ev->message.text : "");
		break;
	case CLIENT_EV_MEMBERS: on_members(w, &ev->members); break;
	case CLIENT_EV_REJECTED: on_rejected(w, &ev->rejected); break;
	case CLIENT_EV_ERROR: on_error(w, &ev->error); break;
	case CLIENT_EV_DISCONNECTED: on_disconnected(w, &ev->disconnected); break;
	case CLIENT_EV_STATUS: on_status(w, &ev->status); break;
	case CLIENT_EV_WAITING_KEY:
		ui_set_str(&w->asked, ev->waiting_key.asked);
		w->ui->dirty = true;
		break;
	case CLIENT_EV_NOTICE:
		win_line(w, strcmp(or(ev->notice.reason, ""), "no-key-yet") == 0 ?
		    SB_WARN : SB_INFO, "%s", or(ev->notice.text,
		    or(ev->notice.reason, "?")));
		break;
	case CLIENT_EV_UNTRUSTED_JOINED:
	case CLIENT_EV_UNTRUSTED_LEFT:
		on_untrusted(w, ev->type, &ev->untrusted);
		break;
	case CLIENT_EV_AWAY: on_away(w, &ev->away); break;
	case CLIENT_EV_FILE_OFFER:
	case CLIENT_EV_FILE_PROGRESS:
	case CLIENT_EV_FILE_RECEIVED:
	case CLIENT_EV_FILE_SENT:
	case CLIENT_EV_FILE_FAILED:
	case CLIENT_EV_FILE_INTERRUPTED:
	case CLIENT_EV_FILE_HASHING:
		ui_files_event(w, ev);
		break;
	case CLIENT_EV_REKEYED:
		win_line(w, SB_INFO, "new group key (epoch %u, %s)",
		    (unsigned)ev->rekeyed.epoch, or(ev->rekeyed.reason, "?"));
		break;
	}
}

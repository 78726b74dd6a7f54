/* ui-event.c: the core's events become scrollback lines, member list and status; nothing is drawn here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"
#include "ui-colour.h"
#include "ui.h"

/* The sender's clock is untrusted; past year 9999 we show our own time. */
#define UI_TS_MAX 253402300799ull

static const char *or(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* --- the member list (for the count on the status line and our own name) --- */

void ui_members_free(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_members; i++) {
		free(ui->members[i].name);
		free(ui->members[i].fpr);
	}
	free(ui->members);
	ui->members = NULL;
	ui->n_members = 0;
}

static void member_add(struct ui *ui, const char *name, const char *fpr, bool self)
{
	struct ui_member *grown, *m;

	grown = realloc(ui->members, (ui->n_members + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	ui->members = grown;
	m = &ui->members[ui->n_members];
	m->name = strdup(or(name, "?"));
	m->fpr = strdup(or(fpr, "?"));
	m->self = self;
	if (m->name == NULL || m->fpr == NULL) {
		free(m->name);
		free(m->fpr);
		return;
	}
	ui->n_members++;
	if (self)
		ui_set_str(&ui->self_name, m->name);
}

/* One session of that key left (the same key may be connected twice). */
static void member_remove(struct ui *ui, const char *fpr)
{
	for (size_t i = 0; fpr != NULL && i < ui->n_members; i++) {
		if (ui->members[i].self || strcmp(ui->members[i].fpr, fpr) != 0)
			continue;
		free(ui->members[i].name);
		free(ui->members[i].fpr);
		ui->members[i] = ui->members[--ui->n_members];
		return;
	}
}

static void members_set(struct ui *ui, const struct client_member *m, size_t n)
{
	ui_members_free(ui);
	for (size_t i = 0; i < n; i++)
		member_add(ui, m[i].name, m[i].fpr, m[i].self);
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

static void members_print(struct ui *ui)
{
	int w = 0, c;

	for (size_t i = 0; i < ui->n_members; i++)
		if ((c = name_cols(ui->members[i].name)) > w)
			w = c;
	ui_line(ui, SB_INFO, "%zu member%s in #%s:", ui->n_members,
	    ui->n_members == 1 ? "" : "s", ui->room);
	for (size_t i = 0; i < ui->n_members; i++)
		ui_line(ui, SB_INFO, "  %s%*s  %s%s", ui->members[i].name,
		    w - name_cols(ui->members[i].name), "", ui->members[i].fpr,
		    ui->members[i].self ? "  (you)" : "");
}

/* --- events ------------------------------------------------------------------ */

static void on_message(struct ui *ui, const struct client_ev_message *ev)
{
	time_t when = ev->ts != 0 && ev->ts <= UI_TS_MAX ? (time_t)ev->ts : time(NULL);
	struct sb_line *l = sb_add(&ui->sb, SB_MSG, when);
	const char *name = or(ev->name, "?");

	l->pair = ui_colour_member(ev->fpr);
	ui_text_add(&l->name, name, strlen(name), 0, UI_NAME_MAX_CELLS);
	if (ev->text != NULL)
		ui_text_add(&l->text, ev->text, ev->text_len, SAN_TAB_SPACE,
		    UI_MSG_MAX_CELLS);
	sb_commit(&ui->sb, l);
	ui->dirty = true;
}

static void on_ready(struct ui *ui, const struct client_ev_ready *ev)
{
	ui->ready = true;
	ui->epoch = ev->epoch;
	ui_set_str(&ui->state, "ready");
	if (ev->members != NULL)
		members_set(ui, ev->members, ev->n_members);
	ui->want_who = true;      /* learn names and our own, quietly */
	if (sb_pending(&ui->sb) > 0)
		ui_line(ui, SB_INFO, "sending %zu pending line%s", sb_pending(&ui->sb),
		    sb_pending(&ui->sb) == 1 ? "" : "s");
	sb_clear_pending(&ui->sb);
	ui_line(ui, SB_INFO, "ready in #%s: epoch %u%s", or(ev->room, ui->room),
	    (unsigned)ev->epoch, ev->first ? ", first here: made the group key" : "");
}

static void on_members(struct ui *ui, const struct client_ev_members *ev)
{
	members_set(ui, ev->members, ev->n_members);
	if (ui->quiet_who > 0)
		ui->quiet_who--;
	else
		members_print(ui);
}

/* One dim line per dropped frame; the core names the sender in the detail
 * when it knows one. */
static void on_rejected(struct ui *ui, const struct client_ev_rejected *ev)
{
	const char *from = ev->name != NULL ? ev->name : ev->fpr;
	const char *detail = or(ev->detail, NULL);

	ui_line(ui, SB_WARN, "dropped a frame%s%s: %s%s%s%s", from ? " from " : "",
	    from ? from : "", or(ev->reason, "?"), detail ? " (" : "",
	    detail ? detail : "", detail ? ")" : "");
}

/* Fatal: shown here, and again on stderr after endwin (sanitized there). */
static void on_error(struct ui *ui, const struct client_ev_error *ev)
{
	snprintf(ui->fatal, sizeof(ui->fatal), "%s%s%s", or(ev->reason, "error"),
	    ev->detail != NULL ? ": " : "", ev->detail != NULL ? ev->detail : "");
	ui_line(ui, SB_ERROR, "%s", ui->fatal);
	ui->exit_code = 1;
	ui_quit(ui, false);
}

static void on_disconnected(struct ui *ui, const struct client_ev_disconnected *ev)
{
	ui->ready = false;
	ui_set_str(&ui->state, "disconnected");
	ui_line(ui, SB_WARN, "disconnected: %s; reconnecting", or(ev->reason, "?"));
}

static void on_status(struct ui *ui, const struct client_ev_status *ev)
{
	if (ev->state == NULL)
		return;
	if (ev->reason != NULL) {
		/* A notice (a failed reload on SIGHUP), not a connection state. */
		ui_line(ui, SB_WARN, "%s: %s", ev->reason, or(ev->detail, "?"));
		return;
	}
	ui_set_str(&ui->state, ev->state);
	ui->ready = strcmp(ev->state, "ready") == 0;
	ui->dirty = true;
}

void ui_on_event(const struct client_event *ev, void *ctx)
{
	struct ui *ui = ctx;

	switch (ev->type) {
	case CLIENT_EV_CONNECTED:
		ui_set_str(&ui->relay, or(ev->connected.relay, ui->relay));
		ui_line(ui, SB_INFO, "connected to %s, joining #%s",
		    or(ev->connected.relay, "?"), or(ev->connected.room, ui->room));
		break;
	case CLIENT_EV_READY: on_ready(ui, &ev->ready); break;
	case CLIENT_EV_JOINED:
		member_add(ui, ev->joined.name, ev->joined.fpr, false);
		ui_line(ui, SB_JOIN, "%s joined (%s)", or(ev->joined.name, "?"),
		    or(ev->joined.fpr, "?"));
		break;
	case CLIENT_EV_LEFT:
		member_remove(ui, ev->left.fpr);
		ui_line(ui, SB_LEFT, "%s left", or(ev->left.name, "?"));
		break;
	case CLIENT_EV_MESSAGE: on_message(ui, &ev->message); break;
	case CLIENT_EV_MEMBERS: on_members(ui, &ev->members); break;
	case CLIENT_EV_REJECTED: on_rejected(ui, &ev->rejected); break;
	case CLIENT_EV_ERROR: on_error(ui, &ev->error); break;
	case CLIENT_EV_DISCONNECTED: on_disconnected(ui, &ev->disconnected); break;
	case CLIENT_EV_STATUS: on_status(ui, &ev->status); break;
	}
}

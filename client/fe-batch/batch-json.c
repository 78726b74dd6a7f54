/* SPDX-License-Identifier: ISC */
/* batch-json.c: every core event, and the batch front-end's own answers, as one line of JSON (docs/batch.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "cmd.h"
#include "json.h"
#include "mediatype.h"

static int
put_s(struct sotto_wbuf *o, const char *key, const char *s)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	if (s == NULL)
		return sotto_wbuf_put(o, "null", 4);
	return sotto_json_str(o, s, strlen(s));
}

static int
put_u(struct sotto_wbuf *o, const char *key, uint64_t v)
{
	char num[24];
	int r, n;

	n = snprintf(num, sizeof(num), "%" PRIu64, v);
	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_wbuf_put(o, num, (size_t)n);
}

static int put_bool(struct sotto_wbuf *o, const char *key, bool v);

/* A JSON number with `decimals` digits after the point (rate, eta). */
static int
put_d(struct sotto_wbuf *o, const char *key, double v, int decimals)
{
	char num[48];
	int r, n;

	if (!(v > -1e15 && v < 1e15))
		v = -1;
	n = snprintf(num, sizeof(num), "%.*f", decimals, v);
	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_wbuf_put(o, num, (size_t)n);
}
static int open_event(struct sotto_wbuf *o, const char *name);

static int
put_members(struct sotto_wbuf *o, const struct client_member *m, size_t n)
{
	size_t i;
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "members")) != 0 ||
	    (r = sotto_wbuf_u8(o, '[')) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (r = sotto_wbuf_u8(o, ',')) != 0) ||
		    (r = sotto_wbuf_u8(o, '{')) != 0 ||
		    (r = sotto_json_key(o, "name")) != 0 ||
		    (r = sotto_json_str(o, m[i].name, strlen(m[i].name))) != 0 ||
		    (r = put_s(o, "fingerprint", m[i].fpr)) != 0 ||
		    (r = put_u(o, "sessions", m[i].sessions ? m[i].sessions : 1)) != 0 ||
		    (m[i].away != NULL && (r = put_s(o, "away", m[i].away)) != 0) ||
		    (r = sotto_wbuf_u8(o, '}')) != 0)
			return r;
	}
	return sotto_wbuf_u8(o, ']');
}

static int
put_text(struct sotto_wbuf *o, const char *key, const char *s, size_t n)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_json_str(o, s != NULL ? s : "", s != NULL ? n : 0);
}

/* /who's untrusted readers: fingerprint, sessions. */
static int
put_readers(struct sotto_wbuf *o, const struct client_reader *u, size_t n)
{
	size_t i;
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "untrusted")) != 0 ||
	    (r = sotto_wbuf_u8(o, '[')) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (r = sotto_wbuf_u8(o, ',')) != 0) ||
		    (r = sotto_wbuf_u8(o, '{')) != 0 ||
		    (r = sotto_json_key(o, "fingerprint")) != 0 ||
		    (r = sotto_json_str(o, u[i].fpr, strlen(u[i].fpr))) != 0 ||
		    (r = put_u(o, "sessions", u[i].sessions)) != 0 ||
		    (r = sotto_wbuf_u8(o, '}')) != 0)
			return r;
	}
	return sotto_wbuf_u8(o, ']');
}

/* action, quit-message: a member's text of that kind. */
static int
put_text_event(struct sotto_wbuf *o, const char *event,
    const struct client_ev_message *m)
{
	int r;

	if ((r = open_event(o, event)) != 0 ||
	    (r = put_s(o, "name", m->name)) != 0 ||
	    (r = put_s(o, "fingerprint", m->fpr)) != 0 ||
	    (r = put_text(o, "text", m->text, m->text_len)) != 0)
		return r;
	return put_u(o, "ts", m->ts);
}

/* The events of presence and trust (docs/batch.md). */
static int
presence_body(struct sotto_wbuf *o, const struct client_event *ev)
{
	int r;

	switch (ev->type) {
	case CLIENT_EV_AWAY:
		if ((r = open_event(o, "away")) != 0 ||
		    (r = put_s(o, "name", ev->away.name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->away.fpr)) != 0 ||
		    (r = put_bool(o, "away", ev->away.away)) != 0 ||
		    (r = put_text(o, "reason", ev->away.reason, ev->away.reason_len)) != 0)
			return r;
		return put_u(o, "ts", ev->away.ts);
	case CLIENT_EV_UNTRUSTED_JOINED:
		if ((r = open_event(o, "untrusted-joined")) != 0 ||
		    (r = put_s(o, "fingerprint", ev->untrusted.fpr)) != 0)
			return r;
		return put_u(o, "sessions", ev->untrusted.sessions);
	case CLIENT_EV_UNTRUSTED_LEFT:
		if ((r = open_event(o, "untrusted-left")) != 0)
			return r;
		return put_s(o, "fingerprint", ev->untrusted.fpr);
	case CLIENT_EV_WAITING_KEY:
		if ((r = open_event(o, "waiting-key")) != 0 ||
		    (r = put_s(o, "asked", ev->waiting_key.asked)) != 0 ||
		    (r = put_s(o, "asked_fingerprint", ev->waiting_key.asked_fpr)) != 0)
			return r;
		return put_s(o, "fingerprint", ev->waiting_key.fpr);
	default:
		return 1;
	}
}

static int
open_event(struct sotto_wbuf *o, const char *name)
{
	int r;

	if ((r = sotto_wbuf_u8(o, '{')) != 0 ||
	    (r = sotto_json_key(o, "event")) != 0)
		return r;
	return sotto_json_str(o, name, strlen(name));
}

static int
put_bool(struct sotto_wbuf *o, const char *key, bool v)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_wbuf_put(o, v ? "true" : "false", v ? 4 : 5);
}

/* joined, left: who. */
static int
put_member_event(struct sotto_wbuf *o, const char *event, const char *name,
    const char *fpr)
{
	int r;

	if ((r = open_event(o, event)) != 0 || (r = put_s(o, "name", name)) != 0)
		return r;
	return put_s(o, "fingerprint", fpr);
}

/* rejected, error, notice: a reason word and a detail ("" when none). */
static int
put_reason_event(struct sotto_wbuf *o, const char *event, const char *reason,
    const char *detail)
{
	int r;

	if ((r = open_event(o, event)) != 0 || (r = put_s(o, "reason", reason)) != 0)
		return r;
	return put_s(o, "detail", detail ? detail : "");
}

/* The events of a file transfer (docs/batch.md "Files"). */
static int
file_body(struct sotto_wbuf *o, enum client_event_type t,
    const struct client_ev_file *f)
{
	const char *media = sotto_mediatype_name((enum sotto_mediatype)f->media);
	int r;

	switch (t) {
	case CLIENT_EV_FILE_OFFER:
		if ((r = open_event(o, "file-offer")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_s(o, "name", f->name)) != 0 ||
		    (r = put_s(o, "fingerprint", f->fpr)) != 0 ||
		    (r = put_s(o, "file", f->file_name)) != 0 ||
		    (r = put_u(o, "size", f->size)) != 0 ||
		    (r = put_s(o, "sha256", f->sha256)) != 0 ||
		    (r = put_s(o, "media", media)) != 0 ||
		    (r = put_bool(o, "private", f->private_)) != 0 ||
		    (r = put_bool(o, "outgoing", f->outgoing)) != 0 ||
		    (r = put_bool(o, "auto", f->auto_accepted)) != 0)
			return r;
		return put_bool(o, "waiting", f->waiting);
	case CLIENT_EV_FILE_PROGRESS:
		if ((r = open_event(o, "file-progress")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_bool(o, "outgoing", f->outgoing)) != 0 ||
		    (r = put_u(o, "done", f->done)) != 0 ||
		    (r = put_u(o, "size", f->size)) != 0 ||
		    (r = put_d(o, "rate", f->rate, 0)) != 0)
			return r;
		return put_d(o, "eta", f->eta, 1);
	case CLIENT_EV_FILE_RECEIVED:
		if ((r = open_event(o, "file-received")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_s(o, "name", f->name)) != 0 ||
		    (r = put_s(o, "fingerprint", f->fpr)) != 0 ||
		    (r = put_s(o, "file", f->file_name)) != 0 ||
		    (r = put_s(o, "path", f->path)) != 0 ||
		    (r = put_u(o, "size", f->size)) != 0 ||
		    (r = put_s(o, "sha256", f->sha256)) != 0 ||
		    (r = put_s(o, "media", media)) != 0)
			return r;
		return put_bool(o, "private", f->private_);
	case CLIENT_EV_FILE_SENT:
		if ((r = open_event(o, "file-sent")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_s(o, "name", f->name)) != 0 ||
		    (r = put_s(o, "fingerprint", f->fpr)) != 0)
			return r;
		return put_s(o, "file", f->file_name);
	case CLIENT_EV_FILE_HASHING:
		if ((r = open_event(o, "file-hashing")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_s(o, "name", f->name)) != 0 ||
		    (r = put_s(o, "file", f->file_name)) != 0 ||
		    (r = put_u(o, "size", f->size)) != 0)
			return r;
		return put_bool(o, "private", f->private_);
	case CLIENT_EV_FILE_FAILED:
	case CLIENT_EV_FILE_INTERRUPTED:
		if ((r = open_event(o, t == CLIENT_EV_FILE_FAILED ? "file-failed" :
		    "file-interrupted")) != 0 ||
		    (r = put_u(o, "n", f->n)) != 0 ||
		    (r = put_bool(o, "outgoing", f->outgoing)) != 0 ||
		    (r = put_s(o, "name", f->name)) != 0 ||
		    (r = put_s(o, "file", f->file_name)) != 0 ||
		    (t == CLIENT_EV_FILE_FAILED &&
		    (r = put_s(o, "reason", f->reason)) != 0))
			return r;
		return put_s(o, "detail", f->detail ? f->detail : "");
	default:
		return 1;
	}
}

static const char *
history_kind_word(int kind)
{
	switch (kind) {
	case CLIENT_HIST_MESSAGE: return "message";
	case CLIENT_HIST_JOINED:  return "joined";
	case CLIENT_HIST_LEFT:    return "left";
	case CLIENT_HIST_DM:      return "dm";
	case CLIENT_HIST_NOTICE:  return "notice";
	}
	return "unknown";
}

/* {"event":"history","origin":...,"kind":...,"self":...,"name":...,
 *  "fingerprint":...,"text":...,"ts":...}; no text for joined/left; a DM
 *  (/history NAME) ends with "peer":NAME, the member it is with. */
static int
history_body(struct sotto_wbuf *o, const struct client_ev_history *h)
{
	int r;

	if ((r = open_event(o, "history")) != 0 ||
	    (r = put_s(o, "origin", h->origin ? h->origin : "history")) != 0 ||
	    (r = put_s(o, "kind", history_kind_word(h->kind))) != 0 ||
	    (r = put_bool(o, "self", h->self)) != 0 ||
	    (r = put_s(o, "name", h->name)) != 0 ||
	    (r = put_s(o, "fingerprint", h->fpr)) != 0)
		return r;
	if (h->kind != CLIENT_HIST_JOINED && h->kind != CLIENT_HIST_LEFT &&
	    ((r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "text")) != 0 ||
	    (r = sotto_json_str(o, h->text ? h->text : "", h->text ? h->text_len : 0)) != 0))
		return r;
	if ((r = put_u(o, "ts", h->ts)) != 0 || h->peer == NULL)
		return r;
	return put_s(o, "peer", h->peer);
}

static int
event_body(struct sotto_wbuf *o, const struct client_event *ev)
{
	int r;

	switch (ev->type) {
	case CLIENT_EV_CONNECTED:
		if ((r = open_event(o, "connected")) != 0 ||
		    (r = put_s(o, "relay", ev->connected.relay)) != 0)
			return r;
		return put_s(o, "room", ev->connected.room);
	case CLIENT_EV_READY:
		if ((r = open_event(o, "ready")) != 0 ||
		    (r = put_s(o, "room", ev->ready.room)) != 0 ||
		    (r = put_u(o, "epoch", ev->ready.epoch)) != 0 ||
		    (r = put_bool(o, "first", ev->ready.first)) != 0)
			return r;
		return put_members(o, ev->ready.members, ev->ready.n_members);
	case CLIENT_EV_JOINED:
		return put_member_event(o, "joined", ev->joined.name, ev->joined.fpr);
	case CLIENT_EV_LEFT:
		return put_member_event(o, "left", ev->left.name, ev->left.fpr);
	case CLIENT_EV_MESSAGE:
		if ((r = open_event(o, "message")) != 0 ||
		    (r = put_s(o, "name", ev->message.name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->message.fpr)) != 0 ||
		    (r = sotto_wbuf_u8(o, ',')) != 0 ||
		    (r = sotto_json_key(o, "text")) != 0 ||
		    (r = sotto_json_str(o, ev->message.text, ev->message.text_len)) != 0 ||
		    (r = put_u(o, "ts", ev->message.ts)) != 0)
			return r;
		if (!ev->message.dm)
			return 0;
		if ((r = put_bool(o, "private", true)) != 0)
			return r;
		return put_s(o, "to", ev->message.to);
	case CLIENT_EV_MEMBERS:
		if ((r = open_event(o, "members")) != 0 ||
		    (r = put_members(o, ev->members.members, ev->members.n_members)) != 0)
			return r;
		return put_readers(o, ev->members.readers, ev->members.n_readers);
	case CLIENT_EV_REJECTED:
		/* untrusted-key names the key, for a bot to decide whether to trust it */
		if (ev->rejected.fpr != NULL && ev->rejected.name == NULL) {
			if ((r = open_event(o, "rejected")) != 0 ||
			    (r = put_s(o, "reason", ev->rejected.reason)) != 0 ||
			    (r = put_s(o, "fingerprint", ev->rejected.fpr)) != 0)
				return r;
			return put_s(o, "detail", ev->rejected.detail ? ev->rejected.detail : "");
		}
		return put_reason_event(o, "rejected", ev->rejected.reason,
		    ev->rejected.detail);
	case CLIENT_EV_ACTION:
		return put_text_event(o, "action", &ev->message);
	case CLIENT_EV_QUIT_MESSAGE:
		return put_text_event(o, "quit-message", &ev->message);
	case CLIENT_EV_NOTICE:
		/* wire-v1 §6: `text`; with a reason, also as the front-end's own
		 * notices are (reason, detail). */
		if ((r = open_event(o, "notice")) != 0 ||
		    (ev->notice.reason != NULL &&
		    ((r = put_s(o, "reason", ev->notice.reason)) != 0 ||
		    (r = put_s(o, "detail", ev->notice.text)) != 0)))
			return r;
		return put_s(o, "text", ev->notice.text);
	case CLIENT_EV_AWAY:
	case CLIENT_EV_UNTRUSTED_JOINED:
	case CLIENT_EV_UNTRUSTED_LEFT:
	case CLIENT_EV_WAITING_KEY:
		return presence_body(o, ev);
	case CLIENT_EV_ERROR:
		return put_reason_event(o, "error", ev->error.reason, ev->error.detail);
	case CLIENT_EV_DISCONNECTED:
		if ((r = open_event(o, "disconnected")) != 0)
			return r;
		return put_s(o, "reason", ev->disconnected.reason);
	case CLIENT_EV_STATUS:
		/* Only notices are news to a bot (a failed SIGHUP reload, a
		 * skipped trusted file, ssh-agent failing, the history, held
		 * lines), not state changes. */
		if (ev->status.reason == NULL)
			return 1;
		return put_reason_event(o, "notice", ev->status.reason,
		    ev->status.detail);
	case CLIENT_EV_REKEYED:
		if ((r = open_event(o, "rekeyed")) != 0 ||
		    (r = put_u(o, "epoch", ev->rekeyed.epoch)) != 0)
			return r;
		return put_s(o, "reason", ev->rekeyed.reason);
	case CLIENT_EV_HISTORY:
		return history_body(o, &ev->history);
	case CLIENT_EV_FILE_OFFER:
	case CLIENT_EV_FILE_PROGRESS:
	case CLIENT_EV_FILE_RECEIVED:
	case CLIENT_EV_FILE_SENT:
	case CLIENT_EV_FILE_FAILED:
	case CLIENT_EV_FILE_INTERRUPTED:
	case CLIENT_EV_FILE_HASHING:
		return file_body(o, ev->type, &ev->file);
	}
	return 1;
}

int
batch_event_json(struct sotto_wbuf *out, const struct client_event *ev)
{
	size_t start = out->len;
	int r;

	if ((r = event_body(out, ev)) != 0 ||
	    (r = sotto_wbuf_put(out, "}\n", 2)) != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
batch_notice_json(struct sotto_wbuf *out, const char *reason,
    const char *detail, size_t detail_len)
{
	size_t start = out->len;
	int r;

	if ((r = open_event(out, "notice")) != 0 ||
	    (r = put_s(out, "reason", reason)) != 0 ||
	    (r = sotto_wbuf_u8(out, ',')) != 0 ||
	    (r = sotto_json_key(out, "detail")) != 0 ||
	    (r = sotto_json_str(out, detail, detail_len)) != 0 ||
	    (r = sotto_wbuf_put(out, "}\n", 2)) != 0)
		out->len = start;
	return r;
}

/* Wrap one object body in its braces and newline; nothing written on error. */
static int
finish(struct sotto_wbuf *out, size_t start, int r)
{
	if (r == 0)
		r = sotto_wbuf_put(out, "}\n", 2);
	if (r != 0)
		out->len = start;
	return r;
}

int
batch_fingerprint_json(struct sotto_wbuf *out, const char *fpr)
{
	size_t start = out->len;
	int r;

	if ((r = open_event(out, "fingerprint")) == 0)
		r = put_s(out, "fingerprint", fpr);
	return finish(out, start, r);
}

/* Batch's own file commands (batch_file_cmd, batch-input.c), listed
 * after the shared table's. */
static const char *const file_cmds[][2] = {
	{ "/send", "a file to the room, or with a NAME first to that member alone" },
	{ "/accept", "take file offer N" },
	{ "/cancel", "stop file transfer N, either way" },
};

int
batch_help_json(struct sotto_wbuf *out)
{
	size_t start = out->len;
	size_t i, listed = 0;
	int r;

	if ((r = open_event(out, "help")) != 0 ||
	    (r = sotto_wbuf_u8(out, ',')) != 0 ||
	    (r = sotto_json_key(out, "commands")) != 0 ||
	    (r = sotto_wbuf_u8(out, '[')) != 0)
		return finish(out, start, r);
	for (i = 0; i < fe_cmds_n && r == 0; i++) {
		char cmd[32];
		int n = snprintf(cmd, sizeof(cmd), "/%s", fe_cmds[i].name);

		if (fe_cmds[i].ui_only)
			continue;
		if ((listed++ > 0 && (r = sotto_wbuf_u8(out, ',')) != 0) ||
		    (r = sotto_wbuf_u8(out, '{')) != 0 ||
		    (r = sotto_json_key(out, "command")) != 0 ||
		    (r = sotto_json_str(out, cmd, (size_t)n)) != 0 ||
		    (r = put_s(out, "help", fe_cmds[i].help)) != 0)
			break;
		r = sotto_wbuf_u8(out, '}');
	}
	for (i = 0; i < sizeof(file_cmds) / sizeof(file_cmds[0]) && r == 0; i++) {
		if ((listed++ > 0 && (r = sotto_wbuf_u8(out, ',')) != 0) ||
		    (r = sotto_wbuf_u8(out, '{')) != 0 ||
		    (r = sotto_json_key(out, "command")) != 0 ||
		    (r = sotto_json_str(out, file_cmds[i][0], strlen(file_cmds[i][0]))) != 0 ||
		    (r = put_s(out, "help", file_cmds[i][1])) != 0)
			break;
		r = sotto_wbuf_u8(out, '}');
	}
	if (r == 0)
		r = sotto_wbuf_u8(out, ']');
	return finish(out, start, r);
}

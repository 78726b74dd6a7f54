/* SPDX-License-Identifier: ISC */
/* histlog.c: the core's use of the history store: open it for the identity, store what is shown before it is shown, replay, search, forget.
 *
 * Store-then-show: every message, join and leave is written (its own WAL
 * transaction) before the event reaches the front-end, and our own line
 * when it is queued, before the front-end echoes it; so a client killed
 * at any moment has stored everything it had shown. Direct messages (ours
 * as their echo, after they were sealed and sent, and the peer's) are
 * stored the same way, as rows of the room bound to the other member's
 * fingerprint (history.h), and read back per conversation.
 *
 * A store that cannot be used (corrupt, locked by another client of this
 * identity, full disk, unreadable, another identity's file) never stops
 * the chat: the one line from history.c is handed to the user once (a
 * `notice` with reason "history") and the client goes on without history.
 *
 * The key input is the history root (history.h): the identity signs
 * HISTORY_ROOT_CHALLENGE and the signature is hashed. With a key held by
 * ssh-agent the same signature comes from the agent (Ed25519 signatures
 * are deterministic), so the history opens the same way.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "trust.h"
#include "xfer.h"

/* A stored file line: a file name (sanitised, SOTTO_FNAME_MAX), a size,
 * a member's name (XFER_NAME_MAX) and a path (PATH_MAX). */
#define HISTLOG_FILE_TEXT   (SOTTO_FNAME_MAX + XFER_NAME_MAX + PATH_MAX + 64u)
_Static_assert(HISTLOG_FILE_TEXT <= HISTORY_TEXT_MAX, "a file line fits a record");

/* One line for the user, once per cause. */
static void
hist_notice(struct client *c, const char *detail)
{
	struct client_event ev = { .type = CLIENT_EV_STATUS, .status = {
	    .state = "history", .reason = "history", .detail = detail } };

	core_emit(c, &ev);
}

/* The root from the identity's signature over the fixed challenge: made
 * by the key file, or by ssh-agent (a blocking request at start, before
 * any frame is signed; signer.c). */
static int
hist_root(struct client *c, uint8_t *root, char *err, size_t err_len)
{
	uint8_t *sig = sotto_secure_alloc(SOTTO_ED25519_SIG);
	int r;

	if (sig == NULL) {
		snprintf(err, err_len, "out of secure memory");
		return SOTTO_E_ALLOC;
	}
	r = signer_sign_now(c, HISTORY_ROOT_CHALLENGE,
	    strlen(HISTORY_ROOT_CHALLENGE), sig, SOTTO_AGENT_FIND_TIMEOUT_MS, err,
	    err_len);
	if (r == 0)
		history_root_from_sig(root, sig);
	sotto_secure_free(sig, SOTTO_ED25519_SIG);
	return r;
}

void
histlog_open(struct client *c, const struct client_config *cfg)
{
	struct history_opts o = { 0, 0 };
	uint8_t *root;
	char path[4096], why[256];

	c->hist_restore = cfg->history_restore;
	if (cfg->no_history)
		return;
	o.max_age_ms = (uint64_t)(cfg->history_days * 86400.0 * 1000.0);
	o.max_bytes = cfg->history_max_bytes;
	if ((root = sotto_secure_alloc(HISTORY_ROOT_LEN)) == NULL) {
		snprintf(c->hist_err, sizeof(c->hist_err), "history: out of secure "
		    "memory; chatting without history");
		return;
	}
	if (hist_root(c, root, why, sizeof(why)) != 0)
		snprintf(c->hist_err, sizeof(c->hist_err), "history: the identity "
		    "could not sign the history challenge (%s); chatting without "
		    "history", why);
	else if (cfg->history_path != NULL)
		(void)history_open(&c->hist, cfg->history_path, root, &o, c->hist_err,
		    sizeof(c->hist_err));
	else if (history_default_path(path, sizeof(path), root, c->hist_err,
	    sizeof(c->hist_err)) == 0)
		(void)history_open(&c->hist, path, root, &o, c->hist_err,
		    sizeof(c->hist_err));
	sotto_secure_free(root, HISTORY_ROOT_LEN);
}

void
histlog_free(struct client *c)
{
	history_free(c->hist);
	c->hist = NULL;
}

/* A failed write switched the store off: say so once. */
static void
hist_failed(struct client *c, int r)
{
	if (r == 0 || r == HISTORY_E_INVAL || c->hist_err_told)
		return;
	c->hist_err_told = true;
	hist_notice(c, history_errmsg(c->hist));
}

/* Store one record of the room (kind: enum history_kind, not HISTORY_DM:
 * histlog_dm). The hook for records that are not events of today's core:
 * notices shown to the user (HISTORY_NOTE). */
void
histlog_add(struct client *c, int kind, bool self, const char *name,
    const char *fpr, const char *text, size_t len, uint64_t ts_ms)
{
	struct history_entry e = {
		.ts_ms = ts_ms, .kind = kind, .self = self, .name = (char *)name,
		.fpr = (char *)fpr, .text = (char *)text, .text_len = len,
	};

	if (!history_on(c->hist))
		return;
	hist_failed(c, history_add(c->hist, c->room_str, &e));
}

/* Store e as a row of the DM conversation with peer; its row id is kept
 * (hist_dm_showing) until the front-end has seen the event, so the view
 * the event opens does not replay it. */
static void
store_dm(struct client *c, const char *peer, const struct history_entry *e)
{
	int64_t id = 0;

	c->hist_dm_showing = 0;
	if (!history_on(c->hist) || peer == NULL)
		return;
	hist_failed(c, history_add_dm(c->hist, c->room_str, peer, e, &id));
	if (id > 0)
		c->hist_dm_showing = id;
}

/* A direct message shown: ours (its echo: the conversation is with `to`)
 * or the peer's. */
static void
histlog_dm(struct client *c, const struct client_ev_message *m)
{
	bool self = m->fpr != NULL && strcmp(m->fpr, c->fpr_str) == 0;
	const char *peer = self ? m->to_fpr : m->fpr;
	struct history_entry e = {
		.ts_ms = m->ts_ms ? m->ts_ms : core_now_ms(), .kind = HISTORY_DM,
		.self = self, .name = (char *)m->name, .fpr = (char *)m->fpr,
		.text = (char *)m->text, .text_len = m->text_len,
	};

	store_dm(c, peer, &e);
}

/* A finished file transfer as one stored line (docs/ui.md "History"): a
 * room file's a HISTORY_NOTE of the room, a DM file's a HISTORY_DM of the
 * conversation with the other member (its row id kept, as a DM's, until
 * the front-end has seen the event). name and fpr: who sent the file;
 * peer: the other member of a DM file, NULL for a room file. The file
 * name was sanitised by the file code (fname.c); text is at most
 * HISTLOG_FILE_TEXT bytes, well below HISTORY_TEXT_MAX. */
static void
histlog_file(struct client *c, bool private_, bool self, const char *name,
    const char *fpr, const char *peer, const char *text)
{
	struct history_entry e = {
		.ts_ms = core_now_ms(), .kind = private_ ? HISTORY_DM : HISTORY_NOTE,
		.self = self, .name = (char *)name, .fpr = (char *)fpr,
		.text = (char *)text, .text_len = strlen(text),
	};

	if (private_)
		store_dm(c, peer, &e);
	else if (history_on(c->hist))
		hist_failed(c, history_add(c->hist, c->room_str, &e));
}

/* The stored file line as plain text. The file name is sanitised already
 * (fname.c); a member's name (UTF-8 without control characters, but
 * chosen in the trusted folder) or the download folder's path may hold
 * bidi controls or invisible format characters: the file-name rules drop
 * them and make a control character or a byte that is not UTF-8 '_',
 * keeping the path's separators. In place: the text never grows. */
static void
file_text_clean(char *s)
{
	s[sotto_fname_filter((const uint8_t *)s, strlen(s), (uint8_t *)s,
	    SOTTO_FNAME_KEEP_SEP)] = '\0';
}

/* A file we received (CLIENT_EV_FILE_RECEIVED): "sent NAME, SIZE, saved
 * as PATH", from its sender. */
static void
histlog_file_received(struct client *c, const struct client_ev_file *f)
{
	char size[32], text[HISTLOG_FILE_TEXT];

	if (f->name == NULL || f->fpr == NULL || f->file_name == NULL)
		return;
	xfer_human(f->size, size, sizeof(size));
	snprintf(text, sizeof(text), "sent %s, %s, saved as %s", f->file_name,
	    size, f->path != NULL ? f->path : "?");
	file_text_clean(text);
	histlog_file(c, f->private_, false, f->name, f->fpr, f->fpr, text);
}

/* A file we sent, at its first CLIENT_EV_FILE_SENT (xfer-send.c calls this
 * once per transfer, before that event is emitted): "sent NAME, SIZE, to
 * bob", or for a room file "to the room: bob had it first". */
void
histlog_file_sent(struct client *c, bool private_, const char *file_name,
    uint64_t bytes, const char *to_name, const char *to_fpr)
{
	char size[32], text[HISTLOG_FILE_TEXT];

	if (c->hist == NULL || file_name == NULL || to_name == NULL)
		return;
	xfer_human(bytes, size, sizeof(size));
	if (private_)
		snprintf(text, sizeof(text), "sent %s, %s, to %s", file_name, size,
		    to_name);
	else
		snprintf(text, sizeof(text), "sent %s, %s, to the room: %s had it "
		    "first", file_name, size, to_name);
	file_text_clean(text);
	histlog_file(c, private_, true, c->self_name, c->fpr_str, to_fpr, text);
}

/* From core_emit, before the front-end sees the event. */
void
histlog_event(struct client *c, const struct client_event *ev)
{
	if (c->hist == NULL)
		return;
	switch (ev->type) {
	case CLIENT_EV_MESSAGE:
		if (ev->message.dm) {
			histlog_dm(c, &ev->message);
			break;
		}
		histlog_add(c, HISTORY_MSG, false, ev->message.name, ev->message.fpr,
		    ev->message.text, ev->message.text_len, ev->message.ts_ms ?
		    ev->message.ts_ms : core_now_ms());
		break;
	case CLIENT_EV_JOINED:
		histlog_add(c, HISTORY_JOIN, false, ev->joined.name, ev->joined.fpr,
		    NULL, 0, core_now_ms());
		break;
	case CLIENT_EV_LEFT:
		histlog_add(c, HISTORY_LEAVE, false, ev->left.name, ev->left.fpr, NULL,
		    0, core_now_ms());
		break;
	case CLIENT_EV_FILE_RECEIVED:
		histlog_file_received(c, &ev->file);
		break;
	default:
		break;
	}
}

void
histlog_shown(struct client *c, const struct client_event *ev)
{
	if ((ev->type == CLIENT_EV_MESSAGE && ev->message.dm) ||
	    ((ev->type == CLIENT_EV_FILE_RECEIVED ||
	    ev->type == CLIENT_EV_FILE_SENT) && ev->file.private_))
		c->hist_dm_showing = 0;
}

/* Our own line, as it is queued. */
void
histlog_sent(struct client *c, const char *text, size_t len)
{
	histlog_add(c, HISTORY_MSG, true, c->self_name, c->fpr_str, text, len,
	    core_now_ms());
}

static void
emit_entries(struct client *c, const struct history_list *l, const char *origin,
    const char *peer)
{
	struct client_event ev;
	size_t i;

	for (i = 0; i < l->n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = CLIENT_EV_HISTORY;
		ev.history.origin = origin;
		ev.history.kind = l->e[i].kind;
		ev.history.self = l->e[i].self;
		ev.history.name = l->e[i].name;
		ev.history.fpr = l->e[i].fpr;
		ev.history.text = l->e[i].text;
		ev.history.text_len = l->e[i].text_len;
		ev.history.ts = l->e[i].ts_ms / 1000u;
		ev.history.ts_ms = l->e[i].ts_ms;
		ev.history.peer = peer;
		core_emit(c, &ev);
	}
	if (l->refused > 0) {
		char line[160];

		snprintf(line, sizeof(line), "%zu stored line%s failed the integrity "
		    "check and %s not shown", l->refused, l->refused == 1 ? "" : "s",
		    l->refused == 1 ? "was" : "were");
		hist_notice(c, line);
	}
}

/* The store's state for the user: the opening error once, if any. 0 when
 * the store is on. */
static int
hist_ready(struct client *c)
{
	if (history_on(c->hist))
		return 0;
	if (c->hist_err[0] != '\0' && !c->hist_err_told) {
		c->hist_err_told = true;
		hist_notice(c, c->hist_err);
	}
	return HISTORY_E_OFF;
}

int
client_history_replay(struct client *c, size_t n, const char *origin)
{
	struct history_list l;
	int r;

	if ((r = hist_ready(c)) != 0 || n == 0)
		return r;
	if ((r = history_last(c->hist, c->room_str, n, &l)) != 0) {
		hist_failed(c, r);
		return r;
	}
	emit_entries(c, &l, origin, NULL);
	history_list_free(&l);
	return 0;
}

int
client_history_start(struct client *c)
{
	return client_history_replay(c, c->hist_restore, "restore");
}

/* Matches (newest first from the store) shown oldest first; the count. */
static int
emit_search(struct client *c, struct history_list *l, const char *peer)
{
	size_t i;
	int r;

	for (i = 0; i < l->n / 2; i++) {
		struct history_entry t = l->e[i];

		l->e[i] = l->e[l->n - 1 - i];
		l->e[l->n - 1 - i] = t;
	}
	emit_entries(c, l, "search", peer);
	r = (int)l->n;
	history_list_free(l);
	return r;
}

int
client_history_search(struct client *c, const char *needle, size_t max_hits,
    size_t max_scan, bool *scanned_all)
{
	struct history_list l;
	int r;

	*scanned_all = false;
	if ((r = hist_ready(c)) != 0)
		return r;
	if ((r = history_search(c->hist, c->room_str, needle, max_hits, max_scan,
	    &l, scanned_all)) != 0) {
		hist_failed(c, r);
		return r;
	}
	return emit_search(c, &l, NULL);
}

int
client_history_forget(struct client *c)
{
	int r;

	if ((r = hist_ready(c)) != 0)
		return r;
	if ((r = history_forget(c->hist, c->room_str)) != 0)
		hist_failed(c, r);
	return r;
}

bool
client_history_on(const struct client *c)
{
	return history_on(c->hist);
}

/* The fingerprint string of trusted member name, NULL when there is none
 * (nothing can have been stored for it under this trusted folder). */
static const char *
peer_fpr(const struct client *c, const char *name)
{
	for (size_t i = 0; name != NULL && c->trust != NULL && i < c->trust->n; i++)
		if (strcmp(c->trust->peers[i].name, name) == 0)
			return c->trust->peers[i].fpr_str;
	return NULL;
}

int
client_history_dm_replay(struct client *c, const char *name, size_t n,
    const char *origin)
{
	struct history_list l;
	const char *fpr;
	int r;

	if ((r = hist_ready(c)) != 0 || n == 0 || (fpr = peer_fpr(c, name)) == NULL)
		return r;
	if ((r = history_last_dm(c->hist, c->room_str, fpr, c->hist_dm_showing > 0 ?
	    c->hist_dm_showing : INT64_MAX, n, &l)) != 0) {
		hist_failed(c, r);
		return r;
	}
	emit_entries(c, &l, origin, name);
	history_list_free(&l);
	return 0;
}

int
client_history_dm_search(struct client *c, const char *name, const char *needle,
    size_t max_hits, size_t max_scan, bool *scanned_all)
{
	struct history_list l;
	const char *fpr;
	int r;

	*scanned_all = false;
	if ((r = hist_ready(c)) != 0)
		return r;
	if ((fpr = peer_fpr(c, name)) == NULL) {
		*scanned_all = true;
		return 0;
	}
	if ((r = history_search_dm(c->hist, c->room_str, fpr, needle, max_hits,
	    max_scan, &l, scanned_all)) != 0) {
		hist_failed(c, r);
		return r;
	}
	return emit_search(c, &l, name);
}

int
client_history_dm_forget(struct client *c, const char *name)
{
	const char *fpr;
	int r;

	if ((r = hist_ready(c)) != 0 || (fpr = peer_fpr(c, name)) == NULL)
		return r;
	if ((r = history_forget_dm(c->hist, c->room_str, fpr)) != 0)
		hist_failed(c, r);
	return r;
}

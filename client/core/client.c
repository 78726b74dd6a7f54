/* SPDX-License-Identifier: ISC */
/* client.c: the protocol core's lifecycle and public API: load identity and trust, events, /who, /reload, shutdown. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "pad.h"
#include "trust.h"
#include "utf8.h"

/* --- events -------------------------------------------------------------- */

uint64_t
core_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Oldest signing time we accept from a session not vouched for: our own
 * join minus the allowed clock skew. */
uint64_t
core_min_ts(const struct client *c)
{
	uint64_t skew = (uint64_t)(c->skew * 1000.0);

	return c->join_ts > skew ? c->join_ts - skew : 0;
}

/* Nothing reaches the front-end after client_shutdown, nor between a
 * connection's close and its `disconnected` (core_reap). */
void
core_emit(struct client *c, const struct client_event *ev)
{
	if (c->st == CS_CLOSED || c->closing)
		return;
	dm_on_event(c, ev);
	xfer_on_event(c, ev);
	histlog_event(c, ev);   /* stored before it is shown */
	c->fn(ev, c->ctx);
	histlog_shown(c, ev);
}

void
core_defer(struct client *c)
{
	ev_feed_event(c->loop, &c->reap, EV_CUSTOM);
}

void
core_reap(struct client *c)
{
	conn_reap(c);
	members_reap(c);
	dm_purge(c);
	xfer_reap(c);
}

static void
on_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	core_reap(container_of(w, struct client, reap));
}

void
core_emit_status(struct client *c, const char *state)
{
	struct client_event ev = { .type = CLIENT_EV_STATUS,
	    .status = { .state = state } };

	core_emit(c, &ev);
}

void
core_reject(struct client *c, int verdict, const char *fmt, ...)
{
	struct client_event ev = { .type = CLIENT_EV_REJECTED };
	const char *word = sotto_verdict_word(verdict);
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* A local failure (out of memory) still drops exactly one frame. */
	if (word == NULL) {
		word = "malformed";
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
		    " (local error: %s)", sotto_strerror(verdict));
	}
	ev.rejected.reason = word;
	ev.rejected.detail = detail;
	ev.rejected.quiet = c->quiet_rejects;
	c->n_rejects++;
	c->last_verdict = verdict;
	core_emit(c, &ev);
}

static void notice_v(struct client *c, const char *reason, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* One notice event; reason NULL for a notice without one. */
static void
notice_v(struct client *c, const char *reason, const char *fmt, va_list ap)
{
	struct client_event ev = { .type = CLIENT_EV_NOTICE };
	char text[256];

	vsnprintf(text, sizeof(text), fmt, ap);
	ev.notice.text = text;
	ev.notice.reason = reason;
	core_emit(c, &ev);
}

void
core_notice(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notice_v(c, NULL, fmt, ap);
	va_end(ap);
}

void
core_notice_reason(struct client *c, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notice_v(c, reason, fmt, ap);
	va_end(ap);
}

/* A frame refused because its key is not in the trusted folder: the
 * fingerprint goes in the event too, so a front-end can group by key. */
void
core_reject_key(struct client *c, const uint8_t *pub, const char *what)
{
	struct client_event ev = { .type = CLIENT_EV_REJECTED,
	    .rejected = { .reason = sotto_verdict_word(SOTTO_V_UNTRUSTED) } };
	char fpr[SOTTO_FPR_STR_LEN], detail[256];

	sotto_fingerprint_str(pub, fpr);
	snprintf(detail, sizeof(detail), "%s from %s (not in %s)", what, fpr,
	    c->trusted_path);
	ev.rejected.fpr = fpr;
	ev.rejected.detail = detail;
	core_emit(c, &ev);
}

/* A fatal error: tell the front-end, then stop every watcher so its loop
 * ends. */
void
core_fatal(struct client *c, const char *reason, const char *detail)
{
	struct client_event ev = { .type = CLIENT_EV_ERROR,
	    .error = { .reason = reason, .detail = detail } };

	core_emit(c, &ev);
	client_shutdown(c);
}

/* --- identity and trust -------------------------------------------------- */

/* Our display name: the trusted folder's name for our key, else the
 * identity file's comment, else "me". */
static int
self_name_update(struct client *c)
{
	const struct sotto_peer *p = sotto_trust_find(c->trust, c->pub);
	const char *name = p ? p->name : (c->comment && *c->comment ? c->comment : "me");
	char *dup;

	if ((dup = strdup(name)) == NULL)
		return SOTTO_E_ALLOC;
	free(c->self_name);
	c->self_name = dup;
	return 0;
}

/* One notice per trusted-folder file skipped at a reload. */
static void
trust_warn_emit(struct client *c)
{
	struct client_event ev = { .type = CLIENT_EV_STATUS,
	    .status = { .state = "trust-skipped", .reason = "trust-skipped" } };
	size_t i;

	for (i = 0; i < c->trust->n_warn; i++) {
		ev.status.detail = c->trust->warn[i];
		core_emit(c, &ev);
	}
}

static void
on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct client *c = container_of(w, struct client, sighup);
	char err[512];

	(void)loop;
	(void)revents;
	if (client_reload(c, err, sizeof(err)) != 0) {
		/* Not fatal: the old trusted set stays in force. */
		struct client_event ev = { .type = CLIENT_EV_STATUS,
		    .status = { .state = "reload-failed", .reason = "reload-failed",
		    .detail = err } };

		core_emit(c, &ev);
	}
}

/* Whether a key of `old` is missing from `new`; each one missing starts
 * a wait for a rotation that excludes it (rot_removed). */
static bool
any_removed(struct client *c, const struct sotto_trust *old,
    const struct sotto_trust *new)
{
	bool any = false;
	size_t i;

	for (i = 0; old != NULL && i < old->n; i++)
		if (sotto_trust_find(new, old->peers[i].pub) == NULL) {
			rot_removed(c, old->peers[i].fpr);
			any = true;
		}
	return any;
}

int
client_reload(struct client *c, char *err, size_t err_len)
{
	bool removed;
	struct sotto_trust *t;
	struct member *m, *tmp;
	const struct sotto_peer *p;
	int r;

	if ((r = sotto_trust_load(c->trusted_path, &t, err, err_len)) != 0)
		return r;
	removed = any_removed(c, c->trust, t);
	sotto_trust_free(c->trust);
	c->trust = t;
	(void)self_name_update(c);
	trust_warn_emit(c);
	/* A member no longer trusted is forgotten: not shown, not served. */
	HASH_ITER(hh, c->members, m, tmp) {
		if (m->dead || !m->known)
			continue;
		if ((p = sotto_trust_find(t, m->pub)) != NULL) {
			(void)members_set_peer(m, p);
			continue;
		}
		if (m->shown && presence_other_sessions(c, m) == 0) {
			struct client_event ev = { .type = CLIENT_EV_LEFT,
			    .left = { .name = m->name, .fpr = m->fpr } };

			core_emit(c, &ev);
		}
		if (c->asked == m->id)
			c->asked = 0;
		members_del(c, m);
	}
	/* Whoever was removed may hold our key, here or not: a new one goes
	 * only to the members we still trust. Several members removing the
	 * same key rotate once: by rank, and the first new epoch ends the
	 * others' wait when its removed-list names the key (docs/protocol.md
	 * "v2: rotation", Removal). */
	if (removed)
		rot_trigger(c, "removed", false);
	presence_retrust(c);
	return 0;
}

/* --- lifecycle ----------------------------------------------------------- */

static void
on_rsa(void *ctx)
{
	struct client *c = ctx;

	if (c->dial_on_key && c->st == CS_IDLE) {
		c->dial_on_key = false;
		conn_start(c);
		return;
	}
	sess_rsa_ready(c);
}

static int
config_copy(struct client *c, const struct client_config *cfg, char *err,
    size_t err_len)
{
	const char *room = cfg->room ? cfg->room : "lobby";

	c->identity_path = strdup(cfg->identity ? cfg->identity : "keys/id_ed25519");
	c->trusted_path = strdup(cfg->trusted ? cfg->trusted : "keys/trusted");
	c->relay = strdup(cfg->relay ? cfg->relay : "127.0.0.1:7700");
	if (c->identity_path == NULL || c->trusted_path == NULL || c->relay == NULL) {
		snprintf(err, err_len, "out of memory");
		return SOTTO_E_ALLOC;
	}
	if (relays_parse(c, c->relay) != 0) {
		snprintf(err, err_len, "relay \"%s\": expected HOST:PORT or up to %d "
		    "of them separated by commas", c->relay, CORE_RELAYS_MAX);
		return SOTTO_E_INVAL;
	}
	if (sotto_room_valid(room) != 0) {
		snprintf(err, err_len, "room \"%s\": must be 1..64 bytes of UTF-8 "
		    "without control characters", room);
		return SOTTO_E_ROOM;
	}
	c->room_len = strlen(room);
	memcpy(c->room, room, c->room_len);
	memcpy(c->room_str, room, c->room_len);
	c->room_str[c->room_len] = '\0';
	if (!(cfg->clock_skew >= 0.0 && cfg->clock_skew <= 86400.0)) {
		snprintf(err, err_len, "clock skew %g: must be 0..86400 seconds",
		    cfg->clock_skew);
		return SOTTO_E_INVAL;
	}
	c->skew = cfg->clock_skew;
	if (period_init(c, cfg->rotate_interval, cfg->rotate_messages) != 0) {
		snprintf(err, err_len, "rotation interval %g: must be 0 (off) or "
		    "%.0f..%.0f seconds", cfg->rotate_interval, CLIENT_ROTATE_INTERVAL_MIN,
		    CLIENT_ROTATE_INTERVAL_MAX);
		return SOTTO_E_INVAL;
	}
	c->strict = cfg->strict;
	c->retry = cfg->retry;
	return 0;
}

static int
client_load(struct client *c, const struct client_config *cfg, char *err,
    size_t err_len)
{
	int r;

	if ((r = config_copy(c, cfg, err, err_len)) != 0)
		return r;
	if (c->ident == NULL && (r = sotto_identity_open(c->identity_path,
	    SOTTO_AGENT_AUTO, &c->ident, err, err_len)) != 0)
		return r;
	c->pub = c->ident->pub;
	c->comment = c->ident->comment;
	sotto_fingerprint(c->pub, c->fpr);
	sotto_fingerprint_str(c->pub, c->fpr_str);
	signer_init(c);
	if ((r = sotto_trust_load(c->trusted_path, &c->trust, err, err_len)) != 0)
		return r;
	if ((r = self_name_update(c)) != 0 ||
	    (r = sotto_dat2_rx_new(&c->rx, c->room, c->room_len)) != 0 ||
	    (r = sotto_keyring_new(&c->kr, NULL)) != 0 ||
	    (r = dm_new(c)) != 0 || (r = xfer_new(c, cfg)) != 0) {
		snprintf(err, err_len, "%s", sotto_strerror(r));
		return r;
	}
	return 0;
}

struct client *
client_new(struct ev_loop *loop, const struct client_config *cfg,
    client_event_fn fn, void *ctx, char *err, size_t err_len)
{
	struct client *c;

	if (err_len > 0)
		err[0] = '\0';
	if (sotto_crypto_init() != 0) {
		snprintf(err, err_len, "libgcrypt initialisation failed");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->fn = fn;
	c->ctx = ctx;
	c->fd = -1;
	ev_prepare_init(&c->reap, on_reap);
	c->ident = cfg->ident;     /* ours from here, even on failure */
	outbox_init(&c->ob);
	outage_init(c);
	if (cfg->hold_lines > 0)
		c->og.hold = cfg->hold_lines;
	conn_init(c);
	sess_init(c);
	if (client_load(c, cfg, err, err_len) != 0) {
		client_free(c);
		return NULL;
	}
	histlog_open(c, cfg);
	if ((c->rsagen = rsagen_new(loop, on_rsa, c)) == NULL) {
		snprintf(err, err_len, "out of memory");
		client_free(c);
		return NULL;
	}
	/* The session key takes seconds: conn_start dials once it is made. */
	rsagen_request(c->rsagen);
	ev_signal_init(&c->sighup, on_sighup, SIGHUP);
	ev_signal_start(loop, &c->sighup);
	conn_start(c);
	return c;
}

/* Every watcher stops now (so the loop ends); the socket and the session
 * go at the end of the turn, as a caller up the stack may use them. */
void
client_shutdown(struct client *c)
{
	if (c->st == CS_CLOSED)
		return;
	c->st = CS_CLOSED;
	c->closing = true;
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->conn_timer);
	ev_timer_stop(c->loop, &c->key_timer);
	period_stop(c);
	rot_reset(c);
	outage_stop(c);
	ev_signal_stop(c->loop, &c->sighup);
	rsagen_stop(c->rsagen);
	signer_stop(c);
	xfer_stop(c);
	core_defer(c);
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->loop != NULL && c->st != CS_CLOSED && c->pub != NULL)
		client_shutdown(c);
	if (c->loop != NULL)
		core_reap(c);
	if (c->pub != NULL)
		signer_stop(c);
	rsagen_free(c->rsagen);
	sotto_rsa_free(c->rsa);
	sotto_dat2_tx_free(c->tx);
	sotto_dat2_rx_free(c->rx);
	sotto_keyring_free(c->kr);
	presence_clear(c, false);
	members_clear(c);
	members_reap(c);
	xfer_free(c);
	dm_free(c);
	rsess_free_all(c);
	dat_drop_pending(c, NULL);
	outbox_free(&c->ob);
	histlog_free(c);
	sotto_wbuf_free(&c->out);
	sotto_dec_free(&c->dec);
	sotto_trust_free(c->trust);
	sotto_identity_free(c->ident);   /* the comment is its */
	free(c->self_name);
	free(c->identity_path);
	free(c->trusted_path);
	free(c->relay);
	/* Deleting members fed the reap watcher: no callback on freed memory. */
	if (c->loop != NULL)
		ev_clear_pending(c->loop, &c->reap);
	relays_free(c);
	free(c);
}

/* --- API ----------------------------------------------------------------- */

int
client_send(struct client *c, uint8_t ctype, const char *text, size_t len)
{
	size_t max = SOTTO_TEXT_MAX;
	int r;

	switch (ctype) {
	case SOTTO_CT_TEXT: case SOTTO_CT_ACTION: break;
	case SOTTO_CT_AWAY: case SOTTO_CT_QUIT: max = SOTTO_AWAY_MAX; break;
	default: return SOTTO_E_INVAL;
	}
	if (len > max)
		return SOTTO_E_TOOLONG;
	if (sotto_utf8_valid((const uint8_t *)text, len) != 0)
		return SOTTO_E_FORMAT;
	if (c->st == CS_CLOSED)
		return SOTTO_E_INVAL;
	if (c->strict && c->n_readers > 0)
		return CLIENT_E_STRICT;
	if ((r = outbox_push(&c->ob, ctype, text, len)) != 0)
		return r;
	if (ctype == SOTTO_CT_TEXT)   /* presence and /me are not history */
		histlog_sent(c, text, len);
	outage_typed(c, outbox_last(&c->ob));
	signer_retry(c);   /* after an ssh-agent failure: try it again */
	dat_pump(c);
	return 0;
}

bool
client_trusts_name(const struct client *c, const char *name)
{
	for (size_t i = 0; c->trust != NULL && i < c->trust->n; i++)
		if (strcmp(c->trust->peers[i].name, name) == 0)
			return true;
	return false;
}

size_t
client_trust_skipped(const struct client *c, const char *const **warn,
    size_t *n_warn)
{
	if (warn != NULL)
		*warn = (const char *const *)c->trust->warn;
	if (n_warn != NULL)
		*n_warn = c->trust->n_warn;
	return c->trust->n_skipped;
}

bool
client_uses_agent(const struct client *c)
{
	return signer_agent(c);
}

int
client_send_text(struct client *c, const char *text, size_t len)
{
	return client_send(c, SOTTO_CT_TEXT, text, len);
}

void
client_who(struct client *c)
{
	struct client_event ev = { .type = CLIENT_EV_MEMBERS };
	struct client_reader *r;
	struct client_member *l;
	size_t n, nr;

	if ((l = members_list(c, &n)) == NULL)
		return;
	r = presence_readers(c, &nr);
	ev.members.members = l;
	ev.members.n_members = n;
	ev.members.readers = r;
	ev.members.n_readers = r != NULL ? nr : 0;
	core_emit(c, &ev);
	presence_readers_free(r, nr);
	members_list_free(l, n);
}

const char *
client_fingerprint(const struct client *c)
{
	return c->fpr_str;
}

bool
client_drained(const struct client *c)
{
	return outbox_empty(&c->ob) && c->out.len == 0 && c->sig_n == 0;
}

bool
client_leave(struct client *c)
{
	if (c->left_sent || c->st != CS_READY || c->closing)
		return false;
	c->left_sent = true;
	sess_leave(c);
	return true;
}

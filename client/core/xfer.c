/* SPDX-License-Identifier: ISC */
/* xfer.c: file transfer (docs/protocol.md "Files"): the table of transfers both ways, their events, the tick that notices cuts, stalls and timeouts, the public API and the dispatch of FOFFER/FCHUNK/FCTL bodies to the sending (xfer-send.c) or receiving (xfer-recv.c) side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "trust.h"
#include "xfer.h"

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents);
static void on_pace(struct ev_loop *loop, ev_timer *w, int revents);

int
xfer_new(struct client *c, const struct client_config *cfg)
{
	struct xfer_state *xs;
	char *dir = NULL;

	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return SOTTO_E_ALLOC;
	c->xf = xs;
	xs->owner = c;
	ev_timer_init(&xs->tick, on_tick, XFER_TICK, XFER_TICK);
	ev_init(&xs->pace, on_pace);
	xs->accept_all = cfg->accept_files;
	xs->max_file = cfg->max_file ? cfg->max_file : SOTTO_FILE_MAX_DEFAULT;
	xs->resume = cfg->file_resume > 0 ? cfg->file_resume : SOTTO_FILE_RESUME_S;
	xs->gap = cfg->file_unpaced ? 0.0 :
	    1.0 / (cfg->file_rate > 0 ? cfg->file_rate : SOTTO_FILE_RATE);
	xs->next_n = 1;
	sotto_wbuf_init(&xs->body, 0);
	if ((xs->chunk = malloc(SOTTO_FILE_CHUNK_MAX)) == NULL)
		return SOTTO_E_ALLOC;
	if (cfg->download_dir != NULL &&
	    (xs->dir_cfg = strdup(cfg->download_dir)) == NULL)
		return SOTTO_E_ALLOC;
	/* Temp files a crash left behind, older than any transfer that could
	 * still resume. Without creating the folder: a user who never
	 * received a file keeps none. */
	if (xs->dir_cfg != NULL)
		xrecv_sweep_parts(xs->dir_cfg, xs->resume);
	else if (sotto_dl_dir_for(getenv("XDG_DOWNLOAD_DIR"), getenv("HOME"),
	    &dir) == 0) {
		xrecv_sweep_parts(dir, xs->resume);
		free(dir);
	}
	return 0;
}

static void
xfer_free_one(struct client *c, struct xfer *x)
{
	xsend_hash_free(c, x);
	if (x->fd >= 0)
		close(x->fd);
	sotto_dl_free(x->dl);
	free(x->wire_name);
	free(x->to_name);
	free(x);
}

void
xfer_free(struct client *c)
{
	struct xfer_state *xs = c->xf;
	struct xfer *x;

	if (xs == NULL)
		return;
	ev_timer_stop(c->loop, &xs->tick);
	ev_timer_stop(c->loop, &xs->pace);
	while ((x = xs->list) != NULL) {
		xs->list = x->next;
		xfer_free_one(c, x);
	}
	free(xs->chunk);
	sotto_wbuf_free(&xs->body);
	free(xs->dir);
	free(xs->dir_cfg);
	free(xs);
	c->xf = NULL;
}

void
xfer_stop(struct client *c)
{
	if (c->xf == NULL)
		return;
	ev_timer_stop(c->loop, &c->xf->tick);
	ev_timer_stop(c->loop, &c->xf->pace);
	for (struct xfer *x = c->xf->list; x != NULL; x = x->next)
		ev_timer_stop(c->loop, &x->hash_w);
}

/* --- the table --------------------------------------------------------------- */

struct xfer *
xfer_alloc(struct client *c, bool outgoing)
{
	struct xfer_state *xs = c->xf;
	struct xfer *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->fd = -1;
	x->owner = c;
	x->outgoing = outgoing;
	x->n = xs->next_n++;
	x->touched = ev_now(c->loop);
	x->next = xs->list;
	xs->list = x;
	if (outgoing)
		xs->n_out++;
	else
		xs->n_in++;
	if (!ev_is_active(&xs->tick))
		ev_timer_start(c->loop, &xs->tick);
	return x;
}

void
xfer_drop(struct client *c, struct xfer *x)
{
	struct xfer_state *xs = c->xf;

	if (x->dead)
		return;
	x->dead = true;
	if (x->outgoing)
		xs->n_out--;
	else {
		xs->n_in--;
		xs->n_told_busy = 0;    /* room again: say so again next time */
	}
	/* The descriptor, the temp file and any hashing go now; the struct
	 * stays valid (and in the list, skipped) until xfer_reap. */
	xsend_hash_stop(c, x);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	sotto_dl_free(x->dl);
	x->dl = NULL;
	if (xs->n_out + xs->n_in + xs->n_ctl == 0) {
		ev_timer_stop(c->loop, &xs->tick);
		ev_timer_stop(c->loop, &xs->pace);
	}
	core_defer(c);
}

void
xfer_reap(struct client *c)
{
	struct xfer_state *xs = c->xf;
	struct xfer **pp, *x;

	if (xs == NULL)
		return;
	for (pp = &xs->list; (x = *pp) != NULL; )
		if (x->dead) {
			*pp = x->next;
			xfer_free_one(c, x);
		} else
			pp = &x->next;
}

struct xfer *
xfer_by_n(struct client *c, unsigned n)
{
	struct xfer *x;

	for (x = c->xf->list; x != NULL; x = x->next)
		if (!x->dead && x->n == n)
			return x;
	return NULL;
}

struct xfer *
xfer_out_by_id(struct client *c, const uint8_t *id)
{
	struct xfer *x;

	for (x = c->xf->list; x != NULL; x = x->next)
		if (!x->dead && x->outgoing &&
		    memcmp(x->id, id, SOTTO_XFER_ID) == 0)
			return x;
	return NULL;
}

/* Transfers are named by xfer_id scoped by the sender's identity. */
struct xfer *
xfer_in_by_id(struct client *c, const uint8_t *pub, const uint8_t *id)
{
	struct xfer *x;

	for (x = c->xf->list; x != NULL; x = x->next)
		if (!x->dead && !x->outgoing &&
		    memcmp(x->id, id, SOTTO_XFER_ID) == 0 &&
		    memcmp(x->from_pub, pub, SOTTO_ED25519_PUB) == 0)
			return x;
	return NULL;
}

struct member *
xfer_member(struct client *c, const uint8_t *pub, const uint8_t *session)
{
	struct member *m, *any = NULL;

	for (m = c->members; m != NULL; m = m->hh.next) {
		if (m->dead || !m->known || m->rsess == NULL ||
		    memcmp(m->pub, pub, SOTTO_ED25519_PUB) != 0)
			continue;
		if (session == NULL ||
		    memcmp(m->nonce, session, SOTTO_JOIN_NONCE) == 0)
			return m;
		if (any == NULL)
			any = m;
	}
	return any;
}

/* --- events ------------------------------------------------------------------ */

void
xfer_fill_ev(const struct xfer *x, struct client_ev_file *f)
{
	memset(f, 0, sizeof(*f));
	f->n = x->n;
	f->outgoing = x->outgoing;
	f->private_ = x->private_;
	f->file_name = x->file_name;
	f->size = x->size;
	f->eta = -1;
	f->media = x->media;
	f->sha256 = x->sha_hex;
	if (!x->outgoing) {
		f->name = x->from_name;
		f->fpr = x->from_fpr;
		f->auto_accepted = x->auto_acc;
		f->waiting = x->waiting;
	}
}

void
xfer_emit(struct client *c, enum client_event_type t, const struct xfer *x,
    const char *name, const char *fpr, const char *reason, const char *detail)
{
	struct client_event ev = { .type = t };

	xfer_fill_ev(x, &ev.file);
	if (name != NULL) {
		ev.file.name = name;
		ev.file.fpr = fpr;
	}
	ev.file.reason = reason;
	ev.file.detail = detail;
	core_emit(c, &ev);
}

/* Progress at most every XFER_PROGRESS_GAP, and always at 100 % (force). */
void
xfer_progress(struct client *c, struct xfer *x, uint64_t done, bool force)
{
	struct client_event ev = { .type = CLIENT_EV_FILE_PROGRESS };
	double now = ev_now(c->loop);
	struct xfer_rate *rt = &x->rt;

	x->touched = now;
	if (rt->t0 == 0 || done < rt->b0) {
		rt->t0 = now;
		rt->b0 = done;
	} else if (now - rt->t0 >= XFER_RATE_WINDOW) {
		rt->rate = (double)(done - rt->b0) / (now - rt->t0);
		rt->t0 = now;
		rt->b0 = done;
	}
	if (!force && now - rt->last_emit < XFER_PROGRESS_GAP)
		return;
	rt->last_emit = now;
	xfer_fill_ev(x, &ev.file);
	ev.file.done = done;
	ev.file.rate = rt->rate;
	if (rt->rate <= 0 && now > rt->t0 && done > rt->b0)
		ev.file.rate = (double)(done - rt->b0) / (now - rt->t0);
	ev.file.eta = ev.file.rate > 0 ? (double)(x->size - done) / ev.file.rate :
	    done >= x->size ? 0 : -1;
	core_emit(c, &ev);
}

const char *
xfer_reason_word(uint8_t reason)
{
	switch (reason) {
	case SOTTO_FR_USER:      return "cancelled";
	case SOTTO_FR_TOO_LARGE: return "too-large";
	case SOTTO_FR_DISK:      return "disk";
	case SOTTO_FR_TIMEOUT:   return "timeout";
	case SOTTO_FR_HASH:      return "hash-mismatch";
	case SOTTO_FR_LOST:      return "lost-chunks";
	case SOTTO_FR_BUSY:      return "busy";
	}
	return "other";
}

/* "2.3 MiB" */
void
xfer_human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu byte%s", (unsigned long long)n, n == 1 ? "" : "s");
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* --- sending bodies ------------------------------------------------------------- */

bool
xfer_room_held(const struct client *c)
{
	return c->strict && c->n_readers > 0;
}

bool
xfer_may_send_room(const struct client *c)
{
	return dat_may_send(c) && !xfer_room_held(c);
}

int
xfer_send_body(struct client *c, struct member *m, bool private_,
    uint8_t ctype, const void *body, size_t len)
{
	/* Every room body (offer, re-offer, chunk, control) under one rule:
	 * in strict mode nothing room-wide goes while a reader is here. */
	if (!(private_ ? dat_may_send(c) : xfer_may_send_room(c)))
		return SOTTO_E_AGAIN;
#ifdef SOTTO_TEST_HOOKS
	/* SOTTO_TEST_FILE_CHUNK_FAIL: every chunk fails to seal (the
	 * sender's bound on failures in a row). */
	if (ctype == SOTTO_CT_FCHUNK && getenv("SOTTO_TEST_FILE_CHUNK_FAIL") != NULL)
		return SOTTO_E_CRYPTO;
#endif
	if (private_)
		return dm_send_inner(c, m, ctype, body, len);
	return dat_send_body(c, ctype, body, len, m->id, core_now_ms());
}

int
xfer_send_ctl(struct client *c, struct member *m, bool private_,
    const uint8_t *id, uint8_t op, uint32_t index, uint8_t reason)
{
	struct sotto_wbuf b;
	int r;

	sotto_wbuf_init(&b, SOTTO_FCTL_LEN);
	if ((r = sotto_fctl_build(&b, id, op, index, reason)) == 0)
		r = xfer_send_body(c, m, private_, SOTTO_CT_FCTL, b.p, b.len);
#ifdef SOTTO_TEST_HOOKS
	/* SOTTO_TEST_FILE_CANCEL_REPEAT=N (1..16): a hostile peer that sends
	 * each CANCEL N more times, each a fresh DAT (not a replay: every
	 * copy passes every check); one notice test-cancel-repeated says
	 * how many went (the sender's once-per-peer rule). */
	if (r == 0 && op == SOTTO_FCTL_CANCEL &&
	    getenv("SOTTO_TEST_FILE_CANCEL_REPEAT") != NULL) {
		int want = atoi(getenv("SOTTO_TEST_FILE_CANCEL_REPEAT")), sent = 0;

		while (sent < want && sent < 16 &&
		    xfer_send_body(c, m, private_, SOTTO_CT_FCTL, b.p, b.len) == 0)
			sent++;
		core_notice_reason(c, "test-cancel-repeated", "CANCEL sent %d more "
		    "times", sent);
	}
#endif
	sotto_wbuf_free(&b);
	return r;
}

/* A room CANCEL: one frame to everyone (those still deciding drop it). */
static int
ctl_to_room(struct client *c, const uint8_t *id, uint8_t op, uint32_t index,
    uint8_t reason)
{
	uint8_t body[SOTTO_FCTL_LEN];
	struct sotto_wbuf b;
	int r;

	if (!xfer_may_send_room(c))
		return SOTTO_E_AGAIN;
	sotto_wbuf_init(&b, sizeof(body));
	if ((r = sotto_fctl_build(&b, id, op, index, reason)) == 0) {
		memcpy(body, b.p, b.len);
		r = dat_send_body(c, SOTTO_CT_FCTL, body, b.len, SOTTO_TO_ROOM,
		    core_now_ms());
	}
	sotto_wbuf_free(&b);
	return r;
}

static int
ctl_try(struct client *c, const struct xctl *k)
{
	struct member *m;

	if (k->room)
		return ctl_to_room(c, k->id, k->op, k->index, k->reason);
	if (c->st != CS_READY || (m = xfer_member(c, k->pub, k->session)) == NULL)
		return SOTTO_E_AGAIN;
	return xfer_send_ctl(c, m, k->private_, k->id, k->op, k->index, k->reason);
}

void
xfer_ctl_later(struct client *c, const uint8_t *pub, const uint8_t *session,
    bool private_, const uint8_t *id, uint8_t op, uint32_t index, uint8_t reason)
{
	struct xfer_state *xs = c->xf;
	struct xctl k, *slot;

	if (c->st == CS_CLOSED)
		return;         /* shutting down: nothing more goes */
	memset(&k, 0, sizeof(k));
	k.room = pub == NULL;
	if (pub != NULL)
		memcpy(k.pub, pub, SOTTO_ED25519_PUB);
	if (session != NULL)
		memcpy(k.session, session, SOTTO_JOIN_NONCE);
	memcpy(k.id, id, SOTTO_XFER_ID);
	k.private_ = private_;
	k.op = op;
	k.index = index;
	k.reason = reason;
	k.until = ev_now(c->loop) + xs->resume;
	if (ctl_try(c, &k) == 0)
		return;
	/* Full: the oldest goes (it is the nearest to giving up anyway). */
	if (xs->n_ctl == XFER_CTL_PENDING) {
		memmove(&xs->ctl[0], &xs->ctl[1], (XFER_CTL_PENDING - 1) *
		    sizeof(xs->ctl[0]));
		xs->n_ctl--;
	}
	slot = &xs->ctl[xs->n_ctl++];
	*slot = k;
	if (!ev_is_active(&xs->tick))
		ev_timer_start(c->loop, &xs->tick);
}

/* From the tick: the controls still owed, in order. */
static void
ctl_retry(struct client *c, double now)
{
	struct xfer_state *xs = c->xf;
	size_t i, j;

	for (i = j = 0; i < xs->n_ctl; i++) {
		if (now <= xs->ctl[i].until && ctl_try(c, &xs->ctl[i]) != 0)
			xs->ctl[j++] = xs->ctl[i];
	}
	xs->n_ctl = j;
}

/* --- timers -------------------------------------------------------------------- */

void
xfer_kick(struct client *c)
{
	struct xfer_state *xs = c->xf;

	if (xs == NULL || xs->n_out + xs->n_in + xs->n_ctl == 0 ||
	    c->st == CS_CLOSED)
		return;
	ev_timer_stop(c->loop, &xs->tick);
	ev_timer_set(&xs->tick, 0.05, XFER_TICK);
	ev_timer_start(c->loop, &xs->tick);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xfer_state *xs = container_of(w, struct xfer_state, tick);
	struct client *c = xs->owner;
	struct xfer *x, *next;
	double now = ev_now(loop);

	(void)revents;
	if (c->closing || c->st == CS_CLOSED)
		return;
	ctl_retry(c, now);
	/* Each step may drop its transfer: the next one is taken first. */
	for (x = xs->list; x != NULL && !c->closing; x = next) {
		next = x->next;
		if (x->dead)
			continue;
		if (x->outgoing)
			xsend_tick(c, x, now);
		else
			xrecv_tick(c, x, now);
	}
	xsend_pump(c);
	if (xs->n_out + xs->n_in + xs->n_ctl == 0)
		ev_timer_stop(loop, &xs->tick);
}

static void
on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xfer_state *xs = container_of(w, struct xfer_state, pace);

	(void)loop;
	(void)revents;
	xsend_pump(xs->owner);
}

/* From dat_pump: lines first, then at most one chunk. */
void
xfer_pump(struct client *c)
{
	if (c->xf != NULL && c->xf->n_out > 0)
		xsend_pump(c);
}

/* From core_emit, before the front-end sees the event: our connection's
 * end cuts every transfer (resumed once we are back); a join may be a
 * peer coming back. Nothing is sent from here. */
void
xfer_on_event(struct client *c, const struct client_event *ev)
{
	struct xfer_state *xs = c->xf;
	struct xfer *x;

	if (xs == NULL || xs->n_out + xs->n_in + xs->n_ctl == 0)
		return;
	switch (ev->type) {
	case CLIENT_EV_DISCONNECTED:
		for (x = xs->list; x != NULL; x = x->next)
			if (x->dead)
				continue;
			else if (x->outgoing)
				xsend_disconnected(x, ev_now(c->loop));
			else if (x->accepted)
				x->resume = true;
		break;
	case CLIENT_EV_READY:
	case CLIENT_EV_JOINED:
		xfer_kick(c);
		break;
	default:
		break;
	}
}

/* --- API ------------------------------------------------------------------------ */

int
client_send_file(struct client *c, const char *to_name, const char *path,
    char *why, size_t why_len, const char **reason)
{
	*reason = "not-sent";
	if (c->xf == NULL || c->st == CS_CLOSED) {
		snprintf(why, why_len, "not sent: the client is shutting down");
		return SOTTO_E_INVAL;
	}
	return xsend_offer(c, to_name, path, why, why_len, reason);
}

int
client_accept_file(struct client *c, unsigned n, char *why, size_t why_len)
{
	struct xfer *x;

	if (c->xf == NULL || (x = xfer_by_n(c, n)) == NULL) {
		snprintf(why, why_len, "no transfer %u", n);
		return SOTTO_E_NOTFOUND;
	}
	if (x->outgoing || !x->waiting) {
		snprintf(why, why_len, "transfer %u is not an offer waiting for "
		    "/accept", n);
		return SOTTO_E_INVAL;
	}
	return xrecv_accept(c, x, why, why_len);
}

int
client_cancel_file(struct client *c, unsigned n, char *why, size_t why_len)
{
	struct xfer *x;

	if (c->xf == NULL || (x = xfer_by_n(c, n)) == NULL) {
		snprintf(why, why_len, "no transfer %u", n);
		return SOTTO_E_NOTFOUND;
	}
	if (x->outgoing)
		xsend_cancel(c, x, "cancelled", "cancelled by you");
	else
		xrecv_fail(c, x, "cancelled", SOTTO_FR_USER, "cancelled by you");
	return 0;
}

/* --- receiving bodies ------------------------------------------------------------- */

static int
on_fctl(struct client *c, const struct sotto_peer *peer, const uint8_t *pub,
    const uint8_t *session, const uint8_t *body, size_t len, bool private_,
    const char **why)
{
	struct sotto_fctl fc;
	struct xfer *x;
	int r;

	if ((r = sotto_fctl_parse(body, len, &fc)) != 0) {
		*why = "file control: bad layout";
		return r;
	}
	/* Ours first (an ACCEPT, CANCEL, DONE or FAIL of a receiver), then
	 * one of the sender's transfers to us (its CANCEL). */
	if ((x = xfer_out_by_id(c, fc.xfer_id)) != NULL) {
		xsend_ctl(c, x, peer, pub, session, &fc, private_);
		return 0;
	}
	if ((x = xfer_in_by_id(c, pub, fc.xfer_id)) != NULL) {
		if (x->private_ != private_) {
			*why = "file control outside its transfer's envelope";
			return SOTTO_V_MALFORMED;
		}
		xrecv_ctl(c, x, &fc);
	}
	return 0;     /* a transfer already over: nothing to do */
}

int
xfer_deliver(struct client *c, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, uint8_t ctype,
    const uint8_t *body, size_t len, bool private_, const char **why)
{
	*why = NULL;
	if (c->xf == NULL)
		return SOTTO_E_ALLOC;
	switch (ctype) {
	case SOTTO_CT_FOFFER:
		return xrecv_offer(c, peer, pub, session, body, len, private_, why);
	case SOTTO_CT_FCHUNK:
		return xrecv_chunk(c, peer, pub, body, len, private_, why);
	case SOTTO_CT_FCTL:
		return on_fctl(c, peer, pub, session, body, len, private_, why);
	}
	return SOTTO_E_UNSUPPORTED;
}

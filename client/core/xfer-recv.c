/* SPDX-License-Identifier: ISC */
/* xfer-recv.c: the receiving side of a file transfer: offers (auto-accepted under the threshold and the per-sender window, else waiting for /accept), chunks written in order to a private temp file (gaps re-requested), the SHA-256 checked before publishing, resume after a cut, stale temp files swept at start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "trust.h"
#include "xfer.h"

/* --- the per-sender auto-accept window --------------------------------------------- */

static struct xquota *
quota_of(struct client *c, const uint8_t *pub, double now)
{
	struct xfer_state *xs = c->xf;
	struct xquota *q = NULL;
	size_t i, old = 0;

	for (i = 0; i < xs->n_quota; i++) {
		if (memcmp(xs->quota[i].pub, pub, SOTTO_ED25519_PUB) == 0)
			q = &xs->quota[i];
		else if (xs->quota[i].start < xs->quota[old].start)
			old = i;
	}
	if (q == NULL) {
		/* Full: the window that started longest ago makes room (it
		 * is the most likely to be over anyway). */
		q = xs->n_quota < XFER_QUOTAS ? &xs->quota[xs->n_quota++] :
		    &xs->quota[old];
		memcpy(q->pub, pub, SOTTO_ED25519_PUB);
		q->start = now;
		q->bytes = 0;
		q->files = 0;
	}
	if (now - q->start >= SOTTO_FILE_AUTO_WINDOW_S) {
		q->start = now;
		q->bytes = 0;
		q->files = 0;
	}
	return q;
}

/* What an auto-accepted file costs the window: at least one chunk, so
 * empty and tiny files are not free. */
static uint64_t
auto_cost(uint64_t size)
{
	return size > SOTTO_FILE_CHUNK ? size : SOTTO_FILE_CHUNK;
}

static bool
auto_ok(struct client *c, const uint8_t *pub, uint64_t size)
{
	struct xquota *q;

	if (size > SOTTO_FILE_AUTO_MAX)
		return false;
	q = quota_of(c, pub, ev_now(c->loop));
	return q->files < XFER_AUTO_FILES_MAX &&
	    q->bytes + auto_cost(size) <= SOTTO_FILE_AUTO_WINDOW_MAX;
}

/* --- ending a transfer ------------------------------------------------------------- */

/* Remember how x ended, for a re-offer or a late chunk of it. */
static void
ended_note(struct client *c, const struct xfer *x, uint8_t op, uint32_t index,
    uint8_t reason)
{
	struct xfer_state *xs = c->xf;
	struct xended *e = &xs->ended[xs->ended_at];

	memcpy(e->pub, x->from_pub, SOTTO_ED25519_PUB);
	memcpy(e->id, x->id, SOTTO_XFER_ID);
	e->private_ = x->private_;
	e->answered_chunk = false;
	e->op = op;
	e->reason = reason;
	e->index = index;
	e->at = ev_now(c->loop);
	xs->ended_at = (xs->ended_at + 1) % XFER_ENDED_MAX;
	if (xs->n_ended < XFER_ENDED_MAX)
		xs->n_ended++;
}

static struct xended *
ended_find(struct client *c, const uint8_t *pub, const uint8_t *id)
{
	struct xfer_state *xs = c->xf;
	double now = ev_now(c->loop);

	for (size_t i = 0; i < xs->n_ended; i++) {
		struct xended *e = &xs->ended[i];

		if (now - e->at <= xs->resume &&
		    memcmp(e->id, id, SOTTO_XFER_ID) == 0 &&
		    memcmp(e->pub, pub, SOTTO_ED25519_PUB) == 0)
			return e;
	}
	return NULL;
}

/* Say again how it ended (its sender missed it, or came back). */
static void
ended_answer(struct client *c, const struct xended *e, const uint8_t *session)
{
	if (e->op != 0)
		xfer_ctl_later(c, e->pub, session, e->private_, e->id, e->op,
		    e->index, e->reason);
}

/* Tell the sender (now, or from the tick for the resume window) unless wire_reason is
 * SOTTO_FR_NONE (it ended it), say why, forget the transfer; the temp
 * file goes with it. */
void
xrecv_fail(struct client *c, struct xfer *x, const char *reason,
    uint8_t wire_reason, const char *detail)
{
	uint8_t op;

	if (wire_reason != SOTTO_FR_NONE) {
		op = wire_reason == SOTTO_FR_USER || wire_reason == SOTTO_FR_TOO_LARGE ||
		    wire_reason == SOTTO_FR_TIMEOUT || wire_reason == SOTTO_FR_BUSY ?
		    SOTTO_FCTL_CANCEL : SOTTO_FCTL_FAIL;
		xfer_ctl_later(c, x->from_pub, x->from_session, x->private_, x->id,
		    op, x->expected, wire_reason);
		ended_note(c, x, op, x->expected, wire_reason);
	} else
		ended_note(c, x, 0, 0, SOTTO_FR_NONE);
	/* Ended (and the temp file gone) before anyone is told: a front-end
	 * reacting to the event finds no transfer n. */
	xfer_drop(c, x);
	xfer_emit(c, CLIENT_EV_FILE_FAILED, x, NULL, NULL, reason, detail);
}

/* SOTTO_TEST_FILE_NO_DONE (test hooks only): the DONE at publishing is
 * not sent, as if lost (the sender's deadline; a re-offer answered). */
static bool
test_no_done(void)
{
#ifdef SOTTO_TEST_HOOKS
	return getenv("SOTTO_TEST_FILE_NO_DONE") != NULL;
#else
	return false;
#endif
}

static void
finish(struct client *c, struct xfer *x)
{
	struct client_event ev = { .type = CLIENT_EV_FILE_RECEIVED };
	char *path = NULL, detail[512];
	bool durable;
	int r, e;

	r = sotto_dl_finish(x->dl, &path);
	e = errno;
	if (r != 0) {
		switch (r) {
		case SOTTO_E_FORMAT:
			snprintf(detail, sizeof(detail), "%s from %s: the SHA-256 does "
			    "not match the offer; nothing was saved", x->file_name,
			    x->from_name);
			xrecv_fail(c, x, "hash-mismatch", SOTTO_FR_HASH, detail);
			return;
		case SOTTO_E_EXISTS:
			snprintf(detail, sizeof(detail), "%s from %s: every name up to "
			    "\"(99)\" is taken in the download folder", x->file_name,
			    x->from_name);
			xrecv_fail(c, x, "name-taken", SOTTO_FR_DISK, detail);
			return;
		default:
			snprintf(detail, sizeof(detail), "%s from %s: cannot be saved: "
			    "%s", x->file_name, x->from_name, r == SOTTO_E_IO ?
			    strerror(e) : sotto_strerror(r));
			xrecv_fail(c, x, "disk", SOTTO_FR_DISK, detail);
			return;
		}
	}
	if (!test_no_done())
		xfer_ctl_later(c, x->from_pub, x->from_session, x->private_, x->id,
		    SOTTO_FCTL_DONE, x->chunks, SOTTO_FR_NONE);
	ended_note(c, x, SOTTO_FCTL_DONE, x->chunks, SOTTO_FR_NONE);
	/* What the bytes are, from the verified file's first bytes. */
	x->media = (uint8_t)sotto_mediatype_sniff(x->head, x->head_len);
	durable = sotto_dl_durable(x->dl);
	xfer_drop(c, x);        /* over before the front-end hears of it */
	xfer_fill_ev(x, &ev.file);
	ev.file.done = x->size;
	ev.file.path = path;
	core_emit(c, &ev);
	/* Published all the same: saying file-failed would be untrue. */
	if (!durable)
		core_notice_reason(c, "file-not-durable", "%.200s: saved, but the "
		    "download folder could not be synced to disk", path);
	free(path);
}

/* --- accepting --------------------------------------------------------------------- */

static int
download_dir(struct client *c, const char **dir, char *why, size_t why_len)
{
	struct xfer_state *xs = c->xf;
	int r;

	*dir = NULL;
	if (xs->dir == NULL) {
		if (xs->dir_cfg != NULL) {
			if (mkdir(xs->dir_cfg, 0700) != 0 && errno != EEXIST) {
				snprintf(why, why_len, "download folder %s: %s",
				    xs->dir_cfg, strerror(errno));
				return SOTTO_E_IO;
			}
			if ((xs->dir = strdup(xs->dir_cfg)) == NULL)
				return SOTTO_E_ALLOC;
		} else if ((r = sotto_dl_dir(&xs->dir)) != 0) {
			snprintf(why, why_len, "download folder: %s", r == SOTTO_E_PERM ?
			    "not a private directory of yours" : sotto_strerror(r));
			return r;
		}
	}
	*dir = xs->dir;
	return 0;
}

/* Ask the sender for chunks from `expected` on. */
static int
ask(struct client *c, struct xfer *x)
{
	struct member *m = xfer_member(c, x->from_pub, x->from_session);
	int r;

	if (m == NULL || c->st != CS_READY)
		return SOTTO_E_AGAIN;
	if ((r = xfer_send_ctl(c, m, x->private_, x->id, SOTTO_FCTL_ACCEPT,
	    x->expected, SOTTO_FR_NONE)) != 0)
		return r;
	memcpy(x->from_session, m->nonce, SOTTO_JOIN_NONCE);
	x->last_ask = ev_now(c->loop);
	return 0;
}

int
xrecv_accept(struct client *c, struct xfer *x, char *why, size_t why_len)
{
	const char *dir;
	char detail[512];
	int r;

	if (why_len > 0)
		why[0] = '\0';
	if ((r = download_dir(c, &dir, why, why_len)) != 0 ||
	    (r = sotto_dl_new(&x->dl, dir, x->wire_name, x->wire_name_len, x->size,
	    x->sha)) != 0) {
		if (r != 0 && why[0] == '\0')
			snprintf(why, why_len, "cannot create a file in the download "
			    "folder: %s", r == SOTTO_E_IO ? strerror(errno) :
			    sotto_strerror(r));
		snprintf(detail, sizeof(detail), "%s from %s: %s", x->file_name,
		    x->from_name, why);
		xrecv_fail(c, x, "disk", SOTTO_FR_DISK, detail);
		return r;
	}
	if (x->auto_acc && !c->xf->accept_all) {
		struct xquota *q = quota_of(c, x->from_pub, ev_now(c->loop));

		q->bytes += auto_cost(x->size);
		q->files++;
	}
	x->waiting = false;
	x->accepted = true;
	x->last_chunk = ev_now(c->loop);
	/* Even for an empty file (no chunk): the sender learns who took it,
	 * so the DONE that follows at once means something to it. */
	if (ask(c, x) != 0)
		x->resume = true;     /* the tick asks once we can */
	if (x->size == 0)
		finish(c, x);
	return 0;
}

/* --- offers ------------------------------------------------------------------------- */

static bool
same_manifest(const struct xfer *x, const struct sotto_foffer *o, bool private_)
{
	return x->size == o->size && x->cs == o->chunk_size &&
	    memcmp(x->sha, o->sha256, SOTTO_SHA256_LEN) == 0 &&
	    x->wire_name_len == o->name_len && x->private_ == private_ &&
	    (o->name_len == 0 || memcmp(x->wire_name, o->name, o->name_len) == 0);
}

static size_t
from_sender(struct client *c, const uint8_t *pub)
{
	size_t n = 0;

	for (struct xfer *x = c->xf->list; x != NULL; x = x->next)
		if (!x->dead && !x->outgoing && memcmp(x->from_pub, pub, SOTTO_ED25519_PUB) == 0)
			n++;
	return n;
}

/* Too many offers at once: one notice per sender until one ends. */
static void
busy(struct client *c, const struct sotto_peer *peer)
{
	struct xfer_state *xs = c->xf;
	size_t i;

	for (i = 0; i < xs->n_told_busy; i++)
		if (memcmp(xs->told_busy[i], peer->pub, SOTTO_ED25519_PUB) == 0)
			return;
	if (xs->n_told_busy < XFER_IN_MAX)
		memcpy(xs->told_busy[xs->n_told_busy++], peer->pub, SOTTO_ED25519_PUB);
	core_notice_reason(c, "file-offers-ignored", "%s offered more files than "
	    "are taken at once (%u from one member, %u in all); further offers "
	    "are ignored until some end", peer->name, XFER_IN_PER_SENDER, XFER_IN_MAX);
}

/* A re-offer of a transfer we know (the sender reconnected): go on from
 * where we are. */
static int
reoffer(struct client *c, struct xfer *x, const uint8_t *session)
{
	memcpy(x->from_session, session, SOTTO_JOIN_NONCE);
	if (!x->accepted)
		return 0;
	x->asked = false;
	if (ask(c, x) != 0)
		x->resume = true;
	else
		x->resume = false;
	return 0;
}

static int
new_offer(struct client *c, const struct sotto_peer *peer, const uint8_t *pub,
    const uint8_t *session, const struct sotto_foffer *o, bool private_)
{
	struct xfer_state *xs = c->xf;
	char why[256] = "", detail[512], h[32], lim[32];
	struct member *m;
	struct xfer *x;

	if (xs->n_in >= XFER_IN_MAX || from_sender(c, pub) >= XFER_IN_PER_SENDER) {
		/* Said to the sender, so its offer does not hang; best effort
		 * only (not kept for retries): a flood of offers must not push
		 * the controls that matter out of the pending list. */
		if ((m = xfer_member(c, pub, session)) != NULL)
			(void)xfer_send_ctl(c, m, private_, o->xfer_id,
			    SOTTO_FCTL_CANCEL, 0, SOTTO_FR_BUSY);
		busy(c, peer);
		return 0;
	}
	if ((x = xfer_alloc(c, false)) == NULL)
		return SOTTO_E_ALLOC;
	x->private_ = private_;
	memcpy(x->id, o->xfer_id, SOTTO_XFER_ID);
	memcpy(x->from_pub, pub, SOTTO_ED25519_PUB);
	memcpy(x->from_session, session, SOTTO_JOIN_NONCE);
	snprintf(x->from_name, sizeof(x->from_name), "%s", peer->name);
	snprintf(x->from_fpr, sizeof(x->from_fpr), "%s", peer->fpr_str);
	x->size = o->size;
	x->cs = o->chunk_size;
	x->chunks = (uint32_t)sotto_file_chunks(o->size, o->chunk_size);
	memcpy(x->sha, o->sha256, SOTTO_SHA256_LEN);
	for (size_t i = 0; i < SOTTO_SHA256_LEN; i++)
		snprintf(x->sha_hex + 2 * i, 3, "%02x", o->sha256[i]);
	x->media = o->media <= SOTTO_MT_WEBP ? o->media : SOTTO_MT_OTHER;
	if ((x->wire_name = malloc(o->name_len + 1)) == NULL) {
		xfer_drop(c, x);
		return SOTTO_E_ALLOC;
	}
	if (o->name_len > 0)
		memcpy(x->wire_name, o->name, o->name_len);
	x->wire_name_len = o->name_len;
	(void)sotto_fname_sanitize(o->name, o->name_len, x->file_name);
	if (o->size > xs->max_file) {
		xfer_human(o->size, h, sizeof(h));
		xfer_human(xs->max_file, lim, sizeof(lim));
		snprintf(detail, sizeof(detail), "%s offered %s (%s), above your "
		    "limit of %s (--max-file); refused", peer->name, x->file_name, h,
		    lim);
		xfer_ctl_later(c, pub, session, private_, x->id, SOTTO_FCTL_CANCEL,
		    0, SOTTO_FR_TOO_LARGE);
		ended_note(c, x, SOTTO_FCTL_CANCEL, 0, SOTTO_FR_TOO_LARGE);
		xfer_drop(c, x);
		xfer_emit(c, CLIENT_EV_FILE_FAILED, x, NULL, NULL, "too-large", detail);
		return 0;
	}
	x->auto_acc = xs->accept_all || auto_ok(c, pub, o->size);
	x->waiting = !x->auto_acc;
	xfer_emit(c, CLIENT_EV_FILE_OFFER, x, NULL, NULL, NULL, NULL);
	/* The front-end may have cancelled it from the event. */
	if (x->auto_acc && !x->dead && !c->closing)
		(void)xrecv_accept(c, x, why, sizeof(why));
	return 0;
}

int
xrecv_offer(struct client *c, const struct sotto_peer *peer, const uint8_t *pub,
    const uint8_t *session, const uint8_t *body, size_t len, bool private_,
    const char **why)
{
	struct sotto_foffer o;
	struct xended *e;
	struct xfer *x;
	int r;

	if ((r = sotto_foffer_parse(body, len, &o)) != 0) {
		*why = "file offer: bad layout";
		return r;
	}
	if ((x = xfer_in_by_id(c, pub, o.xfer_id)) != NULL) {
		if (!same_manifest(x, &o, private_)) {
			*why = "file offer: a re-offer that differs from the first";
			return SOTTO_V_MALFORMED;
		}
		return reoffer(c, x, session);
	}
	/* One that ended here (its DONE or CANCEL lost, or sent while the
	 * sender was away): answered, not a new transfer (a cancelled file
	 * does not come back, a received one is not saved twice). */
	if ((e = ended_find(c, pub, o.xfer_id)) != NULL) {
		if (e->private_ == private_)
			ended_answer(c, e, session);
		return 0;
	}
	return new_offer(c, peer, pub, session, &o, private_);
}

/* --- chunks ------------------------------------------------------------------------- */

/* Chunk `index`, ahead of `expected`: one was lost (dropped, or
 * rejected for a bad signature or tag). Ask once from `expected`, then
 * wait for it. Chunks past it that were in flight keep coming meanwhile
 * (higher and higher indexes); one at or below the highest seen since the
 * ask is a resent one: the sender went back to `expected` and that chunk
 * was lost again, which counts as another loss (a path that drops every
 * other chunk ends in lost-chunks, not in a 60 s timeout). */
static void
gap(struct client *c, struct xfer *x, uint32_t index)
{
	char detail[512];

	if (x->asked && index > x->ahead) {
		x->ahead = index;
		return;
	}
	x->asked = false;
	x->ahead = index;
	if (++x->rereq > SOTTO_FILE_REREQ_MAX) {
		snprintf(detail, sizeof(detail), "%s from %s: too many lost chunks; "
		    "nothing was saved", x->file_name, x->from_name);
		xrecv_fail(c, x, "lost-chunks", SOTTO_FR_LOST, detail);
		return;
	}
	if (ask(c, x) == 0)
		x->asked = true;
}

int
xrecv_chunk(struct client *c, const struct sotto_peer *peer, const uint8_t *pub,
    const uint8_t *body, size_t len, bool private_, const char **why)
{
	struct sotto_fchunk ch;
	struct xended *e;
	char detail[512];
	uint64_t want;
	struct xfer *x;
	int r;

	(void)peer;
	if ((r = sotto_fchunk_parse(body, len, &ch)) != 0) {
		*why = "file chunk: bad layout";
		return r;
	}
	if ((x = xfer_in_by_id(c, pub, ch.xfer_id)) == NULL) {
		/* Ended here: say so once, so a sender that missed it stops
		 * pumping the file into nothing. */
		if ((e = ended_find(c, pub, ch.xfer_id)) != NULL &&
		    e->private_ == private_ && !e->answered_chunk) {
			e->answered_chunk = true;
			ended_answer(c, e, NULL);
		}
		return 0;
	}
	if (!x->accepted)
		return 0;     /* never asked for: dropped */
	if (x->private_ != private_) {
		*why = "file chunk outside its transfer's envelope";
		return SOTTO_V_MALFORMED;
	}
	if (ch.index < x->expected)
		return 0;     /* a duplicate after a re-request */
	if (ch.index > x->expected) {
		gap(c, x, ch.index);
		return 0;
	}
	want = ch.index + 1u == x->chunks ? x->size - (uint64_t)ch.index * x->cs : x->cs;
	if (ch.index >= x->chunks || ch.len != want) {
		snprintf(detail, sizeof(detail), "%s from %s: a chunk of the wrong "
		    "length; nothing was saved", x->file_name, x->from_name);
		xrecv_fail(c, x, "bad-chunk", SOTTO_FR_LOST, detail);
		return 0;
	}
	if (sotto_dl_write(x->dl, ch.data, ch.len) != 0) {
		snprintf(detail, sizeof(detail), "%s from %s: cannot be written: %s; "
		    "nothing was saved", x->file_name, x->from_name, strerror(errno));
		xrecv_fail(c, x, "disk", SOTTO_FR_DISK, detail);
		return 0;
	}
	if (ch.index == 0) {
		x->head_len = ch.len < SOTTO_MT_SNIFF_LEN ? ch.len : SOTTO_MT_SNIFF_LEN;
		memcpy(x->head, ch.data, x->head_len);
	}
	x->expected++;
	x->asked = false;
	x->last_chunk = ev_now(c->loop);
	if (x->cut_at != 0) {
		x->cut_at = 0;
		core_notice_reason(c, "file-resumed", "transfer of %s from %s resumed "
		    "at %u %%", x->file_name, x->from_name, (unsigned)(100.0 *
		    (double)sotto_dl_written(x->dl) / (double)x->size));
		if (x->dead)
			return 0;       /* cancelled from the notice */
	}
	xfer_progress(c, x, sotto_dl_written(x->dl), x->expected == x->chunks);
	if (x->expected == x->chunks && !x->dead && !c->closing)
		finish(c, x);
	return 0;
}

/* The sender's control: only CANCEL means something to a receiver. */
void
xrecv_ctl(struct client *c, struct xfer *x, const struct sotto_fctl *fc)
{
	char detail[512];

	if (fc->op != SOTTO_FCTL_CANCEL)
		return;
	snprintf(detail, sizeof(detail), "%s cancelled %s", x->from_name,
	    x->file_name);
	xrecv_fail(c, x, "cancelled", SOTTO_FR_NONE, detail);
}

/* --- cuts, resumes, stalls, timeouts ------------------------------------------------- */

void
xrecv_tick(struct client *c, struct xfer *x, double now)
{
	double window = c->xf->resume;
	bool here = c->st == CS_READY && xfer_member(c, x->from_pub, NULL) != NULL;
	char detail[512];

	if (!here && x->cut_at == 0) {
		x->cut_at = now;
		if (x->accepted) {
			snprintf(detail, sizeof(detail), "transfer of %s from %s "
			    "interrupted; will resume for %.0f s", x->file_name,
			    x->from_name, window);
			xfer_emit(c, CLIENT_EV_FILE_INTERRUPTED, x, NULL, NULL, NULL,
			    detail);
			return;
		}
	}
	if (here && !x->accepted)
		x->cut_at = 0;
	/* An offer nobody took in the resume window goes: waiting offers of a
	 * present sender would otherwise hold our slots for ever. */
	if (!x->accepted && x->cut_at == 0 && now - x->touched > window) {
		snprintf(detail, sizeof(detail), "%s from %s: not accepted within "
		    "%.0f s; the offer is dropped", x->file_name, x->from_name,
		    window);
		xrecv_fail(c, x, "timeout", SOTTO_FR_TIMEOUT, detail);
		return;
	}
	if (x->cut_at != 0 && now - x->cut_at > window) {
		snprintf(detail, sizeof(detail), "%s from %s: %s", x->file_name,
		    x->from_name, here ? "did not resume in time" :
		    "the sender did not come back");
		/* Said even to a sender that is gone: should it come back
		 * (within the resume window), it stops. */
		xrecv_fail(c, x, here ? "timeout" : "sender-gone",
		    SOTTO_FR_TIMEOUT, detail);
		return;
	}
	if (!x->accepted)
		return;
	if (!here) {
		x->last_chunk = now;    /* quiet time counts while it is here */
		return;
	}
#ifdef SOTTO_TEST_HOOKS
	/* SOTTO_TEST_FILE_REWIND: a hostile accepter that asks for the file
	 * from chunk 0 again at every tick (tests of the sender's turns and of
	 * its bound on going back). */
	if (getenv("SOTTO_TEST_FILE_REWIND") != NULL) {
		struct member *m = xfer_member(c, x->from_pub, x->from_session);

		if (m != NULL)
			(void)xfer_send_ctl(c, m, x->private_, x->id,
			    SOTTO_FCTL_ACCEPT, 0, SOTTO_FR_NONE);
	}
#endif
	if (x->resume) {
		if (ask(c, x) == 0)
			x->resume = false;
		return;
	}
	/* Nothing for a while from a sender that is here: the ACCEPT or the
	 * last chunk was lost, or the sender is busy (hashing a big file,
	 * serving others). Ask again every XFER_STALL (not counted as a lost
	 * chunk: a slow sender is no lossy path), and give up once it has
	 * been quiet for XFER_QUIET_MAX. */
	if (now - x->last_chunk > XFER_QUIET_MAX) {
		snprintf(detail, sizeof(detail), "%s from %s: nothing came for %.0f s",
		    x->file_name, x->from_name, now - x->last_chunk);
		xrecv_fail(c, x, "timeout", SOTTO_FR_TIMEOUT, detail);
		return;
	}
	if (now - x->last_chunk > XFER_STALL && now - x->last_ask > XFER_STALL)
		(void)ask(c, x);
}

/* Remove ".sotto-*.part" files older than max_age seconds: left by a
 * crash, past any resume. Only regular files of ours, never through a
 * symlink. */
void
xrecv_sweep_parts(const char *dir, double max_age)
{
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	size_t n;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 12 || strncmp(e->d_name, ".sotto-", 7) != 0 ||
		    strcmp(e->d_name + n - 5, ".part") != 0)
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    (double)(now - st.st_mtime) <= max_age)
			continue;
		(void)unlinkat(fd, e->d_name, 0);
	}
	closedir(d);
}

/* SPDX-License-Identifier: ISC */
/* xfer-send.c: the sending side of a file transfer: the offer (to the room, or inside a DM), chunks pulled one at a time to each accepter at most --file-rate (SOTTO_FILE_RATE) a second and only while the connection's unsent output, ours and the kernel's, is below one or two chunks, the receivers' controls, re-offers after a reconnect. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "trust.h"
#include "xfer.h"

/* --- the offer ------------------------------------------------------------------ */

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* hash_slice's answer for a file whose size is not what fstat said. */
#define HASH_CHANGED SOTTO_E_FORMAT

/* Hash up to XFER_HASH_SLICE more bytes of x's file: 0 more to do, 1
 * done (x->sha and x->head filled), else an error. Exactly x->size bytes
 * are hashed; a file that is shorter or longer than that by then (a log
 * being written, a /proc file whose size says 0) is HASH_CHANGED: an
 * offer whose hash matches no size-byte prefix would fail every
 * receiver, and reading to EOF may never end. */
static int
hash_slice(struct client *c, struct xfer *x)
{
	uint8_t *buf = c->xf->chunk;
	size_t budget = XFER_HASH_SLICE, want, k;
	ssize_t n;

	while (budget > 0 || x->hashed == x->size) {
		/* One byte past size: it must be EOF. */
		want = x->size - x->hashed < SOTTO_FILE_CHUNK_MAX ?
		    (size_t)(x->size - x->hashed) : SOTTO_FILE_CHUNK_MAX;
		if (want == 0)
			want = 1;
		n = read(x->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return SOTTO_E_IO;
		if (x->hashed == x->size) {
			if (n != 0)
				return HASH_CHANGED;
			memcpy(x->sha, gcry_md_read(x->md, GCRY_MD_SHA256),
			    SOTTO_SHA256_LEN);
			return 1;
		}
		if (n == 0)
			return HASH_CHANGED;
		if (x->head_len < SOTTO_MT_SNIFF_LEN) {
			k = SOTTO_MT_SNIFF_LEN - x->head_len;
			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(x->head + x->head_len, buf, k);
			x->head_len += k;
		}
		gcry_md_write(x->md, buf, (size_t)n);
		x->hashed += (uint64_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
	return 0;
}

/* Why hashing failed, for people. */
static void
hash_why(int r, const char *what, char *why, size_t why_len)
{
	if (r == HASH_CHANGED)
		snprintf(why, why_len, "%s: its size changed while it was read (a "
		    "file being written, or not a plain file on disk); not sent",
		    what);
	else
		snprintf(why, why_len, "%s: cannot be read: %s; not sent", what,
		    strerror(errno));
}

void
xsend_hash_free(struct client *c, struct xfer *x)
{
	ev_timer_stop(c->loop, &x->hash_w);
	if (x->md != NULL)
		gcry_md_close(x->md);
	x->md = NULL;
	x->hashing = false;
}

static void on_hash(struct ev_loop *loop, ev_timer *w, int revents);

/* One file is hashed at a time, the oldest /send first: a loop turn then
 * hashes one slice however many /send wait (each hashed its first slice
 * inside /send). Nothing starts once the client is shutting down. */
static void
hash_next(struct client *c)
{
	struct xfer *x, *first = NULL;

	if (c->xf == NULL || c->st == CS_CLOSED)
		return;
	for (x = c->xf->list; x != NULL; x = x->next) {
		if (x->dead || !x->hashing)
			continue;
		if (ev_is_active(&x->hash_w))
			return;     /* one is under way */
		if (first == NULL || x->n < first->n)
			first = x;
	}
	if (first != NULL) {
		ev_timer_set(&first->hash_w, 0., 0.);
		ev_timer_start(c->loop, &first->hash_w);
	}
}

void
xsend_hash_stop(struct client *c, struct xfer *x)
{
	xsend_hash_free(c, x);
	hash_next(c);
}

#ifdef SOTTO_TEST_HOOKS
/* SOTTO_TEST_FILE_NAME_HEX: these raw bytes go on the wire as the name
 * (hostile-name tests), even beyond what a receiver accepts. */
static int
test_name(uint8_t **out, size_t *len)
{
	const char *h = getenv("SOTTO_TEST_FILE_NAME_HEX");
	size_t n, i;
	unsigned v;

	*out = NULL;
	*len = 0;
	if (h == NULL || (n = strlen(h)) % 2 != 0 || n / 2 > UINT16_MAX)
		return 0;
	if ((*out = malloc(n / 2 + 1)) == NULL)
		return SOTTO_E_ALLOC;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1) {
			free(*out);
			*out = NULL;
			return 0;
		}
		(*out)[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}
#endif

static int
set_wire_name(struct xfer *x, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base != NULL ? base + 1 : path;
#ifdef SOTTO_TEST_HOOKS
	{
		int r;

		if ((r = test_name(&x->wire_name, &x->wire_name_len)) != 0)
			return r;
		if (x->wire_name != NULL)
			return sotto_fname_sanitize(x->wire_name, x->wire_name_len,
			    x->file_name);
	}
#endif
	n = strlen(base);
	if (n > SOTTO_FILE_NAME_WIRE_MAX)
		n = SOTTO_FILE_NAME_WIRE_MAX;
	if ((x->wire_name = malloc(n + 1)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(x->wire_name, base, n);
	x->wire_name_len = n;
	return sotto_fname_sanitize(x->wire_name, n, x->file_name);
}

/* The manifest into xs->body. A test name beyond the wire bound (hooks
 * only) is laid out by hand: the receiver must refuse it. */
static int
offer_body(struct client *c, const struct xfer *x)
{
	struct sotto_wbuf *b = &c->xf->body;
	int r;

	sotto_wbuf_reset(b);
	if (x->wire_name_len <= SOTTO_FILE_NAME_WIRE_MAX)
		return sotto_foffer_build(b, x->id, x->size, x->cs, x->sha, x->media,
		    x->wire_name, x->wire_name_len);
	if ((r = sotto_wbuf_put(b, x->id, SOTTO_XFER_ID)) != 0 ||
	    (r = sotto_wbuf_u64(b, x->size)) != 0 ||
	    (r = sotto_wbuf_u32(b, x->cs)) != 0 ||
	    (r = sotto_wbuf_put(b, x->sha, SOTTO_SHA256_LEN)) != 0 ||
	    (r = sotto_wbuf_u8(b, x->media)) != 0 ||
	    (r = sotto_wbuf_string16(b, x->wire_name, x->wire_name_len)) != 0)
		return r;
	return 0;
}

/* Open and check the file, and start its hash; why/reason say what is
 * wrong. */
static int
open_file(struct client *c, struct xfer *x, const char *path, char *why,
    size_t why_len, const char **reason)
{
	struct stat st;
	char h[32];
	int fl;

	/* Non-blocking and no controlling tty: opening a FIFO or a device
	 * must not block the loop or have side effects before S_ISREG. */
	if ((x->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
		*reason = errno == ENOENT || errno == ENOTDIR ? "no-such-file" :
		    "read-failed";
		snprintf(why, why_len, "%s: %s; not sent", path, strerror(errno));
		return SOTTO_E_IO;
	}
	if (fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*reason = "not-a-file";
		snprintf(why, why_len, "%s is not a regular file; not sent", path);
		return SOTTO_E_INVAL;
	}
	if ((fl = fcntl(x->fd, F_GETFL)) < 0 ||
	    fcntl(x->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		*reason = "read-failed";
		snprintf(why, why_len, "%s: %s; not sent", path, strerror(errno));
		return SOTTO_E_IO;
	}
	if ((uint64_t)st.st_size > c->xf->max_file) {
		*reason = "too-large";
		xfer_human(c->xf->max_file, h, sizeof(h));
		snprintf(why, why_len, "%s is larger than the limit of %s "
		    "(--max-file); not sent", path, h);
		return SOTTO_E_TOOLONG;
	}
	if (gcry_md_open(&x->md, GCRY_MD_SHA256, 0) != 0) {
		x->md = NULL;
		*reason = "not-sent";
		snprintf(why, why_len, "%s: cannot start its SHA-256; not sent", path);
		return SOTTO_E_CRYPTO;
	}
	x->hashing = true;
	ev_timer_init(&x->hash_w, on_hash, 0., 0.);
	x->size = (uint64_t)st.st_size;
	x->cs = SOTTO_FILE_CHUNK;
	x->chunks = (uint32_t)sotto_file_chunks(x->size, x->cs);
	return 0;
}

/* Send the manifest: to the room, or to member m (a DM offer, or a
 * re-offer to one receiver after a reconnect). */
static int
send_offer(struct client *c, struct xfer *x, struct member *m)
{
	int r;

	if ((r = offer_body(c, x)) != 0)
		return r;
	if (m != NULL)
		return xfer_send_body(c, m, x->private_, SOTTO_CT_FOFFER,
		    c->xf->body.p, c->xf->body.len);
	if (!xfer_may_send_room(c))
		return SOTTO_E_AGAIN;
	return dat_send_body(c, SOTTO_CT_FOFFER, c->xf->body.p, c->xf->body.len,
	    SOTTO_TO_ROOM, core_now_ms());
}

static void
peer_set(struct xpeer *p, const struct member *m, const struct sotto_peer *peer)
{
	memcpy(p->pub, m->pub, SOTTO_ED25519_PUB);
	memcpy(p->session, m->nonce, SOTTO_JOIN_NONCE);
	snprintf(p->name, sizeof(p->name), "%s", peer != NULL ? peer->name : m->name);
	snprintf(p->fpr, sizeof(p->fpr), "%s", m->fpr);
}

/* Whether an offer may go now (the same test /send makes first). */
static int
may_offer(struct client *c, bool private_, char *why, size_t why_len,
    const char **reason)
{
	if (dat_may_send(c) && (private_ || !xfer_room_held(c)))
		return 0;
	*reason = xfer_room_held(c) ? "strict" : "not-ready";
	snprintf(why, why_len, "%s; file not sent", *reason[0] == 's' ?
	    "strict mode: an untrusted reader is in the room" :
	    "not in the room with its key right now (connecting, waiting "
	    "for the key, a key change or a full send queue)");
	return CLIENT_E_DM_NOTREADY;
}

/* x is hashed: the manifest goes, to the room or to the member /send
 * named (looked up again: it may have gone while the file was hashed).
 * Whether we can send at all comes first: while we are away (a
 * reconnect) the member table is empty, and the DM target is not gone
 * for that; the offer waits (not-ready) and looks for it once we are
 * back. */
static int
offer_now(struct client *c, struct xfer *x, char *why, size_t why_len,
    const char **reason)
{
	struct member *m = NULL;
	int r;

	x->media = (uint8_t)sotto_mediatype_sniff(x->head, x->head_len);
	hex(x->sha, SOTTO_SHA256_LEN, x->sha_hex);
	if ((r = may_offer(c, x->private_, why, why_len, reason)) != 0)
		return r;
	if (x->private_ &&
	    (m = dm_member_for(c, x->to_name, why, why_len, reason)) == NULL)
		return CLIENT_E_DM_TARGET;
	if (m != NULL) {
		memcpy(x->to_pub, m->pub, SOTTO_ED25519_PUB);
		peer_set(&x->peers[0], m, sotto_trust_find(c->trust, m->pub));
		x->n_peers = 1;
	}
	if ((r = send_offer(c, x, m)) != 0) {
		x->n_peers = 0;
		*reason = "not-sent";
		snprintf(why, why_len, "offer of %s not sent: %s", x->file_name,
		    sotto_strerror(r));
		return r;
	}
	x->offer_due = false;
	x->touched = ev_now(c->loop);
	xfer_emit(c, CLIENT_EV_FILE_OFFER, x, m != NULL ? x->peers[0].name : NULL,
	    m != NULL ? x->peers[0].fpr : NULL, NULL, NULL);
	return 0;
}

/* A transfer that ends before its offer went: file-failed, no CANCEL
 * (nobody heard of it). */
static void
unoffered_fail(struct client *c, struct xfer *x, const char *reason,
    const char *detail)
{
	xfer_drop(c, x);
	xfer_emit(c, CLIENT_EV_FILE_FAILED, x, x->to_name, NULL, reason, detail);
}

/* Hashed after /send returned: offer now, or from the tick while the
 * room cannot be sent to (a key change, a reconnect), for the resume
 * window at most. */
static void
offer_later(struct client *c, struct xfer *x)
{
	const char *reason = "not-sent";
	char why[640];
	int r;

	if ((r = offer_now(c, x, why, sizeof(why), &reason)) == 0)
		return;
	if (r == CLIENT_E_DM_NOTREADY && strcmp(reason, "not-ready") == 0 &&
	    ev_now(c->loop) - x->touched < c->xf->resume) {
		x->offer_due = true;
		return;
	}
	unoffered_fail(c, x, reason, why);
}

/* The next slice of a file being hashed: one per loop turn, so the
 * network and the screen are served between slices. */
static void
on_hash(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xfer *x = container_of(w, struct xfer, hash_w);
	struct client *c = x->owner;
	char why[640];
	int r;

	(void)revents;
	/* Not c->closing: hashing needs no connection (the offer waits for
	 * one), and returning here would leave every file waiting unhashed. */
	if (x->dead || c->st == CS_CLOSED)
		return;
	if ((r = hash_slice(c, x)) == 0) {
		ev_timer_set(w, 0., 0.);
		ev_timer_start(loop, w);
		return;
	}
	if (r < 0) {
		hash_why(r, x->file_name, why, sizeof(why));
		unoffered_fail(c, x, "read-failed", why);
		return;
	}
	xsend_hash_stop(c, x);
	x->touched = ev_now(loop);
	offer_later(c, x);
}

int
xsend_offer(struct client *c, const char *to_name, const char *path,
    char *why, size_t why_len, const char **reason)
{
	struct member *m = NULL;
	struct xfer *x;
	int r;

	if (c->xf->n_out >= XFER_OUT_MAX) {
		*reason = "too-many-files";
		snprintf(why, why_len, "%u offers of yours are open already; not sent",
		    XFER_OUT_MAX);
		return SOTTO_E_TOOLONG;
	}
	if (to_name != NULL &&
	    (m = dm_member_for(c, to_name, why, why_len, reason)) == NULL)
		return CLIENT_E_DM_TARGET;
	if ((r = may_offer(c, m != NULL, why, why_len, reason)) != 0)
		return r;
	if ((x = xfer_alloc(c, true)) == NULL)
		return SOTTO_E_ALLOC;
	x->private_ = m != NULL;
	sotto_random(x->id, SOTTO_XFER_ID);
	if ((r = open_file(c, x, path, why, why_len, reason)) != 0 ||
	    (r = set_wire_name(x, path)) != 0)
		goto fail;
	if (m != NULL && (x->to_name = strdup(to_name)) == NULL) {
		r = SOTTO_E_ALLOC;
		goto fail;
	}
	/* The first slice now: a file of up to XFER_HASH_SLICE bytes is
	 * offered (or refused) before /send returns, as it always was. */
	if ((r = hash_slice(c, x)) < 0) {
		*reason = "read-failed";
		hash_why(r, path, why, why_len);
		goto fail;
	}
	if (r == 0) {
		/* The rest a slice per loop turn, after the files /send was
		 * given before it; the offer when it is done. */
		hash_next(c);
		xfer_emit(c, CLIENT_EV_FILE_HASHING, x, x->to_name, NULL, NULL, NULL);
		return 0;
	}
	xsend_hash_stop(c, x);
	if ((r = offer_now(c, x, why, why_len, reason)) != 0)
		goto fail;
	return 0;
fail:
	xfer_drop(c, x);
	return r;
}

/* --- chunks --------------------------------------------------------------------- */

/* The accepter's session is here now: its member on this connection. */
static struct member *
peer_member(struct client *c, const struct xpeer *p)
{
	struct member *m = xfer_member(c, p->pub, p->session);

	if (m == NULL || memcmp(m->nonce, p->session, SOTTO_JOIN_NONCE) != 0)
		return NULL;
	return m;
}

static bool
peer_owed(struct client *c, const struct xfer *x, const struct xpeer *p,
    struct member **m)
{
	/* Strict mode with an untrusted reader present holds room files (the
	 * group key may have reached it); a DM file is sealed to one member. */
	if (!x->private_ && xfer_room_held(c))
		return false;
	return p->active && p->cut_at == 0 && p->next < x->chunks &&
	    (*m = peer_member(c, p)) != NULL;
}

/* The accepter of x served longest ago that is owed a chunk now: turns,
 * so one accepter (however far behind, or however often it goes back to
 * chunk 0) cannot starve the others. */
static struct xpeer *
owed(struct client *c, struct xfer *x, struct member **mo)
{
	struct xpeer *best = NULL;
	struct member *m;

	*mo = NULL;
	for (size_t i = 0; i < x->n_peers; i++)
		if (peer_owed(c, x, &x->peers[i], &m) &&
		    (best == NULL || x->peers[i].served < best->served)) {
			best = &x->peers[i];
			*mo = m;
		}
	return best;
}

/* The next (transfer, accepter) to serve: transfers in turn (round robin
 * by number, after the one served last), within one its accepters in
 * turn. */
static bool
pick(struct client *c, struct xfer **xo, struct xpeer **po, struct member **mo)
{
	struct xfer *x, *after = NULL, *first = NULL;
	struct member *m;

	for (x = c->xf->list; x != NULL; x = x->next) {
		if (x->dead || !x->outgoing || owed(c, x, &m) == NULL)
			continue;
		if (x->n > c->xf->rr && (after == NULL || x->n < after->n))
			after = x;
		if (first == NULL || x->n < first->n)
			first = x;
	}
	*xo = after != NULL ? after : first;
	*po = *xo != NULL ? owed(c, *xo, mo) : NULL;
	return *po != NULL;
}

static int
read_chunk(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SOTTO_E_IO;
		got += (size_t)n;
	}
	return 0;
}

static void peer_remove(struct xfer *x, struct xpeer *p);

/* Stop serving accepter p (m its member now): CANCEL to it, then for a DM
 * file the transfer fails (word), for a room offer one line. */
static void
peer_stop(struct client *c, struct xfer *x, struct xpeer *p,
    const struct member *m, uint8_t wire_reason, const char *word,
    const char *detail)
{
	xfer_ctl_later(c, p->pub, m != NULL ? m->nonce : p->session, x->private_,
	    x->id, SOTTO_FCTL_CANCEL, 0, wire_reason);
	if (x->private_) {
		xfer_drop(c, x);
		xfer_emit(c, CLIENT_EV_FILE_FAILED, x, p->name, p->fpr, word, detail);
		return;
	}
	peer_remove(x, p);
	core_notice_reason(c, "file-not-received", "%s", detail);
}

static void
send_chunk(struct client *c, struct xfer *x, struct xpeer *p, struct member *m)
{
	struct xfer_state *xs = c->xf;
	uint64_t off = (uint64_t)p->next * x->cs;
	size_t len = x->size - off < x->cs ? (size_t)(x->size - off) : x->cs;
	char detail[512];
	int r;

	if (read_chunk(x->fd, xs->chunk, len, off) != 0) {
		snprintf(detail, sizeof(detail), "%s can no longer be read (changed "
		    "or removed while being sent)", x->file_name);
		xsend_cancel(c, x, "read-failed", detail);
		return;
	}
	sotto_wbuf_reset(&xs->body);
	if ((r = sotto_fchunk_build(&xs->body, x->id, p->next, xs->chunk, len)) != 0 ||
	    (r = xfer_send_body(c, m, x->private_, SOTTO_CT_FCHUNK, xs->body.p,
	    xs->body.len)) != 0) {
		/* A full output or a held key is waited out (the next pump);
		 * any other error would repeat at every pace tick for ever. */
		if (r != SOTTO_E_AGAIN && ++x->send_errors >= XFER_SEND_ERRORS_MAX) {
			x->send_errors = 0;
			snprintf(detail, sizeof(detail), "%s could not be sent to %s: "
			    "%s", x->file_name, p->name, sotto_strerror(r));
			peer_stop(c, x, p, m, SOTTO_FR_NONE, "other", detail);
		}
		return;
	}
	x->send_errors = 0;
	p->next++;
	p->served = ++xs->serve_seq;
	if (p->next == x->chunks) {
		p->sent_all = ev_now(c->loop);
		p->sent_file = p->from_start;
	}
	xs->last_chunk = ev_now(c->loop);
	xs->rr = x->n;
	xfer_progress(c, x, p->next == x->chunks ? x->size : (uint64_t)p->next * x->cs,
	    p->next == x->chunks);
}

/* Bytes our kernel holds that have not gone on the wire (in flight ones
 * excluded, so a long round trip does not count): a relay that holds our
 * input for its budget, or a slow path, fills the send buffer (up to
 * 4 MiB on loopback), and a line typed then would wait behind all of it. */
static size_t
kernel_unsent(int fd)
{
#ifdef SIOCOUTQNSD
	int n;

	if (fd >= 0 && ioctl(fd, SIOCOUTQNSD, &n) == 0 && n > 0)
		return (size_t)n;
#else
	(void)fd;
#endif
	return 0;
}

static void
pace_in(struct client *c, double wait)
{
	struct xfer_state *xs = c->xf;

	if (ev_is_active(&xs->pace))
		return;
	ev_timer_set(&xs->pace, wait, 0.0);
	ev_timer_start(c->loop, &xs->pace);
}

/* One chunk when the pace allows and less than a chunk waits to be sent,
 * in our buffer and in the kernel's: a pull, so a line typed now waits
 * behind one or two chunks at most. Unpaced (--file-rate 0), the next
 * chunk follows on the next loop turn, after whatever arrived meanwhile. */
void
xsend_pump(struct client *c)
{
	struct xfer_state *xs = c->xf;
	double wait;
	struct xpeer *p;
	struct member *m;
	struct xfer *x;

	if (xs == NULL || c->closing || c->st == CS_CLOSED || !dat_may_send(c) ||
	    c->out.len >= SOTTO_FILE_CHUNK)
		return;         /* the write watcher pumps again once it drains */
	if (!pick(c, &x, &p, &m))
		return;
	if (c->out.len + kernel_unsent(c->wio.fd) >= XFER_UNSENT_MAX) {
		pace_in(c, XFER_DRAIN_POLL);
		return;
	}
	if ((wait = xs->last_chunk + xs->gap - ev_now(c->loop)) > 0) {
		pace_in(c, wait);
		return;
	}
	send_chunk(c, x, p, m);
	if (xs->n_out > 0)
		pace_in(c, xs->gap);
}

/* --- receivers' controls ------------------------------------------------------------ */

static struct xpeer *
peer_find(struct xfer *x, const uint8_t *pub)
{
	for (size_t i = 0; i < x->n_peers; i++)
		if (memcmp(x->peers[i].pub, pub, SOTTO_ED25519_PUB) == 0)
			return &x->peers[i];
	return NULL;
}

static void
peer_remove(struct xfer *x, struct xpeer *p)
{
	size_t i = (size_t)(p - x->peers);

	x->peers[i] = x->peers[--x->n_peers];
	memset(&x->peers[x->n_peers], 0, sizeof(x->peers[0]));
}

/* A receiver's ACCEPT (first, resume or re-request): chunks from index. */
static void
on_accept(struct client *c, struct xfer *x, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, uint32_t index)
{
	struct xpeer *p = peer_find(x, pub);
	struct member *m = xfer_member(c, pub, session);
	uint32_t at = index < x->chunks ? index : x->chunks;
	char detail[512];

	/* Chunks go to the session that asked (docs/protocol.md), never to
	 * another session of the same identity that has no such transfer. */
	if (m == NULL || memcmp(m->nonce, session, SOTTO_JOIN_NONCE) != 0)
		return;
	if (p == NULL) {
		if (x->private_)
			return;
		if (x->n_peers >= XFER_PEERS_MAX) {
			/* Full: said, not left to time out. */
			xfer_ctl_later(c, pub, m->nonce, false, x->id,
			    SOTTO_FCTL_CANCEL, 0, SOTTO_FR_BUSY);
			return;
		}
		p = &x->peers[x->n_peers++];
		p->served = 0;      /* a newcomer goes first */
		p->from_start = at == 0;
	} else if (p->active && p->cut_at == 0 && at < p->next &&
	    ++p->back > XFER_BACK_MAX) {
		/* Going back again and again (each time a re-upload): not a
		 * receiver filling a gap. */
		snprintf(detail, sizeof(detail), "%s asked for %s again too "
		    "often; stopped sending it", p->name, x->file_name);
		peer_stop(c, x, p, m, SOTTO_FR_BUSY, "lost-chunks", detail);
		return;
	}
	peer_set(p, m, peer);
	if (p->cut_at != 0)
		p->back = 0;        /* a new budget per cut */
	p->active = true;
	p->cut_at = 0;
	p->told_cut = false;
	p->reoffer = false;
	p->next = at;
	/* Nothing more to send it (an empty file, or index = chunks): the
	 * wait for its DONE starts now. */
	p->sent_all = at < x->chunks ? 0 : p->sent_all != 0 ? p->sent_all :
	    ev_now(c->loop);
	x->touched = ev_now(c->loop);
	xsend_pump(c);
}

/* Is this the first end of room offer x that member pub reports? Each
 * member's end is reported once per transfer: a peer that sends CANCEL
 * again and again (each a fresh DAT, so no replay) must not print a line
 * each time. With the list full (refusals of more than XFER_TOLD_MAX
 * members), the end of an accepter we sent the whole file to (first
 * accepted at chunk 0, then every chunk: its DONE, or its FAIL on a hash
 * mismatch) is still reported once: who received the file must not be
 * hidden, and a repeat costs the whole file again (so an ACCEPT/DONE or
 * ACCEPT/CANCEL loop stays silent). Other ends past the list are counted,
 * not named. */
static size_t
told_max(void)
{
#ifdef SOTTO_TEST_HOOKS
	/* SOTTO_TEST_XFER_TOLD_MAX=N (1..XFER_TOLD_MAX): a shorter list, so a
	 * test fills it without a room of 33 members. */
	const char *e = getenv("SOTTO_TEST_XFER_TOLD_MAX");

	if (e != NULL && atoi(e) >= 1 && (size_t)atoi(e) <= XFER_TOLD_MAX)
		return (size_t)atoi(e);
#endif
	return XFER_TOLD_MAX;
}

static bool
end_first_told(struct xfer *x, const uint8_t pub[static SOTTO_ED25519_PUB],
    bool got_all)
{
	for (size_t i = 0; i < x->n_told; i++)
		if (memcmp(x->told[i], pub, SOTTO_ED25519_PUB) == 0) {
			x->ends_unsaid++;
			return false;
		}
	if (x->n_told >= told_max()) {
		if (got_all)
			return true;
		x->ends_unsaid++;
		return false;
	}
	memcpy(x->told[x->n_told++], pub, SOTTO_ED25519_PUB);
	return true;
}

/* A receiver's CANCEL, DONE or FAIL. p is NULL for a member of the room
 * that never accepted our room offer (it refused it: too large for it). */
static void
on_end(struct client *c, struct xfer *x, struct xpeer *p,
    const struct sotto_peer *peer, const uint8_t *pub, const struct sotto_fctl *fc)
{
	char name[XFER_NAME_MAX], fpr[SOTTO_FPR_STR_LEN], detail[512];
	const char *word = xfer_reason_word(fc->reason);
	bool first, got_all = p != NULL && p->sent_file;

	snprintf(name, sizeof(name), "%s", p != NULL ? p->name : peer->name);
	snprintf(fpr, sizeof(fpr), "%s", p != NULL ? p->fpr : peer->fpr_str);
	if (p != NULL) {
		peer_remove(x, p);
		x->touched = ev_now(c->loop);   /* only an accepter keeps it open */
	} else if (fc->op != SOTTO_FCTL_CANCEL)
		return;     /* DONE or FAIL of nothing we sent it */
	/* A DM file ends at its one receiver's first end (dropped below). */
	first = x->private_ || end_first_told(x, pub, got_all);
	if (fc->op == SOTTO_FCTL_DONE) {
		if (x->private_)
			xfer_drop(c, x);
		if (!first)
			return;
		/* One stored line per transfer: at the first receiver's. */
		if (!x->hist_stored) {
			x->hist_stored = true;
			histlog_file_sent(c, x->private_, x->file_name, x->size, name,
			    fpr);
		}
		xfer_emit(c, CLIENT_EV_FILE_SENT, x, name, fpr, NULL, NULL);
		return;
	}
	if (!first)
		return;
	if (fc->op == SOTTO_FCTL_CANCEL)
		snprintf(detail, sizeof(detail), "%s %s %s%s", name,
		    fc->reason == SOTTO_FR_TOO_LARGE ? "refused" : "cancelled",
		    x->file_name, fc->reason == SOTTO_FR_TOO_LARGE ?
		    ": larger than they accept" : "");
	else
		snprintf(detail, sizeof(detail), "%s could not receive %s (%s)",
		    name, x->file_name, word);
	if (x->private_) {
		xfer_drop(c, x);
		xfer_emit(c, CLIENT_EV_FILE_FAILED, x, name, fpr,
		    fc->op == SOTTO_FCTL_CANCEL && fc->reason == SOTTO_FR_USER ?
		    "cancelled" : word, detail);
		return;
	}
	/* A room offer stays open for the others: one line. */
	core_notice_reason(c, fc->op == SOTTO_FCTL_CANCEL ? "file-refused" :
	    "file-not-received", "%s", detail);
}

void
xsend_ctl(struct client *c, struct xfer *x, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, const struct sotto_fctl *fc,
    bool private_)
{
	struct xpeer *p;

	if (x->hashing || x->offer_due)
		return;     /* not offered yet: nobody can know its id */
	if (x->private_ != private_ ||
	    (x->private_ && memcmp(pub, x->to_pub, SOTTO_ED25519_PUB) != 0))
		return;     /* not from whom this transfer is to */
	if (fc->op == SOTTO_FCTL_ACCEPT) {
		on_accept(c, x, peer, pub, session, fc->index);
		return;
	}
	if ((p = peer_find(x, pub)) == NULL && x->private_)
		return;
	on_end(c, x, p, peer, pub, fc);
}

/* --- cuts, re-offers, timeouts -------------------------------------------------------- */

void
xsend_disconnected(struct xfer *x, double now)
{
	for (size_t i = 0; i < x->n_peers; i++) {
		if (x->peers[i].cut_at == 0)
			x->peers[i].cut_at = now;
		x->peers[i].reoffer = true;
	}
}

void
xsend_tick(struct client *c, struct xfer *x, double now)
{
	double confirm = c->xf->resume < XFER_CONFIRM_MAX ? c->xf->resume :
	    XFER_CONFIRM_MAX;
	char detail[512];
	struct member *m;
	struct xpeer *p;
	size_t i;

	if (x->hashing)
		return;         /* nothing offered yet */
	if (x->offer_due) {
		offer_later(c, x);
		return;
	}

	for (i = 0; i < x->n_peers; ) {
		p = &x->peers[i];
		if (p->cut_at == 0 && (p->active || x->private_) &&
		    (c->st != CS_READY || peer_member(c, p) == NULL))
			p->cut_at = now;
		/* We came back: the manifest again, to its current session;
		 * its ACCEPT says where to go on from. */
		if (p->reoffer && c->st == CS_READY &&
		    (m = xfer_member(c, p->pub, NULL)) != NULL &&
		    send_offer(c, x, m) == 0)
			p->reoffer = false;
		/* A DM file has one receiver: say once that it is cut. */
		if (p->cut_at != 0 && p->active && x->private_ && !p->told_cut &&
		    p->next < x->chunks) {
			p->told_cut = true;
			snprintf(detail, sizeof(detail), "transfer of %s to %s "
			    "interrupted; will resume for %.0f s", x->file_name, p->name,
			    c->xf->resume);
			xfer_emit(c, CLIENT_EV_FILE_INTERRUPTED, x, p->name, p->fpr, NULL,
			    detail);
			return;     /* the rest at the next tick */
		}
		/* Everything sent, and neither DONE nor FAIL came: a lost
		 * control, or a receiver holding our slot on purpose. */
		if (p->active && p->cut_at == 0 && p->sent_all != 0 &&
		    now - p->sent_all > confirm) {
			snprintf(detail, sizeof(detail), "%s did not confirm %s within "
			    "%.0f s of the last chunk", p->name, x->file_name, confirm);
			if (x->private_) {
				xfer_drop(c, x);
				xfer_emit(c, CLIENT_EV_FILE_FAILED, x, p->name, p->fpr,
				    "no-confirmation", detail);
				return;
			}
			core_notice_reason(c, "file-not-received", "%s", detail);
			peer_remove(x, p);
			continue;
		}
		if (p->cut_at != 0 && now - p->cut_at > c->xf->resume) {
			if (x->private_) {
				snprintf(detail, sizeof(detail), "%s did not come back "
				    "within %.0f s", p->name, c->xf->resume);
				xfer_drop(c, x);
				xfer_emit(c, CLIENT_EV_FILE_FAILED, x, p->name, p->fpr,
				    "timeout", detail);
				return;
			}
			peer_remove(x, p);
			continue;
		}
		i++;
	}
	/* A room offer stays open for late accepters for the resume window
	 * after its last activity. */
	if (!x->private_ && x->n_peers == 0 && now - x->touched > c->xf->resume)
		xfer_drop(c, x);
}

void
xsend_cancel(struct client *c, struct xfer *x, const char *reason,
    const char *detail)
{
	if (x->hashing || x->offer_due) {
		unoffered_fail(c, x, reason, detail);
		return;
	}
	/* A DM offer: to its one receiver. A room offer: to the room, so
	 * those still deciding drop it too (one frame, however many); held
	 * like any room body in strict mode while a reader is here. */
	if (x->private_)
		xfer_ctl_later(c, x->peers[0].pub, x->peers[0].session, true, x->id,
		    SOTTO_FCTL_CANCEL, 0, SOTTO_FR_USER);
	else
		xfer_ctl_later(c, NULL, NULL, false, x->id, SOTTO_FCTL_CANCEL, 0,
		    SOTTO_FR_USER);
	xfer_drop(c, x);
	xfer_emit(c, CLIENT_EV_FILE_FAILED, x, x->private_ ? x->peers[0].name : NULL,
	    x->private_ ? x->peers[0].fpr : NULL, reason, detail);
}

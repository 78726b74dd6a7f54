/* SPDX-License-Identifier: ISC */
/* dat.c: messages: typed lines sealed into DATs once READY, received DATs checked in the documented order and shown, DATs held until the key arrives. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "trust.h"
#include "utf8.h"
#include "wire-files.h"

/* Our session's sender, made once per session: its counter goes on
 * across epochs and generations (receivers keep one replay state per
 * session); the keys come from our chain in the keyring at each seal. */
int
dat_new_key(struct client *c)
{
	if (c->tx != NULL)
		return 0;
	return sotto_dat2_tx_new_pub(&c->tx, c->room, c->room_len, c->pub,
	    c->nonce, c->tx_next);
}

/* THE one place a DAT is sealed (docs/protocol.md "DAT"): outbox line l
 * under the current group key and sender session (next counter), addressed
 * to `to` (SOTTO_TO_ROOM, or one member id for a line owed to that member
 * alone), handed to the signer. With a key file the frame is in the output
 * buffer on return; with ssh-agent it leaves when the agent answers, in
 * the order frames were made (signer.c). The signer tracks l in the outbox
 * (outbox_taken/outbox_sent), so l must still be in the outbox. Callers
 * check first that we may send (READY, key held, no rotation or conflict
 * pending: dat_may_send). A line held through a relay outage (outage.c)
 * goes to one member from before: `held_bit` names that member's slot, and
 * the signer crosses it off only once the frame is in the output buffer;
 * 0 for the in-order path. 0, or an error and nothing sent.
 *
 * The key is the next one of our chain in the current epoch and
 * generation (the generation steps first when it has lasted
 * SOTTO_GEN_STEP_MS); the chain steps and the message key is wiped here,
 * before any signature exists, so a frame the signer later drops leaves a
 * gap receivers skip. Nothing else seals a DAT (outage/history code
 * sending a held line to one member calls this with its id). */
static int
dat_seal(struct client *c, uint64_t ts_ms, uint8_t ctype, const void *text,
    size_t n, const uint8_t **msg, size_t *msg_len, const uint8_t **body,
    size_t *len)
{
	struct sotto_chain *chain;
	uint32_t gen = sotto_keyring_gen(c->kr);
	int r;

	if ((r = sotto_keyring_tx(c->kr, c->pub, c->nonce, ts_ms, &chain)) != 0)
		return r;
	if (sotto_keyring_gen(c->kr) != gen)
		rot_keys_changed(c);
	if ((r = sotto_dat2_seal_unsigned(c->tx, chain, ts_ms, ctype, text, n,
	    msg, msg_len, body, len)) != 0)
		return r;
	c->tx_next = sotto_dat2_tx_next(c->tx);
	core_keylog(c, false);
	return 0;
}

int
dat_send_line(struct client *c, struct line *l, uint32_t to, uint64_t held_bit)
{
	const uint8_t *body, *msg;
	size_t len, msg_len;
	int r;

	if ((r = dat_seal(c, core_now_ms(), l->ctype, l->text, l->len, &msg,
	    &msg_len, &body, &len)) != 0)
		return r;
	if (held_bit != 0)
		return signer_send_held(c, to, body, len, msg, msg_len, l,
		    held_bit);
	return signer_send(c, SOTTO_T_DAT, to, body, len, msg, msg_len, l);
}

/* The same seal for a body that is no outbox line (dm.c): a DMKEY, a DM
 * (its inner seal is bound to the epoch, counter and time this DAT gets:
 * see dat_next_counter), a DMNOKEY; addressed to one member. The epoch is
 * the keyring's current one (sess_epoch): sealing steps our chain and
 * perhaps the generation, never the epoch. */
int
dat_send_body(struct client *c, uint8_t ctype, const void *body, size_t len,
    uint32_t to, uint64_t ts_ms)
{
	const uint8_t *out, *msg;
	size_t out_len, msg_len;
	int r;

	if ((r = dat_seal(c, ts_ms, ctype, body, len, &msg, &msg_len, &out,
	    &out_len)) != 0)
		return r;
	return signer_send(c, SOTTO_T_DAT, to, out, out_len, msg, msg_len, NULL);
}

/* The counter the next seal puts in its DAT: our session's sender counts
 * on across epochs and generations (the chain index is another field,
 * not bound by a DM). */
uint64_t
dat_next_counter(const struct client *c)
{
	return c->tx != NULL ? sotto_dat2_tx_next(c->tx) : c->tx_next;
}

/* Lines may be sealed now: READY under a settled key (no conflict being
 * resolved, no rotation pending: lines typed then wait for the new key),
 * with a socket and the signer not full. */
bool
dat_may_send(const struct client *c)
{
	return c->st == CS_READY && !c->closing && c->adopting == 0 &&
	    !rot_holding(c) && c->tx != NULL && c->fd >= 0 &&
	    c->out.len < CORE_OUT_HIGH && !signer_full(c);
}

/* Seal queued lines into the output while we hold the key, keeping the
 * output buffer short so a slow relay holds back lines, not memory (and,
 * with ssh-agent, a bounded number of signatures in flight). */
void
dat_pump(struct client *c)
{
	struct line *l;

	if (!dat_may_send(c))
		return;
	/* Strict: lines queued before a reader came wait until it leaves,
	 * held lines too (nothing is sent while it can read the room). */
	if (c->strict && c->n_readers > 0)
		return;
	/* Lines held through an outage first, to the members they owe. */
	if (!outage_pump(c))
		return;
	/* Each room DAT counts toward the periodic rotation, which may hold
	 * the next lines for the new key. */
	while (dat_may_send(c) && (l = outbox_next(&c->ob)) != NULL) {
		if (dat_send_line(c, l, SOTTO_TO_ROOM, 0) != 0)
			return;
		period_dat(c);
	}
	/* Then a file chunk, if one is due: behind every typed line. */
	xfer_pump(c);
}

/* --- receiving ----------------------------------------------------------- */

static void
reject_dat(struct client *c, int r, const struct sotto_dat2 *d,
    const struct sotto_peer *peer, const char *why)
{
	if (peer == NULL) {
		core_reject_key(c, d->id_pub, "DAT");
		return;
	}
	core_reject(c, r, "DAT %llu from %s%s%s", (unsigned long long)d->counter,
	    peer->name, why ? ": " : "", why ? why : "");
}

static const char *why_word(int r);

static bool
own_session(const struct client *c, const struct sotto_dat2 *d)
{
	return memcmp(d->id_pub, c->pub, SOTTO_ED25519_PUB) == 0 &&
	    memcmp(d->session, c->nonce, SOTTO_JOIN_NONCE) == 0;
}

/* Before any signature work: our own current session reflected back (the
 * relay never sends us our frames), or a counter this session has already
 * passed or that its watermark puts before our join. Changes nothing. */
static int
dat_seen(struct client *c, const struct sotto_dat2 *d)
{
	struct rsess *s;

	if (own_session(c, d))
		return SOTTO_V_REPLAY;
	if ((s = rsess_get(c, d->id_pub, d->session, false)) == NULL)
		return d->ts_ms < core_min_ts(c) ? SOTTO_V_STALE : 0;
	return sotto_dat2_check(d, &s->rp);
}

/* A frame of a newer version or kind from a trusted key: one notice per
 * relay member id and connection (not `malformed`). */
static void
dat_newer(struct client *c, uint32_t from, const struct sotto_dat2 *d)
{
	const struct sotto_peer *peer;
	struct member *m;

	if (d->id_pub == NULL || (peer = sotto_trust_find(c->trust, d->id_pub)) == NULL) {
		core_reject(c, SOTTO_V_UNTRUSTED, "DAT of a newer version from an "
		    "unknown key");
		return;
	}
	if (from == 0 || (m = members_get(c, from, true)) == NULL || m->told_newer)
		return;
	m->told_newer = true;
	core_notice(c, "%s sent a message of a newer version this client does "
	    "not know (a newer sotto?): ignored", peer->name);
}

/* parse -> trusted -> seen before -> signature. 0, or the frame was
 * rejected. */
static int
dat_verify(struct client *c, uint32_t from, const uint8_t *body, size_t len,
    struct sotto_dat2 *d, const struct sotto_peer **peer)
{
	int r;

	*peer = NULL;
	if ((r = sotto_dat2_parse(body, len, d)) != 0) {
		if (r == SOTTO_V_NEWER)
			dat_newer(c, from, d);
		else
			core_reject(c, r, "DAT of %zu bytes", len);
		return r;
	}
	if ((*peer = sotto_trust_find(c->trust, d->id_pub)) == NULL) {
		reject_dat(c, SOTTO_V_UNTRUSTED, d, NULL, NULL);
		return SOTTO_V_UNTRUSTED;
	}
	/* Cheap refusals first: a replay costs no signature check. */
	if ((r = dat_seen(c, d)) != 0) {
		reject_dat(c, r, d, *peer, r == SOTTO_V_REPLAY && own_session(c, d) ?
		    "our own frame, reflected by the relay" : why_word(r));
		return r;
	}
	if ((r = sotto_dat2_verify(c->rx, d, body, len)) != 0) {
		reject_dat(c, r, d, *peer, NULL);
		return r;
	}
	return 0;
}

static const char *
why_word(int r)
{
	switch (r) {
	case SOTTO_V_REPLAY:  return "counter already seen";
	case SOTTO_V_STALE:   return "sent before we joined";
	case SOTTO_V_DECRYPT: return "does not decrypt under the key held";
	}
	return NULL;
}

/* The sender's member on this connection, by identity and session. */
static struct member *
dat_member(struct client *c, const struct sotto_dat2 *d)
{
	struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->known && memcmp(m->pub, d->id_pub, SOTTO_ED25519_PUB) == 0 &&
		    memcmp(m->nonce, d->session, SOTTO_JOIN_NONCE) == 0)
			return m;
	return NULL;
}

/* epoch and generation (the keyring: the previous epoch during its grace
 * opens frames in flight; a newer epoch means we missed a rotation: ask
 * its sender) -> chain index -> decrypt -> unpad, then show it as what it
 * is (content.c). Right after dat_verify on the same body. */
static void pending_push(struct client *c, const uint8_t *body, size_t len);

/* may_hold: a DAT under an epoch newer than ours (we missed a rotation,
 * or a conflict's winner spoke first) waits in the pending queue while we
 * ask its sender for that key, and is shown once it arrives; false when
 * the queue itself is being flushed, so nothing is held twice. */
static void
dat_deliver(struct client *c, const uint8_t *body, size_t len,
    const struct sotto_dat2 *d, const struct sotto_peer *peer, bool may_hold)
{
	struct sotto_dat v1 = { .id_pub = d->id_pub, .session = d->session,
	    .epoch = d->epoch, .counter = d->counter, .ts_ms = d->ts_ms };
	uint32_t gen = sotto_keyring_gen(c->kr);
	const char *why = NULL;
	struct sotto_chain *chain;
	const uint8_t *text;
	struct member *m;
	struct rsess *s;
	size_t text_len;
	uint8_t ctype;
	int r;

	if ((s = rsess_get(c, d->id_pub, d->session, true)) == NULL) {
		reject_dat(c, SOTTO_E_ALLOC, d, peer, NULL);
		return;
	}
	r = sotto_keyring_rx(c->kr, d, core_now_ms(), &chain);
	if (sotto_keyring_gen(c->kr) != gen)
		rot_keys_changed(c);
	if (r == SOTTO_V_DECRYPT && d->epoch > sess_epoch(c)) {
		m = dat_member(c, d);
		if (!may_hold || m == NULL) {
			reject_dat(c, r, d, peer, "under a newer group key we do "
			    "not hold");
			return;
		}
		pending_push(c, body, len);
		sess_ask_winner(c, m);
		return;
	}
	if (r != 0) {
		reject_dat(c, r, d, peer, r == SOTTO_V_STALE ?
		    "under a group key no longer held" : why_word(r));
		return;
	}
	r = sotto_dat2_open(c->rx, d, body, len, chain, &s->rp, &ctype, &text,
	    &text_len);
	if (r != 0) {
		reject_dat(c, r, d, peer, r == SOTTO_V_MALFORMED ?
		    "bad padding" : r == SOTTO_V_REPLAY ? "chain index already "
		    "passed" : why_word(r));
		return;
	}
	core_keylog(c, false);
	if (d->ts_ms >= core_min_ts(c) && (m = dat_member(c, d)) != NULL)
		sess_prove(c, m);
	/* Counted before it is shown: the front-end may close us from there.
	 * Only room content of the current epoch counts: a DM (content types
	 * from 32 on) reaches one member, every member must count the same
	 * DATs, and one of the previous epoch in its grace is not under the
	 * key held. */
	if (ctype < SOTTO_CT_DMKEY && d->epoch == sess_epoch(c))
		period_dat(c);
	if ((r = content_deliver(c, &v1, peer, s, ctype, text, text_len, &why)) != 0)
		reject_dat(c, r, d, peer, why);
}

static size_t
pending_bytes(const struct client *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->pend_n; i++)
		n += c->pend[(c->pend_head + i) % CORE_PENDING_MAX].len;
	return n;
}

static void
pending_push(struct client *c, const uint8_t *body, size_t len)
{
	size_t held = pending_bytes(c);
	struct pending *p;
	uint8_t *copy;

	/* Full (CORE_PENDING_MAX DATs, or CORE_PENDING_BYTES: a relay
	 * replaying file chunks must not grow it to 16 MB): the oldest go,
	 * each reported once. */
	while (c->pend_n > 0 && (c->pend_n == CORE_PENDING_MAX ||
	    held + len > CORE_PENDING_BYTES)) {
		p = &c->pend[c->pend_head];
		held -= p->len;
		free(p->body);
		p->body = NULL;
		c->pend_head = (c->pend_head + 1) % CORE_PENDING_MAX;
		c->pend_n--;
		core_reject(c, SOTTO_V_STALE, "DAT arrived before the key, queue full");
	}
	if ((copy = malloc(len)) == NULL) {
		core_reject(c, SOTTO_E_ALLOC, "DAT arrived before the key");
		return;
	}
	memcpy(copy, body, len);
	p = &c->pend[(c->pend_head + c->pend_n) % CORE_PENDING_MAX];
	p->body = copy;
	p->len = len;
	c->pend_n++;
}

#ifdef SOTTO_TEST_HOOKS
void
dat_test_hold(struct client *c, const uint8_t *body, size_t len)
{
	pending_push(c, body, len);
}
#endif

void
dat_on_frame(struct client *c, uint32_t from, const uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_dat2 d;

	if (dat_verify(c, from, body, len, &d, &peer) != 0)
		return;
	if (c->st != CS_READY) {
		pending_push(c, body, len);
		return;
	}
	dat_deliver(c, body, len, &d, peer, true);
}

/* Right after READY, and after adopting a newer epoch's key: the held
 * DATs, in arrival order. One pass over what is held now: a DAT under
 * an epoch still newer than ours is refused, not held again. */
void
dat_flush_pending(struct client *c)
{
	const struct sotto_peer *peer;
	struct sotto_dat2 d;
	struct pending p;
	size_t n = c->pend_n;

	while (n-- > 0 && c->pend_n > 0 && c->st == CS_READY && !c->closing) {
		p = c->pend[c->pend_head];
		c->pend[c->pend_head].body = NULL;
		c->pend_head = (c->pend_head + 1) % CORE_PENDING_MAX;
		c->pend_n--;
		/* Checked again: the trusted folder may have changed. */
		if (dat_verify(c, 0, p.body, p.len, &d, &peer) == 0)
			dat_deliver(c, p.body, p.len, &d, peer, false);
		free(p.body);
	}
}

void
dat_drop_pending(struct client *c, const char *why)
{
	struct pending *p;

	while (c->pend_n > 0) {
		p = &c->pend[c->pend_head];
		free(p->body);
		p->body = NULL;
		c->pend_head = (c->pend_head + 1) % CORE_PENDING_MAX;
		c->pend_n--;
		if (why != NULL)
			core_reject(c, SOTTO_V_STALE, "DAT held for the key: %s", why);
	}
	c->pend_head = 0;
}

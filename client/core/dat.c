/* dat.c: messages: typed lines sealed into DATs once READY, received DATs checked in the documented order and shown, DATs held until the key arrives. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "trust.h"
#include "utf8.h"

/* A new group key or a new session: a fresh sender context. The counter
 * goes on within a session (receivers keep one replay state per session,
 * whatever key it used). */
int
dat_new_key(struct client *c)
{
	if (c->tx != NULL)
		c->tx_next = sotto_dat_tx_next(c->tx);
	sotto_dat_tx_free(c->tx);
	c->tx = NULL;
	return sotto_dat_tx_new_pub(&c->tx, c->room, c->room_len, c->pub,
	    c->group, c->nonce, c->tx_next);
}

/* Seal queued lines into the output while we hold the key, keeping the
 * output buffer short so a slow relay holds back lines, not memory (and,
 * with ssh-agent, a bounded number of signatures in flight). */
void
dat_pump(struct client *c)
{
	const uint8_t *body, *msg;
	struct line *l;
	size_t len, msg_len;

	if (c->st != CS_READY || c->adopting != 0 || c->tx == NULL || c->fd < 0 ||
	    c->closing)
		return;
	/* Strict: lines queued before a reader came wait until it leaves. */
	if (c->strict && c->n_readers > 0)
		return;
	while (c->out.len < CORE_OUT_HIGH && !signer_full(c) &&
	    (l = outbox_next(&c->ob)) != NULL) {
		if (sotto_dat_seal_unsigned(c->tx, core_now_ms(), l->ctype,
		    l->text, l->len, &msg, &msg_len, &body, &len) != 0)
			return;
		c->tx_next = sotto_dat_tx_next(c->tx);
		if (signer_send(c, SOTTO_T_DAT, SOTTO_TO_ROOM, body, len, msg,
		    msg_len, l) != 0)
			return;
	}
}

/* --- receiving ----------------------------------------------------------- */

static void
reject_dat(struct client *c, int r, const struct sotto_dat *d,
    const struct sotto_peer *peer, const char *why)
{
	if (peer == NULL) {
		core_reject_key(c, d->id_pub, "DAT");
		return;
	}
	core_reject(c, r, "DAT %llu from %s%s%s", (unsigned long long)d->counter,
	    peer->name, why ? ": " : "", why ? why : "");
}

/* parse -> trusted -> signature. 0, or the frame was rejected. */
static int
dat_verify(struct client *c, const uint8_t *body, size_t len,
    struct sotto_dat *d, const struct sotto_peer **peer)
{
	int r;

	*peer = NULL;
	if ((r = sotto_dat_parse(body, len, d)) != 0) {
		core_reject(c, r, "DAT of %zu bytes", len);
		return r;
	}
	if ((*peer = sotto_trust_find(c->trust, d->id_pub)) == NULL) {
		reject_dat(c, SOTTO_V_UNTRUSTED, d, NULL, NULL);
		return SOTTO_V_UNTRUSTED;
	}
	if ((r = sotto_dat_verify(c->rx, d, body, len)) != 0) {
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

/* epoch -> replay -> stale -> decrypt -> unpad, then show it. */
static void
dat_deliver(struct client *c, const uint8_t *body, size_t len,
    const struct sotto_dat *d, const struct sotto_peer *peer)
{
	const uint8_t *text;
	const char *why;
	struct rsess *s;
	size_t text_len;
	uint8_t ctype;
	int r;

	if ((s = rsess_get(c, d->id_pub, d->session, true)) == NULL) {
		reject_dat(c, SOTTO_E_ALLOC, d, peer, NULL);
		return;
	}
	if (s->dp.aead == NULL || s->key_gen != c->key_gen) {
		sotto_aead_free(s->dp.aead);
		s->dp.aead = NULL;
		if ((r = sotto_dat_subkey(&s->dp.aead, c->group, d->id_pub,
		    d->session)) != 0) {
			reject_dat(c, r, d, peer, NULL);
			return;
		}
		s->dp.epoch = c->group->epoch;
		s->key_gen = c->key_gen;
	}
	r = sotto_dat_open(c->rx, d, body, len, &s->dp, &ctype, &text, &text_len);
	if (r != 0) {
		reject_dat(c, r, d, peer, r == SOTTO_V_MALFORMED ?
		    "bad padding" : why_word(r));
		return;
	}
	if ((r = content_deliver(c, d, peer, s, ctype, text, text_len, &why)) != 0)
		reject_dat(c, r, d, peer, why);
}

static void
pending_push(struct client *c, const uint8_t *body, size_t len)
{
	struct pending *p;
	uint8_t *copy;

	if (c->pend_n == CORE_PENDING_MAX) {
		/* Full: the oldest goes, reported once. */
		p = &c->pend[c->pend_head];
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

void
dat_on_frame(struct client *c, const uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_dat d;

	if (dat_verify(c, body, len, &d, &peer) != 0)
		return;
	if (c->st != CS_READY) {
		pending_push(c, body, len);
		return;
	}
	dat_deliver(c, body, len, &d, peer);
}

/* Right after READY: the held DATs, in arrival order. */
void
dat_flush_pending(struct client *c)
{
	const struct sotto_peer *peer;
	struct sotto_dat d;
	struct pending p;

	while (c->pend_n > 0 && c->st == CS_READY) {
		p = c->pend[c->pend_head];
		c->pend[c->pend_head].body = NULL;
		c->pend_head = (c->pend_head + 1) % CORE_PENDING_MAX;
		c->pend_n--;
		/* Checked again: the trusted folder may have changed. */
		if (dat_verify(c, p.body, p.len, &d, &peer) == 0)
			dat_deliver(c, p.body, p.len, &d, peer);
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

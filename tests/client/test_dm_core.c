/* SPDX-License-Identifier: ISC */
/* test_dm_core.c: the receiving side of direct messages in the core (client/core/dm.c): a DMKEY is kept only when bound to its sender, a DM opens into a private message event, an unknown key or inner type is one notice, keys go with their session and their epoch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "keyring.h"
#include "pad.h"
#include "ratchet.h"
#include "trust.h"

struct seen {
	size_t n;
	enum client_event_type type;
	char   reason[32];
	char   text[64];
	bool   dm;
	char   to[16];
	char   notice[256];
};

static void on_event(const struct client_event *ev, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	s->type = ev->type;
	s->reason[0] = s->text[0] = s->to[0] = '\0';
	if (ev->type == CLIENT_EV_NOTICE) {
		snprintf(s->reason, sizeof(s->reason), "%s",
		    ev->notice.reason ? ev->notice.reason : "");
		snprintf(s->notice, sizeof(s->notice), "%s",
		    ev->notice.text ? ev->notice.text : "");
	}
	if (ev->type == CLIENT_EV_MESSAGE) {
		snprintf(s->text, sizeof(s->text), "%.*s", (int)ev->message.text_len,
		    ev->message.text);
		s->dm = ev->message.dm;
		snprintf(s->to, sizeof(s->to), "%s", ev->message.to ? ev->message.to : "");
	}
}

static uint8_t a_pub[32], a_sess[32], a_fpr[32], m_fpr[32];
static uint8_t dmkey[SOTTO_DM_KEY];
static uint64_t counter = 10;

static int deliver(struct client *c, struct rsess *rs, const uint8_t *fpr,
    uint32_t epoch, uint8_t ctype, const struct sotto_wbuf *b, const char **why)
{
	struct sotto_peer peer = { .name = "alice" };
	struct sotto_dat d = { .id_pub = a_pub, .session = a_sess, .epoch = epoch,
	    .counter = counter, .ts_ms = 1700000000000ull + counter };

	memcpy(peer.fpr, fpr, 32);
	strcpy(peer.fpr_str, "SHA256:alice");
	return content_deliver(c, &d, &peer, rs, ctype, b->p, b->len, why);
}

/* A DM from alice's session sealed under key for the next outer counter. */
static void seal(struct client *c, struct sotto_wbuf *b, const uint8_t *key,
    uint32_t epoch, uint8_t inner, const char *text)
{
	struct sotto_dm_outer o = { c->room, c->room_len, a_pub, a_sess, epoch,
	    counter + 1, 1700000000000ull + counter + 1 };

	counter++;
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_dm_seal(b, key, &o, c->fpr, c->nonce, inner, text,
	    strlen(text)), 0);
}

static void send_key(struct client *c, struct rsess *rs, struct sotto_wbuf *b,
    const uint8_t *from_fpr, uint32_t epoch, int want)
{
	const char *why;

	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_dmkey_build(b, dmkey, epoch, a_fpr, a_sess, c->fpr, c->nonce,
	    c->rsa_n), 0);
	counter++;
	CHECK_EQ(deliver(c, rs, from_fpr, epoch, SOTTO_CT_DMKEY, b, &why), want);
}

/* The same from any identity and session (a flood of keys). */
static int deliver_from(struct client *c, struct rsess *rs, const uint8_t *pub,
    const uint8_t *sess, const uint8_t *fpr, uint32_t epoch, uint8_t ctype,
    const struct sotto_wbuf *b, const char **why)
{
	uint64_t n = ++counter;
	struct sotto_peer peer = { .name = "mallory" };
	struct sotto_dat d = { .id_pub = pub, .session = sess, .epoch = epoch,
	    .counter = n, .ts_ms = 1700000000000ull + n };

	memcpy(peer.fpr, fpr, 32);
	strcpy(peer.fpr_str, "SHA256:mallory");
	return content_deliver(c, &d, &peer, rs, ctype, b->p, b->len, why);
}

/* A fresh valid DMKEY from (pub, sess) to us. */
static int flood_key(struct client *c, struct rsess *rs, const uint8_t *pub,
    const uint8_t *sess, const uint8_t *fpr, uint32_t epoch, struct sotto_wbuf *b)
{
	uint8_t k[SOTTO_DM_KEY];
	const char *why;

	sotto_random(k, sizeof(k));
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_dmkey_build(b, k, epoch, fpr, sess, c->fpr, c->nonce,
	    c->rsa_n), 0);
	return deliver_from(c, rs, pub, sess, fpr, epoch, SOTTO_CT_DMKEY, b, &why);
}

/* alice's key survives whatever another trusted member sends: one
 * session's flood of keys costs at most SOTTO_DM_UNWRAPS_MAX unwraps and
 * holds one entry, and many sessions of one identity evict only their
 * own. */
static void test_flood(struct client *c, struct rsess *rs, struct seen *s,
    struct sotto_wbuf *b)
{
	static struct rsess ms[SOTTO_DM_KEYS_MAX + 4];
	static uint8_t msess[SOTTO_DM_KEYS_MAX + 4][32];
	uint8_t m_pub[32];
	const char *why;
	size_t i, told = 0;
	int r;

	sotto_random(m_pub, 32);
	sotto_random(dmkey, 32);
	send_key(c, rs, b, a_fpr, 1, 0);
	for (i = 0; i < SOTTO_DM_KEYS_MAX + 4; i++)
		sotto_random(msess[i], 32);

	/* One session, 300 keys: the first ones are unwrapped, then one
	 * notice and the rest ignored before any RSA work (a wrap that
	 * would not open is not even looked at). */
	s->n = 0;
	for (i = 0; i < 300; i++) {
		CHECK_EQ(flood_key(c, &ms[0], m_pub, msess[0], m_fpr, 1, b), 0);
		if (s->n > told) {
			CHECK_STR(s->reason, "dm-key-flood");
			told = s->n;
		}
	}
	CHECK_EQ(s->n, 1);
	b->p[100] ^= 1;
	CHECK_EQ(deliver_from(c, &ms[0], m_pub, msess[0], m_fpr, 1,
	    SOTTO_CT_DMKEY, b, &why), 0);
	seal(c, b, dmkey, 1, SOTTO_CT_TEXT, "still readable");
	CHECK_EQ(deliver(c, rs, a_fpr, 1, SOTTO_CT_DM, b, &why), 0);
	CHECK_EQ(s->type, CLIENT_EV_MESSAGE);
	CHECK_STR(s->text, "still readable");

	/* 260 sessions of the same identity, one key each. */
	for (i = 1; i < SOTTO_DM_KEYS_MAX + 4; i++)
		if ((r = flood_key(c, &ms[i], m_pub, msess[i], m_fpr, 1, b)) != 0)
			CHECK_EQ(r, 0);
	seal(c, b, dmkey, 1, SOTTO_CT_TEXT, "still mine");
	CHECK_EQ(deliver(c, rs, a_fpr, 1, SOTTO_CT_DM, b, &why), 0);
	CHECK_EQ(s->type, CLIENT_EV_MESSAGE);
	CHECK_STR(s->text, "still mine");
	dm_session_end(c, a_pub, a_sess);
}

/* DMs under keys nobody sent (another member's flood): the no-key
 * answers (a notice and a DMNOKEY each) stop at SOTTO_DM_UNWRAPS_MAX per
 * sender session and epoch, as the keys they ask for would. */
static void test_nokey_flood(struct client *c, struct seen *s, struct sotto_wbuf *b)
{
	static struct rsess ms;
	uint8_t m_pub[32], m_sess[32], k[SOTTO_DM_KEY];
	const char *why;
	size_t notices = 0;

	sotto_random(m_pub, 32);
	sotto_random(m_sess, 32);
	for (int i = 0; i < 40; i++) {
		struct sotto_dm_outer o = { c->room, c->room_len, m_pub, m_sess, 1,
		    counter + 1, 1700000000000ull + counter + 1 };

		sotto_random(k, sizeof(k));
		sotto_wbuf_reset(b);
		CHECK_EQ(sotto_dm_seal(b, k, &o, c->fpr, c->nonce, SOTTO_CT_TEXT,
		    "x", 1), 0);
		s->n = 0;
		CHECK_EQ(deliver_from(c, &ms, m_pub, m_sess, m_fpr, 1, SOTTO_CT_DM,
		    b, &why), 0);
		if (s->n > 0) {
			CHECK_STR(s->reason, "dm-no-key");
			notices++;
		}
	}
	CHECK_EQ(notices, SOTTO_DM_UNWRAPS_MAX);
}

/* The keyring switches to a fresh key of `epoch` (the previous one is
 * kept for its grace by the keyring, but the core has not seen the switch
 * happen, so it treats the previous epoch as closed: no grace held here). */
/* A DM sealed by hand, as a sender without sotto_dm_seal's length rule
 * would: the receiver's own bound is what is tested. */
static void seal_unbounded(struct client *c, struct sotto_wbuf *b,
    const uint8_t *key, uint32_t epoch, uint8_t inner, const uint8_t *body,
    size_t n)
{
	struct sotto_wbuf pt, aad;
	struct sotto_aead *a = NULL;
	uint8_t nonce[SOTTO_GCM_NONCE], id[SOTTO_KEY_ID];
	uint64_t ctr = ++counter, ts = 1700000000000ull + ctr;
	size_t hdr;

	sotto_wbuf_init_secure(&pt, SOTTO_DM_INNER_MAX);
	sotto_wbuf_init(&aad, 0);
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_dm_key_id(key, id), 0);
	CHECK_EQ(sotto_pad(&pt, inner, body, n), 0);
	hdr = b->len;
	CHECK_EQ(sotto_wbuf_put(b, c->fpr, SOTTO_FPR_LEN), 0);
	CHECK_EQ(sotto_wbuf_put(b, c->nonce, SOTTO_JOIN_NONCE), 0);
	CHECK_EQ(sotto_wbuf_put(b, id, SOTTO_KEY_ID), 0);
	CHECK_EQ(sotto_wbuf_u32(b, (uint32_t)pt.len), 0);
	CHECK_EQ(sotto_wbuf_put(&aad, SOTTO_LABEL_DM, SOTTO_LABEL_DM_LEN), 0);
	CHECK_EQ(sotto_wbuf_u8(&aad, (uint8_t)c->room_len), 0);
	CHECK_EQ(sotto_wbuf_put(&aad, c->room, c->room_len), 0);
	CHECK_EQ(sotto_wbuf_put(&aad, a_pub, SOTTO_ED25519_PUB), 0);
	CHECK_EQ(sotto_wbuf_put(&aad, a_sess, SOTTO_JOIN_NONCE), 0);
	CHECK_EQ(sotto_wbuf_u32(&aad, epoch), 0);
	CHECK_EQ(sotto_wbuf_u64(&aad, ctr), 0);
	CHECK_EQ(sotto_wbuf_u64(&aad, ts), 0);
	CHECK_EQ(sotto_wbuf_put(&aad, b->p + hdr, SOTTO_DM_HDR), 0);
	memcpy(nonce, SOTTO_DM_NONCE_PREFIX, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(ctr >> (56 - 8 * i));
	CHECK_EQ(sotto_wbuf_reserve(b, pt.len + SOTTO_GCM_TAG), 0);
	CHECK_EQ(sotto_aead_new(&a, key), 0);
	CHECK_EQ(sotto_aead_seal(a, nonce, aad.p, aad.len, pt.p, pt.len,
	    b->p + b->len, b->p + b->len + pt.len), 0);
	b->len += pt.len + SOTTO_GCM_TAG;
	sotto_aead_free(a);
	sotto_wbuf_free(&pt);
	sotto_wbuf_free(&aad);
}

/* DM text is bounded at SOTTO_DM_TEXT_MAX on receipt, as at the sender:
 * one byte more is malformed, not shown. */
static void test_text_bound(struct client *c, struct rsess *rs, struct seen *s,
    struct sotto_wbuf *b)
{
	static uint8_t text[SOTTO_DM_TEXT_MAX + 1];
	const char *why;
	size_t before;

	memset(text, 'x', sizeof(text));
	before = s->n;
	seal_unbounded(c, b, dmkey, 1, SOTTO_CT_TEXT, text, SOTTO_DM_TEXT_MAX);
	CHECK_EQ(deliver(c, rs, a_fpr, 1, SOTTO_CT_DM, b, &why), 0);
	CHECK_EQ(s->n, before + 1);
	CHECK_EQ(s->type, CLIENT_EV_MESSAGE);
	seal_unbounded(c, b, dmkey, 1, SOTTO_CT_TEXT, text, SOTTO_DM_TEXT_MAX + 1);
	CHECK_EQ(deliver(c, rs, a_fpr, 1, SOTTO_CT_DM, b, &why), SOTTO_V_MALFORMED);
	CHECK_EQ(s->n, before + 1);
}

static void set_epoch(struct client *c, uint32_t epoch)
{
	static uint8_t prev_id[SOTTO_KEY_ID];
	struct sotto_epoch_origin o = { epoch == 1 ? SOTTO_REASON_FIRST :
	    SOTTO_REASON_LEFT, epoch - 1, epoch == 1 ? NULL : prev_id };
	uint8_t id[SOTTO_KEY_ID];
	struct sotto_genkey *gk = NULL;

	CHECK_EQ(sotto_genkey_generate(&gk, epoch), 0);
	CHECK_EQ(sotto_epoch_key_id(gk->key, id), 0);
	CHECK_EQ(sotto_keyring_set(c->kr, gk, id, &o, NULL, 0, 1700000000000ull), 0);
	memcpy(prev_id, id, sizeof(id));
}

int main(void)
{
	struct client c;
	struct rsess rs;
	struct seen s;
	struct sotto_wbuf b;
	const char *why;
	uint8_t other[SOTTO_DM_KEY];

	CHECK_EQ(sotto_crypto_init(), 0);
	memset(&c, 0, sizeof(c));
	memset(&rs, 0, sizeof(rs));
	memset(&s, 0, sizeof(s));
	c.fn = on_event;
	c.ctx = &s;
	c.self_name = "bob";
	memcpy(c.room, "lobby", 5);
	c.room_len = 5;
	sotto_random(c.fpr, 32);
	sotto_random(c.nonce, 32);
	sotto_random(a_pub, 32);
	sotto_random(a_sess, 32);
	sotto_random(a_fpr, 32);
	sotto_random(m_fpr, 32);
	sotto_random(dmkey, 32);
	sotto_random(other, 32);
	CHECK_EQ(sotto_keyring_new(&c.kr, NULL), 0);
	set_epoch(&c, 1);
	CHECK_EQ(sotto_rsa_generate(&c.rsa, SOTTO_RSA_BITS), 0);
	CHECK_EQ(sotto_rsa_modulus(c.rsa, c.rsa_n, sizeof(c.rsa_n)), 0);
	CHECK_EQ(dm_new(&c), 0);
	sotto_wbuf_init(&b, 0);

	/* Before any key: a dm-no-key notice, not a rejection. Here no
	 * DMNOKEY can go (alice is no member on this connection, nothing is
	 * sendable): the notice must not claim one was sent, and the next DM
	 * under that key tries again (once per (session, key) holds for asks
	 * that went: client.dm.lost_key). */
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "too early");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 1);
	CHECK_STR(s.reason, "dm-no-key");
	CHECK(strstr(s.notice, "asked for a new key") == NULL);
	CHECK(strstr(s.notice, "could not ask") != NULL);
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "still early");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 2);

	/* A DMKEY signed by M carrying alice's wrap: refused, nothing kept. */
	send_key(&c, &rs, &b, m_fpr, 1, SOTTO_V_DECRYPT);
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "hi");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK(s.type != CLIENT_EV_MESSAGE);

	/* alice's own: kept silently; her DM opens into a private message. */
	s.n = 0;
	send_key(&c, &rs, &b, a_fpr, 1, 0);
	CHECK_EQ(s.n, 0);
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "psst");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.type, CLIENT_EV_MESSAGE);
	CHECK_STR(s.text, "psst");
	CHECK(s.dm);
	CHECK_STR(s.to, "bob");
	/* Sealed under another key with the same id field: decrypt-failed. */
	seal(&c, &b, other, 1, SOTTO_CT_TEXT, "forged");
	{
		uint8_t id[8];

		CHECK_EQ(sotto_dm_key_id(dmkey, id), 0);
		memcpy(b.p + 64, id, 8);
	}
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), SOTTO_V_DECRYPT);
	CHECK_EQ(s.n, 1);
	/* For another member: not-for-me. */
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "psst");
	b.p[0] ^= 1;
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), SOTTO_V_NOTFORME);
	/* A newer inner type: one notice per session and type. */
	seal(&c, &b, dmkey, 1, 40, "file?");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 2);
	CHECK_STR(s.reason, "unknown-content");
	seal(&c, &b, dmkey, 1, 40, "file?");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 2);
	/* Layouts the reader refuses. */
	b.len = 10;
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), SOTTO_V_MALFORMED);
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DMKEY, &b, &why), SOTTO_V_MALFORMED);
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DMNOKEY, &b, &why), SOTTO_V_MALFORMED);

	test_text_bound(&c, &rs, &s, &b);
	test_flood(&c, &rs, &s, &b);
	test_nokey_flood(&c, &s, &b);

	/* A DMKEY from a session that has left (a relay holding it back past
	 * the LEFT): its keys went at its end, and none is kept after it. */
	{
		struct rsess gone;

		memset(&gone, 0, sizeof(gone));
		gone.ended = true;
		sotto_random(dmkey, 32);
		send_key(&c, &gone, &b, a_fpr, 1, SOTTO_V_STALE);
		s.n = 0;
		seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "from beyond");
		CHECK_EQ(deliver(&c, &gone, a_fpr, 1, SOTTO_CT_DM, &b, &why),
		    SOTTO_V_STALE);
		CHECK_EQ(s.n, 0);
		CHECK(s.type != CLIENT_EV_MESSAGE);
		CHECK(strcmp(s.text, "from beyond") != 0);
	}

	/* The session ends: its keys go; a DM under it is a no-key again. */
	dm_session_end(&c, a_pub, a_sess);
	s.n = 0;
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "after the end");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 1);
	CHECK(s.type == CLIENT_EV_NOTICE);

	/* A new epoch: keys of the old one go (no grace held here). */
	sotto_random(dmkey, 32);
	send_key(&c, &rs, &b, a_fpr, 1, 0);
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "epoch one");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_STR(s.text, "epoch one");
	set_epoch(&c, 2);
	dm_purge(&c);
	s.n = 0;
	seal(&c, &b, dmkey, 1, SOTTO_CT_TEXT, "epoch one again");
	CHECK_EQ(deliver(&c, &rs, a_fpr, 1, SOTTO_CT_DM, &b, &why), 0);
	CHECK_EQ(s.n, 1);
	CHECK_STR(s.reason, "dm-no-key");
	/* A DMKEY of an epoch we can no longer open: stale. */
	send_key(&c, &rs, &b, a_fpr, 1, SOTTO_V_STALE);

	sotto_wbuf_free(&b);
	dm_free(&c);
	sotto_rsa_free(c.rsa);
	sotto_keyring_free(c.kr);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_proto2.c: v2 INI/KEY/DAT bodies: layout as documented, round trips, the replay-before-signature split, newer-peer frames, KEY dedup digest, and newcomer history protection proved on keys. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "proto2.h"
#include "ratchet.h"
#include "sshkey.h"
#include "trust.h"

#define NOW  1700000000000ull

static const uint8_t LOBBY[] = "lobby";
#define LOBBY_LEN 5u
static const uint8_t OTHER[] = "other";
#define OTHER_LEN 5u

static struct sotto_ed25519 *alice, *bob, *carol, *mallory;
static struct sotto_trust trust;
static struct sotto_peer peers[3];
static struct sotto_rsa *rsa_carol;
static uint8_t n_carol[SOTTO_RSA_MOD], fpr_carol[SOTTO_FPR_LEN];
static uint8_t nonce_alice[32], nonce_bob[32], nonce_carol[32];

static void
peer_set(struct sotto_peer *p, const char *name, const struct sotto_ed25519 *k)
{
	p->name = (char *)(uintptr_t)name;
	memcpy(p->pub, sotto_ed25519_pub(k), SOTTO_ED25519_PUB);
	sotto_fingerprint(p->pub, p->fpr);
	sotto_fingerprint_str(p->pub, p->fpr_str);
}

static int
setup(void)
{
	if (sotto_crypto_init() != 0 ||
	    sotto_ed25519_generate(&alice) != 0 ||
	    sotto_ed25519_generate(&bob) != 0 ||
	    sotto_ed25519_generate(&carol) != 0 ||
	    sotto_ed25519_generate(&mallory) != 0 ||
	    sotto_rsa_generate(&rsa_carol, SOTTO_RSA_BITS) != 0 ||
	    sotto_rsa_modulus(rsa_carol, n_carol, sizeof(n_carol)) != 0)
		return -1;
	peer_set(&peers[0], "alice", alice);
	peer_set(&peers[1], "bob", bob);
	peer_set(&peers[2], "carol", carol);
	trust.peers = peers;
	trust.n = 3;
	sotto_fingerprint(sotto_ed25519_pub(carol), fpr_carol);
	sotto_random_nonce(nonce_alice, 32);
	sotto_random_nonce(nonce_bob, 32);
	sotto_random_nonce(nonce_carol, 32);
	return 0;
}

/* Replace the trailing signature: label || [P] || body[0..len-64). */
static void
resign(uint8_t *body, size_t len, const char *label, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *k)
{
	struct sotto_wbuf m;

	sotto_wbuf_init(&m, 0);
	sotto_wbuf_put(&m, label, SOTTO_LABEL_LEN);
	if (room != NULL) {
		sotto_wbuf_u8(&m, (uint8_t)room_len);
		sotto_wbuf_put(&m, room, room_len);
	}
	sotto_wbuf_put(&m, body, len - SOTTO_ED25519_SIG);
	CHECK_EQ(sotto_ed25519_sign(k, m.p, m.len, body + len - SOTTO_ED25519_SIG), 0);
	sotto_wbuf_free(&m);
}

/* --- INI ----------------------------------------------------------------- */

static void
ini_fields(struct sotto_ini2 *f, uint8_t flags, const uint8_t *to_nonce)
{
	memset(f, 0, sizeof(*f));
	f->room = LOBBY;
	f->room_len = LOBBY_LEN;
	f->flags = flags;
	f->nonce = nonce_alice;
	f->to_nonce = to_nonce;
	f->ts_ms = NOW;
	f->rsa_n = n_carol;   /* any valid modulus */
}

static void
test_ini2_layout(void)
{
	struct sotto_wbuf b;
	struct sotto_ini2 f, ini;
	const struct sotto_peer *peer;
	uint8_t kid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t *p;

	ini_fields(&f, SOTTO_INI2_REPLY, nonce_carol);
	f.ask = 0x01020304;
	f.epoch = 9;
	f.key_id = kid;
	f.gen = 77;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), 0);
	CHECK_EQ(b.len, 1 + LOBBY_LEN + SOTTO_INI2_FIXED);
	/* The documented offsets, after P (6 bytes). */
	p = b.p + 1 + LOBBY_LEN;
	CHECK_EQ(p[0], 2);
	CHECK_EQ(p[1], SOTTO_INI2_REPLY);
	CHECK_MEM(p + 2, sotto_ed25519_pub(alice), 32);
	CHECK_EQ(sotto_load_be32(p + 34), 0x01020304);
	CHECK_MEM(p + 38, nonce_alice, 32);
	CHECK_MEM(p + 70, nonce_carol, 32);
	CHECK_EQ(sotto_load_be32(p + 102), (uint32_t)(NOW >> 32));
	CHECK_EQ(sotto_load_be32(p + 110), 9);
	CHECK_MEM(p + 114, kid, 8);
	CHECK_EQ(sotto_load_be32(p + 122), 77);
	CHECK_EQ(p[126], 0x02);
	CHECK_EQ(p[127], 0x00);
	CHECK_MEM(p + 128, n_carol, SOTTO_RSA_MOD);
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer), 0);
	CHECK(peer == &peers[0]);
	CHECK_EQ(ini.gen, 77);
	CHECK_EQ(ini.ask, 0x01020304);
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW, 0), 0);
	CHECK(sotto_ini2_for_session(&ini, nonce_carol));
	CHECK(!sotto_ini2_for_session(&ini, nonce_bob));
	/* The room is signed: another room is not-for-me before any signature
	 * work, and the signature does not hold there either. */
	CHECK_EQ(sotto_ini2_check(b.p, b.len, OTHER, OTHER_LEN, &trust, &ini, &peer),
	    SOTTO_V_NOTFORME);
	/* Every signed byte counts. */
	b.p[1 + LOBBY_LEN + 70] ^= 1;
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer), 0);
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW, 0), SOTTO_V_BADSIG);
	sotto_wbuf_free(&b);
	/* Too old or too new, or before the caller's minimum. */
	ini_fields(&f, 0, NULL);
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), 0);
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer), 0);
	CHECK(!sotto_ini2_for_session(&ini, nonce_carol));   /* broadcast: zeros */
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW + SOTTO_INI_WINDOW_MS + 1, 0),
	    SOTTO_V_STALE);
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW, NOW + 1), SOTTO_V_STALE);
	sotto_wbuf_free(&b);
}

static void
test_ini2_refusals(void)
{
	struct sotto_wbuf b;
	struct sotto_ini2 f, ini;
	const struct sotto_peer *peer;
	uint8_t kid[8] = { 1 };
	size_t vpos = 1 + LOBBY_LEN;

	/* Build-side rules. */
	ini_fields(&f, 0x80, NULL);
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), SOTTO_E_INVAL);
	ini_fields(&f, 0, NULL);
	f.epoch = 1;                          /* epoch without key_id */
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), SOTTO_E_INVAL);
	f.epoch = 0;
	f.key_id = kid;                       /* key_id without epoch */
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), SOTTO_E_INVAL);
	f.key_id = NULL;
	f.gen = 3;                            /* gen without epoch */
	CHECK_EQ(sotto_ini2_build(&b, &f, alice), SOTTO_E_INVAL);
	CHECK_EQ(b.len, 0);
	/* Untrusted key: refused before the signature. */
	ini_fields(&f, 0, NULL);
	CHECK_EQ(sotto_ini2_build(&b, &f, mallory), 0);
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer),
	    SOTTO_V_UNTRUSTED);
	CHECK(peer == NULL);
	/* A newer version from a trusted key is a notice, from an untrusted
	 * key an untrusted-key rejection: outsiders cannot make us talk. */
	b.p[vpos] = 3;
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer),
	    SOTTO_V_UNTRUSTED);
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_ini2_build(&b, &f, bob), 0);
	b.p[vpos] = 3;
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer),
	    SOTTO_V_NEWER);
	CHECK(peer == &peers[1]);
	/* Truncated right after the head: still a newer peer's frame. */
	CHECK_EQ(sotto_ini2_check(b.p, vpos + 2 + 32, LOBBY, LOBBY_LEN, &trust, &ini,
	    &peer), SOTTO_V_NEWER);
	CHECK_EQ(sotto_ini2_check(b.p, vpos + 2 + 31, LOBBY, LOBBY_LEN, &trust, &ini,
	    &peer), SOTTO_V_MALFORMED);
	/* Version 1 or 0 here is not a v2 body. */
	b.p[vpos] = 1;
	CHECK_EQ(sotto_ini2_parse(b.p, b.len, &ini), SOTTO_V_MALFORMED);
	b.p[vpos] = 0;
	CHECK_EQ(sotto_ini2_parse(b.p, b.len, &ini), SOTTO_V_MALFORMED);
	/* An unknown flag in a well-formed v2 INI: newer, not malformed. */
	b.p[vpos] = 2;
	b.p[vpos + 1] = 0x40;
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer),
	    SOTTO_V_NEWER);
	/* Bad modulus length, trailing byte, short body. */
	b.p[vpos + 1] = 0;
	b.p[vpos + 126] = 0x01;
	CHECK_EQ(sotto_ini2_parse(b.p, b.len, &ini), SOTTO_V_MALFORMED);
	b.p[vpos + 126] = 0x02;
	CHECK_EQ(sotto_ini2_parse(b.p, b.len, &ini), 0);
	CHECK_EQ(sotto_ini2_parse(b.p, b.len - 1, &ini), SOTTO_V_MALFORMED);
	sotto_wbuf_put(&b, "x", 1);
	CHECK_EQ(sotto_ini2_parse(b.p, b.len, &ini), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
}

/* --- KEY ----------------------------------------------------------------- */

static const uint8_t KID[8] = { 0xa0, 1, 2, 3, 4, 5, 6, 7 };

static int
build_key(struct sotto_wbuf *b, const struct sotto_ed25519 *by,
    const struct sotto_key2_src *src)
{
	struct sotto_key_to to = { sotto_ed25519_pub(carol), nonce_carol, n_carol };

	return sotto_key2_build(b, LOBBY, LOBBY_LEN, by, src, &to, NOW);
}

static int
accept_key(const uint8_t *body, size_t len, struct sotto_key2 *k,
    struct sotto_key2_secret *s, uint8_t digest[32])
{
	const struct sotto_peer *peer;
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = sotto_key2_check(body, len, LOBBY, LOBBY_LEN, &trust, fpr_carol,
	    nonce_carol, k, &peer, digest)) != 0)
		return r;
	return sotto_key2_finish(k, body, len, LOBBY, LOBBY_LEN, rsa_carol, NOW, 0, s);
}

static void
test_key2_handover(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *ca = NULL, *cb = NULL;
	const struct sotto_chain *chains[2];
	struct sotto_mark mk = { .next = 42 };
	struct sotto_key2_src src;
	struct sotto_key2 k;
	struct sotto_key2_secret s;
	struct sotto_mark got;
	struct sotto_wbuf b;
	uint8_t d1[32], d2[32], prev[8] = { 9 };
	uint32_t idx;
	uint8_t key[32];
	int i;

	CHECK_EQ(sotto_genkey_generate(&gk, 5), 0);
	CHECK_EQ(sotto_genkey_advance(gk, 2), 0);
	CHECK_EQ(sotto_chain_start(&ca, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(sotto_chain_next(ca, &idx, key), 0);
	CHECK_EQ(sotto_genkey_advance(gk, 3), 0);
	CHECK_EQ(sotto_chain_start(&cb, gk, sotto_ed25519_pub(bob), nonce_bob), 0);
	CHECK_EQ(sotto_genkey_advance(gk, 4), 0);   /* bob serves carol: gen 4 */
	memcpy(mk.id_pub, sotto_ed25519_pub(alice), 32);
	memcpy(mk.session, nonce_alice, 32);
	chains[0] = ca;
	chains[1] = cb;
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_HANDOVER;
	src.gk = gk;
	src.key_id = KID;
	src.origin.reason = SOTTO_REASON_LEFT;
	src.origin.prev_epoch = 4;
	src.origin.prev_key_id = prev;
	src.chains = chains;
	src.n_chains = 2;
	src.marks = &mk;
	src.n_marks = 1;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(build_key(&b, bob, &src), 0);
	CHECK_EQ(b.len, SOTTO_KEY2_FIXED + SOTTO_MARK_LEN + SOTTO_GROUP_KEY + 2 +
	    2 * SOTTO_CHAIN_STATE_LEN);
	CHECK_EQ(b.p[0], 2);
	CHECK_EQ(b.p[1], SOTTO_KEY2_HANDOVER);
	CHECK_MEM(b.p + 2, sotto_ed25519_pub(bob), 32);
	CHECK_MEM(b.p + 34, fpr_carol, 32);
	CHECK_MEM(b.p + 66, nonce_carol, 32);
	CHECK_EQ(sotto_load_be32(b.p + 106), 5);
	CHECK_MEM(b.p + 110, KID, 8);
	CHECK_EQ(sotto_load_be32(b.p + 118), 4);
	CHECK_EQ(sotto_load_be32(b.p + 122), 4);
	CHECK_MEM(b.p + 126, prev, 8);
	CHECK_EQ(b.p[134], SOTTO_REASON_LEFT);
	CHECK_EQ(sotto_load_be32(b.p + 135) >> 16, SOTTO_RSA_MOD);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d1), 0);
	CHECK(s.gk != NULL && s.n_chains == 2);
	if (s.gk != NULL && s.n_chains == 2) {
		CHECK(sotto_crypto_is_secure(s.gk));
		CHECK_MEM(s.gk->key, gk->key, 32);
		CHECK_EQ(s.gk->gen, 4);
		CHECK_EQ(s.gk->epoch, 5);
		CHECK_MEM(s.chains[0]->ck, ca->ck, 32);
		CHECK_EQ(s.chains[0]->index, 3);
		CHECK_EQ(s.chains[0]->gen, 2);
		CHECK_MEM(s.chains[1]->session, nonce_bob, 32);
		CHECK_EQ(s.chains[1]->gen, 3);
	}
	CHECK_EQ(k.reason, SOTTO_REASON_LEFT);
	CHECK_EQ(k.prev_epoch, 4);
	CHECK_EQ(sotto_key2_mark(&k, 0, &got), 0);
	CHECK_EQ(got.next, 42);
	CHECK_EQ(sotto_key2_mark(&k, 1, &got), SOTTO_E_INVAL);
	sotto_key2_secret_free(&s);
	/* The digest names the signed bytes: the same KEY gives the same one
	 * (dedup works before any signature or RSA work)... */
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d2), 0);
	sotto_key2_secret_free(&s);
	CHECK_MEM(d1, d2, 32);
	/* ...and a signature made non-canonical (S + L) does not make a
	 * second copy: it is refused outright. */
	b.p[b.len - 1] |= 0x80;
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d2), SOTTO_V_BADSIG);
	CHECK_MEM(d1, d2, 32);
	b.p[b.len - 1] &= 0x7f;
	/* Re-signed after tampering with the sealed part: the AEAD binds it. */
	b.p[b.len - SOTTO_ED25519_SIG - SOTTO_GCM_TAG - 5] ^= 1;
	resign(b.p, b.len, SOTTO_LABEL2_KEY, LOBBY, LOBBY_LEN, bob);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d2), SOTTO_V_DECRYPT);
	CHECK(s.gk == NULL);
	CHECK(memcmp(d1, d2, 32) != 0);
	/* The signed gen is bound to the wrap: changed and re-signed, the
	 * unwrap check refuses it. */
	b.p[b.len - SOTTO_ED25519_SIG - SOTTO_GCM_TAG - 5] ^= 1;
	sotto_store_be32(b.p + 118, 5);
	resign(b.p, b.len, SOTTO_LABEL2_KEY, LOBBY, LOBBY_LEN, bob);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d2), SOTTO_V_DECRYPT);
	sotto_wbuf_free(&b);

	/* A chain at the handed generation (derivable by the newcomer) or
	 * later is never handed over. */
	src.chains = chains;
	chains[0] = cb;
	CHECK_EQ(sotto_genkey_advance(gk, 4), 0);
	src.gk = gk;
	sotto_wbuf_init(&b, 0);
	{
		struct sotto_genkey *g3 = NULL;

		CHECK_EQ(sotto_genkey_new(&g3, gk->key, 5, 3), 0);
		src.gk = g3;
		src.n_chains = 1;             /* cb is at gen 3 */
		CHECK_EQ(build_key(&b, bob, &src), SOTTO_E_INVAL);
		sotto_genkey_free(g3);
	}
	sotto_wbuf_free(&b);
	sotto_chain_free(ca);
	sotto_chain_free(cb);
	sotto_genkey_free(gk);
}

static void
test_key2_rotation_and_refusals(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_key2_src src;
	struct sotto_key2 k;
	struct sotto_key2_secret s;
	const struct sotto_peer *peer;
	struct sotto_wbuf b;
	uint8_t d[32], prev[8] = { 3 }, other_nonce[32] = { 1 };

	CHECK_EQ(sotto_genkey_generate(&gk, 8), 0);
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_ROTATION;
	src.gk = gk;
	src.key_id = KID;
	src.origin.reason = SOTTO_REASON_REMOVED;
	src.origin.prev_epoch = 7;
	src.origin.prev_key_id = prev;
	/* The rotator says whom it removed (sealed: only recipients see it),
	 * so a member that removed the same key need not rotate again. */
	src.removed = (const uint8_t (*)[SOTTO_FPR_LEN])peers[1].fpr;
	src.n_removed = 1;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(build_key(&b, alice, &src), 0);
	CHECK_EQ(b.len, SOTTO_KEY2_FIXED + SOTTO_GROUP_KEY + 2 + SOTTO_FPR_LEN);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d), 0);
	CHECK_EQ(k.kind, SOTTO_KEY2_ROTATION);
	CHECK(s.gk != NULL && s.gk->gen == 0 && s.n_chains == 0);
	CHECK_EQ(s.n_removed, 1);
	if (s.n_removed == 1)
		CHECK_MEM(s.removed[0], peers[1].fpr, SOTTO_FPR_LEN);
	if (s.gk != NULL)
		CHECK_MEM(s.gk->key, gk->key, 32);
	sotto_key2_secret_free(&s);
	sotto_wbuf_reset(&b);
	src.n_removed = 0;
	CHECK_EQ(build_key(&b, alice, &src), 0);
	CHECK_EQ(b.len, SOTTO_KEY2_FIXED + SOTTO_GROUP_KEY + 2);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d), 0);
	CHECK(s.removed == NULL && s.n_removed == 0);
	sotto_key2_secret_free(&s);
	{
		size_t at = b.len - SOTTO_ED25519_SIG - SOTTO_GCM_TAG - 34 - 4;

		CHECK_EQ(sotto_load_be32(b.p + at), 34);
		sotto_store_be32(b.p + at, 35);
		CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
		sotto_store_be32(b.p + at, 34);
	}
	/* Addressed to another session or identity: not-for-me, no work. */
	CHECK_EQ(sotto_key2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, fpr_carol,
	    other_nonce, &k, &peer, d), SOTTO_V_NOTFORME);
	CHECK_EQ(sotto_key2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, peers[0].fpr,
	    nonce_carol, &k, &peer, d), SOTTO_V_NOTFORME);
	/* Signed for another room. */
	CHECK_EQ(sotto_key2_check(b.p, b.len, OTHER, OTHER_LEN, &trust, fpr_carol,
	    nonce_carol, &k, &peer, d), 0);
	CHECK_EQ(sotto_key2_finish(&k, b.p, b.len, OTHER, OTHER_LEN, rsa_carol, NOW, 0,
	    &s), SOTTO_V_BADSIG);
	/* Stale. */
	CHECK_EQ(sotto_key2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, fpr_carol,
	    nonce_carol, &k, &peer, d), 0);
	CHECK_EQ(sotto_key2_finish(&k, b.p, b.len, LOBBY, LOBBY_LEN, rsa_carol,
	    NOW + SOTTO_INI_WINDOW_MS + 1, 0, &s), SOTTO_V_STALE);
	/* Shapes a rotation may not have: re-signed so only the rule decides. */
	b.p[134] = SOTTO_REASON_FIRST;
	resign(b.p, b.len, SOTTO_LABEL2_KEY, LOBBY, LOBBY_LEN, alice);
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	b.p[134] = SOTTO_REASON_MAX + 1;
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	b.p[134] = SOTTO_REASON_LEFT;
	sotto_store_be32(b.p + 122, 8);          /* prev_epoch not below epoch */
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	sotto_store_be32(b.p + 122, 7);
	sotto_store_be32(b.p + 118, 1);          /* a rotation starts at gen 0 */
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	sotto_store_be32(b.p + 118, 0);
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), 0);
	/* Unknown kind from a trusted key: a notice. */
	b.p[1] = 9;
	CHECK_EQ(sotto_key2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, fpr_carol,
	    nonce_carol, &k, &peer, d), SOTTO_V_NEWER);
	b.p[1] = SOTTO_KEY2_ROTATION;
	b.p[0] = 1;
	CHECK_EQ(sotto_key2_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
	/* Build refuses what parse would. */
	src.origin.reason = SOTTO_REASON_FIRST;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(build_key(&b, alice, &src), SOTTO_E_INVAL);
	src.origin.reason = SOTTO_REASON_TIMER;
	src.kind = 7;
	CHECK_EQ(build_key(&b, alice, &src), SOTTO_E_INVAL);
	/* From an untrusted keyholder: refused before signature and RSA. */
	src.kind = SOTTO_KEY2_ROTATION;
	CHECK_EQ(build_key(&b, mallory, &src), 0);
	CHECK_EQ(sotto_key2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, fpr_carol,
	    nonce_carol, &k, &peer, d), SOTTO_V_UNTRUSTED);
	sotto_wbuf_free(&b);
	sotto_genkey_free(gk);
}

/* --- DAT ----------------------------------------------------------------- */

struct sent {
	uint8_t *body;
	size_t   len;
};

static void
seal_n(struct sotto_dat2_tx *tx, struct sotto_chain *ch, struct sent *out, int n,
    const char *text)
{
	const uint8_t *body;
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		CHECK_EQ(sotto_dat2_seal(tx, ch, NOW + (uint64_t)i, SOTTO_CT_TEXT, text,
		    strlen(text), &body, &len), 0);
		out[i].body = malloc(len);
		if (out[i].body != NULL)
			memcpy(out[i].body, body, len);
		out[i].len = len;
	}
}

static void
free_sent(struct sent *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(s[i].body);
}

/* parse -> replay check -> signature -> open, as a receiver does. */
static int
receive(struct sotto_dat2_rx *rx, const struct sent *m, struct sotto_chain *ch,
    struct sotto_replay *rp, const char *want)
{
	struct sotto_dat2 d;
	const uint8_t *text;
	size_t n;
	uint8_t ct;
	int r;

	if ((r = sotto_dat2_parse(m->body, m->len, &d)) != 0 ||
	    (r = sotto_dat2_check(&d, rp)) != 0 ||
	    (r = sotto_dat2_verify(rx, &d, m->body, m->len)) != 0 ||
	    (r = sotto_dat2_open(rx, &d, m->body, m->len, ch, rp, &ct, &text, &n)) != 0)
		return r;
	if (want != NULL && (ct != SOTTO_CT_TEXT || n != strlen(want) ||
	    memcmp(text, want, n) != 0))
		return -999;
	return 0;
}

static void
test_dat2_roundtrip(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *tx_ch = NULL, *rx_ch = NULL;
	struct sotto_dat2_tx *tx = NULL;
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_replay rp = { 0, 0, 0 };
	struct sotto_dat2 d;
	struct sent m[6];
	uint8_t idx_before;

	CHECK_EQ(sotto_genkey_generate(&gk, 3), 0);
	CHECK_EQ(sotto_genkey_advance(gk, 2), 0);
	CHECK_EQ(sotto_chain_start(&tx_ch, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_chain_start(&rx_ch, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_dat2_tx_new(&tx, LOBBY, LOBBY_LEN, alice, nonce_alice, 10), 0);
	CHECK_EQ(sotto_dat2_rx_new(&rx, LOBBY, LOBBY_LEN), 0);
	seal_n(tx, tx_ch, m, 6, "hi");
	CHECK_EQ(sotto_dat2_tx_next(tx), 16);
	CHECK_EQ(tx_ch->index, 6);
	/* Layout: version kind id_pub session epoch gen index counter ts. */
	CHECK_EQ(m[1].body[0], 2);
	CHECK_EQ(m[1].body[1], SOTTO_DAT2_MESSAGE);
	CHECK_MEM(m[1].body + 2, sotto_ed25519_pub(alice), 32);
	CHECK_MEM(m[1].body + 34, nonce_alice, 32);
	CHECK_EQ(sotto_load_be32(m[1].body + 66), 3);
	CHECK_EQ(sotto_load_be32(m[1].body + 70), 2);
	CHECK_EQ(sotto_load_be32(m[1].body + 74), 1);
	CHECK_EQ(sotto_load_be32(m[1].body + 82), 11);
	CHECK_EQ(sotto_dat2_parse(m[1].body, m[1].len, &d), 0);
	CHECK_EQ(d.ct_len + SOTTO_DAT2_FIXED, m[1].len);
	CHECK_EQ(receive(rx, &m[0], rx_ch, &rp, "hi"), 0);
	/* m[1] dropped by the relay: m[2] still opens (the chain skips). */
	CHECK_EQ(receive(rx, &m[2], rx_ch, &rp, "hi"), 0);
	CHECK_EQ(rx_ch->index, 3);
	/* The late m[1] and a replayed m[2]: refused on the counter alone,
	 * before any signature work (dat2_check). */
	CHECK_EQ(sotto_dat2_parse(m[1].body, m[1].len, &d), 0);
	CHECK_EQ(sotto_dat2_check(&d, &rp), SOTTO_V_REPLAY);
	CHECK_EQ(receive(rx, &m[2], rx_ch, &rp, NULL), SOTTO_V_REPLAY);
	/* Even with the replay state lost, the chain has no key for them. */
	{
		struct sotto_replay fresh_rp = { 0, 0, 0 };

		CHECK_EQ(receive(rx, &m[1], rx_ch, &fresh_rp, NULL), SOTTO_V_REPLAY);
	}
	/* A tampered ciphertext, re-signed: decrypt-failed, and the chain did
	 * not move (the next genuine one opens). */
	m[3].body[SOTTO_DAT2_HDR + 4] ^= 1;
	resign(m[3].body, m[3].len, SOTTO_LABEL2_DAT, LOBBY, LOBBY_LEN, alice);
	idx_before = (uint8_t)rx_ch->index;
	CHECK_EQ(receive(rx, &m[3], rx_ch, &rp, NULL), SOTTO_V_DECRYPT);
	CHECK_EQ(rx_ch->index, idx_before);
	CHECK_EQ(receive(rx, &m[4], rx_ch, &rp, "hi"), 0);
	/* Tampered and not re-signed: the signature. */
	m[5].body[70] ^= 1;
	CHECK_EQ(receive(rx, &m[5], rx_ch, &rp, NULL), SOTTO_V_BADSIG);
	m[5].body[70] ^= 1;
	/* Opened under another room's domain: the signature does not hold. */
	{
		struct sotto_dat2_rx *rx_other = NULL;

		CHECK_EQ(sotto_dat2_rx_new(&rx_other, OTHER, OTHER_LEN), 0);
		CHECK_EQ(receive(rx_other, &m[5], rx_ch, &rp, NULL), SOTTO_V_BADSIG);
		sotto_dat2_rx_free(rx_other);
	}
	CHECK_EQ(receive(rx, &m[5], rx_ch, &rp, "hi"), 0);
	/* Newer kind from a trusted sender: a notice. */
	m[0].body[1] = 2;
	CHECK_EQ(sotto_dat2_parse(m[0].body, m[0].len, &d), SOTTO_V_NEWER);
	m[0].body[0] = 3;
	CHECK_EQ(sotto_dat2_parse(m[0].body, m[0].len, &d), SOTTO_V_NEWER);
	CHECK(d.id_pub != NULL);
	free_sent(m, 6);
	sotto_dat2_rx_free(rx);
	sotto_dat2_tx_free(tx);
	sotto_chain_free(tx_ch);
	sotto_chain_free(rx_ch);
	sotto_genkey_free(gk);
}

/*
 * History protection in the keys: alice sends at gen 0; bob, who read
 * them, hands carol the room at gen 1 with alice's chain as it stands.
 * Carol opens alice's next message but none of the earlier ones, and
 * nothing carol holds derives any key of them (every key carol can
 * reach is compared with every message key alice used).
 */
static void
test_newcomer_history(void)
{
	enum { OLD = 8, REACH = 64 };
	struct sotto_genkey *room = NULL, *handed = NULL;
	struct sotto_chain *a_tx = NULL, *b_rx = NULL, *c_rx = NULL, *probe = NULL;
	struct sotto_dat2_tx *tx = NULL;
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_replay rp_b = { 0, 0, 0 }, rp_c = { 0, 0, 0 };
	uint8_t old_mk[OLD][32], mk[32], next[32];
	struct sent m[OLD + 1];
	uint32_t i, g, idx, hits = 0;

	CHECK_EQ(sotto_genkey_generate(&room, 1), 0);
	CHECK_EQ(sotto_chain_start(&a_tx, room, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_chain_start(&b_rx, room, sotto_ed25519_pub(alice), nonce_alice), 0);
	/* The key log: every message key alice's chain gives out before carol. */
	CHECK_EQ(sotto_chain_dup(&probe, a_tx), 0);
	for (i = 0; i < OLD; i++)
		CHECK_EQ(sotto_chain_next(probe, &idx, old_mk[i]), 0);
	sotto_chain_free(probe);
	CHECK_EQ(sotto_dat2_tx_new(&tx, LOBBY, LOBBY_LEN, alice, nonce_alice, 1), 0);
	CHECK_EQ(sotto_dat2_rx_new(&rx, LOBBY, LOBBY_LEN), 0);
	seal_n(tx, a_tx, m, OLD, "before carol");
	for (i = 0; i < OLD; i++)
		CHECK_EQ(receive(rx, &m[i], b_rx, &rp_b, "before carol"), 0);
	/* Bob serves carol: the next generation, alice's chain as bob has it. */
	CHECK_EQ(sotto_genkey_dup(&handed, room), 0);
	CHECK_EQ(sotto_genkey_advance(handed, 1), 0);
	CHECK_EQ(sotto_chain_dup(&c_rx, b_rx), 0);
	for (i = 0; i < OLD; i++)
		CHECK_EQ(receive(rx, &m[i], c_rx, &rp_c, NULL), SOTTO_V_REPLAY);
	seal_n(tx, a_tx, &m[OLD], 1, "after carol");
	CHECK_EQ(receive(rx, &m[OLD], c_rx, &rp_c, "after carol"), 0);
	/* Everything carol can derive: the handed chain forward, and any
	 * chain of alice's session from the handed generation on. */
	for (i = c_rx->index; i < c_rx->index + REACH; i++) {
		uint32_t j;

		CHECK_EQ(sotto_chain_peek(c_rx, i, mk, next), 0);
		for (j = 0; j < OLD; j++)
			hits += memcmp(mk, old_mk[j], 32) == 0;
	}
	for (g = handed->gen; g < handed->gen + 5; g++) {
		struct sotto_genkey *gg = NULL;

		CHECK_EQ(sotto_genkey_dup(&gg, handed), 0);
		CHECK_EQ(sotto_genkey_advance(gg, g), 0);
		CHECK_EQ(sotto_chain_start(&probe, gg, sotto_ed25519_pub(alice),
		    nonce_alice), 0);
		for (i = 0; i < REACH; i++) {
			uint32_t j;

			CHECK_EQ(sotto_chain_next(probe, &idx, mk), 0);
			for (j = 0; j < OLD; j++)
				hits += memcmp(mk, old_mk[j], 32) == 0;
		}
		sotto_chain_free(probe);
		sotto_genkey_free(gg);
	}
	CHECK_EQ(hits, 0);
	/* The only way to gen 0 is backwards, which the ratchet refuses. */
	CHECK_EQ(sotto_genkey_advance(handed, 0), SOTTO_E_INVAL);
	sotto_wipe(old_mk, sizeof(old_mk));
	free_sent(m, OLD + 1);
	sotto_dat2_rx_free(rx);
	sotto_dat2_tx_free(tx);
	sotto_chain_free(a_tx);
	sotto_chain_free(b_rx);
	sotto_chain_free(c_rx);
	sotto_genkey_free(room);
	sotto_genkey_free(handed);
}

static void
test_dat2_wrong_chain(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *ch = NULL, *bobs = NULL;
	struct sotto_dat2_tx *tx = NULL;
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_replay rp = { 0, 0, 0 };
	struct sent m[1];
	const uint8_t *body;
	size_t len;

	CHECK_EQ(sotto_genkey_generate(&gk, 1), 0);
	CHECK_EQ(sotto_chain_start(&ch, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_chain_start(&bobs, gk, sotto_ed25519_pub(bob), nonce_bob), 0);
	CHECK_EQ(sotto_dat2_tx_new(&tx, LOBBY, LOBBY_LEN, alice, nonce_alice, 1), 0);
	CHECK_EQ(sotto_dat2_rx_new(&rx, LOBBY, LOBBY_LEN), 0);
	/* A sender cannot seal under someone else's chain. */
	CHECK_EQ(sotto_dat2_seal(tx, bobs, NOW, 1, "x", 1, &body, &len), SOTTO_E_INVAL);
	seal_n(tx, ch, m, 1, "x");
	/* The receiver passes the wrong chain: refused, not decrypted. */
	CHECK_EQ(receive(rx, &m[0], bobs, &rp, NULL), SOTTO_E_INVAL);
	/* Not verified first: refused. */
	{
		struct sotto_dat2 d;
		const uint8_t *text;
		size_t n;
		uint8_t ct;
		struct sotto_dat2_rx *rx2 = NULL;

		CHECK_EQ(sotto_dat2_rx_new(&rx2, LOBBY, LOBBY_LEN), 0);
		CHECK_EQ(sotto_dat2_parse(m[0].body, m[0].len, &d), 0);
		CHECK_EQ(sotto_dat2_open(rx2, &d, m[0].body, m[0].len, ch, &rp, &ct,
		    &text, &n), SOTTO_E_INVAL);
		sotto_dat2_rx_free(rx2);
	}
	free_sent(m, 1);
	sotto_dat2_rx_free(rx);
	sotto_dat2_tx_free(tx);
	sotto_chain_free(ch);
	sotto_chain_free(bobs);
	sotto_genkey_free(gk);
}

/* v1 KEYs get the same dedup rule: the digest of the signed bytes, the
 * same for the same frame whatever its signature bytes, computed without
 * touching the signature. */
static void
test_key_digest_v1(void)
{
	struct sotto_group *g = NULL;
	struct sotto_key_to to = { sotto_ed25519_pub(carol), nonce_carol, n_carol };
	struct sotto_wbuf b, m;
	struct sotto_key k;
	uint8_t d1[32], d2[32], want[32];

	CHECK_EQ(sotto_group_generate(&g, 1), 0);
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_key_build(&b, LOBBY, LOBBY_LEN, bob, g, &to, NOW, NULL, 0), 0);
	CHECK_EQ(sotto_key_parse(b.p, b.len, &k), 0);
	CHECK_EQ(sotto_key_digest(&k, LOBBY, LOBBY_LEN, b.p, b.len, d1), 0);
	sotto_wbuf_init(&m, 0);
	sotto_wbuf_put(&m, "sotto-v1 KEY", 12);
	sotto_wbuf_u8(&m, LOBBY_LEN);
	sotto_wbuf_put(&m, LOBBY, LOBBY_LEN);
	sotto_wbuf_put(&m, b.p, b.len - 64);
	sotto_sha256(want, m.p, m.len);
	CHECK_MEM(d1, want, 32);
	b.p[b.len - 1] ^= 0x80;            /* another signature, same bytes */
	CHECK_EQ(sotto_key_digest(&k, LOBBY, LOBBY_LEN, b.p, b.len, d2), 0);
	CHECK_MEM(d1, d2, 32);
	CHECK_EQ(sotto_key_digest(&k, OTHER, OTHER_LEN, b.p, b.len, d2), 0);
	CHECK(memcmp(d1, d2, 32) != 0);
	CHECK_EQ(sotto_key_digest(&k, LOBBY, LOBBY_LEN, b.p, b.len - 1, d2),
	    SOTTO_E_INVAL);
	sotto_wbuf_free(&m);
	sotto_wbuf_free(&b);
	sotto_group_free(g);
}

/* --- split signing (ssh-agent) --------------------------------------------- */

/* msg must be exactly label || [P] || body: what a receiver verifies. */
static void
check_msg(const struct sotto_wbuf *msg, const char *label, const uint8_t *room,
    size_t room_len, const uint8_t *body, size_t body_len)
{
	CHECK_EQ(msg->len, SOTTO_LABEL_LEN + 1 + room_len + body_len);
	if (msg->len != SOTTO_LABEL_LEN + 1 + room_len + body_len)
		return;
	CHECK_MEM(msg->p, label, SOTTO_LABEL_LEN);
	CHECK_EQ(msg->p[SOTTO_LABEL_LEN], room_len);
	CHECK_MEM(msg->p + SOTTO_LABEL_LEN + 1, room, room_len);
	CHECK_MEM(msg->p + SOTTO_LABEL_LEN + 1 + room_len, body, body_len);
}

/* Append sign(msg) by k, as the client's signer does with an agent's
 * answer. */
static void
finish_split(struct sotto_wbuf *b, const struct sotto_wbuf *msg,
    const struct sotto_ed25519 *k)
{
	uint8_t sig[SOTTO_ED25519_SIG];

	CHECK_EQ(sotto_ed25519_sign(k, msg->p, msg->len, sig), 0);
	CHECK_EQ(sotto_wbuf_put(b, sig, sizeof(sig)), 0);
}

/* Every v2 frame the client makes can be signed by ssh-agent: the split
 * builders give the body and the exact signature input; signed by the
 * identity, the frame is the one the signing builder makes (INI, DAT) and
 * is accepted (KEY too); signed by another key it is refused. */
static void
test_split_signing(void)
{
	struct sotto_wbuf b, msg, whole;
	struct sotto_ini2 f, ini;
	const struct sotto_peer *peer;
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *ch1 = NULL, *ch2 = NULL, *rx_ch = NULL;
	struct sotto_dat2_tx *tx = NULL, *txp = NULL;
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_replay rp = { 0, 0, 0 };
	struct sotto_key2_src src;
	struct sotto_key2 k;
	struct sotto_key2_secret s;
	const uint8_t *body, *m, *body1;
	size_t len, m_len, len1;
	struct sent got;
	uint8_t d[32], prev[8] = { 3 };

	/* INI */
	ini_fields(&f, SOTTO_INI2_REPLY, nonce_carol);
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&msg, 0);
	sotto_wbuf_init(&whole, 0);
	CHECK_EQ(sotto_ini2_build_unsigned(&b, &f, sotto_ed25519_pub(alice), &msg), 0);
	CHECK_EQ(b.len, 1 + LOBBY_LEN + SOTTO_INI2_FIXED - SOTTO_ED25519_SIG);
	check_msg(&msg, SOTTO_LABEL2_INI, LOBBY, LOBBY_LEN, b.p + 1 + LOBBY_LEN,
	    b.len - 1 - LOBBY_LEN);
	finish_split(&b, &msg, alice);
	CHECK_EQ(sotto_ini2_build(&whole, &f, alice), 0);
	CHECK_EQ(b.len, whole.len);
	CHECK_MEM(b.p, whole.p, whole.len);
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer), 0);
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW, 0), 0);
	sotto_wbuf_reset(&b);
	sotto_wbuf_reset(&msg);
	CHECK_EQ(sotto_ini2_build_unsigned(&b, &f, sotto_ed25519_pub(alice), &msg), 0);
	finish_split(&b, &msg, bob);          /* an agent holding another key */
	CHECK_EQ(sotto_ini2_check(b.p, b.len, LOBBY, LOBBY_LEN, &trust, &ini, &peer), 0);
	CHECK_EQ(sotto_ini2_finish(&ini, b.p, b.len, NOW, 0), SOTTO_V_BADSIG);

	/* KEY (a rotation to carol's session) */
	CHECK_EQ(sotto_genkey_generate(&gk, 8), 0);
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_ROTATION;
	src.gk = gk;
	src.key_id = KID;
	src.origin.reason = SOTTO_REASON_LEFT;
	src.origin.prev_epoch = 7;
	src.origin.prev_key_id = prev;
	{
		struct sotto_key_to to = { sotto_ed25519_pub(carol), nonce_carol,
		    n_carol };

		sotto_wbuf_reset(&b);
		sotto_wbuf_reset(&msg);
		CHECK_EQ(sotto_key2_build_unsigned(&b, LOBBY, LOBBY_LEN,
		    sotto_ed25519_pub(bob), &src, &to, NOW, &msg), 0);
	}
	check_msg(&msg, SOTTO_LABEL2_KEY, LOBBY, LOBBY_LEN, b.p, b.len);
	finish_split(&b, &msg, bob);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d), 0);
	CHECK(s.gk != NULL);
	if (s.gk != NULL) {
		CHECK_MEM(s.gk->key, gk->key, 32);
		CHECK_EQ(s.gk->epoch, 8);
	}
	sotto_key2_secret_free(&s);
	b.len -= SOTTO_ED25519_SIG;
	finish_split(&b, &msg, alice);        /* signed, but not by its id_pub */
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d), SOTTO_V_BADSIG);
	sotto_key2_secret_free(&s);

	/* DAT: a sender without the secret key (ssh-agent) seals, the agent
	 * signs, a receiver following the chain opens it. */
	CHECK_EQ(sotto_chain_start(&ch1, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_chain_start(&ch2, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_chain_start(&rx_ch, gk, sotto_ed25519_pub(alice), nonce_alice), 0);
	CHECK_EQ(sotto_dat2_tx_new(&tx, LOBBY, LOBBY_LEN, alice, nonce_alice, 5), 0);
	CHECK_EQ(sotto_dat2_tx_new_pub(&txp, LOBBY, LOBBY_LEN, sotto_ed25519_pub(alice),
	    nonce_alice, 5), 0);
	CHECK_EQ(sotto_dat2_rx_new(&rx, LOBBY, LOBBY_LEN), 0);
	CHECK_EQ(sotto_dat2_seal(tx, ch1, NOW, SOTTO_CT_TEXT, "hi", 2, &body1,
	    &len1), 0);
	/* A sender without the secret key cannot sign by itself. */
	CHECK_EQ(sotto_dat2_seal(txp, ch2, NOW, SOTTO_CT_TEXT, "hi", 2, &body,
	    &len), SOTTO_E_INVAL);
	CHECK_EQ(sotto_dat2_seal_unsigned(txp, ch2, NOW, SOTTO_CT_TEXT, "hi", 2, &m,
	    &m_len, &body, &len), 0);
	CHECK_EQ(sotto_dat2_tx_next(txp), 6);
	CHECK_EQ(ch2->index, 1);
	sotto_wbuf_reset(&b);
	sotto_wbuf_reset(&msg);
	CHECK_EQ(sotto_wbuf_put(&b, body, len), 0);
	CHECK_EQ(sotto_wbuf_put(&msg, m, m_len), 0);
	check_msg(&msg, SOTTO_LABEL2_DAT, LOBBY, LOBBY_LEN, b.p, b.len);
	finish_split(&b, &msg, alice);
	/* The same header as the signing sender's (padding is random). */
	CHECK(len1 > 82 && b.len > 82);
	if (len1 > 82 && b.len > 82)
		CHECK_MEM(b.p, body1, 74);
	got.body = b.p;
	got.len = b.len;
	CHECK_EQ(receive(rx, &got, rx_ch, &rp, "hi"), 0);
	sotto_dat2_rx_free(rx);
	sotto_dat2_tx_free(tx);
	sotto_dat2_tx_free(txp);
	sotto_chain_free(ch1);
	sotto_chain_free(ch2);
	sotto_chain_free(rx_ch);
	sotto_genkey_free(gk);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&msg);
	sotto_wbuf_free(&whole);
}

/* A HANDOVER in a room of a thousand talkers (104 bytes a chain: more
 * than libgcrypt can take as one message) is signed through its SHA-512
 * and accepted whole. */
static void
test_key2_big_handover(void)
{
	enum { N = 1000 };
	static struct sotto_chain *chains[N];
	struct sotto_genkey *gk = NULL;
	struct sotto_key2_src src;
	struct sotto_key2 k;
	struct sotto_key2_secret s;
	struct sotto_wbuf b;
	uint8_t d[32], prev[8] = { 9 }, pub[32], sess[32];
	int i;

	CHECK_EQ(sotto_genkey_generate(&gk, 5), 0);
	CHECK_EQ(sotto_genkey_advance(gk, 1), 0);
	for (i = 0; i < N; i++) {
		sotto_random(pub, sizeof(pub));
		sotto_random(sess, sizeof(sess));
		CHECK_EQ(sotto_chain_start(&chains[i], gk, pub, sess), 0);
	}
	CHECK_EQ(sotto_genkey_advance(gk, 2), 0);
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_HANDOVER;
	src.gk = gk;
	src.key_id = KID;
	src.origin.reason = SOTTO_REASON_LEFT;
	src.origin.prev_epoch = 4;
	src.origin.prev_key_id = prev;
	src.chains = (const struct sotto_chain *const *)chains;
	src.n_chains = N;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(build_key(&b, bob, &src), 0);
	CHECK(b.len > SOTTO_GCRY_DATUM_MAX);
	CHECK_EQ(accept_key(b.p, b.len, &k, &s, d), 0);
	CHECK_EQ(s.n_chains, N);
	if (s.n_chains == N)
		CHECK_MEM(s.chains[N - 1]->ck, chains[N - 1]->ck, 32);
	sotto_key2_secret_free(&s);
	/* One byte of the last chain changed: the signature fails. */
	b.p[b.len - SOTTO_ED25519_SIG - SOTTO_GCM_TAG - 1] ^= 1;
	CHECK(accept_key(b.p, b.len, &k, &s, d) != 0);
	sotto_key2_secret_free(&s);
	sotto_wbuf_free(&b);
	for (i = 0; i < N; i++)
		sotto_chain_free(chains[i]);
	sotto_genkey_free(gk);
}

int
main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_ini2_layout();
	test_ini2_refusals();
	test_key2_handover();
	test_key2_big_handover();
	test_key2_rotation_and_refusals();
	test_dat2_roundtrip();
	test_newcomer_history();
	test_dat2_wrong_chain();
	test_key_digest_v1();
	test_split_signing();
	sotto_ed25519_free(alice);
	sotto_ed25519_free(bob);
	sotto_ed25519_free(carol);
	sotto_ed25519_free(mallory);
	sotto_rsa_free(rsa_carol);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_proto.c: INI/KEY/DAT bodies: round trips, every rejection reason, signature and AAD binding, layout as documented. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "proto.h"
#include "sshkey.h"
#include "trust.h"

#define NOW  1700000000000ull   /* a fixed "now" in ms: the functions take time as input */

static const uint8_t LOBBY[] = "lobby";
#define LOBBY_LEN 5u
static const uint8_t OTHER[] = "other";
#define OTHER_LEN 5u

/* Identities: alice, bob, carol trusted; mallory not. */
static struct sotto_ed25519 *alice, *bob, *carol, *mallory;
static struct sotto_trust trust;
static struct sotto_peer peers[3];
/* Two session RSA keys (RSA-4096 generation is slow: only two). */
static struct sotto_rsa *rsa_bob, *rsa_carol;
static uint8_t n_bob[SOTTO_RSA_MOD], n_carol[SOTTO_RSA_MOD];
static uint8_t nonce_bob[SOTTO_JOIN_NONCE], nonce_carol[SOTTO_JOIN_NONCE];

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
	    sotto_rsa_generate(&rsa_bob, SOTTO_RSA_BITS) != 0 ||
	    sotto_rsa_generate(&rsa_carol, SOTTO_RSA_BITS) != 0 ||
	    sotto_rsa_modulus(rsa_bob, n_bob, sizeof(n_bob)) != 0 ||
	    sotto_rsa_modulus(rsa_carol, n_carol, sizeof(n_carol)) != 0)
		return -1;
	peer_set(&peers[0], "alice", alice);
	peer_set(&peers[1], "bob", bob);
	peer_set(&peers[2], "carol", carol);
	trust.peers = peers;
	trust.n = 3;
	sotto_random_nonce(nonce_bob, sizeof(nonce_bob));
	sotto_random_nonce(nonce_carol, sizeof(nonce_carol));
	return 0;
}

/* --- helpers that build bodies by hand, following docs/protocol.md ------- */

/* Sign label || [P] || body with k and append the signature. */
static void
hand_sign(struct sotto_wbuf *body, const char *label, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *k)
{
	struct sotto_wbuf m;
	uint8_t sig[SOTTO_ED25519_SIG];

	sotto_wbuf_init(&m, 0);
	sotto_wbuf_put(&m, label, SOTTO_LABEL_LEN);
	if (room != NULL) {
		sotto_wbuf_u8(&m, (uint8_t)room_len);
		sotto_wbuf_put(&m, room, room_len);
	}
	sotto_wbuf_put(&m, body->p, body->len);
	CHECK_EQ(sotto_ed25519_sign(k, m.p, m.len, sig), 0);
	sotto_wbuf_put(body, sig, sizeof(sig));
	sotto_wbuf_free(&m);
}

static void
ini_fields(struct sotto_ini *f, const uint8_t *room, size_t room_len,
    const uint8_t *nonce, const uint8_t *rsa_n, uint64_t ts)
{
	memset(f, 0, sizeof(*f));
	f->room = room;
	f->room_len = room_len;
	f->nonce = nonce;
	f->rsa_n = rsa_n;
	f->ts_ms = ts;
}

/* --- group key ----------------------------------------------------------- */

static void
test_group(void)
{
	struct sotto_group *g, *h;
	uint8_t mac[SOTTO_SHA256_LEN];
	uint8_t lo[SOTTO_KEY_ID] = { 1 }, hi[SOTTO_KEY_ID] = { 2 };

	CHECK_EQ(sotto_group_generate(&g, 1), 0);
	CHECK(sotto_crypto_is_secure(g));
	CHECK_EQ(g->epoch, 1);
	/* key_id = HMAC-SHA256(key, "sotto-v1 key-id")[0..8] */
	sotto_hmac_sha256(mac, g->key, SOTTO_GROUP_KEY, "sotto-v1 key-id", 15);
	CHECK_MEM(g->key_id, mac, SOTTO_KEY_ID);
	CHECK_EQ(sotto_group_generate(&h, 1), 0);
	CHECK(memcmp(g->key, h->key, SOTTO_GROUP_KEY) != 0);
	sotto_group_free(h);
	CHECK_EQ(sotto_group_from(&h, g->key, 0), SOTTO_E_INVAL);
	CHECK(h == NULL);
	CHECK_EQ(sotto_group_dup(&h, g), 0);
	CHECK_MEM(h->key_id, g->key_id, SOTTO_KEY_ID);
	sotto_group_free(h);
	sotto_group_free(g);

	/* Conflict order: higher epoch, then lower key_id. */
	CHECK(sotto_group_cmp(2, hi, 1, lo) > 0);
	CHECK(sotto_group_cmp(1, lo, 2, hi) < 0);
	CHECK(sotto_group_cmp(1, lo, 1, hi) > 0);
	CHECK(sotto_group_cmp(1, hi, 1, lo) < 0);
	CHECK_EQ(sotto_group_cmp(1, lo, 1, lo), 0);
}

static void
test_verdict_words(void)
{
	CHECK_STR(sotto_verdict_word(SOTTO_V_UNTRUSTED), "untrusted-key");
	CHECK_STR(sotto_verdict_word(SOTTO_V_BADSIG), "bad-signature");
	CHECK_STR(sotto_verdict_word(SOTTO_V_REPLAY), "replay");
	CHECK_STR(sotto_verdict_word(SOTTO_V_STALE), "stale");
	CHECK_STR(sotto_verdict_word(SOTTO_V_DECRYPT), "decrypt-failed");
	CHECK_STR(sotto_verdict_word(SOTTO_V_MALFORMED), "malformed");
	CHECK_STR(sotto_verdict_word(SOTTO_V_NOTFORME), "not-for-me");
	CHECK(sotto_verdict_word(0) == NULL);
	CHECK(sotto_verdict_word(SOTTO_E_ALLOC) == NULL);
}

/* --- INI ----------------------------------------------------------------- */

static void
test_ini_roundtrip(void)
{
	struct sotto_group *g;
	struct sotto_wbuf b;
	struct sotto_ini f, ini;
	const struct sotto_peer *peer;

	CHECK_EQ(sotto_group_generate(&g, 7), 0);
	ini_fields(&f, LOBBY, LOBBY_LEN, nonce_bob, n_bob, NOW);
	f.flags = SOTTO_INI_REPLY;
	f.ask = 42;
	f.epoch = g->epoch;
	f.key_id = g->key_id;
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_ini_build(&b, &f, bob), 0);
	CHECK_EQ(b.len, 1 + LOBBY_LEN + SOTTO_INI_FIXED);
	CHECK_EQ(sotto_ini_accept(b.p, b.len, LOBBY, LOBBY_LEN, &trust, NOW, 0,
	    &ini, &peer), 0);
	CHECK(peer == &peers[1]);
	CHECK_EQ(ini.room_len, LOBBY_LEN);
	CHECK_MEM(ini.room, LOBBY, LOBBY_LEN);
	CHECK_EQ(ini.flags, SOTTO_INI_REPLY);
	CHECK_EQ(ini.ask, 42);
	CHECK_MEM(ini.id_pub, sotto_ed25519_pub(bob), SOTTO_ED25519_PUB);
	CHECK_MEM(ini.nonce, nonce_bob, SOTTO_JOIN_NONCE);
	CHECK_EQ(ini.ts_ms, NOW);
	CHECK_EQ(ini.epoch, 7);
	CHECK_MEM(ini.key_id, g->key_id, SOTTO_KEY_ID);
	CHECK_MEM(ini.rsa_n, n_bob, SOTTO_RSA_MOD);
	CHECK_EQ(ini.signed_len, b.len - SOTTO_ED25519_SIG);

	/* Layout as documented: P flags ask id_pub nonce ts epoch key_id
	 * rsa_n_len rsa_n sig. */
	CHECK_EQ(b.p[0], LOBBY_LEN);
	CHECK_EQ(b.p[6], SOTTO_INI_REPLY);
	CHECK_EQ(sotto_load_be32(b.p + 7), 42);
	CHECK_MEM(b.p + 11, sotto_ed25519_pub(bob), 32);
	CHECK_MEM(b.p + 43, nonce_bob, 32);
	CHECK_EQ(sotto_load_be32(b.p + 79), (uint32_t)NOW);
	CHECK_EQ(sotto_load_be32(b.p + 83), 7);
	CHECK_MEM(b.p + 87, g->key_id, 8);
	CHECK_EQ(b.p[95] << 8 | b.p[96], SOTTO_RSA_MOD);
	CHECK_MEM(b.p + 97, n_bob, SOTTO_RSA_MOD);

	/* A hand-signed INI with the same bytes verifies: the signature input
	 * is exactly "sotto-v1 INI" || body before the signature. */
	{
		struct sotto_wbuf h;

		sotto_wbuf_init(&h, 0);
		sotto_wbuf_put(&h, b.p, b.len - SOTTO_ED25519_SIG);
		hand_sign(&h, "sotto-v1 INI", NULL, 0, bob);
		CHECK_EQ(sotto_ini_accept(h.p, h.len, LOBBY, LOBBY_LEN, &trust, NOW,
		    0, &ini, &peer), 0);
		sotto_wbuf_free(&h);
	}
	sotto_wbuf_free(&b);
	sotto_group_free(g);
}

static int
ini_accept(const struct sotto_wbuf *b, uint64_t now, uint64_t min_ts)
{
	struct sotto_ini ini;
	const struct sotto_peer *peer;

	return sotto_ini_accept(b->p, b->len, LOBBY, LOBBY_LEN, &trust, now,
	    min_ts, &ini, &peer);
}

static void
test_ini_reject(void)
{
	struct sotto_wbuf b, m;
	struct sotto_ini f;
	size_t i, bad = 0;

	ini_fields(&f, LOBBY, LOBBY_LEN, nonce_bob, n_bob, NOW);
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_ini_build(&b, &f, bob), 0);

	/* Every single-byte change is refused. */
	sotto_wbuf_init(&m, 0);
	for (i = 0; i < b.len; i++) {
		sotto_wbuf_reset(&m);
		sotto_wbuf_put(&m, b.p, b.len);
		m.p[i] ^= 0x01;
		if (ini_accept(&m, NOW, 0) != 0)
			bad++;
	}
	CHECK_EQ(bad, b.len);

	/* stale: outside now +- 5 min, or before the receiver's join. */
	CHECK_EQ(ini_accept(&b, NOW + SOTTO_INI_WINDOW_MS, 0), 0);
	CHECK_EQ(ini_accept(&b, NOW + SOTTO_INI_WINDOW_MS + 1, 0), SOTTO_V_STALE);
	CHECK_EQ(ini_accept(&b, NOW - SOTTO_INI_WINDOW_MS - 1, 0), SOTTO_V_STALE);
	CHECK_EQ(ini_accept(&b, NOW, NOW), 0);
	CHECK_EQ(ini_accept(&b, NOW, NOW + 1), SOTTO_V_STALE);

	/* bad-signature: the last byte of the signature. */
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[m.len - 1] ^= 0x80;
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_BADSIG);
	/* ... and a field after the prefix. */
	m.p[m.len - 1] ^= 0x80;
	m.p[1 + LOBBY_LEN + 5 + 32] ^= 1;   /* nonce */
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_BADSIG);

	/* malformed: truncated, trailing byte, unknown flag, rsa_n_len. */
	CHECK_EQ(sotto_ini_accept(b.p, b.len - 1, LOBBY, LOBBY_LEN, &trust, NOW,
	    0, &f, &(const struct sotto_peer *){0}), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	sotto_wbuf_u8(&m, 0);
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[1 + LOBBY_LEN] = 0x02;
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	m.p[1 + LOBBY_LEN] = 0;
	m.p[1 + LOBBY_LEN + 5 + 32 + 32 + 8 + 4 + 8 + 1] ^= 1;  /* rsa_n_len */
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[0] = 0;                                             /* room_len 0 */
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	/* epoch 0 with a key_id, or an epoch with a zero key_id */
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[1 + LOBBY_LEN + 5 + 32 + 32 + 8 + 4] = 1;
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[1 + LOBBY_LEN + 5 + 32 + 32 + 8 + 3] = 1;
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_MALFORMED);
	CHECK_EQ(sotto_ini_accept(b.p, 0, LOBBY, LOBBY_LEN, &trust, NOW,
	    0, &f, &(const struct sotto_peer *){0}), SOTTO_V_MALFORMED);

	/* not-for-me: a valid INI of another room. */
	sotto_wbuf_reset(&m);
	ini_fields(&f, OTHER, OTHER_LEN, nonce_bob, n_bob, NOW);
	CHECK_EQ(sotto_ini_build(&m, &f, bob), 0);
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_NOTFORME);
	/* The room is signed: splice lobby's name into it -> bad signature. */
	memcpy(m.p + 1, LOBBY, LOBBY_LEN);
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_BADSIG);

	/* untrusted-key: before any signature work (a garbage signature
	 * still says untrusted). */
	sotto_wbuf_reset(&m);
	ini_fields(&f, LOBBY, LOBBY_LEN, nonce_bob, n_bob, NOW);
	CHECK_EQ(sotto_ini_build(&m, &f, mallory), 0);
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_UNTRUSTED);
	m.p[m.len - 3] ^= 0xff;
	CHECK_EQ(ini_accept(&m, NOW, 0), SOTTO_V_UNTRUSTED);

	/* Builder refuses what the parser would refuse. */
	sotto_wbuf_reset(&m);
	f.flags = 0x80;
	CHECK_EQ(sotto_ini_build(&m, &f, bob), SOTTO_E_INVAL);
	f.flags = 0;
	f.epoch = 3;
	CHECK_EQ(sotto_ini_build(&m, &f, bob), SOTTO_E_INVAL);
	sotto_wbuf_free(&m);
	sotto_wbuf_free(&b);
}

static void
test_roster_left(void)
{
	struct sotto_wbuf b;
	struct sotto_roster ro;
	uint32_t ids[3] = { 3, 9, 4000000000u }, id, i;

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_roster_build(&b, LOBBY, LOBBY_LEN, ids, 3), 0);
	CHECK_EQ(b.len, 1 + LOBBY_LEN + 4 + 12);
	CHECK_EQ(sotto_roster_parse(b.p, b.len, &ro), 0);
	CHECK_EQ(ro.count, 3);
	CHECK_MEM(ro.room, LOBBY, LOBBY_LEN);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(sotto_rd_u32(&ro.ids, &id), 0);
		CHECK_EQ(id, ids[i]);
	}
	CHECK_EQ(sotto_rd_end(&ro.ids), 0);
	CHECK_EQ(sotto_roster_parse(b.p, b.len - 1, &ro), SOTTO_V_MALFORMED);
	CHECK_EQ(sotto_roster_parse(b.p, b.len - 4, &ro), SOTTO_V_MALFORMED);
	sotto_wbuf_u32(&b, 5);
	CHECK_EQ(sotto_roster_parse(b.p, b.len, &ro), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_roster_build(&b, LOBBY, LOBBY_LEN, NULL, 0), 0);
	CHECK_EQ(sotto_roster_parse(b.p, b.len, &ro), 0);
	CHECK_EQ(ro.count, 0);
	/* A count that claims more ids than there are. */
	b.p[b.len - 1] = 0xff;
	CHECK_EQ(sotto_roster_parse(b.p, b.len, &ro), SOTTO_V_MALFORMED);

	sotto_wbuf_reset(&b);
	sotto_wbuf_u32(&b, 77);
	CHECK_EQ(sotto_left_parse(b.p, b.len, &id), 0);
	CHECK_EQ(id, 77);
	CHECK_EQ(sotto_left_parse(b.p, 3, &id), SOTTO_V_MALFORMED);
	sotto_wbuf_u8(&b, 0);
	CHECK_EQ(sotto_left_parse(b.p, b.len, &id), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
}

/* --- KEY ----------------------------------------------------------------- */

static void
marks_make(struct sotto_mark *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sotto_random_nonce(m[i].id_pub, sizeof(m[i].id_pub));
		sotto_random_nonce(m[i].session, sizeof(m[i].session));
		m[i].next = 1000 + i;
	}
}

static int
key_accept_as(const struct sotto_wbuf *b, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *me, const uint8_t *nonce,
    const struct sotto_rsa *rsa, uint64_t now, uint64_t min_ts,
    struct sotto_group **g)
{
	struct sotto_key k;
	const struct sotto_peer *peer;
	uint8_t fpr[SOTTO_FPR_LEN];
	int r;

	sotto_fingerprint(sotto_ed25519_pub(me), fpr);
	r = sotto_key_accept(b->p, b->len, room, room_len, &trust, fpr, nonce,
	    rsa, now, min_ts, &k, &peer, g);
	if (r != 0)
		CHECK(*g == NULL);
	return r;
}

static void
test_key(void)
{
	struct sotto_group *g, *got = NULL;
	struct sotto_wbuf b, m;
	struct sotto_mark marks[5], mk;
	struct sotto_key k;
	struct sotto_key_to to = { NULL, nonce_bob, n_bob };
	const struct sotto_peer *peer;
	uint8_t fpr[SOTTO_FPR_LEN];
	size_t i, bad;

	to.pub = sotto_ed25519_pub(bob);
	CHECK_EQ(sotto_group_generate(&g, 3), 0);
	marks_make(marks, 5);
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&m, 0);
	CHECK_EQ(sotto_key_build(&b, LOBBY, LOBBY_LEN, alice, g, &to, NOW, marks, 5), 0);
	CHECK_EQ(b.len, SOTTO_KEY_FIXED + 5 * SOTTO_MARK_LEN);

	/* Round trip: bob gets the key, its epoch and the watermarks. */
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob, NOW,
	    0, &got), 0);
	CHECK(got != NULL && sotto_crypto_is_secure(got));
	CHECK_MEM(got->key, g->key, SOTTO_GROUP_KEY);
	CHECK_EQ(got->epoch, 3);
	CHECK_MEM(got->key_id, g->key_id, SOTTO_KEY_ID);
	sotto_group_free(got);
	got = NULL;
	CHECK_EQ(sotto_key_parse(b.p, b.len, &k), 0);
	CHECK_EQ(k.n_marks, 5);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(sotto_key_mark(&k, i, &mk), 0);
		CHECK_MEM(mk.id_pub, marks[i].id_pub, 32);
		CHECK_MEM(mk.session, marks[i].session, 32);
		CHECK_EQ(mk.next, marks[i].next);
	}
	CHECK_EQ(sotto_key_mark(&k, 5, &mk), SOTTO_E_INVAL);
	/* Layout: id_pub to_fpr to_nonce ts epoch key_id wrapped_len ... */
	sotto_fingerprint(sotto_ed25519_pub(bob), fpr);
	CHECK_MEM(b.p, sotto_ed25519_pub(alice), 32);
	CHECK_MEM(b.p + 32, fpr, 32);
	CHECK_MEM(b.p + 64, nonce_bob, 32);
	CHECK_EQ(sotto_load_be32(b.p + 100), (uint32_t)NOW);
	CHECK_EQ(sotto_load_be32(b.p + 104), 3);
	CHECK_MEM(b.p + 108, g->key_id, 8);
	CHECK_EQ(b.p[116] << 8 | b.p[117], SOTTO_RSA_MOD);
	CHECK_EQ(b.p[118 + 512] << 8 | b.p[119 + 512], 5);

	/* not-for-me: carol (other fingerprint), bob with another nonce. */
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, carol, nonce_bob, rsa_bob,
	    NOW, 0, &got), SOTTO_V_NOTFORME);
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_carol, rsa_bob,
	    NOW, 0, &got), SOTTO_V_NOTFORME);
	/* The room is bound: accepted in another room -> bad signature. */
	CHECK_EQ(key_accept_as(&b, OTHER, OTHER_LEN, bob, nonce_bob, rsa_bob,
	    NOW, 0, &got), SOTTO_V_BADSIG);
	/* stale: too old, too new, before the recipient's join. */
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
	    NOW + SOTTO_INI_WINDOW_MS + 1, 0, &got), SOTTO_V_STALE);
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
	    NOW - SOTTO_INI_WINDOW_MS - 1, 0, &got), SOTTO_V_STALE);
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
	    NOW, NOW + 1, &got), SOTTO_V_STALE);
	/* decrypt-failed: right address, wrong session RSA key. */
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_carol,
	    NOW, 0, &got), SOTTO_V_DECRYPT);

	/* Every single-byte change is refused. */
	bad = 0;
	for (i = 0; i < b.len; i++) {
		sotto_wbuf_reset(&m);
		sotto_wbuf_put(&m, b.p, b.len);
		m.p[i] ^= 0x10;
		if (key_accept_as(&m, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
		    NOW, 0, &got) != 0)
			bad++;
		else
			sotto_group_free(got);
	}
	CHECK_EQ(bad, b.len);
	/* change the signed epoch -> bad signature */
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[107] ^= 1;
	CHECK_EQ(key_accept_as(&m, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
	    NOW, 0, &got), SOTTO_V_BADSIG);
	/* malformed */
	CHECK_EQ(sotto_key_parse(b.p, b.len - 1, &k), SOTTO_V_MALFORMED);
	sotto_wbuf_reset(&m);
	sotto_wbuf_put(&m, b.p, b.len);
	m.p[119 + 512] = 6;            /* n_marks beyond the body */
	CHECK_EQ(sotto_key_parse(m.p, m.len, &k), SOTTO_V_MALFORMED);
	m.p[119 + 512] = 5;
	m.p[116] = 1;                  /* wrapped_len != 512 */
	CHECK_EQ(sotto_key_parse(m.p, m.len, &k), SOTTO_V_MALFORMED);

	/* untrusted-key: mallory as keyholder. */
	sotto_wbuf_reset(&m);
	CHECK_EQ(sotto_key_build(&m, LOBBY, LOBBY_LEN, mallory, g, &to, NOW, NULL, 0), 0);
	CHECK_EQ(key_accept_as(&m, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob,
	    NOW, 0, &got), SOTTO_V_UNTRUSTED);

	/* A hand-made KEY whose wrap names another epoch than the signed one:
	 * signed by a trusted member, still decrypt-failed. Also proves the
	 * layout and signature input documented. */
	{
		uint8_t plain[SOTTO_WRAP_PLAIN], wrapped[SOTTO_RSA_MOD];
		uint32_t e;

		for (e = 3; e <= 4; e++) {
			memcpy(plain, g->key, 32);
			sotto_store_be32(plain + 32, e);
			CHECK_EQ(sotto_rsa_wrap(n_bob, SOTTO_RSA_MOD, SOTTO_RSA_E,
			    plain, sizeof(plain), wrapped, sizeof(wrapped)), 0);
			sotto_wbuf_reset(&m);
			sotto_wbuf_put(&m, sotto_ed25519_pub(carol), 32);
			sotto_wbuf_put(&m, fpr, 32);
			sotto_wbuf_put(&m, nonce_bob, 32);
			sotto_wbuf_u64(&m, NOW);
			sotto_wbuf_u32(&m, 3);
			sotto_wbuf_put(&m, g->key_id, 8);
			sotto_wbuf_u16(&m, SOTTO_RSA_MOD);
			sotto_wbuf_put(&m, wrapped, sizeof(wrapped));
			sotto_wbuf_u16(&m, 0);
			hand_sign(&m, "sotto-v1 KEY", LOBBY, LOBBY_LEN, carol);
			if (e == 3) {
				CHECK_EQ(key_accept_as(&m, LOBBY, LOBBY_LEN, bob,
				    nonce_bob, rsa_bob, NOW, 0, &got), 0);
				CHECK(got != NULL && got->epoch == 3);
				sotto_group_free(got);
			} else {
				CHECK_EQ(key_accept_as(&m, LOBBY, LOBBY_LEN, bob,
				    nonce_bob, rsa_bob, NOW, 0, &got), SOTTO_V_DECRYPT);
			}
		}
		/* signed key_id that does not name the wrapped key */
		sotto_store_be32(plain + 32, 3);
		sotto_rsa_wrap(n_bob, SOTTO_RSA_MOD, SOTTO_RSA_E, plain,
		    sizeof(plain), wrapped, sizeof(wrapped));
		sotto_wbuf_reset(&m);
		sotto_wbuf_put(&m, sotto_ed25519_pub(carol), 32);
		sotto_wbuf_put(&m, fpr, 32);
		sotto_wbuf_put(&m, nonce_bob, 32);
		sotto_wbuf_u64(&m, NOW);
		sotto_wbuf_u32(&m, 3);
		sotto_wbuf_put(&m, "12345678", 8);
		sotto_wbuf_u16(&m, SOTTO_RSA_MOD);
		sotto_wbuf_put(&m, wrapped, sizeof(wrapped));
		sotto_wbuf_u16(&m, 0);
		hand_sign(&m, "sotto-v1 KEY", LOBBY, LOBBY_LEN, carol);
		CHECK_EQ(key_accept_as(&m, LOBBY, LOBBY_LEN, bob, nonce_bob,
		    rsa_bob, NOW, 0, &got), SOTTO_V_DECRYPT);
		sotto_wipe(plain, sizeof(plain));
	}
	/* The builder bounds the watermarks. */
	sotto_wbuf_reset(&m);
	CHECK_EQ(sotto_key_build(&m, LOBBY, LOBBY_LEN, alice, g, &to, NOW, marks,
	    SOTTO_MARKS_MAX + 1), SOTTO_E_INVAL);
	(void)peer;
	sotto_wbuf_free(&m);
	sotto_wbuf_free(&b);
	sotto_group_free(g);
}

/* --- DAT ----------------------------------------------------------------- */

struct rxside {
	struct sotto_dat_rx  *rx;
	struct sotto_dat_peer p;
};

static void
rx_init(struct rxside *s, const uint8_t *room, size_t room_len,
    const struct sotto_group *g, const struct sotto_ed25519 *sender,
    const uint8_t *session)
{
	memset(s, 0, sizeof(*s));
	CHECK_EQ(sotto_dat_rx_new(&s->rx, room, room_len), 0);
	CHECK_EQ(sotto_dat_subkey(&s->p.aead, g, sotto_ed25519_pub(sender),
	    session), 0);
	s->p.epoch = g->epoch;
}

static void
rx_done(struct rxside *s)
{
	sotto_aead_free(s->p.aead);
	sotto_dat_rx_free(s->rx);
}

/* parse -> trusted -> verify -> open, as the client does. */
static int
dat_accept(struct rxside *s, const uint8_t *body, size_t len,
    const uint8_t **text, size_t *text_len)
{
	struct sotto_dat d;
	uint8_t ctype;
	int r;

	if ((r = sotto_dat_parse(body, len, &d)) != 0)
		return r;
	if (sotto_trust_find(&trust, d.id_pub) == NULL)
		return SOTTO_V_UNTRUSTED;
	if ((r = sotto_dat_verify(s->rx, &d, body, len)) != 0)
		return r;
	r = sotto_dat_open(s->rx, &d, body, len, &s->p, &ctype, text, text_len);
	if (r == 0 && ctype != SOTTO_CT_TEXT)
		return SOTTO_V_MALFORMED;
	return r;
}

static void
copy_body(struct sotto_wbuf *m, const uint8_t *body, size_t len)
{
	sotto_wbuf_reset(m);
	sotto_wbuf_put(m, body, len);
}

static void
test_dat_roundtrip(void)
{
	struct sotto_group *g;
	struct sotto_dat_tx *tx;
	struct rxside s;
	struct sotto_dat d;
	const uint8_t *body, *text;
	size_t len, text_len, i;
	uint8_t session[SOTTO_JOIN_NONCE], msg[256];
	size_t lens_seen = 0, last_len = 0;

	sotto_random_nonce(session, sizeof(session));
	memset(msg, 'x', sizeof(msg));
	CHECK_EQ(sotto_group_generate(&g, 1), 0);
	CHECK_EQ(sotto_dat_tx_new(&tx, LOBBY, LOBBY_LEN, alice, g, session, 1), 0);
	rx_init(&s, LOBBY, LOBBY_LEN, g, alice, session);
	for (i = 1; i <= 20; i++) {
		CHECK_EQ(sotto_dat_tx_next(tx), i);
		CHECK_EQ(sotto_dat_seal(tx, NOW + i, SOTTO_CT_TEXT, msg, sizeof(msg),
		    &body, &len), 0);
		CHECK_EQ(sotto_dat_parse(body, len, &d), 0);
		CHECK_EQ(d.counter, i);
		CHECK_EQ(d.epoch, 1);
		CHECK_EQ(d.ts_ms, NOW + i);
		CHECK_MEM(d.id_pub, sotto_ed25519_pub(alice), 32);
		CHECK_MEM(d.session, session, 32);
		CHECK(d.ct_len >= SOTTO_PAD_HDR + sizeof(msg) &&
		    d.ct_len <= SOTTO_PAD_HDR + sizeof(msg) + SOTTO_PAD_MAX);
		CHECK_EQ(len, SOTTO_DAT_FIXED + d.ct_len);
		if (d.ct_len != last_len)
			lens_seen++;
		last_len = d.ct_len;
		CHECK_EQ(dat_accept(&s, body, len, &text, &text_len), 0);
		CHECK_EQ(text_len, sizeof(msg));
		CHECK_MEM(text, msg, sizeof(msg));
		CHECK_EQ(s.p.highest, i);
	}
	/* Padding: equal messages, many lengths. */
	CHECK(lens_seen >= 10);
	/* Empty and maximal messages; over-long is refused. */
	CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "", 0, &body, &len), 0);
	CHECK_EQ(dat_accept(&s, body, len, &text, &text_len), 0);
	CHECK_EQ(text_len, 0);
	{
		uint8_t *big = malloc(SOTTO_TEXT_MAX + 1);

		memset(big, 'y', SOTTO_TEXT_MAX + 1);
		CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, big, SOTTO_TEXT_MAX,
		    &body, &len), 0);
		CHECK_EQ(dat_accept(&s, body, len, &text, &text_len), 0);
		CHECK_EQ(text_len, SOTTO_TEXT_MAX);
		CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, big,
		    SOTTO_TEXT_MAX + 1, &body, &len), SOTTO_E_TOOLONG);
		free(big);
	}
	rx_done(&s);
	sotto_dat_tx_free(tx);
	sotto_group_free(g);
}

static void
test_dat_reject(void)
{
	struct sotto_group *g, *g2;
	struct sotto_dat_tx *tx, *txm;
	struct rxside s, s2;
	struct sotto_wbuf m1, m2, m3, m;
	const uint8_t *body, *text;
	size_t len, text_len, i, bad;
	uint8_t session[SOTTO_JOIN_NONCE];

	sotto_random_nonce(session, sizeof(session));
	sotto_wbuf_init(&m1, 0);
	sotto_wbuf_init(&m2, 0);
	sotto_wbuf_init(&m3, 0);
	sotto_wbuf_init(&m, 0);
	CHECK_EQ(sotto_group_generate(&g, 2), 0);
	CHECK_EQ(sotto_dat_tx_new(&tx, LOBBY, LOBBY_LEN, alice, g, session, 1), 0);
	sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "one", 3, &body, &len);
	copy_body(&m1, body, len);
	sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "two", 3, &body, &len);
	copy_body(&m2, body, len);
	sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "three", 5, &body, &len);
	copy_body(&m3, body, len);

	/* replay: the same frame twice; an older counter after a newer one. */
	rx_init(&s, LOBBY, LOBBY_LEN, g, alice, session);
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), 0);
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_REPLAY);
	CHECK_EQ(dat_accept(&s, m3.p, m3.len, &text, &text_len), 0);
	CHECK_EQ(dat_accept(&s, m2.p, m2.len, &text, &text_len), SOTTO_V_REPLAY);
	rx_done(&s);

	/* stale: below the watermark; below the join time when no watermark. */
	rx_init(&s, LOBBY, LOBBY_LEN, g, alice, session);
	s.p.floor = 3;
	s.p.min_ts_ms = NOW + 1000;     /* ignored: the watermark decides */
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_STALE);
	CHECK_EQ(dat_accept(&s, m2.p, m2.len, &text, &text_len), SOTTO_V_STALE);
	CHECK_EQ(dat_accept(&s, m3.p, m3.len, &text, &text_len), 0);
	s.p.floor = 0;
	s.p.highest = 0;
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_STALE);
	s.p.min_ts_ms = NOW;
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), 0);
	/* epoch: older than held -> stale; newer -> decrypt-failed. */
	s.p.highest = 0;
	s.p.epoch = 3;
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_STALE);
	s.p.epoch = 1;
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_DECRYPT);
	rx_done(&s);

	/* decrypt-failed: another group key of the same epoch. */
	CHECK_EQ(sotto_group_generate(&g2, 2), 0);
	rx_init(&s, LOBBY, LOBBY_LEN, g2, alice, session);
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_DECRYPT);
	CHECK_EQ(s.p.highest, 0);
	rx_done(&s);

	/* Room binding: signature (another room's receiver) ... */
	rx_init(&s, OTHER, OTHER_LEN, g, alice, session);
	CHECK_EQ(dat_accept(&s, m1.p, m1.len, &text, &text_len), SOTTO_V_BADSIG);
	/* ... and AAD: re-signed for the other room by the sender itself,
	 * the ciphertext still does not open there. */
	copy_body(&m, m1.p, m1.len - SOTTO_ED25519_SIG);
	hand_sign(&m, "sotto-v1 DAT", OTHER, OTHER_LEN, alice);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_DECRYPT);
	rx_done(&s);
	/* Epoch binding in the AAD: epoch field changed and re-signed, receiver
	 * holding that epoch's subkey of the same key: decrypt-failed. */
	rx_init(&s, LOBBY, LOBBY_LEN, g, alice, session);
	copy_body(&m, m1.p, m1.len - SOTTO_ED25519_SIG);
	m.p[64 + 3] ^= 1;               /* epoch 2 -> 3 */
	hand_sign(&m, "sotto-v1 DAT", LOBBY, LOBBY_LEN, alice);
	s.p.epoch = 3;
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_DECRYPT);
	s.p.epoch = 2;
	/* Counter binding: counter changed and re-signed -> decrypt-failed. */
	copy_body(&m, m1.p, m1.len - SOTTO_ED25519_SIG);
	m.p[68 + 7] ^= 4;
	hand_sign(&m, "sotto-v1 DAT", LOBBY, LOBBY_LEN, alice);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_DECRYPT);

	/* Every single-byte change of a DAT is refused. */
	bad = 0;
	for (i = 0; i < m2.len; i++) {
		copy_body(&m, m2.p, m2.len);
		m.p[i] ^= 0x01;
		s.p.highest = 0;
		if (dat_accept(&s, m.p, m.len, &text, &text_len) != 0)
			bad++;
	}
	CHECK_EQ(bad, m2.len);
	s.p.highest = 0;
	CHECK_EQ(dat_accept(&s, m2.p, m2.len, &text, &text_len), 0);
	CHECK_EQ(text_len, 3);
	CHECK_MEM(text, "two", 3);

	/* malformed: truncated, trailing, counter 0, epoch 0, ct_len huge. */
	CHECK_EQ(dat_accept(&s, m2.p, m2.len - 1, &text, &text_len), SOTTO_V_MALFORMED);
	copy_body(&m, m2.p, m2.len);
	sotto_wbuf_u8(&m, 0);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_MALFORMED);
	copy_body(&m, m2.p, m2.len);
	memset(m.p + 68, 0, 8);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_MALFORMED);
	copy_body(&m, m2.p, m2.len);
	memset(m.p + 64, 0, 4);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_MALFORMED);
	copy_body(&m, m2.p, m2.len);
	sotto_store_be32(m.p + SOTTO_DAT_HDR, SOTTO_DAT_PT_MAX + 1);
	CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_MALFORMED);
	/* A DAT whose plaintext is not padded as documented (encrypted and
	 * signed by a trusted sender): malformed after decryption. */
	{
		struct sotto_aead *a = s.p.aead;
		uint8_t nonce[SOTTO_GCM_NONCE] = { 0 }, pt[8] = { 1, 0, 0, 0, 9 };
		uint8_t ct[8], tag[16];
		struct sotto_wbuf aad;

		sotto_wbuf_init(&aad, 0);
		sotto_wbuf_put(&aad, "sotto-v1 DAT", 12);
		sotto_wbuf_u8(&aad, LOBBY_LEN);
		sotto_wbuf_put(&aad, LOBBY, LOBBY_LEN);
		sotto_wbuf_reset(&m);
		sotto_wbuf_put(&m, sotto_ed25519_pub(alice), 32);
		sotto_wbuf_put(&m, session, 32);
		sotto_wbuf_u32(&m, 2);
		sotto_wbuf_u64(&m, 50);
		sotto_wbuf_u64(&m, NOW);
		sotto_wbuf_put(&aad, m.p, m.len);
		nonce[11] = 50;
		CHECK_EQ(sotto_aead_seal(a, nonce, aad.p, aad.len, pt, 8, ct, tag), 0);
		sotto_wbuf_u32(&m, 8);
		sotto_wbuf_put(&m, ct, 8);
		sotto_wbuf_put(&m, tag, 16);
		hand_sign(&m, "sotto-v1 DAT", LOBBY, LOBBY_LEN, alice);
		CHECK_EQ(dat_accept(&s, m.p, m.len, &text, &text_len), SOTTO_V_MALFORMED);
		sotto_wbuf_free(&aad);
	}
	/* open without a verify of the same body is refused */
	{
		struct sotto_dat d;
		uint8_t ct;

		CHECK_EQ(sotto_dat_parse(m3.p, m3.len, &d), 0);
		CHECK_EQ(sotto_dat_open(s.rx, &d, m3.p, m3.len, &s.p, &ct, &text,
		    &text_len), SOTTO_E_INVAL);
	}
	rx_done(&s);

	/* untrusted-key: mallory's DATs, whatever their signature. */
	CHECK_EQ(sotto_dat_tx_new(&txm, LOBBY, LOBBY_LEN, mallory, g, session, 1), 0);
	CHECK_EQ(sotto_dat_seal(txm, NOW, SOTTO_CT_TEXT, "hi", 2, &body, &len), 0);
	rx_init(&s2, LOBBY, LOBBY_LEN, g, mallory, session);
	CHECK_EQ(dat_accept(&s2, body, len, &text, &text_len), SOTTO_V_UNTRUSTED);
	rx_done(&s2);
	sotto_dat_tx_free(txm);

	sotto_dat_tx_free(tx);
	sotto_group_free(g);
	sotto_group_free(g2);
	sotto_wbuf_free(&m1);
	sotto_wbuf_free(&m2);
	sotto_wbuf_free(&m3);
	sotto_wbuf_free(&m);
}

/* The subkey, nonce and AAD exactly as docs/protocol.md states them,
 * computed here independently; and no (key, nonce) pair repeats across
 * senders and sessions sharing one group key. */
static void
test_dat_keys_nonces(void)
{
	struct sotto_group *g;
	const struct sotto_ed25519 *senders[2] = { alice, bob };
	uint8_t keys[4][SOTTO_SHA256_LEN];
	uint8_t pairs[4 * 5][SOTTO_SHA256_LEN + SOTTO_GCM_NONCE];
	size_t n_pairs = 0, i, j, dup = 0;
	int si, ss;

	CHECK_EQ(sotto_group_generate(&g, 5), 0);
	for (si = 0; si < 2; si++) {
		for (ss = 0; ss < 2; ss++) {
			uint8_t session[SOTTO_JOIN_NONCE], in[16 + 4 + 32 + 32];
			struct sotto_dat_tx *tx;
			struct sotto_aead *a;
			struct sotto_wbuf aad;
			const uint8_t *body;
			size_t len;
			int k = si * 2 + ss, c;

			sotto_random_nonce(session, sizeof(session));
			memcpy(in, "sotto-v1 dat-key", 16);
			sotto_store_be32(in + 16, 5);
			memcpy(in + 20, sotto_ed25519_pub(senders[si]), 32);
			memcpy(in + 52, session, 32);
			sotto_hmac_sha256(keys[k], g->key, 32, in, sizeof(in));
			CHECK_EQ(sotto_aead_new(&a, keys[k]), 0);
			CHECK_EQ(sotto_dat_tx_new(&tx, LOBBY, LOBBY_LEN, senders[si],
			    g, session, 1), 0);
			sotto_wbuf_init(&aad, 0);
			for (c = 1; c <= 5; c++) {
				struct sotto_dat d;
				uint8_t nonce[12] = { 0 }, pt[SOTTO_DAT_PT_MAX];
				uint8_t ctype;
				const uint8_t *text;
				size_t text_len;

				CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "same", 4,
				    &body, &len), 0);
				CHECK_EQ(sotto_dat_parse(body, len, &d), 0);
				/* nonce = 4 zero bytes || u64 counter */
				sotto_store_be32(nonce + 8, (uint32_t)d.counter);
				/* AAD = label || P || body before ct_len */
				sotto_wbuf_reset(&aad);
				sotto_wbuf_put(&aad, "sotto-v1 DAT", 12);
				sotto_wbuf_u8(&aad, LOBBY_LEN);
				sotto_wbuf_put(&aad, LOBBY, LOBBY_LEN);
				sotto_wbuf_put(&aad, body, SOTTO_DAT_HDR);
				CHECK_EQ(sotto_aead_open(a, nonce, aad.p, aad.len, d.ct,
				    d.ct_len, d.tag, pt), 0);
				CHECK_EQ(sotto_unpad(pt, d.ct_len, &ctype, &text,
				    &text_len), 0);
				CHECK_EQ(text_len, 4);
				CHECK_MEM(text, "same", 4);
				memcpy(pairs[n_pairs], keys[k], 32);
				memcpy(pairs[n_pairs] + 32, nonce, 12);
				n_pairs++;
			}
			sotto_wbuf_free(&aad);
			sotto_dat_tx_free(tx);
			sotto_aead_free(a);
		}
	}
	for (i = 0; i < n_pairs; i++)
		for (j = i + 1; j < n_pairs; j++)
			if (memcmp(pairs[i], pairs[j], sizeof(pairs[i])) == 0)
				dup++;
	CHECK_EQ(n_pairs, 20);
	CHECK_EQ(dup, 0);
	/* Every (sender, session) has its own subkey. */
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			CHECK(memcmp(keys[i], keys[j], 32) != 0);

	/* A session's counter does not restart: a tx resumed at counter 6
	 * never produces 1..5 again. */
	{
		uint8_t session[SOTTO_JOIN_NONCE];
		struct sotto_dat_tx *tx;
		struct sotto_dat d;
		const uint8_t *body;
		size_t len;

		sotto_random_nonce(session, sizeof(session));
		CHECK_EQ(sotto_dat_tx_new(&tx, LOBBY, LOBBY_LEN, alice, g, session, 6), 0);
		CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "x", 1, &body, &len), 0);
		CHECK_EQ(sotto_dat_parse(body, len, &d), 0);
		CHECK_EQ(d.counter, 6);
		sotto_dat_tx_free(tx);
		CHECK_EQ(sotto_dat_tx_new(&tx, LOBBY, LOBBY_LEN, alice, g, session, 0),
		    SOTTO_E_INVAL);
	}
	sotto_group_free(g);
}

/* --- split signing (ssh-agent) ------------------------------------------- */

/* Building without the signature and signing the returned input gives
 * what the one-step builders give: byte for byte for INI (Ed25519 is
 * deterministic), and bodies the receive side accepts for KEY and DAT. */
static void
test_split_signing(void)
{
	struct sotto_wbuf a, b, m;
	struct sotto_ini f;
	struct sotto_group *g, *got = NULL;
	struct sotto_key_to to = { NULL, nonce_bob, n_bob };
	struct sotto_dat_tx *tx;
	struct rxside s;
	const uint8_t *msg, *body, *text;
	size_t msg_len, len, text_len;
	uint8_t sig[SOTTO_ED25519_SIG], session[SOTTO_JOIN_NONCE];
	uint8_t copy[SOTTO_DAT_FIXED + 512];

	sotto_wbuf_init(&a, 0);
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&m, 0);
	ini_fields(&f, LOBBY, LOBBY_LEN, nonce_bob, n_bob, NOW);
	CHECK_EQ(sotto_ini_build(&a, &f, bob), 0);
	CHECK_EQ(sotto_ini_build_unsigned(&b, &f, sotto_ed25519_pub(bob), &m), 0);
	CHECK_EQ(b.len + SOTTO_ED25519_SIG, a.len);
	CHECK_EQ(sotto_ed25519_sign(bob, m.p, m.len, sig), 0);
	CHECK_EQ(sotto_wbuf_put(&b, sig, sizeof(sig)), 0);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);

	to.pub = sotto_ed25519_pub(bob);
	CHECK_EQ(sotto_group_generate(&g, 2), 0);
	sotto_wbuf_reset(&b);
	sotto_wbuf_reset(&m);
	CHECK_EQ(sotto_key_build_unsigned(&b, LOBBY, LOBBY_LEN,
	    sotto_ed25519_pub(alice), g, &to, NOW, NULL, 0, &m), 0);
	CHECK_EQ(sotto_ed25519_sign(alice, m.p, m.len, sig), 0);
	CHECK_EQ(sotto_wbuf_put(&b, sig, sizeof(sig)), 0);
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob, NOW,
	    0, &got), 0);
	CHECK(got != NULL && memcmp(got->key, g->key, SOTTO_GROUP_KEY) == 0);
	sotto_group_free(got);
	/* A wrong signature on the split body is refused as usual. */
	b.p[b.len - 1] ^= 1;
	CHECK_EQ(key_accept_as(&b, LOBBY, LOBBY_LEN, bob, nonce_bob, rsa_bob, NOW,
	    0, &got), SOTTO_V_BADSIG);

	sotto_random_nonce(session, sizeof(session));
	CHECK_EQ(sotto_dat_tx_new_pub(&tx, LOBBY, LOBBY_LEN,
	    sotto_ed25519_pub(alice), g, session, 1), 0);
	/* No signing key in this sender: the one-step seal refuses. */
	CHECK_EQ(sotto_dat_seal(tx, NOW, SOTTO_CT_TEXT, "x", 1, &body, &len),
	    SOTTO_E_INVAL);
	rx_init(&s, LOBBY, LOBBY_LEN, g, alice, session);
	CHECK_EQ(sotto_dat_seal_unsigned(tx, NOW, SOTTO_CT_TEXT, "agent", 5,
	    &msg, &msg_len, &body, &len), 0);
	CHECK_EQ(sotto_dat_tx_next(tx), 2);
	CHECK(len + SOTTO_ED25519_SIG <= sizeof(copy));
	memcpy(copy, body, len);
	CHECK_EQ(sotto_ed25519_sign(alice, msg, msg_len, copy + len), 0);
	CHECK_EQ(dat_accept(&s, copy, len + SOTTO_ED25519_SIG, &text, &text_len), 0);
	CHECK(text_len == 5 && memcmp(text, "agent", 5) == 0);
	rx_done(&s);
	sotto_dat_tx_free(tx);
	sotto_group_free(g);
	sotto_wbuf_free(&a);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&m);
}

int
main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_group();
	test_verdict_words();
	test_ini_roundtrip();
	test_ini_reject();
	test_roster_left();
	test_key();
	test_dat_roundtrip();
	test_dat_reject();
	test_dat_keys_nonces();
	test_split_signing();
	sotto_rsa_free(rsa_bob);
	sotto_rsa_free(rsa_carol);
	sotto_ed25519_free(alice);
	sotto_ed25519_free(bob);
	sotto_ed25519_free(carol);
	sotto_ed25519_free(mallory);
	return check_summary();
}

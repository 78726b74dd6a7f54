/* SPDX-License-Identifier: ISC */
/* fuzz_proto2.c: v2 INI, KEY and DAT bodies (shared/proto2.c): parse, trust, the check/finish split, re-signed bodies against documented models, the sealed KEY list, and the ratcheted DAT round trip.
 *
 * Input: byte 0 picks what the rest is (byte 0 % 6):
 *   0  an INI v2 body as it comes;
 *   1  byte 1 = clock delta, then an INI v2 body that, once it parses,
 *      gets the trusted identity and is re-signed: the
 *      verdict must be the model's (room, then freshness), and one flipped
 *      signed bit must break the signature;
 *   2  a KEY v2 body as it comes (check only: parse, trust, addressing,
 *      digest);
 *   3  byte 1 = kind, then a sealed-part plaintext: a KEY v2 is built
 *      around it (the wrap of a fixed transport key made once at start to
 *      the target's own RSA-4096 key, header fields matching it), sealed,
 *      signed and finished with the real unwrap (one RSA private operation,
 *      capped by SOTTO_FUZZ_RSA_BUDGET): it must be accepted exactly when
 *      the plaintext is E || u16 n || n whole entries of the kind with
 *      valid chain states, and then read back entry by entry;
 *   4  a DAT v2 body as it comes, then re-signed: verify must pass and
 *      open under the fixed room key's chain for its own (session, epoch,
 *      gen) must open it or refuse it without moving the chain;
 *   5  byte 1 = index skip, byte 2 = content type, then text: sealed by a
 *      sender chain after `skip` messages nobody received, opened by a
 *      fresh receiver chain: the text must come back exactly.
 */
#include "proto_ctx.h"
#include "pad.h"
#include "proto2.h"
#include "ratchet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define K_EPOCH 5u
#define K_GEN   3u

static struct sotto_rsa *rsa;
static long rsa_budget = -1;
static uint8_t own_pub[32], own_fpr[32], own_nonce[32];
static uint8_t tkey[SOTTO_KEY2_TKEY];
static uint8_t wrapped_h[SOTTO_RSA_MOD];   /* T || K_EPOCH || K_GEN to rsa */
static uint8_t wrapped_r[SOTTO_RSA_MOD];   /* T || K_EPOCH || 0 (rotation) */
static struct sotto_genkey *gk;            /* a fixed epoch key, gen 0 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t n[SOTTO_RSA_MOD], plain[SOTTO_WRAP2_PLAIN], e[32];

	(void)argc;
	(void)argv;
	fz_init();
	REQUIRE(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS) == 0);
	REQUIRE(sotto_rsa_modulus(rsa, n, sizeof(n)) == 0);
	memset(own_pub, 0x33, sizeof(own_pub));
	sotto_fingerprint(own_pub, own_fpr);
	memset(own_nonce, 0x44, sizeof(own_nonce));
	memset(tkey, 0x77, sizeof(tkey));
	memcpy(plain, tkey, sizeof(tkey));
	sotto_store_be32(plain + 32, K_EPOCH);
	sotto_store_be32(plain + 36, K_GEN);
	REQUIRE(sotto_rsa_wrap(n, sizeof(n), SOTTO_RSA_E, plain, sizeof(plain),
	    wrapped_h, sizeof(wrapped_h)) == 0);
	sotto_store_be32(plain + 36, 0);
	REQUIRE(sotto_rsa_wrap(n, sizeof(n), SOTTO_RSA_E, plain, sizeof(plain),
	    wrapped_r, sizeof(wrapped_r)) == 0);
	memset(e, 0x66, sizeof(e));
	REQUIRE(sotto_genkey_new(&gk, e, 1, 0) == 0);
	if (getenv("SOTTO_FUZZ_RSA_BUDGET") != NULL)
		rsa_budget = atol(getenv("SOTTO_FUZZ_RSA_BUDGET"));
	return 0;
}

/* Verdicts here: 0, a §5 reason, or a newer peer's frame. */
static void
verdict_ok(int r)
{
	REQUIRE(r == 0 || r == SOTTO_V_NEWER || sotto_verdict_word(r) != NULL);
}

/* --- INI ----------------------------------------------------------------- */

static void
ini_raw(const uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_ini2 ini;
	int r;

	r = sotto_ini2_check(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, &ini, &peer);
	verdict_ok(r);
	if (r == SOTTO_V_MALFORMED || r == SOTTO_V_UNTRUSTED)
		REQUIRE(peer == NULL);
	if (r == 0 || r == SOTTO_V_NEWER || r == SOTTO_V_NOTFORME)
		REQUIRE(peer == &fz.peer);
	if (r == 0) {
		r = sotto_ini2_finish(&ini, body, len, FZ_NOW_MS, 0);
		verdict_ok(r);
	}
}

static void
ini_resigned(uint8_t delta, uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_ini2 ini, again;
	uint64_t now;
	int r, want;

	if (sotto_ini2_parse(body, len, &ini) != 0)
		return;
	memcpy((uint8_t *)(uintptr_t)ini.id_pub, fz.peer.pub, SOTTO_ED25519_PUB);
	fz_resign(SOTTO_LABEL2_INI, NULL, 0, body, ini.signed_len);
	now = fz_now(ini.ts_ms, delta);
	r = sotto_ini2_check(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, &again, &peer);
	want = ini.room_len != FZ_ROOM_LEN ||
	    memcmp(ini.room, FZ_ROOM, FZ_ROOM_LEN) != 0 ? SOTTO_V_NOTFORME : 0;
	REQUIRE(r == want);
	REQUIRE(peer == &fz.peer);
	if (r != 0)
		return;
	REQUIRE(sotto_ini2_finish(&again, body, len, now, 0) ==
	    fz_fresh(ini.ts_ms, now, 0));
	REQUIRE(again.gen == ini.gen && again.epoch == ini.epoch &&
	    (again.epoch != 0 || again.gen == 0));
	/* One flipped signed bit past the version byte breaks the signature
	 * (or the parse, or the trust, or the room). */
	body[1 + ini.room_len + 2 + (len / 3) % (ini.signed_len - 1 - ini.room_len - 2)] ^= 0x01;
	r = sotto_ini2_check(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, &again, &peer);
	if (r == 0)
		r = sotto_ini2_finish(&again, body, len, now, 0);
	REQUIRE(r == SOTTO_V_BADSIG || r == SOTTO_V_MALFORMED ||
	    r == SOTTO_V_UNTRUSTED || r == SOTTO_V_NEWER || r == SOTTO_V_NOTFORME);
}

/* --- KEY ----------------------------------------------------------------- */

static void
key_raw(const uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_key2 k, k2;
	uint8_t d[32], d2[32];
	int r;

	r = sotto_key2_check(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, own_fpr,
	    own_nonce, &k, &peer, d);
	verdict_ok(r);
	if (r != 0)
		return;
	/* Same bytes, same digest; the digest is what a receiver dedups on. */
	REQUIRE(sotto_key2_check(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust,
	    own_fpr, own_nonce, &k2, &peer, d2) == 0);
	REQUIRE(memcmp(d, d2, 32) == 0);
	REQUIRE(k.n_marks <= SOTTO_MARKS_MAX);
}

/* Model of the sealed list (docs/protocol.md "v2: KEY"). */
static int
sealed_model(uint8_t kind, const uint8_t *pt, size_t n)
{
	size_t entry = kind == SOTTO_KEY2_ROTATION ? 32u : SOTTO_CHAIN_STATE_LEN;
	size_t count, i;

	if (n < 34)
		return SOTTO_V_DECRYPT;
	count = (size_t)pt[32] << 8 | pt[33];
	if (count > SOTTO_CHAINS_MAX || n - 34 != count * entry)
		return SOTTO_V_DECRYPT;
	for (i = 0; kind == SOTTO_KEY2_HANDOVER && i < count; i++) {
		const uint8_t *e = pt + 34 + i * entry;

		if (sotto_load_be32(e + 64) >= K_GEN ||
		    sotto_load_be32(e + 68) == SOTTO_INDEX_MAX)
			return SOTTO_V_DECRYPT;
	}
	return 0;
}

static void
key_sealed(uint8_t kind_byte, const uint8_t *pt, size_t n)
{
	const struct sotto_peer *peer;
	struct sotto_aead *a = NULL;
	struct sotto_key2_secret s;
	struct sotto_key2 k;
	struct sotto_wbuf b;
	uint8_t kind = kind_byte & 1 ? SOTTO_KEY2_ROTATION : SOTTO_KEY2_HANDOVER;
	uint8_t nz[SOTTO_GCM_NONCE] = { 0 }, d[32];
	size_t aad_len, i;
	int r, want;

	if (n > SOTTO_KEY2_SEALED_MAX || n < SOTTO_GROUP_KEY + 2u)
		return;
	sotto_wbuf_init(&b, 0);
	/* The body, field by field, as the table says. */
	REQUIRE(sotto_wbuf_u8(&b, 2) == 0 && sotto_wbuf_u8(&b, kind) == 0);
	REQUIRE(sotto_wbuf_put(&b, fz.peer.pub, 32) == 0);
	REQUIRE(sotto_wbuf_put(&b, own_fpr, 32) == 0);
	REQUIRE(sotto_wbuf_put(&b, own_nonce, 32) == 0);
	REQUIRE(sotto_wbuf_u64(&b, FZ_NOW_MS) == 0);
	REQUIRE(sotto_wbuf_u32(&b, K_EPOCH) == 0);
	REQUIRE(sotto_wbuf_put(&b, "keyid-01", 8) == 0);
	REQUIRE(sotto_wbuf_u32(&b, kind == SOTTO_KEY2_ROTATION ? 0 : K_GEN) == 0);
	REQUIRE(sotto_wbuf_u32(&b, 4) == 0);
	REQUIRE(sotto_wbuf_put(&b, "prevkey1", 8) == 0);
	REQUIRE(sotto_wbuf_u8(&b, SOTTO_REASON_LEFT) == 0);
	REQUIRE(sotto_wbuf_u16(&b, SOTTO_RSA_MOD) == 0);
	REQUIRE(sotto_wbuf_put(&b, kind == SOTTO_KEY2_ROTATION ? wrapped_r :
	    wrapped_h, SOTTO_RSA_MOD) == 0);
	REQUIRE(sotto_wbuf_u16(&b, 0) == 0);
	aad_len = b.len;
	REQUIRE(sotto_wbuf_u32(&b, (uint32_t)n) == 0);
	REQUIRE(sotto_wbuf_reserve(&b, n + SOTTO_GCM_TAG + SOTTO_ED25519_SIG) == 0);
	/* AAD = label || P || body[0..aad_len): build it in front. */
	{
		struct sotto_wbuf aad;

		sotto_wbuf_init(&aad, 0);
		REQUIRE(sotto_wbuf_put(&aad, SOTTO_LABEL2_KEY, SOTTO_LABEL_LEN) == 0);
		REQUIRE(sotto_wbuf_u8(&aad, FZ_ROOM_LEN) == 0);
		REQUIRE(sotto_wbuf_put(&aad, FZ_ROOM, FZ_ROOM_LEN) == 0);
		REQUIRE(sotto_wbuf_put(&aad, b.p, aad_len) == 0);
		REQUIRE(sotto_aead_new(&a, tkey) == 0);
		REQUIRE(sotto_aead_seal(a, nz, aad.p, aad.len, pt, n, b.p + b.len,
		    b.p + b.len + n) == 0);
		sotto_aead_free(a);
		sotto_wbuf_free(&aad);
	}
	b.len += n + SOTTO_GCM_TAG;
	REQUIRE(sotto_wbuf_reserve(&b, SOTTO_ED25519_SIG) == 0);
	fz_resign(SOTTO_LABEL2_KEY, FZ_ROOM, FZ_ROOM_LEN, b.p, b.len);
	b.len += SOTTO_ED25519_SIG;
	r = sotto_key2_check(b.p, b.len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, own_fpr,
	    own_nonce, &k, &peer, d);
	/* The header is well-formed by construction; only the sealed length
	 * can make it malformed (not whole entries of its kind). */
	if (r == SOTTO_V_MALFORMED) {
		REQUIRE((n - 34) % (kind == SOTTO_KEY2_ROTATION ? 32u :
		    SOTTO_CHAIN_STATE_LEN) != 0);
		goto out;
	}
	REQUIRE(r == 0);
	r = sotto_key2_finish(&k, b.p, b.len, FZ_ROOM, FZ_ROOM_LEN, rsa, FZ_NOW_MS,
	    0, &s);
	want = sealed_model(kind, pt, n);
	REQUIRE(r == want);
	if (r != 0) {
		REQUIRE(s.gk == NULL && s.chains == NULL && s.removed == NULL);
		goto out;
	}
	REQUIRE(memcmp(s.gk->key, pt, 32) == 0);
	for (i = 0; i < s.n_chains; i++) {
		const uint8_t *e = pt + 34 + i * SOTTO_CHAIN_STATE_LEN;

		REQUIRE(memcmp(s.chains[i]->id_pub, e, 32) == 0);
		REQUIRE(memcmp(s.chains[i]->ck, e + 72, 32) == 0);
		REQUIRE(s.chains[i]->index == sotto_load_be32(e + 68));
	}
	for (i = 0; i < s.n_removed; i++)
		REQUIRE(memcmp(s.removed[i], pt + 34 + i * 32, 32) == 0);
	sotto_key2_secret_free(&s);
out:
	sotto_wbuf_free(&b);
}

/* --- DAT ----------------------------------------------------------------- */

static void
dat_any(uint8_t *body, size_t len)
{
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_genkey *g = NULL;
	struct sotto_chain *ch = NULL;
	struct sotto_replay rp = { 0, 0, 0 };
	struct sotto_dat2 d;
	const uint8_t *text;
	size_t tn;
	uint8_t ct;
	int r;

	r = sotto_dat2_parse(body, len, &d);
	verdict_ok(r);
	if (r != 0)
		return;
	verdict_ok(sotto_dat2_check(&d, &rp));
	memcpy((uint8_t *)(uintptr_t)d.id_pub, fz.peer.pub, SOTTO_ED25519_PUB);
	fz_resign(SOTTO_LABEL2_DAT, FZ_ROOM, FZ_ROOM_LEN, body, d.signed_len);
	REQUIRE(sotto_dat2_rx_new(&rx, FZ_ROOM, FZ_ROOM_LEN) == 0);
	REQUIRE(sotto_dat2_verify(rx, &d, body, len) == 0);
	REQUIRE(sotto_genkey_new(&g, gk->key, d.epoch, 0) == 0);
	if (d.gen <= SOTTO_GEN_JUMP_MAX) {
		REQUIRE(sotto_genkey_advance(g, d.gen) == 0);
		REQUIRE(sotto_chain_start(&ch, g, d.id_pub, d.session) == 0);
		r = sotto_dat2_open(rx, &d, body, len, ch, &rp, &ct, &text, &tn);
		verdict_ok(r);
		/* Only a body really sealed under this room key opens (a seed
		 * made so); anything else is refused and moves nothing. */
		REQUIRE(r == 0 || r == SOTTO_V_DECRYPT || r == SOTTO_V_MALFORMED);
		if (r == SOTTO_V_DECRYPT)
			REQUIRE(ch->index == 0 && rp.highest == 0);
		else
			REQUIRE(ch->index == d.index + 1 && rp.highest == d.counter);
	}
	sotto_chain_free(ch);
	sotto_genkey_free(g);
	sotto_dat2_rx_free(rx);
}

static void
dat_roundtrip(uint8_t skip, uint8_t ctype, const uint8_t *text, size_t n)
{
	struct sotto_dat2_tx *tx = NULL;
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_chain *snd = NULL, *rcv = NULL;
	struct sotto_replay rp = { 0, 0, 0 };
	struct sotto_dat2 d;
	const uint8_t *body, *got;
	uint8_t mk[32], got_ct;
	size_t len, got_n;
	uint32_t idx, i;
	int r;

	if (n > SOTTO_TEXT_MAX || ctype == 0)
		return;
	REQUIRE(sotto_chain_start(&snd, gk, fz.peer.pub, own_nonce) == 0);
	REQUIRE(sotto_chain_start(&rcv, gk, fz.peer.pub, own_nonce) == 0);
	for (i = 0; i < skip; i++)
		REQUIRE(sotto_chain_next(snd, &idx, mk) == 0);
	REQUIRE(sotto_dat2_tx_new(&tx, FZ_ROOM, FZ_ROOM_LEN, fz.id, own_nonce,
	    1 + skip) == 0);
	REQUIRE(sotto_dat2_rx_new(&rx, FZ_ROOM, FZ_ROOM_LEN) == 0);
	REQUIRE(sotto_dat2_seal(tx, snd, FZ_NOW_MS, ctype, text, n, &body, &len) == 0);
	REQUIRE(sotto_dat2_parse(body, len, &d) == 0);
	REQUIRE(d.index == skip && d.counter == 1u + skip);
	REQUIRE(sotto_dat2_check(&d, &rp) == 0);
	REQUIRE(sotto_dat2_verify(rx, &d, body, len) == 0);
	r = sotto_dat2_open(rx, &d, body, len, rcv, &rp, &got_ct, &got, &got_n);
	REQUIRE(r == 0);
	REQUIRE(got_ct == ctype && got_n == n && (n == 0 || memcmp(got, text, n) == 0));
	REQUIRE(rcv->index == snd->index && memcmp(rcv->ck, snd->ck, 32) == 0);
	/* The same frame again: the counter, before any crypto. */
	REQUIRE(sotto_dat2_check(&d, &rp) == SOTTO_V_REPLAY);
	sotto_dat2_rx_free(rx);
	sotto_dat2_tx_free(tx);
	sotto_chain_free(snd);
	sotto_chain_free(rcv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body;

	if (size < 3)
		return 0;
	switch (data[0] % 6) {
	case 0:
		ini_raw(data + 1, size - 1);
		break;
	case 1:
		body = fz_copy(data + 2, size - 2);
		ini_resigned(data[1], body, size - 2);
		free(body);
		break;
	case 2:
		key_raw(data + 1, size - 1);
		break;
	case 3:
		if (rsa_budget >= 0 && rsa_budget-- == 0) {
			rsa_budget = 0;
			break;
		}
		key_sealed(data[1], data + 2, size - 2);
		break;
	case 4:
		body = fz_copy(data + 1, size - 1);
		dat_any(body, size - 1);
		free(body);
		break;
	case 5:
		dat_roundtrip(data[1], data[2], data + 3, size - 3);
		break;
	}
	return 0;
}

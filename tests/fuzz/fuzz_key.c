/* SPDX-License-Identifier: ISC */
/* fuzz_key.c: KEY bodies: parse, trust, signature, addressing, freshness, watermarks, RSA-OAEP unwrap.
 *
 * Input: byte 0 picks what the rest is (byte 0 % 4):
 *   0  a KEY body, taken as it comes;
 *   1  byte 1 = clock delta, byte 2 = bit 0 keep to_fpr, bit 1 keep
 *      to_nonce, bits 2-3 min-ts choice; then a KEY body that, once it
 *      parses, gets the trusted keyholder (and, unless kept, the
 *      recipient's fingerprint and nonce) and is re-signed: the verdict
 *      must be the documented one (not-for-me, stale, else the unwrap,
 *      which is skipped here: decrypt-failed), and every watermark reads
 *      back as its bytes;
 *   2  byte 1 = epoch choice, byte 2 = number of watermarks (0..7), then a
 *      plaintext: a real KEY is built to the target's own RSA-4096 session
 *      key, its wrap replaced by the RSA-OAEP wrap of the plaintext (unless
 *      byte 1 bit 7 or an empty plaintext keeps the real one), re-signed,
 *      and accepted with the real unwrap: it must yield the group key
 *      exactly when the plaintext is key || u32 epoch naming the signed
 *      epoch and key id, and decrypt-failed otherwise (costly: one RSA
 *      private operation);
 *   3  as 1, but with the RSA key: fuzzed wrapped bytes reach the real
 *      RSA-OAEP unwrap (one private operation per input).
 */
#include "proto_ctx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The OAEP-SHA256 capacity of a 4096-bit modulus: 512 - 2*32 - 2. */
#define OAEP_MAX (SOTTO_RSA_MOD - 2u * SOTTO_SHA256_LEN - 2u)
#define WRAPPED_OFF (SOTTO_ED25519_PUB + SOTTO_FPR_LEN + SOTTO_JOIN_NONCE + \
    SOTTO_TS_LEN + SOTTO_EPOCH_LEN + SOTTO_KEY_ID + 2u)

static struct sotto_rsa *rsa;          /* the recipient's session key */
/* RSA-4096 private operations cost ~20 ms each: SOTTO_FUZZ_RSA_BUDGET caps
 * how many inputs per process take modes 2 and 3 (the rest return at
 * once), so the 20000-run regression stays short; unset means no cap,
 * as a campaign wants (docs/testing.md). */
static long rsa_budget = -1;
static uint8_t rsa_n[SOTTO_RSA_MOD];
static uint8_t own_pub[SOTTO_ED25519_PUB];
static uint8_t own_fpr[SOTTO_FPR_LEN];
static uint8_t own_nonce[SOTTO_JOIN_NONCE];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init();
	/* Slow once (RSA-4096 generation), then reused by every input. */
	REQUIRE(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS) == 0);
	REQUIRE(sotto_rsa_modulus(rsa, rsa_n, sizeof(rsa_n)) == 0);
	memset(own_pub, 0x33, sizeof(own_pub));
	sotto_fingerprint(own_pub, own_fpr);
	memset(own_nonce, 0x44, sizeof(own_nonce));
	if (getenv("SOTTO_FUZZ_RSA_BUDGET") != NULL)
		rsa_budget = atol(getenv("SOTTO_FUZZ_RSA_BUDGET"));
	return 0;
}

static int
accept(const uint8_t *body, size_t len, uint64_t now, uint64_t min_ts,
    const struct sotto_rsa *with, struct sotto_key *k,
    struct sotto_group **g)
{
	const struct sotto_peer *peer;
	int r;

	r = sotto_key_accept(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust,
	    own_fpr, own_nonce, with, now, min_ts, k, &peer, g);
	fz_verdict_ok(r);
	REQUIRE((r == 0) == (*g != NULL));
	if (r == SOTTO_V_MALFORMED || r == SOTTO_V_UNTRUSTED)
		REQUIRE(peer == NULL);
	else
		REQUIRE(peer == &fz.peer);
	return r;
}

static void
marks_read_back(const struct sotto_key *k)
{
	struct sotto_mark m;
	size_t i;

	REQUIRE(k->n_marks <= SOTTO_MARKS_MAX);
	for (i = 0; i < k->n_marks; i++) {
		REQUIRE(sotto_key_mark(k, i, &m) == 0);
		REQUIRE(memcmp(m.id_pub, k->marks + i * SOTTO_MARK_LEN,
		    SOTTO_ED25519_PUB) == 0);
	}
	REQUIRE(sotto_key_mark(k, k->n_marks, &m) == SOTTO_E_INVAL);
}

static void
key_raw(const uint8_t *body, size_t len)
{
	struct sotto_group *g = NULL;
	struct sotto_key k;

	if (accept(body, len, FZ_NOW_MS, 0, NULL, &k, &g) == 0)
		sotto_group_free(g);
}

static void
key_resigned(uint8_t delta, uint8_t opts, uint8_t *body, size_t len,
    const struct sotto_rsa *with)
{
	struct sotto_group *g = NULL;
	struct sotto_key k, again;
	uint64_t now, min_ts;
	int r, want;

	if (sotto_key_parse(body, len, &k) != 0)
		return;
	memcpy(body, fz.peer.pub, SOTTO_ED25519_PUB);    /* id_pub is first */
	if (!(opts & 1))
		memcpy(body + SOTTO_ED25519_PUB, own_fpr, SOTTO_FPR_LEN);
	if (!(opts & 2))
		memcpy(body + SOTTO_ED25519_PUB + SOTTO_FPR_LEN, own_nonce,
		    SOTTO_JOIN_NONCE);
	fz_resign(SOTTO_LABEL_KEY, FZ_ROOM, FZ_ROOM_LEN, body, k.signed_len);
	now = fz_now(k.ts_ms, delta);
	min_ts = (opts >> 2) % 3 == 0 ? 0 : k.ts_ms + ((opts >> 2) % 3 == 2);
	if (min_ts < k.ts_ms)
		min_ts = 0;
	r = accept(body, len, now, min_ts, with, &again, &g);
	if (memcmp(again.to_fpr, own_fpr, SOTTO_FPR_LEN) != 0 ||
	    memcmp(again.to_nonce, own_nonce, SOTTO_JOIN_NONCE) != 0)
		want = SOTTO_V_NOTFORME;
	else if ((want = fz_fresh(k.ts_ms, now, min_ts)) == 0)
		want = SOTTO_V_DECRYPT;  /* no RSA key, or fuzzed wrapped bytes */
	/* Fuzzed bytes that are a valid wrap (a seed's) may unwrap. */
	if (r == 0 && want == SOTTO_V_DECRYPT && with != NULL)
		sotto_group_free(g);
	else
		REQUIRE(r == want);
	REQUIRE(sotto_key_verify(&again, FZ_ROOM, FZ_ROOM_LEN, body, len) == 0);
	marks_read_back(&again);
	/* Signed under another room, the same bytes are a bad signature. */
	REQUIRE(sotto_key_verify(&again, (const uint8_t *)"lobbz", 5, body,
	    len) == SOTTO_V_BADSIG);
}

/* Model of the unwrap check: the plaintext is key || u32 epoch, the epoch
 * is the signed one and the key's id is the signed key id. */
static int
wrap_valid(const uint8_t *pt, size_t n, uint32_t epoch,
    const uint8_t key_id[static SOTTO_KEY_ID])
{
	uint8_t id[SOTTO_KEY_ID];

	if (n != SOTTO_WRAP_PLAIN || sotto_load_be32(pt + SOTTO_GROUP_KEY) != epoch)
		return 0;
	REQUIRE(sotto_key_id(pt, id) == 0);
	return memcmp(id, key_id, SOTTO_KEY_ID) == 0;
}

static void
key_wrapped(uint8_t epoch_choice, uint8_t n_marks, const uint8_t *pt,
    size_t n)
{
	struct sotto_group *got = NULL, *grp = NULL;
	struct sotto_mark marks[8];
	struct sotto_key_to to = { own_pub, own_nonce, rsa_n };
	struct sotto_wbuf out;
	struct sotto_key k;
	uint32_t epoch = 1u + (epoch_choice & 0x7f);
	size_t i;
	int r, valid;

	if (n > OAEP_MAX)
		n = OAEP_MAX;
	REQUIRE(sotto_group_from(&grp, fz.group->key, epoch) == 0);
	n_marks %= 8;
	for (i = 0; i < n_marks; i++) {
		memset(&marks[i], (int)i, sizeof(marks[i]));
		marks[i].next = i * 1000u + 1u;
	}
	sotto_wbuf_init(&out, 0);
	REQUIRE(sotto_key_build(&out, FZ_ROOM, FZ_ROOM_LEN, fz.id, grp, &to,
	    FZ_NOW_MS, marks, n_marks) == 0);
	REQUIRE(sotto_key_parse(out.p, out.len, &k) == 0);
	REQUIRE(k.n_marks == n_marks);
	valid = 1;
	/* libgcrypt cannot OAEP-wrap an empty message: keep the real wrap. */
	if (!(epoch_choice & 0x80) && n > 0) {
		REQUIRE(sotto_rsa_wrap(rsa_n, SOTTO_RSA_MOD, SOTTO_RSA_E, pt, n,
		    out.p + WRAPPED_OFF, SOTTO_RSA_MOD) == 0);
		fz_resign(SOTTO_LABEL_KEY, FZ_ROOM, FZ_ROOM_LEN, out.p, k.signed_len);
		valid = wrap_valid(pt, n, epoch, k.key_id);
	}
	r = accept(out.p, out.len, FZ_NOW_MS, 0, rsa, &k, &got);
	if (valid) {
		REQUIRE(r == 0);
		REQUIRE(got->epoch == epoch);
		REQUIRE(memcmp(got->key, fz.group->key, SOTTO_GROUP_KEY) == 0 ||
		    (!(epoch_choice & 0x80) && memcmp(got->key, pt,
		        SOTTO_GROUP_KEY) == 0));
		REQUIRE(sotto_crypto_is_secure(got));
		for (i = 0; i < n_marks; i++) {
			struct sotto_mark m;
			REQUIRE(sotto_key_mark(&k, i, &m) == 0);
			REQUIRE(m.next == marks[i].next);
		}
		sotto_group_free(got);
	} else {
		REQUIRE(r == SOTTO_V_DECRYPT);
	}
	sotto_group_free(grp);
	sotto_wbuf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body;

	if (size < 3)
		return 0;
	if (data[0] % 4 >= 2 && rsa_budget >= 0 && rsa_budget-- == 0) {
		rsa_budget = 0;
		return 0;
	}
	switch (data[0] % 4) {
	case 0:
		key_raw(data + 1, size - 1);
		break;
	case 1:
		body = fz_copy(data + 3, size - 3);
		key_resigned(data[1], data[2], body, size - 3, NULL);
		free(body);
		break;
	case 2:
		key_wrapped(data[1], data[2], data + 3, size - 3);
		break;
	case 3:
		body = fz_copy(data + 3, size - 3);
		key_resigned(data[1], data[2], body, size - 3, rsa);
		free(body);
		break;
	}
	return 0;
}

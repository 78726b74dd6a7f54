/* SPDX-License-Identifier: ISC */
/* proto_ctx.h: the fixed key context fuzz_ini, fuzz_key and fuzz_dat verify against.
 *
 * Fuzzing cannot forge an Ed25519 signature, so mutated bodies would all
 * stop at the signature check. Instead of a hook in the library (nothing
 * here changes a release build), the targets hold the signing key of the
 * one trusted identity: after mutating a body they may overwrite its
 * identity key with that one and re-sign it the way docs/protocol.md says
 * (label || [P] || every body byte before the signature), so the code
 * behind the signature check is reached with attacker-chosen fields.
 * A re-signed body that then fails to verify is a bug (in the harness's
 * reading of the protocol or in the verifier) and aborts.
 *
 * Included once per target (static state, static functions).
 */
#ifndef SOTTO_FUZZ_PROTO_CTX_H
#define SOTTO_FUZZ_PROTO_CTX_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "sshkey.h"
#include "trust.h"
#include "wire.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* A fixed "now" for inputs whose timestamps are not plausible clocks. */
#define FZ_NOW_MS   1700000000000ull
#define FZ_ROOM     ((const uint8_t *)"lobby")
#define FZ_ROOM_LEN 5u

struct fz_ctx {
	struct sotto_ed25519 *id;       /* the trusted identity, fixed seed */
	struct sotto_peer     peer;
	struct sotto_trust    trust;
	struct sotto_group   *group;    /* fixed group key, epoch 1 */
	struct sotto_wbuf     msg;      /* signature input scratch */
};

static struct fz_ctx fz;

static inline void
fz_init(void)
{
	uint8_t seed[SOTTO_ED25519_SEC], key[SOTTO_GROUP_KEY];

	REQUIRE(sotto_crypto_init() == 0);
	memset(seed, 0x5a, sizeof(seed));
	memset(key, 0xa5, sizeof(key));
	REQUIRE(sotto_ed25519_from_seed(&fz.id, seed) == 0);
	REQUIRE(sotto_group_from(&fz.group, key, 1) == 0);
	fz.peer.name = (char *)(uintptr_t)"fuzz";
	memcpy(fz.peer.pub, sotto_ed25519_pub(fz.id), SOTTO_ED25519_PUB);
	sotto_fingerprint(fz.peer.pub, fz.peer.fpr);
	sotto_fingerprint_str(fz.peer.pub, fz.peer.fpr_str);
	fz.trust.peers = &fz.peer;
	fz.trust.n = 1;
	sotto_wbuf_init(&fz.msg, 0);
}

/* Sign label || [u8 room_len || room] || body[0..signed_len) with the
 * trusted key into body[signed_len..+64). room NULL: INI, whose body
 * starts with its room prefix already. */
static inline void
fz_resign(const char *label, const uint8_t *room, size_t room_len,
    uint8_t *body, size_t signed_len)
{
	sotto_wbuf_reset(&fz.msg);
	REQUIRE(sotto_wbuf_put(&fz.msg, label, SOTTO_LABEL_LEN) == 0);
	if (room != NULL) {
		REQUIRE(sotto_wbuf_u8(&fz.msg, (uint8_t)room_len) == 0);
		REQUIRE(sotto_wbuf_put(&fz.msg, room, room_len) == 0);
	}
	REQUIRE(sotto_wbuf_put(&fz.msg, body, signed_len) == 0);
	REQUIRE(sotto_ed25519_sign(fz.id, fz.msg.p, fz.msg.len,
	    body + signed_len) == 0);
}

/* Copy of the input the target may rewrite (libFuzzer's is read-only). */
static inline uint8_t *
fz_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	REQUIRE(c != NULL);
	if (n)
		memcpy(c, p, n);
	return c;
}

/* A receiver's clock near the signed time: ts + delta * 10 s for delta in
 * -128..127, when ts is a plausible clock (2001..2096); FZ_NOW_MS if not. */
static inline uint64_t
fz_now(uint64_t ts_ms, uint8_t delta)
{
	int64_t d = (int64_t)(int8_t)delta * 10000;

	if (ts_ms < 1000000000000ull || ts_ms > 4000000000000ull)
		return FZ_NOW_MS;
	return (uint64_t)((int64_t)ts_ms + d);
}

/* Model of docs/protocol.md "Replay and staleness" for INI and KEY:
 * a timestamp is fresh within now +- SOTTO_INI_WINDOW_MS and not below
 * the receiver's floor. */
static inline int
fz_fresh(uint64_t ts, uint64_t now, uint64_t min_ts)
{
	if (ts > now + SOTTO_INI_WINDOW_MS || ts + SOTTO_INI_WINDOW_MS < now ||
	    ts < min_ts)
		return SOTTO_V_STALE;
	return 0;
}

/* Every receive-side result is 0, a verdict, or (never expected here)
 * a local failure; out-of-memory in secure memory would be a leak. */
static inline void
fz_verdict_ok(int r)
{
	REQUIRE(r == 0 || sotto_verdict_word(r) != NULL);
}

#endif

/* SPDX-License-Identifier: ISC */
/* fuzz_ini.c: INI bodies (parse, trust, signature, room, freshness), the relay's roster and LEFT bodies.
 *
 * Input: byte 0 picks what the rest is (byte 0 % 4):
 *   0  an INI body, taken as it comes (mostly stops at trust or signature);
 *   1  byte 1 = clock delta, byte 2 = min-ts choice, then an INI body that,
 *      once it parses, is given the trusted identity and re-signed, so the
 *      room and freshness checks run on fuzzed fields; the verdict must be
 *      the one docs/protocol.md prescribes (model below);
 *   2  a roster body (room prefix, u32 count, count ids): all ids readable;
 *   3  a LEFT body (u32 id).
 */
#include "proto_ctx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init();
	return 0;
}

static void
ini_raw(const uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_ini ini;
	int r;

	r = sotto_ini_accept(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust,
	    FZ_NOW_MS, 0, &ini, &peer);
	fz_verdict_ok(r);
	/* Only the trusted key passes trust, and it never signed this raw
	 * input unless it is a seed made with it. */
	if (r == 0 || r == SOTTO_V_BADSIG || r == SOTTO_V_NOTFORME ||
	    r == SOTTO_V_STALE)
		REQUIRE(peer == &fz.peer);
	if (r == SOTTO_V_MALFORMED || r == SOTTO_V_UNTRUSTED)
		REQUIRE(peer == NULL);
}

static void
ini_resigned(uint8_t delta, uint8_t min_choice, uint8_t *body, size_t len)
{
	const struct sotto_peer *peer;
	struct sotto_ini ini, again;
	uint64_t now, min_ts;
	size_t off;
	int r, want;

	if (sotto_ini_parse(body, len, &ini) != 0)
		return;
	off = (size_t)(ini.id_pub - body);
	REQUIRE(off + SOTTO_ED25519_PUB <= ini.signed_len);
	memcpy(body + off, fz.peer.pub, SOTTO_ED25519_PUB);
	fz_resign(SOTTO_LABEL_INI, NULL, 0, body, ini.signed_len);
	now = fz_now(ini.ts_ms, delta);
	/* min-ts: none, exactly ts, or just past it. */
	min_ts = min_choice % 3 == 0 ? 0 : ini.ts_ms + (min_choice % 3 == 2);
	if (min_ts < ini.ts_ms)       /* ts + 1 wrapped */
		min_ts = 0;
	r = sotto_ini_accept(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, now,
	    min_ts, &again, &peer);
	/* The model: room must be ours (not-for-me), then fresh (stale). */
	if (ini.room_len != FZ_ROOM_LEN ||
	    memcmp(ini.room, FZ_ROOM, FZ_ROOM_LEN) != 0)
		want = SOTTO_V_NOTFORME;
	else
		want = fz_fresh(ini.ts_ms, now, min_ts);
	REQUIRE(r == want);
	REQUIRE(peer == &fz.peer);
	REQUIRE(again.ts_ms == ini.ts_ms && again.epoch == ini.epoch &&
	    again.ask == ini.ask && again.flags == ini.flags);
	REQUIRE((again.flags & ~SOTTO_INI_FLAGS_KNOWN) == 0);
	REQUIRE((again.rsa_n[0] & 0x80) != 0);
	REQUIRE(sotto_ini_verify(&again, body, len) == 0);
	/* One flipped signed bit must break the signature. */
	body[len / 2 % ini.signed_len] ^= 0x01;
	r = sotto_ini_accept(body, len, FZ_ROOM, FZ_ROOM_LEN, &fz.trust, now,
	    min_ts, &again, &peer);
	REQUIRE(r == SOTTO_V_BADSIG || r == SOTTO_V_MALFORMED ||
	    r == SOTTO_V_UNTRUSTED);
}

static void
roster(const uint8_t *body, size_t len)
{
	struct sotto_roster ro;
	uint32_t i, id;

	if (sotto_roster_parse(body, len, &ro) != 0)
		return;
	REQUIRE(ro.room_len >= 1 && ro.room_len <= SOTTO_ROOM_MAX);
	for (i = 0; i < ro.count; i++)
		REQUIRE(sotto_rd_u32(&ro.ids, &id) == 0);
	REQUIRE(sotto_rd_left(&ro.ids) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body;
	uint32_t id;

	if (size < 3)
		return 0;
	switch (data[0] % 4) {
	case 0:
		ini_raw(data + 1, size - 1);
		break;
	case 1:
		body = fz_copy(data + 3, size - 3);
		ini_resigned(data[1], data[2], body, size - 3);
		free(body);
		break;
	case 2:
		roster(data + 1, size - 1);
		break;
	case 3:
		if (sotto_left_parse(data + 1, size - 1, &id) == 0)
			REQUIRE(size - 1 == SOTTO_ID_LEN);
		break;
	}
	return 0;
}

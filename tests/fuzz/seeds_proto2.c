/* SPDX-License-Identifier: ISC */
/* seeds_proto2.c: writes the seed corpus of fuzz_proto2 from real v2 bodies.
 *
 * usage: fuzz_seeds_proto2 CORPUS_DIR     (writes CORPUS_DIR/proto2/seed_*)
 *
 * Bodies come from libsotto's own v2 builders with the fixed context of
 * proto_ctx.h, each prefixed with the mode byte and parameters
 * fuzz_proto2.c reads. Run by hand after a layout change; the output is
 * committed.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "pad.h"
#include "proto_ctx.h"
#include "proto2.h"
#include "ratchet.h"

static const char *top;
static struct sotto_ed25519 *other;     /* untrusted */
static uint8_t rsa_n[SOTTO_RSA_MOD];
static uint8_t own_pub[32], own_nonce[32];

static void
put(const char *name, const void *pre, size_t pre_len, const void *body, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proto2", top);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		abort();
	snprintf(path, sizeof(path), "%s/proto2/seed_%s", top, name);
	REQUIRE((f = fopen(path, "wb")) != NULL);
	REQUIRE(fwrite(pre, 1, pre_len, f) == pre_len);
	REQUIRE(len == 0 || fwrite(body, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
}

static void
ini_seeds(void)
{
	uint8_t nonce[32], kid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct sotto_ini2 f;
	struct sotto_wbuf b;

	memset(nonce, 0x11, sizeof(nonce));
	memset(&f, 0, sizeof(f));
	f.room = FZ_ROOM;
	f.room_len = FZ_ROOM_LEN;
	f.nonce = nonce;
	f.ts_ms = FZ_NOW_MS;
	f.rsa_n = rsa_n;
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_ini2_build(&b, &f, fz.id) == 0);
	put("ini_raw_join", "\x00", 1, b.p, b.len);
	put("ini_resigned_join", "\x01\x00", 2, b.p, b.len);
	put("ini_resigned_late", "\x01\x1f", 2, b.p, b.len);
	sotto_wbuf_reset(&b);
	f.flags = SOTTO_INI2_REPLY;
	f.to_nonce = own_nonce;
	f.epoch = 3;
	f.key_id = kid;
	f.gen = 9;
	REQUIRE(sotto_ini2_build(&b, &f, fz.id) == 0);
	put("ini_raw_reply", "\x00", 1, b.p, b.len);
	put("ini_resigned_reply", "\x01\x00", 2, b.p, b.len);
	sotto_wbuf_reset(&b);
	f.flags = SOTTO_INI2_ACK | SOTTO_INI2_LEAVE;
	REQUIRE(sotto_ini2_build(&b, &f, fz.id) == 0);
	put("ini_raw_ack_leave", "\x00", 1, b.p, b.len);
	b.p[1 + FZ_ROOM_LEN + 1] = 0x40;               /* a newer flag */
	put("ini_raw_newer_flag", "\x00", 1, b.p, b.len);
	b.p[1 + FZ_ROOM_LEN] = 3;                      /* a newer version */
	put("ini_raw_newer_version", "\x00", 1, b.p, b.len);
	sotto_wbuf_reset(&b);
	REQUIRE(sotto_ini2_build(&b, &f, other) == 0);
	put("ini_raw_untrusted", "\x00", 1, b.p, b.len);
	sotto_wbuf_free(&b);
}

static void
key_seeds(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *ch = NULL;
	const struct sotto_chain *chains[1];
	struct sotto_key_to to = { own_pub, own_nonce, rsa_n };
	struct sotto_mark mk;
	struct sotto_key2_src src;
	struct sotto_wbuf b, pt;
	uint8_t kid[8] = { 9 }, prev[8] = { 8 }, removed[2][32];
	uint16_t i;

	REQUIRE(sotto_genkey_new(&gk, fz.group->key, 5, 0) == 0);
	REQUIRE(sotto_genkey_advance(gk, 2) == 0);
	REQUIRE(sotto_chain_start(&ch, gk, fz.peer.pub, own_nonce) == 0);
	REQUIRE(sotto_genkey_advance(gk, 3) == 0);
	memset(&mk, 0x61, sizeof(mk));
	mk.next = 12;
	chains[0] = ch;
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_HANDOVER;
	src.gk = gk;
	src.key_id = kid;
	src.origin.reason = SOTTO_REASON_LEFT;
	src.origin.prev_epoch = 4;
	src.origin.prev_key_id = prev;
	src.chains = chains;
	src.n_chains = 1;
	src.marks = &mk;
	src.n_marks = 1;
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_key2_build(&b, FZ_ROOM, FZ_ROOM_LEN, fz.id, &src, &to,
	    FZ_NOW_MS) == 0);
	put("key_raw_handover", "\x02", 1, b.p, b.len);
	sotto_wbuf_reset(&b);
	sotto_genkey_free(gk);
	REQUIRE(sotto_genkey_new(&gk, fz.group->key, 5, 0) == 0);
	memset(removed, 0x5e, sizeof(removed));
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_ROTATION;
	src.gk = gk;
	src.key_id = kid;
	src.origin.reason = SOTTO_REASON_REMOVED;
	src.origin.prev_epoch = 4;
	src.origin.prev_key_id = prev;
	src.removed = (const uint8_t (*)[32])removed;
	src.n_removed = 2;
	REQUIRE(sotto_key2_build(&b, FZ_ROOM, FZ_ROOM_LEN, fz.id, &src, &to,
	    FZ_NOW_MS) == 0);
	put("key_raw_rotation", "\x02", 1, b.p, b.len);
	sotto_wbuf_free(&b);
	/* Sealed plaintexts for mode 3: E || u16 n || entries. */
	sotto_wbuf_init(&pt, 0);
	sotto_wbuf_put(&pt, fz.group->key, 32);
	sotto_wbuf_u16(&pt, 2);
	for (i = 0; i < 2; i++) {
		sotto_wbuf_put(&pt, fz.peer.pub, 32);
		sotto_wbuf_put(&pt, own_nonce, 32);
		sotto_wbuf_u32(&pt, i);                  /* gens 0, 1 < 3 */
		sotto_wbuf_u32(&pt, 40u + i);
		sotto_wbuf_put(&pt, fz.group->key, 32);
	}
	put("key_sealed_handover2", "\x03\x00", 2, pt.p, pt.len);
	pt.p[34 + 64 + 3] = 3;                           /* gen not below 3 */
	put("key_sealed_handover_future_gen", "\x03\x00", 2, pt.p, pt.len);
	sotto_wbuf_reset(&pt);
	sotto_wbuf_put(&pt, fz.group->key, 32);
	sotto_wbuf_u16(&pt, 2);
	sotto_wbuf_put(&pt, removed, sizeof(removed));
	put("key_sealed_rotation2", "\x03\x01", 2, pt.p, pt.len);
	pt.p[33] = 3;                                    /* count says 3 */
	put("key_sealed_rotation_badcount", "\x03\x01", 2, pt.p, pt.len);
	sotto_wbuf_free(&pt);
	sotto_chain_free(ch);
	sotto_genkey_free(gk);
}

static void
dat_seeds(void)
{
	struct sotto_genkey *gk = NULL;
	struct sotto_chain *ch = NULL;
	struct sotto_dat2_tx *tx = NULL;
	const uint8_t *body;
	uint8_t e[32];
	size_t len;

	/* fuzz_proto2's fixed room key (0x66 * 32, epoch 1), so mode 4 opens
	 * this one for real. */
	memset(e, 0x66, sizeof(e));
	REQUIRE(sotto_genkey_new(&gk, e, 1, 0) == 0);
	REQUIRE(sotto_chain_start(&ch, gk, fz.peer.pub, own_nonce) == 0);
	REQUIRE(sotto_dat2_tx_new(&tx, FZ_ROOM, FZ_ROOM_LEN, fz.id, own_nonce, 1) == 0);
	REQUIRE(sotto_dat2_seal(tx, ch, FZ_NOW_MS, SOTTO_CT_TEXT, "hello", 5, &body,
	    &len) == 0);
	put("dat_real_hello", "\x04", 1, body, len);
	REQUIRE(sotto_dat2_seal(tx, ch, FZ_NOW_MS, 9, "file?", 5, &body, &len) == 0);
	put("dat_real_ctype9", "\x04", 1, body, len);
	sotto_dat2_tx_free(tx);
	put("dat_rt_hello", "\x05\x00\x01", 3, "hello", 5);
	put("dat_rt_skip", "\x05\xff\x01", 3, "h\xc3\xa9llo", 6);
	put("dat_rt_empty", "\x05\x02\x07", 3, "", 0);
	sotto_chain_free(ch);
	sotto_genkey_free(gk);
}

int
main(int argc, char **argv)
{
	struct sotto_rsa *rsa = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	top = argv[1];
	fz_init();
	memset(own_pub, 0x33, sizeof(own_pub));
	memset(own_nonce, 0x44, sizeof(own_nonce));
	REQUIRE(sotto_ed25519_generate(&other) == 0);
	REQUIRE(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS) == 0);
	REQUIRE(sotto_rsa_modulus(rsa, rsa_n, sizeof(rsa_n)) == 0);
	ini_seeds();
	key_seeds();
	dat_seeds();
	sotto_rsa_free(rsa);
	return 0;
}

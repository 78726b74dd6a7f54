/* SPDX-License-Identifier: ISC */
/* seeds_proto.c: writes the seed corpora of fuzz_ini, fuzz_key and fuzz_dat from real bodies.
 *
 * usage: fuzz_seeds_proto CORPUS_DIR      (writes CORPUS_DIR/{ini,key,dat}/seed_*)
 *
 * Every body is made by libsotto's own builders (sotto_ini_build,
 * sotto_key_build, sotto_dat_seal) with the fixed context of proto_ctx.h,
 * so a raw seed passes trust and signature and reaches the deepest code;
 * each is prefixed with the mode byte and parameters its target reads
 * (see the comment at the top of each fuzz_<name>.c). Timestamps are
 * FZ_NOW_MS. Run by hand after a layout change; the output is committed.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "pad.h"
#include "proto_ctx.h"

static const char *top;
static struct sotto_ed25519 *other;     /* untrusted */
static struct sotto_rsa *rsa;
static uint8_t rsa_n[SOTTO_RSA_MOD];

static void
put(const char *dir, const char *name, const void *pre, size_t pre_len,
    const void *body, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		abort();
	snprintf(path, sizeof(path), "%s/%s/seed_%s", top, dir, name);
	REQUIRE((f = fopen(path, "wb")) != NULL);
	REQUIRE(fwrite(pre, 1, pre_len, f) == pre_len);
	REQUIRE(len == 0 || fwrite(body, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
}

static void
ini_seeds(void)
{
	static const uint8_t other_room[] = "other";
	uint8_t nonce[SOTTO_JOIN_NONCE];
	struct sotto_ini f;
	struct sotto_wbuf b;
	uint32_t ids[3] = { 1, 2, 0xfffffffeu };

	memset(nonce, 0x11, sizeof(nonce));
	memset(&f, 0, sizeof(f));
	f.room = FZ_ROOM;
	f.room_len = FZ_ROOM_LEN;
	f.nonce = nonce;
	f.ts_ms = FZ_NOW_MS;
	f.rsa_n = rsa_n;
	sotto_wbuf_init(&b, 0);

	REQUIRE(sotto_ini_build(&b, &f, fz.id) == 0);       /* first INI */
	put("ini", "raw_first", "\x00", 1, b.p, b.len);
	put("ini", "resigned_first", "\x01\x00\x00", 3, b.p, b.len);
	put("ini", "resigned_late", "\x01\x1f\x02", 3, b.p, b.len);
	put("ini", "resigned_early", "\x01\xe1\x01", 3, b.p, b.len);
	sotto_wbuf_reset(&b);
	f.flags = SOTTO_INI_REPLY;
	f.epoch = 1;
	f.key_id = fz.group->key_id;
	REQUIRE(sotto_ini_build(&b, &f, fz.id) == 0);       /* a member's reply */
	put("ini", "raw_reply", "\x00", 1, b.p, b.len);
	put("ini", "resigned_reply", "\x01\x00\x00", 3, b.p, b.len);
	sotto_wbuf_reset(&b);
	f.flags = 0;
	f.ask = 7;
	REQUIRE(sotto_ini_build(&b, &f, fz.id) == 0);       /* asks member 7 */
	put("ini", "raw_ask", "\x00", 1, b.p, b.len);
	sotto_wbuf_reset(&b);
	REQUIRE(sotto_ini_build(&b, &f, other) == 0);       /* untrusted */
	put("ini", "raw_untrusted", "\x00", 1, b.p, b.len);
	sotto_wbuf_reset(&b);
	f.room = other_room;
	REQUIRE(sotto_ini_build(&b, &f, fz.id) == 0);       /* another room */
	put("ini", "raw_other_room", "\x00", 1, b.p, b.len);
	put("ini", "resigned_other_room", "\x01\x00\x00", 3, b.p, b.len);
	sotto_wbuf_reset(&b);
	REQUIRE(sotto_roster_build(&b, FZ_ROOM, FZ_ROOM_LEN, ids, 3) == 0);
	put("ini", "roster_3", "\x02", 1, b.p, b.len);
	sotto_wbuf_reset(&b);
	REQUIRE(sotto_roster_build(&b, FZ_ROOM, FZ_ROOM_LEN, ids, 0) == 0);
	put("ini", "roster_0", "\x02", 1, b.p, b.len);
	put("ini", "left", "\x03", 1, "\x00\x00\x00\x05", 4);
	sotto_wbuf_free(&b);
}

static void
key_seeds(void)
{
	uint8_t to_pub[SOTTO_ED25519_PUB], to_nonce[SOTTO_JOIN_NONCE];
	uint8_t plain[SOTTO_WRAP_PLAIN];
	struct sotto_key_to to = { to_pub, to_nonce, rsa_n };
	struct sotto_mark marks[3];
	struct sotto_wbuf b;
	size_t i;

	/* The recipient fuzz_key plays: fixed fingerprint and nonce. */
	memset(to_pub, 0x33, sizeof(to_pub));
	memset(to_nonce, 0x44, sizeof(to_nonce));
	for (i = 0; i < 3; i++) {
		memset(&marks[i], 0x60 + (int)i, sizeof(marks[i]));
		marks[i].next = 10u * (i + 1);
	}
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_key_build(&b, FZ_ROOM, FZ_ROOM_LEN, fz.id, fz.group, &to,
	    FZ_NOW_MS, NULL, 0) == 0);
	put("key", "raw_nomarks", "\x00", 1, b.p, b.len);
	put("key", "resigned_nomarks", "\x01\x00\x00", 3, b.p, b.len);
	put("key", "resigned_kept_to", "\x01\x00\x03", 3, b.p, b.len);
	put("key", "resigned_stale", "\x01\x7f\x08", 3, b.p, b.len);
	put("key", "resigned_early", "\x01\xe2\x04", 3, b.p, b.len);
	put("key", "resigned_min_ts", "\x01\x00\x04", 3, b.p, b.len);
	put("key", "resigned_kept_fpr", "\x01\x00\x01", 3, b.p, b.len);
	put("key", "resigned_kept_nonce", "\x01\x00\x02", 3, b.p, b.len);
	put("key", "rsa_nomarks", "\x03\x00\x00", 3, b.p, b.len);
	sotto_wbuf_reset(&b);
	for (i = 1; i <= 3; i++) {
		char name[32];
		REQUIRE(sotto_key_build(&b, FZ_ROOM, FZ_ROOM_LEN, fz.id, fz.group,
		    &to, FZ_NOW_MS, marks, i) == 0);
		snprintf(name, sizeof(name), "raw_marks%zu", i);
		put("key", name, "\x00", 1, b.p, b.len);
		snprintf(name, sizeof(name), "resigned_marks%zu", i);
		put("key", name, "\x01\x00\x00", 3, b.p, b.len);
		sotto_wbuf_reset(&b);
	}
	REQUIRE(sotto_key_build(&b, FZ_ROOM, FZ_ROOM_LEN, other, fz.group, &to,
	    FZ_NOW_MS, marks, 1) == 0);
	put("key", "raw_untrusted", "\x00", 1, b.p, b.len);
	sotto_wbuf_free(&b);
	/* Mode 2: one wrap plaintext (each input costs an RSA-4096 private
	 * operation, so one seed; mutations make the wrong epoch, short and
	 * other-key variants). */
	memcpy(plain, fz.group->key, SOTTO_GROUP_KEY);
	sotto_store_be32(plain + SOTTO_GROUP_KEY, 1);
	put("key", "wrap_valid", "\x02\x00\x02", 3, plain, sizeof(plain));
}

static void
dat_seeds(void)
{
	static const char *texts[] = {
		"hello", "", "gr\xc3\xbc\xc3\x9f dich \xe2\x9c\x93",
		"\x1b[31mred\x1b[0m \xe2\x80\xae bidi",
	};
	static const char *names[] = { "hello", "empty", "utf8", "escapes" };
	struct sotto_dat_tx *tx;
	uint8_t session[SOTTO_JOIN_NONCE], big[4096];
	const uint8_t *body;
	struct sotto_wbuf pt;
	size_t len, i;
	char name[64];

	memset(session, 0x22, sizeof(session));
	memset(big, 'x', sizeof(big));
	REQUIRE(sotto_dat_tx_new(&tx, FZ_ROOM, FZ_ROOM_LEN, fz.id, fz.group,
	    session, 1) == 0);
	for (i = 0; i < 4; i++) {
		REQUIRE(sotto_dat_seal(tx, FZ_NOW_MS, SOTTO_CT_TEXT, texts[i],
		    strlen(texts[i]), &body, &len) == 0);
		snprintf(name, sizeof(name), "raw_%s", names[i]);
		put("dat", name, "\x00", 1, body, len);
		snprintf(name, sizeof(name), "resigned_%s", names[i]);
		put("dat", name, "\x01\x00\x00\x00\x00", 5, body, len);
	}
	REQUIRE(sotto_dat_seal(tx, FZ_NOW_MS, SOTTO_CT_TEXT, big, sizeof(big),
	    &body, &len) == 0);
	put("dat", "raw_4k", "\x00", 1, body, len);
	put("dat", "resigned_replay", "\x01\xff\x00\x00\x00", 5, body, len);
	put("dat", "resigned_floor", "\x01\x00\xff\x00\x00", 5, body, len);
	put("dat", "resigned_newer_epoch", "\x01\x00\x00\x00\x01", 5, body, len);
	sotto_dat_tx_free(tx);
	REQUIRE(sotto_dat_tx_new(&tx, FZ_ROOM, FZ_ROOM_LEN, other, fz.group,
	    session, 1) == 0);
	REQUIRE(sotto_dat_seal(tx, FZ_NOW_MS, SOTTO_CT_TEXT, "x", 1, &body,
	    &len) == 0);
	put("dat", "raw_untrusted", "\x00", 1, body, len);
	sotto_dat_tx_free(tx);
	/* Mode 2: counter, ts delta, highest, floor, min-ts, xor, offset
	 * (2), epochs; then the text. */
	put("dat", "sealed_plain", "\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10,
	    "sealed text", 11);
	put("dat", "sealed_xor_ct", "\x02\x04\x00\x00\x00\x00\x01\x00\x40\x00", 10,
	    "sealed text", 11);
	put("dat", "sealed_xor_ts", "\x02\x04\x00\x00\x00\x00\x80\x00\x2e\x00", 10,
	    "sealed text", 11);
	put("dat", "sealed_replay", "\x02\x04\x00\x05\x00\x00\x00\x00\x00\x00", 10,
	    "x", 1);
	put("dat", "sealed_watermark", "\x02\x04\x00\x00\x09\x00\x00\x00\x00\x00",
	    10, "x", 1);
	put("dat", "sealed_before_join", "\x02\x04\xf0\x00\x00\x02\x00\x00\x00\x00",
	    10, "x", 1);
	put("dat", "sealed_epochs", "\x02\x04\x00\x00\x00\x00\x00\x00\x00\x02", 10,
	    "x", 1);
	/* Mode 3: padded plaintexts. */
	sotto_wbuf_init_secure(&pt, 0);
	REQUIRE(sotto_pad(&pt, SOTTO_CT_TEXT, "padded", 6) == 0);
	put("dat", "unpad_real", "\x03", 1, pt.p, pt.len);
	sotto_wbuf_free(&pt);
	put("dat", "unpad_type0", "\x03", 1, "\x00\x00\x00\x00\x01" "a", 6);
	put("dat", "unpad_long_len", "\x03", 1, "\x01\xff\xff\xff\xff" "a", 6);
	/* Mode 4: any plaintext, really encrypted by a trusted sender. */
	put("dat", "anypt_padded", "\x04\x00", 2, "\x01\x00\x00\x00\x02hi!!", 9);
	put("dat", "anypt_type0", "\x04\x01", 2, "\x00\x00\x00\x00\x02hi", 7);
	put("dat", "anypt_too_long", "\x04\x02", 2, "\x01\x00\x00\x01\x00hi", 7);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	top = argv[1];
	fz_init();
	REQUIRE(sotto_ed25519_generate(&other) == 0);
	REQUIRE(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS) == 0);
	REQUIRE(sotto_rsa_modulus(rsa, rsa_n, sizeof(rsa_n)) == 0);
	ini_seeds();
	key_seeds();
	dat_seeds();
	return 0;
}

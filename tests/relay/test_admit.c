/* SPDX-License-Identifier: ISC */
/* test_admit.c: --trusted admission (relay/admit.c) takes v1 and v2 member INIs alike: trusted, signed, fresh and never admitted before; anything else is refused with its one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"

#define NOW  1700000000000ull

static const uint8_t ROOM[] = "lobby";
#define ROOM_LEN 5u

static char dir[] = "/tmp/sotto-admit-test.XXXXXX";
static uint8_t rsa_n[SOTTO_RSA_MOD];

static void
write_pub(const char *name, const struct sotto_ed25519 *k)
{
	struct sotto_wbuf b;
	char path[256];
	FILE *f;

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_sshpub_format(&b, sotto_ed25519_pub(k), name), 0);
	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	CHECK((f = fopen(path, "w")) != NULL);
	if (f != NULL) {
		CHECK_EQ(fwrite(b.p, 1, b.len, f), b.len);
		fclose(f);
		chmod(path, 0644);
	}
	sotto_wbuf_free(&b);
}

static void
ini1(struct sotto_wbuf *b, const struct sotto_ed25519 *k, uint64_t ts)
{
	struct sotto_ini f;
	uint8_t nonce[SOTTO_JOIN_NONCE];

	memset(&f, 0, sizeof(f));
	sotto_random_nonce(nonce, sizeof(nonce));
	f.room = ROOM;
	f.room_len = ROOM_LEN;
	f.nonce = nonce;
	f.ts_ms = ts;
	f.rsa_n = rsa_n;
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_ini_build(b, &f, k), 0);
}

static void
ini2(struct sotto_wbuf *b, const struct sotto_ed25519 *k, uint64_t ts)
{
	struct sotto_ini2 f;
	uint8_t nonce[SOTTO_JOIN_NONCE];

	memset(&f, 0, sizeof(f));
	sotto_random_nonce(nonce, sizeof(nonce));
	f.room = ROOM;
	f.room_len = ROOM_LEN;
	f.nonce = nonce;
	f.ts_ms = ts;
	f.rsa_n = rsa_n;
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_ini2_build(b, &f, k), 0);
}

static int
admit(struct admit *a, const struct sotto_wbuf *b, char *why, size_t why_len)
{
	why[0] = '\0';
	return admit_check(a, b->p, b->len, NOW, why, why_len);
}

int
main(void)
{
	struct sotto_ed25519 *alice = NULL, *bob = NULL, *eve = NULL;
	struct sotto_wbuf b, keep;
	struct admit *a = NULL;
	char why[256], err[256], fpr[SOTTO_FPR_STR_LEN];
	size_t v2pos = 1 + ROOM_LEN;

	CHECK_EQ(sotto_crypto_init(), 0);
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(sotto_ed25519_generate(&alice), 0);
	CHECK_EQ(sotto_ed25519_generate(&bob), 0);
	CHECK_EQ(sotto_ed25519_generate(&eve), 0);
	if (alice == NULL || bob == NULL || eve == NULL)
		return check_summary();
	memset(rsa_n, 0xa5, sizeof(rsa_n));
	rsa_n[0] |= 0x80;
	rsa_n[SOTTO_RSA_MOD - 1] |= 1;
	write_pub("alice", alice);
	write_pub("bob", bob);
	CHECK_EQ(admit_new(&a, dir, 16, err, sizeof(err)), 0);
	if (a == NULL)
		return check_summary();
	CHECK_EQ(admit_keys(a), 2);
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&keep, 0);

	/* v1 and v2 INIs of trusted keys admit their senders. */
	ini1(&b, alice, NOW);
	CHECK_EQ(admit(a, &b, why, sizeof(why)), 0);
	ini2(&b, bob, NOW + 1000);
	CHECK_EQ(b.p[v2pos], SOTTO_BODY_V2);
	CHECK_EQ(admit(a, &b, why, sizeof(why)), 0);
	/* The same v2 INI again (replayed on another connection). */
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "replayed INI") != NULL);
	/* v2: a key not in the folder, named by its fingerprint. */
	ini2(&b, eve, NOW);
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	sotto_fingerprint_str(sotto_ed25519_pub(eve), fpr);
	CHECK(strstr(why, fpr) != NULL && strstr(why, "not in --trusted") != NULL);
	/* v2: a broken signature, refused without remembering the nonce
	 * (the genuine INI still admits). */
	ini2(&b, alice, NOW);
	sotto_wbuf_reset(&keep);
	CHECK_EQ(sotto_wbuf_put(&keep, b.p, b.len), 0);
	b.p[b.len - 1] ^= 1;
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "bad signature") != NULL);
	CHECK_EQ(admit(a, &keep, why, sizeof(why)), 0);
	/* v2: signed outside the window. */
	ini2(&b, alice, NOW - SOTTO_INI_WINDOW_MS - 1000);
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "stale") != NULL);
	/* v2: a newer version (its signature cannot be checked). */
	ini2(&b, alice, NOW);
	b.p[v2pos] = 3;
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "newer protocol version") != NULL);
	/* v2: truncated. */
	ini2(&b, alice, NOW);
	CHECK_EQ(admit_check(a, b.p, b.len - 1, NOW, why, sizeof(why)), -1);
	CHECK(strstr(why, "not a well-formed member INI") != NULL);
	/* v1 still refuses what it refused. */
	ini1(&b, eve, NOW);
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "not in --trusted") != NULL);
	ini1(&b, bob, NOW);
	b.p[b.len - 1] ^= 1;
	CHECK_EQ(admit(a, &b, why, sizeof(why)), -1);
	CHECK(strstr(why, "bad signature") != NULL);

	admit_free(a);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&keep);
	sotto_ed25519_free(alice);
	sotto_ed25519_free(bob);
	sotto_ed25519_free(eve);
	snprintf(err, sizeof(err), "%s/alice.pub", dir);
	unlink(err);
	snprintf(err, sizeof(err), "%s/bob.pub", dir);
	unlink(err);
	rmdir(dir);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* ratchetbench.c: sotto-ratchetbench: messages per second a receiver accepts with the v2 chain ratchet versus v1's cached subkey, and the crypto cost of one rotation (ROTATION KEYs built by the rotator, one accepted by a receiver).
 *
 * usage: sotto-ratchetbench [-n MESSAGES] [-r REPS] [-m MEMBERS] [-s SIZE]
 *
 * Accept = everything a receiver does per DAT after reading the frame:
 * parse, replay check, Ed25519 verify, key (v1: the session's cached AES
 * key; v2: one chain step, two HMACs and a rekey), AES-GCM open, unpad.
 * v1 and v2 batches alternate and each figure is the median of REPS
 * batches, so a machine whose load changes during the run hurts both
 * alike. Prints one line per figure; nothing is written anywhere.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "proto.h"
#include "proto2.h"
#include "ratchet.h"
#include "sshkey.h"
#include "trust.h"

#define REPS_MAX 64

static const uint8_t ROOM[] = "bench";
#define ROOM_LEN 5u

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void __attribute__((noreturn))
die(const char *what, int r)
{
	fprintf(stderr, "sotto-ratchetbench: %s: %s\n", what, sotto_strerror(r));
	exit(1);
}

struct frames {
	uint8_t **body;
	size_t   *len;
	unsigned  n;
};

static void
frames_alloc(struct frames *f, unsigned n)
{
	f->body = calloc(n, sizeof(*f->body));
	f->len = calloc(n, sizeof(*f->len));
	f->n = n;
	if (f->body == NULL || f->len == NULL)
		die("frames", SOTTO_E_ALLOC);
}

static void
frames_keep(struct frames *f, unsigned i, const uint8_t *b, size_t n)
{
	if ((f->body[i] = malloc(n)) == NULL)
		die("frames", SOTTO_E_ALLOC);
	memcpy(f->body[i], b, n);
	f->len[i] = n;
}

static void
frames_free(struct frames *f)
{
	unsigned i;

	for (i = 0; i < f->n; i++)
		free(f->body[i]);
	free(f->body);
	free(f->len);
}

/* --- v1 ------------------------------------------------------------------ */

static void
v1_make(struct frames *f, const struct sotto_ed25519 *id,
    const struct sotto_group *g, const uint8_t *sess, const char *text, size_t n)
{
	struct sotto_dat_tx *tx;
	const uint8_t *b;
	size_t len;
	unsigned i;
	int r;

	if ((r = sotto_dat_tx_new(&tx, ROOM, ROOM_LEN, id, g, sess, 1)) != 0)
		die("v1 tx", r);
	for (i = 0; i < f->n; i++) {
		if ((r = sotto_dat_seal(tx, 1700000000000ull, SOTTO_CT_TEXT, text, n,
		    &b, &len)) != 0)
			die("v1 seal", r);
		frames_keep(f, i, b, len);
	}
	sotto_dat_tx_free(tx);
}

static double
v1_accept(const struct frames *f, const struct sotto_group *g,
    const uint8_t *pub, const uint8_t *sess)
{
	struct sotto_dat_peer p;
	struct sotto_dat_rx *rx;
	struct sotto_dat d;
	const uint8_t *text;
	size_t tn;
	uint8_t ct;
	unsigned i;
	double t0;
	int r;

	memset(&p, 0, sizeof(p));
	p.epoch = g->epoch;
	if ((r = sotto_dat_subkey(&p.aead, g, pub, sess)) != 0 ||
	    (r = sotto_dat_rx_new(&rx, ROOM, ROOM_LEN)) != 0)
		die("v1 rx", r);
	t0 = now_s();
	for (i = 0; i < f->n; i++) {
		if ((r = sotto_dat_parse(f->body[i], f->len[i], &d)) != 0 ||
		    (r = sotto_dat_check(&d, &p)) != 0 ||
		    (r = sotto_dat_verify(rx, &d, f->body[i], f->len[i])) != 0 ||
		    (r = sotto_dat_open(rx, &d, f->body[i], f->len[i], &p, &ct,
		    &text, &tn)) != 0)
			die("v1 accept", r);
	}
	t0 = now_s() - t0;
	sotto_dat_rx_free(rx);
	sotto_aead_free(p.aead);
	return f->n / t0;
}

/* --- v2 ------------------------------------------------------------------ */

static void
v2_make(struct frames *f, const struct sotto_ed25519 *id,
    const struct sotto_genkey *gk, const uint8_t *sess, const char *text, size_t n)
{
	struct sotto_dat2_tx *tx;
	struct sotto_chain *ch;
	const uint8_t *b;
	size_t len;
	unsigned i;
	int r;

	if ((r = sotto_dat2_tx_new(&tx, ROOM, ROOM_LEN, id, sess, 1)) != 0 ||
	    (r = sotto_chain_start(&ch, gk, sotto_ed25519_pub(id), sess)) != 0)
		die("v2 tx", r);
	for (i = 0; i < f->n; i++) {
		if ((r = sotto_dat2_seal(tx, ch, 1700000000000ull, SOTTO_CT_TEXT,
		    text, n, &b, &len)) != 0)
			die("v2 seal", r);
		frames_keep(f, i, b, len);
	}
	sotto_chain_free(ch);
	sotto_dat2_tx_free(tx);
}

static double
v2_accept(const struct frames *f, const struct sotto_genkey *gk,
    const uint8_t *pub, const uint8_t *sess)
{
	struct sotto_replay rp = { 0, 0, 0 };
	struct sotto_dat2_rx *rx;
	struct sotto_chain *ch;
	struct sotto_dat2 d;
	const uint8_t *text;
	size_t tn;
	uint8_t ct;
	unsigned i;
	double t0;
	int r;

	if ((r = sotto_chain_start(&ch, gk, pub, sess)) != 0 ||
	    (r = sotto_dat2_rx_new(&rx, ROOM, ROOM_LEN)) != 0)
		die("v2 rx", r);
	t0 = now_s();
	for (i = 0; i < f->n; i++) {
		if ((r = sotto_dat2_parse(f->body[i], f->len[i], &d)) != 0 ||
		    (r = sotto_dat2_check(&d, &rp)) != 0 ||
		    (r = sotto_dat2_verify(rx, &d, f->body[i], f->len[i])) != 0 ||
		    (r = sotto_dat2_open(rx, &d, f->body[i], f->len[i], ch, &rp, &ct,
		    &text, &tn)) != 0)
			die("v2 accept", r);
	}
	t0 = now_s() - t0;
	sotto_dat2_rx_free(rx);
	sotto_chain_free(ch);
	return f->n / t0;
}

/* --- rotation -------------------------------------------------------------- */

/* The rotator's side: members-1 ROTATION KEYs to distinct session keys
 * (one RSA-4096 key reused: a public-key wrap costs the same for any
 * modulus), then one receiver's accept (its RSA private unwrap). */
static void
rotation(unsigned members, const struct sotto_ed25519 *id,
    const struct sotto_ed25519 *peer_id, struct sotto_trust *trust)
{
	struct sotto_rsa *rsa = NULL;
	struct sotto_genkey *gk = NULL;
	struct sotto_key2_src src;
	struct sotto_key2_secret s;
	struct sotto_key2 k;
	const struct sotto_peer *peer;
	struct sotto_wbuf b;
	uint8_t n[SOTTO_RSA_MOD], nonce[32], fpr[32], d[32], kid[8] = { 1 }, prev[8] = { 2 };
	struct sotto_key_to to = { sotto_ed25519_pub(peer_id), nonce, n };
	double t0, build, accept;
	unsigned i;
	int r;

	if ((r = sotto_rsa_generate(&rsa, SOTTO_RSA_BITS)) != 0 ||
	    (r = sotto_rsa_modulus(rsa, n, sizeof(n))) != 0 ||
	    (r = sotto_genkey_generate(&gk, 2)) != 0)
		die("rotation setup", r);
	memset(nonce, 0x42, sizeof(nonce));
	sotto_fingerprint(sotto_ed25519_pub(peer_id), fpr);
	memset(&src, 0, sizeof(src));
	src.kind = SOTTO_KEY2_ROTATION;
	src.gk = gk;
	src.key_id = kid;
	src.origin.reason = SOTTO_REASON_LEFT;
	src.origin.prev_epoch = 1;
	src.origin.prev_key_id = prev;
	sotto_wbuf_init(&b, 0);
	t0 = now_s();
	for (i = 0; i + 1 < members; i++) {
		sotto_wbuf_reset(&b);
		if ((r = sotto_key2_build(&b, ROOM, ROOM_LEN, id, &src, &to,
		    1700000000000ull)) != 0)
			die("rotation build", r);
	}
	build = now_s() - t0;
	t0 = now_s();
	if ((r = sotto_key2_check(b.p, b.len, ROOM, ROOM_LEN, trust, fpr, nonce, &k,
	    &peer, d)) != 0 ||
	    (r = sotto_key2_finish(&k, b.p, b.len, ROOM, ROOM_LEN, rsa,
	    1700000000000ull, 0, &s)) != 0)
		die("rotation accept", r);
	accept = now_s() - t0;
	sotto_key2_secret_free(&s);
	printf("rotation members=%u rotator_build_ms=%.1f per_key_ms=%.3f "
	    "receiver_accept_ms=%.1f key_bytes=%zu\n", members, build * 1e3,
	    build * 1e3 / (members > 1 ? members - 1 : 1), accept * 1e3, b.len);
	sotto_wbuf_free(&b);
	sotto_genkey_free(gk);
	sotto_rsa_free(rsa);
}

int
main(int argc, char **argv)
{
	unsigned msgs = 2000, reps = 9, members = 100, i;
	size_t size = 64;
	struct sotto_ed25519 *alice, *bob;
	struct sotto_group *g;
	struct sotto_genkey *gk;
	struct sotto_peer peer;
	struct sotto_trust trust;
	struct frames f1, f2;
	double r1[REPS_MAX], r2[REPS_MAX], ratio[REPS_MAX];
	uint8_t sess[32];
	char *text;
	int c, r;

	while ((c = getopt(argc, argv, "n:r:m:s:")) != -1) {
		switch (c) {
		case 'n': msgs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': reps = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': members = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s [-n MESSAGES] [-r REPS] [-m MEMBERS] "
			    "[-s SIZE]\n", argv[0]);
			return 2;
		}
	}
	if (msgs == 0 || reps == 0 || reps > REPS_MAX || size > SOTTO_TEXT_MAX ||
	    members == 0 || members > 4096) {
		fprintf(stderr, "sotto-ratchetbench: out of range\n");
		return 2;
	}
	if ((r = sotto_crypto_init()) != 0 ||
	    (r = sotto_ed25519_generate(&alice)) != 0 ||
	    (r = sotto_ed25519_generate(&bob)) != 0 ||
	    (r = sotto_group_generate(&g, 1)) != 0 ||
	    (r = sotto_genkey_generate(&gk, 1)) != 0)
		die("setup", r);
	if ((text = malloc(size + 1)) == NULL)
		die("setup", SOTTO_E_ALLOC);
	memset(text, 'x', size);
	sotto_random_nonce(sess, sizeof(sess));
	frames_alloc(&f1, msgs);
	frames_alloc(&f2, msgs);
	v1_make(&f1, alice, g, sess, text, size);
	v2_make(&f2, alice, gk, sess, text, size);
	for (i = 0; i < reps; i++) {
		r1[i] = v1_accept(&f1, g, sotto_ed25519_pub(alice), sess);
		r2[i] = v2_accept(&f2, gk, sotto_ed25519_pub(alice), sess);
		ratio[i] = r1[i] / r2[i];
	}
	printf("accept size=%zu msgs=%u reps=%u v1_per_s=%.0f v2_per_s=%.0f "
	    "v1_over_v2=%.3f (target <= 1.1)\n", size, msgs, reps,
	    median(r1, reps), median(r2, reps), median(ratio, reps));
	memset(&peer, 0, sizeof(peer));
	peer.name = (char *)(uintptr_t)"alice";
	memcpy(peer.pub, sotto_ed25519_pub(alice), 32);
	trust.peers = &peer;
	trust.n = 1;
	rotation(members, alice, bob, &trust);
	frames_free(&f1);
	frames_free(&f2);
	free(text);
	sotto_genkey_free(gk);
	sotto_group_free(g);
	sotto_ed25519_free(alice);
	sotto_ed25519_free(bob);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* test_ratchet.c: generation keys and sender chains: known answers from an independent model, one-way steps, bounds, secure memory. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "ratchet.h"

/* Vectors from Python's hmac module (docs/protocol.md formulas):
 * E_0 = 00 01 .. 1f, epoch 7, id_pub = aa*32, session = bb*32. */
#define V_E2  "f69fccbf9b9945492b3a1cffc2c53fd3ea7561fc4a17472115cec112aeb343f0"
#define V_CK0 "3e434471bf111e8b09b2793d84a3d88d722b941c90be24d9edc521b9d5076def"
#define V_MK0 "2fb51365f14a13d554e7fa5362c906cb9ea2c346fcabfdb79cf912648d76b73b"
#define V_MK1 "1e78884ac6f980ce568b287b34d36294bcee8548ff5433a86bc656c4fc799d85"
#define V_MK3 "f964f0b6a0df4c685f11fa4806434c39429388f9097eb8ada25c5be41fe99549"
#define V_CK4 "f1ec7c685fa26b2267ba73ab43ce93e65c134f1af3abbbb47c0bf979833e275c"
#define V_KID "e1014aa5086fb654"

static uint8_t E0[32], PUB[32], SESS[32];

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static int
mem_is(const uint8_t *p, const char *hex, size_t n)
{
	uint8_t want[64];

	unhex(hex, want, n);
	return memcmp(p, want, n) == 0;
}

static void
test_known_answers(void)
{
	struct sotto_genkey *g = NULL;
	struct sotto_chain *c = NULL;
	uint8_t mk[32], next[32], kid[8];
	uint32_t idx;

	CHECK_EQ(sotto_genkey_new(&g, E0, 7, 0), 0);
	CHECK(sotto_crypto_is_secure(g));
	CHECK_EQ(sotto_epoch_key_id(g->key, kid), 0);
	CHECK(mem_is(kid, V_KID, 8));
	CHECK_EQ(sotto_genkey_advance(g, 2), 0);
	CHECK_EQ(g->gen, 2);
	CHECK(mem_is(g->key, V_E2, 32));
	CHECK_EQ(sotto_chain_start(&c, g, PUB, SESS), 0);
	CHECK(sotto_crypto_is_secure(c));
	CHECK(mem_is(c->ck, V_CK0, 32));
	CHECK_EQ(c->epoch, 7);
	CHECK_EQ(c->gen, 2);
	CHECK_EQ(c->index, 0);
	/* Sender: index 0, 1 in turn. */
	CHECK_EQ(sotto_chain_next(c, &idx, mk), 0);
	CHECK_EQ(idx, 0);
	CHECK(mem_is(mk, V_MK0, 32));
	CHECK_EQ(sotto_chain_next(c, &idx, mk), 0);
	CHECK_EQ(idx, 1);
	CHECK(mem_is(mk, V_MK1, 32));
	/* Receiver skipping index 2 (a dropped frame): peek changes nothing
	 * until committed. */
	CHECK_EQ(sotto_chain_peek(c, 3, mk, next), 0);
	CHECK(mem_is(mk, V_MK3, 32));
	CHECK(mem_is(next, V_CK4, 32));
	CHECK_EQ(c->index, 2);
	sotto_chain_commit(c, 3, next);
	CHECK_EQ(c->index, 4);
	CHECK(mem_is(c->ck, V_CK4, 32));
	sotto_chain_free(c);
	sotto_genkey_free(g);
}

/* Two members that step independently reach the same keys: the cause of a
 * step (a join served, the timer) does not matter, only its number. */
static void
test_generations_agree(void)
{
	struct sotto_genkey *a = NULL, *b = NULL;

	CHECK_EQ(sotto_genkey_new(&a, E0, 3, 0), 0);
	CHECK_EQ(sotto_genkey_dup(&b, a), 0);
	CHECK_EQ(sotto_genkey_advance(a, 1), 0);
	CHECK_EQ(sotto_genkey_advance(a, 5), 0);
	CHECK_EQ(sotto_genkey_advance(b, 5), 0);
	CHECK_MEM(a->key, b->key, 32);
	/* Same step number, another epoch: another key. */
	sotto_genkey_free(b);
	CHECK_EQ(sotto_genkey_new(&b, E0, 4, 0), 0);
	CHECK_EQ(sotto_genkey_advance(b, 5), 0);
	CHECK(memcmp(a->key, b->key, 32) != 0);
	sotto_genkey_free(a);
	sotto_genkey_free(b);
}

/* A newcomer handed E_g+1 cannot go back to E_g, nor start any chain of
 * generation g: history protection is in the keys, not in display rules. */
static void
test_no_way_back(void)
{
	struct sotto_genkey *old = NULL, *handed = NULL;
	struct sotto_chain *c_old = NULL, *c_new = NULL;
	uint8_t before[32];

	CHECK_EQ(sotto_genkey_new(&old, E0, 1, 4), 0);
	CHECK_EQ(sotto_genkey_dup(&handed, old), 0);
	CHECK_EQ(sotto_genkey_advance(handed, 5), 0);
	memcpy(before, handed->key, 32);
	CHECK_EQ(sotto_genkey_advance(handed, 4), SOTTO_E_INVAL);
	CHECK_EQ(handed->gen, 5);
	CHECK_MEM(handed->key, before, 32);
	CHECK_EQ(sotto_chain_start(&c_old, old, PUB, SESS), 0);
	CHECK_EQ(sotto_chain_start(&c_new, handed, PUB, SESS), 0);
	CHECK_EQ(c_new->gen, 5);
	CHECK(memcmp(c_old->ck, c_new->ck, 32) != 0);
	sotto_chain_free(c_old);
	sotto_chain_free(c_new);
	sotto_genkey_free(old);
	sotto_genkey_free(handed);
}

/* Forward secrecy within a chain: the state after message i (what a
 * memory dump would find) yields none of the keys of messages 0..i. */
static void
test_chain_forward_secrecy(void)
{
	enum { SENT = 40 };
	struct sotto_genkey *g = NULL;
	struct sotto_chain *tx = NULL, *dump = NULL;
	uint8_t (*old)[32] = calloc(SENT, 32);
	uint8_t mk[32], next[32];
	uint32_t i, idx, hits = 0;

	CHECK(old != NULL);
	if (old == NULL)
		return;
	CHECK_EQ(sotto_genkey_new(&g, E0, 2, 0), 0);
	CHECK_EQ(sotto_chain_start(&tx, g, PUB, SESS), 0);
	for (i = 0; i < SENT; i++)
		CHECK_EQ(sotto_chain_next(tx, &idx, old[i]), 0);
	CHECK_EQ(sotto_chain_dup(&dump, tx), 0);
	/* Every index the dumped state can still reach, none in the past. */
	for (i = 0; i < SENT; i++)
		CHECK_EQ(sotto_chain_peek(dump, i, mk, next), SOTTO_E_INVAL);
	for (i = SENT; i < SENT + 200; i++) {
		uint32_t j;

		CHECK_EQ(sotto_chain_peek(dump, i, mk, next), 0);
		for (j = 0; j < SENT; j++)
			hits += memcmp(mk, old[j], 32) == 0;
	}
	CHECK_EQ(hits, 0);
	/* The dumped chain key is none of the message keys either. */
	for (i = 0; i < SENT; i++)
		hits += memcmp(dump->ck, old[i], 32) == 0;
	CHECK_EQ(hits, 0);
	sotto_wipe(old, SENT * 32);
	free(old);
	sotto_chain_free(dump);
	sotto_chain_free(tx);
	sotto_genkey_free(g);
}

static void
test_bounds(void)
{
	struct sotto_genkey *g = NULL;
	struct sotto_chain *c = NULL;
	uint8_t mk[32], next[32], ck[32] = { 9 };
	uint32_t idx;

	CHECK_EQ(sotto_genkey_new(&g, E0, 0, 0), SOTTO_E_INVAL);
	CHECK(g == NULL);
	CHECK_EQ(sotto_genkey_new(&g, E0, 1, 10), 0);
	CHECK_EQ(sotto_genkey_advance(g, 10 + SOTTO_GEN_JUMP_MAX + 1), SOTTO_E_INVAL);
	CHECK_EQ(g->gen, 10);
	CHECK_EQ(sotto_genkey_advance(g, 10 + SOTTO_GEN_JUMP_MAX), 0);
	CHECK_EQ(g->gen, 10 + SOTTO_GEN_JUMP_MAX);
	CHECK_EQ(sotto_genkey_advance(g, g->gen), 0);   /* no-op */
	CHECK_EQ(sotto_chain_start(&c, g, PUB, SESS), 0);
	CHECK_EQ(sotto_chain_peek(c, SOTTO_CHAIN_SKIP_MAX + 1, mk, next),
	    SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_chain_peek(c, SOTTO_CHAIN_SKIP_MAX, mk, next), 0);
	sotto_chain_free(c);
	/* A chain at its last usable index ends: the sender moves on. */
	CHECK_EQ(sotto_chain_from(&c, ck, PUB, SESS, 1, 0, SOTTO_INDEX_MAX), SOTTO_E_INVAL);
	CHECK_EQ(sotto_chain_from(&c, ck, PUB, SESS, 1, 0, SOTTO_INDEX_MAX - 1), 0);
	CHECK_EQ(sotto_chain_next(c, &idx, mk), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_chain_peek(c, SOTTO_INDEX_MAX, mk, next), SOTTO_E_INVAL);
	sotto_chain_free(c);
	CHECK_EQ(sotto_chain_from(&c, ck, PUB, SESS, 0, 0, 0), SOTTO_E_INVAL);
	sotto_genkey_free(g);
}

int
main(void)
{
	size_t i;

	CHECK_EQ(sotto_crypto_init(), 0);
	for (i = 0; i < 32; i++)
		E0[i] = (uint8_t)i;
	memset(PUB, 0xaa, 32);
	memset(SESS, 0xbb, 32);
	test_known_answers();
	test_generations_agree();
	test_no_way_back();
	test_chain_forward_secrecy();
	test_bounds();
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_keyring.c: epochs, generations and chains over time: members that step independently agree, a newcomer reads what follows its handover and nothing before, graces end and keys are gone, rotations and conflicts switch cleanly. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "keyring.h"
#include "pad.h"
#include "proto2.h"
#include "ratchet.h"

#define T0   1700000000000ull
#define STEP SOTTO_GEN_STEP_MS
#define GRACE SOTTO_GEN_GRACE_MS

static const uint8_t ROOM[] = "lobby";
#define ROOM_LEN 5u
static const uint8_t KID1[8] = { 1 }, KID2[8] = { 2 }, KID2B[8] = { 0 };
static const struct sotto_epoch_origin FIRST = { SOTTO_REASON_FIRST, 0, NULL };

struct member {
	struct sotto_ed25519 *id;
	uint8_t               session[32];
	struct sotto_keyring *kr;
	struct sotto_dat2_tx *tx;
	struct sotto_dat2_rx *rx;
	struct sotto_replay   rp[4];         /* per sender index */
};

static struct member A, B, C;

static void
member_init(struct member *m)
{
	memset(m, 0, sizeof(*m));
	CHECK_EQ(sotto_ed25519_generate(&m->id), 0);
	sotto_random_nonce(m->session, 32);
	CHECK_EQ(sotto_keyring_new(&m->kr, NULL), 0);
	CHECK_EQ(sotto_dat2_tx_new(&m->tx, ROOM, ROOM_LEN, m->id, m->session, 1), 0);
	CHECK_EQ(sotto_dat2_rx_new(&m->rx, ROOM, ROOM_LEN), 0);
}

static void
member_free(struct member *m)
{
	sotto_dat2_tx_free(m->tx);
	sotto_dat2_rx_free(m->rx);
	sotto_keyring_free(m->kr);
	sotto_ed25519_free(m->id);
}

/* Give m the same epoch key as `from` holds at generation 0. */
static void
share_epoch(struct member *m, const uint8_t key[32], uint32_t epoch,
    const uint8_t *kid, uint64_t now)
{
	struct sotto_genkey *gk = NULL;

	CHECK_EQ(sotto_genkey_new(&gk, key, epoch, 0), 0);
	CHECK_EQ(sotto_keyring_set(m->kr, gk, kid, &FIRST, NULL, 0, now), 0);
}

struct frame {
	uint8_t body[512];
	size_t  len;
};

static void
send(struct member *m, uint64_t now, const char *text, struct frame *f)
{
	struct sotto_chain *ch = NULL;
	const uint8_t *b;

	f->len = 0;
	CHECK_EQ(sotto_keyring_tx(m->kr, sotto_ed25519_pub(m->id), m->session, now,
	    &ch), 0);
	if (ch == NULL)
		return;
	CHECK_EQ(sotto_dat2_seal(m->tx, ch, now, SOTTO_CT_TEXT, text, strlen(text),
	    &b, &f->len), 0);
	CHECK(f->len <= sizeof(f->body));
	memcpy(f->body, b, f->len);
}

/* What a receiver does; 0 and the text matched, or the verdict. */
static int
recv_as(struct member *m, int from, const struct frame *f, uint64_t now,
    const char *want)
{
	struct sotto_chain *ch;
	struct sotto_dat2 d;
	const uint8_t *text;
	size_t n;
	uint8_t ct;
	int r;

	if ((r = sotto_dat2_parse(f->body, f->len, &d)) != 0 ||
	    (r = sotto_dat2_check(&d, &m->rp[from])) != 0 ||
	    (r = sotto_dat2_verify(m->rx, &d, f->body, f->len)) != 0 ||
	    (r = sotto_keyring_rx(m->kr, &d, now, &ch)) != 0 ||
	    (r = sotto_dat2_open(m->rx, &d, f->body, f->len, ch, &m->rp[from], &ct,
	    &text, &n)) != 0)
		return r;
	if (want == NULL)
		return -998;                /* opened what should not open */
	return n == strlen(want) && memcmp(text, want, n) == 0 ? 0 : -999;
}

static void
test_talk_and_generations(void)
{
	uint8_t key[32];
	struct frame f, late;

	sotto_random(key, 32);
	share_epoch(&A, key, 1, KID1, T0);
	share_epoch(&B, key, 1, KID1, T0);
	CHECK_EQ(sotto_keyring_epoch(A.kr), 1);
	CHECK_MEM(sotto_keyring_key_id(A.kr), KID1, 8);
	send(&A, T0 + 1, "a0", &f);
	CHECK_EQ(recv_as(&B, 0, &f, T0 + 2, "a0"), 0);
	send(&B, T0 + 3, "b0", &f);
	CHECK_EQ(recv_as(&A, 1, &f, T0 + 4, "b0"), 0);
	/* B hears of generation 1 (an advertisement) while A's gen-0 frame
	 * is in flight: within the grace it still opens. */
	send(&A, T0 + 5, "a1 in flight", &late);
	CHECK_EQ(sotto_keyring_step_to(B.kr, 1, T0 + 6), 0);
	CHECK_EQ(recv_as(&B, 0, &late, T0 + 7, "a1 in flight"), 0);
	/* A's generation times out: its next frame is gen 1. */
	send(&A, T0 + STEP + 10, "a2 next gen", &f);
	CHECK_EQ(sotto_keyring_gen(A.kr), 1);
	CHECK_EQ(f.body[73], 1);
	CHECK_EQ(recv_as(&B, 0, &f, T0 + STEP + 11, "a2 next gen"), 0);
	CHECK_EQ(sotto_keyring_gen(B.kr), 1);
	/* ...B's own next frame is in the new generation, and A reads it. */
	send(&B, T0 + STEP + 13, "b1", &f);
	/* B had been in gen 1 since T0 + 6, a step ago: gen 2 now. */
	CHECK_EQ(f.body[73], 2);                   /* gen field, low byte */
	CHECK_EQ(recv_as(&A, 1, &f, T0 + STEP + 14, "b1"), 0);
	CHECK_EQ(sotto_keyring_gen(A.kr), 2);
}

static void
test_grace_ends(void)
{
	struct frame old_gen;
	uint64_t t = T0 + STEP + 20;
	uint32_t g = sotto_keyring_gen(B.kr);
	size_t before;

	send(&B, t, "b2", &old_gen);
	CHECK_EQ(sotto_keyring_step_to(B.kr, g + 1, t + 1), 0);
	CHECK_EQ(sotto_keyring_step_to(B.kr, g, t + 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_keyring_step_to(A.kr, g + 2 + SOTTO_GEN_JUMP_MAX, t + 1),
	    SOTTO_E_INVAL);
	CHECK_EQ(sotto_keyring_step_to(A.kr, g + 1, t + 2), 0);
	before = sotto_keyring_chains(A.kr);
	sotto_keyring_sweep(A.kr, t + 2 + GRACE);
	CHECK(sotto_keyring_chains(A.kr) < before);
	/* B's frame of the older generation after the grace: its chain and
	 * every key that could derive it are gone. */
	CHECK_EQ(recv_as(&A, 1, &old_gen, t + 2 + GRACE, NULL), SOTTO_V_DECRYPT);
}

/*
 * B serves C: C gets the next generation and the current chains. C reads
 * A's next frame (A has not stepped yet) and B's, and none sent before;
 * A's frame of the old generation after A heard of the step still opens.
 */
static void
test_handover(void)
{
	struct sotto_session_ref present[1];
	struct sotto_key2_src src;
	struct sotto_genkey *gk = NULL;
	struct sotto_chain **chains;
	struct frame before_a, after_a, after_b;
	uint64_t t = T0 + 2 * STEP;
	uint32_t g;
	size_t i;

	send(&A, t, "before C", &before_a);
	CHECK_EQ(recv_as(&B, 0, &before_a, t + 1, "before C"), 0);
	g = sotto_keyring_gen(B.kr);
	present[0].id_pub = sotto_ed25519_pub(A.id);
	present[0].session = A.session;
	CHECK_EQ(sotto_keyring_handover(B.kr, present, 1, t + 2, &src), 0);
	CHECK_EQ(src.kind, SOTTO_KEY2_HANDOVER);
	CHECK_EQ(src.gk->gen, g + 1);
	CHECK_EQ(sotto_keyring_gen(B.kr), g + 1);
	CHECK(src.n_chains >= 1);
	/* What a KEY would carry, copied as the wire would. */
	CHECK_EQ(sotto_genkey_dup(&gk, src.gk), 0);
	chains = calloc(src.n_chains, sizeof(*chains));
	CHECK(chains != NULL);
	if (chains == NULL)
		return;
	for (i = 0; i < src.n_chains; i++) {
		CHECK(src.chains[i]->gen <= g);
		CHECK_EQ(sotto_chain_dup(&chains[i], src.chains[i]), 0);
	}
	CHECK_EQ(sotto_keyring_set(C.kr, gk, KID1, &src.origin, chains, src.n_chains,
	    t + 3), 0);
	free(chains);
	CHECK_EQ(sotto_keyring_gen(C.kr), g + 1);
	/* Earlier frames: the chain has moved past them. */
	CHECK_EQ(recv_as(&C, 0, &before_a, t + 4, NULL), SOTTO_V_REPLAY);
	/* A has not heard of the step: its next frame is still gen g. */
	send(&A, t + 5, "A after C", &after_a);
	CHECK_EQ(recv_as(&C, 0, &after_a, t + 6, "A after C"), 0);
	CHECK_EQ(recv_as(&B, 0, &after_a, t + 6, "A after C"), 0);
	send(&B, t + 7, "B after C", &after_b);
	CHECK_EQ(recv_as(&C, 1, &after_b, t + 8, "B after C"), 0);
	CHECK_EQ(recv_as(&A, 1, &after_b, t + 8, "B after C"), 0);
	CHECK_EQ(sotto_keyring_gen(A.kr), g + 1);
	/* C speaks; both read it. */
	send(&C, t + 9, "hello from C", &after_b);
	CHECK_EQ(recv_as(&A, 2, &after_b, t + 10, "hello from C"), 0);
	CHECK_EQ(recv_as(&B, 2, &after_b, t + 10, "hello from C"), 0);
}

/* The keyholder hands its own chain where it stands (what it sent before
 * serving stays closed to the newcomer), and a member handed the epoch
 * key it already holds moves on to the later generation. */
static void
test_handover_again(void)
{
	struct member D, E;
	struct sotto_key2_src src;
	struct sotto_genkey *gk = NULL;
	uint8_t key[32];
	struct frame f;
	uint64_t t = T0;
	size_t i, own = 0;

	member_init(&D);
	member_init(&E);
	sotto_random(key, 32);
	share_epoch(&D, key, 1, KID1, t);
	share_epoch(&E, key, 1, KID1, t);
	send(&D, t + 1, "D before", &f);
	CHECK_EQ(recv_as(&E, 0, &f, t + 2, "D before"), 0);
	CHECK_EQ(sotto_keyring_handover(D.kr, NULL, 0, t + 3, &src), 0);
	CHECK_EQ(src.gk->gen, 1);
	for (i = 0; i < src.n_chains; i++) {
		if (memcmp(src.chains[i]->id_pub, sotto_ed25519_pub(D.id), 32) != 0 ||
		    memcmp(src.chains[i]->session, D.session, 32) != 0)
			continue;
		own++;
		CHECK_EQ(src.chains[i]->gen, 0);
		CHECK_EQ(src.chains[i]->index, 1);
	}
	CHECK_EQ(own, 1);
	/* E holds the same key at generation 0: handed it again at 1. */
	CHECK_EQ(sotto_genkey_dup(&gk, src.gk), 0);
	CHECK_EQ(sotto_keyring_set(E.kr, gk, KID1, &src.origin, NULL, 0, t + 4), 0);
	CHECK_EQ(sotto_keyring_gen(E.kr), 1);
	/* The same key at an older generation changes nothing. */
	CHECK_EQ(sotto_genkey_new(&gk, key, 1, 0), 0);
	CHECK_EQ(sotto_keyring_set(E.kr, gk, KID1, &FIRST, NULL, 0, t + 5), 0);
	CHECK_EQ(sotto_keyring_gen(E.kr), 1);
	send(&D, t + 6, "D after", &f);
	CHECK_EQ(recv_as(&E, 0, &f, t + 7, "D after"), 0);
	member_free(&D);
	member_free(&E);
}

static void
test_rotation_and_conflict(void)
{
	uint8_t key2[32], key2b[32];
	struct sotto_genkey *gk = NULL;
	struct frame in_flight, new_epoch;
	uint64_t t = T0 + 3 * STEP;
	static const uint8_t prev1[8] = { 1 };
	struct sotto_epoch_origin left = { SOTTO_REASON_LEFT, 1, prev1 };

	sotto_random(key2, 32);
	sotto_random(key2b, 32);
	send(&A, t, "last in epoch 1", &in_flight);
	/* Epoch 2 reaches A and B (C left); C keeps epoch 1. */
	CHECK_EQ(sotto_genkey_new(&gk, key2, 2, 0), 0);
	CHECK_EQ(sotto_keyring_set(A.kr, gk, KID2, &left, NULL, 0, t + 1), 0);
	CHECK_EQ(sotto_genkey_new(&gk, key2, 2, 0), 0);
	CHECK_EQ(sotto_keyring_set(B.kr, gk, KID2, &left, NULL, 0, t + 1), 0);
	CHECK(sotto_keyring_has_previous(B.kr));
	/* An older epoch is never adopted; the same key again is a no-op. */
	CHECK_EQ(sotto_genkey_new(&gk, key2, 1, 0), 0);
	CHECK_EQ(sotto_keyring_set(B.kr, gk, KID1, &FIRST, NULL, 0, t + 1),
	    SOTTO_E_INVAL);
	sotto_genkey_free(gk);
	CHECK_EQ(sotto_genkey_new(&gk, key2, 2, 0), 0);
	CHECK_EQ(sotto_keyring_set(B.kr, gk, KID2, &left, NULL, 0, t + 1), 0);
	CHECK(sotto_keyring_has_previous(B.kr));
	/* In-flight epoch-1 frame within the epoch grace: opens. */
	CHECK_EQ(recv_as(&B, 0, &in_flight, t + 2, "last in epoch 1"), 0);
	send(&A, t + 3, "epoch 2", &new_epoch);
	CHECK_EQ(recv_as(&B, 0, &new_epoch, t + 4, "epoch 2"), 0);
	/* C, who left, holds nothing for epoch 2: decrypt-failed. */
	CHECK_EQ(recv_as(&C, 0, &new_epoch, t + 4, NULL), SOTTO_V_DECRYPT);
	/* After the grace, epoch 1 is wiped: stale, and nothing is held. */
	send(&C, t + 5, "C still on 1", &in_flight);
	sotto_keyring_sweep(B.kr, t + 1 + SOTTO_EPOCH_GRACE_MS);
	CHECK(!sotto_keyring_has_previous(B.kr));
	CHECK_EQ(recv_as(&B, 2, &in_flight, t + 1 + SOTTO_EPOCH_GRACE_MS, NULL),
	    SOTTO_V_STALE);
	/* A conflict's winner for epoch 2 replaces the loser outright. */
	CHECK_EQ(sotto_genkey_new(&gk, key2b, 2, 0), 0);
	CHECK_EQ(sotto_keyring_set(B.kr, gk, KID2B, &left, NULL, 0, t + 20000), 0);
	CHECK_MEM(sotto_keyring_key_id(B.kr), KID2B, 8);
	CHECK_EQ(recv_as(&B, 0, &new_epoch, t + 20001, NULL), SOTTO_V_REPLAY);
	send(&A, t + 20002, "on the losing key", &new_epoch);
	CHECK_EQ(recv_as(&B, 0, &new_epoch, t + 20003, NULL), SOTTO_V_DECRYPT);
}

static void
test_empty(void)
{
	struct sotto_keyring *kr = NULL;
	struct sotto_key2_src src;
	struct sotto_chain *ch;
	uint8_t z[32] = { 0 };

	CHECK_EQ(sotto_keyring_new(&kr, NULL), 0);
	CHECK_EQ(sotto_keyring_epoch(kr), 0);
	CHECK(sotto_keyring_key_id(kr) == NULL);
	CHECK_EQ(sotto_keyring_tx(kr, z, z, T0, &ch), SOTTO_E_INVAL);
	CHECK_EQ(sotto_keyring_handover(kr, NULL, 0, T0, &src), SOTTO_E_INVAL);
	CHECK_EQ(sotto_keyring_step_to(kr, 1, T0), SOTTO_E_INVAL);
	sotto_keyring_sweep(kr, T0);
	sotto_keyring_free(kr);
}

/* A rotation's generation 0 can be sent again while it is held (current,
 * or the older generation within its grace), and opens the epoch's first
 * frames for a member that missed it; once stepped past and its grace is
 * over, it is gone. */
static void
test_gen0_again(void)
{
	struct sotto_keyring *kr = NULL, *late = NULL;
	struct sotto_genkey *gk = NULL, *copy = NULL;
	struct sotto_key2_src src;
	struct frame first;
	struct member S;
	uint8_t key[32];
	uint64_t t = T0;

	member_init(&S);
	sotto_random_nonce(key, sizeof(key));
	CHECK_EQ(sotto_genkey_new(&gk, key, 7, 0), 0);
	CHECK_EQ(sotto_keyring_set(S.kr, gk, KID2, &FIRST, NULL, 0, t), 0);
	CHECK_EQ(sotto_keyring_gen0(S.kr, &src), 0);
	CHECK_EQ(src.kind, SOTTO_KEY2_ROTATION);
	CHECK_EQ(src.gk->epoch, 7);
	CHECK_EQ(src.gk->gen, 0);
	CHECK_EQ(memcmp(src.key_id, KID2, 8), 0);
	send(&S, t + 1, "first of epoch 7", &first);
	/* A member that missed the KEY, given generation 0 later, opens it. */
	CHECK_EQ(sotto_keyring_new(&late, NULL), 0);
	CHECK_EQ(sotto_keyring_gen0(S.kr, &src), 0);
	CHECK_EQ(sotto_genkey_dup(&copy, src.gk), 0);
	CHECK_EQ(sotto_keyring_set(late, copy, KID2, &src.origin, NULL, 0, t + 2), 0);
	{
		struct member L = S;   /* S's rx and replay state are not used */

		L.kr = late;
		CHECK_EQ(sotto_dat2_rx_new(&L.rx, ROOM, ROOM_LEN), 0);
		memset(L.rp, 0, sizeof(L.rp));
		CHECK_EQ(recv_as(&L, 0, &first, t + 3, "first of epoch 7"), 0);
		sotto_dat2_rx_free(L.rx);
	}
	/* A handover steps on: generation 0 stays for its grace, then goes. */
	CHECK_EQ(sotto_keyring_handover(S.kr, NULL, 0, t + 4, &src), 0);
	CHECK_EQ(sotto_keyring_gen0(S.kr, &src), 0);
	CHECK_EQ(src.gk->gen, 0);
	sotto_keyring_sweep(S.kr, t + 5 + GRACE);
	CHECK_EQ(sotto_keyring_gen0(S.kr, &src), SOTTO_E_NOTFOUND);
	sotto_keyring_free(late);
	member_free(&S);
	sotto_keyring_new(&kr, NULL);
	CHECK_EQ(sotto_keyring_gen0(kr, &src), SOTTO_E_NOTFOUND);
	sotto_keyring_free(kr);
}

int
main(void)
{
	CHECK_EQ(sotto_crypto_init(), 0);
	member_init(&A);
	member_init(&B);
	member_init(&C);
	test_empty();
	test_talk_and_generations();
	test_grace_ends();
	test_handover();
	test_handover_again();
	test_rotation_and_conflict();
	test_gen0_again();
	member_free(&A);
	member_free(&B);
	member_free(&C);
	return check_summary();
}

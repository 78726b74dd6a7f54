/* SPDX-License-Identifier: ISC */
/* ratchet.h: v2 generation keys and per-sender chain keys (docs/protocol.md "Generations and sender chains").
 *
 * An epoch key E (random, per epoch) starts generation 0: E_0 = E. Each
 * generation key yields the next and is then wiped:
 *
 *   E_g+1 = HMAC-SHA256(E_g, "sotto-v2 gen" || u32 epoch || u32 g+1)
 *
 * A sender session starts one chain per generation it sends in:
 *
 *   CK_0  = HMAC-SHA256(E_g, "sotto-v2 chain" || u32 epoch || u32 g ||
 *                       id_pub || session)
 *   MK_i  = HMAC-SHA256(CK_i, 0x01)      the AES-256-GCM key of message i
 *   CK_i+1 = HMAC-SHA256(CK_i, 0x02)
 *
 * Everything here is one-way: a holder of E_g or CK_i derives later keys
 * only. Both structs live in libgcrypt secure memory and every key that
 * is stepped past is overwritten at once.
 */
#ifndef SOTTO_RATCHET_H
#define SOTTO_RATCHET_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

/* One generation key of an epoch. */
struct sotto_genkey {
	uint8_t  key[SOTTO_GROUP_KEY];
	uint32_t epoch;
	uint32_t gen;
};

/* key at (epoch, gen); epoch != 0. */
int sotto_genkey_new(struct sotto_genkey **out,
    const uint8_t key[static SOTTO_GROUP_KEY], uint32_t epoch, uint32_t gen);
/* A fresh random epoch key at generation 0 (first joiner, rotator). */
int sotto_genkey_generate(struct sotto_genkey **out, uint32_t epoch);
int sotto_genkey_dup(struct sotto_genkey **out, const struct sotto_genkey *g);
void sotto_genkey_free(struct sotto_genkey *g);
/* Step g forward to generation `gen`, wiping every key passed. Going
 * back, or more than SOTTO_GEN_JUMP_MAX steps, is SOTTO_E_INVAL and
 * leaves g as it was. */
int sotto_genkey_advance(struct sotto_genkey *g, uint32_t gen);
/* key_id = HMAC-SHA256(E_0, "sotto-v2 key-id")[0..8): names an epoch key
 * (only a holder of generation 0 can compute it; later holders are told). */
int sotto_epoch_key_id(const uint8_t e0[static SOTTO_GROUP_KEY],
    uint8_t id[static SOTTO_KEY_ID]);

/* A sender chain at the next index it will yield. */
struct sotto_chain {
	uint8_t  ck[SOTTO_CHAIN_KEY];       /* CK_index */
	uint8_t  id_pub[SOTTO_ED25519_PUB];
	uint8_t  session[SOTTO_JOIN_NONCE];
	uint32_t epoch;
	uint32_t gen;
	uint32_t index;                     /* next message index */
};

/* CK_0 of (id_pub, session) in g's epoch and generation. */
int sotto_chain_start(struct sotto_chain **out, const struct sotto_genkey *g,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE]);
/* A chain state handed over in a KEY (no derivation). */
int sotto_chain_from(struct sotto_chain **out,
    const uint8_t ck[static SOTTO_CHAIN_KEY],
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint32_t epoch,
    uint32_t gen, uint32_t index);
int sotto_chain_dup(struct sotto_chain **out, const struct sotto_chain *c);
void sotto_chain_free(struct sotto_chain *c);

/* The message key of `index` and the chain key after it, without
 * changing c (a receiver commits only once the message authenticates).
 * index below c->index: SOTTO_E_INVAL (that key is gone); more than
 * SOTTO_CHAIN_SKIP_MAX ahead: SOTTO_E_TOOLONG; index SOTTO_INDEX_MAX is
 * never used. mk and next belong in secure memory. */
int sotto_chain_peek(const struct sotto_chain *c, uint32_t index,
    uint8_t mk[static SOTTO_GROUP_KEY], uint8_t next[static SOTTO_CHAIN_KEY]);
/* Move c past `index`: c->ck = next (from sotto_chain_peek), index + 1. */
void sotto_chain_commit(struct sotto_chain *c, uint32_t index,
    const uint8_t next[static SOTTO_CHAIN_KEY]);
/* Sender side: the key for c->index, then step (peek + commit). */
int sotto_chain_next(struct sotto_chain *c, uint32_t *index,
    uint8_t mk[static SOTTO_GROUP_KEY]);

#endif

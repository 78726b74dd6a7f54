/* SPDX-License-Identifier: ISC */
/* ratchet.c: v2 generation keys and per-sender chain keys, one-way HMAC-SHA256 steps (ratchet.h). */
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "ratchet.h"

/* --- generation keys ----------------------------------------------------- */

int
sotto_genkey_new(struct sotto_genkey **out, const uint8_t key[static SOTTO_GROUP_KEY],
    uint32_t epoch, uint32_t gen)
{
	struct sotto_genkey *g;

	*out = NULL;
	if (epoch == 0)
		return SOTTO_E_INVAL;
	if ((g = sotto_secure_alloc(sizeof(*g))) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(g->key, key, SOTTO_GROUP_KEY);
	g->epoch = epoch;
	g->gen = gen;
	*out = g;
	return 0;
}

int
sotto_genkey_generate(struct sotto_genkey **out, uint32_t epoch)
{
	uint8_t *key;
	int r;

	*out = NULL;
	if ((key = sotto_secure_alloc(SOTTO_GROUP_KEY)) == NULL)
		return SOTTO_E_ALLOC;
	sotto_random(key, SOTTO_GROUP_KEY);
	r = sotto_genkey_new(out, key, epoch, 0);
	sotto_secure_free(key, SOTTO_GROUP_KEY);
	return r;
}

int
sotto_genkey_dup(struct sotto_genkey **out, const struct sotto_genkey *g)
{
	return sotto_genkey_new(out, g->key, g->epoch, g->gen);
}

void
sotto_genkey_free(struct sotto_genkey *g)
{
	sotto_secure_free(g, sizeof(*g));
}

/* key = HMAC(key, "sotto-v2 gen" || u32 epoch || u32 gen), in place. */
static int
gen_step(uint8_t key[static SOTTO_GROUP_KEY], uint32_t epoch, uint32_t gen)
{
	uint8_t in[SOTTO_LABEL2_GEN_LEN + SOTTO_EPOCH_LEN + SOTTO_GEN_LEN];
	uint8_t mac[SOTTO_SHA256_LEN];
	int r;

	memcpy(in, SOTTO_LABEL2_GEN, SOTTO_LABEL2_GEN_LEN);
	sotto_store_be32(in + SOTTO_LABEL2_GEN_LEN, epoch);
	sotto_store_be32(in + SOTTO_LABEL2_GEN_LEN + SOTTO_EPOCH_LEN, gen);
	/* sotto_hmac_sha256 clears its output first: never alias key. */
	if ((r = sotto_hmac_sha256(mac, key, SOTTO_GROUP_KEY, in, sizeof(in))) == 0)
		memcpy(key, mac, SOTTO_GROUP_KEY);
	sotto_wipe(mac, sizeof(mac));
	return r;
}

int
sotto_genkey_advance(struct sotto_genkey *g, uint32_t gen)
{
	uint8_t *k;
	uint32_t at;
	int r = 0;

	if (gen < g->gen || gen - g->gen > SOTTO_GEN_JUMP_MAX)
		return SOTTO_E_INVAL;
	if ((k = sotto_secure_alloc(SOTTO_GROUP_KEY)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(k, g->key, SOTTO_GROUP_KEY);
	for (at = g->gen; at < gen && r == 0; at++)
		r = gen_step(k, g->epoch, at + 1);
	if (r == 0) {
		memcpy(g->key, k, SOTTO_GROUP_KEY);
		g->gen = gen;
	}
	sotto_secure_free(k, SOTTO_GROUP_KEY);
	return r;
}

int
sotto_epoch_key_id(const uint8_t e0[static SOTTO_GROUP_KEY],
    uint8_t id[static SOTTO_KEY_ID])
{
	uint8_t mac[SOTTO_SHA256_LEN];
	int r;

	r = sotto_hmac_sha256(mac, e0, SOTTO_GROUP_KEY, SOTTO_LABEL2_KEY_ID,
	    SOTTO_LABEL2_KEY_ID_LEN);
	memcpy(id, mac, SOTTO_KEY_ID);
	sotto_wipe(mac, sizeof(mac));
	return r;
}

/* --- chains -------------------------------------------------------------- */

int
sotto_chain_from(struct sotto_chain **out, const uint8_t ck[static SOTTO_CHAIN_KEY],
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint32_t epoch, uint32_t gen,
    uint32_t index)
{
	struct sotto_chain *c;

	*out = NULL;
	if (epoch == 0 || index == SOTTO_INDEX_MAX)
		return SOTTO_E_INVAL;
	if ((c = sotto_secure_alloc(sizeof(*c))) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(c->ck, ck, SOTTO_CHAIN_KEY);
	memcpy(c->id_pub, id_pub, SOTTO_ED25519_PUB);
	memcpy(c->session, session, SOTTO_JOIN_NONCE);
	c->epoch = epoch;
	c->gen = gen;
	c->index = index;
	*out = c;
	return 0;
}

int
sotto_chain_start(struct sotto_chain **out, const struct sotto_genkey *g,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE])
{
	uint8_t in[SOTTO_LABEL2_CHAIN_LEN + SOTTO_EPOCH_LEN + SOTTO_GEN_LEN +
	    SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE];
	uint8_t *ck;
	size_t o = 0;
	int r;

	*out = NULL;
	memcpy(in, SOTTO_LABEL2_CHAIN, SOTTO_LABEL2_CHAIN_LEN);
	o += SOTTO_LABEL2_CHAIN_LEN;
	sotto_store_be32(in + o, g->epoch);
	o += SOTTO_EPOCH_LEN;
	sotto_store_be32(in + o, g->gen);
	o += SOTTO_GEN_LEN;
	memcpy(in + o, id_pub, SOTTO_ED25519_PUB);
	o += SOTTO_ED25519_PUB;
	memcpy(in + o, session, SOTTO_JOIN_NONCE);
	if ((ck = sotto_secure_alloc(SOTTO_CHAIN_KEY)) == NULL)
		return SOTTO_E_ALLOC;
	r = sotto_hmac_sha256(ck, g->key, SOTTO_GROUP_KEY, in, sizeof(in));
	if (r == 0)
		r = sotto_chain_from(out, ck, id_pub, session, g->epoch, g->gen, 0);
	sotto_secure_free(ck, SOTTO_CHAIN_KEY);
	return r;
}

int
sotto_chain_dup(struct sotto_chain **out, const struct sotto_chain *c)
{
	return sotto_chain_from(out, c->ck, c->id_pub, c->session, c->epoch,
	    c->gen, c->index);
}

void
sotto_chain_free(struct sotto_chain *c)
{
	sotto_secure_free(c, sizeof(*c));
}

/* out = HMAC(ck, byte); out may be ck (the output is staged). */
static int
chain_hmac(uint8_t out[static SOTTO_SHA256_LEN], const uint8_t ck[static SOTTO_CHAIN_KEY],
    uint8_t byte)
{
	uint8_t mac[SOTTO_SHA256_LEN];
	int r;

	if ((r = sotto_hmac_sha256(mac, ck, SOTTO_CHAIN_KEY, &byte, 1)) == 0)
		memcpy(out, mac, SOTTO_SHA256_LEN);
	sotto_wipe(mac, sizeof(mac));
	return r;
}

int
sotto_chain_peek(const struct sotto_chain *c, uint32_t index,
    uint8_t mk[static SOTTO_GROUP_KEY], uint8_t next[static SOTTO_CHAIN_KEY])
{
	uint32_t at;
	int r;

	memset(mk, 0, SOTTO_GROUP_KEY);
	memset(next, 0, SOTTO_CHAIN_KEY);
	if (index < c->index || index == SOTTO_INDEX_MAX)
		return SOTTO_E_INVAL;
	if (index - c->index > SOTTO_CHAIN_SKIP_MAX)
		return SOTTO_E_TOOLONG;
	memcpy(next, c->ck, SOTTO_CHAIN_KEY);
	/* Skipped message keys are not kept: the relay keeps each sender's
	 * order, so a gap means frames that will never come. */
	for (at = c->index; at < index; at++)
		if ((r = chain_hmac(next, next, SOTTO_CHAIN_STEP_BYTE)) != 0)
			goto fail;
	if ((r = chain_hmac(mk, next, SOTTO_CHAIN_MSG_BYTE)) != 0 ||
	    (r = chain_hmac(next, next, SOTTO_CHAIN_STEP_BYTE)) != 0)
		goto fail;
	return 0;
fail:
	sotto_wipe(mk, SOTTO_GROUP_KEY);
	sotto_wipe(next, SOTTO_CHAIN_KEY);
	return r;
}

void
sotto_chain_commit(struct sotto_chain *c, uint32_t index,
    const uint8_t next[static SOTTO_CHAIN_KEY])
{
	memcpy(c->ck, next, SOTTO_CHAIN_KEY);
	c->index = index + 1;
}

int
sotto_chain_next(struct sotto_chain *c, uint32_t *index,
    uint8_t mk[static SOTTO_GROUP_KEY])
{
	uint8_t *next;
	int r;

	*index = c->index;
	if (c->index >= SOTTO_INDEX_MAX - 1)
		return SOTTO_E_TOOLONG;
	if ((next = sotto_secure_alloc(SOTTO_CHAIN_KEY)) == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_chain_peek(c, c->index, mk, next)) == 0)
		sotto_chain_commit(c, c->index, next);
	sotto_secure_free(next, SOTTO_CHAIN_KEY);
	return r;
}

/* SPDX-License-Identifier: ISC */
/* keyring.c: a member's v2 epochs, generation keys and sender chains, with their grace periods (keyring.h). */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "crypto.h"
#include "err.h"
#include "keyring.h"
#include "proto2.h"
#include "ratchet.h"

/* Chains held per epoch: every remembered session in two generations. */
#define KR_CHAINS_MAX   (2u * SOTTO_CHAINS_MAX)
#define KR_CHAIN_ID_LEN (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + SOTTO_GEN_LEN)

struct kr_chain {
	uint8_t             id[KR_CHAIN_ID_LEN];   /* id_pub || session || u32 gen */
	struct sotto_chain *ch;
	uint64_t            expiry;                /* 0: live; else wiped then */
	UT_hash_handle      hh;
};

struct kr_epoch {
	uint32_t             epoch;
	uint8_t              key_id[SOTTO_KEY_ID];
	uint8_t              reason;
	uint32_t             prev_epoch;
	uint8_t              prev_key_id[SOTTO_KEY_ID];
	struct sotto_genkey *cur;          /* the current generation */
	struct sotto_genkey *low;          /* an older one, kept for its grace */
	uint64_t             low_expiry;
	uint64_t             cur_since;    /* when cur became current */
	struct kr_chain     *chains;
	size_t               n_chains;
	struct sotto_chain  *tx;           /* our own chain in cur's generation */
	uint64_t             expiry;       /* as the previous epoch: wiped then */
};

struct sotto_keyring {
	struct sotto_keyring_cfg   cfg;
	struct kr_epoch           *cur, *prev;
	const struct sotto_chain **handed;   /* handover scratch, borrowed chains */
};

static const struct sotto_keyring_cfg defaults = {
	SOTTO_GEN_STEP_MS, SOTTO_GEN_GRACE_MS, SOTTO_EPOCH_GRACE_MS,
};

/* --- chains of one epoch ------------------------------------------------- */

static void
chain_id(uint8_t id[static KR_CHAIN_ID_LEN], const uint8_t *pub,
    const uint8_t *session, uint32_t gen)
{
	memcpy(id, pub, SOTTO_ED25519_PUB);
	memcpy(id + SOTTO_ED25519_PUB, session, SOTTO_JOIN_NONCE);
	sotto_store_be32(id + SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE, gen);
}

static struct kr_chain *
chain_find(struct kr_epoch *e, const uint8_t *pub, const uint8_t *session,
    uint32_t gen)
{
	uint8_t id[KR_CHAIN_ID_LEN];
	struct kr_chain *c;

	chain_id(id, pub, session, gen);
	HASH_FIND(hh, e->chains, id, sizeof(id), c);
	return c;
}

static void
chain_del(struct kr_epoch *e, struct kr_chain *c)
{
	HASH_DEL(e->chains, c);
	e->n_chains--;
	sotto_chain_free(c->ch);
	free(c);
}

/* Takes ch. A chain already held for the same (session, gen) stays. */
static int
chain_add(struct kr_epoch *e, struct sotto_chain *ch, struct sotto_chain **held)
{
	struct kr_chain *c;

	if ((c = chain_find(e, ch->id_pub, ch->session, ch->gen)) != NULL) {
		sotto_chain_free(ch);
		*held = c->ch;
		return 0;
	}
	if (e->n_chains >= KR_CHAINS_MAX) {
		sotto_chain_free(ch);
		return SOTTO_E_TOOLONG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sotto_chain_free(ch);
		return SOTTO_E_ALLOC;
	}
	chain_id(c->id, ch->id_pub, ch->session, ch->gen);
	c->ch = ch;
	HASH_ADD(hh, e->chains, id, sizeof(c->id), c);
	e->n_chains++;
	*held = ch;
	return 0;
}

/* --- epochs -------------------------------------------------------------- */

static void
epoch_free(struct kr_epoch *e)
{
	struct kr_chain *c, *tmp;

	if (e == NULL)
		return;
	HASH_ITER(hh, e->chains, c, tmp)
		chain_del(e, c);
	sotto_genkey_free(e->cur);
	sotto_genkey_free(e->low);
	sotto_chain_free(e->tx);
	free(e);
}

/* Move e's current generation to gen. The key left behind is kept as
 * `low` for the grace (unless an older one already is), and every chain
 * of an older generation starts its grace. */
static int
epoch_step(struct kr_epoch *e, uint32_t gen, uint64_t now,
    const struct sotto_keyring_cfg *cfg)
{
	struct sotto_genkey *keep = NULL;
	struct kr_chain *c, *tmp;
	int r;

	if (gen < e->cur->gen || gen - e->cur->gen > SOTTO_GEN_JUMP_MAX)
		return SOTTO_E_INVAL;
	if (gen == e->cur->gen)
		return 0;
	if (e->low == NULL && (r = sotto_genkey_dup(&keep, e->cur)) != 0)
		return r;
	if ((r = sotto_genkey_advance(e->cur, gen)) != 0) {
		sotto_genkey_free(keep);
		return r;
	}
	if (keep != NULL) {
		e->low = keep;
		e->low_expiry = now + cfg->gen_grace_ms;
	}
	e->cur_since = now;
	HASH_ITER(hh, e->chains, c, tmp)
		if (c->ch->gen < gen && c->expiry == 0)
			c->expiry = now + cfg->gen_grace_ms;
	/* Our frames already sealed are on their way; new ones use gen. */
	sotto_chain_free(e->tx);
	e->tx = NULL;
	return 0;
}

/* CK_0 of (pub, session) in generation gen of e, from the lowest key held
 * that can reach it. */
static int
epoch_derive(struct kr_epoch *e, const uint8_t *pub, const uint8_t *session,
    uint32_t gen, uint64_t now, struct sotto_chain **out)
{
	const struct sotto_genkey *from = e->cur;
	struct sotto_genkey *g = NULL;
	int r;

	*out = NULL;
	if (gen < e->cur->gen) {
		if (e->low == NULL || now >= e->low_expiry || gen < e->low->gen)
			return SOTTO_V_DECRYPT;
		from = e->low;
	}
	if (gen - from->gen > SOTTO_GEN_JUMP_MAX)
		return SOTTO_V_DECRYPT;
	if ((r = sotto_genkey_dup(&g, from)) == 0 &&
	    (r = sotto_genkey_advance(g, gen)) == 0)
		r = sotto_chain_start(out, g, pub, session);
	sotto_genkey_free(g);
	return r == SOTTO_E_INVAL ? SOTTO_V_DECRYPT : r;
}

/* --- the keyring ----------------------------------------------------------- */

int
sotto_keyring_new(struct sotto_keyring **out, const struct sotto_keyring_cfg *cfg)
{
	struct sotto_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return SOTTO_E_ALLOC;
	kr->cfg = cfg != NULL ? *cfg : defaults;
	*out = kr;
	return 0;
}

void
sotto_keyring_free(struct sotto_keyring *kr)
{
	if (kr == NULL)
		return;
	epoch_free(kr->cur);
	epoch_free(kr->prev);
	free(kr->handed);
	free(kr);
}

static void
free_chains(struct sotto_chain **chains, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sotto_chain_free(chains[i]);
		chains[i] = NULL;
	}
}

static struct kr_epoch *
epoch_new(struct sotto_genkey *gk, const uint8_t *key_id,
    const struct sotto_epoch_origin *o, uint64_t now)
{
	struct kr_epoch *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->epoch = gk->epoch;
	e->cur = gk;
	e->cur_since = now;
	memcpy(e->key_id, key_id, SOTTO_KEY_ID);
	e->reason = o->reason;
	e->prev_epoch = o->prev_epoch;
	if (o->prev_key_id != NULL)
		memcpy(e->prev_key_id, o->prev_key_id, SOTTO_KEY_ID);
	return e;
}

/* The epoch key held already (a late or second answer, or a member that
 * kept the room's key across a relay restart and is handed it again):
 * nothing older is taken, but a later generation moves ours on (we could
 * derive it ourselves) and chains we lack are added, so the keyholder's
 * senders stay readable. gk is taken on success, left to the caller on
 * failure (as sotto_keyring_set); the chains are always consumed. */
static int
same_key(struct sotto_keyring *kr, struct sotto_genkey *gk,
    struct sotto_chain **chains, size_t n_chains, uint64_t now)
{
	struct kr_epoch *e = kr->cur;
	struct sotto_chain *held;
	size_t i;
	int r = 0;

	if (gk->gen > e->cur->gen)
		r = epoch_step(e, gk->gen, now, &kr->cfg);
	for (i = 0; i < n_chains; i++) {
		if (r == 0 && chains[i]->epoch == gk->epoch &&
		    chains[i]->gen < gk->gen)
			r = chain_add(e, chains[i], &held);
		else
			sotto_chain_free(chains[i]);
		chains[i] = NULL;
	}
	if (r == 0)
		sotto_genkey_free(gk);
	return r;
}

int
sotto_keyring_set(struct sotto_keyring *kr, struct sotto_genkey *gk,
    const uint8_t key_id[static SOTTO_KEY_ID],
    const struct sotto_epoch_origin *origin, struct sotto_chain **chains,
    size_t n_chains, uint64_t now_ms)
{
	struct sotto_chain *held;
	struct kr_epoch *e;
	size_t i;
	int r = 0;

	if (kr->cur != NULL && gk->epoch < kr->cur->epoch) {
		free_chains(chains, n_chains);
		return SOTTO_E_INVAL;
	}
	if (kr->cur != NULL && gk->epoch == kr->cur->epoch &&
	    memcmp(key_id, kr->cur->key_id, SOTTO_KEY_ID) == 0)
		return same_key(kr, gk, chains, n_chains, now_ms);
	if ((e = epoch_new(gk, key_id, origin, now_ms)) == NULL) {
		free_chains(chains, n_chains);
		return SOTTO_E_ALLOC;
	}
	for (i = 0; i < n_chains; i++) {
		if (r == 0 && chains[i]->epoch == gk->epoch && chains[i]->gen < gk->gen)
			r = chain_add(e, chains[i], &held);
		else
			sotto_chain_free(chains[i]);
		chains[i] = NULL;
	}
	if (r != 0) {
		e->cur = NULL;          /* the caller keeps gk on failure */
		epoch_free(e);
		return r;
	}
	if (kr->cur != NULL && gk->epoch == kr->cur->epoch) {
		/* A conflict's winner replaces the loser outright. */
		epoch_free(kr->cur);
	} else if (kr->cur != NULL) {
		epoch_free(kr->prev);
		kr->prev = kr->cur;
		kr->prev->expiry = now_ms + kr->cfg.epoch_grace_ms;
	}
	kr->cur = e;
	return 0;
}

int
sotto_keyring_set_secret(struct sotto_keyring *kr, const struct sotto_key2 *k,
    struct sotto_key2_secret *s, uint64_t now_ms)
{
	struct sotto_epoch_origin o = { k->reason, k->prev_epoch, k->prev_key_id };
	int r;

	r = sotto_keyring_set(kr, s->gk, k->key_id, &o, s->chains, s->n_chains,
	    now_ms);
	if (r == 0)
		s->gk = NULL;
	sotto_key2_secret_free(s);
	return r;
}

uint32_t
sotto_keyring_epoch(const struct sotto_keyring *kr)
{
	return kr->cur != NULL ? kr->cur->epoch : 0;
}

uint32_t
sotto_keyring_gen(const struct sotto_keyring *kr)
{
	return kr->cur != NULL ? kr->cur->cur->gen : 0;
}

const uint8_t *
sotto_keyring_key_id(const struct sotto_keyring *kr)
{
	return kr->cur != NULL ? kr->cur->key_id : NULL;
}

int
sotto_keyring_has_previous(const struct sotto_keyring *kr)
{
	return kr->prev != NULL;
}

int
sotto_keyring_step_to(struct sotto_keyring *kr, uint32_t gen, uint64_t now_ms)
{
	if (kr->cur == NULL)
		return SOTTO_E_INVAL;
	return epoch_step(kr->cur, gen, now_ms, &kr->cfg);
}

int
sotto_keyring_tx(struct sotto_keyring *kr,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t now_ms,
    struct sotto_chain **chain)
{
	struct kr_epoch *e = kr->cur;
	int r;

	*chain = NULL;
	if (e == NULL)
		return SOTTO_E_INVAL;
	/* A generation older than the step, or a chain run out: step. */
	if (now_ms - e->cur_since >= kr->cfg.gen_step_ms ||
	    (e->tx != NULL && e->tx->index >= SOTTO_INDEX_MAX - 1)) {
		if ((r = epoch_step(e, e->cur->gen + 1, now_ms, &kr->cfg)) != 0)
			return r;
	}
	if (e->tx != NULL && memcmp(e->tx->session, session, SOTTO_JOIN_NONCE) != 0) {
		sotto_chain_free(e->tx);
		e->tx = NULL;
	}
	if (e->tx == NULL &&
	    (r = sotto_chain_start(&e->tx, e->cur, id_pub, session)) != 0)
		return r;
	*chain = e->tx;
	return 0;
}

/* The epoch a DAT of `epoch` belongs to, or its verdict. */
static int
epoch_for(struct sotto_keyring *kr, uint32_t epoch, uint64_t now,
    struct kr_epoch **out)
{
	*out = NULL;
	if (kr->cur == NULL || epoch > kr->cur->epoch)
		return SOTTO_V_DECRYPT;
	if (epoch == kr->cur->epoch) {
		*out = kr->cur;
		return 0;
	}
	if (kr->prev != NULL && epoch == kr->prev->epoch && now < kr->prev->expiry) {
		*out = kr->prev;
		return 0;
	}
	return SOTTO_V_STALE;
}

int
sotto_keyring_rx(struct sotto_keyring *kr, const struct sotto_dat2 *d,
    uint64_t now_ms, struct sotto_chain **chain)
{
	struct sotto_chain *fresh;
	struct kr_epoch *e;
	struct kr_chain *c;
	int r;

	*chain = NULL;
	if ((r = epoch_for(kr, d->epoch, now_ms, &e)) != 0)
		return r;
	if ((c = chain_find(e, d->id_pub, d->session, d->gen)) != NULL) {
		if (c->expiry != 0 && now_ms >= c->expiry) {
			chain_del(e, c);
			return SOTTO_V_DECRYPT;
		}
		*chain = c->ch;
		return 0;
	}
	/* A later generation of the current epoch moves ours too. */
	if (e == kr->cur && d->gen > e->cur->gen &&
	    (r = epoch_step(e, d->gen, now_ms, &kr->cfg)) != 0)
		return r == SOTTO_E_INVAL ? SOTTO_V_DECRYPT : r;
	if ((r = epoch_derive(e, d->id_pub, d->session, d->gen, now_ms, &fresh)) != 0)
		return r;
	if ((r = chain_add(e, fresh, chain)) != 0)
		return r == SOTTO_E_TOOLONG ? SOTTO_V_DECRYPT : r;
	return 0;
}

/* Every live chain of e below gen, into kr->handed (at most
 * SOTTO_CHAINS_MAX). */
static int
collect(struct sotto_keyring *kr, struct kr_epoch *e, uint32_t gen, uint64_t now,
    size_t *n)
{
	struct kr_chain *c, *tmp;

	*n = 0;
	free(kr->handed);
	if ((kr->handed = calloc(e->n_chains ? e->n_chains : 1,
	    sizeof(*kr->handed))) == NULL)
		return SOTTO_E_ALLOC;
	HASH_ITER(hh, e->chains, c, tmp) {
		if (*n >= SOTTO_CHAINS_MAX)
			break;
		if (c->ch->gen < gen && (c->expiry == 0 || now < c->expiry))
			kr->handed[(*n)++] = c->ch;
	}
	return 0;
}

int
sotto_keyring_handover(struct sotto_keyring *kr,
    const struct sotto_session_ref *present, size_t n_present, uint64_t now_ms,
    struct sotto_key2_src *src)
{
	struct sotto_chain *fresh, *held;
	struct kr_epoch *e = kr->cur;
	uint32_t g;
	size_t i, n;
	int r;

	memset(src, 0, sizeof(*src));
	if (e == NULL || e->cur->gen >= UINT32_MAX - 1)
		return SOTTO_E_INVAL;
	g = e->cur->gen;
	/* Our own chain where it stands, not from CK_0: the newcomer must
	 * not open what we sent in this generation before serving it. */
	if (e->tx != NULL && e->tx->gen == g &&
	    chain_find(e, e->tx->id_pub, e->tx->session, g) == NULL) {
		if ((r = sotto_chain_dup(&fresh, e->tx)) != 0 ||
		    (r = chain_add(e, fresh, &held)) != 0)
			return r;
	}
	for (i = 0; i < n_present; i++) {
		if (chain_find(e, present[i].id_pub, present[i].session, g) != NULL)
			continue;
		if ((r = sotto_chain_start(&fresh, e->cur, present[i].id_pub,
		    present[i].session)) != 0 || (r = chain_add(e, fresh, &held)) != 0)
			return r;
	}
	if ((r = epoch_step(e, g + 1, now_ms, &kr->cfg)) != 0 ||
	    (r = collect(kr, e, g + 1, now_ms, &n)) != 0)
		return r;
	src->kind = SOTTO_KEY2_HANDOVER;
	src->gk = e->cur;
	src->key_id = e->key_id;
	src->origin.reason = e->reason;
	src->origin.prev_epoch = e->prev_epoch;
	src->origin.prev_key_id = e->prev_key_id;
	src->chains = kr->handed;
	src->n_chains = n;
	return 0;
}

int
sotto_keyring_gen0(const struct sotto_keyring *kr, struct sotto_key2_src *src)
{
	const struct kr_epoch *e = kr->cur;
	const struct sotto_genkey *gk = NULL;

	memset(src, 0, sizeof(*src));
	if (e == NULL)
		return SOTTO_E_NOTFOUND;
	if (e->cur->gen == 0)
		gk = e->cur;
	else if (e->low != NULL && e->low->gen == 0)
		gk = e->low;
	if (gk == NULL)
		return SOTTO_E_NOTFOUND;
	src->kind = SOTTO_KEY2_ROTATION;
	src->gk = gk;
	src->key_id = e->key_id;
	src->origin.reason = e->reason;
	src->origin.prev_epoch = e->prev_epoch;
	src->origin.prev_key_id = e->prev_key_id;
	return 0;
}

static void
epoch_sweep(struct kr_epoch *e, uint64_t now)
{
	struct kr_chain *c, *tmp;

	if (e->low != NULL && now >= e->low_expiry) {
		sotto_genkey_free(e->low);
		e->low = NULL;
	}
	HASH_ITER(hh, e->chains, c, tmp)
		if (c->expiry != 0 && now >= c->expiry)
			chain_del(e, c);
}

void
sotto_keyring_sweep(struct sotto_keyring *kr, uint64_t now_ms)
{
	if (kr->prev != NULL && now_ms >= kr->prev->expiry) {
		epoch_free(kr->prev);
		kr->prev = NULL;
	}
	if (kr->prev != NULL)
		epoch_sweep(kr->prev, now_ms);
	if (kr->cur != NULL)
		epoch_sweep(kr->cur, now_ms);
}

size_t
sotto_keyring_chains(const struct sotto_keyring *kr)
{
	return (kr->cur ? kr->cur->n_chains : 0) + (kr->prev ? kr->prev->n_chains : 0);
}

static void
epoch_visit(const struct kr_epoch *e,
    void (*on_gen)(void *, const struct sotto_genkey *),
    void (*on_chain)(void *, const struct sotto_chain *), void *ctx)
{
	const struct kr_chain *c;

	if (e == NULL)
		return;
	on_gen(ctx, e->cur);
	if (e->low != NULL)
		on_gen(ctx, e->low);
	for (c = e->chains; c != NULL; c = c->hh.next)
		on_chain(ctx, c->ch);
	if (e->tx != NULL)
		on_chain(ctx, e->tx);
}

void
sotto_keyring_visit(const struct sotto_keyring *kr,
    void (*on_gen)(void *ctx, const struct sotto_genkey *g),
    void (*on_chain)(void *ctx, const struct sotto_chain *ch), void *ctx)
{
	epoch_visit(kr->cur, on_gen, on_chain, ctx);
	epoch_visit(kr->prev, on_gen, on_chain, ctx);
}

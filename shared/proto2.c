/* SPDX-License-Identifier: ISC */
/* proto2.c: v2 INI, KEY and DAT bodies: build, parse, sign, verify, seal and open (docs/protocol.md "Protocol v2"). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frame.h"
#include "pad.h"
#include "proto2.h"
#include "proto_priv.h"
#include "ratchet.h"
#include "wire-files.h"
#include "sshkey.h"
#include "trust.h"

static const uint8_t zeros[SOTTO_JOIN_NONCE];

static int
malformed(int r)
{
	return r == SOTTO_E_ALLOC ? r : SOTTO_V_MALFORMED;
}

/* The common start of every body of version >= 2 (after P for an INI):
 * u8 version, u8 flags/kind, id_pub. A version above ours is a newer
 * peer's frame (SOTTO_V_NEWER, id_pub set so trust can still be
 * checked); below 2 is not a v2 body at all. */
static int
read_head(struct sotto_rd *rd, uint8_t *version, uint8_t *kind,
    const uint8_t **id_pub)
{
	int r;

	if ((r = sotto_rd_u8(rd, version)) != 0 ||
	    (r = sotto_rd_u8(rd, kind)) != 0 ||
	    (r = sotto_rd_ptr(rd, id_pub, SOTTO_ED25519_PUB)) != 0)
		return malformed(r);
	if (*version < SOTTO_BODY_V2)
		return SOTTO_V_MALFORMED;
	if (*version > SOTTO_BODY_V2)
		return SOTTO_V_NEWER;
	return 0;
}

/* Trust decides first, so only a trusted key can make us say "newer". */
static int
trust_gate(int parsed, const struct sotto_trust *t, const uint8_t *id_pub,
    const struct sotto_peer **peer)
{
	*peer = NULL;
	if (parsed != 0 && parsed != SOTTO_V_NEWER)
		return parsed;
	if (id_pub == NULL || (*peer = sotto_body_trusted(t, id_pub)) == NULL)
		return parsed == SOTTO_V_NEWER && id_pub == NULL ?
		    SOTTO_V_MALFORMED : SOTTO_V_UNTRUSTED;
	return parsed;
}

/* --- INI v2 ---------------------------------------------------------------- */

int
sotto_ini2_build_unsigned(struct sotto_wbuf *out, const struct sotto_ini2 *f,
    const uint8_t pub[static SOTTO_ED25519_PUB], struct sotto_wbuf *m)
{
	size_t start;
	int r;

	if ((f->flags & ~SOTTO_INI2_FLAGS_KNOWN) != 0 ||
	    (f->epoch == 0) != (f->key_id == NULL ||
	    sotto_body_all_zero(f->key_id, SOTTO_KEY_ID)) ||
	    (f->epoch == 0 && f->gen != 0) || !sotto_body_modulus_ok(f->rsa_n))
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(m, SOTTO_LABEL2_INI, SOTTO_LABEL_LEN)) != 0)
		return r;
	start = m->len;
	if ((r = sotto_body_put_room(m, f->room, f->room_len)) != 0 ||
	    (r = sotto_wbuf_u8(m, SOTTO_BODY_V2)) != 0 ||
	    (r = sotto_wbuf_u8(m, f->flags)) != 0 ||
	    (r = sotto_wbuf_put(m, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_u32(m, f->ask)) != 0 ||
	    (r = sotto_wbuf_put(m, f->nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_put(m, f->to_nonce ? f->to_nonce : zeros,
	        SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u64(m, f->ts_ms)) != 0 ||
	    (r = sotto_wbuf_u32(m, f->epoch)) != 0 ||
	    (r = sotto_wbuf_put(m, f->key_id ? f->key_id : zeros, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u32(m, f->gen)) != 0 ||
	    (r = sotto_wbuf_u16(m, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_wbuf_put(m, f->rsa_n, SOTTO_RSA_MOD)) != 0)
		return r;
	return sotto_wbuf_put(out, m->p + start, m->len - start);
}

int
sotto_ini2_build(struct sotto_wbuf *out, const struct sotto_ini2 *f,
    const struct sotto_ed25519 *id)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if ((r = sotto_ini2_build_unsigned(out, f, sotto_ed25519_pub(id), &m)) == 0)
		r = sotto_body_sign_append(out, id, &m);
	sotto_wbuf_free(&m);
	return r;
}

int
sotto_ini2_parse(const uint8_t *body, size_t len, struct sotto_ini2 *ini)
{
	struct sotto_rd rd;
	size_t prefix;
	uint16_t n_len;
	int r;

	memset(ini, 0, sizeof(*ini));
	if (sotto_room_parse(body, len, &ini->room, &ini->room_len, &prefix) != 0)
		return SOTTO_V_MALFORMED;
	sotto_rd_init(&rd, body, len);
	if ((r = sotto_rd_skip(&rd, prefix)) != 0)
		return malformed(r);
	if ((r = read_head(&rd, &ini->version, &ini->flags, &ini->id_pub)) != 0)
		return r;
	if ((r = sotto_rd_u32(&rd, &ini->ask)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->to_nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u64(&rd, &ini->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ini->epoch)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ini->gen)) != 0 ||
	    (r = sotto_rd_u16(&rd, &n_len)) != 0)
		return malformed(r);
	if (n_len != SOTTO_RSA_MOD)
		return SOTTO_V_MALFORMED;
	if ((r = sotto_rd_ptr(&rd, &ini->rsa_n, SOTTO_RSA_MOD)) != 0)
		return malformed(r);
	ini->signed_len = len - sotto_rd_left(&rd);
	if ((r = sotto_rd_ptr(&rd, &ini->sig, SOTTO_ED25519_SIG)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return malformed(r);
	if ((ini->epoch == 0) != sotto_body_all_zero(ini->key_id, SOTTO_KEY_ID) ||
	    (ini->epoch == 0 && ini->gen != 0) || !sotto_body_modulus_ok(ini->rsa_n))
		return SOTTO_V_MALFORMED;
	/* Flags are checked last: a well-formed v2 INI with a flag we do not
	 * know comes from a newer minor revision. */
	if ((ini->flags & ~SOTTO_INI2_FLAGS_KNOWN) != 0)
		return SOTTO_V_NEWER;
	return 0;
}

int
sotto_ini2_check(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t, struct sotto_ini2 *ini,
    const struct sotto_peer **peer)
{
	int r;

	/* Parse first: trust_gate reads what it filled in. */
	r = sotto_ini2_parse(body, len, ini);
	if ((r = trust_gate(r, t, ini->id_pub, peer)) != 0)
		return r;
	if (!sotto_body_same_room(ini->room, ini->room_len, room, room_len))
		return SOTTO_V_NOTFORME;
	return 0;
}

int
sotto_ini2_finish(const struct sotto_ini2 *ini, const uint8_t *body, size_t len,
    uint64_t now_ms, uint64_t min_ts_ms)
{
	int r;

	if (ini->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	if ((r = sotto_body_verify(SOTTO_LABEL2_INI, NULL, 0, body, ini->signed_len,
	    ini->id_pub, ini->sig)) != 0)
		return r;
	return sotto_body_fresh(ini->ts_ms, now_ms, min_ts_ms);
}

int
sotto_ini2_for_session(const struct sotto_ini2 *ini,
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE])
{
	return ini->to_nonce != NULL &&
	    sotto_ct_memcmp(ini->to_nonce, own_nonce, SOTTO_JOIN_NONCE) == 0;
}

/* --- KEY v2 ---------------------------------------------------------------- */

/* Rules that tie kind, generation, origin and contents together; the
 * same on both sides. */
static int
key2_shape_ok(uint8_t kind, uint32_t epoch, uint32_t gen, uint8_t reason,
    uint32_t prev_epoch, const uint8_t *prev_key_id, size_t n_marks)
{
	int prev_zero = prev_epoch == 0 &&
	    (prev_key_id == NULL || sotto_body_all_zero(prev_key_id, SOTTO_KEY_ID));

	if (epoch == 0 || reason > SOTTO_REASON_MAX || n_marks > SOTTO_MARKS_MAX)
		return 0;
	/* Only a first joiner's epoch has no predecessor, and only it. */
	if ((reason == SOTTO_REASON_FIRST) != prev_zero)
		return 0;
	if (prev_epoch >= epoch)
		return 0;
	if (kind == SOTTO_KEY2_ROTATION)
		return gen == 0 && reason != SOTTO_REASON_FIRST && n_marks == 0;
	return kind == SOTTO_KEY2_HANDOVER;
}

/* Bytes per entry of the sealed list: chain states in a handover, the
 * fingerprints of removed identities in a rotation. */
static size_t
entry_len(uint8_t kind)
{
	return kind == SOTTO_KEY2_ROTATION ? SOTTO_FPR_LEN : SOTTO_CHAIN_STATE_LEN;
}

static int
put_chain_state(struct sotto_wbuf *pt, const struct sotto_genkey *gk,
    const struct sotto_chain *ch)
{
	int r;

	if (ch->epoch != gk->epoch || ch->gen >= gk->gen ||
	    ch->index == SOTTO_INDEX_MAX)
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(pt, ch->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(pt, ch->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u32(pt, ch->gen)) != 0 ||
	    (r = sotto_wbuf_u32(pt, ch->index)) != 0 ||
	    (r = sotto_wbuf_put(pt, ch->ck, SOTTO_CHAIN_KEY)) != 0)
		return r;
	return 0;
}

/* sealed plaintext: E_gen || u16 n || n entries (see entry_len). */
static int
put_sealed_plain(struct sotto_wbuf *pt, const struct sotto_key2_src *src)
{
	size_t i, n = src->kind == SOTTO_KEY2_ROTATION ? src->n_removed : src->n_chains;
	int r;

	if ((r = sotto_wbuf_put(pt, src->gk->key, SOTTO_GROUP_KEY)) != 0 ||
	    (r = sotto_wbuf_u16(pt, (uint16_t)n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++)
		r = src->kind == SOTTO_KEY2_ROTATION ?
		    sotto_wbuf_put(pt, src->removed[i], SOTTO_FPR_LEN) :
		    put_chain_state(pt, src->gk, src->chains[i]);
	return r;
}

/* The RSA wrap: T || u32 epoch || u32 gen. */
static int
wrap_tkey(const uint8_t *tkey, uint32_t epoch, uint32_t gen, const uint8_t *rsa_n,
    uint8_t out[static SOTTO_RSA_MOD])
{
	uint8_t *plain;
	int r;

	if ((plain = sotto_secure_alloc(SOTTO_WRAP2_PLAIN)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(plain, tkey, SOTTO_KEY2_TKEY);
	sotto_store_be32(plain + SOTTO_KEY2_TKEY, epoch);
	sotto_store_be32(plain + SOTTO_KEY2_TKEY + SOTTO_EPOCH_LEN, gen);
	r = sotto_rsa_wrap(rsa_n, SOTTO_RSA_MOD, SOTTO_RSA_E, plain,
	    SOTTO_WRAP2_PLAIN, out, SOTTO_RSA_MOD);
	sotto_secure_free(plain, SOTTO_WRAP2_PLAIN);
	return r;
}

static const uint8_t nonce_zero[SOTTO_GCM_NONCE];

/* m holds label || P || body up to the sealed part; append sealed_len,
 * the AES-GCM ciphertext under T and its tag. T is fresh per KEY, so the
 * zero nonce is used once per key. */
static int
put_sealed(struct sotto_wbuf *m, const uint8_t *tkey,
    const struct sotto_key2_src *src)
{
	struct sotto_wbuf pt;
	struct sotto_aead *a = NULL;
	size_t aad_len = m->len;
	uint8_t *ct;
	int r;

	sotto_wbuf_init_secure(&pt, SOTTO_KEY2_SEALED_MAX);
	if ((r = put_sealed_plain(&pt, src)) != 0 ||
	    (r = sotto_wbuf_u32(m, (uint32_t)pt.len)) != 0 ||
	    (r = sotto_wbuf_reserve(m, pt.len + SOTTO_GCM_TAG)) != 0 ||
	    (r = sotto_aead_new(&a, tkey)) != 0)
		goto out;
	ct = m->p + m->len;
	if ((r = sotto_aead_seal(a, nonce_zero, m->p, aad_len, pt.p, pt.len, ct,
	    ct + pt.len)) != 0)
		goto out;
	m->len += pt.len + SOTTO_GCM_TAG;
out:
	sotto_aead_free(a);
	sotto_wipe(pt.p, pt.len);
	sotto_wbuf_free(&pt);
	return r;
}

static int
key2_put_head(struct sotto_wbuf *m, const uint8_t *pub,
    const struct sotto_key2_src *src, const uint8_t *fpr, const uint8_t *to_nonce,
    uint64_t ts_ms)
{
	const struct sotto_epoch_origin *o = &src->origin;
	int r;

	if ((r = sotto_wbuf_u8(m, SOTTO_BODY_V2)) != 0 ||
	    (r = sotto_wbuf_u8(m, src->kind)) != 0 ||
	    (r = sotto_wbuf_put(m, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(m, fpr, SOTTO_FPR_LEN)) != 0 ||
	    (r = sotto_wbuf_put(m, to_nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u64(m, ts_ms)) != 0 ||
	    (r = sotto_wbuf_u32(m, src->gk->epoch)) != 0 ||
	    (r = sotto_wbuf_put(m, src->key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u32(m, src->gk->gen)) != 0 ||
	    (r = sotto_wbuf_u32(m, o->prev_epoch)) != 0 ||
	    (r = sotto_wbuf_put(m, o->prev_key_id ? o->prev_key_id : zeros,
	        SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u8(m, o->reason)) != 0)
		return r;
	return 0;
}

int
sotto_key2_build_unsigned(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_key2_src *src, const struct sotto_key_to *to,
    uint64_t ts_ms, struct sotto_wbuf *m)
{
	uint8_t fpr[SOTTO_FPR_LEN], wrapped[SOTTO_RSA_MOD], *tkey = NULL;
	size_t start, i;
	int r;

	if (!key2_shape_ok(src->kind, src->gk->epoch, src->gk->gen,
	    src->origin.reason, src->origin.prev_epoch, src->origin.prev_key_id,
	    src->n_marks) || src->n_chains > SOTTO_CHAINS_MAX ||
	    src->n_removed > SOTTO_CHAINS_MAX ||
	    (src->kind == SOTTO_KEY2_ROTATION && src->n_chains != 0) ||
	    (src->kind == SOTTO_KEY2_HANDOVER && src->n_removed != 0) ||
	    !sotto_body_modulus_ok(to->rsa_n))
		return SOTTO_E_INVAL;
	if ((tkey = sotto_secure_alloc(SOTTO_KEY2_TKEY)) == NULL)
		return SOTTO_E_ALLOC;
	sotto_random(tkey, SOTTO_KEY2_TKEY);
	sotto_fingerprint(to->pub, fpr);
	if ((r = wrap_tkey(tkey, src->gk->epoch, src->gk->gen, to->rsa_n,
	    wrapped)) != 0 ||
	    (r = sotto_body_put_domain(m, SOTTO_LABEL2_KEY, room, room_len)) != 0)
		goto out;
	start = m->len;
	if ((r = key2_put_head(m, pub, src, fpr, to->nonce, ts_ms)) != 0 ||
	    (r = sotto_wbuf_u16(m, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_wbuf_put(m, wrapped, sizeof(wrapped))) != 0 ||
	    (r = sotto_wbuf_u16(m, (uint16_t)src->n_marks)) != 0)
		goto out;
	for (i = 0; i < src->n_marks; i++)
		if ((r = sotto_wbuf_put(m, src->marks[i].id_pub, SOTTO_ED25519_PUB)) != 0 ||
		    (r = sotto_wbuf_put(m, src->marks[i].session, SOTTO_JOIN_NONCE)) != 0 ||
		    (r = sotto_wbuf_u64(m, src->marks[i].next)) != 0)
			goto out;
	if ((r = put_sealed(m, tkey, src)) != 0)
		goto out;
	r = sotto_wbuf_put(out, m->p + start, m->len - start);
out:
	sotto_secure_free(tkey, SOTTO_KEY2_TKEY);
	return r;
}

int
sotto_key2_build(struct sotto_wbuf *out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const struct sotto_key2_src *src,
    const struct sotto_key_to *to, uint64_t ts_ms)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if ((r = sotto_key2_build_unsigned(out, room, room_len,
	    sotto_ed25519_pub(id), src, to, ts_ms, &m)) == 0)
		r = sotto_body_sign_append(out, id, &m);
	sotto_wipe(m.p, m.len);
	sotto_wbuf_free(&m);
	return r;
}

static int
key2_read_fields(struct sotto_rd *rd, struct sotto_key2 *k)
{
	uint16_t w_len;
	int r;

	if ((r = sotto_rd_ptr(rd, &k->to_fpr, SOTTO_FPR_LEN)) != 0 ||
	    (r = sotto_rd_ptr(rd, &k->to_nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u64(rd, &k->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(rd, &k->epoch)) != 0 ||
	    (r = sotto_rd_ptr(rd, &k->key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_rd_u32(rd, &k->gen)) != 0 ||
	    (r = sotto_rd_u32(rd, &k->prev_epoch)) != 0 ||
	    (r = sotto_rd_ptr(rd, &k->prev_key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_rd_u8(rd, &k->reason)) != 0 ||
	    (r = sotto_rd_u16(rd, &w_len)) != 0)
		return malformed(r);
	if (w_len != SOTTO_RSA_MOD)
		return SOTTO_V_MALFORMED;
	if ((r = sotto_rd_ptr(rd, &k->wrapped, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_rd_u16(rd, &k->n_marks)) != 0)
		return malformed(r);
	if (k->n_marks > SOTTO_MARKS_MAX)
		return SOTTO_V_MALFORMED;
	if ((r = sotto_rd_ptr(rd, &k->marks,
	    (size_t)k->n_marks * SOTTO_MARK_LEN)) != 0)
		return malformed(r);
	return 0;
}

int
sotto_key2_parse(const uint8_t *body, size_t len, struct sotto_key2 *k)
{
	struct sotto_rd rd;
	uint32_t s_len;
	int r;

	memset(k, 0, sizeof(*k));
	sotto_rd_init(&rd, body, len);
	if ((r = read_head(&rd, &k->version, &k->kind, &k->id_pub)) != 0)
		return r;
	if (k->kind != SOTTO_KEY2_HANDOVER && k->kind != SOTTO_KEY2_ROTATION)
		return SOTTO_V_NEWER;
	if ((r = key2_read_fields(&rd, k)) != 0)
		return r;
	k->aad_len = len - sotto_rd_left(&rd);
	if ((r = sotto_rd_u32(&rd, &s_len)) != 0)
		return malformed(r);
	if (s_len < SOTTO_GROUP_KEY + 2u || s_len > SOTTO_KEY2_SEALED_MAX)
		return SOTTO_V_MALFORMED;
	k->sealed_len = s_len;
	if ((r = sotto_rd_ptr(&rd, &k->sealed, k->sealed_len)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &k->tag, SOTTO_GCM_TAG)) != 0)
		return malformed(r);
	k->signed_len = len - sotto_rd_left(&rd);
	if ((r = sotto_rd_ptr(&rd, &k->sig, SOTTO_ED25519_SIG)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return malformed(r);
	if (!key2_shape_ok(k->kind, k->epoch, k->gen, k->reason, k->prev_epoch,
	    k->prev_key_id, k->n_marks))
		return SOTTO_V_MALFORMED;
	/* The sealed part is E_gen || u16 n || n entries. */
	if ((k->sealed_len - SOTTO_GROUP_KEY - 2u) % entry_len(k->kind) != 0)
		return SOTTO_V_MALFORMED;
	return 0;
}

int
sotto_key2_mark(const struct sotto_key2 *k, size_t i, struct sotto_mark *m)
{
	struct sotto_rd rd;
	int r;

	memset(m, 0, sizeof(*m));
	if (i >= k->n_marks)
		return SOTTO_E_INVAL;
	sotto_rd_init(&rd, k->marks, (size_t)k->n_marks * SOTTO_MARK_LEN);
	if ((r = sotto_rd_skip(&rd, i * SOTTO_MARK_LEN)) != 0 ||
	    (r = sotto_rd_bytes(&rd, m->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_bytes(&rd, m->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u64(&rd, &m->next)) != 0)
		return malformed(r);
	return 0;
}

int
sotto_key2_check(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t,
    const uint8_t own_fpr[static SOTTO_FPR_LEN],
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE], struct sotto_key2 *k,
    const struct sotto_peer **peer, uint8_t digest[static SOTTO_SHA256_LEN])
{
	int r;

	memset(digest, 0, SOTTO_SHA256_LEN);
	r = sotto_key2_parse(body, len, k);
	if ((r = trust_gate(r, t, k->id_pub, peer)) != 0)
		return r;
	if (sotto_ct_memcmp(k->to_fpr, own_fpr, SOTTO_FPR_LEN) != 0 ||
	    sotto_ct_memcmp(k->to_nonce, own_nonce, SOTTO_JOIN_NONCE) != 0)
		return SOTTO_V_NOTFORME;
	return sotto_body_digest(SOTTO_LABEL2_KEY, room, room_len, body,
	    k->signed_len, digest);
}

/* T from the RSA wrap, checked against the signed epoch and gen. */
static int
unwrap_tkey(const struct sotto_key2 *k, const struct sotto_rsa *rsa, uint8_t *tkey)
{
	uint8_t *plain;
	size_t n = 0;
	int r;

	if ((plain = sotto_secure_alloc(SOTTO_WRAP2_PLAIN)) == NULL)
		return SOTTO_E_ALLOC;
	r = sotto_rsa_unwrap(rsa, k->wrapped, SOTTO_RSA_MOD, plain,
	    SOTTO_WRAP2_PLAIN, &n);
	if (r != SOTTO_E_ALLOC &&
	    (r != 0 || n != SOTTO_WRAP2_PLAIN ||
	    sotto_load_be32(plain + SOTTO_KEY2_TKEY) != k->epoch ||
	    sotto_load_be32(plain + SOTTO_KEY2_TKEY + SOTTO_EPOCH_LEN) != k->gen))
		r = SOTTO_V_DECRYPT;
	if (r == 0)
		memcpy(tkey, plain, SOTTO_KEY2_TKEY);
	sotto_secure_free(plain, SOTTO_WRAP2_PLAIN);
	return r;
}

/* One chain state from the opened plaintext. */
static int
read_chain(struct sotto_rd *rd, const struct sotto_key2 *k, struct sotto_chain **out)
{
	const uint8_t *pub, *sess, *ck;
	uint32_t gen, index;
	int r;

	if ((r = sotto_rd_ptr(rd, &pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_ptr(rd, &sess, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u32(rd, &gen)) != 0 ||
	    (r = sotto_rd_u32(rd, &index)) != 0 ||
	    (r = sotto_rd_ptr(rd, &ck, SOTTO_CHAIN_KEY)) != 0)
		return SOTTO_V_DECRYPT;
	/* A chain the newcomer could derive itself is not handed over, and
	 * none may claim a later generation than the key handed. */
	if (gen >= k->gen || index == SOTTO_INDEX_MAX)
		return SOTTO_V_DECRYPT;
	r = sotto_chain_from(out, ck, pub, sess, k->epoch, gen, index);
	return r == SOTTO_E_ALLOC ? r : r != 0 ? SOTTO_V_DECRYPT : 0;
}

static int
read_chains(const struct sotto_key2 *k, struct sotto_rd *rd, size_t n,
    struct sotto_key2_secret *s)
{
	size_t i;
	int r;

	if ((s->chains = calloc(n, sizeof(*s->chains))) == NULL)
		return SOTTO_E_ALLOC;
	for (i = 0; i < n; i++) {
		if ((r = read_chain(rd, k, &s->chains[i])) != 0)
			return r;
		s->n_chains++;
	}
	return 0;
}

static int
read_removed(struct sotto_rd *rd, size_t n, struct sotto_key2_secret *s)
{
	size_t i;

	if ((s->removed = calloc(n, sizeof(*s->removed))) == NULL)
		return SOTTO_E_ALLOC;
	for (i = 0; i < n; i++)
		if (sotto_rd_bytes(rd, s->removed[i], SOTTO_FPR_LEN) != 0)
			return SOTTO_V_DECRYPT;
	s->n_removed = n;
	return 0;
}

static int
read_secret(const struct sotto_key2 *k, const uint8_t *pt, size_t n,
    struct sotto_key2_secret *s)
{
	struct sotto_rd rd;
	const uint8_t *key;
	uint16_t count;
	int r;

	sotto_rd_init(&rd, pt, n);
	if (sotto_rd_ptr(&rd, &key, SOTTO_GROUP_KEY) != 0 ||
	    sotto_rd_u16(&rd, &count) != 0 || count > SOTTO_CHAINS_MAX ||
	    sotto_rd_left(&rd) != (size_t)count * entry_len(k->kind))
		return SOTTO_V_DECRYPT;
	if ((r = sotto_genkey_new(&s->gk, key, k->epoch, k->gen)) != 0)
		return r;
	if (count == 0)
		return 0;
	if (k->kind == SOTTO_KEY2_ROTATION)
		return read_removed(&rd, count, s);
	return read_chains(k, &rd, count, s);
}

/* The AAD is label || P || body[0..aad_len): rebuild it, open the sealed
 * part under T. */
static int
open_sealed(const struct sotto_key2 *k, const uint8_t *body, const uint8_t *room,
    size_t room_len, const uint8_t *tkey, struct sotto_key2_secret *s)
{
	struct sotto_wbuf aad, pt;
	struct sotto_aead *a = NULL;
	int r;

	sotto_wbuf_init(&aad, 0);
	sotto_wbuf_init_secure(&pt, k->sealed_len);
	if ((r = sotto_body_put_domain(&aad, SOTTO_LABEL2_KEY, room, room_len)) != 0 ||
	    (r = sotto_wbuf_put(&aad, body, k->aad_len)) != 0 ||
	    (r = sotto_wbuf_reserve(&pt, k->sealed_len)) != 0 ||
	    (r = sotto_aead_new(&a, tkey)) != 0)
		goto out;
	r = sotto_aead_open(a, nonce_zero, aad.p, aad.len, k->sealed, k->sealed_len,
	    k->tag, pt.p);
	if (r != 0) {
		r = r == SOTTO_E_ALLOC ? r : SOTTO_V_DECRYPT;
		goto out;
	}
	pt.len = k->sealed_len;
	r = read_secret(k, pt.p, pt.len, s);
out:
	sotto_aead_free(a);
	sotto_wipe(pt.p, pt.len);
	sotto_wbuf_free(&pt);
	sotto_wbuf_free(&aad);
	return r;
}

int
sotto_key2_finish(const struct sotto_key2 *k, const uint8_t *body, size_t len,
    const uint8_t *room, size_t room_len, const struct sotto_rsa *rsa,
    uint64_t now_ms, uint64_t min_ts_ms, struct sotto_key2_secret *out)
{
	uint8_t *tkey;
	int r;

	memset(out, 0, sizeof(*out));
	if (k->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	if ((r = sotto_body_verify(SOTTO_LABEL2_KEY, room, room_len, body,
	    k->signed_len, k->id_pub, k->sig)) != 0 ||
	    (r = sotto_body_fresh(k->ts_ms, now_ms, min_ts_ms)) != 0)
		return r;
	if (rsa == NULL)
		return SOTTO_V_DECRYPT;
	if ((tkey = sotto_secure_alloc(SOTTO_KEY2_TKEY)) == NULL)
		return SOTTO_E_ALLOC;
	if ((r = unwrap_tkey(k, rsa, tkey)) == 0)
		r = open_sealed(k, body, room, room_len, tkey, out);
	sotto_secure_free(tkey, SOTTO_KEY2_TKEY);
	if (r != 0)
		sotto_key2_secret_free(out);
	return r;
}

void
sotto_key2_secret_free(struct sotto_key2_secret *s)
{
	size_t i;

	sotto_genkey_free(s->gk);
	for (i = 0; i < s->n_chains; i++)
		sotto_chain_free(s->chains[i]);
	free(s->chains);
	free(s->removed);
	memset(s, 0, sizeof(*s));
}

/* --- DAT v2 ---------------------------------------------------------------- */

int
sotto_dat2_parse(const uint8_t *body, size_t len, struct sotto_dat2 *d)
{
	struct sotto_rd rd;
	uint32_t ct_len;
	int r;

	memset(d, 0, sizeof(*d));
	sotto_rd_init(&rd, body, len);
	if ((r = read_head(&rd, &d->version, &d->kind, &d->id_pub)) != 0)
		return r;
	if (d->kind != SOTTO_DAT2_MESSAGE)
		return SOTTO_V_NEWER;
	if ((r = sotto_rd_ptr(&rd, &d->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u32(&rd, &d->epoch)) != 0 ||
	    (r = sotto_rd_u32(&rd, &d->gen)) != 0 ||
	    (r = sotto_rd_u32(&rd, &d->index)) != 0 ||
	    (r = sotto_rd_u64(&rd, &d->counter)) != 0 ||
	    (r = sotto_rd_u64(&rd, &d->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ct_len)) != 0)
		return malformed(r);
	if (ct_len > SOTTO_DAT2_PT_MAX || d->epoch == 0 || d->counter == 0 ||
	    d->index == SOTTO_INDEX_MAX)
		return SOTTO_V_MALFORMED;
	d->ct_len = ct_len;
	if ((r = sotto_rd_ptr(&rd, &d->ct, d->ct_len)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &d->tag, SOTTO_GCM_TAG)) != 0)
		return malformed(r);
	d->signed_len = len - sotto_rd_left(&rd);
	if ((r = sotto_rd_ptr(&rd, &d->sig, SOTTO_ED25519_SIG)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return malformed(r);
	return 0;
}

int
sotto_dat2_check(const struct sotto_dat2 *d, const struct sotto_replay *p)
{
	if (d->counter <= p->highest)
		return SOTTO_V_REPLAY;
	if (d->counter < p->floor)
		return SOTTO_V_STALE;
	if (p->floor == 0 && d->ts_ms < p->min_ts_ms)
		return SOTTO_V_STALE;
	return 0;
}

/* nonce = 4 zero bytes || u64 counter. Each message has its own key, so
 * this is belt and braces: unique even if a chain key repeated. */
static void
dat2_nonce(uint8_t nonce[static SOTTO_GCM_NONCE], uint64_t counter)
{
	memset(nonce, 0, 4);
	sotto_store_be32(nonce + 4, (uint32_t)(counter >> 32));
	sotto_store_be32(nonce + 8, (uint32_t)counter);
}

struct sotto_dat2_tx {
	struct sotto_aead          *aead;    /* rekeyed per message */
	const struct sotto_ed25519 *id;      /* NULL: the caller signs (ssh-agent) */
	uint8_t                     pub[SOTTO_ED25519_PUB];
	uint8_t                     session[SOTTO_JOIN_NONCE];
	uint64_t                    next;
	size_t                      domain;  /* label || P bytes at the start of buf */
	struct sotto_wbuf           buf;     /* label || P || body, reused */
	struct sotto_wbuf           pt;      /* padded plaintext (secure), reused */
	uint8_t                    *mk;      /* message key (secure) */
};

static int
dat2_tx_make(struct sotto_dat2_tx **out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const uint8_t pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter)
{
	struct sotto_dat2_tx *tx;
	int r;

	*out = NULL;
	if (next_counter == 0)
		return SOTTO_E_INVAL;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_wbuf_init(&tx->buf, 0);
	sotto_wbuf_init_secure(&tx->pt, SOTTO_DAT2_PT_MAX);
	tx->id = id;
	memcpy(tx->pub, pub, SOTTO_ED25519_PUB);
	tx->next = next_counter;
	memcpy(tx->session, session, SOTTO_JOIN_NONCE);
	if ((tx->mk = sotto_secure_alloc(SOTTO_GROUP_KEY)) == NULL) {
		sotto_dat2_tx_free(tx);
		return SOTTO_E_ALLOC;
	}
	sotto_random(tx->mk, SOTTO_GROUP_KEY);   /* placeholder until the first seal */
	if ((r = sotto_body_put_domain(&tx->buf, SOTTO_LABEL2_DAT, room, room_len)) != 0 ||
	    (r = sotto_aead_new(&tx->aead, tx->mk)) != 0 ||
	    (r = sotto_wbuf_reserve(&tx->buf, SOTTO_DAT2_FIXED + 256)) != 0) {
		sotto_dat2_tx_free(tx);
		return r;
	}
	tx->domain = tx->buf.len;
	*out = tx;
	return 0;
}

int
sotto_dat2_tx_new(struct sotto_dat2_tx **out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const uint8_t session[static SOTTO_JOIN_NONCE],
    uint64_t next_counter)
{
	return dat2_tx_make(out, room, room_len, id, sotto_ed25519_pub(id), session,
	    next_counter);
}

int
sotto_dat2_tx_new_pub(struct sotto_dat2_tx **out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter)
{
	return dat2_tx_make(out, room, room_len, NULL, pub, session, next_counter);
}

void
sotto_dat2_tx_free(struct sotto_dat2_tx *tx)
{
	if (tx == NULL)
		return;
	sotto_aead_free(tx->aead);
	sotto_secure_free(tx->mk, SOTTO_GROUP_KEY);
	sotto_wbuf_free(&tx->pt);
	sotto_wipe(tx->buf.p, tx->buf.len);
	sotto_wbuf_free(&tx->buf);
	free(tx);
}

uint64_t
sotto_dat2_tx_next(const struct sotto_dat2_tx *tx)
{
	return tx->next;
}

static int
dat2_put_hdr(struct sotto_dat2_tx *tx, const struct sotto_chain *ch,
    uint32_t index, uint64_t ts_ms)
{
	struct sotto_wbuf *b = &tx->buf;
	int r;

	if ((r = sotto_wbuf_u8(b, SOTTO_BODY_V2)) != 0 ||
	    (r = sotto_wbuf_u8(b, SOTTO_DAT2_MESSAGE)) != 0 ||
	    (r = sotto_wbuf_put(b, tx->pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(b, tx->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u32(b, ch->epoch)) != 0 ||
	    (r = sotto_wbuf_u32(b, ch->gen)) != 0 ||
	    (r = sotto_wbuf_u32(b, index)) != 0 ||
	    (r = sotto_wbuf_u64(b, tx->next)) != 0 ||
	    (r = sotto_wbuf_u64(b, ts_ms)) != 0)
		return r;
	return 0;
}

size_t
sotto_dat2_body_max(uint8_t ctype)
{
	/* Text and the other room content (types below 32) keep the v1
	 * bound; a file chunk, alone or in a DM envelope, needs the rest. */
	if (ctype < SOTTO_CT_DMKEY)
		return SOTTO_TEXT_MAX;
	return SOTTO_DAT2_PT_MAX - SOTTO_PAD_HDR - SOTTO_PAD_MAX;
}

/* Pad, encrypt under the next key of our own chain and lay out label || P
 * || body-without-signature in tx->buf; the chain and the counter move
 * on, the message key is wiped whatever happens. */
static int
dat2_seal_body(struct sotto_dat2_tx *tx, struct sotto_chain *chain,
    uint64_t ts_ms, uint8_t ctype, const void *text, size_t n)
{
	struct sotto_wbuf *b = &tx->buf;
	uint8_t nonce[SOTTO_GCM_NONCE], *ct;
	uint32_t index;
	size_t aad_len;
	int r;

	if (n > sotto_dat2_body_max(ctype) || tx->next == UINT64_MAX)
		return SOTTO_E_TOOLONG;
	if (memcmp(chain->id_pub, tx->pub, SOTTO_ED25519_PUB) != 0 ||
	    memcmp(chain->session, tx->session, SOTTO_JOIN_NONCE) != 0)
		return SOTTO_E_INVAL;
	sotto_wbuf_reset(&tx->pt);
	b->len = tx->domain;
	if ((r = sotto_pad(&tx->pt, ctype, text, n)) != 0 ||
	    (r = sotto_chain_next(chain, &index, tx->mk)) != 0 ||
	    (r = sotto_aead_rekey(tx->aead, tx->mk)) != 0 ||
	    (r = dat2_put_hdr(tx, chain, index, ts_ms)) != 0)
		goto out;
	aad_len = b->len;
	if ((r = sotto_wbuf_u32(b, (uint32_t)tx->pt.len)) != 0 ||
	    (r = sotto_wbuf_reserve(b, tx->pt.len + SOTTO_GCM_TAG +
	        SOTTO_ED25519_SIG)) != 0)
		goto out;
	ct = b->p + b->len;
	dat2_nonce(nonce, tx->next);
	if ((r = sotto_aead_seal(tx->aead, nonce, b->p, aad_len, tx->pt.p,
	    tx->pt.len, ct, ct + tx->pt.len)) != 0)
		goto out;
	b->len += tx->pt.len + SOTTO_GCM_TAG;
	tx->next++;
out:
	/* The message key is used once: gone from memory as soon as sealed. */
	sotto_wipe(tx->mk, SOTTO_GROUP_KEY);
	sotto_wipe(tx->pt.p, tx->pt.len);
	sotto_wbuf_reset(&tx->pt);
	return r;
}

int
sotto_dat2_seal(struct sotto_dat2_tx *tx, struct sotto_chain *chain,
    uint64_t ts_ms, uint8_t ctype, const void *text, size_t n,
    const uint8_t **body, size_t *body_len)
{
	struct sotto_wbuf *b = &tx->buf;
	int r;

	*body = NULL;
	*body_len = 0;
	if (tx->id == NULL)
		return SOTTO_E_INVAL;
	if ((r = dat2_seal_body(tx, chain, ts_ms, ctype, text, n)) != 0)
		return r;
	if ((r = sotto_ed25519_sign(tx->id, b->p, b->len, b->p + b->len)) != 0)
		return r;
	b->len += SOTTO_ED25519_SIG;
	*body = b->p + tx->domain;
	*body_len = b->len - tx->domain;
	return 0;
}

int
sotto_dat2_seal_unsigned(struct sotto_dat2_tx *tx, struct sotto_chain *chain,
    uint64_t ts_ms, uint8_t ctype, const void *text, size_t n,
    const uint8_t **msg, size_t *msg_len, const uint8_t **body,
    size_t *body_len)
{
	struct sotto_wbuf *b = &tx->buf;
	int r;

	*msg = *body = NULL;
	*msg_len = *body_len = 0;
	if ((r = dat2_seal_body(tx, chain, ts_ms, ctype, text, n)) != 0)
		return r;
	*msg = b->p;
	*msg_len = b->len;
	*body = b->p + tx->domain;
	*body_len = b->len - tx->domain;
	return 0;
}

struct sotto_dat2_rx {
	size_t             domain;   /* label || P bytes at the start of sig */
	struct sotto_wbuf  sig;      /* label || P || signed body, reused */
	struct sotto_wbuf  pt;       /* plaintext (secure), reused */
	struct sotto_aead *aead;     /* rekeyed per message */
	uint8_t           *mk;       /* message key, then wiped (secure) */
	uint8_t           *next;     /* chain key after it until committed (secure) */
	const uint8_t     *vbody;    /* the body sig was last verified for */
	size_t             vlen;
};

int
sotto_dat2_rx_new(struct sotto_dat2_rx **out, const uint8_t *room, size_t room_len)
{
	struct sotto_dat2_rx *rx;
	int r;

	*out = NULL;
	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_wbuf_init(&rx->sig, 0);
	sotto_wbuf_init_secure(&rx->pt, SOTTO_DAT2_PT_MAX);
	if ((rx->mk = sotto_secure_alloc(SOTTO_GROUP_KEY)) == NULL ||
	    (rx->next = sotto_secure_alloc(SOTTO_CHAIN_KEY)) == NULL) {
		sotto_dat2_rx_free(rx);
		return SOTTO_E_ALLOC;
	}
	sotto_random(rx->mk, SOTTO_GROUP_KEY);
	if ((r = sotto_body_put_domain(&rx->sig, SOTTO_LABEL2_DAT, room, room_len)) != 0 ||
	    (r = sotto_aead_new(&rx->aead, rx->mk)) != 0) {
		sotto_dat2_rx_free(rx);
		return r;
	}
	sotto_wipe(rx->mk, SOTTO_GROUP_KEY);
	rx->domain = rx->sig.len;
	*out = rx;
	return 0;
}

void
sotto_dat2_rx_free(struct sotto_dat2_rx *rx)
{
	if (rx == NULL)
		return;
	sotto_aead_free(rx->aead);
	sotto_secure_free(rx->mk, SOTTO_GROUP_KEY);
	sotto_secure_free(rx->next, SOTTO_CHAIN_KEY);
	sotto_wipe(rx->pt.p, rx->pt.len);
	sotto_wbuf_free(&rx->pt);
	sotto_wbuf_free(&rx->sig);
	free(rx);
}

int
sotto_dat2_verify(struct sotto_dat2_rx *rx, const struct sotto_dat2 *d,
    const uint8_t *body, size_t len)
{
	int r;

	rx->vbody = NULL;
	if (d->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	rx->sig.len = rx->domain;
	if ((r = sotto_wbuf_put(&rx->sig, body, d->signed_len)) != 0)
		return r;
	if (sotto_ed25519_verify(d->id_pub, rx->sig.p, rx->sig.len, d->sig) != 0)
		return SOTTO_V_BADSIG;
	rx->vbody = body;
	rx->vlen = len;
	return 0;
}

static int
chain_matches(const struct sotto_chain *c, const struct sotto_dat2 *d)
{
	return c->epoch == d->epoch && c->gen == d->gen &&
	    memcmp(c->id_pub, d->id_pub, SOTTO_ED25519_PUB) == 0 &&
	    memcmp(c->session, d->session, SOTTO_JOIN_NONCE) == 0;
}

/* The message key of d->index into rx->mk, the chain key after it into
 * rx->next; the chain itself is untouched until the tag verifies. */
static int
dat2_key(struct sotto_dat2_rx *rx, const struct sotto_chain *c, uint32_t index)
{
	int r;

	if (index < c->index)
		return SOTTO_V_REPLAY;
	r = sotto_chain_peek(c, index, rx->mk, rx->next);
	if (r == SOTTO_E_TOOLONG || r == SOTTO_E_INVAL)
		return SOTTO_V_DECRYPT;
	if (r == 0 && (r = sotto_aead_rekey(rx->aead, rx->mk)) != 0)
		sotto_wipe(rx->next, SOTTO_CHAIN_KEY);
	sotto_wipe(rx->mk, SOTTO_GROUP_KEY);
	return r;
}

int
sotto_dat2_open(struct sotto_dat2_rx *rx, const struct sotto_dat2 *d,
    const uint8_t *body, size_t len, struct sotto_chain *chain,
    struct sotto_replay *p, uint8_t *ctype, const uint8_t **text, size_t *text_len)
{
	uint8_t nonce[SOTTO_GCM_NONCE];
	int r;

	*ctype = 0;
	*text = NULL;
	*text_len = 0;
	if (rx->vbody != body || rx->vlen != len || !chain_matches(chain, d))
		return SOTTO_E_INVAL;
	if ((r = sotto_dat2_check(d, p)) != 0 || (r = dat2_key(rx, chain, d->index)) != 0)
		return r;
	sotto_wipe(rx->pt.p, rx->pt.len);
	sotto_wbuf_reset(&rx->pt);
	if ((r = sotto_wbuf_reserve(&rx->pt, d->ct_len)) != 0)
		goto out;
	dat2_nonce(nonce, d->counter);
	/* The AAD is the start of the signature input left in rx->sig. */
	r = sotto_aead_open(rx->aead, nonce, rx->sig.p, rx->domain + SOTTO_DAT2_HDR,
	    d->ct, d->ct_len, d->tag, rx->pt.p);
	if (r != 0) {
		r = r == SOTTO_E_ALLOC ? r : SOTTO_V_DECRYPT;
		goto out;
	}
	/* Authentic: the key of this index and every one before it go. */
	sotto_chain_commit(chain, d->index, rx->next);
	p->highest = d->counter;
	rx->pt.len = d->ct_len;
	if (sotto_unpad(rx->pt.p, rx->pt.len, ctype, text, text_len) != 0 ||
	    *text_len > sotto_dat2_body_max(*ctype)) {
		*ctype = 0;
		*text = NULL;
		*text_len = 0;
		r = SOTTO_V_MALFORMED;
	}
out:
	sotto_wipe(rx->next, SOTTO_CHAIN_KEY);
	return r;
}

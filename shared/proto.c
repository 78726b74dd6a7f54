/* SPDX-License-Identifier: ISC */
/* proto.c: INI, KEY and DAT bodies: build, parse, sign, verify, seal and open (docs/protocol.md). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frame.h"
#include "pad.h"
#include "proto.h"
#include "proto_priv.h"
#include "sshkey.h"
#include "trust.h"

const char *
sotto_verdict_word(int v)
{
	switch (v) {
	case SOTTO_V_UNTRUSTED: return "untrusted-key";
	case SOTTO_V_BADSIG:    return "bad-signature";
	case SOTTO_V_REPLAY:    return "replay";
	case SOTTO_V_STALE:     return "stale";
	case SOTTO_V_DECRYPT:   return "decrypt-failed";
	case SOTTO_V_MALFORMED: return "malformed";
	case SOTTO_V_NOTFORME:  return "not-for-me";
	}
	return NULL;
}

/* Parse failures all mean the same thing to a receiver. */
static int
malformed(int r)
{
	return r == SOTTO_E_ALLOC ? r : SOTTO_V_MALFORMED;
}

/* --- group key ----------------------------------------------------------- */

int
sotto_key_id(const uint8_t key[static SOTTO_GROUP_KEY], uint8_t id[static SOTTO_KEY_ID])
{
	uint8_t mac[SOTTO_SHA256_LEN];
	int r;

	r = sotto_hmac_sha256(mac, key, SOTTO_GROUP_KEY, SOTTO_LABEL_KEY_ID,
	    SOTTO_LABEL_KEY_ID_LEN);
	memcpy(id, mac, SOTTO_KEY_ID);
	sotto_wipe(mac, sizeof(mac));
	return r;
}

int
sotto_group_from(struct sotto_group **out, const uint8_t key[static SOTTO_GROUP_KEY],
    uint32_t epoch)
{
	struct sotto_group *g;
	int r;

	*out = NULL;
	if (epoch == 0)
		return SOTTO_E_INVAL;
	if ((g = sotto_secure_alloc(sizeof(*g))) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(g->key, key, SOTTO_GROUP_KEY);
	g->epoch = epoch;
	if ((r = sotto_key_id(g->key, g->key_id)) != 0) {
		sotto_group_free(g);
		return r;
	}
	*out = g;
	return 0;
}

int
sotto_group_generate(struct sotto_group **out, uint32_t epoch)
{
	uint8_t *key;
	int r;

	*out = NULL;
	if ((key = sotto_secure_alloc(SOTTO_GROUP_KEY)) == NULL)
		return SOTTO_E_ALLOC;
	sotto_random(key, SOTTO_GROUP_KEY);
	r = sotto_group_from(out, key, epoch);
	sotto_secure_free(key, SOTTO_GROUP_KEY);
	return r;
}

int
sotto_group_dup(struct sotto_group **out, const struct sotto_group *g)
{
	return sotto_group_from(out, g->key, g->epoch);
}

void
sotto_group_free(struct sotto_group *g)
{
	sotto_secure_free(g, sizeof(*g));
}

int
sotto_group_cmp(uint32_t ea, const uint8_t ka[static SOTTO_KEY_ID], uint32_t eb,
    const uint8_t kb[static SOTTO_KEY_ID])
{
	int c;

	if (ea != eb)
		return ea > eb ? 1 : -1;
	c = memcmp(ka, kb, SOTTO_KEY_ID);
	return c < 0 ? 1 : c > 0 ? -1 : 0;
}

/* --- signatures ---------------------------------------------------------- */

/* u8 room_len || room: the room prefix P. */
static int
put_room(struct sotto_wbuf *b, const uint8_t *room, size_t room_len)
{
	int r;

	if (room_len < SOTTO_ROOM_MIN || room_len > SOTTO_ROOM_MAX)
		return SOTTO_E_ROOM;
	if ((r = sotto_wbuf_u8(b, (uint8_t)room_len)) != 0 ||
	    (r = sotto_wbuf_put(b, room, room_len)) != 0)
		return r;
	return 0;
}

/* label || P: the start of every KEY and DAT signature input. */
static int
put_domain(struct sotto_wbuf *b, const char *label, const uint8_t *room,
    size_t room_len)
{
	int r;

	if ((r = sotto_wbuf_put(b, label, SOTTO_LABEL_LEN)) != 0)
		return r;
	return put_room(b, room, room_len);
}

/* Verify sig over label || [P] || body[0..signed_len). INI bodies start
 * with P already, so room is NULL for them. */
static int
verify_body(const char *label, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t signed_len, const uint8_t *pub,
    const uint8_t *sig)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if (room != NULL)
		r = put_domain(&m, label, room, room_len);
	else
		r = sotto_wbuf_put(&m, label, SOTTO_LABEL_LEN);
	if (r == 0)
		r = sotto_wbuf_put(&m, body, signed_len);
	if (r == 0)
		r = sotto_ed25519_verify(pub, m.p, m.len, sig) == 0 ? 0 : SOTTO_V_BADSIG;
	sotto_wbuf_free(&m);
	return r;
}

/* Sign m (label || [P] || body so far) and append the signature to out. */
static int
sign_append(struct sotto_wbuf *out, const struct sotto_ed25519 *id,
    const struct sotto_wbuf *m)
{
	uint8_t sig[SOTTO_ED25519_SIG];
	int r;

	if ((r = sotto_ed25519_sign(id, m->p, m->len, sig)) != 0)
		return r;
	return sotto_wbuf_put(out, sig, sizeof(sig));
}

static const struct sotto_peer *
trusted(const struct sotto_trust *t, const uint8_t *pub)
{
	return t == NULL ? NULL : sotto_trust_find(t, pub);
}

/* Timestamps of INI and KEY: within now +- window and not below min. */
static int
fresh(uint64_t ts_ms, uint64_t now_ms, uint64_t min_ts_ms)
{
	if (ts_ms > now_ms + SOTTO_INI_WINDOW_MS)
		return SOTTO_V_STALE;
	if (now_ms > SOTTO_INI_WINDOW_MS && ts_ms < now_ms - SOTTO_INI_WINDOW_MS)
		return SOTTO_V_STALE;
	if (ts_ms < min_ts_ms)
		return SOTTO_V_STALE;
	return 0;
}

/* An RSA-4096 modulus must really have 4096 bits and be odd. */
static int
modulus_ok(const uint8_t n[static SOTTO_RSA_MOD])
{
	return (n[0] & 0x80) != 0 && (n[SOTTO_RSA_MOD - 1] & 1) != 0;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* --- INI ----------------------------------------------------------------- */

static const uint8_t zero_key_id[SOTTO_KEY_ID];

int
sotto_ini_build_unsigned(struct sotto_wbuf *out, const struct sotto_ini *f,
    const uint8_t pub[static SOTTO_ED25519_PUB], struct sotto_wbuf *m)
{
	size_t start;
	int r;

	if (f->flags & ~SOTTO_INI_FLAGS_KNOWN)
		return SOTTO_E_INVAL;
	if ((f->epoch == 0) != (f->key_id == NULL || all_zero(f->key_id, SOTTO_KEY_ID)))
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(m, SOTTO_LABEL_INI, SOTTO_LABEL_LEN)) != 0)
		return r;
	start = m->len;
	if ((r = put_room(m, f->room, f->room_len)) != 0)
		return r;
	if ((r = sotto_wbuf_u8(m, f->flags)) != 0 ||
	    (r = sotto_wbuf_u32(m, f->ask)) != 0 ||
	    (r = sotto_wbuf_put(m, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(m, f->nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u64(m, f->ts_ms)) != 0 ||
	    (r = sotto_wbuf_u32(m, f->epoch)) != 0 ||
	    (r = sotto_wbuf_put(m, f->key_id ? f->key_id : zero_key_id,
	        SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u16(m, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_wbuf_put(m, f->rsa_n, SOTTO_RSA_MOD)) != 0)
		return r;
	return sotto_wbuf_put(out, m->p + start, m->len - start);
}

int
sotto_ini_build(struct sotto_wbuf *out, const struct sotto_ini *f,
    const struct sotto_ed25519 *id)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if ((r = sotto_ini_build_unsigned(out, f, sotto_ed25519_pub(id), &m)) == 0)
		r = sign_append(out, id, &m);
	sotto_wbuf_free(&m);
	return r;
}

int
sotto_ini_parse(const uint8_t *body, size_t len, struct sotto_ini *ini)
{
	struct sotto_rd rd;
	size_t prefix;
	uint16_t n_len;
	int r;

	memset(ini, 0, sizeof(*ini));
	if ((r = sotto_room_parse(body, len, &ini->room, &ini->room_len,
	    &prefix)) != 0)
		return SOTTO_V_MALFORMED;
	sotto_rd_init(&rd, body, len);
	if ((r = sotto_rd_skip(&rd, prefix)) != 0 ||
	    (r = sotto_rd_u8(&rd, &ini->flags)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ini->ask)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u64(&rd, &ini->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ini->epoch)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &ini->key_id, SOTTO_KEY_ID)) != 0 ||
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
	if ((ini->flags & ~SOTTO_INI_FLAGS_KNOWN) != 0 ||
	    (ini->epoch == 0) != all_zero(ini->key_id, SOTTO_KEY_ID) ||
	    !modulus_ok(ini->rsa_n))
		return SOTTO_V_MALFORMED;
	return 0;
}

int
sotto_ini_verify(const struct sotto_ini *ini, const uint8_t *body, size_t len)
{
	if (ini->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	return verify_body(SOTTO_LABEL_INI, NULL, 0, body, ini->signed_len,
	    ini->id_pub, ini->sig);
}

static int
same_room(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

int
sotto_ini_accept(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t, uint64_t now_ms,
    uint64_t min_ts_ms, struct sotto_ini *ini, const struct sotto_peer **peer)
{
	int r;

	*peer = NULL;
	if ((r = sotto_ini_parse(body, len, ini)) != 0)
		return r;
	if ((*peer = trusted(t, ini->id_pub)) == NULL)
		return SOTTO_V_UNTRUSTED;
	if ((r = sotto_ini_verify(ini, body, len)) != 0)
		return r;
	if (!same_room(ini->room, ini->room_len, room, room_len))
		return SOTTO_V_NOTFORME;
	return fresh(ini->ts_ms, now_ms, min_ts_ms);
}

/* --- roster and LEFT ----------------------------------------------------- */

int
sotto_roster_parse(const uint8_t *body, size_t len, struct sotto_roster *ro)
{
	size_t prefix;
	int r;

	memset(ro, 0, sizeof(*ro));
	if (sotto_room_parse(body, len, &ro->room, &ro->room_len, &prefix) != 0)
		return SOTTO_V_MALFORMED;
	sotto_rd_init(&ro->ids, body, len);
	if ((r = sotto_rd_skip(&ro->ids, prefix)) != 0 ||
	    (r = sotto_rd_u32(&ro->ids, &ro->count)) != 0)
		return malformed(r);
	/* Exactly count ids follow: compare by division, no overflow. */
	if (sotto_rd_left(&ro->ids) % SOTTO_ID_LEN != 0 ||
	    sotto_rd_left(&ro->ids) / SOTTO_ID_LEN != ro->count)
		return SOTTO_V_MALFORMED;
	return 0;
}

int
sotto_roster_build(struct sotto_wbuf *out, const uint8_t *room, size_t room_len,
    const uint32_t *ids, uint32_t n)
{
	uint32_t i;
	int r;

	if ((r = put_room(out, room, room_len)) != 0 ||
	    (r = sotto_wbuf_u32(out, n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = sotto_wbuf_u32(out, ids[i])) != 0)
			return r;
	return 0;
}

int
sotto_left_parse(const uint8_t *body, size_t len, uint32_t *id)
{
	struct sotto_rd rd;
	int r;

	sotto_rd_init(&rd, body, len);
	if ((r = sotto_rd_u32(&rd, id)) != 0 || (r = sotto_rd_end(&rd)) != 0)
		return malformed(r);
	return 0;
}

/* --- KEY ----------------------------------------------------------------- */

/* The wrap: group key || u32 epoch, RSA-OAEP-SHA256 to the session key. */
static int
key_wrap(const struct sotto_group *g, const uint8_t *rsa_n,
    uint8_t out[static SOTTO_RSA_MOD])
{
	uint8_t *plain;
	int r;

	if ((plain = sotto_secure_alloc(SOTTO_WRAP_PLAIN)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(plain, g->key, SOTTO_GROUP_KEY);
	sotto_store_be32(plain + SOTTO_GROUP_KEY, g->epoch);
	r = sotto_rsa_wrap(rsa_n, SOTTO_RSA_MOD, SOTTO_RSA_E, plain,
	    SOTTO_WRAP_PLAIN, out, SOTTO_RSA_MOD);
	sotto_secure_free(plain, SOTTO_WRAP_PLAIN);
	return r;
}

static int
put_mark(struct sotto_wbuf *b, const struct sotto_mark *m)
{
	int r;

	if ((r = sotto_wbuf_put(b, m->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(b, m->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u64(b, m->next)) != 0)
		return r;
	return 0;
}

int
sotto_key_build_unsigned(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_group *g, const struct sotto_key_to *to, uint64_t ts_ms,
    const struct sotto_mark *marks, size_t n_marks, struct sotto_wbuf *m)
{
	uint8_t fpr[SOTTO_FPR_LEN], wrapped[SOTTO_RSA_MOD];
	size_t start, i;
	int r;

	if (n_marks > SOTTO_MARKS_MAX || !modulus_ok(to->rsa_n))
		return SOTTO_E_INVAL;
	if ((r = key_wrap(g, to->rsa_n, wrapped)) != 0)
		return r;
	sotto_fingerprint(to->pub, fpr);
	if ((r = put_domain(m, SOTTO_LABEL_KEY, room, room_len)) != 0)
		return r;
	start = m->len;
	if ((r = sotto_wbuf_put(m, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(m, fpr, sizeof(fpr))) != 0 ||
	    (r = sotto_wbuf_put(m, to->nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u64(m, ts_ms)) != 0 ||
	    (r = sotto_wbuf_u32(m, g->epoch)) != 0 ||
	    (r = sotto_wbuf_put(m, g->key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u16(m, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_wbuf_put(m, wrapped, sizeof(wrapped))) != 0 ||
	    (r = sotto_wbuf_u16(m, (uint16_t)n_marks)) != 0)
		return r;
	for (i = 0; i < n_marks; i++)
		if ((r = put_mark(m, &marks[i])) != 0)
			return r;
	return sotto_wbuf_put(out, m->p + start, m->len - start);
}

int
sotto_key_build(struct sotto_wbuf *out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const struct sotto_group *g,
    const struct sotto_key_to *to, uint64_t ts_ms,
    const struct sotto_mark *marks, size_t n_marks)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if ((r = sotto_key_build_unsigned(out, room, room_len,
	    sotto_ed25519_pub(id), g, to, ts_ms, marks, n_marks, &m)) == 0)
		r = sign_append(out, id, &m);
	sotto_wbuf_free(&m);
	return r;
}

int
sotto_key_parse(const uint8_t *body, size_t len, struct sotto_key *k)
{
	struct sotto_rd rd;
	uint16_t w_len;
	int r;

	memset(k, 0, sizeof(*k));
	sotto_rd_init(&rd, body, len);
	if ((r = sotto_rd_ptr(&rd, &k->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &k->to_fpr, SOTTO_FPR_LEN)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &k->to_nonce, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u64(&rd, &k->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(&rd, &k->epoch)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &k->key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_rd_u16(&rd, &w_len)) != 0)
		return malformed(r);
	if (w_len != SOTTO_RSA_MOD)
		return SOTTO_V_MALFORMED;
	if ((r = sotto_rd_ptr(&rd, &k->wrapped, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_rd_u16(&rd, &k->n_marks)) != 0)
		return malformed(r);
	if (k->n_marks > SOTTO_MARKS_MAX || k->epoch == 0)
		return SOTTO_V_MALFORMED;
	if ((r = sotto_rd_ptr(&rd, &k->marks,
	    (size_t)k->n_marks * SOTTO_MARK_LEN)) != 0)
		return malformed(r);
	k->signed_len = len - sotto_rd_left(&rd);
	if ((r = sotto_rd_ptr(&rd, &k->sig, SOTTO_ED25519_SIG)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return malformed(r);
	return 0;
}

int
sotto_key_verify(const struct sotto_key *k, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t len)
{
	if (k->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	return verify_body(SOTTO_LABEL_KEY, room, room_len, body, k->signed_len,
	    k->id_pub, k->sig);
}

int
sotto_key_digest(const struct sotto_key *k, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t len, uint8_t out[static SOTTO_SHA256_LEN])
{
	if (k->signed_len + SOTTO_ED25519_SIG != len)
		return SOTTO_E_INVAL;
	return sotto_body_digest(SOTTO_LABEL_KEY, room, room_len, body,
	    k->signed_len, out);
}

int
sotto_key_mark(const struct sotto_key *k, size_t i, struct sotto_mark *m)
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

/* Unwrap and check the wrap against what the keyholder signed. */
static int
key_unwrap(const struct sotto_key *k, const struct sotto_rsa *rsa,
    struct sotto_group **group)
{
	uint8_t *plain;
	size_t n = 0;
	int r;

	if ((plain = sotto_secure_alloc(SOTTO_WRAP_PLAIN)) == NULL)
		return SOTTO_E_ALLOC;
	r = sotto_rsa_unwrap(rsa, k->wrapped, SOTTO_RSA_MOD, plain,
	    SOTTO_WRAP_PLAIN, &n);
	if (r == SOTTO_E_ALLOC)
		goto out;
	if (r != 0 || n != SOTTO_WRAP_PLAIN ||
	    sotto_load_be32(plain + SOTTO_GROUP_KEY) != k->epoch) {
		r = SOTTO_V_DECRYPT;
		goto out;
	}
	if ((r = sotto_group_from(group, plain, k->epoch)) != 0)
		goto out;
	if (sotto_ct_memcmp((*group)->key_id, k->key_id, SOTTO_KEY_ID) != 0) {
		sotto_group_free(*group);
		*group = NULL;
		r = SOTTO_V_DECRYPT;
	}
out:
	sotto_secure_free(plain, SOTTO_WRAP_PLAIN);
	return r;
}

int
sotto_key_accept(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t,
    const uint8_t own_fpr[static SOTTO_FPR_LEN],
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE],
    const struct sotto_rsa *rsa, uint64_t now_ms, uint64_t min_ts_ms,
    struct sotto_key *k, const struct sotto_peer **peer,
    struct sotto_group **group)
{
	int r;

	*peer = NULL;
	*group = NULL;
	if ((r = sotto_key_parse(body, len, k)) != 0)
		return r;
	if ((*peer = trusted(t, k->id_pub)) == NULL)
		return SOTTO_V_UNTRUSTED;
	if ((r = sotto_key_verify(k, room, room_len, body, len)) != 0)
		return r;
	if (sotto_ct_memcmp(k->to_fpr, own_fpr, SOTTO_FPR_LEN) != 0 ||
	    sotto_ct_memcmp(k->to_nonce, own_nonce, SOTTO_JOIN_NONCE) != 0)
		return SOTTO_V_NOTFORME;
	if ((r = fresh(k->ts_ms, now_ms, min_ts_ms)) != 0)
		return r;
	if (rsa == NULL)
		return SOTTO_V_DECRYPT;
	return key_unwrap(k, rsa, group);
}

/* --- DAT ----------------------------------------------------------------- */

int
sotto_dat_parse(const uint8_t *body, size_t len, struct sotto_dat *d)
{
	struct sotto_rd rd;
	uint32_t ct_len;
	int r;

	memset(d, 0, sizeof(*d));
	sotto_rd_init(&rd, body, len);
	if ((r = sotto_rd_ptr(&rd, &d->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_ptr(&rd, &d->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_rd_u32(&rd, &d->epoch)) != 0 ||
	    (r = sotto_rd_u64(&rd, &d->counter)) != 0 ||
	    (r = sotto_rd_u64(&rd, &d->ts_ms)) != 0 ||
	    (r = sotto_rd_u32(&rd, &ct_len)) != 0)
		return malformed(r);
	if (ct_len > SOTTO_DAT_PT_MAX || d->epoch == 0 || d->counter == 0)
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
sotto_dat_subkey(struct sotto_aead **out, const struct sotto_group *g,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE])
{
	uint8_t in[SOTTO_LABEL_DAT_KEY_LEN + SOTTO_EPOCH_LEN + SOTTO_ED25519_PUB +
	    SOTTO_JOIN_NONCE];
	uint8_t *sub;
	size_t o = 0;
	int r;

	*out = NULL;
	memcpy(in, SOTTO_LABEL_DAT_KEY, SOTTO_LABEL_DAT_KEY_LEN);
	o += SOTTO_LABEL_DAT_KEY_LEN;
	sotto_store_be32(in + o, g->epoch);
	o += SOTTO_EPOCH_LEN;
	memcpy(in + o, id_pub, SOTTO_ED25519_PUB);
	o += SOTTO_ED25519_PUB;
	memcpy(in + o, session, SOTTO_JOIN_NONCE);
	if ((sub = sotto_secure_alloc(SOTTO_SHA256_LEN)) == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_hmac_sha256(sub, g->key, SOTTO_GROUP_KEY, in, sizeof(in))) == 0)
		r = sotto_aead_new(out, sub);
	sotto_secure_free(sub, SOTTO_SHA256_LEN);
	return r;
}

/* nonce = 4 zero bytes || u64 counter: unique per subkey because the
 * counter never repeats within a session. */
static void
dat_nonce(uint8_t nonce[static SOTTO_GCM_NONCE], uint64_t counter)
{
	memset(nonce, 0, 4);
	sotto_store_be32(nonce + 4, (uint32_t)(counter >> 32));
	sotto_store_be32(nonce + 8, (uint32_t)counter);
}

struct sotto_dat_tx {
	struct sotto_aead          *aead;
	const struct sotto_ed25519 *id;      /* NULL: signed by the caller */
	uint8_t                     pub[SOTTO_ED25519_PUB];
	uint8_t                     session[SOTTO_JOIN_NONCE];
	uint32_t                    epoch;
	uint64_t                    next;
	size_t                      domain;  /* label || P bytes at the start of buf */
	struct sotto_wbuf           buf;     /* label || P || body, reused */
	struct sotto_wbuf           pt;      /* padded plaintext (secure), reused */
};

static int
dat_tx_make(struct sotto_dat_tx **out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_group *g, const uint8_t session[static SOTTO_JOIN_NONCE],
    uint64_t next_counter)
{
	struct sotto_dat_tx *tx;
	int r;

	*out = NULL;
	if (next_counter == 0)
		return SOTTO_E_INVAL;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_wbuf_init(&tx->buf, 0);
	sotto_wbuf_init_secure(&tx->pt, SOTTO_DAT_PT_MAX);
	tx->id = id;
	memcpy(tx->pub, pub, SOTTO_ED25519_PUB);
	tx->epoch = g->epoch;
	tx->next = next_counter;
	memcpy(tx->session, session, SOTTO_JOIN_NONCE);
	if ((r = put_domain(&tx->buf, SOTTO_LABEL_DAT, room, room_len)) != 0 ||
	    (r = sotto_dat_subkey(&tx->aead, g, pub, session)) != 0 ||
	    (r = sotto_wbuf_reserve(&tx->buf, SOTTO_DAT_FIXED + 256)) != 0) {
		sotto_dat_tx_free(tx);
		return r;
	}
	tx->domain = tx->buf.len;
	*out = tx;
	return 0;
}

int
sotto_dat_tx_new(struct sotto_dat_tx **out, const uint8_t *room, size_t room_len,
    const struct sotto_ed25519 *id, const struct sotto_group *g,
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter)
{
	return dat_tx_make(out, room, room_len, id, sotto_ed25519_pub(id), g,
	    session, next_counter);
}

int
sotto_dat_tx_new_pub(struct sotto_dat_tx **out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_group *g, const uint8_t session[static SOTTO_JOIN_NONCE],
    uint64_t next_counter)
{
	return dat_tx_make(out, room, room_len, NULL, pub, g, session,
	    next_counter);
}

void
sotto_dat_tx_free(struct sotto_dat_tx *tx)
{
	if (tx == NULL)
		return;
	sotto_aead_free(tx->aead);
	sotto_wbuf_free(&tx->pt);
	sotto_wipe(tx->buf.p, tx->buf.len);
	sotto_wbuf_free(&tx->buf);
	free(tx);
}

uint64_t
sotto_dat_tx_next(const struct sotto_dat_tx *tx)
{
	return tx->next;
}

/* Pad, encrypt, and lay out label || P || body-without-signature in
 * tx->buf; the counter moves on. */
static int
dat_seal_body(struct sotto_dat_tx *tx, uint64_t ts_ms, uint8_t ctype,
    const void *text, size_t n)
{
	struct sotto_wbuf *b = &tx->buf;
	uint8_t nonce[SOTTO_GCM_NONCE], *ct;
	size_t aad_len;
	int r;

	if (n > SOTTO_TEXT_MAX || tx->next == UINT64_MAX)
		return SOTTO_E_TOOLONG;
	sotto_wbuf_reset(&tx->pt);
	b->len = tx->domain;
	if ((r = sotto_pad(&tx->pt, ctype, text, n)) != 0)
		goto out;
	if ((r = sotto_wbuf_put(b, tx->pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(b, tx->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u32(b, tx->epoch)) != 0 ||
	    (r = sotto_wbuf_u64(b, tx->next)) != 0 ||
	    (r = sotto_wbuf_u64(b, ts_ms)) != 0)
		goto out;
	aad_len = b->len;
	if ((r = sotto_wbuf_u32(b, (uint32_t)tx->pt.len)) != 0 ||
	    (r = sotto_wbuf_reserve(b, tx->pt.len + SOTTO_GCM_TAG +
	        SOTTO_ED25519_SIG)) != 0)
		goto out;
	ct = b->p + b->len;
	dat_nonce(nonce, tx->next);
	if ((r = sotto_aead_seal(tx->aead, nonce, b->p, aad_len, tx->pt.p,
	    tx->pt.len, ct, ct + tx->pt.len)) != 0)
		goto out;
	b->len += tx->pt.len + SOTTO_GCM_TAG;
	tx->next++;
out:
	sotto_wipe(tx->pt.p, tx->pt.len);
	sotto_wbuf_reset(&tx->pt);
	return r;
}

int
sotto_dat_seal(struct sotto_dat_tx *tx, uint64_t ts_ms, uint8_t ctype,
    const void *text, size_t n, const uint8_t **body, size_t *body_len)
{
	struct sotto_wbuf *b = &tx->buf;
	int r;

	*body = NULL;
	*body_len = 0;
	if (tx->id == NULL)
		return SOTTO_E_INVAL;
	if ((r = dat_seal_body(tx, ts_ms, ctype, text, n)) != 0)
		return r;
	if ((r = sotto_ed25519_sign(tx->id, b->p, b->len, b->p + b->len)) != 0)
		return r;
	b->len += SOTTO_ED25519_SIG;
	*body = b->p + tx->domain;
	*body_len = b->len - tx->domain;
	return 0;
}

int
sotto_dat_seal_unsigned(struct sotto_dat_tx *tx, uint64_t ts_ms, uint8_t ctype,
    const void *text, size_t n, const uint8_t **msg, size_t *msg_len,
    const uint8_t **body, size_t *body_len)
{
	struct sotto_wbuf *b = &tx->buf;
	int r;

	*msg = *body = NULL;
	*msg_len = *body_len = 0;
	if ((r = dat_seal_body(tx, ts_ms, ctype, text, n)) != 0)
		return r;
	*msg = b->p;
	*msg_len = b->len;
	*body = b->p + tx->domain;
	*body_len = b->len - tx->domain;
	return 0;
}

struct sotto_dat_rx {
	size_t            domain;    /* label || P bytes at the start of sig */
	struct sotto_wbuf sig;       /* label || P || signed body, reused */
	struct sotto_wbuf pt;        /* plaintext (secure), reused */
	const uint8_t    *vbody;     /* the body sig was last verified for */
	size_t            vlen;
};

int
sotto_dat_rx_new(struct sotto_dat_rx **out, const uint8_t *room, size_t room_len)
{
	struct sotto_dat_rx *rx;
	int r;

	*out = NULL;
	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_wbuf_init(&rx->sig, 0);
	sotto_wbuf_init_secure(&rx->pt, SOTTO_DAT_PT_MAX);
	if ((r = put_domain(&rx->sig, SOTTO_LABEL_DAT, room, room_len)) != 0) {
		sotto_dat_rx_free(rx);
		return r;
	}
	rx->domain = rx->sig.len;
	*out = rx;
	return 0;
}

void
sotto_dat_rx_free(struct sotto_dat_rx *rx)
{
	if (rx == NULL)
		return;
	sotto_wipe(rx->pt.p, rx->pt.len);
	sotto_wbuf_free(&rx->pt);
	sotto_wbuf_free(&rx->sig);
	free(rx);
}

int
sotto_dat_verify(struct sotto_dat_rx *rx, const struct sotto_dat *d,
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

int
sotto_dat_check(const struct sotto_dat *d, const struct sotto_dat_peer *p)
{
	if (d->epoch < p->epoch)
		return SOTTO_V_STALE;
	if (d->epoch > p->epoch)
		return SOTTO_V_DECRYPT;
	if (d->counter <= p->highest)
		return SOTTO_V_REPLAY;
	if (d->counter < p->floor)
		return SOTTO_V_STALE;
	if (p->floor == 0 && d->ts_ms < p->min_ts_ms)
		return SOTTO_V_STALE;
	return 0;
}

int
sotto_dat_open(struct sotto_dat_rx *rx, const struct sotto_dat *d,
    const uint8_t *body, size_t len, struct sotto_dat_peer *p,
    uint8_t *ctype, const uint8_t **text, size_t *text_len)
{
	uint8_t nonce[SOTTO_GCM_NONCE];
	int r;

	*ctype = 0;
	*text = NULL;
	*text_len = 0;
	if (rx->vbody != body || rx->vlen != len || p->aead == NULL)
		return SOTTO_E_INVAL;
	if ((r = sotto_dat_check(d, p)) != 0)
		return r;
	sotto_wipe(rx->pt.p, rx->pt.len);
	sotto_wbuf_reset(&rx->pt);
	if ((r = sotto_wbuf_reserve(&rx->pt, d->ct_len)) != 0)
		return r;
	dat_nonce(nonce, d->counter);
	/* The AAD (label || P || body up to ct_len) is the start of the
	 * signature input sotto_dat_verify left in rx->sig. */
	r = sotto_aead_open(p->aead, nonce, rx->sig.p, rx->domain + SOTTO_DAT_HDR,
	    d->ct, d->ct_len, d->tag, rx->pt.p);
	if (r != 0)
		return r == SOTTO_E_ALLOC ? r : SOTTO_V_DECRYPT;
	rx->pt.len = d->ct_len;
	if (sotto_unpad(rx->pt.p, rx->pt.len, ctype, text, text_len) != 0)
		return SOTTO_V_MALFORMED;
	p->highest = d->counter;
	return 0;
}

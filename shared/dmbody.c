/* SPDX-License-Identifier: ISC */
/* dmbody.c: DMKEY, DM and DMNOKEY bodies: the pairwise key wrapped to one session, the text sealed under it, the "no key" answer. */
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "pad.h"
#include "proto.h"

int
sotto_dm_key_id(const uint8_t key[static SOTTO_DM_KEY],
    uint8_t id[static SOTTO_KEY_ID])
{
	uint8_t mac[SOTTO_SHA256_LEN];
	int r;

	if ((r = sotto_hmac_sha256(mac, key, SOTTO_DM_KEY, SOTTO_LABEL_DM_KEY_ID,
	    SOTTO_LABEL_DM_KEY_ID_LEN)) != 0)
		return r;
	memcpy(id, mac, SOTTO_KEY_ID);
	sotto_wipe(mac, sizeof(mac));
	return 0;
}

/* --- DMKEY --------------------------------------------------------------- */

int
sotto_dmkey_build(struct sotto_wbuf *out, const uint8_t key[static SOTTO_DM_KEY],
    uint32_t epoch, const uint8_t from_fpr[static SOTTO_FPR_LEN],
    const uint8_t from_session[static SOTTO_JOIN_NONCE],
    const uint8_t to_fpr[static SOTTO_FPR_LEN],
    const uint8_t to_session[static SOTTO_JOIN_NONCE],
    const uint8_t to_rsa_n[static SOTTO_RSA_MOD])
{
	uint8_t id[SOTTO_KEY_ID], wrapped[SOTTO_RSA_MOD], *plain;
	int r;

	if ((r = sotto_dm_key_id(key, id)) != 0)
		return r;
	if ((plain = sotto_secure_alloc(SOTTO_DM_WRAP_PLAIN)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(plain, key, SOTTO_DM_KEY);
	sotto_store_be32(plain + SOTTO_DM_KEY, epoch);
	memcpy(plain + SOTTO_DM_KEY + 4, from_fpr, SOTTO_FPR_LEN);
	memcpy(plain + SOTTO_DM_KEY + 4 + SOTTO_FPR_LEN, from_session,
	    SOTTO_JOIN_NONCE);
	r = sotto_rsa_wrap(to_rsa_n, SOTTO_RSA_MOD, SOTTO_RSA_E, plain,
	    SOTTO_DM_WRAP_PLAIN, wrapped, sizeof(wrapped));
	sotto_secure_free(plain, SOTTO_DM_WRAP_PLAIN);
	if (r != 0)
		return r;
	if ((r = sotto_wbuf_put(out, to_fpr, SOTTO_FPR_LEN)) != 0 ||
	    (r = sotto_wbuf_put(out, to_session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u32(out, epoch)) != 0 ||
	    (r = sotto_wbuf_put(out, id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u16(out, SOTTO_RSA_MOD)) != 0 ||
	    (r = sotto_wbuf_put(out, wrapped, SOTTO_RSA_MOD)) != 0)
		return r;
	return 0;
}

int
sotto_dmkey_parse(const uint8_t *body, size_t len, struct sotto_dmkey *k)
{
	struct sotto_rd rd;
	uint16_t wlen;

	memset(k, 0, sizeof(*k));
	sotto_rd_init(&rd, body, len);
	if (sotto_rd_ptr(&rd, &k->to_fpr, SOTTO_FPR_LEN) != 0 ||
	    sotto_rd_ptr(&rd, &k->to_session, SOTTO_JOIN_NONCE) != 0 ||
	    sotto_rd_u32(&rd, &k->epoch) != 0 ||
	    sotto_rd_ptr(&rd, &k->key_id, SOTTO_KEY_ID) != 0 ||
	    sotto_rd_u16(&rd, &wlen) != 0 || wlen != SOTTO_RSA_MOD ||
	    sotto_rd_ptr(&rd, &k->wrapped, SOTTO_RSA_MOD) != 0 ||
	    sotto_rd_end(&rd) != 0) {
		memset(k, 0, sizeof(*k));
		return SOTTO_V_MALFORMED;
	}
	return 0;
}

/* The wrapped plaintext says what the signed fields say. */
static int
wrap_bound(const uint8_t *plain, const struct sotto_dmkey *k,
    const uint8_t from_fpr[static SOTTO_FPR_LEN], const struct sotto_dm_outer *o)
{
	const uint8_t *p = plain + SOTTO_DM_KEY;
	uint8_t id[SOTTO_KEY_ID];
	int r;

	if (sotto_load_be32(p) != k->epoch || k->epoch != o->epoch ||
	    sotto_ct_memcmp(p + 4, from_fpr, SOTTO_FPR_LEN) != 0 ||
	    sotto_ct_memcmp(p + 4 + SOTTO_FPR_LEN, o->session,
	    SOTTO_JOIN_NONCE) != 0)
		return SOTTO_V_DECRYPT;
	if ((r = sotto_dm_key_id(plain, id)) != 0)
		return r;
	return sotto_ct_memcmp(id, k->key_id, SOTTO_KEY_ID) == 0 ? 0 :
	    SOTTO_V_DECRYPT;
}

int
sotto_dmkey_open(const struct sotto_dmkey *k, const struct sotto_rsa *rsa,
    const uint8_t from_fpr[static SOTTO_FPR_LEN], const struct sotto_dm_outer *o,
    uint8_t key[static SOTTO_DM_KEY])
{
	uint8_t *plain;
	size_t n = 0;
	int r;

	sotto_wipe(key, SOTTO_DM_KEY);
	/* OAEP leaves room for more than the 100 bytes: read them all and
	 * insist on the exact length. */
	if ((plain = sotto_secure_alloc(SOTTO_RSA_MOD)) == NULL)
		return SOTTO_E_ALLOC;
	r = sotto_rsa_unwrap(rsa, k->wrapped, SOTTO_RSA_MOD, plain, SOTTO_RSA_MOD, &n);
	if (r == SOTTO_E_ALLOC) {
		sotto_secure_free(plain, SOTTO_RSA_MOD);
		return r;
	}
	if (r != 0 || n != SOTTO_DM_WRAP_PLAIN)
		r = SOTTO_V_DECRYPT;
	else if ((r = wrap_bound(plain, k, from_fpr, o)) == 0)
		memcpy(key, plain, SOTTO_DM_KEY);
	sotto_secure_free(plain, SOTTO_RSA_MOD);
	return r;
}

/* --- DM ------------------------------------------------------------------ */

static void
dm_nonce(uint8_t nonce[static SOTTO_GCM_NONCE], uint64_t counter)
{
	memcpy(nonce, SOTTO_DM_NONCE_PREFIX, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (56 - 8 * i));
}

/* "sotto-v1 DM" || P || id_pub || session || epoch || counter || ts || hdr */
static int
dm_aad(struct sotto_wbuf *aad, const struct sotto_dm_outer *o,
    const uint8_t *hdr)
{
	int r;

	if (o->room_len < SOTTO_ROOM_MIN || o->room_len > SOTTO_ROOM_MAX)
		return SOTTO_E_ROOM;
	if ((r = sotto_wbuf_put(aad, SOTTO_LABEL_DM, SOTTO_LABEL_DM_LEN)) != 0 ||
	    (r = sotto_wbuf_u8(aad, (uint8_t)o->room_len)) != 0 ||
	    (r = sotto_wbuf_put(aad, o->room, o->room_len)) != 0 ||
	    (r = sotto_wbuf_put(aad, o->id_pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_put(aad, o->session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_u32(aad, o->epoch)) != 0 ||
	    (r = sotto_wbuf_u64(aad, o->counter)) != 0 ||
	    (r = sotto_wbuf_u64(aad, o->ts_ms)) != 0 ||
	    (r = sotto_wbuf_put(aad, hdr, SOTTO_DM_HDR)) != 0)
		return r;
	return 0;
}

int
sotto_dm_seal(struct sotto_wbuf *out, const uint8_t key[static SOTTO_DM_KEY],
    const struct sotto_dm_outer *o, const uint8_t to_fpr[static SOTTO_FPR_LEN],
    const uint8_t to_session[static SOTTO_JOIN_NONCE], uint8_t inner_type,
    const void *body, size_t n)
{
	struct sotto_wbuf pt, aad;
	struct sotto_aead *a = NULL;
	uint8_t nonce[SOTTO_GCM_NONCE], id[SOTTO_KEY_ID];
	size_t start = out->len, hdr;
	int r;

	if (n > (inner_type == SOTTO_CT_FOFFER || inner_type == SOTTO_CT_FCHUNK ||
	    inner_type == SOTTO_CT_FCTL ? SOTTO_DM_FILE_BODY_MAX : SOTTO_DM_TEXT_MAX))
		return SOTTO_E_TOOLONG;
	sotto_wbuf_init_secure(&pt, SOTTO_DM_INNER_MAX);
	sotto_wbuf_init(&aad, 0);
	if ((r = sotto_dm_key_id(key, id)) != 0 ||
	    (r = sotto_pad(&pt, inner_type, body, n)) != 0)
		goto done;
	hdr = out->len;
	if ((r = sotto_wbuf_put(out, to_fpr, SOTTO_FPR_LEN)) != 0 ||
	    (r = sotto_wbuf_put(out, to_session, SOTTO_JOIN_NONCE)) != 0 ||
	    (r = sotto_wbuf_put(out, id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u32(out, (uint32_t)pt.len)) != 0 ||
	    (r = dm_aad(&aad, o, out->p + hdr)) != 0 ||
	    (r = sotto_wbuf_reserve(out, pt.len + SOTTO_GCM_TAG)) != 0 ||
	    (r = sotto_aead_new(&a, key)) != 0)
		goto done;
	dm_nonce(nonce, o->counter);
	if ((r = sotto_aead_seal(a, nonce, aad.p, aad.len, pt.p, pt.len,
	    out->p + out->len, out->p + out->len + pt.len)) != 0)
		goto done;
	out->len += pt.len + SOTTO_GCM_TAG;
done:
	sotto_aead_free(a);
	sotto_wbuf_free(&pt);
	sotto_wbuf_free(&aad);
	if (r != 0)
		out->len = start;
	return r;
}

int
sotto_dm_parse(const uint8_t *body, size_t len, struct sotto_dm *d)
{
	struct sotto_rd rd;
	uint32_t ct_len;

	memset(d, 0, sizeof(*d));
	sotto_rd_init(&rd, body, len);
	d->hdr = body;
	if (sotto_rd_ptr(&rd, &d->to_fpr, SOTTO_FPR_LEN) != 0 ||
	    sotto_rd_ptr(&rd, &d->to_session, SOTTO_JOIN_NONCE) != 0 ||
	    sotto_rd_ptr(&rd, &d->key_id, SOTTO_KEY_ID) != 0 ||
	    sotto_rd_u32(&rd, &ct_len) != 0 || ct_len > SOTTO_DM_INNER_MAX ||
	    ct_len < SOTTO_PAD_HDR ||
	    sotto_rd_ptr(&rd, &d->ct, ct_len) != 0 ||
	    sotto_rd_ptr(&rd, &d->tag, SOTTO_GCM_TAG) != 0 ||
	    sotto_rd_end(&rd) != 0) {
		memset(d, 0, sizeof(*d));
		return SOTTO_V_MALFORMED;
	}
	d->ct_len = ct_len;
	return 0;
}

int
sotto_dm_open(const struct sotto_dm *d, const uint8_t key[static SOTTO_DM_KEY],
    const struct sotto_dm_outer *o, struct sotto_wbuf *pt, uint8_t *inner_type,
    const uint8_t **body, size_t *n)
{
	struct sotto_aead *a = NULL;
	struct sotto_wbuf aad;
	uint8_t nonce[SOTTO_GCM_NONCE];
	int r;

	*inner_type = 0;
	*body = NULL;
	*n = 0;
	sotto_wbuf_reset(pt);
	sotto_wbuf_init(&aad, 0);
	if ((r = dm_aad(&aad, o, d->hdr)) != 0 ||
	    (r = sotto_wbuf_reserve(pt, d->ct_len)) != 0 ||
	    (r = sotto_aead_new(&a, key)) != 0)
		goto done;
	dm_nonce(nonce, o->counter);
	if (sotto_aead_open(a, nonce, aad.p, aad.len, d->ct, d->ct_len, d->tag,
	    pt->p) != 0) {
		r = SOTTO_V_DECRYPT;
		goto done;
	}
	pt->len = d->ct_len;
	if (sotto_unpad(pt->p, pt->len, inner_type, body, n) != 0)
		r = SOTTO_V_MALFORMED;
done:
	sotto_aead_free(a);
	sotto_wbuf_free(&aad);
	if (r != 0) {
		*inner_type = 0;
		*body = NULL;
		*n = 0;
	}
	return r;
}

/* --- DMNOKEY ------------------------------------------------------------- */

int
sotto_dmnokey_build(struct sotto_wbuf *out,
    const uint8_t key_id[static SOTTO_KEY_ID], uint64_t counter)
{
	int r;

	if ((r = sotto_wbuf_put(out, key_id, SOTTO_KEY_ID)) != 0 ||
	    (r = sotto_wbuf_u64(out, counter)) != 0)
		return r;
	return 0;
}

int
sotto_dmnokey_parse(const uint8_t *body, size_t len, struct sotto_dmnokey *n)
{
	struct sotto_rd rd;

	memset(n, 0, sizeof(*n));
	sotto_rd_init(&rd, body, len);
	if (sotto_rd_ptr(&rd, &n->key_id, SOTTO_KEY_ID) != 0 ||
	    sotto_rd_u64(&rd, &n->counter) != 0 || sotto_rd_end(&rd) != 0) {
		memset(n, 0, sizeof(*n));
		return SOTTO_V_MALFORMED;
	}
	return 0;
}

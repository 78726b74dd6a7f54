/* SPDX-License-Identifier: ISC */
/* cb_ops.c: the timed operations of sotto-cryptobench: sotto's DAT path and the bare libgcrypt calls it is made of. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cb_ops.h"
#include "crypto.h"
#include "pad.h"
#include "proto.h"
#include "wire.h"

/* DAT layout (docs/protocol.md): the fields the AAD and signature cover. */
#define CB_LABEL_LEN   12u                      /* "sotto-v1 DAT" */
#define CB_PREFIX_LEN  (1u + sizeof(CB_ROOM) - 1u)
#define CB_HEAD_LEN    (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + 4u + 8u + 8u)
#define CB_AAD_LEN     (CB_LABEL_LEN + CB_PREFIX_LEN + CB_HEAD_LEN)
#define CB_CTLEN_LEN   4u
#define CB_PAD_AVG     128u                     /* mean of uniform 0..255 */

struct cb_side {
	int      bare;
	size_t   text_len, cap;
	uint8_t *text;
	/* sotto */
	struct sotto_ed25519  *id;
	struct sotto_group    *group;
	struct sotto_dat_tx   *tx;
	struct sotto_dat_rx   *rx;
	struct sotto_dat_peer  peer;
	/* both: built messages, kept for the accept pass */
	uint8_t **msg;
	size_t   *msg_len;
	size_t    msg_cap;
	/* bare */
	gcry_sexp_t      skey, pkey;
	gcry_cipher_hd_t gcm;
	uint8_t         *pt;          /* ctype | u32 len | text | pad */
	uint8_t         *scratch;     /* opened plaintext */
	uint64_t         counter;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int side_alloc(struct cb_side *s, size_t text_len, size_t cap)
{
	size_t i;

	s->text_len = text_len;
	s->cap = cap;
	/* Largest DAT body plus the bare layout's AAD in front. */
	s->msg_cap = CB_AAD_LEN + CB_CTLEN_LEN + SOTTO_PAD_HDR + text_len +
	    SOTTO_PAD_MAX + SOTTO_GCM_TAG + SOTTO_ED25519_SIG + 64u;
	s->text = malloc(text_len ? text_len : 1);
	s->msg = calloc(cap, sizeof(*s->msg));
	s->msg_len = calloc(cap, sizeof(*s->msg_len));
	if (s->text == NULL || s->msg == NULL || s->msg_len == NULL)
		return -1;
	for (i = 0; i < text_len; i++)
		s->text[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < cap; i++)
		if ((s->msg[i] = malloc(s->msg_cap)) == NULL)
			return -1;
	return 0;
}

struct cb_side *cb_sotto_new(size_t text_len, size_t cap)
{
	struct cb_side *s = calloc(1, sizeof(*s));
	uint8_t session[SOTTO_JOIN_NONCE];

	if (s == NULL || side_alloc(s, text_len, cap) != 0)
		goto fail;
	sotto_random_nonce(session, sizeof(session));
	if (sotto_ed25519_generate(&s->id) != 0 ||
	    sotto_group_generate(&s->group, 1) != 0 ||
	    sotto_dat_tx_new(&s->tx, (const uint8_t *)CB_ROOM, sizeof(CB_ROOM) - 1,
	    s->id, s->group, session, 1) != 0 ||
	    sotto_dat_rx_new(&s->rx, (const uint8_t *)CB_ROOM, sizeof(CB_ROOM) - 1) != 0 ||
	    sotto_dat_subkey(&s->peer.aead, s->group, sotto_ed25519_pub(s->id),
	    session) != 0)
		goto fail;
	s->peer.epoch = 1;
	return s;
fail:
	cb_side_free(s);
	return NULL;
}

static int bare_keys(struct cb_side *s)
{
	gcry_sexp_t parms = NULL, pair = NULL;
	uint8_t key[SOTTO_GROUP_KEY];
	int r = -1;

	if (gcry_sexp_build(&parms, NULL, "(genkey(ecc(curve Ed25519)(flags eddsa)))") == 0 &&
	    gcry_pk_genkey(&pair, parms) == 0 &&
	    (s->skey = gcry_sexp_find_token(pair, "private-key", 0)) != NULL &&
	    (s->pkey = gcry_sexp_find_token(pair, "public-key", 0)) != NULL &&
	    gcry_cipher_open(&s->gcm, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
	    GCRY_CIPHER_SECURE) == 0) {
		gcry_randomize(key, sizeof(key), GCRY_STRONG_RANDOM);
		r = gcry_cipher_setkey(s->gcm, key, sizeof(key)) == 0 ? 0 : -1;
		sotto_wipe(key, sizeof(key));
	}
	gcry_sexp_release(pair);
	gcry_sexp_release(parms);
	return r;
}

struct cb_side *cb_bare_new(size_t text_len, size_t cap)
{
	struct cb_side *s = calloc(1, sizeof(*s));
	size_t i;

	if (s == NULL || side_alloc(s, text_len, cap) != 0)
		goto fail;
	s->bare = 1;
	s->pt = gcry_malloc_secure(SOTTO_PAD_HDR + text_len + SOTTO_PAD_MAX);
	s->scratch = gcry_malloc_secure(SOTTO_PAD_HDR + text_len + SOTTO_PAD_MAX);
	if (s->pt == NULL || s->scratch == NULL || bare_keys(s) != 0)
		goto fail;
	s->pt[0] = SOTTO_CT_TEXT;
	sotto_store_be32(s->pt + 1, (uint32_t)text_len);
	memcpy(s->pt + SOTTO_PAD_HDR, s->text, text_len);
	/* The AAD fields sotto fills per message (ids, counter, ts) cost
	 * nothing worth timing; fixed bytes of the same length stand in. */
	for (i = 0; i < cap; i++)
		gcry_create_nonce(s->msg[i], CB_AAD_LEN);
	return s;
fail:
	cb_side_free(s);
	return NULL;
}

void cb_side_free(struct cb_side *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s->msg != NULL && i < s->cap; i++)
		free(s->msg[i]);
	free(s->msg);
	free(s->msg_len);
	free(s->text);
	sotto_dat_tx_free(s->tx);
	sotto_dat_rx_free(s->rx);
	sotto_aead_free(s->peer.aead);
	sotto_group_free(s->group);
	sotto_ed25519_free(s->id);
	gcry_sexp_release(s->skey);
	gcry_sexp_release(s->pkey);
	if (s->gcm != NULL)
		gcry_cipher_close(s->gcm);
	gcry_free(s->pt);
	gcry_free(s->scratch);
	free(s);
}

/* --- sotto ---------------------------------------------------------------- */

static int sotto_build(struct cb_side *s, size_t n)
{
	const uint8_t *body;
	size_t i, len;
	uint64_t ts = now_ms();

	for (i = 0; i < n; i++) {
		if (sotto_dat_seal(s->tx, ts, SOTTO_CT_TEXT, s->text, s->text_len,
		    &body, &len) != 0 || len > s->msg_cap)
			return -1;
		memcpy(s->msg[i], body, len);   /* a sender hands it to its socket */
		s->msg_len[i] = len;
	}
	return 0;
}

static int sotto_accept(struct cb_side *s, size_t n)
{
	struct sotto_dat d;
	const uint8_t *text;
	size_t i, text_len;
	uint8_t ctype;

	for (i = 0; i < n; i++) {
		if (sotto_dat_parse(s->msg[i], s->msg_len[i], &d) != 0 ||
		    sotto_dat_verify(s->rx, &d, s->msg[i], s->msg_len[i]) != 0 ||
		    sotto_dat_open(s->rx, &d, s->msg[i], s->msg_len[i], &s->peer,
		    &ctype, &text, &text_len) != 0 ||
		    text_len != s->text_len)
			return -1;
	}
	return 0;
}

/* --- bare libgcrypt -------------------------------------------------------- */

static void gcm_nonce(uint8_t nonce[static SOTTO_GCM_NONCE], uint64_t counter)
{
	memset(nonce, 0, 4);
	sotto_store_be32(nonce + 4, (uint32_t)(counter >> 32));
	sotto_store_be32(nonce + 8, (uint32_t)counter);
}

static int bare_pad(struct cb_side *s, size_t pad)
{
	gcry_create_nonce(s->pt + SOTTO_PAD_HDR + s->text_len, pad);
	return 0;
}

/* AES-256-GCM of the padded plaintext into m, after the AAD and ct_len. */
static int bare_seal(struct cb_side *s, uint8_t *m, size_t pt_len)
{
	uint8_t nonce[SOTTO_GCM_NONCE];
	uint8_t *ct = m + CB_AAD_LEN + CB_CTLEN_LEN;

	gcm_nonce(nonce, ++s->counter);
	sotto_store_be32(m + CB_AAD_LEN, (uint32_t)pt_len);
	if (gcry_cipher_setiv(s->gcm, nonce, sizeof(nonce)) != 0 ||
	    gcry_cipher_authenticate(s->gcm, m, CB_AAD_LEN) != 0 ||
	    gcry_cipher_final(s->gcm) != 0 ||
	    gcry_cipher_encrypt(s->gcm, ct, pt_len, s->pt, pt_len) != 0 ||
	    gcry_cipher_gettag(s->gcm, ct + pt_len, SOTTO_GCM_TAG) != 0)
		return -1;
	return 0;
}

static int sig_part(gcry_sexp_t sig, const char *name, uint8_t out[static 32])
{
	gcry_sexp_t l = gcry_sexp_find_token(sig, name, 0);
	const char *d;
	size_t n = 0;
	int r = -1;

	if (l != NULL && (d = gcry_sexp_nth_data(l, 1, &n)) != NULL && n == 32) {
		memcpy(out, d, 32);
		r = 0;
	}
	gcry_sexp_release(l);
	return r;
}

/* Ed25519 over m[0..len), signature appended at m + len. */
static int bare_sign(struct cb_side *s, uint8_t *m, size_t len)
{
	gcry_sexp_t data = NULL, sig = NULL;
	int r = -1;

	if (gcry_sexp_build(&data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len, m) == 0 &&
	    gcry_pk_sign(&sig, data, s->skey) == 0 &&
	    sig_part(sig, "r", m + len) == 0 && sig_part(sig, "s", m + len + 32) == 0)
		r = 0;
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
	return r;
}

static int bare_verify(struct cb_side *s, const uint8_t *m, size_t len)
{
	gcry_sexp_t data = NULL, sig = NULL;
	int r = -1;

	if (gcry_sexp_build(&data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len, m) == 0 &&
	    gcry_sexp_build(&sig, NULL, "(sig-val(eddsa(r %b)(s %b)))",
	    32, m + len, 32, m + len + 32) == 0 &&
	    gcry_pk_verify(sig, data, s->pkey) == 0)
		r = 0;
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
	return r;
}

static int bare_open(struct cb_side *s, const uint8_t *m, size_t pt_len,
    uint64_t counter)
{
	uint8_t nonce[SOTTO_GCM_NONCE];
	const uint8_t *ct = m + CB_AAD_LEN + CB_CTLEN_LEN;

	gcm_nonce(nonce, counter);
	if (gcry_cipher_setiv(s->gcm, nonce, sizeof(nonce)) != 0 ||
	    gcry_cipher_authenticate(s->gcm, m, CB_AAD_LEN) != 0 ||
	    gcry_cipher_final(s->gcm) != 0 ||
	    gcry_cipher_decrypt(s->gcm, s->scratch, pt_len, ct, pt_len) != 0 ||
	    gcry_cipher_checktag(s->gcm, ct + pt_len, SOTTO_GCM_TAG) != 0)
		return -1;
	return 0;
}

static size_t bare_pt_len(const struct cb_side *s, size_t pad)
{
	return SOTTO_PAD_HDR + s->text_len + pad;
}

/* Signed bytes of a bare message: AAD, ct_len, ct, tag. */
static size_t bare_signed_len(size_t pt_len)
{
	return CB_AAD_LEN + CB_CTLEN_LEN + pt_len + SOTTO_GCM_TAG;
}

static int bare_build(struct cb_side *s, size_t n)
{
	size_t i, pt_len;
	uint8_t pad;

	for (i = 0; i < n; i++) {
		gcry_create_nonce(&pad, 1);     /* uniform 0..255, as sotto_pad */
		pt_len = bare_pt_len(s, pad);
		if (bare_pad(s, pad) != 0 || bare_seal(s, s->msg[i], pt_len) != 0 ||
		    bare_sign(s, s->msg[i], bare_signed_len(pt_len)) != 0)
			return -1;
		s->msg_len[i] = pt_len;
	}
	s->counter -= n;     /* the accept pass walks the same counters */
	return 0;
}

static int bare_accept(struct cb_side *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bare_verify(s, s->msg[i], bare_signed_len(s->msg_len[i])) != 0 ||
		    bare_open(s, s->msg[i], s->msg_len[i], s->counter + 1 + i) != 0)
			return -1;
	s->counter += n;
	return 0;
}

int cb_build(struct cb_side *s, size_t n)
{
	if (n > s->cap)
		return -1;
	return s->bare ? bare_build(s, n) : sotto_build(s, n);
}

int cb_accept(struct cb_side *s, size_t n)
{
	if (n > s->cap)
		return -1;
	return s->bare ? bare_accept(s, n) : sotto_accept(s, n);
}

/* --- one primitive at a time ------------------------------------------------ */

const char *cb_prim_name(enum cb_prim p)
{
	static const char *names[CB_NPRIM] = {
		"pad_nonce", "gcm_seal", "ed25519_sign", "ed25519_verify", "gcm_open",
		"sha512", "sha256",
	};

	return p < CB_NPRIM ? names[p] : "?";
}

/* Each primitive on a message with the average pad; slot 0 holds a
 * valid message for the receive-side ones. */
int cb_prim_run(struct cb_side *s, enum cb_prim p, size_t n)
{
	size_t pt_len = bare_pt_len(s, CB_PAD_AVG), i;
	uint8_t *m = s->msg[0];
	uint64_t c;

	if (!s->bare || bare_seal(s, m, pt_len) != 0 ||
	    bare_sign(s, m, bare_signed_len(pt_len)) != 0)
		return -1;
	c = s->counter;
	for (i = 0; i < n; i++) {
		int r = 0;

		switch (p) {
		case CB_NONCE: r = bare_pad(s, CB_PAD_AVG); break;
		case CB_GCM_SEAL: r = bare_seal(s, s->msg[s->cap > 1 ? 1 : 0], pt_len); break;
		case CB_SIGN: r = bare_sign(s, s->msg[s->cap > 1 ? 1 : 0], bare_signed_len(pt_len)); break;
		case CB_VERIFY: r = bare_verify(s, m, bare_signed_len(pt_len)); break;
		case CB_GCM_OPEN: r = bare_open(s, m, pt_len, c); break;
		case CB_SHA512:
			gcry_md_hash_buffer(GCRY_MD_SHA512, s->scratch, s->text, s->text_len);
			break;
		case CB_SHA256:
			gcry_md_hash_buffer(GCRY_MD_SHA256, s->scratch, s->text, s->text_len);
			break;
		default: return -1;
		}
		if (r != 0)
			return -1;
	}
	return 0;
}

int cb_rsa4096(void)
{
	gcry_sexp_t parms = NULL, key = NULL;
	int r = -1;

	if (gcry_sexp_build(&parms, NULL, "(genkey(rsa(nbits %u)(rsa-use-e %u)))",
	    SOTTO_RSA_BITS, SOTTO_RSA_E) == 0 &&
	    gcry_pk_genkey(&key, parms) == 0)
		r = 0;
	gcry_sexp_release(key);
	gcry_sexp_release(parms);
	return r;
}

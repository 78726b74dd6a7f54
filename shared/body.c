/* SPDX-License-Identifier: ISC */
/* body.c: the pieces every v2 body shares: room prefix, signature domain, signing, verifying, freshness, the digest of signed bytes (proto_priv.h).
 *
 * proto.c (v1) keeps its own static copies of the first few until v1 is
 * retired, so that its file stays as other branches know it.
 */
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "proto_priv.h"
#include "trust.h"

/* u8 room_len || room: the room prefix P. */
int
sotto_body_put_room(struct sotto_wbuf *b, const uint8_t *room, size_t room_len)
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
int
sotto_body_put_domain(struct sotto_wbuf *b, const char *label, const uint8_t *room,
    size_t room_len)
{
	int r;

	if ((r = sotto_wbuf_put(b, label, SOTTO_LABEL_LEN)) != 0)
		return r;
	return sotto_body_put_room(b, room, room_len);
}

/* Verify sig over label || [P] || body[0..signed_len). INI bodies start
 * with P already, so room is NULL for them. */
int
sotto_body_verify(const char *label, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t signed_len, const uint8_t *pub,
    const uint8_t *sig)
{
	struct sotto_wbuf m;
	int r;

	sotto_wbuf_init(&m, 0);
	if (room != NULL)
		r = sotto_body_put_domain(&m, label, room, room_len);
	else
		r = sotto_wbuf_put(&m, label, SOTTO_LABEL_LEN);
	if (r == 0)
		r = sotto_wbuf_put(&m, body, signed_len);
	if (r == 0)
		r = sotto_ed25519_verify(pub, m.p, m.len, sig) == 0 ? 0 : SOTTO_V_BADSIG;
	sotto_wbuf_free(&m);
	return r;
}

int
sotto_body_digest(const char *label, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t signed_len, uint8_t out[static SOTTO_SHA256_LEN])
{
	struct sotto_wbuf m;
	int r;

	memset(out, 0, SOTTO_SHA256_LEN);
	sotto_wbuf_init(&m, 0);
	if ((r = sotto_body_put_domain(&m, label, room, room_len)) == 0 &&
	    (r = sotto_wbuf_put(&m, body, signed_len)) == 0)
		sotto_sha256(out, m.p, m.len);
	sotto_wbuf_free(&m);
	return r;
}

/* Sign m (label || [P] || body so far) and append the signature to out. */
int
sotto_body_sign_append(struct sotto_wbuf *out, const struct sotto_ed25519 *id,
    const struct sotto_wbuf *m)
{
	uint8_t sig[SOTTO_ED25519_SIG];
	int r;

	if ((r = sotto_ed25519_sign(id, m->p, m->len, sig)) != 0)
		return r;
	return sotto_wbuf_put(out, sig, sizeof(sig));
}

const struct sotto_peer *
sotto_body_trusted(const struct sotto_trust *t, const uint8_t *pub)
{
	return t == NULL ? NULL : sotto_trust_find(t, pub);
}

/* Timestamps of INI and KEY: within now +- window and not below min. */
int
sotto_body_fresh(uint64_t ts_ms, uint64_t now_ms, uint64_t min_ts_ms)
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
int
sotto_body_modulus_ok(const uint8_t n[static SOTTO_RSA_MOD])
{
	return (n[0] & 0x80) != 0 && (n[SOTTO_RSA_MOD - 1] & 1) != 0;
}

int
sotto_body_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int
sotto_body_same_room(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}


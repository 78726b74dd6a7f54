/* SPDX-License-Identifier: ISC */
/* proto_priv.h: body helpers of shared/body.c that proto.c and proto2.c use (not part of libsotto's API). */
#ifndef SOTTO_PROTO_PRIV_H
#define SOTTO_PROTO_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "wire.h"

struct sotto_ed25519;
struct sotto_trust;
struct sotto_peer;

/* u8 room_len || room. */
int sotto_body_put_room(struct sotto_wbuf *b, const uint8_t *room, size_t room_len);
/* label || P. */
int sotto_body_put_domain(struct sotto_wbuf *b, const char *label,
    const uint8_t *room, size_t room_len);
/* Verify sig over label || [P] || body[0..signed_len); room NULL: no P. */
int sotto_body_verify(const char *label, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t signed_len, const uint8_t *pub, const uint8_t *sig);
/* Sign m and append the signature to out. */
int sotto_body_sign_append(struct sotto_wbuf *out, const struct sotto_ed25519 *id,
    const struct sotto_wbuf *m);
const struct sotto_peer *sotto_body_trusted(const struct sotto_trust *t,
    const uint8_t *pub);
/* ts within now +- SOTTO_INI_WINDOW_MS and not below min: 0, else stale. */
int sotto_body_fresh(uint64_t ts_ms, uint64_t now_ms, uint64_t min_ts_ms);
int sotto_body_modulus_ok(const uint8_t n[static SOTTO_RSA_MOD]);
int sotto_body_all_zero(const uint8_t *p, size_t n);
int sotto_body_same_room(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* SHA-256 of label || P || body[0..signed_len): a frame's identity for
 * deduplication (the signed bytes, not the signature). */
int sotto_body_digest(const char *label, const uint8_t *room, size_t room_len,
    const uint8_t *body, size_t signed_len, uint8_t out[static SOTTO_SHA256_LEN]);

#endif

/* SPDX-License-Identifier: ISC */
/* cb_ops.h: the operations the crypto benchmark times: sotto's DAT build/accept and the bare libgcrypt calls under them. */
#ifndef SOTTO_BENCH_CB_OPS_H
#define SOTTO_BENCH_CB_OPS_H

#include <stddef.h>
#include <stdint.h>

#define CB_ROOM "bench"

/* One side of the comparison, set up for messages of one text size and
 * holding `cap` messages between its build and accept passes. */
struct cb_side;

/* sotto: sotto_dat_seal, then sotto_dat_parse + verify + open (unpad). */
struct cb_side *cb_sotto_new(size_t text_len, size_t cap);
/* The same work straight on libgcrypt: random pad bytes, AES-256-GCM
 * seal with the same AAD and plaintext lengths, Ed25519 sign of the same
 * signed length; then Ed25519 verify and AES-256-GCM open. */
struct cb_side *cb_bare_new(size_t text_len, size_t cap);
void cb_side_free(struct cb_side *s);

/* Build n (<= cap) messages, then accept them. 0, or -1 when any step
 * fails (a broken benchmark must not report a number). */
int cb_build(struct cb_side *s, size_t n);
int cb_accept(struct cb_side *s, size_t n);

/* The bare primitives one by one, for the breakdown table: each does
 * n operations sized for text_len. */
/* CB_SHA512 and CB_SHA256 hash text_len bytes: the pass Ed25519 makes
 * over every signed byte, and a file's own hash (docs/benchmarks.md "File
 * transfer"). */
enum cb_prim { CB_NONCE, CB_GCM_SEAL, CB_SIGN, CB_VERIFY, CB_GCM_OPEN, CB_SHA512,
    CB_SHA256, CB_NPRIM };
const char *cb_prim_name(enum cb_prim p);
int cb_prim_run(struct cb_side *bare, enum cb_prim p, size_t n);

/* One RSA-4096 (e = 65537) key generation with gcry_pk_genkey. */
int cb_rsa4096(void);

#endif

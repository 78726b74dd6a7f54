/* SPDX-License-Identifier: ISC */
/* b64.h: standard base64 (RFC 4648 §4), strict decoding, no secret-dependent branches on table lookups. */
#ifndef SOTTO_B64_H
#define SOTTO_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters sotto_b64_encode writes, NUL excluded. */
size_t sotto_b64_encoded_len(size_t n, int pad);
/* out must hold sotto_b64_encoded_len(n, pad) + 1 bytes; NUL-terminated. */
void sotto_b64_encode(const uint8_t *in, size_t n, char *out, int pad);
/* Strict: rejects characters outside the alphabet, bad padding, non-zero
 * trailing bits. Accepts unpadded input when pad is 0. */
int sotto_b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
    size_t *out_len);

#endif

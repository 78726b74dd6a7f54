/* SPDX-License-Identifier: ISC */
/* utf8.h: strict UTF-8 decoding (no overlongs, surrogates or code points past U+10FFFF) and encoding. */
#ifndef SOTTO_UTF8_H
#define SOTTO_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct sotto_rd;

/* Decode one code point from rd: 0 and *cp set, the reader past it;
 * SOTTO_E_SHORT when rd is empty; SOTTO_E_FORMAT when the next bytes are
 * not a valid UTF-8 sequence (the reader does not move). */
int sotto_utf8_next(struct sotto_rd *rd, uint32_t *cp);
/* Like sotto_utf8_next, and also borrow the sequence's bytes from rd. */
int sotto_utf8_take(struct sotto_rd *rd, uint32_t *cp, const uint8_t **seq,
    size_t *len);
/* 0 when p[0..n) is valid UTF-8, SOTTO_E_FORMAT when not. */
int sotto_utf8_valid(const uint8_t *p, size_t n);
/* Decode one code point at p (n bytes available): returns its length
 * (1..4) and sets *cp, or 0 when invalid. */
size_t sotto_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);
/* Encode the scalar value cp (not a surrogate, at most U+10FFFF) into out:
 * returns its length 1..4, or 0 (out untouched) when cp is no scalar value. */
size_t sotto_utf8_encode(uint32_t cp, uint8_t out[static 4]);
/* 1 for the Unicode control characters (general category Cc): C0
 * U+0000..U+001F, DEL U+007F and C1 U+0080..U+009F. */
int sotto_unicode_is_cc(uint32_t cp);

#endif

/* SPDX-License-Identifier: ISC */
/* utf8.c: strict UTF-8 decoding through the bounds-checked reader, and the one UTF-8 encoder. */
#include "buf.h"
#include "err.h"
#include "utf8.h"

/* Sequence length and payload bits of a lead byte; 0 for bytes that can
 * never start a sequence (continuations, C0/C1 overlong leads, F5..FF). */
static size_t
utf8_lead(uint8_t b, uint32_t *bits)
{
	if (b < 0x80) {
		*bits = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		*bits = b & 0x1f;
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		*bits = b & 0x0f;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		*bits = b & 0x07;
		return 4;
	}
	return 0;
}

/* The smallest code point a sequence of this length may encode. */
static uint32_t
utf8_min(size_t len)
{
	return len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
}

int
sotto_utf8_next(struct sotto_rd *rd, uint32_t *cp)
{
	struct sotto_rd t = *rd;
	uint32_t v;
	size_t len, i;
	uint8_t b;

	*cp = 0;
	if (sotto_rd_u8(&t, &b) != 0)
		return SOTTO_E_SHORT;
	if ((len = utf8_lead(b, &v)) == 0)
		return SOTTO_E_FORMAT;
	for (i = 1; i < len; i++) {
		if (sotto_rd_u8(&t, &b) != 0 || (b & 0xc0) != 0x80)
			return SOTTO_E_FORMAT;
		v = (v << 6) | (b & 0x3f);
	}
	if (len > 1 && v < utf8_min(len))
		return SOTTO_E_FORMAT;          /* overlong */
	if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return SOTTO_E_FORMAT;          /* surrogate or out of range */
	*cp = v;
	*rd = t;
	return 0;
}

int
sotto_utf8_take(struct sotto_rd *rd, uint32_t *cp, const uint8_t **seq,
    size_t *len)
{
	struct sotto_rd before = *rd;
	int r;

	*seq = NULL;
	*len = 0;
	if ((r = sotto_utf8_next(rd, cp)) != 0)
		return r;
	*len = sotto_rd_left(&before) - sotto_rd_left(rd);
	return sotto_rd_ptr(&before, seq, *len);
}

int
sotto_utf8_valid(const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	uint32_t cp;

	sotto_rd_init(&rd, p, n);
	while (sotto_rd_left(&rd) > 0)
		if (sotto_utf8_next(&rd, &cp) != 0)
			return SOTTO_E_FORMAT;
	return 0;
}

size_t
sotto_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	struct sotto_rd rd;

	sotto_rd_init(&rd, p, n);
	if (sotto_utf8_next(&rd, cp) != 0)
		return 0;
	return n - sotto_rd_left(&rd);
}

int
sotto_unicode_is_cc(uint32_t cp)
{
	return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

size_t
sotto_utf8_encode(uint32_t cp, uint8_t out[static 4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

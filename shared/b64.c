/* SPDX-License-Identifier: ISC */
/* b64.c: RFC 4648 base64 with strict decoding and table-free constant-time character mapping. */
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "err.h"

/*
 * The character mappings below are arithmetic, not table lookups, so the
 * memory access pattern and the branches never depend on the (possibly
 * secret) data: the same technique as WireGuard's encoding.c. For a value
 * v in a small range, ((lo - 1 - v) & (v - hi - 1)) >> 8 is -1 when
 * lo <= v <= hi and 0 otherwise (both operands are in -256..255).
 */

/* 0..63 to its character of the standard alphabet. */
static char
b64_char(unsigned v)
{
	int x = (int)v;

	return (char)(x + 'A'
	    + (((25 - x) >> 8) & 6)
	    - (((51 - x) >> 8) & 75)
	    - (((61 - x) >> 8) & 15)
	    + (((62 - x) >> 8) & 3));
}

/* A character to 0..63, or -1 when it is not in the alphabet. */
static int
b64_value(char ch)
{
	int c = (unsigned char)ch;

	return -1
	    + ((((('A' - 1) - c) & (c - ('Z' + 1))) >> 8) & (c - 64))
	    + ((((('a' - 1) - c) & (c - ('z' + 1))) >> 8) & (c - 70))
	    + ((((('0' - 1) - c) & (c - ('9' + 1))) >> 8) & (c + 5))
	    + ((((('+' - 1) - c) & (c - ('+' + 1))) >> 8) & 63)
	    + ((((('/' - 1) - c) & (c - ('/' + 1))) >> 8) & 64);
}

size_t
sotto_b64_encoded_len(size_t n, int pad)
{
	size_t full = n / 3 * 4, rest = n % 3;

	if (rest == 0)
		return full;
	return full + (pad ? 4 : rest + 1);
}

void
sotto_b64_encode(const uint8_t *in, size_t n, char *out, int pad)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		out[o++] = b64_char((w >> 18) & 63);
		out[o++] = b64_char((w >> 12) & 63);
		out[o++] = b64_char((w >> 6) & 63);
		out[o++] = b64_char(w & 63);
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;
		out[o++] = b64_char((w >> 18) & 63);
		out[o++] = b64_char((w >> 12) & 63);
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
		out[o++] = b64_char((w >> 18) & 63);
		out[o++] = b64_char((w >> 12) & 63);
		out[o++] = b64_char((w >> 6) & 63);
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

/* Characters that carry data: n minus a canonical padding, or 0 with
 * *bad set when the shape is impossible. Only the length and the '='
 * positions decide here, never the data characters. */
static size_t
b64_data_chars(const char *in, size_t n, int *bad)
{
	size_t pads = 0;

	*bad = 0;
	if (n % 4 == 0 && n >= 4)
		pads = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
	n -= pads;
	if (n % 4 == 1)
		*bad = 1;
	return n;
}

int
sotto_b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	size_t chars, need, i, o = 0;
	int bad, acc = 0;
	uint32_t w = 0;

	*out_len = 0;
	chars = b64_data_chars(in, n, &bad);
	if (bad)
		return SOTTO_E_BASE64;
	need = chars / 4 * 3 + (chars % 4 ? chars % 4 - 1 : 0);
	if (need > out_cap)
		return SOTTO_E_TOOLONG;
	for (i = 0; i < chars; i++) {
		int v = b64_value(in[i]);
		acc |= v;       /* sign bit stays set once any character is bad */
		w = (w << 6) | ((uint32_t)v & 63);
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
			out[o++] = (uint8_t)w;
			w = 0;
		}
	}
	/* A final group of 2 or 3 characters: its unused low bits must be 0
	 * so that each byte string has exactly one encoding. */
	if (chars % 4 == 2) {
		acc |= -(int)(w & 15);
		out[o++] = (uint8_t)(w >> 4);
	} else if (chars % 4 == 3) {
		acc |= -(int)(w & 3);
		out[o++] = (uint8_t)(w >> 10);
		out[o++] = (uint8_t)(w >> 2);
	}
	if (acc < 0) {
		sotto_wipe(out, o);
		return SOTTO_E_BASE64;
	}
	*out_len = o;
	return 0;
}

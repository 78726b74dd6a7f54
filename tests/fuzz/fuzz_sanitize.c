/* SPDX-License-Identifier: ISC */
/* fuzz_sanitize.c: whatever a member sends, the sanitized text is valid UTF-8 free of controls, C1 and bidi. */
#include <stdlib.h>
#include <string.h>

#include "../../client/fe-curses/sanitize.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent validator (not sanitize.c's decoder): returns the code
 * point at p and its length, or aborts on anything that is not well-formed. */
static size_t check_cp(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	uint32_t c = len == 1 ? p[0] : (uint32_t)(p[0] & (0x7f >> len));

	if ((p[0] >= 0x80 && p[0] < 0xc2) || p[0] > 0xf4 || len > n)
		abort();
	for (size_t i = 1; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			abort();
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		abort();
	*cp = c;
	return len;
}

static void check_safe(const uint8_t *s, size_t n)
{
	size_t off = 0;
	uint32_t cp;

	while (off < n) {
		off += check_cp(s + off, n - off, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			abort();
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0x200e || cp == 0x200f || cp == 0x061c)
			abort();
	}
}

/* Piece by piece: progress is made, stays in bounds, stand-ins are ASCII. */
static size_t check_pieces(const uint8_t *data, size_t size, unsigned flags)
{
	struct san_piece pc;
	size_t off = 0, used, total = 0;

	while (off < size) {
		used = sanitize_next(data + off, size - off, &pc, flags);
		if (used == 0 || used > size - off || pc.len != strlen(pc.text))
			abort();
		check_safe((const uint8_t *)pc.text, pc.len);
		for (size_t i = 0; pc.marked && i < pc.len; i++)
			if ((uint8_t)pc.text[i] >= 0x80)
				abort();
		/* Unmarked text is the input itself, byte for byte (or TAB's space). */
		if (!pc.marked && !(pc.len == 1 && pc.text[0] == ' ' && data[off] == '\t') &&
		    (pc.len != used || memcmp(pc.text, data + off, used) != 0))
			abort();
		off += used;
		total += pc.len;
	}
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A piece is at most 4 times the bytes it consumes ("\xff" for one). */
	size_t cap = size * 4 + 1;
	char *out = malloc(cap);
	unsigned flags;
	size_t n;

	if (out == NULL)
		return 0;
	for (flags = 0; flags <= SAN_TAB_SPACE; flags++) {
		n = sanitize_str(data, size, out, cap, flags);
		if (n != strlen(out) || n >= cap)
			abort();
		check_safe((const uint8_t *)out, n);
		/* Nothing was cut: the whole-buffer form is the pieces joined. */
		if (check_pieces(data, size, flags) != n)
			abort();
	}
	free(out);
	return 0;
}

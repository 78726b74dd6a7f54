/* SPDX-License-Identifier: ISC */
/* fname.c: sanitise sender-supplied file names through the bounds-checked reader. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fname.h"
#include "utf8.h"

enum fname_action { FNAME_KEEP, FNAME_DROP, FNAME_UNDERSCORE };

int
sotto_fname_is_invisible(uint32_t cp)
{
	return cp == 0x00ad ||                      /* soft hyphen */
	    cp == 0x034f ||                         /* combining grapheme joiner */
	    cp == 0x061c ||                         /* Arabic letter mark (bidi) */
	    cp == 0x115f || cp == 0x1160 ||         /* Hangul fillers */
	    cp == 0x17b4 || cp == 0x17b5 ||
	    (cp >= 0x180b && cp <= 0x180f) ||       /* Mongolian selectors, vowel sep. */
	    (cp >= 0x200b && cp <= 0x200f) ||       /* ZWSP ZWNJ ZWJ LRM RLM */
	    (cp >= 0x202a && cp <= 0x202e) ||       /* LRE RLE PDF LRO RLO */
	    (cp >= 0x2060 && cp <= 0x206f) ||       /* word joiner, LRI RLI FSI PDI, ... */
	    cp == 0x3164 ||                         /* Hangul filler */
	    (cp >= 0xfe00 && cp <= 0xfe0f) ||       /* variation selectors */
	    cp == 0xfeff ||                         /* BOM / ZWNBSP */
	    cp == 0xffa0 ||
	    (cp >= 0xfff0 && cp <= 0xfffb) ||       /* interlinear annotation, ... */
	    (cp >= 0x1d173 && cp <= 0x1d17a) ||     /* musical format controls */
	    (cp >= 0xe0000 && cp <= 0xe0fff);       /* tags, selectors supplement */
}

static enum fname_action
fname_action(uint32_t cp, unsigned flags)
{
	if ((cp == '/' || cp == '\\') && !(flags & SOTTO_FNAME_KEEP_SEP))
		return FNAME_UNDERSCORE;
	if (sotto_unicode_is_cc(cp) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0xfffe || cp == 0xffff)
		return FNAME_UNDERSCORE;
	if (sotto_fname_is_invisible(cp))
		return FNAME_DROP;
	return FNAME_KEEP;
}

size_t
sotto_fname_filter(const uint8_t *in, size_t n, uint8_t *out, unsigned flags)
{
	struct sotto_rd rd;
	const uint8_t *seq;
	size_t len, o = 0;
	uint32_t cp;

	sotto_rd_init(&rd, in, n);
	while (sotto_rd_left(&rd) > 0) {
		if (sotto_utf8_take(&rd, &cp, &seq, &len) != 0) {
			(void)sotto_rd_skip(&rd, 1);   /* one invalid byte */
			out[o++] = '_';
			continue;
		}
		switch (fname_action(cp, flags)) {
		case FNAME_KEEP:
			memmove(out + o, seq, len);     /* out may be in */
			o += len;
			break;
		case FNAME_UNDERSCORE:
			out[o++] = '_';
			break;
		case FNAME_DROP:
			break;
		}
	}
	return o;
}

/* Strip leading '.' and ' ', trailing '.' and ' '; turn a leading '-'
 * into '_'. Works in place; returns the new length. */
static size_t
fname_trim(uint8_t *p, size_t n)
{
	size_t start = 0;

	while (start < n && (p[start] == '.' || p[start] == ' '))
		start++;
	while (n > start && (p[n - 1] == '.' || p[n - 1] == ' '))
		n--;
	memmove(p, p + start, n - start);
	n -= start;
	if (n > 0 && p[0] == '-')
		p[0] = '_';
	return n;
}

/* The largest length <= max that does not split a UTF-8 sequence of the
 * valid string p[0..n). */
static size_t
fname_boundary(const uint8_t *p, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && (p[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Shorten p[0..n) to at most max bytes, keeping a short extension. */
static size_t
fname_shorten(uint8_t *p, size_t n, size_t max)
{
	size_t ext = 0, stem, i;

	if (n <= max)
		return n;
	for (i = n; i > 1 && n - i < SOTTO_FNAME_EXT_MAX; i--)
		if (p[i - 1] == '.') {
			ext = n - (i - 1);     /* the dot and what follows */
			break;
		}
	stem = fname_boundary(p, n - ext, max - ext);
	memmove(p + stem, p + n - ext, ext);
	return stem + ext;
}

/* DOS device names: the part before the first '.', in any case. */
static int
fname_reserved(const uint8_t *p, size_t n)
{
	static const char *const names[] = { "CON", "PRN", "AUX", "NUL" };
	const uint8_t *dot = memchr(p, '.', n);
	size_t stem = dot != NULL ? (size_t)(dot - p) : n, i;
	char up[5];

	if (stem != 3 && stem != 4)
		return 0;
	for (i = 0; i < stem; i++)
		up[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
	up[stem] = '\0';
	if (stem == 4)
		return (memcmp(up, "COM", 3) == 0 || memcmp(up, "LPT", 3) == 0) &&
		    up[3] >= '1' && up[3] <= '9';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(up, names[i]) == 0)
			return 1;
	return 0;
}

int
sotto_fname_sanitize(const uint8_t *in, size_t n,
    char out[static SOTTO_FNAME_MAX + 1])
{
	uint8_t *tmp;
	size_t len;

	memcpy(out, SOTTO_FNAME_EMPTY, sizeof(SOTTO_FNAME_EMPTY));
	if ((tmp = malloc(n + 2)) == NULL)
		return SOTTO_E_ALLOC;
	len = fname_trim(tmp, sotto_fname_filter(in, n, tmp, 0));
	len = fname_trim(tmp, fname_shorten(tmp, len, SOTTO_FNAME_MAX));
	if (len > 0) {
		if (fname_reserved(tmp, len)) {
			/* "_CON..." is no device name, however it is cut
			 * again. Room: tmp holds n + 2 bytes, len <= n. */
			memmove(tmp + 1, tmp, len);
			tmp[0] = '_';
			len = fname_trim(tmp, fname_shorten(tmp, len + 1,
			    SOTTO_FNAME_MAX));
		}
		memcpy(out, tmp, len);
		out[len] = '\0';
	}
	free(tmp);
	return 0;
}

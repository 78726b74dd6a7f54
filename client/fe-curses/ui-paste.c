/* SPDX-License-Identifier: ISC */
/* ui-paste.c: bracketed paste: collecting the pasted text and cutting it into messages without losing a byte. */
#include <string.h>

#include "sanitize.h"
#include "ui-paste.h"
#include "utf8.h"

void paste_init(struct paste *p)
{
	memset(p, 0, sizeof(*p));
	sotto_wbuf_init(&p->text, PASTE_MAX_BYTES);
}

void paste_free(struct paste *p)
{
	sotto_wbuf_free(&p->text);
	memset(p, 0, sizeof(*p));
}

void paste_begin(struct paste *p)
{
	sotto_wbuf_reset(&p->text);
	p->on = true;
	p->last_cr = p->cut = false;
	p->dropped = 0;
}

static void put(struct paste *p, const void *b, size_t n)
{
	if (p->cut || sotto_wbuf_put(&p->text, b, n) != 0)
		p->cut = true;
}

static void put_cp(struct paste *p, uint32_t cp)
{
	uint8_t b[4];

	put(p, b, sotto_utf8_encode(cp, b));
}

void paste_key(struct paste *p, uint32_t cp)
{
	bool after_cr = p->last_cr;

	p->last_cr = cp == '\r';
	if (cp == '\n' && after_cr)
		return;
	if (cp == '\r' || cp == '\n') {
		put(p, "\n", 1);
		return;
	}
	if (cp == '\t') {
		put(p, "\t", 1);
		return;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || !sanitize_cp_ok(cp)) {
		p->dropped++;
		return;
	}
	put_cp(p, cp);
}

void paste_end(struct paste *p)
{
	p->on = false;
	if (p->text.len > 0 && p->text.p[p->text.len - 1] == '\n')
		p->text.len--;
}

size_t paste_lines(const struct paste *p)
{
	size_t n = 0;

	if (p->text.len == 0)
		return 0;
	for (size_t i = 0; i < p->text.len; i++)
		n += p->text.p[i] == '\n';
	return n + 1;
}

size_t paste_part(const char *s, size_t len, size_t max)
{
	size_t k;

	if (len <= max)
		return len;
	for (k = max; k > 0; k--)
		if (s[k - 1] == '\n' || s[k - 1] == ' ')
			return k;
	/* No break in sight: cut before a continuation byte never. */
	for (k = max; k > 0 && ((uint8_t)s[k] & 0xc0) == 0x80; k--)
		;
	return k > 0 ? k : max;
}

size_t paste_parts(const char *s, size_t len, size_t max)
{
	size_t n = 0, k;

	while (len > 0) {
		k = paste_part(s, len, max);
		s += k;
		len -= k;
		n++;
	}
	return n;
}

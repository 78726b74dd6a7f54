/* SPDX-License-Identifier: ISC */
/* json.c: JSON string escaping for batch output: always valid JSON, safe on a terminal. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "utf8.h"

/* U+FFFD REPLACEMENT CHARACTER stands in for each invalid byte. */
static const uint8_t replacement[] = { 0xef, 0xbf, 0xbd };

/* The short escapes JSON defines, or NULL. */
static const char *
short_escape(uint32_t cp)
{
	switch (cp) {
	case '"':  return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	}
	return NULL;
}

/* Controls (C0, DEL, C1) are escaped so the output never moves a
 * terminal; U+2028/2029 because JavaScript parsers choke on them raw. */
static int
needs_u_escape(uint32_t cp)
{
	return sotto_unicode_is_cc(cp) || cp == 0x2028 || cp == 0x2029;
}

static int
json_char(struct sotto_wbuf *out, uint32_t cp, const uint8_t *seq, size_t len)
{
	const char *esc = short_escape(cp);
	char u[8];

	if (esc != NULL)
		return sotto_wbuf_put(out, esc, strlen(esc));
	if (needs_u_escape(cp)) {
		snprintf(u, sizeof(u), "\\u%04x", (unsigned)cp);
		return sotto_wbuf_put(out, u, 6);
	}
	return sotto_wbuf_put(out, seq, len);
}

static int
json_body(struct sotto_wbuf *out, const char *s, size_t n)
{
	struct sotto_rd rd;
	const uint8_t *seq;
	uint32_t cp;
	size_t len;
	int r;

	sotto_rd_init(&rd, s, n);
	while (sotto_rd_left(&rd) > 0) {
		if (sotto_utf8_take(&rd, &cp, &seq, &len) == 0)
			r = json_char(out, cp, seq, len);
		else if ((r = sotto_rd_skip(&rd, 1)) == 0)
			r = sotto_wbuf_put(out, replacement, sizeof(replacement));
		if (r != 0)
			return r;
	}
	return 0;
}

int
sotto_json_str(struct sotto_wbuf *out, const char *s, size_t n)
{
	size_t start = out->len;
	int r;

	if ((r = sotto_wbuf_u8(out, '"')) != 0 ||
	    (r = json_body(out, s, n)) != 0 ||
	    (r = sotto_wbuf_u8(out, '"')) != 0) {
		/* Leave no half string behind. */
		out->len = start;
		return r;
	}
	return 0;
}

int
sotto_json_key(struct sotto_wbuf *out, const char *key)
{
	int r;

	if ((r = sotto_json_str(out, key, strlen(key))) != 0)
		return r;
	return sotto_wbuf_u8(out, ':');
}

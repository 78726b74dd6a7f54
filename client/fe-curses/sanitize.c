/* SPDX-License-Identifier: ISC */
/* sanitize.c: neutralise controls, escape sequences, bidi overrides and bad UTF-8 in untrusted text. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sanitize.h"
#include "utf8.h"

#define ESC 0x1bu

/* Code points that reorder or hide text although they are not controls:
 * the bidi embeddings, overrides and isolates (the "Trojan Source" set),
 * the implicit direction marks, line/paragraph separators and interlinear
 * annotations. */
static bool is_format_hazard(uint32_t cp)
{
	return cp == 0x061cu || cp == 0x200eu || cp == 0x200fu ||
	    (cp >= 0x2028u && cp <= 0x202eu) ||
	    (cp >= 0x2066u && cp <= 0x2069u) ||
	    (cp >= 0xfff9u && cp <= 0xfffbu);
}

bool sanitize_cp_ok(uint32_t cp)
{
	if (cp < 0x20u || cp == 0x7fu || (cp >= 0x80u && cp <= 0x9fu))
		return false;
	if (cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
		return false;
	return !is_format_hazard(cp);
}

static void piece_set(struct san_piece *pc, const char *s, bool marked)
{
	size_t n = strlen(s);

	memcpy(pc->text, s, n + 1);
	pc->len = n;
	pc->marked = marked;
}

/* C0 and DEL in caret notation, as `cat -v` shows them. */
static void piece_caret(struct san_piece *pc, uint8_t c)
{
	char s[3] = { '^', (char)(c == 0x7fu ? '?' : c + 0x40u), 0 };

	piece_set(pc, s, true);
}

static void piece_ucode(struct san_piece *pc, uint32_t cp)
{
	char s[SAN_PIECE_MAX];

	snprintf(s, sizeof(s), "\\u{%x}", (unsigned)cp);
	piece_set(pc, s, true);
}

static void piece_badbyte(struct san_piece *pc, uint8_t b)
{
	char s[8];

	snprintf(s, sizeof(s), "\\x%02x", (unsigned)b);
	piece_set(pc, s, true);
}

/* Length of a CSI sequence "ESC [ params intermediates final" at p, all of
 * it printable ASCII by the ECMA-48 grammar; 0 when p does not hold a
 * complete one within SAN_ESC_MAX bytes. */
static size_t csi_len(const uint8_t *p, size_t n)
{
	size_t i = 2, max = n < SAN_ESC_MAX ? n : SAN_ESC_MAX;

	if (n < 3 || p[1] != '[')
		return 0;
	while (i < max && p[i] >= 0x30u && p[i] <= 0x3fu)
		i++;
	while (i < max && p[i] >= 0x20u && p[i] <= 0x2fu)
		i++;
	if (i < max && p[i] >= 0x40u && p[i] <= 0x7eu)
		return i + 1;
	return 0;
}

/* ESC becomes "^[" followed by the printable bytes of its sequence, all
 * marked, so the reader sees what was attempted. An OSC/DCS payload that
 * follows is left to the next calls: its bytes are printable text or are
 * neutralised one by one, and its terminator shows as "^G" or "^[\". */
static size_t piece_escape(struct san_piece *pc, const uint8_t *p, size_t n)
{
	size_t len = csi_len(p, n);

	if (len == 0)
		len = (n >= 2 && p[1] >= 0x20u && p[1] <= 0x7eu) ? 2 : 1;
	pc->text[0] = '^';
	pc->text[1] = '[';
	memcpy(pc->text + 2, p + 1, len - 1);
	pc->len = len + 1;
	pc->text[pc->len] = '\0';
	pc->marked = true;
	return len;
}

size_t sanitize_next(const uint8_t *p, size_t n, struct san_piece *pc,
    unsigned flags)
{
	uint32_t cp = 0;
	size_t len;

	if (p[0] == ESC)
		return piece_escape(pc, p, n);
	if ((len = sotto_utf8_decode(p, n, &cp)) == 0) {
		piece_badbyte(pc, p[0]);
		return 1;
	}
	if (cp == '\t' && (flags & SAN_TAB_SPACE))
		piece_set(pc, " ", false);
	else if (cp < 0x20u || cp == 0x7fu)
		piece_caret(pc, (uint8_t)cp);
	else if (!sanitize_cp_ok(cp))
		piece_ucode(pc, cp);
	else {
		memcpy(pc->text, p, len);
		pc->text[len] = '\0';
		pc->len = len;
		pc->marked = false;
	}
	return len;
}

size_t sanitize_str(const void *in, size_t n, char *out, size_t cap,
    unsigned flags)
{
	struct sotto_rd rd;
	struct san_piece pc;
	size_t used = 0;

	sotto_rd_init(&rd, in, n);
	while (sotto_rd_left(&rd) > 0) {
		if (sotto_rd_skip(&rd, sanitize_next(rd.p, rd.len, &pc, flags)) != 0 ||
		    pc.len >= cap - used)
			break;
		memcpy(out + used, pc.text, pc.len);
		used += pc.len;
	}
	out[used] = '\0';
	return used;
}

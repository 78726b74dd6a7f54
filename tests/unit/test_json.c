/* SPDX-License-Identifier: ISC */
/* test_json.c: JSON string escaping (exact outputs, python3 parses the rest) and the UTF-8 helpers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "json.h"

/* sotto_json_str of n bytes of s, as a NUL-terminated string in out. */
static int
esc(const char *s, size_t n, const char *want)
{
	struct sotto_wbuf b;
	int same;

	sotto_wbuf_init(&b, 0);
	if (sotto_json_str(&b, s, n) != 0 || sotto_wbuf_u8(&b, 0) != 0) {
		sotto_wbuf_free(&b);
		return 0;
	}
	same = strcmp((const char *)b.p, want) == 0;
	if (!same)
		fprintf(stderr, "json: got %s want %s\n", (const char *)b.p, want);
	sotto_wbuf_free(&b);
	return same;
}

#define ESC(lit, want) CHECK(esc(lit, sizeof(lit) - 1, want))

static void
test_escapes(void)
{
	ESC("", "\"\"");
	ESC("hello, world", "\"hello, world\"");
	ESC("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
	ESC("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	ESC("a\0b", "\"a\\u0000b\"");
	ESC("\x01\x1b[31m\x1f", "\"\\u0001\\u001b[31m\\u001f\"");
	ESC("\x7f", "\"\\u007f\"");                         /* DEL */
	ESC("\xc2\x80\xc2\x85\xc2\x9f", "\"\\u0080\\u0085\\u009f\"");  /* C1 */
	ESC("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
	/* Printable non-ASCII passes through as UTF-8. */
	ESC("caf\xc3\xa9 \xc2\xa0 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xc2\xa0 \xf0\x9f\x98\x80\"");
	ESC("~ /", "\"~ /\"");
}

#define FFFD "\xef\xbf\xbd"

static void
test_invalid_utf8(void)
{
	ESC("\xff", "\"" FFFD "\"");
	ESC("a\x80z", "\"a" FFFD "z\"");                    /* lone continuation */
	ESC("\xc0\xaf", "\"" FFFD FFFD "\"");               /* overlong '/' */
	ESC("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	ESC("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");      /* surrogate */
	ESC("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	ESC("ok\xe6\x97", "\"ok" FFFD FFFD "\"");           /* truncated at the end */
	ESC("\xc3(", "\"" FFFD "(\"");
	ESC("\xc0\x8a", "\"" FFFD FFFD "\"");               /* overlong newline stays out */
}

static void
test_key_and_atomic(void)
{
	struct sotto_wbuf b;

	sotto_wbuf_init(&b, 12);
	CHECK_EQ(sotto_wbuf_u8(&b, '{'), 0);
	CHECK_EQ(sotto_json_key(&b, "text"), 0);
	CHECK_EQ(b.len, 8);
	CHECK_MEM(b.p, "{\"text\":", 8);
	/* Does not fit in the bound: nothing of it stays. */
	CHECK_EQ(sotto_json_str(&b, "abcdef", 6), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 8);
	CHECK_EQ(sotto_json_str(&b, "ab", 2), 0);
	CHECK_EQ(b.len, 12);
	sotto_wbuf_free(&b);
}

static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* Mostly controls, ASCII, lead bytes and raw high bytes. */
static void
random_bytes(uint8_t *s, size_t n, uint32_t *x)
{
	size_t k;

	for (k = 0; k < n; k++) {
		uint32_t v = lcg(x);
		switch (v % 4) {
		case 0: s[k] = (uint8_t)((v >> 2) % 0x20); break;
		case 1: s[k] = (uint8_t)(0x20 + (v >> 2) % 0x60); break;
		case 2: s[k] = (v >> 2) & 1 ? 0xc2 : 0xe2; break;
		default: s[k] = (uint8_t)(0x80 + (v >> 2) % 0x80); break;
		}
	}
}

/* Valid UTF-8 of at most max bytes, built from the awkward characters;
 * returns its length. */
static size_t
valid_pieces(uint8_t *s, size_t max, uint32_t *x)
{
	static const char *pieces[] = {
		"a", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1b", "\x7f",
		"\0", "\xc2\x85", "\xc2\xa0", "\xc3\xa9", "\xe2\x80\xa8",
		"\xe2\x80\xae", "\xef\xbf\xbd", "\xf0\x9f\x98\x80",
	};
	size_t n = 0, len;
	const char *p;

	for (;;) {
		p = pieces[lcg(x) % (sizeof(pieces) / sizeof(pieces[0]))];
		len = p[0] == '\0' ? 1 : strlen(p);
		if (n + len > max)
			return n;
		memcpy(s + n, p, len);
		n += len;
	}
}

/* Random byte strings and valid strings of awkward characters: python3's strict
 * json module must parse every output, and each valid-UTF-8 input must
 * come back exactly. */
static void
test_python_parses(void)
{
	/* Double quotes only: the shell wraps it in single quotes. */
	static const char script[] =
	    "import json,sys\n"
	    "n=0\n"
	    "for line in sys.stdin.buffer:\n"
	    "    s,h=line.rstrip(b\"\\n\").rsplit(b\" \",1)\n"
	    "    v=json.loads(s.decode(\"utf-8\"))\n"
	    "    assert isinstance(v,str)\n"
	    "    if h!=b\"-\": assert v.encode(\"utf-8\")==bytes.fromhex(h.decode()), line\n"
	    "    n+=1\n"
	    "assert n==400, n\n";
	char cmd[1200];
	struct sotto_wbuf b;
	uint32_t x = 99;
	uint8_t s[64];
	FILE *py;
	size_t i, n, k, valid = 0;
	int st;

	/* The script is an argument so stdin stays the data. */
	snprintf(cmd, sizeof(cmd), "python3 -c '%s'", script);
	py = popen(cmd, "w");
	CHECK(py != NULL);
	if (py == NULL)
		return;
	sotto_wbuf_init(&b, 0);
	for (i = 0; i < 400; i++) {
		n = i % 64;
		if (i % 2 == 1)
			n = valid_pieces(s, n, &x);
		else
			random_bytes(s, n, &x);
		sotto_wbuf_reset(&b);
		CHECK_EQ(sotto_json_str(&b, (const char *)s, n), 0);
		fwrite(b.p, 1, b.len, py);
		fputc(' ', py);
		if (sotto_utf8_valid(s, n) == 0) {
			valid++;
			for (k = 0; k < n; k++)
				fprintf(py, "%02x", s[k]);
		} else {
			fputc('-', py);
		}
		fputc('\n', py);
	}
	sotto_wbuf_free(&b);
	st = pclose(py);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fprintf(stderr, "json: %zu of 400 inputs valid UTF-8\n", valid);
	CHECK(valid >= 200);     /* the exact-content check really ran */
}

static void
test_utf8_helpers(void)
{
	uint32_t cp;

	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"A", 1, &cp), 1);
	CHECK_EQ(cp, 'A');
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xc3\xa9x", 3, &cp), 2);
	CHECK_EQ(cp, 0xe9);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xe2\x82\xac", 3, &cp), 3);
	CHECK_EQ(cp, 0x20ac);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	CHECK_EQ(cp, 0x1f600);
	/* Bounds: a sequence longer than the bytes given is invalid. */
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xf0\x9f\x98\x80", 3, &cp), 0);
	CHECK_EQ(cp, 0);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"", 0, &cp), 0);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xc1\x81", 2, &cp), 0);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xed\xb0\x80", 3, &cp), 0);
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xe0\x9f\xbf", 3, &cp), 0); /* overlong U+07FF */
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xf0\x8f\xbf\xbf", 4, &cp), 0); /* overlong U+FFFF */
	CHECK_EQ(sotto_utf8_decode((const uint8_t *)"\xef\xbf\xbf", 3, &cp), 3);  /* U+FFFF is valid */
	CHECK_EQ(sotto_utf8_valid((const uint8_t *)"caf\xc3\xa9", 5), 0);
	CHECK_EQ(sotto_utf8_valid((const uint8_t *)"caf\xc3", 4), SOTTO_E_FORMAT);
	CHECK_EQ(sotto_utf8_valid(NULL, 0), 0);
	CHECK(sotto_unicode_is_cc(0) && sotto_unicode_is_cc(0x1f) &&
	    sotto_unicode_is_cc(0x7f) && sotto_unicode_is_cc(0x80) &&
	    sotto_unicode_is_cc(0x9f));
	CHECK(!sotto_unicode_is_cc(' ') && !sotto_unicode_is_cc('~') &&
	    !sotto_unicode_is_cc(0xa0) && !sotto_unicode_is_cc(0x2028));
}

int
main(void)
{
	test_escapes();
	test_invalid_utf8();
	test_key_and_atomic();
	test_python_parses();
	test_utf8_helpers();
	return check_summary();
}

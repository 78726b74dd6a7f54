/* SPDX-License-Identifier: ISC */
/* test_fname.c: hostile sender-supplied file names come out harmless, readable and stable. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "fname.h"
#include "utf8.h"

static char out[SOTTO_FNAME_MAX + 1];

static const char *
san(const char *in, size_t n)
{
	CHECK_EQ(sotto_fname_sanitize((const uint8_t *)in, n, out), 0);
	return out;
}
#define SAN(s) san((s), sizeof(s) - 1)

/* The output promises of fname.h, checked on every result. */
static void
check_invariants(const char *o)
{
	size_t n = strlen(o);
	char again[SOTTO_FNAME_MAX + 1];

	CHECK(n >= 1 && n <= SOTTO_FNAME_MAX);
	CHECK_EQ(sotto_utf8_valid((const uint8_t *)o, n), 0);
	CHECK(strchr(o, '/') == NULL && strchr(o, '\\') == NULL);
	CHECK(o[0] != '.' && o[0] != '-' && o[0] != ' ');
	CHECK(o[n - 1] != '.' && o[n - 1] != ' ');
	CHECK_EQ(sotto_fname_sanitize((const uint8_t *)o, n, again), 0);
	CHECK_STR(again, o);     /* idempotent */
}

static void
test_plain(void)
{
	CHECK_STR(SAN("report.pdf"), "report.pdf");
	CHECK_STR(SAN("Grüße – 日本.txt"), "Grüße – 日本.txt");
	CHECK_STR(SAN("my file (2).tar.gz"), "my file (2).tar.gz");
	check_invariants(out);
}

static void
test_paths(void)
{
	CHECK_STR(SAN("../../etc/passwd"), "_.._etc_passwd");
	check_invariants(out);
	CHECK_STR(SAN("/etc/shadow"), "_etc_shadow");
	CHECK_STR(SAN("..\\..\\boot.ini"), "_.._boot.ini");
	CHECK_STR(SAN(".."), SOTTO_FNAME_EMPTY);
	CHECK_STR(SAN("."), SOTTO_FNAME_EMPTY);
	CHECK_STR(SAN("/"), "_");
}

static void
test_dots_and_dashes(void)
{
	CHECK_STR(SAN(".bashrc"), "bashrc");
	CHECK_STR(SAN("...  .ssh"), "ssh");
	CHECK_STR(SAN("-rf"), "_rf");
	CHECK_STR(SAN(" . -x"), "_x");
	CHECK_STR(SAN("trailing. . "), "trailing");
	CHECK_STR(SAN(""), SOTTO_FNAME_EMPTY);
	CHECK_STR(SAN("   "), SOTTO_FNAME_EMPTY);
	check_invariants(out);
}

static void
test_controls(void)
{
	CHECK_STR(SAN("a\0b.txt"), "a_b.txt");
	CHECK_STR(SAN("a\nb\r\t\x1b[31m"), "a_b___[31m");
	CHECK_STR(SAN("del\x7f"), "del_");
	CHECK_STR(SAN("c1\xc2\x9b" "2J"), "c1_2J");               /* U+009B CSI */
	CHECK_STR(SAN("ls\xe2\x80\xa8x"), "ls_x");                /* U+2028 */
	check_invariants(out);
}

static void
test_bidi(void)
{
	/* "invoice" RLO "fdp.exe": shows as invoiceexe.pdf in a terminal. */
	CHECK_STR(SAN("invoice\xe2\x80\xae" "fdp.exe"), "invoicefdp.exe");
	CHECK_STR(SAN("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c"), "abc");     /* LRI PDI */
	CHECK_STR(SAN("\xe2\x80\x8b.hidden"), "hidden");  /* ZWSP before the dot */
	CHECK_STR(SAN("x\xef\xbb\xbfy\xe2\x80\x8dz\xd8\x9c"), "xyz");   /* BOM ZWJ ALM */
	CHECK_STR(SAN("\xe2\x80\xae"), SOTTO_FNAME_EMPTY);
	check_invariants(out);
}

static void
test_invalid_utf8(void)
{
	CHECK_STR(SAN("a\xff" "b"), "a_b");
	CHECK_STR(SAN("\xc0\xaf" "etc"), "__etc");           /* overlong '/' */
	CHECK_STR(SAN("\xed\xa0\x80" "x"), "___x");          /* surrogate */
	CHECK_STR(SAN("cut\xe6\x97"), "cut__");              /* truncated sequence */
	check_invariants(out);
}

static void
test_reserved(void)
{
	CHECK_STR(SAN("CON"), "_CON");
	CHECK_STR(SAN("nul.txt"), "_nul.txt");
	CHECK_STR(SAN("Com1.tar.gz"), "_Com1.tar.gz");
	CHECK_STR(SAN("lpt9"), "_lpt9");
	CHECK_STR(SAN("COM0"), "COM0");
	CHECK_STR(SAN("CONSOLE"), "CONSOLE");
	check_invariants(out);
}

static void
test_long(void)
{
	size_t n = 10 * 1024, i;
	char *in = malloc(n + 8);

	CHECK(in != NULL);
	if (in == NULL)
		return;
	memset(in, 'a', n);
	memcpy(in + n, ".png", 4);
	san(in, n + 4);
	CHECK_EQ(strlen(out), SOTTO_FNAME_MAX);
	CHECK(strcmp(out + strlen(out) - 4, ".png") == 0);   /* extension kept */
	check_invariants(out);

	/* Multi-byte characters never split: 3-byte CJK to the end. */
	for (i = 0; i + 3 <= n; i += 3)
		memcpy(in + i, "\xe6\x97\xa5", 3);
	san(in, i);
	CHECK_EQ(strlen(out) % 3, 0);
	check_invariants(out);

	/* An over-long "extension" is no extension: plain cut. */
	memset(in, 'b', n);
	in[5] = '.';
	san(in, n);
	CHECK_EQ(strlen(out), SOTTO_FNAME_MAX);
	check_invariants(out);

	/* A cut that leaves a reserved name or a trailing space still obeys. */
	memcpy(in, "CON", 3);
	memset(in + 3, ' ', n - 4);
	in[n - 1] = 'x';
	san(in, n);
	CHECK_STR(out, "_CON");
	check_invariants(out);

	/* A device name that fills the length bound: prefixed, then cut
	 * again, and stable (found by fuzz_fname). */
	memcpy(in, "CON.t", 5);
	memset(in + 5, 0xff, n - 5);
	san(in, n);
	CHECK_EQ(strlen(out), SOTTO_FNAME_MAX);
	CHECK(strncmp(out, "_CON.t__", 8) == 0);
	check_invariants(out);
	free(in);
}

int
main(void)
{
	test_plain();
	test_paths();
	test_dots_and_dashes();
	test_controls();
	test_bidi();
	test_invalid_utf8();
	test_reserved();
	test_long();
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_utf8.c: the UTF-8 encoder against the strict decoder, for every code point. */
#include <stdint.h>

#include "check.h"
#include "utf8.h"

static void
test_round_trip(void)
{
	uint8_t out[4];
	uint32_t cp, back;
	size_t n, bad = 0, wrong = 0;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		n = sotto_utf8_encode(cp, out);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			bad += n != 0;
			continue;
		}
		if (n != (cp < 0x80 ? 1u : cp < 0x800 ? 2u : cp < 0x10000 ? 3u : 4u) ||
		    sotto_utf8_decode(out, n, &back) != n || back != cp)
			wrong++;
	}
	CHECK_EQ(bad, 0);      /* surrogates are no scalar values */
	CHECK_EQ(wrong, 0);    /* every other code point decodes back to itself */
}

static void
test_known(void)
{
	uint8_t out[4] = { 0 };

	CHECK_EQ(sotto_utf8_encode(0xfffd, out), 3);
	CHECK_MEM(out, "\xef\xbf\xbd", 3);
	CHECK_EQ(sotto_utf8_encode(0x1f600, out), 4);
	CHECK_MEM(out, "\xf0\x9f\x98\x80", 4);
	memset(out, 0xaa, sizeof(out));
	CHECK_EQ(sotto_utf8_encode(0x110000, out), 0);
	CHECK_EQ(out[0], 0xaa);                 /* untouched */
}

int
main(void)
{
	test_round_trip();
	test_known();
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* fuzz_fname.c: any bytes as a sender's file name: the sanitised name keeps every promise of fname.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fname.h"
#include "utf8.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written out again here rather than calling fname.c, so a rule dropped
 * there is caught: bidi controls and zero-width characters. */
static int
forbidden(uint32_t cp)
{
	return cp == '/' || cp == '\\' || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0x00ad ||
	    cp == 0xfffe || cp == 0xffff;
}

static int
reserved(const char *o)
{
	static const char *const names[] = { "CON", "PRN", "AUX", "NUL",
	    "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
	    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7",
	    "LPT8", "LPT9" };
	size_t stem = strcspn(o, "."), i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == stem && strncasecmp(o, names[i], stem) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SOTTO_FNAME_MAX + 1], again[SOTTO_FNAME_MAX + 1];
	size_t n, off = 0, len;
	uint32_t cp;

	REQUIRE(sotto_fname_sanitize(data, size, out) == 0);
	n = strlen(out);
	REQUIRE(n >= 1 && n <= SOTTO_FNAME_MAX);
	REQUIRE(sotto_utf8_valid((const uint8_t *)out, n) == 0);
	while (off < n) {
		len = sotto_utf8_decode((const uint8_t *)out + off, n - off, &cp);
		REQUIRE(len != 0 && !forbidden(cp));
		off += len;
	}
	REQUIRE(out[0] != '.' && out[0] != '-' && out[0] != ' ');
	REQUIRE(out[n - 1] != '.' && out[n - 1] != ' ');
	REQUIRE(!reserved(out));
	/* Nothing is added except '_' and the empty-name default. */
	REQUIRE(n <= size + 1 || strcmp(out, SOTTO_FNAME_EMPTY) == 0);
	REQUIRE(sotto_fname_sanitize((const uint8_t *)out, n, again) == 0);
	REQUIRE(strcmp(again, out) == 0);
	return 0;
}

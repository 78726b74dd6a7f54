/* SPDX-License-Identifier: ISC */
/* fuzz_mediatype.c: any first bytes of a file: the sniffed type is exactly the one its magic bytes name, whatever the length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mediatype.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
starts(const uint8_t *p, size_t n, const char *magic, size_t m)
{
	return n >= m && memcmp(p, magic, m) == 0;
}

/* The model: signatures from the format specifications. */
static enum sotto_mediatype
model(const uint8_t *p, size_t n)
{
	if (starts(p, n, "\x89PNG\r\n\x1a\n", 8))
		return SOTTO_MT_PNG;
	if (starts(p, n, "\xff\xd8\xff", 3))
		return SOTTO_MT_JPEG;
	if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6))
		return SOTTO_MT_GIF;
	if (n >= 16 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBPVP8", 7) == 0 &&
	    (p[15] == ' ' || p[15] == 'L' || p[15] == 'X'))
		return SOTTO_MT_WEBP;
	return SOTTO_MT_OTHER;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sotto_mediatype mt = sotto_mediatype_sniff(data, size);
	size_t cut;

	REQUIRE(mt == model(data, size));
	REQUIRE(sotto_mediatype_name(mt) != NULL);
	REQUIRE(sotto_mediatype_is_picture(mt) == (mt != SOTTO_MT_OTHER));
	/* Only the first SOTTO_MT_SNIFF_LEN bytes matter. */
	cut = size < SOTTO_MT_SNIFF_LEN ? size : SOTTO_MT_SNIFF_LEN;
	REQUIRE(sotto_mediatype_sniff(data, cut) == mt);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* test_mediatype.c: picture types come from magic bytes only, and every short or near-miss prefix is "other". */
#include <stdint.h>

#include "check.h"
#include "mediatype.h"

#define SNIFF(s) sotto_mediatype_sniff((const uint8_t *)(s), sizeof(s) - 1)

static const struct { const char *p; size_t n; enum sotto_mediatype mt; } known[] = {
	{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, SOTTO_MT_PNG },
	{ "\xff\xd8\xff\xe0\0\x10JFIF\0", 11, SOTTO_MT_JPEG },
	{ "\xff\xd8\xff\xe1\0\0Exif", 10, SOTTO_MT_JPEG },
	{ "GIF87a\x01\0\x01\0", 10, SOTTO_MT_GIF },
	{ "GIF89a\x01\0\x01\0", 10, SOTTO_MT_GIF },
	{ "RIFF\x24\0\0\0WEBPVP8 ", 16, SOTTO_MT_WEBP },
	{ "RIFF\x24\0\0\0WEBPVP8L", 16, SOTTO_MT_WEBP },
	{ "RIFF\x24\0\0\0WEBPVP8X", 16, SOTTO_MT_WEBP },
};

static void
test_known(void)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		CHECK_EQ(sotto_mediatype_sniff((const uint8_t *)known[i].p,
		    known[i].n), known[i].mt);
		CHECK(sotto_mediatype_is_picture(known[i].mt));
	}
	CHECK_STR(sotto_mediatype_name(SOTTO_MT_PNG), "image/png");
	CHECK_STR(sotto_mediatype_name(SOTTO_MT_JPEG), "image/jpeg");
	CHECK_STR(sotto_mediatype_name(SOTTO_MT_GIF), "image/gif");
	CHECK_STR(sotto_mediatype_name(SOTTO_MT_WEBP), "image/webp");
	CHECK_STR(sotto_mediatype_name(SOTTO_MT_OTHER), "application/octet-stream");
}

/* Every proper prefix of a signature is too short to claim the type,
 * and one flipped bit inside the signature loses it. */
static void
test_prefixes_and_flips(void)
{
	static const size_t sig_len[] = { 8, 3, 3, 6, 6, 16, 16, 16 };
	uint8_t buf[16];
	size_t i, k, bit;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		for (k = 0; k < sig_len[i]; k++)
			CHECK_EQ(sotto_mediatype_sniff((const uint8_t *)known[i].p,
			    k), SOTTO_MT_OTHER);
		for (k = 0; k < sig_len[i]; k++) {
			if (sig_len[i] == 16 && k >= 4 && k < 8)
				continue;          /* the RIFF size is not magic */
			for (bit = 0; bit < 8; bit++) {
				memcpy(buf, known[i].p, known[i].n);
				buf[k] ^= (uint8_t)(1u << bit);
				CHECK(sotto_mediatype_sniff(buf, known[i].n) !=
				    known[i].mt);
			}
		}
	}
}

static void
test_other(void)
{
	CHECK_EQ(SNIFF(""), SOTTO_MT_OTHER);
	CHECK_EQ(SNIFF("%PDF-1.7\n"), SOTTO_MT_OTHER);
	CHECK_EQ(SNIFF("\x7f" "ELF\x02\x01\x01"), SOTTO_MT_OTHER);
	CHECK_EQ(SNIFF("RIFF\x24\0\0\0WAVEfmt "), SOTTO_MT_OTHER);
	CHECK_EQ(SNIFF("RIFF\x24\0\0\0WEBPXXXX"), SOTTO_MT_OTHER);
	CHECK_EQ(SNIFF("<svg xmlns="), SOTTO_MT_OTHER);  /* never previewed */
	CHECK(!sotto_mediatype_is_picture(SOTTO_MT_OTHER));
	CHECK(sotto_mediatype_sniff(NULL, 0) == SOTTO_MT_OTHER);
}

int
main(void)
{
	test_known();
	test_prefixes_and_flips();
	test_other();
	return check_summary();
}

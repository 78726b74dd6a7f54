/* SPDX-License-Identifier: ISC */
/* mediatype.c: magic-byte sniffing for PNG, JPEG, GIF and WebP through the bounds-checked reader. */
#include <string.h>

#include "buf.h"
#include "mediatype.h"

/* Whether the next n bytes of rd equal magic (the reader moves past them). */
static int
mt_match(struct sotto_rd *rd, const char *magic, size_t n)
{
	const uint8_t *p;

	return sotto_rd_ptr(rd, &p, n) == 0 && memcmp(p, magic, n) == 0;
}

/* RIFF, u32 little-endian size, WEBP, then a VP8 / VP8L / VP8X chunk. */
static int
mt_webp(const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	const uint8_t *fourcc;

	sotto_rd_init(&rd, p, n);
	if (!mt_match(&rd, "RIFF", 4) || sotto_rd_skip(&rd, 4) != 0 ||
	    !mt_match(&rd, "WEBP", 4) || sotto_rd_ptr(&rd, &fourcc, 4) != 0)
		return 0;
	return memcmp(fourcc, "VP8 ", 4) == 0 || memcmp(fourcc, "VP8L", 4) == 0 ||
	    memcmp(fourcc, "VP8X", 4) == 0;
}

enum sotto_mediatype
sotto_mediatype_sniff(const uint8_t *p, size_t n)
{
	struct sotto_rd rd;

	sotto_rd_init(&rd, p, n);
	if (mt_match(&rd, "\x89PNG\r\n\x1a\n", 8))
		return SOTTO_MT_PNG;
	sotto_rd_init(&rd, p, n);
	if (mt_match(&rd, "\xff\xd8\xff", 3))   /* SOI, then a marker */
		return SOTTO_MT_JPEG;
	sotto_rd_init(&rd, p, n);
	if (mt_match(&rd, "GIF87a", 6))
		return SOTTO_MT_GIF;
	sotto_rd_init(&rd, p, n);
	if (mt_match(&rd, "GIF89a", 6))
		return SOTTO_MT_GIF;
	if (mt_webp(p, n))
		return SOTTO_MT_WEBP;
	return SOTTO_MT_OTHER;
}

const char *
sotto_mediatype_name(enum sotto_mediatype mt)
{
	switch (mt) {
	case SOTTO_MT_PNG:  return "image/png";
	case SOTTO_MT_JPEG: return "image/jpeg";
	case SOTTO_MT_GIF:  return "image/gif";
	case SOTTO_MT_WEBP: return "image/webp";
	case SOTTO_MT_OTHER:
		break;
	}
	return "application/octet-stream";
}

int
sotto_mediatype_is_picture(enum sotto_mediatype mt)
{
	return mt == SOTTO_MT_PNG || mt == SOTTO_MT_JPEG || mt == SOTTO_MT_GIF ||
	    mt == SOTTO_MT_WEBP;
}

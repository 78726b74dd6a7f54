/* SPDX-License-Identifier: ISC */
/* mediatype.h: recognise the picture formats sotto previews from their first bytes, never from a name. */
#ifndef SOTTO_MEDIATYPE_H
#define SOTTO_MEDIATYPE_H

#include <stddef.h>
#include <stdint.h>

enum sotto_mediatype {
	SOTTO_MT_OTHER = 0,     /* anything else: application/octet-stream */
	SOTTO_MT_PNG,
	SOTTO_MT_JPEG,
	SOTTO_MT_GIF,
	SOTTO_MT_WEBP,
};

/* Bytes of a file's start that sotto_mediatype_sniff looks at at most. */
#define SOTTO_MT_SNIFF_LEN 16u

/* The type the magic bytes at p[0..n) announce; n may be shorter than a
 * signature (then SOTTO_MT_OTHER). The file name plays no part: a
 * "photo.png" that holds anything else is SOTTO_MT_OTHER. */
enum sotto_mediatype sotto_mediatype_sniff(const uint8_t *p, size_t n);
/* The IANA media type name ("image/png", ..., "application/octet-stream"). */
const char *sotto_mediatype_name(enum sotto_mediatype mt);
/* 1 for the types a preview may be rendered from. */
int sotto_mediatype_is_picture(enum sotto_mediatype mt);

#endif

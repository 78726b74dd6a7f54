/* SPDX-License-Identifier: ISC */
/* decode.h: a received picture's bytes into RGBA8 pixels (PNG, JPEG, GIF's first frame, WebP), its size bounded before any pixel is allocated. */
#ifndef SOTTO_DECODE_H
#define SOTTO_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Pixels of one decoded picture at most (width * height * 4 bytes): a
 * 4096 x 4096 picture. Either side is also bounded by SOTTO_PREVIEW_PX_MAX
 * (preview.h). */
#define SOTTO_PICTURE_RGBA_MAX  (64u * 1024u * 1024u)
/* A picture file larger than this is not read for a preview. */
#define SOTTO_PICTURE_FILE_MAX  (64u * 1024u * 1024u)

/* Decoded pixels: RGBA8, unassociated alpha, rows width * 4 bytes apart. */
struct sotto_picture {
	uint8_t  *rgba;
	unsigned  width, height;
};

/*
 * Decode data[0..len), whose type is what its first bytes say
 * (shared/mediatype.h; never a file name), into pic. The header's width
 * and height are checked (1..SOTTO_PREVIEW_PX_MAX each, width * height * 4
 * at most max_rgba, 0 meaning SOTTO_PICTURE_RGBA_MAX) before any pixel is
 * allocated. want > 0 lets a format that decodes smaller for free (JPEG:
 * 1/2, 1/4, 1/8) do so while the larger side stays >= want. Nothing is
 * printed: the libraries' messages are dropped, their errors returned.
 *
 * Returns 0 (pic->rgba malloc'd: sotto_picture_free), or with pic zeroed:
 * SOTTO_E_UNSUPPORTED (not PNG, JPEG, GIF or WebP), SOTTO_E_TOOLONG (its
 * size is over the bounds), SOTTO_E_FORMAT (corrupt, truncated, or a
 * variant the decoder refuses), SOTTO_E_ALLOC.
 */
int sotto_picture_decode(const uint8_t *data, size_t len, unsigned want,
    size_t max_rgba, struct sotto_picture *pic);

/* The same for the file at path (at most SOTTO_PICTURE_FILE_MAX bytes,
 * else SOTTO_E_TOOLONG; SOTTO_E_IO when it cannot be read; a symlink at
 * path is not followed). */
int sotto_picture_load(const char *path, unsigned want,
    struct sotto_picture *pic);

void sotto_picture_free(struct sotto_picture *pic);

/* Pixel buffers allocated so far: tests see that an oversized header
 * is refused before one is. */
extern unsigned long sotto_picture_allocs;

#endif

/* SPDX-License-Identifier: ISC */
/* decode-gif.c: a GIF's first frame on its logical screen, into RGBA8 with giflib's record-level reader (never DGifSlurp, which would read every frame). */
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

#include "decode-fmt.h"
#include "err.h"

/* Extension blocks before the first frame at most (comments, loops, ...). */
#define GIF_EXT_MAX 4096

struct gif_src {
	const uint8_t *p;
	size_t         len, off;
};

/* giflib's input function: the next n bytes of the buffer, fewer at its end. */
static int
gif_read(GifFileType *gif, GifByteType *buf, int n)
{
	struct gif_src *src = gif->UserData;
	size_t k = n > 0 ? (size_t)n : 0;

	if (k > src->len - src->off)
		k = src->len - src->off;
	memcpy(buf, src->p + src->off, k);
	src->off += k;
	return (int)k;
}

/* Skip one extension; a Graphics Control Extension sets *transparent. */
static int
gif_extension(GifFileType *gif, int *transparent)
{
	GraphicsControlBlock gcb;
	GifByteType *ext;
	int code;

	if (DGifGetExtension(gif, &code, &ext) != GIF_OK)
		return SOTTO_E_FORMAT;
	if (code == GRAPHICS_EXT_FUNC_CODE && ext != NULL &&
	    DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
		*transparent = gcb.TransparentColor;
	while (ext != NULL)
		if (DGifGetExtensionNext(gif, &ext) != GIF_OK)
			return SOTTO_E_FORMAT;
	return 0;
}

/* One row of colour indices onto canvas row y, from column left; indices
 * past the colour map and the transparent one stay transparent. */
static void
gif_row(struct sotto_picture *pic, unsigned y, long left, const GifPixelType *idx,
    unsigned n, const ColorMapObject *map, int transparent)
{
	uint8_t *out = pic->rgba + (size_t)y * pic->width * 4u;
	unsigned i;
	long x;

	for (i = 0; i < n; i++) {
		x = left + (long)i;
		if (x < 0 || x >= (long)pic->width || idx[i] == transparent ||
		    idx[i] >= map->ColorCount)
			continue;
		out[x * 4] = map->Colors[idx[i]].Red;
		out[x * 4 + 1] = map->Colors[idx[i]].Green;
		out[x * 4 + 2] = map->Colors[idx[i]].Blue;
		out[x * 4 + 3] = 255;
	}
}

/* The frame's rows, in file order; interlaced ones in its four passes. */
static int
gif_frame(GifFileType *gif, struct sotto_picture *pic, int transparent)
{
	static const unsigned start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
	const GifImageDesc *d = &gif->Image;
	const ColorMapObject *map = d->ColorMap != NULL ? d->ColorMap : gif->SColorMap;
	GifPixelType *line;
	unsigned pass, y, h = (unsigned)d->Height, w = (unsigned)d->Width;
	int r = 0;

	if (map == NULL || map->Colors == NULL)
		return SOTTO_E_FORMAT;
	if ((line = malloc(w)) == NULL)
		return SOTTO_E_ALLOC;
	for (pass = d->Interlace ? 0 : 3; pass < 4 && r == 0; pass++)
		for (y = d->Interlace ? start[pass] : 0; y < h && r == 0;
		    y += d->Interlace ? step[pass] : 1) {
			if (DGifGetLine(gif, line, (int)w) != GIF_OK) {
				r = SOTTO_E_FORMAT;
				break;
			}
			if ((long)d->Top + (long)y >= 0 &&
			    (long)d->Top + (long)y < (long)pic->height)
				gif_row(pic, (unsigned)(d->Top + (int)y), d->Left, line,
				    w, map, transparent);
		}
	free(line);
	return r;
}

/* Records up to the first image: extensions skipped (the last Graphics
 * Control Extension names the transparent index), then its descriptor. */
static int
gif_first_image(GifFileType *gif, int *transparent)
{
	GifRecordType type;
	unsigned n;
	int r;

	for (n = 0; n < GIF_EXT_MAX; n++) {
		if (DGifGetRecordType(gif, &type) != GIF_OK)
			return SOTTO_E_FORMAT;
		if (type == IMAGE_DESC_RECORD_TYPE)
			return DGifGetImageDesc(gif) == GIF_OK ? 0 : SOTTO_E_FORMAT;
		if (type != EXTENSION_RECORD_TYPE)
			return SOTTO_E_FORMAT;    /* the end, before any image */
		if ((r = gif_extension(gif, transparent)) != 0)
			return r;
	}
	return SOTTO_E_FORMAT;
}

/*
 * The canvas is the logical screen (SWidth x SHeight), or the frame's own
 * size when the screen says 0; both are checked before anything the size
 * of the picture is allocated. Uncovered pixels are transparent. giflib
 * reports errors by return value and prints nothing.
 */
static int
gif_decode(GifFileType *gif, const struct pic_req *req, struct sotto_picture *pic)
{
	int transparent = NO_TRANSPARENT_COLOR, r;
	unsigned long cw, ch;

	if ((r = gif_first_image(gif, &transparent)) != 0)
		return r;
	cw = gif->SWidth > 0 ? (unsigned long)gif->SWidth : (unsigned long)gif->Image.Width;
	ch = gif->SHeight > 0 ? (unsigned long)gif->SHeight : (unsigned long)gif->Image.Height;
	if (gif->Image.Width <= 0 || gif->Image.Height <= 0)
		return SOTTO_E_FORMAT;
	if ((r = pic_check_size(req, cw, ch)) != 0 ||
	    (r = pic_check_size(req, (unsigned long)gif->Image.Width,
	    (unsigned long)gif->Image.Height)) != 0 ||
	    (r = pic_alloc(pic, (unsigned)cw, (unsigned)ch)) != 0)
		return r;
	memset(pic->rgba, 0, (size_t)pic->width * pic->height * 4u);
	return gif_frame(gif, pic, transparent);
}

int
pic_decode_gif(const struct pic_req *req, struct sotto_picture *pic)
{
	struct gif_src src = { req->data, req->len, 0 };
	GifFileType *gif;
	int err = 0, r;

	if ((gif = DGifOpen(&src, gif_read, &err)) == NULL)
		return err == D_GIF_ERR_NOT_ENOUGH_MEM ? SOTTO_E_ALLOC : SOTTO_E_FORMAT;
	r = gif_decode(gif, req, pic);
	(void)DGifCloseFile(gif, &err);
	return r;
}

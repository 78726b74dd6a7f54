/* SPDX-License-Identifier: ISC */
/* picgen.c: encoders for the decoder tests (libpng, libjpeg-turbo, giflib, libwebp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "picgen.h"

static int
dup_out(const void *p, size_t len, uint8_t **out, size_t *n)
{
	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	memcpy(*out, p, len);
	*n = len;
	return 0;
}

int
picgen_png(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out, size_t *n)
{
	png_image img;
	png_alloc_size_t size = 0;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = PNG_FORMAT_RGBA;
	if (!png_image_write_to_memory(&img, NULL, &size, 0, rgba, 0, NULL) ||
	    (*out = malloc(size)) == NULL)
		return -1;
	if (!png_image_write_to_memory(&img, *out, &size, 0, rgba, 0, NULL)) {
		free(*out);
		return -1;
	}
	*n = size;
	return 0;
}

int
picgen_jpeg(const uint8_t *rgba, unsigned w, unsigned h, int progressive,
    uint8_t **out, size_t *n)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr err;
	unsigned char *buf = NULL;
	unsigned long size = 0;
	uint8_t *row;
	unsigned x;
	int r;

	if ((row = malloc((size_t)w * 3u)) == NULL)
		return -1;
	ci.err = jpeg_std_error(&err);     /* the test's own input: exit is fine */
	jpeg_create_compress(&ci);
	jpeg_mem_dest(&ci, &buf, &size);
	ci.image_width = w;
	ci.image_height = h;
	ci.input_components = 3;
	ci.in_color_space = JCS_RGB;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 95, TRUE);
	if (progressive)
		jpeg_simple_progression(&ci);
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < h) {
		const uint8_t *src = rgba + (size_t)ci.next_scanline * w * 4u;
		JSAMPROW rp = row;

		for (x = 0; x < w; x++)
			memcpy(row + x * 3u, src + x * 4u, 3);
		jpeg_write_scanlines(&ci, &rp, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	free(row);
	r = dup_out(buf, size, out, n);
	free(buf);
	return r;
}

struct gif_buf {
	uint8_t *p;
	size_t   n, cap;
};

static int
gif_write(GifFileType *gif, const GifByteType *data, int len)
{
	struct gif_buf *b = gif->UserData;
	uint8_t *g;

	if (b->n + (size_t)len > b->cap) {
		b->cap = (b->n + (size_t)len) * 2u;
		if ((g = realloc(b->p, b->cap)) == NULL)
			return 0;
		b->p = g;
	}
	memcpy(b->p + b->n, data, (size_t)len);
	b->n += (size_t)len;
	return len;
}

static int
gif_frame(GifFileType *gif, const uint8_t *idx, unsigned w, unsigned h,
    int interlace)
{
	static const unsigned start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
	unsigned pass, y;

	if (EGifPutImageDesc(gif, 0, 0, (int)w, (int)h, interlace, NULL) != GIF_OK)
		return -1;
	for (pass = interlace ? 0 : 3; pass < 4; pass++)
		for (y = interlace ? start[pass] : 0; y < h; y += interlace ? step[pass] : 1)
			if (EGifPutLine(gif, (GifPixelType *)(idx + (size_t)y * w),
			    (int)w) != GIF_OK)
				return -1;
	return 0;
}

int
picgen_gif(const uint8_t *idx, unsigned w, unsigned h, const uint8_t *pal,
    int n_pal, int transparent, int interlace, int frames, uint8_t **out,
    size_t *n)
{
	struct gif_buf b = { NULL, 0, 0 };
	GraphicsControlBlock gcb = { .DisposalMode = DISPOSAL_UNSPECIFIED,
	    .UserInputFlag = false, .DelayTime = 10, .TransparentColor = transparent };
	GifByteType ext[4];
	ColorMapObject *map;
	GifColorType colours[256];
	GifFileType *gif;
	uint8_t *zero;
	int err, i, r = -1;

	for (i = 0; i < n_pal; i++) {
		colours[i].Red = pal[i * 3];
		colours[i].Green = pal[i * 3 + 1];
		colours[i].Blue = pal[i * 3 + 2];
	}
	if ((map = GifMakeMapObject(n_pal, colours)) == NULL)
		return -1;
	if ((gif = EGifOpen(&b, gif_write, &err)) == NULL) {
		GifFreeMapObject(map);
		return -1;
	}
	EGifSetGifVersion(gif, true);
	if (EGifPutScreenDesc(gif, (int)w, (int)h, 8, 0, map) == GIF_OK &&
	    EGifGCBToExtension(&gcb, ext) == 4 &&
	    EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, ext) == GIF_OK &&
	    gif_frame(gif, idx, w, h, interlace) == 0)
		r = 0;
	if (r == 0 && frames == 2) {
		r = -1;
		if ((zero = calloc((size_t)w * h, 1)) != NULL &&
		    gif_frame(gif, zero, w, h, 0) == 0)
			r = 0;
		free(zero);
	}
	if (EGifCloseFile(gif, &err) != GIF_OK)
		r = -1;
	GifFreeMapObject(map);
	if (r == 0)
		r = dup_out(b.p, b.n, out, n);
	free(b.p);
	return r;
}

int
picgen_webp(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out, size_t *n)
{
	uint8_t *enc = NULL;
	size_t size = WebPEncodeLosslessRGBA(rgba, (int)w, (int)h, (int)(w * 4u), &enc);
	int r;

	if (size == 0)
		return -1;
	r = dup_out(enc, size, out, n);
	WebPFree(enc);
	return r;
}

static int
anim_add(WebPAnimEncoder *enc, const uint8_t *rgba, unsigned w, unsigned h,
    int ts)
{
	WebPConfig cfg;
	WebPPicture pic;
	int ok;

	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
		return -1;
	cfg.lossless = 1;
	pic.use_argb = 1;
	pic.width = (int)w;
	pic.height = (int)h;
	ok = WebPPictureImportRGBA(&pic, rgba, (int)(w * 4u)) &&
	    WebPAnimEncoderAdd(enc, &pic, ts, &cfg);
	WebPPictureFree(&pic);
	return ok ? 0 : -1;
}

int
picgen_webp_anim(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out,
    size_t *n)
{
	WebPAnimEncoderOptions opt;
	WebPAnimEncoder *enc;
	WebPData wd;
	uint8_t *inv;
	size_t i, len = (size_t)w * h * 4u;
	int r = -1;

	if ((inv = malloc(len)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		inv[i] = i % 4u == 3u ? rgba[i] : (uint8_t)(255u - rgba[i]);
	WebPDataInit(&wd);
	if (WebPAnimEncoderOptionsInit(&opt) &&
	    (enc = WebPAnimEncoderNew((int)w, (int)h, &opt)) != NULL) {
		if (anim_add(enc, rgba, w, h, 0) == 0 &&
		    anim_add(enc, inv, w, h, 100) == 0 &&
		    WebPAnimEncoderAdd(enc, NULL, 200, NULL) &&
		    WebPAnimEncoderAssemble(enc, &wd))
			r = dup_out(wd.bytes, wd.size, out, n);
		WebPAnimEncoderDelete(enc);
	}
	WebPDataClear(&wd);
	free(inv);
	return r;
}

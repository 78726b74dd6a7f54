/* SPDX-License-Identifier: ISC */
/* decode-png.c: PNG into RGBA8 through libpng's simplified API, which keeps libpng's longjmp inside libpng and its messages in the image struct. */
#include <png.h>
#include <string.h>

#include "decode-fmt.h"
#include "err.h"

/*
 * png_image_begin_read_from_memory reads the signature and every chunk up
 * to the first IDAT (IHDR gives the size), then pic_check_size decides
 * before the pixels are allocated. libpng's own errors longjmp inside
 * libpng (png_safe_execute) and land in image.message, which is never
 * printed; on any failure libpng frees its state itself, and
 * png_image_free again is a no-op. Ancillary chunks (text, ICC) are
 * bounded by libpng's default chunk limit (8 MB), decompression by the
 * checked size.
 */
int
pic_decode_png(const struct pic_req *req, struct sotto_picture *pic)
{
	png_image image;
	int r;

	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&image, req->data, req->len))
		return SOTTO_E_FORMAT;
	if ((r = pic_check_size(req, image.width, image.height)) != 0 ||
	    (r = pic_alloc(pic, image.width, image.height)) != 0) {
		png_image_free(&image);
		return r;
	}
	image.format = PNG_FORMAT_RGBA;
	if (!png_image_finish_read(&image, NULL, pic->rgba, 0, NULL)) {
		png_image_free(&image);
		return SOTTO_E_FORMAT;
	}
	png_image_free(&image);
	return 0;
}

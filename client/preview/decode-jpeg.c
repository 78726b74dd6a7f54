/* SPDX-License-Identifier: ISC */
/* decode-jpeg.c: JPEG into RGBA8 with libjpeg-turbo; its errors longjmp back here, its messages are dropped, its memory and scan count are bounded. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "decode-fmt.h"
#include "err.h"

/* libjpeg's own allocations for one picture (progressive coefficient
 * buffers: about 2 bytes a sample) at most. */
#define JPEG_MEM_MAX    (256L * 1024 * 1024)
/* A progressive JPEG with more scans than this is refused: each scan
 * redoes the whole picture (libjpeg-turbo's advice for untrusted input). */
#define JPEG_SCANS_MAX  500
/* Warnings (damaged data libjpeg works around) tolerated in one picture. */
#define JPEG_WARN_MAX   1000

struct jpeg_ctx {
	struct jpeg_error_mgr    err;      /* first: libjpeg's cinfo->err */
	struct jpeg_progress_mgr progress;
	jmp_buf                  jb;
};

/* Every fatal error: back to pic_decode_jpeg's setjmp, nothing printed. */
static void
jpeg_fail(j_common_ptr ci)
{
	struct jpeg_ctx *ctx = (struct jpeg_ctx *)(void *)ci->err;

	longjmp(ctx->jb, 1);
}

/* Warnings: a truncated file (libjpeg would fill the rest with grey) and
 * a flood of them are errors; the rest are counted, never printed. */
static void
jpeg_message(j_common_ptr ci, int level)
{
	if (level >= 0)
		return;     /* trace messages */
	if (ci->err->msg_code == JWRN_JPEG_EOF ||
	    ++ci->err->num_warnings > JPEG_WARN_MAX)
		jpeg_fail(ci);
}

static void
jpeg_quiet(j_common_ptr ci)
{
	(void)ci;
}

static void
jpeg_progress(j_common_ptr ci)
{
	j_decompress_ptr d = (j_decompress_ptr)ci;

	if (ci->is_decompressor && d->input_scan_number > JPEG_SCANS_MAX)
		jpeg_fail(ci);
}

/* The largest of 1/8, 1/4, 1/2, 1 that keeps the larger side >= want. */
static unsigned
jpeg_denom(unsigned width, unsigned height, unsigned want)
{
	unsigned side = width > height ? width : height, d;

	if (want == 0)
		return 1;
	for (d = 8; d > 1; d /= 2)
		if (side / d >= want)
			return d;
	return 1;
}

/* CMYK (Adobe writes it inverted) to RGBA, in place: row holds w*4 bytes. */
static void
jpeg_cmyk_row(uint8_t *row, unsigned w, int inverted)
{
	unsigned x, c, m, y, k;

	for (x = 0; x < w; x++) {
		uint8_t *p = row + (size_t)x * 4u;

		c = p[0]; m = p[1]; y = p[2]; k = p[3];
		if (!inverted) {
			c = 255u - c; m = 255u - m; y = 255u - y; k = 255u - k;
		}
		p[0] = (uint8_t)(c * k / 255u);
		p[1] = (uint8_t)(m * k / 255u);
		p[2] = (uint8_t)(y * k / 255u);
		p[3] = 255;
	}
}

/* After jpeg_read_header: output format, scale, then the size check. */
static int
jpeg_setup(const struct pic_req *req, struct jpeg_decompress_struct *ci,
    int *cmyk)
{
	int r;

	if ((r = pic_check_size(req, ci->image_width, ci->image_height)) != 0)
		return r;
	*cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
	ci->out_color_space = *cmyk ? JCS_CMYK : JCS_EXT_RGBA;
	ci->scale_num = 1;
	ci->scale_denom = jpeg_denom(ci->image_width, ci->image_height, req->want);
	ci->dct_method = JDCT_ISLOW;
	jpeg_calc_output_dimensions(ci);
	if (ci->output_components != 4)
		return SOTTO_E_FORMAT;
	return pic_check_size(req, ci->output_width, ci->output_height);
}

int
pic_decode_jpeg(const struct pic_req *req, struct sotto_picture *pic)
{
	struct jpeg_decompress_struct ci;
	struct jpeg_ctx ctx;
	/* Changed after setjmp and read after a longjmp: volatile. */
	volatile int r = SOTTO_E_FORMAT, created = 0;
	int cmyk = 0;
	JSAMPROW row;

	memset(&ci, 0, sizeof(ci));
	memset(&ctx, 0, sizeof(ctx));
	ci.err = jpeg_std_error(&ctx.err);
	ctx.err.error_exit = jpeg_fail;
	ctx.err.emit_message = jpeg_message;
	ctx.err.output_message = jpeg_quiet;
	ctx.progress.progress_monitor = jpeg_progress;
	if (setjmp(ctx.jb) != 0) {
		if (created)
			jpeg_destroy_decompress(&ci);
		return r == 0 ? SOTTO_E_FORMAT : r;
	}
	jpeg_create_decompress(&ci);
	created = 1;
	ci.progress = &ctx.progress;
	ci.mem->max_memory_to_use = JPEG_MEM_MAX;
	jpeg_mem_src(&ci, req->data, (unsigned long)req->len);
	if (jpeg_read_header(&ci, TRUE) != JPEG_HEADER_OK ||
	    (r = jpeg_setup(req, &ci, &cmyk)) != 0 ||
	    (r = pic_alloc(pic, ci.output_width, ci.output_height)) != 0) {
		jpeg_destroy_decompress(&ci);
		return r != 0 ? r : SOTTO_E_FORMAT;
	}
	/* pic->rgba is freed by the caller on any error, longjmp included. */
	r = SOTTO_E_FORMAT;
	jpeg_start_decompress(&ci);
	while (ci.output_scanline < ci.output_height) {
		row = pic->rgba + (size_t)ci.output_scanline * pic->width * 4u;
		if (jpeg_read_scanlines(&ci, &row, 1) != 1)
			break;
		if (cmyk)
			jpeg_cmyk_row(row, pic->width, ci.saw_Adobe_marker);
	}
	if (ci.output_scanline == ci.output_height) {
		jpeg_finish_decompress(&ci);
		r = 0;
	}
	jpeg_destroy_decompress(&ci);
	return r;
}

/* SPDX-License-Identifier: ISC */
/* decode-fmt.h: what decode.c hands each format's decoder (decode-png.c, decode-jpeg.c, decode-gif.c, decode-webp.c), and the size check they all call before allocating. */
#ifndef SOTTO_DECODE_FMT_H
#define SOTTO_DECODE_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct pic_req {
	const uint8_t *data;
	size_t         len;
	unsigned       want;      /* see sotto_picture_decode */
	size_t         max_rgba;  /* resolved: never 0 */
};

/* 0 when a width x height RGBA picture is within req's bounds, else
 * SOTTO_E_TOOLONG (also for a side of 0: SOTTO_E_FORMAT). */
int pic_check_size(const struct pic_req *req, unsigned long width,
    unsigned long height);
/* pic->rgba for width x height pixels after pic_check_size said yes;
 * uninitialised. SOTTO_E_ALLOC. */
int pic_alloc(struct sotto_picture *pic, unsigned width, unsigned height);

int pic_decode_png(const struct pic_req *req, struct sotto_picture *pic);
int pic_decode_jpeg(const struct pic_req *req, struct sotto_picture *pic);
int pic_decode_gif(const struct pic_req *req, struct sotto_picture *pic);
int pic_decode_webp(const struct pic_req *req, struct sotto_picture *pic);

#endif

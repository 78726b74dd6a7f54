/* SPDX-License-Identifier: ISC */
/* decode-webp.c: WebP into RGBA8 with libwebp (an animation: its first frame, through libwebpdemux). */
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "decode-fmt.h"
#include "err.h"

/* The first frame of an animated WebP, composed on its canvas (whose size
 * WebPGetFeatures reported and pic_check_size accepted). */
static int
webp_first_frame(const struct pic_req *req, struct sotto_picture *pic)
{
	WebPAnimDecoderOptions opt;
	WebPAnimDecoder *dec;
	WebPAnimInfo info;
	WebPData wd = { req->data, req->len };
	uint8_t *frame;
	int ts, r;

	if (!WebPAnimDecoderOptionsInit(&opt))
		return SOTTO_E_FORMAT;
	opt.color_mode = MODE_RGBA;
	opt.use_threads = 0;
	if ((dec = WebPAnimDecoderNew(&wd, &opt)) == NULL)
		return SOTTO_E_FORMAT;
	if (!WebPAnimDecoderGetInfo(dec, &info) ||
	    info.canvas_width != pic->width || info.canvas_height != pic->height ||
	    !WebPAnimDecoderGetNext(dec, &frame, &ts))
		r = SOTTO_E_FORMAT;
	else {
		memcpy(pic->rgba, frame, (size_t)pic->width * pic->height * 4u);
		r = 0;
	}
	WebPAnimDecoderDelete(dec);
	return r;
}

int
pic_decode_webp(const struct pic_req *req, struct sotto_picture *pic)
{
	WebPBitstreamFeatures f;
	size_t size;
	int r;

	if (WebPGetFeatures(req->data, req->len, &f) != VP8_STATUS_OK)
		return SOTTO_E_FORMAT;
	if (f.width < 0 || f.height < 0)
		return SOTTO_E_FORMAT;
	if ((r = pic_check_size(req, (unsigned long)f.width,
	    (unsigned long)f.height)) != 0 ||
	    (r = pic_alloc(pic, (unsigned)f.width, (unsigned)f.height)) != 0)
		return r;
	if (f.has_animation)
		return webp_first_frame(req, pic);
	size = (size_t)pic->width * pic->height * 4u;
	if (WebPDecodeRGBAInto(req->data, req->len, pic->rgba, size,
	    (int)(pic->width * 4u)) == NULL)
		return SOTTO_E_FORMAT;
	return 0;
}

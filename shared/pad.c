/* SPDX-License-Identifier: ISC */
/* pad.c: the DAT plaintext: content type, length, body, then 0..255 random padding bytes. */
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "wire.h"

int
sotto_pad(struct sotto_wbuf *out, uint8_t content_type, const void *body,
    size_t body_len)
{
	size_t start = out->len, pad;
	int r;

	/* Plaintext belongs in secure memory only. */
	if (!out->secure)
		return SOTTO_E_INVAL;
	if (body_len > UINT32_MAX || body_len > SIZE_MAX - SOTTO_PAD_HDR - SOTTO_PAD_MAX)
		return SOTTO_E_TOOLONG;
	pad = sotto_random_uniform(SOTTO_PAD_MAX + 1);
	if ((r = sotto_wbuf_reserve(out, SOTTO_PAD_HDR + body_len + pad)) != 0 ||
	    (r = sotto_wbuf_u8(out, content_type)) != 0 ||
	    (r = sotto_wbuf_u32(out, (uint32_t)body_len)) != 0 ||
	    (r = sotto_wbuf_put(out, body, body_len)) != 0) {
		out->len = start;
		return r;
	}
	/* Random, not zero, bytes: the pad says nothing even to a reader of
	 * a compressed or partially known plaintext. */
	sotto_random_nonce(out->p + out->len, pad);
	out->len += pad;
	return 0;
}

int
sotto_unpad(const uint8_t *pt, size_t n, uint8_t *content_type,
    const uint8_t **body, size_t *body_len)
{
	struct sotto_rd rd;
	const uint8_t *p;
	size_t len;
	int r;

	*content_type = 0;
	*body = NULL;
	*body_len = 0;
	sotto_rd_init(&rd, pt, n);
	if ((r = sotto_rd_u8(&rd, content_type)) != 0 ||
	    (r = sotto_rd_string32(&rd, &p, &len, SIZE_MAX)) != 0)
		goto fail;
	if (*content_type == 0) {
		r = SOTTO_E_FORMAT;
		goto fail;
	}
	if (sotto_rd_left(&rd) > SOTTO_PAD_MAX) {
		r = SOTTO_E_TRAILING;
		goto fail;
	}
	*body = p;
	*body_len = len;
	return 0;
fail:
	*content_type = 0;
	return r;
}

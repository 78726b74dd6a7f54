/* SPDX-License-Identifier: ISC */
/* filebody.c: FOFFER, FCHUNK and FCTL bodies: the manifest of a file, one chunk of it, and the controls between its two sides. */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "filebody.h"
#include "proto.h"

uint64_t
sotto_file_chunks(uint64_t size, uint32_t cs)
{
	if (cs == 0)
		return 0;
	return size / cs + (size % cs != 0);
}

static int
offer_shape_ok(uint64_t size, uint32_t cs, size_t name_len)
{
	return cs >= SOTTO_FILE_CHUNK_MIN && cs <= SOTTO_FILE_CHUNK_MAX &&
	    name_len <= SOTTO_FILE_NAME_WIRE_MAX &&
	    sotto_file_chunks(size, cs) <= UINT32_MAX;
}

int
sotto_foffer_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint64_t size,
    uint32_t chunk_size, const uint8_t sha256[static SOTTO_SHA256_LEN],
    uint8_t media, const uint8_t *name, size_t name_len)
{
	size_t start = out->len;
	int r;

	if (name_len > SOTTO_FILE_NAME_WIRE_MAX)
		return SOTTO_E_TOOLONG;
	if (!offer_shape_ok(size, chunk_size, name_len))
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(out, xfer_id, SOTTO_XFER_ID)) != 0 ||
	    (r = sotto_wbuf_u64(out, size)) != 0 ||
	    (r = sotto_wbuf_u32(out, chunk_size)) != 0 ||
	    (r = sotto_wbuf_put(out, sha256, SOTTO_SHA256_LEN)) != 0 ||
	    (r = sotto_wbuf_u8(out, media)) != 0 ||
	    (r = sotto_wbuf_string16(out, name, name_len)) != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
sotto_foffer_parse(const uint8_t *body, size_t len, struct sotto_foffer *o)
{
	struct sotto_rd rd;

	memset(o, 0, sizeof(*o));
	sotto_rd_init(&rd, body, len);
	if (sotto_rd_ptr(&rd, &o->xfer_id, SOTTO_XFER_ID) != 0 ||
	    sotto_rd_u64(&rd, &o->size) != 0 ||
	    sotto_rd_u32(&rd, &o->chunk_size) != 0 ||
	    sotto_rd_ptr(&rd, &o->sha256, SOTTO_SHA256_LEN) != 0 ||
	    sotto_rd_u8(&rd, &o->media) != 0 ||
	    sotto_rd_string16(&rd, &o->name, &o->name_len,
	    SOTTO_FILE_NAME_WIRE_MAX) != 0 ||
	    sotto_rd_end(&rd) != 0 ||
	    !offer_shape_ok(o->size, o->chunk_size, o->name_len)) {
		memset(o, 0, sizeof(*o));
		return SOTTO_V_MALFORMED;
	}
	return 0;
}

int
sotto_fchunk_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint32_t index,
    const void *data, size_t len)
{
	size_t start = out->len;
	int r;

	if (len == 0 || len > SOTTO_FILE_CHUNK_MAX)
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(out, xfer_id, SOTTO_XFER_ID)) != 0 ||
	    (r = sotto_wbuf_u32(out, index)) != 0 ||
	    (r = sotto_wbuf_put(out, data, len)) != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
sotto_fchunk_parse(const uint8_t *body, size_t len, struct sotto_fchunk *c)
{
	struct sotto_rd rd;
	size_t n;

	memset(c, 0, sizeof(*c));
	sotto_rd_init(&rd, body, len);
	if (sotto_rd_ptr(&rd, &c->xfer_id, SOTTO_XFER_ID) != 0 ||
	    sotto_rd_u32(&rd, &c->index) != 0)
		goto bad;
	n = sotto_rd_left(&rd);
	if (n == 0 || n > SOTTO_FILE_CHUNK_MAX ||
	    sotto_rd_ptr(&rd, &c->data, n) != 0)
		goto bad;
	c->len = n;
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	return SOTTO_V_MALFORMED;
}

int
sotto_fctl_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint8_t op, uint32_t index,
    uint8_t reason)
{
	size_t start = out->len;
	int r;

	if (op == 0 || op > SOTTO_FCTL_OP_MAX)
		return SOTTO_E_INVAL;
	if ((r = sotto_wbuf_put(out, xfer_id, SOTTO_XFER_ID)) != 0 ||
	    (r = sotto_wbuf_u8(out, op)) != 0 ||
	    (r = sotto_wbuf_u32(out, index)) != 0 ||
	    (r = sotto_wbuf_u8(out, reason)) != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
sotto_fctl_parse(const uint8_t *body, size_t len, struct sotto_fctl *c)
{
	struct sotto_rd rd;

	memset(c, 0, sizeof(*c));
	sotto_rd_init(&rd, body, len);
	if (sotto_rd_ptr(&rd, &c->xfer_id, SOTTO_XFER_ID) != 0 ||
	    sotto_rd_u8(&rd, &c->op) != 0 ||
	    sotto_rd_u32(&rd, &c->index) != 0 ||
	    sotto_rd_u8(&rd, &c->reason) != 0 ||
	    sotto_rd_end(&rd) != 0 ||
	    c->op == 0 || c->op > SOTTO_FCTL_OP_MAX) {
		memset(c, 0, sizeof(*c));
		return SOTTO_V_MALFORMED;
	}
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* frame.c: wire-v1 §1 frames: header checks, the incremental stream decoder, the encoder, the INI room prefix. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "utf8.h"

/* Header field offsets, counted from the start of the len field. */
enum {
	OFF_VER  = SOTTO_LEN_FIELD,
	OFF_TYPE = OFF_VER + 1,
	OFF_FROM = OFF_TYPE + 1,
	OFF_TO   = OFF_FROM + 4,
};

#define DEC_MIN_CAP 64u

/* --- Header --------------------------------------------------------------- */

void
sotto_frame_parse_hdr(const uint8_t p[static SOTTO_FRAME_HDR], struct sotto_frame_hdr *h)
{
	h->len = sotto_load_be32(p);
	h->ver = p[OFF_VER];
	h->type = p[OFF_TYPE];
	h->from = sotto_load_be32(p + OFF_FROM);
	h->to = sotto_load_be32(p + OFF_TO);
}

int
sotto_frame_check_hdr(const struct sotto_frame_hdr *h, uint32_t max_len, int types)
{
	uint8_t last = types == SOTTO_DEC_ALL_TYPES ? SOTTO_T_LEFT : SOTTO_T_DAT;

	/* len first: the decoder judges it from the first four bytes, so a
	 * header bad in several fields gets the same verdict however the
	 * stream was cut. */
	if (h->len < SOTTO_LEN_MIN || h->len > max_len)
		return SOTTO_E_LEN;
	if (h->ver != SOTTO_WIRE_VERSION)
		return SOTTO_E_VERSION;
	if (h->type < SOTTO_T_INI || h->type > last)
		return SOTTO_E_TYPE;
	return 0;
}

/* --- Decoder -------------------------------------------------------------- */

void
sotto_dec_init(struct sotto_dec *d, uint32_t max_len, int types)
{
	memset(d, 0, sizeof(*d));
	d->max_len = max_len != 0 ? max_len : SOTTO_MAX_FRAME_DEFAULT;
	d->types = types;
}

/* Give the storage back; what the decoder knows about the stream stays. */
static void
dec_release(struct sotto_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = d->off = 0;
}

void
sotto_dec_free(struct sotto_dec *d)
{
	dec_release(d);
}

size_t
sotto_dec_pending(const struct sotto_dec *d)
{
	return d->len - d->off;
}

/* A bad header kills the stream: keep the error, drop the bytes. */
static int
dec_fail(struct sotto_dec *d, int err)
{
	d->err = err;
	dec_release(d);
	return err;
}

/* A reader over the undelivered bytes. */
static void
dec_rd(const struct sotto_dec *d, struct sotto_rd *rd)
{
	sotto_rd_init(rd, d->buf != NULL ? d->buf + d->off : NULL, sotto_dec_pending(d));
}

/* A len outside 10..max is a violation as soon as its four bytes are in
 * (wire-v1 §6), so a 13-byte frame with len 9 cannot hang the stream
 * waiting for a header that never comes. 0 (fewer than 4 bytes, or a
 * good len) or SOTTO_E_LEN with h->len set. */
static int
dec_len_early(struct sotto_rd *rd, uint32_t max_len, struct sotto_frame_hdr *h)
{
	uint32_t len;

	if (sotto_rd_u32(rd, &len) != 0)
		return 0;
	if (len >= SOTTO_LEN_MIN && len <= max_len)
		return 0;
	h->len = len;
	return SOTTO_E_LEN;
}

/* The header of the next undelivered frame: 1 when it is in and valid,
 * 0 when fewer than 14 bytes are buffered (and len, once its 4 bytes
 * are in, is good), else the header's error. */
static int
dec_head(const struct sotto_dec *d, struct sotto_frame_hdr *h)
{
	struct sotto_rd rd;
	const uint8_t *p;
	int r;

	memset(h, 0, sizeof(*h));
	dec_rd(d, &rd);
	if ((r = dec_len_early(&rd, d->max_len, h)) != 0)
		return r;
	dec_rd(d, &rd);
	if (sotto_rd_ptr(&rd, &p, SOTTO_FRAME_HDR) != 0)
		return 0;
	sotto_frame_parse_hdr(p, h);
	if ((r = sotto_frame_check_hdr(h, d->max_len, d->types)) != 0)
		return r;
	return 1;
}

/* Move the undelivered bytes to the front of the buffer. */
static void
dec_compact(struct sotto_dec *d)
{
	size_t pending = sotto_dec_pending(d);

	if (d->off == 0)
		return;
	if (pending > 0)
		memmove(d->buf, d->buf + d->off, pending);
	d->off = 0;
	d->len = pending;
}

/* More bytes are needed: an emptied decoder holds no memory at all (idle
 * connections are cheap), a partial frame moves to the front. */
static void
dec_settle(struct sotto_dec *d)
{
	if (sotto_dec_pending(d) == 0)
		dec_release(d);
	else
		dec_compact(d);
}

/* Grow geometrically, so 1-byte chunks stay linear, but never past the
 * pending frame when the new bytes all belong to it. */
static size_t
dec_new_cap(const struct sotto_dec *d, size_t need)
{
	struct sotto_frame_hdr h;
	size_t cap = d->cap <= SIZE_MAX / 4 ? d->cap * 2 : need;

	if (cap < need)
		cap = need;
	if (dec_head(d, &h) == 1 && need <= (size_t)h.len + SOTTO_LEN_FIELD &&
	    cap > (size_t)h.len + SOTTO_LEN_FIELD)
		cap = (size_t)h.len + SOTTO_LEN_FIELD;
	return cap > DEC_MIN_CAP ? cap : DEC_MIN_CAP;
}

/* Room for n more bytes after the buffered ones. */
static int
dec_reserve(struct sotto_dec *d, size_t n)
{
	size_t pending = sotto_dec_pending(d), cap;
	uint8_t *p;

	if (d->cap - d->len >= n)
		return 0;
	if (n > SIZE_MAX / 4 - pending)
		return SOTTO_E_ALLOC;
	dec_compact(d);
	if (d->cap - d->len >= n)
		return 0;
	cap = dec_new_cap(d, pending + n);
	if ((p = realloc(d->buf, cap)) == NULL)
		return SOTTO_E_ALLOC;
	d->buf = p;
	d->cap = cap;
	return 0;
}

uint8_t *
sotto_dec_space(struct sotto_dec *d, size_t want, size_t *avail)
{
	*avail = 0;
	if (d->err != 0 || dec_reserve(d, want > 0 ? want : 1) != 0)
		return NULL;
	*avail = d->cap - d->len;
	return d->buf + d->len;
}

void
sotto_dec_commit(struct sotto_dec *d, size_t n)
{
	d->len += n <= d->cap - d->len ? n : d->cap - d->len;
}

int
sotto_dec_feed(struct sotto_dec *d, const void *p, size_t n)
{
	uint8_t *dst;
	size_t avail;

	if (d->err != 0)
		return d->err;
	if (n == 0)
		return 0;
	if ((dst = sotto_dec_space(d, n, &avail)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(dst, p, n);
	sotto_dec_commit(d, n);
	return 0;
}

int
sotto_dec_next(struct sotto_dec *d, struct sotto_frame *f)
{
	struct sotto_rd rd;
	const uint8_t *raw;
	size_t total;
	int r;

	memset(f, 0, sizeof(*f));
	if (d->err != 0)
		return d->err;
	if ((r = dec_head(d, &f->hdr)) < 0)
		return dec_fail(d, r);
	total = (size_t)f->hdr.len + SOTTO_LEN_FIELD;
	dec_rd(d, &rd);
	if (r == 0 || sotto_rd_ptr(&rd, &raw, total) != 0) {
		memset(&f->hdr, 0, sizeof(f->hdr));
		dec_settle(d);
		return 0;
	}
	f->raw = raw;
	f->raw_len = total;
	f->body = raw + SOTTO_FRAME_HDR;        /* len >= 10 was checked */
	f->body_len = total - SOTTO_FRAME_HDR;
	d->off += total;
	return 1;
}

/* --- Encoder -------------------------------------------------------------- */

int
sotto_frame_encode(struct sotto_wbuf *out, uint8_t type, uint32_t from,
    uint32_t to, const void *body, size_t body_len)
{
	int r;

	if (body_len > UINT32_MAX - SOTTO_HDR_AFTER_LEN ||
	    body_len > SIZE_MAX - SOTTO_FRAME_HDR)
		return SOTTO_E_TOOLONG;
	/* Reserve the whole frame so a failure appends nothing. */
	if ((r = sotto_wbuf_reserve(out, SOTTO_FRAME_HDR + body_len)) != 0 ||
	    (r = sotto_wbuf_u32(out, (uint32_t)(SOTTO_HDR_AFTER_LEN + body_len))) != 0 ||
	    (r = sotto_wbuf_u8(out, SOTTO_WIRE_VERSION)) != 0 ||
	    (r = sotto_wbuf_u8(out, type)) != 0 ||
	    (r = sotto_wbuf_u32(out, from)) != 0 ||
	    (r = sotto_wbuf_u32(out, to)) != 0 ||
	    (r = sotto_wbuf_put(out, body, body_len)) != 0)
		return r;
	return 0;
}

void
sotto_frame_set_from(uint8_t *raw, uint32_t from)
{
	sotto_store_be32(raw + OFF_FROM, from);
}

/* --- INI room prefix ------------------------------------------------------ */

/* Length 1..64, strict UTF-8, and no Unicode control character (Cc,
 * NUL included). Format characters and separators (U+200B, U+202E,
 * U+2028...) are allowed, as wire-v1 asks no more; whoever displays a
 * room name escapes what its medium cannot show. */
static int
room_check(const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	uint32_t cp;

	if (n < SOTTO_ROOM_MIN || n > SOTTO_ROOM_MAX)
		return SOTTO_E_ROOM;
	sotto_rd_init(&rd, p, n);
	while (sotto_rd_left(&rd) > 0)
		if (sotto_utf8_next(&rd, &cp) != 0 || sotto_unicode_is_cc(cp))
			return SOTTO_E_ROOM;
	return 0;
}

int
sotto_room_parse(const uint8_t *body, size_t body_len,
    const uint8_t **room, size_t *room_len, size_t *prefix_len)
{
	struct sotto_rd rd;
	const uint8_t *p;
	uint8_t n;
	int r;

	*room = NULL;
	*room_len = 0;
	*prefix_len = 0;
	sotto_rd_init(&rd, body, body_len);
	if (sotto_rd_u8(&rd, &n) != 0 || sotto_rd_ptr(&rd, &p, n) != 0)
		return SOTTO_E_ROOM;
	if ((r = room_check(p, n)) != 0)
		return r;
	*room = p;
	*room_len = n;
	*prefix_len = 1 + (size_t)n;
	return 0;
}

int
sotto_room_valid(const char *name)
{
	if (name == NULL)
		return SOTTO_E_ROOM;
	return room_check((const uint8_t *)name, strnlen(name, SOTTO_ROOM_MAX + 1));
}

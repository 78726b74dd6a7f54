/* SPDX-License-Identifier: ISC */
/* fuzz_frame.c: the frame decoder under every chunking the input suggests; frames in bounds, re-encoding exact, room prefix against a reference.
 *
 * Input: byte 0 chooses the decoder (bit 0: types; bits 1-2: max_len
 * 64 / 300 / 5000 / default), the rest is the TCP stream. The stream is
 * fed whole, byte by byte, and in chunks sized by its own bytes (through
 * both feed and space/commit); all three must agree exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

struct outcome {
	size_t consumed;    /* bytes delivered as frames */
	size_t frames;
	int    rc;          /* 0 or the decoder's sticky error */
};

static struct sotto_wbuf reenc;

/* Well-formed UTF-8 after Unicode Table 3-7, written independently of
 * utf8.c; also refuses NUL and every Cc (C0, DEL, C1). 1 when a room. */
static int
ref_room(const uint8_t *p, size_t n)
{
	size_t i = 0, k, len;
	uint8_t lo, hi;

	if (n < 1 || n > 64)
		return 0;
	while (i < n) {
		uint8_t b = p[i];
		lo = 0x80;
		hi = 0xbf;
		if (b < 0x20 || b == 0x7f)
			return 0;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2;
		else if (b >= 0xe0 && b <= 0xef)
			len = 3;
		else if (b >= 0xf0 && b <= 0xf4)
			len = 4;
		else
			return 0;
		if (b == 0xe0) lo = 0xa0;
		if (b == 0xed) hi = 0x9f;
		if (b == 0xf0) lo = 0x90;
		if (b == 0xf4) hi = 0x8f;
		if (b == 0xc2) hi = 0xbf, lo = 0xa0;    /* U+0080..U+009F are C1 */
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if (p[i + k] < (k == 1 ? lo : 0x80) || p[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += len;
	}
	return 1;
}

static void
check_room(const uint8_t *body, size_t n)
{
	const uint8_t *room;
	size_t room_len, prefix_len;
	int r = sotto_room_parse(body, n, &room, &room_len, &prefix_len);
	int want = n >= 1 && (size_t)body[0] + 1 <= n && ref_room(body + 1, body[0]);

	REQUIRE((r == 0) == want);
	if (r != 0) {
		REQUIRE(r == SOTTO_E_ROOM && room == NULL && room_len == 0 && prefix_len == 0);
		return;
	}
	REQUIRE(room == body + 1 && room_len == body[0] && prefix_len == room_len + 1);
	REQUIRE(prefix_len <= n);
	REQUIRE(sotto_utf8_valid(room, room_len) == 0);
}

/* A delivered frame: within the stream, where it should be, sane fields,
 * and re-encoding it from its fields gives back the very bytes. */
static void
check_frame(const uint8_t *s, size_t n, struct outcome *o,
    const struct sotto_frame *f, uint32_t max_len, int types)
{
	REQUIRE(f->raw != NULL && f->raw_len >= SOTTO_FRAME_HDR);
	REQUIRE(o->consumed <= n && f->raw_len <= n - o->consumed);
	REQUIRE(memcmp(f->raw, s + o->consumed, f->raw_len) == 0);
	REQUIRE(f->hdr.len >= SOTTO_LEN_MIN && f->hdr.len <= max_len);
	REQUIRE(f->raw_len == (size_t)f->hdr.len + SOTTO_LEN_FIELD);
	REQUIRE(f->body == f->raw + SOTTO_FRAME_HDR && f->body_len == f->hdr.len - 10u);
	REQUIRE(f->hdr.ver == 1 && f->hdr.type >= 1 &&
	    f->hdr.type <= (types == SOTTO_DEC_ALL_TYPES ? 4 : 3));
	sotto_wbuf_reset(&reenc);
	REQUIRE(sotto_frame_encode(&reenc, f->hdr.type, f->hdr.from, f->hdr.to,
	    f->body, f->body_len) == 0);
	REQUIRE(reenc.len == f->raw_len && memcmp(reenc.p, f->raw, f->raw_len) == 0);
	if (f->hdr.type == SOTTO_T_INI)
		check_room(f->body, f->body_len);
	o->consumed += f->raw_len;
	o->frames++;
}

/* Drain the decoder (fed: bytes given to it so far); an error must be
 * exactly what the header bytes at that point say: a bad len from its 4
 * bytes alone (wire-v1 §6), anything else from all 14. */
static int
drain(struct sotto_dec *d, const uint8_t *s, size_t n, size_t fed,
    struct outcome *o, uint32_t max_len, int types)
{
	struct sotto_frame f;
	struct sotto_frame_hdr h;
	uint32_t len;
	int r;

	while ((r = sotto_dec_next(d, &f)) == 1)
		check_frame(s, n, o, &f, max_len, types);
	if (r < 0) {
		REQUIRE(fed - o->consumed >= SOTTO_LEN_FIELD);
		len = sotto_load_be32(s + o->consumed);
		if (len < SOTTO_LEN_MIN || len > max_len) {
			REQUIRE(r == SOTTO_E_LEN);
		} else {
			REQUIRE(fed - o->consumed >= SOTTO_FRAME_HDR);
			sotto_frame_parse_hdr(s + o->consumed, &h);
			REQUIRE(sotto_frame_check_hdr(&h, max_len, types) == r);
		}
		REQUIRE(d->buf == NULL && sotto_dec_pending(d) == 0);
		o->rc = r;
		return r;
	}
	/* Nothing pending means nothing held. */
	if (sotto_dec_pending(d) == 0)
		REQUIRE(d->buf == NULL && d->cap == 0);
	return 0;
}

/* mode 0: one feed; 1: byte by byte; 2: chunk sizes from the stream. */
static void
run(const uint8_t *s, size_t n, uint32_t max_len, int types, int mode,
    struct outcome *o)
{
	struct sotto_dec d;
	size_t in = 0, chunk, avail;
	uint8_t *p;

	memset(o, 0, sizeof(*o));
	sotto_dec_init(&d, max_len, types);
	while (in < n && o->rc == 0) {
		uint8_t c = s[in];
		chunk = mode == 0 ? n : mode == 1 ? 1 :
		    c & 0x80 ? 1 + (size_t)(c & 0x7f) * 97 : 1 + (size_t)(c % 23);
		if (chunk > n - in)
			chunk = n - in;
		if (mode == 2 && (c & 1)) {
			p = sotto_dec_space(&d, chunk, &avail);
			REQUIRE(p != NULL && avail >= chunk);
			memcpy(p, s + in, chunk);
			sotto_dec_commit(&d, chunk);
		} else {
			REQUIRE(sotto_dec_feed(&d, s + in, chunk) == 0);
		}
		in += chunk;
		if (mode == 1)  /* one byte at a time: never more than a frame */
			REQUIRE(d.cap <= 64 || d.cap <= (size_t)max_len + SOTTO_LEN_FIELD);
		if (drain(&d, s, n, in, o, max_len, types) < 0)
			REQUIRE(sotto_dec_feed(&d, "x", 1) == o->rc);
	}
	if (o->rc == 0) {
		struct sotto_frame_hdr h;
		size_t left = n - o->consumed;
		REQUIRE(sotto_dec_pending(&d) == left);
		/* What is left is an incomplete frame with a valid header (as
		 * far as it has come). */
		if (left >= SOTTO_LEN_FIELD) {
			uint32_t len = sotto_load_be32(s + o->consumed);
			REQUIRE(len >= SOTTO_LEN_MIN && len <= max_len);
		}
		if (left >= SOTTO_FRAME_HDR) {
			sotto_frame_parse_hdr(s + o->consumed, &h);
			REQUIRE(sotto_frame_check_hdr(&h, max_len, types) == 0);
			REQUIRE((size_t)h.len + SOTTO_LEN_FIELD > left);
		}
	}
	sotto_dec_free(&d);
	REQUIRE(d.buf == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t maxes[] = { 64, 300, 5000, 0 };
	struct outcome a, b, c;
	uint32_t max_len;
	int types;

	if (size < 1)
		return 0;
	types = data[0] & 1 ? SOTTO_DEC_ALL_TYPES : SOTTO_DEC_CLIENT_TYPES;
	max_len = maxes[(data[0] >> 1) & 3];
	if (max_len == 0)
		max_len = SOTTO_MAX_FRAME_DEFAULT;
	sotto_wbuf_init(&reenc, 0);
	run(data + 1, size - 1, max_len, types, 0, &a);
	run(data + 1, size - 1, max_len, types, 1, &b);
	run(data + 1, size - 1, max_len, types, 2, &c);
	REQUIRE(a.consumed == b.consumed && a.frames == b.frames && a.rc == b.rc);
	REQUIRE(a.consumed == c.consumed && a.frames == c.frames && a.rc == c.rc);
	/* The stream itself as an INI body: the room prefix on raw bytes. */
	check_room(data + 1, size - 1);
	sotto_wbuf_free(&reenc);
	return 0;
}

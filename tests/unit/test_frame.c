/* SPDX-License-Identifier: ISC */
/* test_frame.c: wire-v1 §1 decoder (chunkings, header errors, memory), encoder, set_from, room prefix. */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "frame.h"

#define NFRAMES 60

static uint32_t rng_state = 0x2545f491;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* A stream of NFRAMES frames of varied types and sizes (0..2999 body
 * bytes); frame i has from = i + 1 and body bytes (i + k) & 0xff. */
static void
make_stream(struct sotto_wbuf *w)
{
	static uint8_t body[3000];
	size_t n, k;
	int i;

	sotto_wbuf_init(w, 0);
	for (i = 0; i < NFRAMES; i++) {
		n = i % 7 == 0 ? 0 : rng() % sizeof(body);
		for (k = 0; k < n; k++)
			body[k] = (uint8_t)(i + k);
		CHECK_EQ(sotto_frame_encode(w, (uint8_t)(1 + i % 4), (uint32_t)i + 1,
		    (uint32_t)i * 3, body, n), 0);
	}
}

/* Check frame f is frame number i of make_stream and is at raw offset *o
 * of the stream. */
static int
frame_ok(const struct sotto_wbuf *w, size_t *o, int i, const struct sotto_frame *f)
{
	size_t k;

	if (f->hdr.ver != 1 || f->hdr.type != 1 + i % 4 ||
	    f->hdr.from != (uint32_t)i + 1 || f->hdr.to != (uint32_t)i * 3 ||
	    f->hdr.len != f->body_len + 10 || f->raw_len != f->body_len + 14 ||
	    f->body != f->raw + 14 || *o + f->raw_len > w->len ||
	    memcmp(f->raw, w->p + *o, f->raw_len) != 0)
		return 0;
	for (k = 0; k < f->body_len; k++)
		if (f->body[k] != (uint8_t)(i + k))
			return 0;
	*o += f->raw_len;
	return 1;
}

/* Feed the stream in chunks of the given sizes (0: random 1..chunk_max),
 * by copy or straight into the decoder's space; check every frame. */
static void
run_chunked(const struct sotto_wbuf *w, size_t chunk, size_t chunk_max, int zero_copy)
{
	struct sotto_dec d;
	struct sotto_frame f;
	size_t in = 0, out = 0, peak = 0;
	int got = 0, ok = 1, r;

	sotto_dec_init(&d, 0, SOTTO_DEC_ALL_TYPES);
	while (in < w->len) {
		size_t n = chunk ? chunk : 1 + rng() % chunk_max;
		if (n > w->len - in)
			n = w->len - in;
		if (zero_copy) {
			size_t avail;
			uint8_t *p = sotto_dec_space(&d, n, &avail);
			if (p == NULL || avail < n) {
				ok = 0;
				break;
			}
			memcpy(p, w->p + in, n);
			sotto_dec_commit(&d, n);
		} else if (sotto_dec_feed(&d, w->p + in, n) != 0) {
			ok = 0;
			break;
		}
		in += n;
		if (d.cap > peak)
			peak = d.cap;
		while ((r = sotto_dec_next(&d, &f)) == 1)
			if (!frame_ok(w, &out, got++, &f))
				ok = 0;
		if (r != 0)
			ok = 0;
		/* Idle means no heap; a partial frame is all that is held. */
		if (sotto_dec_pending(&d) == 0 && (d.buf != NULL || d.cap != 0))
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ(got, NFRAMES);
	CHECK_EQ(out, w->len);
	CHECK(d.buf == NULL);
	if (chunk == 1)
		CHECK(peak <= 3014);    /* 1-byte feeding: one frame at most */
	sotto_dec_free(&d);
}

static void
test_chunkings(void)
{
	struct sotto_wbuf w;
	size_t sizes[] = { 1, 2, 13, 14, 15, 1000, 4096, 100000 };
	size_t i;

	make_stream(&w);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run_chunked(&w, sizes[i], 0, 0);
		run_chunked(&w, sizes[i], 0, 1);
	}
	for (i = 0; i < 20; i++) {
		run_chunked(&w, 0, 50, i & 1);
		run_chunked(&w, 0, 9000, i & 1);
	}
	/* All at once: many frames per feed. */
	run_chunked(&w, w.len, 0, 0);
	sotto_wbuf_free(&w);
}

static void
test_encode_bytes(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 13, 1, 3, 0, 0, 0x01, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 'a', 'b', 'c',
	};
	struct sotto_wbuf w;
	struct sotto_frame_hdr h;

	sotto_wbuf_init(&w, 0);
	CHECK_EQ(sotto_frame_encode(&w, SOTTO_T_DAT, 0x0102, 0xaabbccdd, "abc", 3), 0);
	CHECK_EQ(w.len, sizeof(want));
	CHECK_MEM(w.p, want, sizeof(want));
	sotto_frame_parse_hdr(w.p, &h);
	CHECK_EQ(h.len, 13);
	CHECK_EQ(h.ver, 1);
	CHECK_EQ(h.type, 3);
	CHECK_EQ(h.from, 0x0102);
	CHECK(h.to == 0xaabbccddu);

	/* set_from patches bytes 6..9 only. */
	sotto_frame_set_from(w.p, 0x11223344);
	CHECK_MEM(w.p, want, 6);
	CHECK_MEM(w.p + 6, "\x11\x22\x33\x44", 4);
	CHECK_MEM(w.p + 10, want + 10, sizeof(want) - 10);

	/* A body that cannot fit a u32 len is refused and appends nothing. */
	CHECK_EQ(sotto_frame_encode(&w, 1, 0, 0, "x", (size_t)UINT32_MAX - 9), SOTTO_E_TOOLONG);
	CHECK_EQ(w.len, sizeof(want));
	/* An empty body is a 14-byte frame with len 10. */
	sotto_wbuf_reset(&w);
	CHECK_EQ(sotto_frame_encode(&w, SOTTO_T_KEY, 1, 2, NULL, 0), 0);
	CHECK_EQ(w.len, 14);
	CHECK_MEM(w.p, "\0\0\0\x0a\x01\x02", 6);
	sotto_wbuf_free(&w);
}

/* Round trip: decode, re-encode from the parsed fields, same bytes. */
static void
test_reencode(void)
{
	struct sotto_wbuf w, again;
	struct sotto_dec d;
	struct sotto_frame f;
	int n = 0, same = 1;

	make_stream(&w);
	sotto_wbuf_init(&again, 0);
	sotto_dec_init(&d, 0, SOTTO_DEC_ALL_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, w.p, w.len), 0);
	while (sotto_dec_next(&d, &f) == 1) {
		n++;
		if (sotto_frame_encode(&again, f.hdr.type, f.hdr.from, f.hdr.to,
		    f.body, f.body_len) != 0)
			same = 0;
	}
	CHECK(same);
	CHECK_EQ(n, NFRAMES);
	CHECK_EQ(again.len, w.len);
	CHECK_MEM(again.p, w.p, w.len);
	sotto_dec_free(&d);
	sotto_wbuf_free(&again);
	sotto_wbuf_free(&w);
}

static void
put_hdr(uint8_t h[14], uint32_t len, uint8_t ver, uint8_t type)
{
	memset(h, 0, 14);
	sotto_store_be32(h, len);
	h[4] = ver;
	h[5] = type;
	sotto_store_be32(h + 6, 77);
	sotto_store_be32(h + 10, 0);
}

/* Feed the header one byte at a time: nothing is decided before the
 * byte that decides it, the 4th for a bad len (wire-v1 §6), the 14th
 * for anything else; expect `want` from the header alone. */
static void
expect_hdr(uint32_t max, int types, uint32_t len, uint8_t ver, uint8_t type, int want)
{
	struct sotto_dec d;
	struct sotto_frame f;
	uint8_t h[14];
	int i, early = 0, last = want == SOTTO_E_LEN ? 3 : 13;

	put_hdr(h, len, ver, type);
	sotto_dec_init(&d, max, types);
	for (i = 0; i < last; i++) {
		CHECK_EQ(sotto_dec_feed(&d, h + i, 1), 0);
		if (sotto_dec_next(&d, &f) != 0)
			early = 1;
	}
	CHECK(!early);
	CHECK_EQ(sotto_dec_feed(&d, h + last, 1), 0);
	if (want < 0) {
		CHECK_EQ(sotto_dec_next(&d, &f), want);
		/* The offending header is handed back for the log line (of a
		 * bad len, only len has arrived). */
		CHECK_EQ(f.hdr.len, len);
		CHECK_EQ(f.hdr.ver, want == SOTTO_E_LEN ? 0 : ver);
		CHECK_EQ(f.hdr.type, want == SOTTO_E_LEN ? 0 : type);
		/* Sticky: the stream is dead, nothing more is buffered. */
		CHECK_EQ(sotto_dec_next(&d, &f), want);
		CHECK_EQ(sotto_dec_feed(&d, "more", 4), want);
		CHECK(d.buf == NULL);
		CHECK_EQ(sotto_dec_pending(&d), 0);
		CHECK(sotto_dec_space(&d, 10, &(size_t){ 0 }) == NULL);
	} else {
		/* Valid header: 0 until the body is in, no error. */
		CHECK_EQ(sotto_dec_next(&d, &f), len == 10 ? 1 : 0);
	}
	sotto_dec_free(&d);
}

static void
test_header_errors(void)
{
	struct sotto_frame_hdr h = { 10, 1, 1, 0, 0 };

	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 20, 0, 1, SOTTO_E_VERSION);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 20, 2, 1, SOTTO_E_VERSION);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 20, 255, 1, SOTTO_E_VERSION);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 20, 1, 0, SOTTO_E_TYPE);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 20, 1, 4, SOTTO_E_TYPE);  /* LEFT from a client */
	expect_hdr(1000, SOTTO_DEC_ALL_TYPES, 20, 1, 5, SOTTO_E_TYPE);
	expect_hdr(1000, SOTTO_DEC_ALL_TYPES, 20, 1, 255, SOTTO_E_TYPE);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 0, 1, 1, SOTTO_E_LEN);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 9, 1, 1, SOTTO_E_LEN);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 1001, 1, 3, SOTTO_E_LEN);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, UINT32_MAX, 1, 3, SOTTO_E_LEN);
	expect_hdr(0, SOTTO_DEC_CLIENT_TYPES, SOTTO_MAX_FRAME_DEFAULT + 1, 1, 2, SOTTO_E_LEN);
	/* The accepted edges. */
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 10, 1, 1, 0);
	expect_hdr(1000, SOTTO_DEC_CLIENT_TYPES, 1000, 1, 3, 0);
	expect_hdr(1000, SOTTO_DEC_ALL_TYPES, 20, 1, 4, 0);
	expect_hdr(0, SOTTO_DEC_CLIENT_TYPES, SOTTO_MAX_FRAME_DEFAULT, 1, 2, 0);

	CHECK_EQ(sotto_frame_check_hdr(&h, 10, SOTTO_DEC_CLIENT_TYPES), 0);
	h.len = 11;
	CHECK_EQ(sotto_frame_check_hdr(&h, 10, SOTTO_DEC_CLIENT_TYPES), SOTTO_E_LEN);
}

/* A frame the size of the bound is buffered as it arrives, never past
 * its own size; the error for one byte more comes with the header. */
static void
test_max_frame_memory(void)
{
	enum { MAX = 100000 };
	struct sotto_dec d;
	struct sotto_frame f;
	struct sotto_wbuf w;
	static uint8_t body[MAX - 10];
	size_t i, peak = 0;
	int r, got = 0;

	sotto_wbuf_init(&w, 0);
	CHECK_EQ(sotto_frame_encode(&w, 3, 1, 0, body, sizeof(body)), 0);
	sotto_dec_init(&d, MAX, SOTTO_DEC_CLIENT_TYPES);
	for (i = 0; i < w.len; i += 1000) {
		size_t n = w.len - i < 1000 ? w.len - i : 1000;
		CHECK_EQ(sotto_dec_feed(&d, w.p + i, n), 0);
		if (d.cap > peak)
			peak = d.cap;
		/* Storage tracks what arrived (geometric), not what was announced. */
		if (i == 0)
			CHECK(d.cap < 4096);
		while ((r = sotto_dec_next(&d, &f)) == 1)
			got++;
		CHECK_EQ(r, 0);
	}
	CHECK_EQ(got, 1);
	CHECK_EQ(peak, MAX + 4);
	CHECK(d.buf == NULL);
	sotto_dec_free(&d);

	/* One byte over: refused from the 14 header bytes, nothing kept. */
	sotto_wbuf_reset(&w);
	CHECK_EQ(sotto_frame_encode(&w, 3, 1, 0, body, sizeof(body) - 9), 0);
	sotto_store_be32(w.p, MAX + 1);
	sotto_dec_init(&d, MAX, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, w.p, 14), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), SOTTO_E_LEN);
	CHECK(d.buf == NULL);
	sotto_dec_free(&d);
	sotto_wbuf_free(&w);
}

/* A good frame followed by a bad header: the good one is delivered, then
 * the error, even when both came in one feed. */
static void
test_error_after_frames(void)
{
	struct sotto_wbuf w;
	struct sotto_dec d;
	struct sotto_frame f;
	uint8_t bad[14];

	sotto_wbuf_init(&w, 0);
	CHECK_EQ(sotto_frame_encode(&w, 1, 5, 0, "\x03" "abc", 4), 0);
	put_hdr(bad, 20, 9, 1);
	CHECK_EQ(sotto_wbuf_put(&w, bad, sizeof(bad)), 0);
	sotto_dec_init(&d, 0, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, w.p, w.len), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), 1);
	CHECK_EQ(f.hdr.from, 5);
	CHECK_EQ(f.body_len, 4);
	CHECK_EQ(sotto_dec_next(&d, &f), SOTTO_E_VERSION);
	CHECK(f.body == NULL && f.raw == NULL);
	sotto_dec_free(&d);
	sotto_wbuf_free(&w);
}

/* wire-v1 §6: a len outside 10..max is refused once its four bytes are
 * in; a good len with fewer than 14 bytes still waits. */
static void
test_len_early(void)
{
	static const uint8_t nine[13] = { 0, 0, 0, 9, 1, 3 };
	static const uint8_t big[4] = { 0, 0, 0x03, 0xe9 };     /* 1001 */
	static const uint8_t ten[5] = { 0, 0, 0, 10, 1 };
	struct sotto_dec d;
	struct sotto_frame f;

	sotto_dec_init(&d, 1000, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, nine, 3), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), 0);            /* len not in yet */
	CHECK_EQ(sotto_dec_feed(&d, nine + 3, 1), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), SOTTO_E_LEN);
	CHECK_EQ(f.hdr.len, 9);
	CHECK(d.buf == NULL);
	sotto_dec_free(&d);

	sotto_dec_init(&d, 1000, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, nine, sizeof(nine)), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), SOTTO_E_LEN);
	sotto_dec_free(&d);

	sotto_dec_init(&d, 1000, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, big, sizeof(big)), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), SOTTO_E_LEN);
	CHECK_EQ(f.hdr.len, 1001);
	sotto_dec_free(&d);

	sotto_dec_init(&d, 1000, SOTTO_DEC_CLIENT_TYPES);
	CHECK_EQ(sotto_dec_feed(&d, ten, sizeof(ten)), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), 0);
	sotto_dec_free(&d);
}

static void
test_pending_and_space(void)
{
	struct sotto_dec d;
	struct sotto_frame f;
	struct sotto_wbuf w;
	size_t avail;
	uint8_t *p;

	sotto_dec_init(&d, 0, SOTTO_DEC_CLIENT_TYPES);
	CHECK(d.buf == NULL);                   /* init allocates nothing */
	CHECK_EQ(sotto_dec_next(&d, &f), 0);
	sotto_wbuf_init(&w, 0);
	CHECK_EQ(sotto_frame_encode(&w, 2, 9, 4, "0123456789", 10), 0);
	CHECK_EQ(sotto_dec_feed(&d, w.p, 20), 0);
	CHECK_EQ(sotto_dec_pending(&d), 20);
	CHECK_EQ(sotto_dec_next(&d, &f), 0);
	CHECK_EQ(sotto_dec_pending(&d), 20);
	p = sotto_dec_space(&d, 4, &avail);
	CHECK(p != NULL && avail >= 4);
	memcpy(p, w.p + 20, 4);
	sotto_dec_commit(&d, 4);
	CHECK_EQ(sotto_dec_next(&d, &f), 1);
	CHECK_MEM(f.body, "0123456789", 10);
	CHECK_EQ(sotto_dec_pending(&d), 0);
	CHECK_EQ(sotto_dec_next(&d, &f), 0);
	CHECK(d.buf == NULL);
	/* A space taken and nothing read (EOF) still leaves the decoder idle. */
	CHECK(sotto_dec_space(&d, 65536, &avail) != NULL);
	sotto_dec_commit(&d, 0);
	CHECK_EQ(sotto_dec_next(&d, &f), 0);
	CHECK(d.buf == NULL);
	sotto_dec_free(&d);
	sotto_wbuf_free(&w);
}

struct room_case {
	const char *bytes;
	size_t len;
	int ok;
};

static void
test_room(void)
{
	static const struct room_case cases[] = {
		{ "lobby", 5, 1 },
		{ "a", 1, 1 },
		{ "caf\xc3\xa9", 5, 1 },                        /* é */
		{ "\xe6\x97\xa5\xe6\x9c\xac", 6, 1 },           /* CJK */
		{ "\xf0\x9f\x98\x80", 4, 1 },                   /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },                   /* U+10FFFF */
		{ "\xc2\xa0", 2, 1 },                           /* U+00A0, first after C1 */
		{ "a b~", 4, 1 },                               /* space and ~ are fine */
		{ "\xe2\x80\xa8", 3, 1 },                       /* U+2028: not Cc, allowed */
		{ "", 0, 0 },                                   /* length 0 */
		{ "a\0b", 3, 0 },                               /* NUL */
		{ "\x01", 1, 0 }, { "a\x1f", 2, 0 },            /* C0 */
		{ "tab\t", 4, 0 }, { "nl\n", 3, 0 }, { "\x1b[2J", 4, 0 },
		{ "a\x7f", 2, 0 },                              /* DEL */
		{ "\xc2\x80", 2, 0 }, { "x\xc2\x85y", 4, 0 },   /* C1 */
		{ "\xc2\x9f", 2, 0 },
		{ "\xc0\xaf", 2, 0 }, { "\xc1\xbf", 2, 0 },     /* overlong 2-byte */
		{ "\xe0\x80\xaf", 3, 0 },                       /* overlong 3-byte */
		{ "\xf0\x80\x80\xaf", 4, 0 },                   /* overlong 4-byte */
		{ "\xc0\x80", 2, 0 },                           /* overlong NUL */
		{ "\xed\xa0\x80", 3, 0 }, { "\xed\xbf\xbf", 3, 0 }, /* surrogates */
		{ "\xf4\x90\x80\x80", 4, 0 },                   /* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 }, { "\xff", 1, 0 },
		{ "\x80", 1, 0 }, { "ab\xbf", 3, 0 },           /* lone continuation */
		{ "\xc3", 1, 0 }, { "ab\xe6\x97", 4, 0 },       /* truncated */
		{ "\xc3\x28", 2, 0 },                           /* bad continuation */
	};
	uint8_t body[80];
	const uint8_t *room;
	size_t i, room_len, prefix_len;
	char name[70];
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct room_case *c = &cases[i];
		body[0] = (uint8_t)c->len;
		memcpy(body + 1, c->bytes, c->len);
		body[1 + c->len] = 0xee;        /* the INI body goes on */
		r = sotto_room_parse(body, 2 + c->len, &room, &room_len, &prefix_len);
		if ((r == 0) != c->ok)
			fprintf(stderr, "room case %zu: got %d\n", i, r);
		CHECK_EQ(r, c->ok ? 0 : SOTTO_E_ROOM);
		if (c->ok) {
			CHECK(room == body + 1);
			CHECK_EQ(room_len, c->len);
			CHECK_EQ(prefix_len, 1 + c->len);
		} else {
			CHECK(room == NULL && room_len == 0 && prefix_len == 0);
		}
		/* The C-string form agrees on every case without a NUL. */
		if (memchr(c->bytes, 0, c->len) == NULL) {
			memcpy(name, c->bytes, c->len);
			name[c->len] = '\0';
			CHECK_EQ(sotto_room_valid(name), c->ok ? 0 : SOTTO_E_ROOM);
		}
	}

	/* Lengths 64 (ok) and 65 (refused), also via the C-string form. */
	memset(body, 'r', sizeof(body));
	body[0] = 64;
	CHECK_EQ(sotto_room_parse(body, 65, &room, &room_len, &prefix_len), 0);
	CHECK_EQ(room_len, 64);
	body[0] = 65;
	CHECK_EQ(sotto_room_parse(body, 66, &room, &room_len, &prefix_len), SOTTO_E_ROOM);
	memset(name, 'r', sizeof(name));
	name[64] = '\0';
	CHECK_EQ(sotto_room_valid(name), 0);
	name[64] = 'r';
	name[65] = '\0';
	CHECK_EQ(sotto_room_valid(name), SOTTO_E_ROOM);
	CHECK_EQ(sotto_room_valid(""), SOTTO_E_ROOM);
	CHECK_EQ(sotto_room_valid(NULL), SOTTO_E_ROOM);

	/* The prefix claims more bytes than the body has; empty body. */
	body[0] = 10;
	CHECK_EQ(sotto_room_parse(body, 5, &room, &room_len, &prefix_len), SOTTO_E_ROOM);
	CHECK_EQ(sotto_room_parse(body, 0, &room, &room_len, &prefix_len), SOTTO_E_ROOM);
	CHECK_EQ(sotto_room_parse(NULL, 0, &room, &room_len, &prefix_len), SOTTO_E_ROOM);
	/* A 4-byte sequence may not straddle the end of the name. */
	memcpy(body, "\x03" "a\xf0\x9f\x98\x80", 6);
	CHECK_EQ(sotto_room_parse(body, 6, &room, &room_len, &prefix_len), SOTTO_E_ROOM);
}

int
main(void)
{
	test_encode_bytes();
	test_chunkings();
	test_reencode();
	test_header_errors();
	test_max_frame_memory();
	test_error_after_frames();
	test_len_early();
	test_pending_and_space();
	test_room();
	return check_summary();
}

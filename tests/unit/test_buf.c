/* SPDX-License-Identifier: ISC */
/* test_buf.c: the bounds-checked reader, the writer (plain and secure), ct_memcmp and wipe. */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"

static void
test_reader_ints(void)
{
	static const uint8_t in[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
	};
	struct sotto_rd rd;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;

	sotto_rd_init(&rd, in, sizeof(in));
	CHECK_EQ(sotto_rd_left(&rd), 15);
	CHECK_EQ(sotto_rd_u8(&rd, &a), 0);
	CHECK_EQ(sotto_rd_u16(&rd, &b), 0);
	CHECK_EQ(sotto_rd_u32(&rd, &c), 0);
	CHECK_EQ(sotto_rd_u64(&rd, &d), 0);
	CHECK_EQ(a, 0x01);
	CHECK_EQ(b, 0x0203);
	CHECK_EQ(c, 0x04050607u);
	CHECK(d == 0x8182838485868788ull);
	CHECK_EQ(sotto_rd_end(&rd), 0);

	/* Every get fails on empty input, clears its output, does not move. */
	a = 0xaa; b = 0xbbbb; c = 0xcccccccc; d = 1;
	CHECK_EQ(sotto_rd_u8(&rd, &a), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_u16(&rd, &b), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_u32(&rd, &c), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_u64(&rd, &d), SOTTO_E_SHORT);
	CHECK_EQ(a, 0);
	CHECK_EQ(b, 0);
	CHECK_EQ(c, 0);
	CHECK(d == 0);

	/* A short read in the middle leaves the reader where it was. */
	sotto_rd_init(&rd, in, 3);
	CHECK_EQ(sotto_rd_u32(&rd, &c), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_left(&rd), 3);
	CHECK_EQ(sotto_rd_u16(&rd, &b), 0);
	CHECK_EQ(b, 0x0102);
	CHECK_EQ(sotto_rd_end(&rd), SOTTO_E_TRAILING);

	/* A NULL reader is an empty one. */
	sotto_rd_init(&rd, NULL, 10);
	CHECK_EQ(sotto_rd_left(&rd), 0);
	CHECK_EQ(sotto_rd_u8(&rd, &a), SOTTO_E_SHORT);
}

static void
test_reader_bytes(void)
{
	static const uint8_t in[] = "abcdefgh";
	struct sotto_rd rd;
	const uint8_t *p;
	uint8_t out[8];

	sotto_rd_init(&rd, in, 8);
	CHECK_EQ(sotto_rd_bytes(&rd, out, 3), 0);
	CHECK_MEM(out, "abc", 3);
	CHECK_EQ(sotto_rd_ptr(&rd, &p, 2), 0);
	CHECK(p == in + 3);                     /* borrowed, not copied */
	CHECK_EQ(sotto_rd_skip(&rd, 1), 0);
	memset(out, 0x55, sizeof(out));
	CHECK_EQ(sotto_rd_bytes(&rd, out, 3), SOTTO_E_SHORT);
	CHECK_EQ(out[0], 0);                    /* cleared on failure */
	CHECK_EQ(out[2], 0);
	CHECK_EQ(sotto_rd_ptr(&rd, &p, 3), SOTTO_E_SHORT);
	CHECK(p == NULL);
	CHECK_EQ(sotto_rd_skip(&rd, 3), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_left(&rd), 2);
	CHECK_EQ(sotto_rd_ptr(&rd, &p, 0), 0);
	CHECK_EQ(sotto_rd_skip(&rd, 2), 0);
	CHECK_EQ(sotto_rd_end(&rd), 0);
	/* A huge n must not wrap around. */
	sotto_rd_init(&rd, in, 8);
	CHECK_EQ(sotto_rd_skip(&rd, SIZE_MAX), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_ptr(&rd, &p, SIZE_MAX - 2), SOTTO_E_SHORT);
}

static void
test_reader_strings(void)
{
	static const uint8_t s32[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 9, 'x' };
	static const uint8_t s16[] = { 0, 2, 'h', 'i', 0xff, 0xff, 'x' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'x' };
	struct sotto_rd rd;
	const uint8_t *p;
	size_t n;

	sotto_rd_init(&rd, s32, sizeof(s32));
	CHECK_EQ(sotto_rd_string32(&rd, &p, &n, 16), 0);
	CHECK_EQ(n, 3);
	CHECK_MEM(p, "abc", 3);
	/* Declared 9, only 1 byte there: short, reader unmoved. */
	CHECK_EQ(sotto_rd_string32(&rd, &p, &n, 16), SOTTO_E_SHORT);
	CHECK(p == NULL);
	CHECK_EQ(n, 0);
	CHECK_EQ(sotto_rd_left(&rd), 5);
	/* Over its bound: TOOLONG before looking at the bytes. */
	CHECK_EQ(sotto_rd_string32(&rd, &p, &n, 8), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_rd_left(&rd), 5);

	sotto_rd_init(&rd, huge, sizeof(huge));
	CHECK_EQ(sotto_rd_string32(&rd, &p, &n, SIZE_MAX), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_left(&rd), sizeof(huge));

	sotto_rd_init(&rd, s16, sizeof(s16));
	CHECK_EQ(sotto_rd_string16(&rd, &p, &n, 2), 0);
	CHECK_EQ(n, 2);
	CHECK_MEM(p, "hi", 2);
	CHECK_EQ(sotto_rd_string16(&rd, &p, &n, 1000), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_rd_string16(&rd, &p, &n, 0xffff), SOTTO_E_SHORT);
	CHECK_EQ(sotto_rd_left(&rd), 3);
}

static void
test_writer_roundtrip(void)
{
	struct sotto_wbuf b;
	struct sotto_rd rd;
	const uint8_t *p;
	uint64_t d;
	uint32_t c;
	uint16_t s;
	uint8_t a;
	size_t n;
	int r = 0;

	sotto_wbuf_init(&b, 0);
	CHECK(b.p == NULL);                     /* no allocation until needed */
	if ((r = sotto_wbuf_u8(&b, 0xfe)) != 0 || (r = sotto_wbuf_u16(&b, 0xabcd)) != 0 ||
	    (r = sotto_wbuf_u32(&b, 0xdeadbeef)) != 0 ||
	    (r = sotto_wbuf_u64(&b, 0x0102030405060708ull)) != 0 ||
	    (r = sotto_wbuf_string32(&b, "hello", 5)) != 0 ||
	    (r = sotto_wbuf_string16(&b, "", 0)) != 0 ||
	    (r = sotto_wbuf_put(&b, NULL, 0)) != 0)
		CHECK_EQ(r, 0);
	CHECK_EQ(b.len, 1 + 2 + 4 + 8 + 4 + 5 + 2);
	CHECK_MEM(b.p, "\xfe\xab\xcd\xde\xad\xbe\xef", 7);

	sotto_rd_init(&rd, b.p, b.len);
	CHECK_EQ(sotto_rd_u8(&rd, &a), 0);
	CHECK_EQ(sotto_rd_u16(&rd, &s), 0);
	CHECK_EQ(sotto_rd_u32(&rd, &c), 0);
	CHECK_EQ(sotto_rd_u64(&rd, &d), 0);
	CHECK_EQ(sotto_rd_string32(&rd, &p, &n, 64), 0);
	CHECK_EQ(a, 0xfe);
	CHECK_EQ(s, 0xabcd);
	CHECK(c == 0xdeadbeefu);
	CHECK(d == 0x0102030405060708ull);
	CHECK_EQ(n, 5);
	CHECK_MEM(p, "hello", 5);
	CHECK_EQ(sotto_rd_string16(&rd, &p, &n, 0), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(sotto_rd_end(&rd), 0);

	/* Free leaves an empty, reusable buffer. */
	sotto_wbuf_free(&b);
	CHECK(b.p == NULL);
	CHECK_EQ(b.len, 0);
	CHECK_EQ(sotto_wbuf_put(&b, "again", 5), 0);
	CHECK_MEM(b.p, "again", 5);
	sotto_wbuf_free(&b);
}

static void
test_writer_bounds(void)
{
	struct sotto_wbuf b;

	sotto_wbuf_init(&b, 10);
	CHECK_EQ(sotto_wbuf_put(&b, "0123456789", 10), 0);
	CHECK_EQ(sotto_wbuf_u8(&b, 1), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 10);
	sotto_wbuf_consume(&b, 4);
	CHECK_EQ(b.len, 6);
	CHECK_MEM(b.p, "456789", 6);
	CHECK_EQ(sotto_wbuf_put(&b, "abcd", 4), 0);
	CHECK_MEM(b.p, "456789abcd", 10);
	CHECK(b.cap <= 10);                      /* never past max */
	/* A string that does not fit writes nothing, not even its length. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_wbuf_put(&b, "xy", 2), 0);
	CHECK_EQ(sotto_wbuf_string32(&b, "123456", 6), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 2);
	CHECK_EQ(sotto_wbuf_string16(&b, "1234567", 7), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 2);
	CHECK_EQ(sotto_wbuf_reserve(&b, SIZE_MAX), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_wbuf_string16(&b, "", 0x10000), SOTTO_E_TOOLONG);
	sotto_wbuf_free(&b);
}

/* reserve-then-write idiom: the caller fills b->p + b->len itself. */
static void
test_writer_direct(void)
{
	struct sotto_wbuf b;

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_wbuf_put(&b, "head", 4), 0);
	CHECK_EQ(sotto_wbuf_reserve(&b, 1000), 0);
	CHECK(b.cap - b.off - b.len >= 1000);
	memset(b.p + b.len, 'z', 1000);
	b.len += 1000;
	CHECK_MEM(b.p, "headzz", 6);
	CHECK_EQ(b.p[1003], 'z');
	sotto_wbuf_free(&b);
}

/* A FIFO of random appends and consumes against a plain model: the
 * O(1) consume and lazy compaction must never lose or reorder a byte. */
static void
test_writer_queue(void)
{
	enum { MODEL = 1 << 16 };
	static uint8_t model[MODEL];
	struct sotto_wbuf b;
	size_t head = 0, tail = 0, i, peak = 0;
	uint32_t x = 12345;
	int ok = 1, step;

	sotto_wbuf_init(&b, 4096);
	for (step = 0; step < 20000 && tail < MODEL - 600; step++) {
		x = x * 1103515245u + 12345u;
		if ((x >> 16) % 3 != 0) {
			size_t n = (x >> 4) % 300;
			uint8_t chunk[300];
			for (i = 0; i < n; i++)
				chunk[i] = model[tail + i] = (uint8_t)(tail + i * 7);
			if (sotto_wbuf_put(&b, chunk, n) == 0)
				tail += n;
		} else {
			size_t n = (x >> 4) % 400;
			if (n > b.len)
				n = b.len;
			sotto_wbuf_consume(&b, n);
			head += n;
		}
		if (b.len != tail - head || (b.len > 0 && memcmp(b.p, model + head, b.len) != 0))
			ok = 0;
		if (b.cap > peak)
			peak = b.cap;
	}
	CHECK(ok);
	CHECK(peak <= 4096);
	CHECK(tail > 10000);                    /* the loop really moved data */
	sotto_wbuf_consume(&b, SIZE_MAX);       /* more than held: empties */
	CHECK_EQ(b.len, 0);
	sotto_wbuf_free(&b);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

static void
test_writer_secure(void)
{
	struct sotto_wbuf b;
	uint8_t *base;
	size_t i;

	sotto_wbuf_init_secure(&b, 0);
	CHECK_EQ(sotto_wbuf_put(&b, "secret-key-material-0123456789ab", 32), 0);
	CHECK(gcry_is_secure(b.p));
	/* Consumed secret bytes are wiped at once, not at free. */
	sotto_wbuf_consume(&b, 10);
	base = b.p - b.off;
	CHECK_EQ(b.off, 10);
	CHECK(all_zero(base, 10));
	CHECK_MEM(b.p, "-material", 9);
	/* Growth moves to fresh secure memory. */
	for (i = 0; i < 100; i++)
		CHECK_EQ(sotto_wbuf_put(&b, "0123456789abcdef", 16), 0);
	CHECK(gcry_is_secure(b.p));
	CHECK_MEM(b.p, "-material", 9);
	/* Reset wipes what was held and keeps the storage. */
	base = b.p - b.off;
	sotto_wbuf_reset(&b);
	CHECK(b.p == base);
	CHECK(all_zero(base, 22 + 1600));
	sotto_wbuf_free(&b);
	CHECK(b.p == NULL);
	CHECK_EQ(b.secure, 1);                  /* still secure when reused */
}

static void
test_ct_and_wipe(void)
{
	uint8_t a[64], b[64];
	size_t i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 13);
	CHECK_EQ(sotto_ct_memcmp(a, b, sizeof(a)), 0);
	CHECK_EQ(sotto_ct_memcmp(a, b, 0), 0);
	b[0] ^= 1;
	CHECK(sotto_ct_memcmp(a, b, sizeof(a)) != 0);
	b[0] ^= 1;
	b[63] ^= 0x80;
	CHECK(sotto_ct_memcmp(a, b, sizeof(a)) != 0);
	CHECK_EQ(sotto_ct_memcmp(a, b, 63), 0);
	sotto_wipe(a, sizeof(a));
	CHECK(all_zero(a, sizeof(a)));
	sotto_wipe(NULL, 0);
}

int
main(void)
{
	CHECK_EQ(sotto_crypto_init(), 0);
	test_reader_ints();
	test_reader_bytes();
	test_reader_strings();
	test_writer_roundtrip();
	test_writer_bounds();
	test_writer_direct();
	test_writer_queue();
	test_writer_secure();
	test_ct_and_wipe();
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_pad.c: DAT plaintext padding: round trip, length spread, rejection of bad plaintexts. */
#include <gcrypt.h>
#include <stdint.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"

static const char msg[] = "the same message, again and again";
#define MSG_LEN (sizeof(msg) - 1)

static void
test_roundtrip(void)
{
	struct sotto_wbuf b;
	const uint8_t *body;
	size_t body_len;
	uint8_t ct;

	sotto_wbuf_init_secure(&b, 0);
	CHECK_EQ(sotto_pad(&b, SOTTO_CT_TEXT, msg, MSG_LEN), 0);
	CHECK(gcry_is_secure(b.p));
	CHECK(b.len >= SOTTO_PAD_HDR + MSG_LEN);
	CHECK(b.len <= SOTTO_PAD_HDR + MSG_LEN + SOTTO_PAD_MAX);
	CHECK_EQ(b.p[0], SOTTO_CT_TEXT);
	CHECK_MEM(b.p + 1, "\0\0\0\x21", 4);
	CHECK_EQ(sotto_unpad(b.p, b.len, &ct, &body, &body_len), 0);
	CHECK_EQ(ct, SOTTO_CT_TEXT);
	CHECK_EQ(body_len, MSG_LEN);
	CHECK(body == b.p + SOTTO_PAD_HDR);
	CHECK_MEM(body, msg, MSG_LEN);

	/* Appends: a second padded plaintext after the first. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_wbuf_u8(&b, 0xaa), 0);
	CHECK_EQ(sotto_pad(&b, 7, "", 0), 0);
	CHECK_EQ(sotto_unpad(b.p + 1, b.len - 1, &ct, &body, &body_len), 0);
	CHECK_EQ(ct, 7);
	CHECK_EQ(body_len, 0);
	sotto_wbuf_free(&b);
}

/* 1,000 paddings of one message: many lengths, covering both ends of
 * 0..255 roughly uniformly, and pad bytes that are not constant. */
static void
test_spread(void)
{
	static int seen[SOTTO_PAD_MAX + 1];
	struct sotto_wbuf b;
	size_t i, pad, distinct = 0, low = 0, high = 0, zero_pads = 0, pad_bytes = 0;
	int bad = 0;

	sotto_wbuf_init_secure(&b, 0);
	for (i = 0; i < 1000; i++) {
		sotto_wbuf_reset(&b);
		if (sotto_pad(&b, SOTTO_CT_TEXT, msg, MSG_LEN) != 0) {
			bad = 1;
			continue;
		}
		pad = b.len - SOTTO_PAD_HDR - MSG_LEN;
		if (pad > SOTTO_PAD_MAX) {
			bad = 1;
			continue;
		}
		if (!seen[pad]++)
			distinct++;
		low += pad < 128;
		high += pad >= 128;
		for (size_t k = 0; k < pad; k++)
			zero_pads += b.p[SOTTO_PAD_HDR + MSG_LEN + k] == 0;
		pad_bytes += pad;
	}
	CHECK(!bad);
	CHECK(distinct >= 100);
	/* Uniform: each half gets about 500; 380 is > 7 sigma away. */
	CHECK(low > 380 && high > 380);
	/* Random bytes: about 1/256 of them zero, not all. */
	CHECK(pad_bytes > 50000);
	CHECK(zero_pads < pad_bytes / 64);
	fprintf(stderr, "pad: %zu distinct lengths of 256, %zu/%zu below 128\n",
	    distinct, low, low + high);
	sotto_wbuf_free(&b);
}

static void
test_reject(void)
{
	struct sotto_wbuf b, plain;
	const uint8_t *body;
	size_t body_len, n;
	uint8_t ct, big[SOTTO_PAD_HDR + 3 + SOTTO_PAD_MAX + 1];
	int ok = 1;

	sotto_wbuf_init_secure(&b, 0);
	CHECK_EQ(sotto_pad(&b, SOTTO_CT_TEXT, msg, MSG_LEN), 0);
	/* Every truncation that cuts into header or body is refused. */
	for (n = 0; n < SOTTO_PAD_HDR + MSG_LEN; n++)
		if (sotto_unpad(b.p, n, &ct, &body, &body_len) != SOTTO_E_SHORT ||
		    body != NULL || body_len != 0 || ct != 0)
			ok = 0;
	CHECK(ok);
	/* Only padding cut: still a valid plaintext. */
	CHECK_EQ(sotto_unpad(b.p, SOTTO_PAD_HDR + MSG_LEN, &ct, &body, &body_len), 0);

	/* More than 255 bytes after the body is not padding we made. */
	memset(big, 0, sizeof(big));
	big[0] = SOTTO_CT_TEXT;
	big[4] = 3;
	CHECK_EQ(sotto_unpad(big, sizeof(big) - 1, &ct, &body, &body_len), 0);
	CHECK_EQ(sotto_unpad(big, sizeof(big), &ct, &body, &body_len), SOTTO_E_TRAILING);
	CHECK(body == NULL && ct == 0);
	/* Content type 0 does not exist. */
	big[0] = 0;
	CHECK_EQ(sotto_unpad(big, 10, &ct, &body, &body_len), SOTTO_E_FORMAT);
	/* A length beyond the plaintext (garbage). */
	CHECK_EQ(sotto_unpad((const uint8_t *)"\x01\xff\xff\xff\xf0xyz", 8, &ct, &body,
	    &body_len), SOTTO_E_SHORT);
	CHECK_EQ(sotto_unpad(NULL, 0, &ct, &body, &body_len), SOTTO_E_SHORT);

	/* Plaintext goes to secure memory only. */
	sotto_wbuf_init(&plain, 0);
	CHECK_EQ(sotto_pad(&plain, SOTTO_CT_TEXT, msg, MSG_LEN), SOTTO_E_INVAL);
	CHECK_EQ(plain.len, 0);
	/* A bound too small for the longest padding fails whole. */
	sotto_wbuf_free(&b);
	sotto_wbuf_init_secure(&b, SOTTO_PAD_HDR + MSG_LEN - 1);
	CHECK_EQ(sotto_pad(&b, SOTTO_CT_TEXT, msg, MSG_LEN), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 0);
	sotto_wbuf_free(&b);
}

int
main(void)
{
	CHECK_EQ(sotto_crypto_init(), 0);
	test_roundtrip();
	test_spread();
	test_reject();
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* test_b64.c: RFC 4648 §10 vectors, the alphabet against a plain table, strict rejections. */
#include <stdint.h>
#include <stdlib.h>

#include "b64.h"
#include "check.h"
#include "err.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
test_rfc4648(void)
{
	static const struct { const char *in, *padded, *bare; } v[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg" },
		{ "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" },
		{ "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	};
	char enc[16];
	uint8_t dec[16];
	size_t i, n, len;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].in);
		CHECK_EQ(sotto_b64_encoded_len(n, 1), strlen(v[i].padded));
		CHECK_EQ(sotto_b64_encoded_len(n, 0), strlen(v[i].bare));
		sotto_b64_encode((const uint8_t *)v[i].in, n, enc, 1);
		CHECK_STR(enc, v[i].padded);
		sotto_b64_encode((const uint8_t *)v[i].in, n, enc, 0);
		CHECK_STR(enc, v[i].bare);
		CHECK_EQ(sotto_b64_decode(v[i].padded, strlen(v[i].padded), dec,
		    sizeof(dec), &len), 0);
		CHECK_EQ(len, n);
		CHECK_MEM(dec, v[i].in, n);
		CHECK_EQ(sotto_b64_decode(v[i].bare, strlen(v[i].bare), dec,
		    sizeof(dec), &len), 0);
		CHECK_EQ(len, n);
		CHECK_MEM(dec, v[i].in, n);
	}
}

/* Every byte value in every position, against a table-driven reference. */
static void
test_all_bytes(void)
{
	uint8_t in[256], back[256];
	char enc[400], ref[400];
	size_t i, o = 0, len;

	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i + 3 <= 255; i += 3) {
		uint32_t w = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		ref[o++] = alphabet[w >> 18];
		ref[o++] = alphabet[(w >> 12) & 63];
		ref[o++] = alphabet[(w >> 6) & 63];
		ref[o++] = alphabet[w & 63];
	}
	ref[o] = '\0';
	sotto_b64_encode(in, 255, enc, 1);
	CHECK_STR(enc, ref);
	CHECK_EQ(sotto_b64_decode(enc, strlen(enc), back, sizeof(back), &len), 0);
	CHECK_EQ(len, 255);
	CHECK_MEM(back, in, 255);

	/* 256 bytes: the padded tail too, and the unpadded form decodes the same. */
	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	sotto_b64_encode(in, 256, enc, 1);
	CHECK_EQ(strlen(enc), 344);
	CHECK_STR(enc + 340, "/w==");
	CHECK_EQ(sotto_b64_decode(enc, 342, back, sizeof(back), &len), 0);
	CHECK_EQ(len, 256);
	CHECK_MEM(back, in, 256);
}

/* Each of the 256 possible characters in the first position of "?A==":
 * valid exactly for the 64 alphabet characters, with the right value. */
static void
test_char_map(void)
{
	char s[5] = "?A==";
	uint8_t out[4];
	size_t len;
	int c, ok = 1, n_valid = 0, r;

	for (c = 0; c < 256; c++) {
		const char *at = c != 0 ? memchr(alphabet, c, 64) : NULL;
		s[0] = (char)c;
		r = sotto_b64_decode(s, 4, out, sizeof(out), &len);
		if (at != NULL) {
			n_valid++;
			if (r != 0 || len != 1 || out[0] != (uint8_t)((at - alphabet) << 2))
				ok = 0;
		} else if (r != SOTTO_E_BASE64 || len != 0) {
			ok = 0;
		}
	}
	CHECK(ok);
	CHECK_EQ(n_valid, 64);
}

static void
test_strict(void)
{
	static const char *bad[] = {
		"Z", "Zm9vY",                   /* a lone 6-bit group */
		"Zg=", "Zg===", "Zm9=v",        /* padding of the wrong size or place */
		"=Zg=", "====", "Z===", "Zm9v=",
		"Zg==Zg==",                     /* padding in the middle */
		"Zh==", "Zm9=",                 /* non-zero trailing bits */
		"Zh", "Zm9",                    /* ... unpadded too */
		"Zm9v\n", " Zm9v", "Zm 9v",     /* whitespace */
		"Zm-v", "Zm_v",                 /* base64url alphabet */
		"Zm9v\xff\xff\xff\xff",
	};
	uint8_t out[16];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = 99;
		CHECK_EQ(sotto_b64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &len),
		    SOTTO_E_BASE64);
		CHECK_EQ(len, 0);
	}
	/* An embedded NUL is a bad character, not an end. */
	CHECK_EQ(sotto_b64_decode("Zm\0v", 4, out, sizeof(out), &len), SOTTO_E_BASE64);
	/* Output bound: 3 bytes need 3 bytes of room. */
	CHECK_EQ(sotto_b64_decode("Zm9v", 4, out, 2, &len), SOTTO_E_TOOLONG);
	CHECK_EQ(len, 0);
	CHECK_EQ(sotto_b64_decode("Zm9v", 4, out, 3, &len), 0);
	CHECK_EQ(len, 3);
	/* A failed decode leaves no partial plaintext behind. */
	memset(out, 0x55, sizeof(out));
	CHECK_EQ(sotto_b64_decode("Zm9vYmFy!A==", 12, out, sizeof(out), &len),
	    SOTTO_E_BASE64);
	CHECK_EQ(out[0], 0);
	CHECK_EQ(out[5], 0);
	CHECK_EQ(sotto_b64_decode("", 0, out, 0, &len), 0);
	CHECK_EQ(len, 0);
}

int
main(void)
{
	test_rfc4648();
	test_all_bytes();
	test_char_map();
	test_strict();
	return check_summary();
}

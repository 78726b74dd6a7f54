/* SPDX-License-Identifier: ISC */
/* test_bcrypt.c: our Blowfish against libgcrypt's and published vectors; bcrypt-pbkdf against OpenBSD's regress vectors and its bounds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <gcrypt.h>

#include "bcrypt_pbkdf.h"
#include "blowfish.h"
#include "check.h"
#include "crypto.h"
#include "err.h"

static void
hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
blf_block(const struct sotto_blowfish *b, const uint8_t in[8], uint8_t out[8])
{
	uint32_t l = ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) |
	    ((uint32_t)in[2] << 8) | in[3];
	uint32_t r = ((uint32_t)in[4] << 24) | ((uint32_t)in[5] << 16) |
	    ((uint32_t)in[6] << 8) | in[7];
	int i;

	sotto_blf_encipher(b, &l, &r);
	for (i = 0; i < 4; i++) {
		out[i] = (uint8_t)(l >> (24 - 8 * i));
		out[4 + i] = (uint8_t)(r >> (24 - 8 * i));
	}
}

/* Eric Young's published Blowfish ECB vectors (the first, and all-ones). */
static void
test_blowfish_vectors(void)
{
	static const struct { const char *key, *pt, *ct; } v[] = {
		{ "0000000000000000", "0000000000000000", "4ef997456198dd78" },
		{ "ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a" },
		{ "3000000000000000", "1000000000000001", "7d856f9a613063f2" },
		{ "0123456789abcdef", "1111111111111111", "61f9c3802281b096" },
	};
	struct sotto_blowfish b;
	uint8_t key[8], pt[8], ct[8], out[8];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hex(v[i].key, key, 8);
		hex(v[i].pt, pt, 8);
		hex(v[i].ct, ct, 8);
		sotto_blf_key(&b, key, 8);
		blf_block(&b, pt, out);
		CHECK_MEM(out, ct, 8);
	}
}

/* The standard schedule must equal libgcrypt's Blowfish on random keys
 * and blocks (any table digit or round mistake shows here). */
static void
test_blowfish_vs_gcrypt(void)
{
	struct sotto_blowfish b;
	gcry_cipher_hd_t h;
	uint8_t key[16], blk[8], want[8], got[8];
	int i, same = 0;

	for (i = 0; i < 200; i++) {
		gcry_randomize(key, sizeof(key), GCRY_WEAK_RANDOM);
		gcry_randomize(blk, sizeof(blk), GCRY_WEAK_RANDOM);
		if (gcry_cipher_open(&h, GCRY_CIPHER_BLOWFISH,
		    GCRY_CIPHER_MODE_ECB, 0) != 0)
			break;
		gcry_cipher_setkey(h, key, sizeof(key));
		gcry_cipher_encrypt(h, want, 8, blk, 8);
		gcry_cipher_close(h);
		sotto_blf_key(&b, key, sizeof(key));
		blf_block(&b, blk, got);
		same += memcmp(want, got, 8) == 0;
	}
	CHECK_EQ(same, 200);
}

/* OpenBSD's regress vectors for bcrypt_pbkdf(3). */
static void
test_pbkdf_vectors(void)
{
	static const struct {
		const char *pass; size_t pass_len;
		const char *salt; size_t salt_len;
		unsigned rounds; const char *out;
	} v[] = {
		{ "password", 8, "salt", 4, 4,
		  "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
		{ "password", 8, "\0", 1, 4, "c12b566235eee04c212598970a579a67" },
		{ "\0", 1, "salt", 4, 4, "6051be18c2f4f82cbf0efee5471b4bb9" },
		{ "password\0", 9, "salt\0", 5, 4,
		  "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050" },
	};
	uint8_t want[64], *got;
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].out) / 2;
		hex(v[i].out, want, n);
		got = sotto_secure_alloc(n);
		CHECK_EQ(sotto_bcrypt_pbkdf((const uint8_t *)v[i].pass,
		    v[i].pass_len, (const uint8_t *)v[i].salt, v[i].salt_len, got,
		    n, v[i].rounds), 0);
		CHECK_MEM(got, want, n);
		sotto_secure_free(got, n);
	}
}

static void
test_pbkdf_bounds(void)
{
	uint8_t key[48], salt[16] = { 1 };
	const uint8_t *pw = (const uint8_t *)"pw";

	CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, key, 48, 0), SOTTO_E_INVAL);
	CHECK_EQ(sotto_bcrypt_pbkdf(pw, 0, salt, 16, key, 48, 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 0, key, 48, 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, key, 0, 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, key,
	    SOTTO_BCRYPT_KEY_MAX + 1, 1), SOTTO_E_INVAL);
	/* 48 bytes (key + IV of aes256-ctr): the spread output differs
	 * from two separate 32-byte runs, and rounds matter. */
	{
		uint8_t a[48], b[48];
		CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, a, 48, 2), 0);
		CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, b, 48, 3), 0);
		CHECK(memcmp(a, b, 48) != 0);
		CHECK_EQ(sotto_bcrypt_pbkdf(pw, 2, salt, 16, b, 48, 2), 0);
		CHECK_MEM(a, b, 48);
	}
}

int
main(void)
{
	if (sotto_crypto_init() != 0)
		return 1;
	test_blowfish_vectors();
	test_blowfish_vs_gcrypt();
	test_pbkdf_vectors();
	test_pbkdf_bounds();
	return check_summary();
}

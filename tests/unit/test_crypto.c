/* SPDX-License-Identifier: ISC */
/* test_crypto.c: known-answer and rejection tests for shared/crypto.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

#include "check.h"
#include "crypto.h"
#include "err.h"

/* Hex test vectors into bytes; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < cap) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static int is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* --- SHA-256 (FIPS 180-2 appendix B) and HMAC-SHA256 (RFC 4231) -------- */

static void check_sha(const char *msg, const char *want_hex)
{
	uint8_t got[32], want[32];

	unhex(want_hex, want, sizeof(want));
	sotto_sha256(got, msg, strlen(msg));
	CHECK_MEM(got, want, 32);
}

static void test_sha256(void)
{
	check_sha("abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_sha("",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac(void)
{
	uint8_t key[20], got[32], want[32];

	memset(key, 0x0b, sizeof(key));
	unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    want, 32);
	CHECK_EQ(sotto_hmac_sha256(got, key, 20, "Hi There", 8), 0);
	CHECK_MEM(got, want, 32);

	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    want, 32);
	CHECK_EQ(sotto_hmac_sha256(got, (const uint8_t *)"Jefe", 4,
	    "what do ya want for nothing?", 28), 0);
	CHECK_MEM(got, want, 32);
	/* A different key gives a different MAC. */
	CHECK_EQ(sotto_hmac_sha256(got, (const uint8_t *)"Jeff", 4,
	    "what do ya want for nothing?", 28), 0);
	CHECK(memcmp(got, want, 32) != 0);
}

/* --- AES-256-GCM: McGrew/Viega test cases 13-16 ------------------------- */

struct gcm_vec {
	const char *key, *iv, *pt, *aad, *ct, *tag;
};

static const char K0[] =
    "0000000000000000000000000000000000000000000000000000000000000000";
static const char KF[] =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char P64[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
static const char C64[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

static const struct gcm_vec gcm_vecs[] = {
	/* 13 */ { K0, "000000000000000000000000", "", "", "",
	    "530f8afbc74536b9a963b4f1c4cb738b" },
	/* 14 */ { K0, "000000000000000000000000",
	    "00000000000000000000000000000000", "",
	    "cea7403d4d606b6e074ec5d3baf39d18",
	    "d0d1c8a799996bf0265b98b5d48ab919" },
	/* 15 */ { KF, "cafebabefacedbaddecaf888", P64, "", C64,
	    "b094dac5d93471bdec1a502270e3cc6c" },
	/* 16 */ { KF, "cafebabefacedbaddecaf888",
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	    "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void test_gcm_vector(const struct gcm_vec *v)
{
	uint8_t key[32], iv[12], pt[64], aad[32], ct[64], tag[16];
	uint8_t out[64], got_tag[16], back[64];
	size_t pn, an, cn;
	struct sotto_aead *a = NULL;

	unhex(v->key, key, sizeof(key));
	unhex(v->iv, iv, sizeof(iv));
	pn = unhex(v->pt, pt, sizeof(pt));
	an = unhex(v->aad, aad, sizeof(aad));
	cn = unhex(v->ct, ct, sizeof(ct));
	unhex(v->tag, tag, sizeof(tag));
	CHECK_EQ(pn, cn);

	CHECK_EQ(sotto_aead_new(&a, key), 0);
	if (a == NULL)
		return;
	CHECK_EQ(sotto_aead_seal(a, iv, aad, an, pt, pn, out, got_tag), 0);
	CHECK_MEM(out, ct, cn);
	CHECK_MEM(got_tag, tag, 16);

	memset(back, 0xaa, sizeof(back));
	CHECK_EQ(sotto_aead_open(a, iv, aad, an, ct, cn, tag, back), 0);
	CHECK_MEM(back, pt, pn);

	/* In place, both directions. */
	memcpy(out, pt, pn);
	CHECK_EQ(sotto_aead_seal(a, iv, aad, an, out, pn, out, got_tag), 0);
	CHECK_MEM(out, ct, cn);
	CHECK_EQ(sotto_aead_open(a, iv, aad, an, out, cn, got_tag, out), 0);
	CHECK_MEM(out, pt, pn);
	sotto_aead_free(a);
}

/* Every single-bit change of tag, ciphertext, AAD or nonce is refused,
 * and the refused plaintext buffer holds no unverified bytes. */
static void test_gcm_rejects(void)
{
	const struct gcm_vec *v = &gcm_vecs[3];
	uint8_t key[32], iv[12], pt[64], aad[32], ct[64], tag[16], out[64];
	size_t pn, an, cn, i;
	struct sotto_aead *a = NULL;
	int all_refused = 1, all_wiped = 1;

	unhex(v->key, key, sizeof(key));
	unhex(v->iv, iv, sizeof(iv));
	pn = unhex(v->pt, pt, sizeof(pt));
	an = unhex(v->aad, aad, sizeof(aad));
	cn = unhex(v->ct, ct, sizeof(ct));
	unhex(v->tag, tag, sizeof(tag));
	CHECK_EQ(sotto_aead_new(&a, key), 0);
	if (a == NULL)
		return;

	for (i = 0; i < 16 * 8; i++) {
		tag[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(out, 0xaa, sizeof(out));
		if (sotto_aead_open(a, iv, aad, an, ct, cn, tag, out) != SOTTO_E_DECRYPT)
			all_refused = 0;
		if (!is_zero(out, cn))
			all_wiped = 0;
		tag[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < cn * 8; i += 7) {
		ct[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sotto_aead_open(a, iv, aad, an, ct, cn, tag, out) != SOTTO_E_DECRYPT)
			all_refused = 0;
		if (!is_zero(out, cn))
			all_wiped = 0;
		ct[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < an * 8; i++) {
		aad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sotto_aead_open(a, iv, aad, an, ct, cn, tag, out) != SOTTO_E_DECRYPT)
			all_refused = 0;
		aad[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < 12 * 8; i++) {
		iv[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sotto_aead_open(a, iv, aad, an, ct, cn, tag, out) != SOTTO_E_DECRYPT)
			all_refused = 0;
		iv[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK(all_refused);
	CHECK(all_wiped);
	/* Dropping the AAD, or truncating the ciphertext, is refused too. */
	CHECK_EQ(sotto_aead_open(a, iv, NULL, 0, ct, cn, tag, out), SOTTO_E_DECRYPT);
	CHECK_EQ(sotto_aead_open(a, iv, aad, an, ct, cn - 1, tag, out), SOTTO_E_DECRYPT);
	/* Nothing above broke the cached handle: the real frame still opens. */
	CHECK_EQ(sotto_aead_open(a, iv, aad, an, ct, cn, tag, out), 0);
	CHECK_MEM(out, pt, pn);
	sotto_aead_free(a);
}

/* --- Ed25519: RFC 8032 §7.1 TEST 1, 2, 3 and SHA(abc) ------------------- */

struct ed_vec {
	const char *seed, *pub, *msg, *sig;
};

static const struct ed_vec ed_vecs[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
	  "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	  "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
	  "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

static void test_ed25519_vector(const struct ed_vec *v)
{
	uint8_t seed[32], pub[32], msg[64], sig[64], got[64];
	size_t mn;
	struct sotto_ed25519 *k = NULL;

	unhex(v->seed, seed, 32);
	unhex(v->pub, pub, 32);
	mn = unhex(v->msg, msg, sizeof(msg));
	unhex(v->sig, sig, 64);

	CHECK_EQ(sotto_ed25519_from_seed(&k, seed), 0);
	if (k == NULL)
		return;
	CHECK_MEM(sotto_ed25519_pub(k), pub, 32);
	CHECK_MEM(sotto_ed25519_seed(k), seed, 32);
	CHECK(sotto_ed25519_is_secure(k));
	CHECK(sotto_crypto_is_secure(sotto_ed25519_seed(k)));
	CHECK_EQ(sotto_ed25519_sign(k, msg, mn, got), 0);
	CHECK_MEM(got, sig, 64);
	/* The cached key signs again identically (Ed25519 is deterministic). */
	CHECK_EQ(sotto_ed25519_sign(k, msg, mn, got), 0);
	CHECK_MEM(got, sig, 64);
	CHECK_EQ(sotto_ed25519_verify(pub, msg, mn, sig), 0);
	sotto_ed25519_free(k);
}

static void test_ed25519_rejects(void)
{
	const struct ed_vec *v = &ed_vecs[2];
	uint8_t pub[32], msg[2], sig[64], other[32];
	int all_refused = 1;
	size_t i;

	unhex(v->pub, pub, 32);
	unhex(v->msg, msg, 2);
	unhex(v->sig, sig, 64);
	unhex(ed_vecs[1].pub, other, 32);
	for (i = 0; i < 64 * 8; i++) {
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sotto_ed25519_verify(pub, msg, 2, sig) != SOTTO_E_SIG)
			all_refused = 0;
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < 2 * 8; i++) {
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (sotto_ed25519_verify(pub, msg, 2, sig) != SOTTO_E_SIG)
			all_refused = 0;
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK(all_refused);
	CHECK_EQ(sotto_ed25519_verify(other, msg, 2, sig), SOTTO_E_SIG);
	CHECK_EQ(sotto_ed25519_verify(pub, msg, 1, sig), SOTTO_E_SIG);
	/* The untouched signature still verifies. */
	CHECK_EQ(sotto_ed25519_verify(pub, msg, 2, sig), 0);
}

/* The group order L = 2^252 + 27742317777372353535851937790883648493,
 * little-endian, as Ed25519 encodes S. */
static const uint8_t ed_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* s += L (little-endian, 32 bytes; S < L so no carry out). */
static void add_order(uint8_t s[32])
{
	unsigned carry = 0, i;

	for (i = 0; i < 32; i++) {
		unsigned t = s[i] + ed_order[i] + carry;

		s[i] = (uint8_t)t;
		carry = t >> 8;
	}
}

/* RFC 8032 5.1.7: S must be below L. S + L verifies the same equation
 * (libgcrypt 1.10 accepts it), so a relay could mint a second valid
 * signature for any frame and defeat deduplication by signature. */
static void test_ed25519_noncanonical(void)
{
	const struct ed_vec *v = &ed_vecs[2];
	uint8_t pub[32], msg[2], sig[64], s_is_l[64];
	size_t i;

	unhex(v->pub, pub, 32);
	unhex(v->msg, msg, 2);
	unhex(v->sig, sig, 64);
	CHECK_EQ(sotto_ed25519_verify(pub, msg, 2, sig), 0);
	add_order(sig + 32);
	CHECK_EQ(sotto_ed25519_verify(pub, msg, 2, sig), SOTTO_E_SIG);
	/* S = L exactly, and S with the top bits set, are refused before
	 * any curve arithmetic. */
	memcpy(s_is_l, sig, 32);
	memcpy(s_is_l + 32, ed_order, 32);
	CHECK_EQ(sotto_ed25519_verify(pub, msg, 2, s_is_l), SOTTO_E_SIG);
	for (i = 0; i < 3; i++) {
		unhex(v->sig, sig, 64);
		sig[63] |= (uint8_t)(0x20u << i);
		CHECK_EQ(sotto_ed25519_verify(pub, msg, 2, sig), SOTTO_E_SIG);
	}
	/* L - 1 is canonical: the check is a strict bound, not a mask. */
	CHECK_EQ(sotto_ed25519_s_canonical(ed_order), 0);
	memcpy(s_is_l, ed_order, 32);
	s_is_l[0]--;
	CHECK_EQ(sotto_ed25519_s_canonical(s_is_l), 1);
}

static void test_ed25519_generate(void)
{
	struct sotto_ed25519 *a = NULL, *b = NULL, *c = NULL;
	uint8_t sig[64];
	static const char msg[] = "sotto test message";

	CHECK_EQ(sotto_ed25519_generate(&a), 0);
	CHECK_EQ(sotto_ed25519_generate(&b), 0);
	if (a == NULL || b == NULL)
		goto out;
	CHECK(memcmp(sotto_ed25519_pub(a), sotto_ed25519_pub(b), 32) != 0);
	CHECK(sotto_ed25519_is_secure(a));
	CHECK_EQ(sotto_ed25519_sign(a, msg, sizeof(msg), sig), 0);
	CHECK_EQ(sotto_ed25519_verify(sotto_ed25519_pub(a), msg, sizeof(msg), sig), 0);
	CHECK_EQ(sotto_ed25519_verify(sotto_ed25519_pub(b), msg, sizeof(msg), sig),
	    SOTTO_E_SIG);
	/* The seed round-trips to the same key (what the key file stores). */
	CHECK_EQ(sotto_ed25519_from_seed(&c, sotto_ed25519_seed(a)), 0);
	if (c != NULL)
		CHECK_MEM(sotto_ed25519_pub(c), sotto_ed25519_pub(a), 32);
 out:
	sotto_ed25519_free(a);
	sotto_ed25519_free(b);
	sotto_ed25519_free(c);
}

/* --- randomness ---------------------------------------------------------- */

/* libgcrypt aborts on a message of 64 KiB or more inside its
 * S-expressions: the largest it can take works, one byte more is
 * refused (TOOLONG to sign, a failed verify), never a crash. */
static void test_ed25519_long(void)
{
	static uint8_t msg[SOTTO_GCRY_DATUM_MAX + 1];
	struct sotto_ed25519 *k = NULL;
	uint8_t sig[SOTTO_ED25519_SIG];

	memset(msg, 0x61, sizeof(msg));
	CHECK_EQ(sotto_ed25519_generate(&k), 0);
	if (k == NULL)
		return;
	CHECK_EQ(sotto_ed25519_sign(k, msg, SOTTO_GCRY_DATUM_MAX, sig), 0);
	CHECK_EQ(sotto_ed25519_verify(sotto_ed25519_pub(k), msg, SOTTO_GCRY_DATUM_MAX,
	    sig), 0);
	CHECK_EQ(sotto_ed25519_sign(k, msg, sizeof(msg), sig), SOTTO_E_TOOLONG);
	CHECK(sotto_ed25519_verify(sotto_ed25519_pub(k), msg, sizeof(msg), sig) != 0);
	sotto_ed25519_free(k);
}

static void test_random(void)
{
	uint8_t a[32], b[32];
	unsigned seen[6] = { 0 };
	int in_range = 1;

	sotto_random(a, sizeof(a));
	sotto_random(b, sizeof(b));
	CHECK(memcmp(a, b, 32) != 0);
	sotto_random_nonce(a, sizeof(a));
	sotto_random_nonce(b, sizeof(b));
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_EQ(sotto_random_uniform(1), 0);
	CHECK_EQ(sotto_random_uniform(0), 0);
	for (int i = 0; i < 6000; i++) {
		uint32_t r = sotto_random_uniform(6);
		if (r >= 6)
			in_range = 0;
		else
			seen[r]++;
	}
	CHECK(in_range);
	/* Expect 1000 each; 400 is more than 20 standard deviations away. */
	for (int i = 0; i < 6; i++)
		CHECK(seen[i] > 600 && seen[i] < 1400);
	/* A bound just above 2^31 rejects nearly half the draws: still ends. */
	CHECK(sotto_random_uniform(0x80000001u) < 0x80000001u);
}

/* --- RSA-OAEP-SHA256 ----------------------------------------------------- */

static void test_rsa_roundtrip(unsigned bits)
{
	struct sotto_rsa *k = NULL, *other = NULL;
	size_t mod_len = bits / 8, got_len = 99;
	uint8_t *n = calloc(1, mod_len), *ct = calloc(1, mod_len);
	uint8_t *ct2 = calloc(1, mod_len);
	uint8_t *out = sotto_secure_alloc(mod_len);
	uint8_t msg[40];

	sotto_random(msg, sizeof(msg));
	CHECK_EQ(sotto_rsa_generate(&k, bits), 0);
	if (k == NULL || n == NULL || ct == NULL || ct2 == NULL || out == NULL)
		goto out;
	CHECK(sotto_rsa_is_secure(k));
	CHECK_EQ(sotto_rsa_modulus(k, n, mod_len), 0);
	CHECK(n[0] & 0x80);          /* full-length modulus */
	CHECK(n[mod_len - 1] & 1);   /* odd */

	CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, msg, sizeof(msg), ct,
	    mod_len), 0);
	CHECK_EQ(sotto_rsa_unwrap(k, ct, mod_len, out, 64, &got_len), 0);
	CHECK_EQ(got_len, sizeof(msg));
	CHECK_MEM(out, msg, sizeof(msg));
	/* OAEP is randomised: the same message wraps differently. */
	CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, msg, sizeof(msg), ct2,
	    mod_len), 0);
	CHECK(memcmp(ct, ct2, mod_len) != 0);

	if (bits == 2048) {
		/* Tampering anywhere is one error, and leaves no length. */
		int all_refused = 1;
		for (size_t i = 0; i < mod_len; i += 37) {
			ct[i] ^= 0x01;
			got_len = 99;
			if (sotto_rsa_unwrap(k, ct, mod_len, out, 64, &got_len) !=
			    SOTTO_E_DECRYPT || got_len != 0)
				all_refused = 0;
			ct[i] ^= 0x01;
		}
		CHECK(all_refused);
		CHECK_EQ(sotto_rsa_unwrap(k, ct, mod_len - 1, out, 64, &got_len),
		    SOTTO_E_DECRYPT);
		CHECK_EQ(sotto_rsa_unwrap(k, ct, mod_len, out, 8, &got_len),
		    SOTTO_E_DECRYPT);
		memset(ct2, 0xff, mod_len);   /* >= n: not a ciphertext */
		CHECK_EQ(sotto_rsa_unwrap(k, ct2, mod_len, out, 64, &got_len),
		    SOTTO_E_DECRYPT);
		/* Another key cannot unwrap it. */
		CHECK_EQ(sotto_rsa_generate(&other, bits), 0);
		if (other != NULL)
			CHECK_EQ(sotto_rsa_unwrap(other, ct, mod_len, out, 64,
			    &got_len), SOTTO_E_DECRYPT);
		/* Bad public keys and sizes are refused before any work. */
		CHECK(sotto_rsa_wrap(n, mod_len, 65536, msg, 8, ct2, mod_len) < 0);
		CHECK(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, msg, 8, ct2,
		    mod_len - 1) < 0);
		CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, ct, mod_len - 65,
		    ct2, mod_len), SOTTO_E_TOOLONG);
		CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, msg, 0, ct2,
		    mod_len), SOTTO_E_INVAL);
		CHECK_EQ(sotto_rsa_wrap(n, 128, SOTTO_RSA_E, msg, 8, ct2, 128),
		    SOTTO_E_LEN);
		n[mod_len - 1] ^= 1;   /* even modulus */
		CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, msg, 8, ct2,
		    mod_len), SOTTO_E_FORMAT);
		n[mod_len - 1] ^= 1;
		sotto_rsa_free(other);
		CHECK_EQ(sotto_rsa_generate(&other, 1024), SOTTO_E_INVAL);
		CHECK(other == NULL);
		/* The largest message OAEP-SHA256 allows still round-trips. */
		CHECK_EQ(sotto_rsa_wrap(n, mod_len, SOTTO_RSA_E, n, mod_len - 66,
		    ct2, mod_len), 0);
		CHECK_EQ(sotto_rsa_unwrap(k, ct2, mod_len, out, mod_len,
		    &got_len), 0);
		CHECK_EQ(got_len, mod_len - 66);
		CHECK_MEM(out, n, mod_len - 66);
	}
 out:
	sotto_rsa_free(k);
	sotto_rsa_free(other);
	sotto_secure_free(out, mod_len);
	free(n);
	free(ct);
	free(ct2);
}

/* A child whose memory may not be locked (no RLIMIT_MEMLOCK and, when we
 * are root, no CAP_IPC_LOCK) must be told so; this process, when root,
 * must be told its pool is locked. Runs before this process's own init. */
static void test_secure_locked(void)
{
	struct rlimit none = { 0, 0 };
	int status = -1;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (setrlimit(RLIMIT_MEMLOCK, &none) != 0)
			_exit(2);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		if (sotto_crypto_init() != 0)
			_exit(4);
		_exit(sotto_crypto_secure_locked() == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	if (pid > 0)
		CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	size_t i;

	test_secure_locked();
	CHECK_EQ(sotto_crypto_init(), 0);
	/* AddressSanitizer turns mlock into a no-op: there the pool really is
	 * not locked and the answer must say so. */
	if (TEST_ASAN)
		CHECK_EQ(sotto_crypto_secure_locked(), 0);
	else if (geteuid() == 0)
		CHECK_EQ(sotto_crypto_secure_locked(), 1);
	CHECK_EQ(sotto_crypto_init(), 0);   /* idempotent */
	test_sha256();
	test_hmac();
	for (i = 0; i < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); i++)
		test_gcm_vector(&gcm_vecs[i]);
	test_gcm_rejects();
	for (i = 0; i < sizeof(ed_vecs) / sizeof(ed_vecs[0]); i++)
		test_ed25519_vector(&ed_vecs[i]);
	test_ed25519_rejects();
	test_ed25519_noncanonical();
	test_ed25519_generate();
	test_ed25519_long();
	test_random();
	test_rsa_roundtrip(2048);
	test_rsa_roundtrip(SOTTO_RSA_BITS);
	return check_summary();
}

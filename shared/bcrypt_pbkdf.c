/* SPDX-License-Identifier: ISC */
/* bcrypt_pbkdf.c: bcrypt-pbkdf as OpenBSD defines it (bcrypt_pbkdf(3)), on our Blowfish and libgcrypt's SHA-512. */
#include <string.h>
#include <gcrypt.h>

#include "bcrypt_pbkdf.h"
#include "blowfish.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"

#define SHA512_LEN     64u
#define BCRYPT_WORDS   8
#define BCRYPT_ROUNDS  64
/* The fixed plaintext bcrypt_hash encrypts 64 times. */
#define BCRYPT_MAGIC   "OxychromaticBlowfishSwatDynamite"

/* Everything secret in one secure block, wiped at once. */
struct pbkdf_state {
	struct sotto_blowfish blf;
	uint8_t  sha2pass[SHA512_LEN];
	uint8_t  sha2salt[SHA512_LEN];
	uint8_t  out[SOTTO_BCRYPT_HASH_LEN];
	uint8_t  tmp[SOTTO_BCRYPT_HASH_LEN];
	uint32_t cdata[BCRYPT_WORDS];
};

/* bcrypt_hash: eksblowfish keyed by the hashed passphrase and salt,
 * then the magic string encrypted 64 times; words out little-endian. */
static void
bcrypt_hash(struct pbkdf_state *st, uint8_t out[static SOTTO_BCRYPT_HASH_LEN])
{
	const uint8_t *magic = (const uint8_t *)BCRYPT_MAGIC;
	int i, k;

	sotto_blf_initstate(&st->blf);
	sotto_blf_expandstate(&st->blf, st->sha2salt, SHA512_LEN, st->sha2pass,
	    SHA512_LEN);
	for (i = 0; i < BCRYPT_ROUNDS; i++) {
		sotto_blf_expand0state(&st->blf, st->sha2salt, SHA512_LEN);
		sotto_blf_expand0state(&st->blf, st->sha2pass, SHA512_LEN);
	}
	for (i = 0; i < BCRYPT_WORDS; i++)
		st->cdata[i] = sotto_load_be32(magic + 4 * i);
	for (i = 0; i < BCRYPT_ROUNDS; i++)
		for (k = 0; k < BCRYPT_WORDS; k += 2)
			sotto_blf_encipher(&st->blf, &st->cdata[k], &st->cdata[k + 1]);
	for (i = 0; i < BCRYPT_WORDS; i++) {
		out[4 * i + 3] = (uint8_t)(st->cdata[i] >> 24);
		out[4 * i + 2] = (uint8_t)(st->cdata[i] >> 16);
		out[4 * i + 1] = (uint8_t)(st->cdata[i] >> 8);
		out[4 * i + 0] = (uint8_t)st->cdata[i];
	}
}

/* SHA-512 of a || b in a secure context (the inputs are secret). */
static int
sha512_2(uint8_t out[static SHA512_LEN], const void *a, size_t a_len,
    const void *b, size_t b_len)
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA512, GCRY_MD_FLAG_SECURE) != 0)
		return SOTTO_E_CRYPTO;
	gcry_md_write(h, a, a_len);
	if (b_len > 0)
		gcry_md_write(h, b, b_len);
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA512), SHA512_LEN);
	gcry_md_close(h);
	return 0;
}

/* One output block: rounds of bcrypt_hash chained through SHA-512 and
 * XORed together into st->out. */
static int
pbkdf_block(struct pbkdf_state *st, const uint8_t *salt, size_t salt_len,
    uint32_t count, unsigned rounds)
{
	uint8_t cnt[4];
	unsigned i;
	size_t j;
	int r;

	sotto_store_be32(cnt, count);
	if ((r = sha512_2(st->sha2salt, salt, salt_len, cnt, sizeof(cnt))) != 0)
		return r;
	bcrypt_hash(st, st->tmp);
	memcpy(st->out, st->tmp, sizeof(st->out));
	for (i = 1; i < rounds; i++) {
		if ((r = sha512_2(st->sha2salt, st->tmp, sizeof(st->tmp), NULL,
		    0)) != 0)
			return r;
		bcrypt_hash(st, st->tmp);
		for (j = 0; j < sizeof(st->out); j++)
			st->out[j] ^= st->tmp[j];
	}
	return 0;
}

int
sotto_bcrypt_pbkdf(const uint8_t *pass, size_t pass_len, const uint8_t *salt,
    size_t salt_len, uint8_t *key, size_t key_len, unsigned rounds)
{
	struct pbkdf_state *st;
	size_t stride, amt, left = key_len, i;
	uint32_t count;
	int r = 0;

	if (rounds < 1 || pass_len == 0 || salt_len == 0 || key_len == 0 ||
	    key_len > SOTTO_BCRYPT_KEY_MAX || salt_len > SOTTO_BCRYPT_SALT_MAX)
		return SOTTO_E_INVAL;
	if ((st = sotto_secure_alloc(sizeof(*st))) == NULL)
		return SOTTO_E_ALLOC;
	/* Output bytes are spread over the blocks: byte i of block c goes
	 * to key[i * stride + c - 1] (bcrypt-pbkdf's deviation from PBKDF2). */
	stride = (key_len + SOTTO_BCRYPT_HASH_LEN - 1) / SOTTO_BCRYPT_HASH_LEN;
	amt = (key_len + stride - 1) / stride;
	if ((r = sha512_2(st->sha2pass, pass, pass_len, NULL, 0)) != 0)
		goto out;
	for (count = 1; left > 0; count++) {
		if ((r = pbkdf_block(st, salt, salt_len, count, rounds)) != 0)
			goto out;
		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			size_t dest = i * stride + (count - 1);
			if (dest >= key_len)
				break;
			key[dest] = st->out[i];
		}
		left -= i;
	}
 out:
	sotto_secure_free(st, sizeof(*st));
	if (r != 0)
		sotto_wipe(key, key_len);
	return r;
}

/* SPDX-License-Identifier: ISC */
/* crypto.h: every cryptographic operation sotto uses, on libgcrypt.
 *
 * Secrets (Ed25519 seeds, RSA private keys, group keys, AEAD key schedules)
 * live in libgcrypt secure memory and are wiped when freed. Functions
 * return 0 or a negative sotto_err; out-parameters are cleared first.
 */
#ifndef SOTTO_CRYPTO_H
#define SOTTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

/* Once per process, before threads: version check, secure memory pool. */
int sotto_crypto_init(void);

/* After sotto_crypto_init: 1 when the secure pool is locked in RAM, 0
 * when it is not (RLIMIT_MEMLOCK too low: secrets may reach swap; the
 * client tells the user), SOTTO_E_IO when it cannot tell (no /proc). */
int sotto_crypto_secure_locked(void);

/* Strong random bytes (GCRY_STRONG_RANDOM): keys. */
void sotto_random(void *p, size_t n);
/* Unpredictable non-key bytes (gcry_create_nonce): nonces, padding. */
void sotto_random_nonce(void *p, size_t n);
/* Uniform integer in [0, bound) without modulo bias; bound > 0. */
uint32_t sotto_random_uniform(uint32_t bound);

/* Secure memory: wiped on free. NULL on failure. */
void *sotto_secure_alloc(size_t n);
void sotto_secure_free(void *p, size_t n);
/* Whether p points into libgcrypt secure memory (tests, assertions). */
int sotto_crypto_is_secure(const void *p);

void sotto_sha256(uint8_t out[static SOTTO_SHA256_LEN], const void *p, size_t n);
int sotto_hmac_sha256(uint8_t out[static SOTTO_SHA256_LEN], const uint8_t *key,
    size_t key_len, const void *p, size_t n);

/* --- Ed25519 identity keys ----------------------------------------------- */
struct sotto_ed25519;   /* opaque: seed in secure memory, cached key s-exp */

int sotto_ed25519_generate(struct sotto_ed25519 **out);
int sotto_ed25519_from_seed(struct sotto_ed25519 **out,
    const uint8_t seed[static SOTTO_ED25519_SEC]);
void sotto_ed25519_free(struct sotto_ed25519 *k);
/* Borrowed: valid while k lives. */
const uint8_t *sotto_ed25519_pub(const struct sotto_ed25519 *k);
/* The seed, borrowed from secure memory (for writing the key file). */
const uint8_t *sotto_ed25519_seed(const struct sotto_ed25519 *k);
/* What is really signed for msg[0..n): msg itself up to
 * SOTTO_GCRY_DATUM_MAX bytes, else SOTTO_LABEL_PREHASH || SHA-512(msg),
 * built in buf (libgcrypt cannot take longer messages, and an ssh-agent
 * need not carry them). *out points at msg or buf. Used by every signer
 * (key file, ssh-agent) and by verify, so the rule is one. */
void sotto_ed25519_message(const void *msg, size_t n,
    uint8_t buf[static SOTTO_PREHASH_MSG_LEN], const void **out, size_t *out_n);
int sotto_ed25519_sign(const struct sotto_ed25519 *k, const void *msg,
    size_t n, uint8_t sig[static SOTTO_ED25519_SIG]);
/* Whether seed and cached key s-expression sit in secure memory (tests). */
int sotto_ed25519_is_secure(const struct sotto_ed25519 *k);
/* 1 when the 32-byte little-endian S half of a signature is below the
 * group order L (RFC 8032 5.1.7), else 0. */
int sotto_ed25519_s_canonical(const uint8_t s[static 32]);
/* 0 when the signature verifies, SOTTO_E_SIG when not (also when its S
 * is not canonical: one message, one accepted signature per key). */
int sotto_ed25519_verify(const uint8_t pub[static SOTTO_ED25519_PUB],
    const void *msg, size_t n, const uint8_t sig[static SOTTO_ED25519_SIG]);

/* --- AES-256-GCM --------------------------------------------------------- */
struct sotto_aead;      /* opaque: cipher handle in secure memory */

int sotto_aead_new(struct sotto_aead **out, const uint8_t key[static SOTTO_GROUP_KEY]);
void sotto_aead_free(struct sotto_aead *a);
/* Replace the key of an open handle (one key per message in v2, without
 * a secure-memory allocation each). */
int sotto_aead_rekey(struct sotto_aead *a, const uint8_t key[static SOTTO_GROUP_KEY]);
/* ct gets n bytes (may equal pt); tag 16 bytes. */
int sotto_aead_seal(struct sotto_aead *a, const uint8_t nonce[static SOTTO_GCM_NONCE],
    const void *aad, size_t aad_len, const void *pt, size_t n, uint8_t *ct,
    uint8_t tag[static SOTTO_GCM_TAG]);
/* SOTTO_E_DECRYPT when the tag does not match; pt is then wiped. */
int sotto_aead_open(struct sotto_aead *a, const uint8_t nonce[static SOTTO_GCM_NONCE],
    const void *aad, size_t aad_len, const uint8_t *ct, size_t n,
    const uint8_t tag[static SOTTO_GCM_TAG], uint8_t *pt);

/* --- RSA-4096, OAEP-SHA256 (MGF1-SHA256, empty label) -------------------- */
struct sotto_rsa;       /* opaque: private key s-exp in secure memory */

/* Slow (a second or more): call it off the event loop. */
int sotto_rsa_generate(struct sotto_rsa **out, unsigned bits);
void sotto_rsa_free(struct sotto_rsa *k);
#if defined(SOTTO_TEST_KEYS) || defined(SOTTO_TEST_HOOKS)
/* Tests only (tests/core compiles crypto.c with SOTTO_TEST_KEYS, a
 * SOTTO_TEST_HOOKS build has it for client/core/rsapool.c; a build for
 * users has no such function): a key from a libgcrypt s-expression,
 * text or canonical, "(private-key(rsa(n ..)(e ..)(d ..)(p ..)(q ..)(u ..)))"
 * or genkey's whole "(key-data ..)". Refused (SOTTO_E_CRYPTO) unless it
 * parses, has a 4096-bit modulus and passes libgcrypt's key check. */
int sotto_rsa_import(struct sotto_rsa **out, const char *sexp, size_t len);
#endif
/* Whether the private key s-expression sits in secure memory (tests). */
int sotto_rsa_is_secure(const struct sotto_rsa *k);
/* The modulus, big-endian, left-padded to exactly `len` bytes. */
int sotto_rsa_modulus(const struct sotto_rsa *k, uint8_t *n, size_t len);
/* Wrap msg (1 .. n_len - 66 bytes) to the public key (n, e): out gets
 * exactly n_len bytes. */
int sotto_rsa_wrap(const uint8_t *n, size_t n_len, uint32_t e,
    const void *msg, size_t msg_len, uint8_t *out, size_t out_len);
/* Unwrap into out (caller's secure memory); *msg_len set on success.
 * Any failure is SOTTO_E_DECRYPT. */
int sotto_rsa_unwrap(const struct sotto_rsa *k, const uint8_t *ct,
    size_t ct_len, uint8_t *out, size_t out_cap, size_t *msg_len);

#endif

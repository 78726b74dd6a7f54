/* SPDX-License-Identifier: ISC */
/* crypto.c: sotto's cryptographic primitives on libgcrypt (crypto.h). */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"

#if defined(__SANITIZE_ADDRESS__)
#define SOTTO_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOTTO_LSAN 1
#endif
#endif
#ifdef SOTTO_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* RSA-4096 key generation and OAEP decryption keep several 4096-bit
 * secure MPIs alive at once, plus the Ed25519 and AES key schedules. */
#define SECMEM_POOL        (1024u * 1024u)

/* Ed25519 encodings are fixed-size little-endian strings; RSA sizes we
 * accept for peers' keys (wire keys are 4096 bits; 2048 only in tests). */
#define ED25519_BITS       256u
#define RSA_MOD_MIN        256u
#define RSA_MOD_MAX        1024u
#define OAEP_OVERHEAD      (2u * SOTTO_SHA256_LEN + 2u)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = SOTTO_E_CRYPTO;

/* Whether libgcrypt reported that mlock of the secure pool failed. */
static int pool_lock_refused;

static void
crypto_init_once(void)
{
	gcry_error_t e;

	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return;
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		/* Someone in this process set libgcrypt up already. */
		init_result = 0;
		return;
	}
	/* libgcrypt prints "using insecure memory" on stderr when mlock
	 * is refused (low RLIMIT_MEMLOCK). That line would tear the curses
	 * screen; the pool is still separate from the heap and wiped on
	 * free, so we keep it quiet. */
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	/* GPG_ERR_GENERAL here means the pool exists but mlock was refused:
	 * run anyway (the pool is still apart from the heap and wiped on
	 * free) and let the front-end tell the user. */
	e = gcry_control(GCRYCTL_INIT_SECMEM, SECMEM_POOL, 0);
	if (e != 0 && gcry_err_code(e) != GPG_ERR_GENERAL)
		return;
	pool_lock_refused = e != 0;
	/* libgcrypt's internal x*malloc_secure abort the process when the
	 * pool runs dry; let it grow instead of dying mid-session. */
	gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, SECMEM_POOL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
#ifdef SOTTO_LSAN
	{
		/* libgcrypt's jitter-entropy collector, made on the first
		 * GCRY_VERY_STRONG_RANDOM request (RSA key generation), keeps a
		 * heap block referenced only from the secure pool, which
		 * LeakSanitizer does not scan. Make it here, unreported, so
		 * sanitizer runs still catch every leak of ours. */
		uint8_t b;
		__lsan_disable();
		gcry_randomize(&b, 1, GCRY_VERY_STRONG_RANDOM);
		__lsan_enable();
	}
#endif
	init_result = 0;
}

int
sotto_crypto_init(void)
{
	/* libgcrypt >= 1.6 is thread-safe once initialised; pthread_once
	 * makes the initialisation itself safe to reach from any thread. */
	if (pthread_once(&init_once, crypto_init_once) != 0)
		return SOTTO_E_CRYPTO;
	return init_result;
}

/* --- randomness ---------------------------------------------------------- */

/* VmLck of /proc/self/status in bytes, or -1 when it cannot be read. */
static long long
locked_bytes(void)
{
	char line[128], *end;
	unsigned long long kb;
	long long r = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmLck:", 6) != 0)
			continue;
		kb = strtoull(line + 6, &end, 10);
		if (end != line + 6 && kb < (unsigned long long)LLONG_MAX / 1024)
			r = (long long)kb * 1024;
		break;
	}
	fclose(f);
	return r;
}

int
sotto_crypto_secure_locked(void)
{
	long long n;

	/* libgcrypt tells us when mlock failed; the kernel's count of locked
	 * bytes also catches an mlock that "succeeded" without locking
	 * (AddressSanitizer makes mlock a no-op). */
	if (pool_lock_refused)
		return 0;
	if ((n = locked_bytes()) < 0)
		return SOTTO_E_IO;
	return n >= (long long)SECMEM_POOL;
}

void
sotto_random(void *p, size_t n)
{
	gcry_randomize(p, n, GCRY_STRONG_RANDOM);
}

void
sotto_random_nonce(void *p, size_t n)
{
	gcry_create_nonce(p, n);
}

uint32_t
sotto_random_uniform(uint32_t bound)
{
	uint32_t r, floor;

	if (bound < 2)
		return 0;
	/* Reject the 2^32 mod bound lowest values so every residue has the
	 * same number of preimages. */
	floor = (uint32_t)(0u - bound) % bound;
	do
		sotto_random_nonce(&r, sizeof(r));
	while (r < floor);
	return r % bound;
}

/* --- secure memory ------------------------------------------------------- */

void *
sotto_secure_alloc(size_t n)
{
	return gcry_calloc_secure(1, n ? n : 1);
}

void
sotto_secure_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	sotto_wipe(p, n);
	gcry_free(p);
}

int
sotto_crypto_is_secure(const void *p)
{
	return p != NULL && gcry_is_secure(p);
}

/* --- hashes -------------------------------------------------------------- */

void
sotto_sha256(uint8_t out[static SOTTO_SHA256_LEN], const void *p, size_t n)
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, p, n);
}

int
sotto_hmac_sha256(uint8_t out[static SOTTO_SHA256_LEN], const uint8_t *key,
    size_t key_len, const void *p, size_t n)
{
	gcry_mac_hd_t h;
	size_t out_len = SOTTO_SHA256_LEN;
	int r = SOTTO_E_CRYPTO;

	memset(out, 0, SOTTO_SHA256_LEN);
	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, GCRY_MAC_FLAG_SECURE, NULL) != 0)
		return SOTTO_E_CRYPTO;
	if (gcry_mac_setkey(h, key, key_len) == 0 &&
	    gcry_mac_write(h, p, n) == 0 &&
	    gcry_mac_read(h, out, &out_len) == 0 && out_len == SOTTO_SHA256_LEN)
		r = 0;
	gcry_mac_close(h);
	if (r != 0)
		sotto_wipe(out, SOTTO_SHA256_LEN);
	return r;
}

/* --- Ed25519 ------------------------------------------------------------- */

struct sotto_ed25519 {               /* the whole struct is secure memory */
	uint8_t     seed[SOTTO_ED25519_SEC];
	uint8_t     pub[SOTTO_ED25519_PUB];
	gcry_sexp_t skey;   /* built from the secure seed, so secure too */
};

/* The byte string of the first element after token `name` in s. */
static int
sexp_bytes(gcry_sexp_t s, const char *name, uint8_t *out,
    size_t len)
{
	gcry_sexp_t l = gcry_sexp_find_token(s, name, 0);
	const char *d;
	size_t n = 0;
	int r = SOTTO_E_CRYPTO;

	if (l == NULL)
		return SOTTO_E_CRYPTO;
	if ((d = gcry_sexp_nth_data(l, 1, &n)) != NULL && n == len) {
		memcpy(out, d, len);
		r = 0;
	}
	gcry_sexp_release(l);
	return r;
}

/* Public key from seed: libgcrypt derives Q from d in an EC context. */
static int
ed25519_derive_pub(struct sotto_ed25519 *k)
{
	gcry_sexp_t d = NULL;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t q = NULL;
	const void *qp;
	unsigned int nbits = 0;
	int r = SOTTO_E_CRYPTO;

	if (gcry_sexp_build(&d, NULL,
	    "(private-key(ecc(curve Ed25519)(flags eddsa)(d %b)))",
	    (int)sizeof(k->seed), k->seed) != 0)
		return SOTTO_E_CRYPTO;
	if (gcry_mpi_ec_new(&ctx, d, NULL) == 0 &&
	    (q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1)) != NULL &&
	    gcry_mpi_get_flag(q, GCRYMPI_FLAG_OPAQUE) &&
	    (qp = gcry_mpi_get_opaque(q, &nbits)) != NULL &&
	    nbits == ED25519_BITS) {
		memcpy(k->pub, qp, sizeof(k->pub));
		r = 0;
	}
	gcry_mpi_release(q);
	gcry_ctx_release(ctx);
	gcry_sexp_release(d);
	return r;
}

int
sotto_ed25519_from_seed(struct sotto_ed25519 **out,
    const uint8_t seed[static SOTTO_ED25519_SEC])
{
	struct sotto_ed25519 *k;
	int r;

	*out = NULL;
	if ((k = gcry_calloc_secure(1, sizeof(*k))) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(k->seed, seed, sizeof(k->seed));
	if ((r = ed25519_derive_pub(k)) != 0)
		goto fail;
	/* %b from secure memory makes gcry_sexp_build allocate the whole
	 * s-expression in secure memory; parsed once, reused per signature. */
	if (gcry_sexp_build(&k->skey, NULL,
	    "(private-key(ecc(curve Ed25519)(flags eddsa)(q %b)(d %b)))",
	    (int)sizeof(k->pub), k->pub, (int)sizeof(k->seed), k->seed) != 0) {
		r = SOTTO_E_CRYPTO;
		goto fail;
	}
	*out = k;
	return 0;
 fail:
	sotto_ed25519_free(k);
	return r;
}

int
sotto_ed25519_generate(struct sotto_ed25519 **out)
{
	uint8_t *seed;
	int r;

	*out = NULL;
	if ((seed = sotto_secure_alloc(SOTTO_ED25519_SEC)) == NULL)
		return SOTTO_E_ALLOC;
	sotto_random(seed, SOTTO_ED25519_SEC);
	r = sotto_ed25519_from_seed(out, seed);
	sotto_secure_free(seed, SOTTO_ED25519_SEC);
	return r;
}

void
sotto_ed25519_free(struct sotto_ed25519 *k)
{
	if (k == NULL)
		return;
	gcry_sexp_release(k->skey);
	sotto_secure_free(k, sizeof(*k));
}

const uint8_t *
sotto_ed25519_pub(const struct sotto_ed25519 *k)
{
	return k->pub;
}

const uint8_t *
sotto_ed25519_seed(const struct sotto_ed25519 *k)
{
	return k->seed;
}

int
sotto_ed25519_is_secure(const struct sotto_ed25519 *k)
{
	return gcry_is_secure(k) && gcry_is_secure(k->skey);
}

/* libgcrypt (1.10) keeps S-expression lengths in 16 bits: a message of
 * 65 531 bytes or more corrupts the expression and aborts the process
 * inside gcry_pk_sign/verify ("Ohhhh jeeee ... sexp.c"). A message above
 * SOTTO_GCRY_DATUM_MAX is refused here instead: a signature that cannot
 * be made, or a frame whose signature does not verify, never a crash.
 * Every DAT sotto signs stays below it (wire-files.h SOTTO_DAT2_SIGNED_MAX). */
static int
eddsa_data(gcry_sexp_t *data, const void *msg, size_t n)
{
	if (n > SOTTO_GCRY_DATUM_MAX)
		return SOTTO_E_TOOLONG;
	if (gcry_sexp_build(data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", (int)n, msg) != 0)
		return SOTTO_E_CRYPTO;
	return 0;
}

int
sotto_ed25519_sign(const struct sotto_ed25519 *k, const void *msg,
    size_t n, uint8_t sig[static SOTTO_ED25519_SIG])
{
	gcry_sexp_t data = NULL, s = NULL;
	int r;

	memset(sig, 0, SOTTO_ED25519_SIG);
	if ((r = eddsa_data(&data, msg, n)) != 0)
		return r;
	if (gcry_pk_sign(&s, data, k->skey) != 0)
		r = SOTTO_E_CRYPTO;
	else if ((r = sexp_bytes(s, "r", sig, 32)) != 0 ||
	    (r = sexp_bytes(s, "s", sig + 32, 32)) != 0)
		memset(sig, 0, SOTTO_ED25519_SIG);
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	return r;
}

/* Ed25519's group order L, little-endian (RFC 8032 5.1). */
static const uint8_t ed25519_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

int
sotto_ed25519_s_canonical(const uint8_t s[static 32])
{
	int i;

	/* Compare from the most significant byte. S is public: no need for
	 * constant time. */
	for (i = 31; i >= 0; i--)
		if (s[i] != ed25519_order[i])
			return s[i] < ed25519_order[i];
	return 0;
}

int
sotto_ed25519_verify(const uint8_t pub[static SOTTO_ED25519_PUB],
    const void *msg, size_t n, const uint8_t sig[static SOTTO_ED25519_SIG])
{
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	int r = SOTTO_E_SIG;

	/* libgcrypt 1.10 accepts S + L: refuse it, so a frame has one
	 * valid signature and a relay cannot mint look-alike copies. */
	if (!sotto_ed25519_s_canonical(sig + 32))
		return SOTTO_E_SIG;
	/* Malformed keys, signatures and messages all mean "does not verify". */
	if (eddsa_data(&data, msg, n) == 0 &&
	    gcry_sexp_build(&key, NULL,
	    "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
	    (int)SOTTO_ED25519_PUB, pub) == 0 &&
	    gcry_sexp_build(&s, NULL, "(sig-val(eddsa(r %b)(s %b)))",
	    32, sig, 32, sig + 32) == 0 &&
	    gcry_pk_verify(s, data, key) == 0)
		r = 0;
	gcry_sexp_release(s);
	gcry_sexp_release(key);
	gcry_sexp_release(data);
	return r;
}

/* --- AES-256-GCM --------------------------------------------------------- */

struct sotto_aead {
	gcry_cipher_hd_t h;   /* opened GCRY_CIPHER_SECURE: key schedule secure */
};

int
sotto_aead_new(struct sotto_aead **out, const uint8_t key[static SOTTO_GROUP_KEY])
{
	struct sotto_aead *a;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return SOTTO_E_ALLOC;
	if (gcry_cipher_open(&a->h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM,
	    GCRY_CIPHER_SECURE) != 0) {
		free(a);
		return SOTTO_E_CRYPTO;
	}
	if (gcry_cipher_setkey(a->h, key, SOTTO_GROUP_KEY) != 0) {
		sotto_aead_free(a);
		return SOTTO_E_CRYPTO;
	}
	*out = a;
	return 0;
}

int
sotto_aead_rekey(struct sotto_aead *a, const uint8_t key[static SOTTO_GROUP_KEY])
{
	return gcry_cipher_setkey(a->h, key, SOTTO_GROUP_KEY) == 0 ? 0 : SOTTO_E_CRYPTO;
}

void
sotto_aead_free(struct sotto_aead *a)
{
	if (a == NULL)
		return;
	gcry_cipher_close(a->h);   /* wipes the context */
	free(a);
}

/* setiv restarts GCM: counter, GHASH and length state. */
static int
aead_start(struct sotto_aead *a, const uint8_t *nonce,
    const void *aad, size_t aad_len)
{
	if (gcry_cipher_setiv(a->h, nonce, SOTTO_GCM_NONCE) != 0)
		return SOTTO_E_CRYPTO;
	if (aad_len > 0 && gcry_cipher_authenticate(a->h, aad, aad_len) != 0)
		return SOTTO_E_CRYPTO;
	if (gcry_cipher_final(a->h) != 0)
		return SOTTO_E_CRYPTO;
	return 0;
}

int
sotto_aead_seal(struct sotto_aead *a, const uint8_t nonce[static SOTTO_GCM_NONCE],
    const void *aad, size_t aad_len, const void *pt, size_t n, uint8_t *ct,
    uint8_t tag[static SOTTO_GCM_TAG])
{
	gcry_error_t e;
	int r;

	memset(tag, 0, SOTTO_GCM_TAG);
	if ((r = aead_start(a, nonce, aad, aad_len)) != 0)
		return r;
	/* In place when ct == pt: libgcrypt's form is (out, len, NULL, 0). */
	if ((const void *)ct == pt)
		e = gcry_cipher_encrypt(a->h, ct, n, NULL, 0);
	else
		e = gcry_cipher_encrypt(a->h, ct, n, pt, n);
	if (e != 0 || gcry_cipher_gettag(a->h, tag, SOTTO_GCM_TAG) != 0) {
		memset(tag, 0, SOTTO_GCM_TAG);
		return SOTTO_E_CRYPTO;
	}
	return 0;
}

int
sotto_aead_open(struct sotto_aead *a, const uint8_t nonce[static SOTTO_GCM_NONCE],
    const void *aad, size_t aad_len, const uint8_t *ct, size_t n,
    const uint8_t tag[static SOTTO_GCM_TAG], uint8_t *pt)
{
	gcry_error_t e;

	if (aead_start(a, nonce, aad, aad_len) != 0)
		return SOTTO_E_DECRYPT;
	if (ct == pt)
		e = gcry_cipher_decrypt(a->h, pt, n, NULL, 0);
	else
		e = gcry_cipher_decrypt(a->h, pt, n, ct, n);
	/* checktag compares in constant time; on mismatch the unverified
	 * plaintext must not survive. */
	if (e != 0 || gcry_cipher_checktag(a->h, tag, SOTTO_GCM_TAG) != 0) {
		sotto_wipe(pt, n);
		return SOTTO_E_DECRYPT;
	}
	return 0;
}

/* --- RSA, OAEP-SHA256 ---------------------------------------------------- */

struct sotto_rsa {
	/* genkey's whole key-data: it is secure memory, while the
	 * private-key sub-list gcry_sexp_find_token would copy out is not. */
	gcry_sexp_t key;
	size_t      n_len;   /* modulus bytes */
};

/* The unsigned integer after token `name`, big-endian, left-padded with
 * zeros to exactly len bytes. */
static int
sexp_uint(gcry_sexp_t s, const char *name, uint8_t *out, size_t len)
{
	gcry_sexp_t l = gcry_sexp_find_token(s, name, 0);
	gcry_mpi_t m = NULL;
	size_t need = 0, wrote = 0;
	int r = SOTTO_E_CRYPTO;

	if (l == NULL)
		return SOTTO_E_CRYPTO;
	if ((m = gcry_sexp_nth_mpi(l, 1, GCRYMPI_FMT_USG)) == NULL)
		goto out;
	need = (gcry_mpi_get_nbits(m) + 7) / 8;
	if (need > len) {
		r = SOTTO_E_TOOLONG;
		goto out;
	}
	memset(out, 0, len - need);
	if (need > 0 && (gcry_mpi_print(GCRYMPI_FMT_USG, out + (len - need),
	    need, &wrote, m) != 0 || wrote != need))
		goto out;
	r = 0;
 out:
	gcry_mpi_release(m);
	gcry_sexp_release(l);
	return r;
}

static size_t
sexp_uint_len(gcry_sexp_t s, const char *name)
{
	gcry_sexp_t l = gcry_sexp_find_token(s, name, 0);
	gcry_mpi_t m = l ? gcry_sexp_nth_mpi(l, 1, GCRYMPI_FMT_USG) : NULL;
	size_t n = m ? (gcry_mpi_get_nbits(m) + 7) / 8 : 0;

	gcry_mpi_release(m);
	gcry_sexp_release(l);
	return n;
}

int
sotto_rsa_generate(struct sotto_rsa **out, unsigned bits)
{
	struct sotto_rsa *k;
	gcry_sexp_t parms = NULL;
	int r = SOTTO_E_CRYPTO;

	*out = NULL;
	if (bits < RSA_MOD_MIN * 8 || bits > RSA_MOD_MAX * 8 || bits % 8 != 0)
		return SOTTO_E_INVAL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SOTTO_E_ALLOC;
	if (gcry_sexp_build(&parms, NULL, "(genkey(rsa(nbits %u)(rsa-use-e %u)))",
	    bits, (unsigned)SOTTO_RSA_E) != 0 ||
	    gcry_pk_genkey(&k->key, parms) != 0)
		goto fail;
	k->n_len = sexp_uint_len(k->key, "n");
	if (k->n_len != bits / 8)
		goto fail;
	gcry_sexp_release(parms);
	*out = k;
	return 0;
 fail:
	gcry_sexp_release(parms);
	sotto_rsa_free(k);
	return r;
}

#if defined(SOTTO_TEST_KEYS) || defined(SOTTO_TEST_HOOKS)
int
sotto_rsa_import(struct sotto_rsa **out, const char *sexp, size_t len)
{
	struct sotto_rsa *k;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SOTTO_E_ALLOC;
	if (gcry_sexp_new(&k->key, sexp, len, 1) != 0 ||
	    (k->n_len = sexp_uint_len(k->key, "n")) != SOTTO_RSA_MOD ||
	    gcry_pk_testkey(k->key) != 0) {
		sotto_rsa_free(k);
		return SOTTO_E_CRYPTO;
	}
	*out = k;
	return 0;
}
#endif

void
sotto_rsa_free(struct sotto_rsa *k)
{
	if (k == NULL)
		return;
	gcry_sexp_release(k->key);   /* secure memory: wiped on release */
	free(k);
}

int
sotto_rsa_is_secure(const struct sotto_rsa *k)
{
	return k->key != NULL && gcry_is_secure(k->key);
}

int
sotto_rsa_modulus(const struct sotto_rsa *k, uint8_t *n, size_t len)
{
	memset(n, 0, len);
	return sexp_uint(k->key, "n", n, len);
}

/* A peer's modulus: exact length (no leading zero byte), odd, in range. */
static int
rsa_pub_check(const uint8_t *n, size_t n_len, uint32_t e)
{
	if (n_len < RSA_MOD_MIN || n_len > RSA_MOD_MAX)
		return SOTTO_E_LEN;
	if (n[0] == 0 || (n[n_len - 1] & 1) == 0)
		return SOTTO_E_FORMAT;
	if (e < 3 || (e & 1) == 0)
		return SOTTO_E_FORMAT;
	return 0;
}

int
sotto_rsa_wrap(const uint8_t *n, size_t n_len, uint32_t e,
    const void *msg, size_t msg_len, uint8_t *out, size_t out_len)
{
	gcry_mpi_t mn = NULL, me = NULL;
	gcry_sexp_t key = NULL, data = NULL, enc = NULL;
	int r;

	memset(out, 0, out_len);
	if ((r = rsa_pub_check(n, n_len, e)) != 0)
		return r;
	/* libgcrypt cannot OAEP-encode an empty message (it refuses an
	 * empty value); nothing in sotto wraps one. */
	if (out_len != n_len || msg_len == 0)
		return SOTTO_E_INVAL;
	if (msg_len > n_len - OAEP_OVERHEAD)
		return SOTTO_E_TOOLONG;
	r = SOTTO_E_CRYPTO;
	/* Both as MPIs: %u would insert e as a decimal string. */
	if (gcry_mpi_scan(&mn, GCRYMPI_FMT_USG, n, n_len, NULL) != 0 ||
	    (me = gcry_mpi_set_ui(NULL, e)) == NULL ||
	    gcry_sexp_build(&key, NULL, "(public-key(rsa(n %m)(e %m)))",
	    mn, me) != 0 ||
	    gcry_sexp_build(&data, NULL,
	    "(data(flags oaep)(hash-algo sha256)(value %b))",
	    (int)msg_len, msg) != 0 ||
	    gcry_pk_encrypt(&enc, data, key) != 0)
		goto out;
	r = sexp_uint(enc, "a", out, out_len);
 out:
	gcry_sexp_release(enc);
	gcry_sexp_release(data);   /* secure when msg was: wiped */
	gcry_sexp_release(key);
	gcry_mpi_release(me);
	gcry_mpi_release(mn);
	return r;
}

int
sotto_rsa_unwrap(const struct sotto_rsa *k, const uint8_t *ct,
    size_t ct_len, uint8_t *out, size_t out_cap, size_t *msg_len)
{
	gcry_sexp_t enc = NULL, plain = NULL;
	const char *d, *tok;
	size_t n = 0, tok_len = 0;
	int r = SOTTO_E_DECRYPT;

	*msg_len = 0;
	if (ct_len != k->n_len)
		return SOTTO_E_DECRYPT;
	if (gcry_sexp_build(&enc, NULL,
	    "(enc-val(flags oaep)(hash-algo sha256)(rsa(a %b)))",
	    (int)ct_len, ct) != 0)
		return SOTTO_E_DECRYPT;
	/* The "(value %b)" libgcrypt returns is built from secure memory
	 * and so is secure itself; release wipes it. Read it in place:
	 * gcry_sexp_find_token would copy it to ordinary heap. */
	if (gcry_pk_decrypt(&plain, enc, k->key) == 0 &&
	    (tok = gcry_sexp_nth_data(plain, 0, &tok_len)) != NULL &&
	    tok_len == 5 && memcmp(tok, "value", 5) == 0 &&
	    (d = gcry_sexp_nth_data(plain, 1, &n)) != NULL && n <= out_cap) {
		memcpy(out, d, n);
		*msg_len = n;
		r = 0;
	}
	gcry_sexp_release(plain);
	gcry_sexp_release(enc);
	return r;
}

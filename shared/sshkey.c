/* SPDX-License-Identifier: ISC */
/* sshkey.c: OpenSSH ssh-ed25519 public lines, openssh-key-v1 private keys, fingerprints, key file loading. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gcrypt.h>

#include "b64.h"
#include "bcrypt_pbkdf.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"
#include "utf8.h"

/* PROTOCOL.key of OpenSSH. */
#define KEY_TYPE          "ssh-ed25519"
#define KEY_TYPE_LEN      (sizeof(KEY_TYPE) - 1)
#define AUTH_MAGIC        "openssh-key-v1"   /* and its NUL: 15 bytes */
#define AUTH_MAGIC_LEN    sizeof(AUTH_MAGIC)
#define MARK_BEGIN        "-----BEGIN OPENSSH PRIVATE KEY-----"
#define MARK_END          "-----END OPENSSH PRIVATE KEY-----"
#define PEM_PREFIX        "-----BEGIN "
#define B64_LINE          70u    /* ssh-keygen's line width */
#define NONE_BLOCKSIZE    8u     /* padding block of cipher "none" */
#define PRIV_SK_LEN       64u    /* seed || public key */
#define AES256_KEY_LEN    32u
#define AES_BLOCK         16u
#define GCM_IV_LEN        12u    /* aes256-gcm@openssh.com */
#define GCM_TAG_LEN       16u
#define KDF_SALT_LEN      16u    /* ssh-keygen's bcrypt salt */

/* Bounds for fields of an untrusted key file. */
#define NAME_MAX_LEN      64u    /* cipher, kdf and key type names */
#define KDFOPT_MAX_LEN    1024u
#define BLOB_MAX_LEN      1024u
#define B64_TOKEN_MAX     2048u
#define QUOTE_MAX         32u

/* --- error lines ----------------------------------------------------------- */

/* Where a parse reports: "name: reason" into err, when err is given. */
struct ectx {
	const char *name;
	char       *err;
	size_t      len;
};

static int fail(const struct ectx *e, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(const struct ectx *e, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e == NULL || e->err == NULL || e->len == 0)
		return r;
	n = snprintf(e->err, e->len, "%s: ", e->name ? e->name : "key");
	if (n < 0 || (size_t)n >= e->len)
		return r;
	va_start(ap, fmt);
	vsnprintf(e->err + n, e->len - (size_t)n, fmt, ap);
	va_end(ap);
	return r;
}

/* A printable copy of untrusted bytes for an error line: ASCII
 * graphic characters kept, anything else '?', long values cut. */
static const char *
quote(char out[static QUOTE_MAX + 4], const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	size_t o = 0;
	uint8_t c;

	sotto_rd_init(&rd, p, n);
	while (o < QUOTE_MAX && sotto_rd_u8(&rd, &c) == 0)
		out[o++] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	if (sotto_rd_left(&rd) > 0)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = '\0';
	return out;
}

static int
bytes_eq(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* --- blob and fingerprint ------------------------------------------------------- */

void
sotto_ssh_blob(const uint8_t pub[static SOTTO_ED25519_PUB],
    uint8_t blob[static SOTTO_SSH_BLOB_LEN])
{
	sotto_store_be32(blob, KEY_TYPE_LEN);
	memcpy(blob + 4, KEY_TYPE, KEY_TYPE_LEN);
	sotto_store_be32(blob + 4 + KEY_TYPE_LEN, SOTTO_ED25519_PUB);
	memcpy(blob + 8 + KEY_TYPE_LEN, pub, SOTTO_ED25519_PUB);
}

void
sotto_fingerprint(const uint8_t pub[static SOTTO_ED25519_PUB],
    uint8_t fpr[static SOTTO_FPR_LEN])
{
	uint8_t blob[SOTTO_SSH_BLOB_LEN];

	sotto_ssh_blob(pub, blob);
	sotto_sha256(fpr, blob, sizeof(blob));
}

void
sotto_fingerprint_str(const uint8_t pub[static SOTTO_ED25519_PUB],
    char out[static SOTTO_FPR_STR_LEN])
{
	uint8_t fpr[SOTTO_FPR_LEN];

	sotto_fingerprint(pub, fpr);
	memcpy(out, "SHA256:", 7);
	sotto_b64_encode(fpr, sizeof(fpr), out + 7, 0);
}

/* The key blob: string "ssh-ed25519", string key (32 bytes), nothing else. */
static int
blob_parse(const uint8_t *p, size_t n, uint8_t pub[static SOTTO_ED25519_PUB],
    const struct ectx *e)
{
	struct sotto_rd rd;
	const uint8_t *type, *key;
	size_t type_len, key_len;
	char q[QUOTE_MAX + 4];
	int r;

	memset(pub, 0, SOTTO_ED25519_PUB);
	sotto_rd_init(&rd, p, n);
	if ((r = sotto_rd_string32(&rd, &type, &type_len, NAME_MAX_LEN)) != 0)
		return fail(e, r, "key blob is truncated or malformed");
	if (!bytes_eq(type, type_len, KEY_TYPE))
		return fail(e, SOTTO_E_KEYTYPE, "key type \"%s\" is not ssh-ed25519",
		    quote(q, type, type_len));
	if ((r = sotto_rd_string32(&rd, &key, &key_len, SOTTO_ED25519_PUB)) != 0 ||
	    key_len != SOTTO_ED25519_PUB)
		return fail(e, r ? r : SOTTO_E_FORMAT,
		    "ssh-ed25519 key is not %u bytes", SOTTO_ED25519_PUB);
	if ((r = sotto_rd_end(&rd)) != 0)
		return fail(e, r, "unexpected bytes after the ssh-ed25519 key");
	memcpy(pub, key, SOTTO_ED25519_PUB);
	return 0;
}

/* Comments travel to terminals and JSON: valid UTF-8, no control characters. */
static int
comment_check(const uint8_t *p, size_t n, const struct ectx *e)
{
	struct sotto_rd rd;
	uint32_t cp;

	if (n > SOTTO_COMMENT_MAX)
		return fail(e, SOTTO_E_TOOLONG, "comment is longer than %u bytes",
		    SOTTO_COMMENT_MAX);
	sotto_rd_init(&rd, p, n);
	while (sotto_rd_left(&rd) > 0) {
		if (sotto_utf8_next(&rd, &cp) != 0)
			return fail(e, SOTTO_E_FORMAT, "comment is not valid UTF-8");
		if (sotto_unicode_is_cc(cp))
			return fail(e, SOTTO_E_FORMAT,
			    "comment contains a control character");
	}
	return 0;
}

static int
comment_dup(char **out, const uint8_t *p, size_t n)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if ((*out = malloc(n + 1)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

/* --- text helpers on the reader -------------------------------------------------- */

static int
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static void
rd_skip_blanks(struct sotto_rd *rd)
{
	struct sotto_rd peek = *rd;
	uint8_t c;

	while (sotto_rd_u8(&peek, &c) == 0 && is_blank(c))
		*rd = peek;
}

/* Borrow the run of bytes up to a blank or line end. */
static int
rd_token(struct sotto_rd *rd, const uint8_t **tok, size_t *n)
{
	struct sotto_rd peek = *rd;
	size_t len = 0;
	uint8_t c;

	while (sotto_rd_u8(&peek, &c) == 0 && !is_blank(c) && c != '\n' &&
	    c != '\r')
		len++;
	*n = len;
	return sotto_rd_ptr(rd, tok, len);
}

/* Borrow one line without its "\n" or "\r\n"; the reader moves past it. */
static int
rd_line(struct sotto_rd *rd, const uint8_t **line, size_t *n)
{
	struct sotto_rd peek = *rd;
	size_t len = 0, cr = 0;
	uint8_t c;
	int r;

	*line = NULL;
	*n = 0;
	if (sotto_rd_left(rd) == 0)
		return SOTTO_E_SHORT;
	while (sotto_rd_u8(&peek, &c) == 0 && c != '\n') {
		cr = c == '\r';
		len++;
	}
	if ((r = sotto_rd_ptr(rd, line, len)) != 0)
		return r;
	if (sotto_rd_left(rd) > 0)
		(void)sotto_rd_skip(rd, 1);   /* the '\n' */
	*n = len - cr;
	return 0;
}

/* Length of p[0..n) without trailing blanks, scanned from the front. */
static size_t
trim_len(const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	size_t i = 0, keep = 0;
	uint8_t c;

	sotto_rd_init(&rd, p, n);
	while (sotto_rd_u8(&rd, &c) == 0) {
		i++;
		if (!is_blank(c))
			keep = i;
	}
	return keep;
}

/* Only blanks and line ends remain. */
static int
rd_only_space(struct sotto_rd *rd)
{
	struct sotto_rd peek = *rd;
	uint8_t c;

	while (sotto_rd_u8(&peek, &c) == 0)
		if (!is_blank(c) && c != '\n' && c != '\r')
			return 0;
	return 1;
}

/* --- public lines ----------------------------------------------------------------- */

static int
pub_parse(const uint8_t *s, size_t len, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, const struct ectx *e)
{
	struct sotto_rd rd, rest;
	const uint8_t *type, *b64, *cm, *line;
	size_t type_len, b64_len, cm_len, line_len;
	uint8_t blob[BLOB_MAX_LEN];
	size_t blob_len;
	char q[QUOTE_MAX + 4];
	int r;

	memset(pub, 0, SOTTO_ED25519_PUB);
	if (comment != NULL)
		*comment = NULL;
	sotto_rd_init(&rd, s, len);
	if ((r = rd_line(&rd, &line, &line_len)) != 0)
		return fail(e, SOTTO_E_FORMAT, "empty file, expected an ssh-ed25519 line");
	if (!rd_only_space(&rd))
		return fail(e, SOTTO_E_FORMAT,
		    "more than one line; one key per file is expected");
	sotto_rd_init(&rest, line, line_len);
	rd_skip_blanks(&rest);
	if ((r = rd_token(&rest, &type, &type_len)) != 0 || type_len == 0)
		return fail(e, SOTTO_E_FORMAT, "empty line, expected an ssh-ed25519 key");
	if (!bytes_eq(type, type_len, KEY_TYPE))
		return fail(e, SOTTO_E_KEYTYPE, "key type \"%s\" is not ssh-ed25519",
		    quote(q, type, type_len));
	rd_skip_blanks(&rest);
	if ((r = rd_token(&rest, &b64, &b64_len)) != 0 || b64_len == 0)
		return fail(e, SOTTO_E_FORMAT, "no base64 key after \"ssh-ed25519\"");
	if (b64_len > B64_TOKEN_MAX)
		return fail(e, SOTTO_E_TOOLONG, "base64 key is longer than %u characters",
		    B64_TOKEN_MAX);
	if ((r = sotto_b64_decode((const char *)b64, b64_len, blob, sizeof(blob),
	    &blob_len)) != 0)
		return fail(e, SOTTO_E_BASE64, "invalid base64 in the key \"%s\"",
		    quote(q, b64, b64_len));
	if ((r = blob_parse(blob, blob_len, pub, e)) != 0)
		return r;
	rd_skip_blanks(&rest);
	cm_len = sotto_rd_left(&rest);
	if ((r = sotto_rd_ptr(&rest, &cm, cm_len)) != 0)
		goto bad;
	cm_len = trim_len(cm, cm_len);
	if ((r = comment_check(cm, cm_len, e)) != 0)
		goto bad;
	if (comment != NULL && (r = comment_dup(comment, cm, cm_len)) != 0)
		goto bad;
	return 0;
 bad:
	memset(pub, 0, SOTTO_ED25519_PUB);
	return r;
}

int
sotto_sshpub_parse(const char *line, size_t len,
    uint8_t pub[static SOTTO_ED25519_PUB], char **comment)
{
	return pub_parse((const uint8_t *)line, len, pub, comment, NULL);
}

int
sotto_sshpub_format(struct sotto_wbuf *out,
    const uint8_t pub[static SOTTO_ED25519_PUB], const char *comment)
{
	uint8_t blob[SOTTO_SSH_BLOB_LEN];
	char b64[SOTTO_SSH_BLOB_B64 + 1];
	size_t cl = comment ? strlen(comment) : 0;
	int r;

	if (cl > 0 && comment_check((const uint8_t *)comment, cl, NULL) != 0)
		return SOTTO_E_INVAL;
	sotto_ssh_blob(pub, blob);
	sotto_b64_encode(blob, sizeof(blob), b64, 1);
	if ((r = sotto_wbuf_put(out, KEY_TYPE " ", KEY_TYPE_LEN + 1)) != 0 ||
	    (r = sotto_wbuf_put(out, b64, strlen(b64))) != 0)
		return r;
	if (cl > 0 && ((r = sotto_wbuf_u8(out, ' ')) != 0 ||
	    (r = sotto_wbuf_put(out, comment, cl)) != 0))
		return r;
	return sotto_wbuf_u8(out, '\n');
}

/* --- ciphers and the kdf ------------------------------------------------------- */

/* The ciphers of openssh-key-v1 files we read and write (OpenSSH cipher.c). */
struct key_cipher {
	const char          *name;
	enum sotto_keycipher id;
	int                  mode;      /* GCRY_CIPHER_MODE_*; 0 for none */
	size_t               key_len;
	size_t               iv_len;
	size_t               block;     /* the private section pads to this */
	size_t               tag_len;   /* bytes after the section (GCM) */
};

static const struct key_cipher key_ciphers[] = {
	{ "none", SOTTO_KEYCIPHER_NONE, 0, 0, 0, NONE_BLOCKSIZE, 0 },
	{ "aes256-ctr", SOTTO_KEYCIPHER_AES256_CTR, GCRY_CIPHER_MODE_CTR,
	    AES256_KEY_LEN, AES_BLOCK, AES_BLOCK, 0 },
	{ "aes256-gcm@openssh.com", SOTTO_KEYCIPHER_AES256_GCM,
	    GCRY_CIPHER_MODE_GCM, AES256_KEY_LEN, GCM_IV_LEN, AES_BLOCK,
	    GCM_TAG_LEN },
};
#define N_KEY_CIPHERS (sizeof(key_ciphers) / sizeof(key_ciphers[0]))

static const struct key_cipher *
cipher_by_name(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < N_KEY_CIPHERS; i++)
		if (bytes_eq(p, n, key_ciphers[i].name))
			return &key_ciphers[i];
	return NULL;
}

static const struct key_cipher *
cipher_by_id(enum sotto_keycipher id)
{
	size_t i;

	for (i = 0; i < N_KEY_CIPHERS; i++)
		if (key_ciphers[i].id == id)
			return &key_ciphers[i];
	return NULL;
}

/* A cipher handle keyed with bcrypt-pbkdf(pass, salt, rounds): the key and
 * IV are derived into secure memory, used and wiped here. */
static int
cipher_open(gcry_cipher_hd_t *h, const struct key_cipher *c,
    const uint8_t *pass, size_t pass_len, const uint8_t *salt,
    size_t salt_len, unsigned rounds)
{
	size_t kiv_len = c->key_len + c->iv_len;
	uint8_t *kiv;
	int r;

	*h = NULL;
	if ((kiv = sotto_secure_alloc(kiv_len)) == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_bcrypt_pbkdf(pass, pass_len, salt, salt_len, kiv,
	    kiv_len, rounds)) != 0)
		goto out;
	r = SOTTO_E_CRYPTO;
	if (gcry_cipher_open(h, GCRY_CIPHER_AES256, c->mode,
	    GCRY_CIPHER_SECURE) != 0) {
		*h = NULL;
		goto out;
	}
	if (gcry_cipher_setkey(*h, kiv, c->key_len) != 0 ||
	    (c->mode == GCRY_CIPHER_MODE_CTR ?
	    gcry_cipher_setctr(*h, kiv + c->key_len, c->iv_len) :
	    gcry_cipher_setiv(*h, kiv + c->key_len, c->iv_len)) != 0)
		goto out;
	/* GCM: OpenSSH authenticates no additional data in key files. */
	r = 0;
 out:
	sotto_secure_free(kiv, kiv_len);
	if (r != 0 && *h != NULL) {
		gcry_cipher_close(*h);
		*h = NULL;
	}
	return r;
}

/* --- openssh-key-v1 private keys ----------------------------------------------- */

/* The armour: MARK_BEGIN line, base64 lines, MARK_END line, then nothing
 * but blank lines. The base64 text goes to a secure wbuf: it is the key. */
static int
armour_parse(const uint8_t *data, size_t len, struct sotto_wbuf *b64,
    const struct ectx *e)
{
	struct sotto_rd rd;
	const uint8_t *line;
	size_t n;
	int r;

	sotto_rd_init(&rd, data, len);
	if (rd_line(&rd, &line, &n) != 0 || !bytes_eq(line, n, MARK_BEGIN)) {
		if (line != NULL && n >= strlen(PEM_PREFIX) &&
		    memcmp(line, PEM_PREFIX, strlen(PEM_PREFIX)) == 0)
			return fail(e, SOTTO_E_KEYTYPE, "not an OpenSSH private key "
			    "(PEM or PKCS#8); make an ed25519 key with sotto-keygen "
			    "or ssh-keygen -t ed25519");
		if (line != NULL && n >= KEY_TYPE_LEN &&
		    memcmp(line, "ssh-", 4) == 0)
			return fail(e, SOTTO_E_FORMAT, "this is a public key; "
			    "the private key file is needed");
		return fail(e, SOTTO_E_FORMAT, "not an OpenSSH private key "
		    "(no \"" MARK_BEGIN "\" line)");
	}
	for (;;) {
		if (rd_line(&rd, &line, &n) != 0)
			return fail(e, SOTTO_E_FORMAT, "truncated: no \"" MARK_END
			    "\" line");
		if (bytes_eq(line, n, MARK_END))
			break;
		if ((r = sotto_wbuf_put(b64, line, n)) != 0)
			return fail(e, r, "private key text too large");
	}
	if (!rd_only_space(&rd))
		return fail(e, SOTTO_E_TRAILING, "unexpected text after \""
		    MARK_END "\"");
	return 0;
}

/* The private section: checkints, type, keys, comment, padding 1,2,3...
 * After decryption, differing check integers mean a wrong passphrase. */
static int
priv_section_parse(const uint8_t *p, size_t n,
    const uint8_t pub[static SOTTO_ED25519_PUB], int encrypted,
    struct sotto_ed25519 **key, char **comment, const struct ectx *e)
{
	struct sotto_rd rd;
	uint32_t check1, check2;
	const uint8_t *type, *pk, *sk, *cm;
	size_t type_len, pk_len, sk_len, cm_len;
	uint8_t pad, want = 1;
	char q[QUOTE_MAX + 4];
	int r;

	sotto_rd_init(&rd, p, n);
	if ((r = sotto_rd_u32(&rd, &check1)) != 0 ||
	    (r = sotto_rd_u32(&rd, &check2)) != 0)
		return fail(e, r, "private section is truncated");
	if (check1 != check2 && encrypted)
		return fail(e, SOTTO_E_BADPASS, "incorrect passphrase");
	if (check1 != check2)
		return fail(e, SOTTO_E_FORMAT, "check integers differ: the "
		    "private section is corrupt");
	if ((r = sotto_rd_string32(&rd, &type, &type_len, NAME_MAX_LEN)) != 0)
		return fail(e, r, "private section is truncated");
	if (!bytes_eq(type, type_len, KEY_TYPE))
		return fail(e, SOTTO_E_KEYTYPE, "key type \"%s\" is not ssh-ed25519",
		    quote(q, type, type_len));
	if ((r = sotto_rd_string32(&rd, &pk, &pk_len, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_rd_string32(&rd, &sk, &sk_len, PRIV_SK_LEN)) != 0 ||
	    (r = sotto_rd_string32(&rd, &cm, &cm_len, SOTTO_COMMENT_MAX)) != 0)
		return fail(e, r, "private section is truncated or malformed");
	if (pk_len != SOTTO_ED25519_PUB || sk_len != PRIV_SK_LEN)
		return fail(e, SOTTO_E_FORMAT, "ed25519 key fields have wrong sizes");
	while (sotto_rd_left(&rd) > 0) {
		if ((r = sotto_rd_u8(&rd, &pad)) != 0 || pad != want++)
			return fail(e, SOTTO_E_FORMAT, "bad padding after the comment");
	}
	if ((r = comment_check(cm, cm_len, e)) != 0)
		return r;
	/* The three copies of the public key must agree, and must be the key
	 * the seed really makes: a spliced file is not a key. */
	if (sotto_ct_memcmp(pk, pub, SOTTO_ED25519_PUB) != 0 ||
	    sotto_ct_memcmp(sk + SOTTO_ED25519_SEC, pub, SOTTO_ED25519_PUB) != 0)
		return fail(e, SOTTO_E_FORMAT, "public and private parts disagree");
	if ((r = sotto_ed25519_from_seed(key, sk)) != 0)
		return fail(e, r, "cannot load the ed25519 seed");
	if (sotto_ct_memcmp(sotto_ed25519_pub(*key), pub, SOTTO_ED25519_PUB) != 0) {
		sotto_ed25519_free(*key);
		*key = NULL;
		return fail(e, SOTTO_E_FORMAT, "public key does not match the seed");
	}
	if (comment != NULL && (r = comment_dup(comment, cm, cm_len)) != 0) {
		sotto_ed25519_free(*key);
		*key = NULL;
		return fail(e, r, "out of memory");
	}
	return 0;
}

/* The fields of the decoded container; pointers borrow from it. */
struct container {
	const struct key_cipher *cipher;
	const uint8_t *salt;
	size_t         salt_len;
	uint32_t       rounds;
	uint8_t        pub[SOTTO_ED25519_PUB];
	const uint8_t *priv;          /* the (encrypted) private section */
	size_t         priv_len;
	const uint8_t *tag;           /* GCM tag, cipher->tag_len bytes */
};

/* kdf "bcrypt" options: string salt, uint32 rounds. */
static int
kdfopt_parse(const uint8_t *p, size_t n, struct container *c,
    const struct ectx *e)
{
	struct sotto_rd rd;
	int r;

	sotto_rd_init(&rd, p, n);
	if ((r = sotto_rd_string32(&rd, &c->salt, &c->salt_len,
	    KDFOPT_MAX_LEN)) != 0 || (r = sotto_rd_u32(&rd, &c->rounds)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return fail(e, r, "bcrypt kdf options are malformed");
	if (c->salt_len == 0)
		return fail(e, SOTTO_E_FORMAT, "bcrypt salt is empty");
	if (c->rounds == 0)
		return fail(e, SOTTO_E_FORMAT, "bcrypt rounds are 0");
	return 0;
}

/* Magic, cipher, kdf, kdf options, one public key, the private section
 * (and the GCM tag): everything but decryption. */
static int
container_parse(const uint8_t *p, size_t n, struct container *c,
    const struct ectx *e)
{
	struct sotto_rd rd;
	const uint8_t *magic, *cipher, *kdf, *kdfopt, *blob;
	size_t cipher_len, kdf_len, kdfopt_len, blob_len;
	uint32_t nkeys;
	char q[QUOTE_MAX + 4];
	int r;

	memset(c, 0, sizeof(*c));
	sotto_rd_init(&rd, p, n);
	if (sotto_rd_ptr(&rd, &magic, AUTH_MAGIC_LEN) != 0 ||
	    memcmp(magic, AUTH_MAGIC, AUTH_MAGIC_LEN) != 0)
		return fail(e, SOTTO_E_FORMAT, "not an openssh-key-v1 key");
	if ((r = sotto_rd_string32(&rd, &cipher, &cipher_len, NAME_MAX_LEN)) != 0 ||
	    (r = sotto_rd_string32(&rd, &kdf, &kdf_len, NAME_MAX_LEN)) != 0 ||
	    (r = sotto_rd_string32(&rd, &kdfopt, &kdfopt_len, KDFOPT_MAX_LEN)) != 0)
		return fail(e, r, "key header is truncated or malformed");
	if ((c->cipher = cipher_by_name(cipher, cipher_len)) == NULL)
		return fail(e, SOTTO_E_UNSUPPORTED, "cipher \"%s\" is not supported "
		    "(aes256-ctr, aes256-gcm@openssh.com or none); change the "
		    "passphrase with ssh-keygen -p -f %s", quote(q, cipher,
		    cipher_len), e && e->name ? e->name : "FILE");
	if (c->cipher->id == SOTTO_KEYCIPHER_NONE) {
		if (!bytes_eq(kdf, kdf_len, "none"))
			return fail(e, SOTTO_E_FORMAT, "cipher \"none\" with kdf "
			    "\"%s\"", quote(q, kdf, kdf_len));
		if (kdfopt_len != 0)
			return fail(e, SOTTO_E_FORMAT, "kdf \"none\" with kdf options");
	} else {
		if (!bytes_eq(kdf, kdf_len, "bcrypt"))
			return fail(e, SOTTO_E_UNSUPPORTED, "kdf \"%s\" is not "
			    "supported (bcrypt)", quote(q, kdf, kdf_len));
		if ((r = kdfopt_parse(kdfopt, kdfopt_len, c, e)) != 0)
			return r;
	}
	if ((r = sotto_rd_u32(&rd, &nkeys)) != 0)
		return fail(e, r, "key header is truncated");
	if (nkeys != 1)
		return fail(e, SOTTO_E_FORMAT, "file holds %u keys; exactly 1 is "
		    "expected", nkeys);
	if ((r = sotto_rd_string32(&rd, &blob, &blob_len, BLOB_MAX_LEN)) != 0)
		return fail(e, r, "public key blob is truncated or too long");
	if ((r = blob_parse(blob, blob_len, c->pub, e)) != 0)
		return r;
	if ((r = sotto_rd_string32(&rd, &c->priv, &c->priv_len,
	    SOTTO_KEYFILE_MAX)) != 0)
		return fail(e, r, "private section is truncated");
	if (c->cipher->tag_len > 0 &&
	    (r = sotto_rd_ptr(&rd, &c->tag, c->cipher->tag_len)) != 0)
		return fail(e, r, "authentication tag is missing");
	if ((r = sotto_rd_end(&rd)) != 0)
		return fail(e, r, "unexpected bytes after the private section");
	if (c->priv_len % c->cipher->block != 0)
		return fail(e, SOTTO_E_FORMAT, "private section is not a whole "
		    "number of %zu-byte blocks", c->cipher->block);
	return 0;
}

/* Decrypt the private section into plain (secure, c->priv_len bytes). */
static int
priv_decrypt(const struct container *c, const struct sotto_keyopen *o,
    uint8_t *plain, const struct ectx *e)
{
	unsigned max = o != NULL && o->max_rounds ? o->max_rounds :
	    SOTTO_KDF_ROUNDS_MAX;
	gcry_cipher_hd_t h;
	int r;

	if (o == NULL || o->pass == NULL)
		return fail(e, SOTTO_E_NEEDPASS, "the key is protected by a "
		    "passphrase");
	if (c->rounds > max)
		return fail(e, SOTTO_E_TOOLONG, "bcrypt rounds %u are more than "
		    "the %u allowed", c->rounds, max);
	/* ssh-keygen never encrypts with an empty passphrase. */
	if (o->pass_len == 0)
		return fail(e, SOTTO_E_BADPASS, "incorrect passphrase");
	if (o->pass_len > SOTTO_PASSPHRASE_MAX)
		return fail(e, SOTTO_E_BADPASS, "passphrase is longer than %u "
		    "bytes", SOTTO_PASSPHRASE_MAX);
	if ((r = cipher_open(&h, c->cipher, o->pass, o->pass_len, c->salt,
	    c->salt_len, c->rounds)) != 0)
		return fail(e, r, "cannot derive the key: %s", sotto_strerror(r));
	r = 0;
	if (gcry_cipher_final(h) != 0 ||
	    gcry_cipher_decrypt(h, plain, c->priv_len, c->priv, c->priv_len) != 0)
		r = fail(e, SOTTO_E_CRYPTO, "decryption failed");
	else if (c->cipher->tag_len > 0 &&
	    gcry_cipher_checktag(h, c->tag, c->cipher->tag_len) != 0)
		r = fail(e, SOTTO_E_BADPASS, "incorrect passphrase");
	gcry_cipher_close(h);
	if (r != 0)
		sotto_wipe(plain, c->priv_len);
	return r;
}

static int
priv_blob_parse(const uint8_t *p, size_t n, const struct sotto_keyopen *o,
    struct sotto_ed25519 **key, char **comment, const struct ectx *e)
{
	struct container c;
	uint8_t *plain;
	int r;

	if ((r = container_parse(p, n, &c, e)) != 0)
		return r;
	if (c.cipher->id == SOTTO_KEYCIPHER_NONE)
		return priv_section_parse(c.priv, c.priv_len, c.pub, 0, key,
		    comment, e);
	if ((plain = sotto_secure_alloc(c.priv_len)) == NULL)
		return fail(e, SOTTO_E_ALLOC, "out of secure memory");
	if ((r = priv_decrypt(&c, o, plain, e)) == 0)
		r = priv_section_parse(plain, c.priv_len, c.pub, 1, key,
		    comment, e);
	sotto_secure_free(plain, c.priv_len);
	return r;
}

/* Armour and base64 off: the binary container in secure memory. */
static int
priv_decode(const uint8_t *data, size_t len, uint8_t **bin, size_t *cap,
    size_t *bin_len, const struct ectx *e)
{
	struct sotto_wbuf b64;
	int r;

	*bin = NULL;
	*cap = 0;
	*bin_len = 0;
	if (len > SOTTO_KEYFILE_MAX)
		return fail(e, SOTTO_E_TOOLONG, "larger than %u bytes",
		    SOTTO_KEYFILE_MAX);
	sotto_wbuf_init_secure(&b64, SOTTO_KEYFILE_MAX);
	if ((r = armour_parse(data, len, &b64, e)) != 0)
		goto out;
	*cap = b64.len / 4 * 3 + 3;
	if ((*bin = sotto_secure_alloc(*cap)) == NULL) {
		r = fail(e, SOTTO_E_ALLOC, "out of secure memory");
		goto out;
	}
	if (sotto_b64_decode((const char *)b64.p, b64.len, *bin, *cap,
	    bin_len) != 0)
		r = fail(e, SOTTO_E_BASE64, "invalid base64 in the private key");
 out:
	if (r != 0) {
		sotto_secure_free(*bin, *cap);
		*bin = NULL;
		*bin_len = 0;
	}
	sotto_wbuf_free(&b64);
	return r;
}

static int
priv_parse(const uint8_t *data, size_t len, const struct sotto_keyopen *o,
    struct sotto_ed25519 **key, char **comment, const struct ectx *e)
{
	uint8_t *bin;
	size_t cap, bin_len;
	int r;

	*key = NULL;
	if (comment != NULL)
		*comment = NULL;
	if ((r = priv_decode(data, len, &bin, &cap, &bin_len, e)) != 0)
		return r;
	r = priv_blob_parse(bin, bin_len, o, key, comment, e);
	sotto_secure_free(bin, cap);
	return r;
}

static int
priv_info(const uint8_t *data, size_t len, struct sotto_keyinfo *info,
    const struct ectx *e)
{
	struct container c;
	uint8_t *bin;
	size_t cap, bin_len;
	int r;

	memset(info, 0, sizeof(*info));
	if ((r = priv_decode(data, len, &bin, &cap, &bin_len, e)) != 0)
		return r;
	if ((r = container_parse(bin, bin_len, &c, e)) == 0) {
		memcpy(info->pub, c.pub, SOTTO_ED25519_PUB);
		info->cipher = c.cipher->id;
		info->rounds = c.rounds;
	}
	sotto_secure_free(bin, cap);
	return r;
}

int
sotto_sshpriv_parse(const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment)
{
	return priv_parse(data, len, NULL, key, comment, NULL);
}

/* The private section, padded to the cipher's block, into sec. */
static int
priv_section_format(struct sotto_wbuf *sec, const struct sotto_ed25519 *key,
    const char *comment, size_t block)
{
	const uint8_t *pub = sotto_ed25519_pub(key);
	size_t cl = comment ? strlen(comment) : 0;
	uint32_t check;
	uint8_t i;
	int r;

	/* The check integers detect a wrong passphrase; random as OpenSSH
	 * writes them. */
	sotto_random_nonce(&check, sizeof(check));
	if ((r = sotto_wbuf_u32(sec, check)) != 0 ||
	    (r = sotto_wbuf_u32(sec, check)) != 0 ||
	    (r = sotto_wbuf_string32(sec, KEY_TYPE, KEY_TYPE_LEN)) != 0 ||
	    (r = sotto_wbuf_string32(sec, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_u32(sec, PRIV_SK_LEN)) != 0 ||
	    (r = sotto_wbuf_put(sec, sotto_ed25519_seed(key), SOTTO_ED25519_SEC)) != 0 ||
	    (r = sotto_wbuf_put(sec, pub, SOTTO_ED25519_PUB)) != 0 ||
	    (r = sotto_wbuf_string32(sec, comment ? comment : "", cl)) != 0)
		return r;
	for (i = 1; r == 0 && sec->len % block != 0; i++)
		r = sotto_wbuf_u8(sec, i);
	return r;
}

/* Encrypt sec in place; the GCM tag into tag. */
static int
priv_section_seal(struct sotto_wbuf *sec, const struct key_cipher *c,
    const struct sotto_keyseal *s, const uint8_t salt[static KDF_SALT_LEN],
    uint8_t tag[static GCM_TAG_LEN])
{
	gcry_cipher_hd_t h;
	int r;

	if ((r = cipher_open(&h, c, s->pass, s->pass_len, salt, KDF_SALT_LEN,
	    s->rounds)) != 0)
		return r;
	r = 0;
	if (gcry_cipher_final(h) != 0 ||
	    gcry_cipher_encrypt(h, sec->p, sec->len, NULL, 0) != 0 ||
	    (c->tag_len > 0 && gcry_cipher_gettag(h, tag, c->tag_len) != 0))
		r = SOTTO_E_CRYPTO;
	gcry_cipher_close(h);
	return r;
}

/* The binary container, into a secure wbuf. */
static int
priv_blob_format(struct sotto_wbuf *bin, const struct sotto_ed25519 *key,
    const char *comment, const struct key_cipher *c,
    const struct sotto_keyseal *s)
{
	struct sotto_wbuf sec, kdfopt;
	uint8_t blob[SOTTO_SSH_BLOB_LEN], salt[KDF_SALT_LEN];
	uint8_t tag[GCM_TAG_LEN];
	int enc = c->id != SOTTO_KEYCIPHER_NONE;
	int r;

	sotto_ssh_blob(sotto_ed25519_pub(key), blob);
	sotto_wbuf_init_secure(&sec, SOTTO_KEYFILE_MAX);
	sotto_wbuf_init(&kdfopt, KDFOPT_MAX_LEN);
	if ((r = priv_section_format(&sec, key, comment, c->block)) != 0)
		goto out;
	if (enc) {
		sotto_random_nonce(salt, sizeof(salt));
		if ((r = sotto_wbuf_string32(&kdfopt, salt, sizeof(salt))) != 0 ||
		    (r = sotto_wbuf_u32(&kdfopt, s->rounds)) != 0 ||
		    (r = priv_section_seal(&sec, c, s, salt, tag)) != 0)
			goto out;
	}
	if ((r = sotto_wbuf_put(bin, AUTH_MAGIC, AUTH_MAGIC_LEN)) != 0 ||
	    (r = sotto_wbuf_string32(bin, c->name, strlen(c->name))) != 0 ||
	    (r = sotto_wbuf_string32(bin, enc ? "bcrypt" : "none",
	    enc ? 6 : 4)) != 0 ||
	    (r = sotto_wbuf_string32(bin, kdfopt.p, kdfopt.len)) != 0 ||
	    (r = sotto_wbuf_u32(bin, 1)) != 0 ||
	    (r = sotto_wbuf_string32(bin, blob, sizeof(blob))) != 0 ||
	    (r = sotto_wbuf_string32(bin, sec.p, sec.len)) != 0)
		goto out;
	if (c->tag_len > 0)
		r = sotto_wbuf_put(bin, tag, c->tag_len);
 out:
	sotto_wbuf_free(&kdfopt);
	sotto_wbuf_free(&sec);
	return r;
}

int
sotto_sshpriv_format_sealed(struct sotto_wbuf *out,
    const struct sotto_ed25519 *key, const char *comment,
    const struct sotto_keyseal *s)
{
	const struct key_cipher *c = cipher_by_id(SOTTO_KEYCIPHER_NONE);
	struct sotto_wbuf bin;
	char *b64 = NULL;
	size_t b64_len = 0, off;
	int r;

	if (comment != NULL &&
	    comment_check((const uint8_t *)comment, strlen(comment), NULL) != 0)
		return SOTTO_E_INVAL;
	/* An empty passphrase means no encryption, as in ssh-keygen -N ''. */
	if (s != NULL && s->pass != NULL && s->pass_len > 0) {
		if ((c = cipher_by_id(s->cipher)) == NULL ||
		    c->id == SOTTO_KEYCIPHER_NONE || s->rounds == 0 ||
		    s->rounds > SOTTO_KDF_ROUNDS_MAX ||
		    s->pass_len > SOTTO_PASSPHRASE_MAX)
			return SOTTO_E_INVAL;
	}
	sotto_wbuf_init_secure(&bin, SOTTO_KEYFILE_MAX);
	if ((r = priv_blob_format(&bin, key, comment, c, s)) != 0)
		goto out;
	b64_len = sotto_b64_encoded_len(bin.len, 1);
	if ((b64 = sotto_secure_alloc(b64_len + 1)) == NULL) {
		r = SOTTO_E_ALLOC;
		goto out;
	}
	sotto_b64_encode(bin.p, bin.len, b64, 1);
	if ((r = sotto_wbuf_put(out, MARK_BEGIN "\n", strlen(MARK_BEGIN) + 1)) != 0)
		goto out;
	for (off = 0; off < b64_len; off += B64_LINE) {
		size_t n = b64_len - off < B64_LINE ? b64_len - off : B64_LINE;
		if ((r = sotto_wbuf_put(out, b64 + off, n)) != 0 ||
		    (r = sotto_wbuf_u8(out, '\n')) != 0)
			goto out;
	}
	r = sotto_wbuf_put(out, MARK_END "\n", strlen(MARK_END) + 1);
 out:
	sotto_secure_free(b64, b64_len + 1);
	sotto_wbuf_free(&bin);
	return r;
}

int
sotto_sshpriv_format(struct sotto_wbuf *out, const struct sotto_ed25519 *key,
    const char *comment)
{
	return sotto_sshpriv_format_sealed(out, key, comment, NULL);
}

/* --- named parses and file loading ------------------------------------------------ */

int
sotto_pubkey_parse(const char *name, const uint8_t *data, size_t len,
    uint8_t pub[static SOTTO_ED25519_PUB], char **comment, char *err,
    size_t err_len)
{
	struct ectx e = { name, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	if (len > SOTTO_KEYFILE_MAX) {
		memset(pub, 0, SOTTO_ED25519_PUB);
		if (comment != NULL)
			*comment = NULL;
		return fail(&e, SOTTO_E_TOOLONG, "larger than %u bytes",
		    SOTTO_KEYFILE_MAX);
	}
	return pub_parse(data, len, pub, comment, &e);
}

int
sotto_identity_parse(const char *name, const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len)
{
	struct ectx e = { name, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	return priv_parse(data, len, NULL, key, comment, &e);
}

int
sotto_identity_parse_pass(const char *name, const uint8_t *data, size_t len,
    const struct sotto_keyopen *o, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len)
{
	struct ectx e = { name, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	return priv_parse(data, len, o, key, comment, &e);
}

int
sotto_identity_info(const char *name, const uint8_t *data, size_t len,
    struct sotto_keyinfo *info, char *err, size_t err_len)
{
	struct ectx e = { name, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	return priv_info(data, len, info, &e);
}

/* Read a whole opened key file (at most SOTTO_KEYFILE_MAX bytes) into
 * *buf: secure memory for private keys, whose mode must keep others out. */
static int
key_fd_read(int fd, const char *path, int private, uint8_t **buf,
    size_t *len, const struct ectx *e)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t cap = SOTTO_KEYFILE_MAX + 1, n = 0;
	ssize_t got;
	int r;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0)
		return fail(e, SOTTO_E_IO, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(e, SOTTO_E_IO, "not a regular file");
	if (private && (st.st_mode & 077) != 0)
		return fail(e, SOTTO_E_PERM, "private key is accessible by group "
		    "or others (mode %04o); run chmod 600 %s",
		    (unsigned)(st.st_mode & 07777), path);
	if (st.st_size > (off_t)SOTTO_KEYFILE_MAX)
		return fail(e, SOTTO_E_TOOLONG, "larger than %u bytes",
		    SOTTO_KEYFILE_MAX);
	p = private ? sotto_secure_alloc(cap) : malloc(cap);
	if (p == NULL)
		return fail(e, SOTTO_E_ALLOC, "out of memory");
	while (n < cap && (got = read(fd, p + n, cap - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = fail(e, SOTTO_E_IO, "read failed: %s", strerror(errno));
			goto out;
		}
		n += (size_t)got;
	}
	if (n > SOTTO_KEYFILE_MAX) {   /* it grew after fstat */
		r = fail(e, SOTTO_E_TOOLONG, "larger than %u bytes", SOTTO_KEYFILE_MAX);
		goto out;
	}
	*buf = p;
	*len = n;
	return 0;
 out:
	if (private)
		sotto_secure_free(p, cap);
	else
		free(p);
	return r;
}

static int
key_file_read(const char *path, int private, uint8_t **buf, size_t *len,
    const struct ectx *e)
{
	int fd, r;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return fail(e, errno == ENOENT ? SOTTO_E_NOTFOUND : SOTTO_E_IO,
		    "cannot open: %s", strerror(errno));
	r = key_fd_read(fd, path, private, buf, len, e);
	close(fd);
	return r;
}

int
sotto_keyfd_read(int fd, const char *name, int private, uint8_t **buf,
    size_t *len, char *err, size_t err_len)
{
	struct ectx e = { name, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	return key_fd_read(fd, name, private, buf, len, &e);
}

int
sotto_keyfile_read(const char *path, int private, uint8_t **buf, size_t *len,
    char *err, size_t err_len)
{
	struct ectx e = { path, err, err_len };

	if (err_len > 0)
		err[0] = '\0';
	return key_file_read(path, private, buf, len, &e);
}

void
sotto_keyfile_free(uint8_t *buf, int private)
{
	if (private)
		sotto_secure_free(buf, SOTTO_KEYFILE_MAX + 1);
	else
		free(buf);
}

int
sotto_identity_load(const char *path, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len)
{
	return sotto_identity_load_pass(path, NULL, key, comment, err, err_len);
}

int
sotto_identity_load_pass(const char *path, const struct sotto_keyopen *o,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len)
{
	struct ectx e = { path, err, err_len };
	uint8_t *buf;
	size_t len;
	int r;

	*key = NULL;
	if (comment != NULL)
		*comment = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if ((r = key_file_read(path, 1, &buf, &len, &e)) != 0)
		return r;
	r = priv_parse(buf, len, o, key, comment, &e);
	sotto_keyfile_free(buf, 1);
	return r;
}

int
sotto_pubkey_load(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len)
{
	struct ectx e = { path, err, err_len };
	uint8_t *buf;
	size_t len;
	int r;

	memset(pub, 0, SOTTO_ED25519_PUB);
	if (comment != NULL)
		*comment = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if ((r = key_file_read(path, 0, &buf, &len, &e)) != 0)
		return r;
	r = pub_parse(buf, len, pub, comment, &e);
	sotto_keyfile_free(buf, 0);
	return r;
}

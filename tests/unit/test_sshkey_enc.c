/* SPDX-License-Identifier: ISC */
/* test_sshkey_enc.c: passphrase-protected openssh-key-v1 keys: ssh-keygen's files open, wrong passphrases and corrupt files fail cleanly, ours round-trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

/* TEST keys, never used elsewhere: `ssh-keygen -t ed25519 -a 2 -N 'correct
 * horse' -C ctr@sotto` (aes256-ctr) and `-a 3 -N 'gcm pass' -Z
 * aes256-gcm@openssh.com -C gcm@sotto`, with the .pub lines it wrote. */
static const char KCTR[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBxuic/I9\n"
	"2gIuhaL+rwxIMeAAAAAgAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIMcZIk8jj0HHHcpF\n"
	"VWtstljgeBajVCymzNTg4/W8K36ZAAAAkFEg+Mz1tXd+to48p9sKZD6ClHdnQZEGNJSwBr\n"
	"ayBCHjmCLt+kLuK7oGMxcNzWwUIn7LeVXWoNymi7pt+aFXgnthBTL3G8ndQ7oU3vScwY7Z\n"
	"kyN+77v5gPs5+W+5YlBB42HN2GAdC8XQkRk+2nJoNy2lhnW9uQ2RXyy+PBsKC+Wut/WCMm\n"
	"TH9nV79XElGsUgOg==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char KCTR_PUB[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMcZIk8jj0HHHcpFVWtstljgeBajVCymzNTg4/W8K36Z ctr@sotto\n";
static const char KCTR_PASS[] = "correct horse";
static const char KGCM[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAAFmFlczI1Ni1nY21Ab3BlbnNzaC5jb20AAAAGYmNyeXB0AA\n"
	"AAGAAAABBw2fcXKLbD1JlOIzc1bnSHAAAAAwAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAA\n"
	"IK7XQ5QCm37RM8gHAw7QP7oOPVqEn7dGO0F/UbCUipacAAAAkBVe6zt/In7buPPlmTnqYX\n"
	"EJKOXdoIwhspCsD18+hZRiygo6H4XNck12tfjc9UIXjOQwLnYKpSkCNnGOYmwVdhAu+fUx\n"
	"E51ev96/6t28Asv9dFBwKSopn3KEDJ1cgx4zk/dRzmuZSubBqFdiy076zP336MTx4f6O1k\n"
	"c4T9qpapCaUl1f3IphCzw9As5GW4yf+fK8h9+c2dWFqaXXo8S7MCQ=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char KGCM_PUB[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7XQ5QCm37RM8gHAw7QP7oOPVqEn7dGO0F/UbCUipac gcm@sotto\n";
static const char KGCM_PASS[] = "gcm pass";

#define SECTION_LEN 144u     /* both keys' encrypted private sections */
#define TAG_LEN     16u
#define SALT_LEN    16u
/* Checkints, type, public key, seed||public, then the comment. */
#define COMMENT_AT  (8u + 4u + 11u + 4u + 32u + 4u + 64u + 4u)

static int
open_key(const uint8_t *text, size_t n, const char *pass, unsigned max_rounds,
    struct sotto_ed25519 **k, char **comment, char *err, size_t err_len)
{
	struct sotto_keyopen o = { (const uint8_t *)pass, pass ? strlen(pass) : 0,
	    max_rounds };

	return sotto_identity_parse_pass("key", text, n, &o, k, comment, err,
	    err_len);
}

static size_t
dearmour(const char *text, uint8_t *out, size_t cap)
{
	char b64[1024] = "";
	const char *p = strchr(text, '\n') + 1, *end = strstr(text, "-----END");
	size_t n = 0, got = 0;

	for (; p < end; p++)
		if (*p != '\n')
			b64[n++] = *p;
	if (sotto_b64_decode(b64, n, out, cap, &got) != 0)
		return 0;
	return got;
}

/* The container back into armoured text (one line: the parser takes it). */
static size_t
armour(const uint8_t *bin, size_t n, char *out, size_t cap)
{
	size_t b = sotto_b64_encoded_len(n, 1);
	int w;

	if (b + 80 > cap)
		return 0;
	w = snprintf(out, cap, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	sotto_b64_encode(bin, n, out + w, 1);
	strcat(out, "\n-----END OPENSSH PRIVATE KEY-----\n");
	return strlen(out);
}

/* Open a container with a passphrase: the return code; no key leaks out. */
static int
open_bin(const uint8_t *bin, size_t n, const char *pass, char *err,
    size_t err_len)
{
	static char text[2048];
	struct sotto_ed25519 *k = NULL;
	char *comment = NULL;
	size_t len = armour(bin, n, text, sizeof(text));
	int r = open_key((const uint8_t *)text, len, pass, 0, &k, &comment, err,
	    err_len);

	if (r != 0 && (k != NULL || comment != NULL))
		return 999;
	sotto_ed25519_free(k);
	free(comment);
	return r;
}

static void
check_opens(const char *text, const char *pub_line, const char *pass,
    const char *want_comment, enum sotto_keycipher cipher, unsigned rounds)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_keyinfo info;
	char err[256], *comment = NULL;
	uint8_t pub[32], sig[64];
	size_t n = strlen(text);

	CHECK_EQ(sotto_sshpub_parse(pub_line, strlen(pub_line), pub, NULL), 0);
	/* The public part needs no passphrase. */
	CHECK_EQ(sotto_identity_info("key", (const uint8_t *)text, n, &info, err,
	    sizeof(err)), 0);
	CHECK_MEM(info.pub, pub, 32);
	CHECK_EQ(info.cipher, cipher);
	CHECK_EQ(info.rounds, rounds);
	/* Without one: NEEDPASS; wrong or empty: BADPASS; nothing leaks. */
	k = (struct sotto_ed25519 *)1;
	comment = (char *)1;
	CHECK_EQ(sotto_identity_parse("key", (const uint8_t *)text, n, &k,
	    &comment, err, sizeof(err)), SOTTO_E_NEEDPASS);
	CHECK(k == NULL && comment == NULL);
	CHECK_STR(err, "key: the key is protected by a passphrase");
	CHECK_EQ(open_key((const uint8_t *)text, n, "wrong", 0, &k, &comment, err,
	    sizeof(err)), SOTTO_E_BADPASS);
	CHECK(k == NULL && comment == NULL);
	CHECK(strncmp(err, "key: incorrect passphrase", 25) == 0);
	CHECK_EQ(open_key((const uint8_t *)text, n, "", 0, &k, &comment, err,
	    sizeof(err)), SOTTO_E_BADPASS);
	/* A file asking for more rounds than allowed is refused unopened. */
	CHECK_EQ(open_key((const uint8_t *)text, n, pass, rounds - 1, &k,
	    &comment, err, sizeof(err)), SOTTO_E_TOOLONG);
	CHECK(strstr(err, "rounds") != NULL);
	/* The right one. */
	CHECK_EQ(open_key((const uint8_t *)text, n, pass, 0, &k, &comment, err,
	    sizeof(err)), 0);
	if (k == NULL)
		return;
	CHECK(sotto_ed25519_is_secure(k));
	CHECK_MEM(sotto_ed25519_pub(k), pub, 32);
	CHECK(comment != NULL && strcmp(comment, want_comment) == 0);
	CHECK_EQ(sotto_ed25519_sign(k, "m", 1, sig), 0);
	CHECK_EQ(sotto_ed25519_verify(pub, "m", 1, sig), 0);
	sotto_ed25519_free(k);
	free(comment);
}

static void
test_ssh_keygen_keys(void)
{
	check_opens(KCTR, KCTR_PUB, KCTR_PASS, "ctr@sotto",
	    SOTTO_KEYCIPHER_AES256_CTR, 2);
	check_opens(KGCM, KGCM_PUB, KGCM_PASS, "gcm@sotto",
	    SOTTO_KEYCIPHER_AES256_GCM, 3);
}

/* Every truncation, and every flipped byte of the private section, salt
 * and tag: an error, never a key. */
static void
test_corrupt(const char *text, const char *pass, size_t tag_len)
{
	uint8_t bin[512];
	char err[256];
	size_t n = dearmour(text, bin, sizeof(bin)), i, sec, salt;
	int ok, r;

	CHECK(n > SECTION_LEN + tag_len);
	CHECK_EQ(open_bin(bin, n, pass, err, sizeof(err)), 0);
	ok = 1;
	for (i = 0; i < n; i++)
		if ((r = open_bin(bin, i, pass, err, sizeof(err))) == 0 ||
		    r == 999 || strchr(err, '\n') != NULL)
			ok = 0;
	CHECK(ok);
	/* The section is the last SECTION_LEN bytes before the tag. */
	sec = n - tag_len - SECTION_LEN;
	ok = 1;
	/* Each try costs a bcrypt run, so: the check integers byte by byte,
	 * then a byte in every 13, and the tag's last byte. Under CTR (no
	 * MAC, as in OpenSSH) a flipped comment byte is still a valid key
	 * with another comment: those bytes are skipped there. */
	for (i = sec; i < n; i += i < sec + 8 ? 1 : 13) {
		if (tag_len == 0 && i >= sec + COMMENT_AT &&
		    i < sec + COMMENT_AT + 9)
			continue;
		if (i + 13 >= n)
			i = n - 1;
		bin[i] ^= 0x01;
		r = open_bin(bin, n, pass, err, sizeof(err));
		if (r == 0 || r == 999)
			ok = 0;
		/* GCM catches every flip by its tag; CTR by the check
		 * integers (first 8 bytes) or the section's own checks. */
		if (tag_len > 0 && r != SOTTO_E_BADPASS)
			ok = 0;
		if (tag_len == 0 && i < sec + 8 && r != SOTTO_E_BADPASS)
			ok = 0;
		bin[i] ^= 0x01;
	}
	CHECK(ok);
	/* The salt: another key and IV, so the passphrase looks wrong. */
	salt = 15 + 4 + (size_t)sotto_load_be32(bin + 15) + 4 + 6 + 4 + 4;
	bin[salt] ^= 0x80;
	CHECK_EQ(open_bin(bin, n, pass, err, sizeof(err)), SOTTO_E_BADPASS);
	bin[salt] ^= 0x80;
	/* Rounds: 0 is malformed, another count a wrong key. */
	bin[salt + SALT_LEN + 3] = 0;
	CHECK_EQ(open_bin(bin, n, pass, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "rounds are 0") != NULL);
	bin[salt + SALT_LEN + 3] = 5;
	CHECK_EQ(open_bin(bin, n, pass, err, sizeof(err)), SOTTO_E_BADPASS);
}

/* Cipher and kdf names we do not know: a clear refusal. */
static void
test_unknown_names(void)
{
	uint8_t bin[512];
	char err[256];
	size_t n = dearmour(KCTR, bin, sizeof(bin));

	memcpy(bin + 19, "aes128", 6);        /* "aes128-ctr" */
	CHECK_EQ(open_bin(bin, n, KCTR_PASS, err, sizeof(err)), SOTTO_E_UNSUPPORTED);
	CHECK(strstr(err, "cipher \"aes128-ctr\" is not supported") != NULL);
	memcpy(bin + 19, "aes256", 6);
	memcpy(bin + 33, "scrypt", 6);        /* kdf */
	CHECK_EQ(open_bin(bin, n, KCTR_PASS, err, sizeof(err)), SOTTO_E_UNSUPPORTED);
	CHECK(strstr(err, "kdf \"scrypt\"") != NULL);
}

static void
round_trip(enum sotto_keycipher cipher, unsigned rounds)
{
	struct sotto_keyseal s = { (const uint8_t *)"p4ss", 4, rounds, cipher };
	struct sotto_ed25519 *k = NULL, *k2 = NULL;
	struct sotto_wbuf a, b;
	struct sotto_keyinfo info;
	char err[256], *comment = NULL;

	CHECK_EQ(sotto_ed25519_generate(&k), 0);
	sotto_wbuf_init_secure(&a, SOTTO_KEYFILE_MAX);
	sotto_wbuf_init_secure(&b, SOTTO_KEYFILE_MAX);
	CHECK_EQ(sotto_sshpriv_format_sealed(&a, k, "me@here", &s), 0);
	CHECK_EQ(sotto_sshpriv_format_sealed(&b, k, "me@here", &s), 0);
	/* Fresh salt each time. */
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) != 0);
	CHECK_EQ(sotto_identity_info("k", a.p, a.len, &info, err, sizeof(err)), 0);
	CHECK_EQ(info.cipher, cipher);
	CHECK_EQ(info.rounds, rounds);
	CHECK_EQ(open_key(a.p, a.len, "p4sS", 0, &k2, &comment, err,
	    sizeof(err)), SOTTO_E_BADPASS);
	CHECK_EQ(open_key(a.p, a.len, "p4ss", 0, &k2, &comment, err,
	    sizeof(err)), 0);
	if (k2 != NULL) {
		CHECK_MEM(sotto_ed25519_seed(k2), sotto_ed25519_seed(k), 32);
		CHECK_STR(comment, "me@here");
	}
	sotto_ed25519_free(k2);
	free(comment);
	sotto_wbuf_free(&a);
	sotto_wbuf_free(&b);
	sotto_ed25519_free(k);
}

static void
test_write(void)
{
	struct sotto_keyseal s = { (const uint8_t *)"x", 1, 1,
	    SOTTO_KEYCIPHER_AES256_CTR };
	struct sotto_ed25519 *k = NULL, *k2 = NULL;
	struct sotto_keyinfo info;
	struct sotto_wbuf w;
	char err[256];

	round_trip(SOTTO_KEYCIPHER_AES256_CTR, 1);
	round_trip(SOTTO_KEYCIPHER_AES256_CTR, 4);
	round_trip(SOTTO_KEYCIPHER_AES256_GCM, 2);
	CHECK_EQ(sotto_ed25519_generate(&k), 0);
	sotto_wbuf_init_secure(&w, SOTTO_KEYFILE_MAX);
	/* Bad parameters are refused. */
	s.rounds = 0;
	CHECK_EQ(sotto_sshpriv_format_sealed(&w, k, NULL, &s), SOTTO_E_INVAL);
	s.rounds = SOTTO_KDF_ROUNDS_MAX + 1;
	CHECK_EQ(sotto_sshpriv_format_sealed(&w, k, NULL, &s), SOTTO_E_INVAL);
	s.rounds = 1;
	s.cipher = SOTTO_KEYCIPHER_NONE;
	CHECK_EQ(sotto_sshpriv_format_sealed(&w, k, NULL, &s), SOTTO_E_INVAL);
	CHECK_EQ(w.len, 0);
	/* An empty passphrase writes an unencrypted key (ssh-keygen -N ''). */
	s.pass_len = 0;
	CHECK_EQ(sotto_sshpriv_format_sealed(&w, k, NULL, &s), 0);
	CHECK_EQ(sotto_identity_info("k", w.p, w.len, &info, err, sizeof(err)), 0);
	CHECK_EQ(info.cipher, SOTTO_KEYCIPHER_NONE);
	CHECK_EQ(sotto_sshpriv_parse(w.p, w.len, &k2, NULL), 0);
	sotto_ed25519_free(k2);
	sotto_wbuf_free(&w);
	sotto_ed25519_free(k);
}

int
main(void)
{
	if (sotto_crypto_init() != 0)
		return 1;
	test_ssh_keygen_keys();
	test_corrupt(KCTR, KCTR_PASS, 0);
	test_corrupt(KGCM, KGCM_PASS, TAG_LEN);
	test_unknown_names();
	test_write();
	return check_summary();
}

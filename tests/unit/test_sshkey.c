/* SPDX-License-Identifier: ISC */
/* test_sshkey.c: OpenSSH key lines, openssh-key-v1 files, fingerprints and the loaders. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

/* TEST keys made by `ssh-keygen -t ed25519 -N '' -C test@sotto` (K1), the
 * same with -N secret (KENC), and -t ecdsa (KEC). Never used elsewhere. */
static const char K1[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACCOsfvRXGgOn3FtZiFpktMqkwLalrrSElMbtJLkllQ/mgAAAJDAtsalwLbG\n"
	"pQAAAAtzc2gtZWQyNTUxOQAAACCOsfvRXGgOn3FtZiFpktMqkwLalrrSElMbtJLkllQ/mg\n"
	"AAAED9gOC+/hxvVMxg5X5tTO0JKjbjn6lzbBQ2PrDV19MWHY6x+9FcaA6fcW1mIWmS0yqT\n"
	"AtqWutISUxu0kuSWVD+aAAAACnRlc3RAc290dG8BAgM=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char K1_PUB[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a test@sotto\n";
/* What `ssh-keygen -lf k1.pub` printed. */
static const char K1_FPR[] = "SHA256:qLbc02QMjsVv8TCQPH5mu2eG0m5rjoOgZZ3GqMdGAko";
static const char KENC[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABD/B2zEDk\n"
	"bYma1Vbw7apmjfAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIPxax6PRo/cwcdNA\n"
	"46aql9epy7X4+UtCrnKeiZJG1rtgAAAAkFQF1Y4h6WEQRbxCciQR0kR1LHgQxM8ZEKd633\n"
	"uBi7/ecgW+9u7EDx0bFUDUv3TiFQLvLqY1kJpwtqkJR2444t41/F37P0xBsWkV9qtKQ2Kl\n"
	"xaAO7rlWPNXC0in6A8OadvY8josHcHV970sbIX6f5SQOQj8YGJ6y6Ft6wRttFZfFWNRARI\n"
	"VpY3JxFmpmL9Z+Nw==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char KEC[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n"
	"1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQQuSlppAFkAzUC74YYi/5nX4Oe7r9J+\n"
	"0a8m+IX5aWhzZbpHl53FB3uaS57irhsTOPv2T9dsQjl/K0srOkXPDitoAAAAqCLMOVQizD\n"
	"lUAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC5KWmkAWQDNQLvh\n"
	"hiL/mdfg57uv0n7Rryb4hflpaHNlukeXncUHe5pLnuKuGxM4+/ZP12xCOX8rSys6Rc8OK2\n"
	"gAAAAhAMZfOV1xDOr9f/7ajqT+4RhSt0UBiEsa8clsULtul9OXAAAACGVjQHNvdHRvAQID\n"
	"BAUGBw==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char KEC_PUB[] =
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC5KWmkAWQDNQLvhhiL/mdfg57uv0n7Rryb4hflpaHNlukeXncUHe5pLnuKuGxM4+/ZP12xCOX8rSys6Rc8OK2g= ec@sotto\n";

/* Offsets in K1's decoded container (PROTOCOL.key layout). */
#define OFF_CIPHER    19    /* after magic (15) and the u32 length */
#define OFF_NKEYS     35
#define OFF_BLOB_KEY  62
#define OFF_CHECK2    102
#define OFF_PRIV_PK   125
#define OFF_SEED      161
#define OFF_COMMENT   229
#define OFF_LASTPAD   241

static char tmpdir[64];

static uint8_t k1_bin[512];
static size_t k1_bin_len;
static uint8_t k1_pub[32];

/* The base64 body of an armoured key, decoded. */
static size_t dearmour(const char *text, uint8_t *out, size_t cap)
{
	char b64[1024];
	size_t n = 0, got = 0;
	const char *p = strchr(text, '\n') + 1;
	const char *end = strstr(text, "-----END");

	for (; p < end; p++)
		if (*p != '\n')
			b64[n++] = *p;
	CHECK_EQ(sotto_b64_decode(b64, n, out, cap, &got), 0);
	return got;
}

/* Armour a container as ssh-keygen does; malloc'd text. */
static char *armour(const uint8_t *bin, size_t n)
{
	size_t b64_len = sotto_b64_encoded_len(n, 1), i, o = 0;
	char *b64 = malloc(b64_len + 1), *out = malloc(b64_len * 2 + 128);

	sotto_b64_encode(bin, n, b64, 1);
	o += (size_t)sprintf(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	for (i = 0; i < b64_len; i += 70) {
		size_t k = b64_len - i < 70 ? b64_len - i : 70;
		memcpy(out + o, b64 + i, k);
		o += k;
		out[o++] = '\n';
	}
	sprintf(out + o, "-----END OPENSSH PRIVATE KEY-----\n");
	free(b64);
	return out;
}

/* Parse a modified copy of K1's container; the error and its text. */
static int parse_bin(const uint8_t *bin, size_t n, char *err, size_t err_len)
{
	char *text = armour(bin, n);
	struct sotto_ed25519 *k = (struct sotto_ed25519 *)1;
	char *comment = (char *)1;
	int r = sotto_identity_parse("k1", (const uint8_t *)text, strlen(text),
	    &k, &comment, err, err_len);

	if (r != 0) {
		CHECK(k == NULL);
		CHECK(comment == NULL);
	}
	sotto_ed25519_free(r == 0 ? k : NULL);
	if (r == 0)
		free(comment);
	free(text);
	return r;
}

static char *write_file(const char *name, const void *data, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, data, n), (long long)n);
	close(fd);
	CHECK_EQ(chmod(path, mode), 0);
	return path;
}

/* --- public lines ---------------------------------------------------------- */

static void test_pub_parse(void)
{
	uint8_t pub[32];
	char *comment = NULL, fpr[SOTTO_FPR_STR_LEN];
	struct sotto_wbuf out;

	CHECK_EQ(sotto_sshpub_parse(K1_PUB, strlen(K1_PUB), pub, &comment), 0);
	CHECK(comment != NULL && strcmp(comment, "test@sotto") == 0);
	free(comment);
	memcpy(k1_pub, pub, 32);
	sotto_fingerprint_str(pub, fpr);
	CHECK_STR(fpr, K1_FPR);
	CHECK_EQ(strlen(fpr), SOTTO_FPR_STR_LEN - 1);

	/* Formatting gives back exactly ssh-keygen's line. */
	sotto_wbuf_init(&out, 0);
	CHECK_EQ(sotto_sshpub_format(&out, pub, "test@sotto"), 0);
	CHECK_EQ(out.len, strlen(K1_PUB));
	CHECK_MEM(out.p, K1_PUB, strlen(K1_PUB));
	sotto_wbuf_reset(&out);
	CHECK_EQ(sotto_sshpub_format(&out, pub, NULL), 0);
	CHECK_EQ(out.len, strlen(K1_PUB) - strlen(" test@sotto"));
	CHECK_EQ(sotto_sshpub_format(&out, pub, "two\nlines"), SOTTO_E_INVAL);
	sotto_wbuf_free(&out);

	/* No newline, CRLF, no comment, blanks: all the same key. */
	{
		static const char *ok[] = {
			"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a",
			"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a \n",
			"ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a  a b \r\n\n",
		};
		for (size_t i = 0; i < 3; i++) {
			uint8_t p2[32];
			char *c2 = NULL;
			CHECK_EQ(sotto_sshpub_parse(ok[i], strlen(ok[i]), p2, &c2), 0);
			CHECK_MEM(p2, k1_pub, 32);
			CHECK(i < 2 ? c2 == NULL : strcmp(c2, "a b") == 0);
			free(c2);
		}
	}
}

static void check_pub_bad(const char *line, int want)
{
	uint8_t pub[32];
	char *comment = (char *)1;
	int r = sotto_sshpub_parse(line, strlen(line), pub, &comment);

	CHECK_EQ(r, want);
	CHECK(comment == NULL);
}

static void test_pub_rejects(void)
{
	char big[4096];
	size_t i;

	check_pub_bad("", SOTTO_E_FORMAT);
	check_pub_bad("\n", SOTTO_E_FORMAT);
	check_pub_bad("ssh-ed25519", SOTTO_E_FORMAT);
	check_pub_bad(KEC_PUB, SOTTO_E_KEYTYPE);
	check_pub_bad("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCtejo/uzlfTtTM x\n",
	    SOTTO_E_KEYTYPE);
	check_pub_bad("sk-ssh-ed25519@openssh.com AAAA\n", SOTTO_E_KEYTYPE);
	/* Bad base64: a character outside the alphabet, a cut group. */
	check_pub_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD!a\n",
	    SOTTO_E_BASE64);
	check_pub_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+\n",
	    SOTTO_E_BASE64);
	/* Valid base64 of a truncated blob; of a blob naming another type. */
	check_pub_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVA==\n",
	    SOTTO_E_SHORT);
	check_pub_bad("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQCtejo/\n", SOTTO_E_KEYTYPE);
	/* Two keys in one file; a control character in the comment. */
	{
		char two[256];
		snprintf(two, sizeof(two), "%s%s", K1_PUB, K1_PUB);
		check_pub_bad(two, SOTTO_E_FORMAT);
	}
	check_pub_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a a\x1b[31m\n",
	    SOTTO_E_FORMAT);
	check_pub_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a \xff\xfe\n",
	    SOTTO_E_FORMAT);
	/* Oversized base64 token and comment. */
	memcpy(big, "ssh-ed25519 ", 12);
	for (i = 12; i < sizeof(big) - 1; i++)
		big[i] = 'A';
	big[sizeof(big) - 1] = '\0';
	check_pub_bad(big, SOTTO_E_TOOLONG);
	memcpy(big, K1_PUB, strlen(K1_PUB) - 1);
	for (i = strlen(K1_PUB) - 1; i < sizeof(big) - 1; i++)
		big[i] = 'c';
	check_pub_bad(big, SOTTO_E_TOOLONG);
	/* Every truncation of a good line before the key's end fails. */
	{
		int all = 1;
		for (i = 0; i < 12 + 68; i++) {
			uint8_t pub[32];
			if (sotto_sshpub_parse(K1_PUB, i, pub, NULL) == 0)
				all = 0;
		}
		CHECK(all);
	}
}

/* --- private keys ----------------------------------------------------------- */

static void test_priv_parse(void)
{
	struct sotto_ed25519 *k = NULL, *k2 = NULL;
	char *comment = NULL, *comment2 = NULL;
	struct sotto_wbuf out;

	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)K1, strlen(K1), &k, &comment), 0);
	if (k == NULL)
		return;
	CHECK_MEM(sotto_ed25519_pub(k), k1_pub, 32);
	CHECK(comment != NULL && strcmp(comment, "test@sotto") == 0);
	CHECK(sotto_ed25519_is_secure(k));

	/* Our own file: 70-column armour that parses back to the same key. */
	sotto_wbuf_init_secure(&out, SOTTO_KEYFILE_MAX);
	CHECK_EQ(sotto_sshpriv_format(&out, k, comment), 0);
	CHECK(sotto_crypto_is_secure(out.p));
	CHECK_EQ(out.len, strlen(K1));   /* same layout as ssh-keygen's */
	CHECK_MEM(out.p, K1, 36 + 20);   /* header and the fixed prefix */
	CHECK_EQ(sotto_sshpriv_parse(out.p, out.len, &k2, &comment2), 0);
	if (k2 != NULL) {
		CHECK_MEM(sotto_ed25519_seed(k2), sotto_ed25519_seed(k), 32);
		CHECK_STR(comment2, "test@sotto");
	}
	sotto_ed25519_free(k2);
	free(comment2);
	k2 = NULL;
	comment2 = NULL;
	/* No comment: parses back with comment NULL. */
	sotto_wbuf_reset(&out);
	CHECK_EQ(sotto_sshpriv_format(&out, k, NULL), 0);
	CHECK_EQ(sotto_sshpriv_parse(out.p, out.len, &k2, &comment2), 0);
	CHECK(comment2 == NULL);
	CHECK_EQ(sotto_sshpriv_format(&out, k, "bad\x07"), SOTTO_E_INVAL);
	sotto_ed25519_free(k2);
	sotto_wbuf_free(&out);
	sotto_ed25519_free(k);
	free(comment);

	/* CRLF line ends work. */
	{
		char crlf[1024];
		size_t o = 0;
		for (const char *p = K1; *p; p++) {
			if (*p == '\n')
				crlf[o++] = '\r';
			crlf[o++] = *p;
		}
		CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)crlf, o, &k, NULL), 0);
		sotto_ed25519_free(k);
	}
}

static void test_priv_rejects(void)
{
	struct sotto_ed25519 *k = NULL;
	char err[256], *text;
	uint8_t bin[512];
	size_t i;
	int all;

	k1_bin_len = dearmour(K1, k1_bin, sizeof(k1_bin));
	CHECK_EQ(k1_bin_len, 242);
	CHECK_EQ(parse_bin(k1_bin, k1_bin_len, err, sizeof(err)), 0);

	/* Encrypted key without a passphrase: one clear error
	 * (test_sshkey_enc.c opens it). */
	CHECK_EQ(sotto_identity_parse("kenc", (const uint8_t *)KENC, strlen(KENC),
	    &k, NULL, err, sizeof(err)), SOTTO_E_NEEDPASS);
	CHECK(k == NULL);
	CHECK(strstr(err, "kenc: the key is protected by a passphrase") == err);
	/* Another key type. */
	CHECK_EQ(sotto_identity_parse("kec", (const uint8_t *)KEC, strlen(KEC),
	    &k, NULL, err, sizeof(err)), SOTTO_E_KEYTYPE);
	CHECK(strstr(err, "ecdsa-sha2-nistp256") != NULL);
	CHECK_EQ(sotto_identity_parse("k", (const uint8_t *)
	    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
	    64, &k, NULL, err, sizeof(err)), SOTTO_E_KEYTYPE);
	/* A public line where the private key belongs. */
	CHECK_EQ(sotto_identity_parse("k1.pub", (const uint8_t *)K1_PUB,
	    strlen(K1_PUB), &k, NULL, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "public key") != NULL);
	/* Garbage, empty. */
	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)"\x00\x01garbage", 9, &k, NULL),
	    SOTTO_E_FORMAT);
	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)"", 0, &k, NULL), SOTTO_E_FORMAT);

	/* Every truncation of the text fails cleanly. */
	all = 1;
	for (i = 0; i < strlen(K1) - 1; i++) {
		if (sotto_sshpriv_parse((const uint8_t *)K1, i, &k, NULL) == 0 ||
		    k != NULL)
			all = 0;
	}
	CHECK(all);
	/* Every truncation of the container fails cleanly. */
	all = 1;
	for (i = 0; i < k1_bin_len; i++)
		if (parse_bin(k1_bin, i, NULL, 0) == 0)
			all = 0;
	CHECK(all);

	/* Targeted corruptions, each with its own error. */
	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_CHECK2] ^= 1;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "check integers") != NULL);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_CIPHER + 3] = 'X';
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_UNSUPPORTED);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_NKEYS + 3] = 2;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_BLOB_KEY] ^= 0x40;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "disagree") != NULL);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_PRIV_PK] ^= 0x40;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_SEED] ^= 0x40;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "seed") != NULL);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_LASTPAD] = 9;
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "padding") != NULL);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[OFF_COMMENT] = '\n';
	CHECK_EQ(parse_bin(bin, k1_bin_len, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK(strstr(err, "control") != NULL);

	memcpy(bin, k1_bin, k1_bin_len);
	bin[k1_bin_len] = 0;
	CHECK_EQ(parse_bin(bin, k1_bin_len + 1, err, sizeof(err)), SOTTO_E_TRAILING);

	/* Bad base64 in the armour; text after the END line; no END line. */
	text = strdup(K1);
	text[40] = '*';
	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)text, strlen(text), &k, NULL),
	    SOTTO_E_BASE64);
	free(text);
	text = malloc(strlen(K1) + 8);
	sprintf(text, "%sjunk\n", K1);
	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)text, strlen(text), &k, NULL),
	    SOTTO_E_TRAILING);
	free(text);
	CHECK_EQ(sotto_sshpriv_parse((const uint8_t *)K1, strlen(K1) - 35, &k, NULL),
	    SOTTO_E_FORMAT);
	CHECK(k == NULL);
}

/* --- loaders ------------------------------------------------------------------ */

static void test_loaders(void)
{
	struct sotto_ed25519 *k = NULL;
	uint8_t pub[32];
	char err[256], *comment = NULL, *path, *big;

	path = write_file("id", K1, strlen(K1), 0600);
	CHECK_EQ(sotto_identity_load(path, &k, &comment, err, sizeof(err)), 0);
	CHECK(k != NULL && memcmp(sotto_ed25519_pub(k), k1_pub, 32) == 0);
	CHECK(comment != NULL && strcmp(comment, "test@sotto") == 0);
	sotto_ed25519_free(k);
	free(comment);
	k = NULL;

	/* Any group or other bit is refused, as ssh does. */
	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(sotto_identity_load(path, &k, &comment, err, sizeof(err)),
	    SOTTO_E_PERM);
	CHECK(k == NULL && comment == NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strstr(err, "0644") != NULL);
	CHECK(strstr(err, "chmod 600") != NULL);
	CHECK_EQ(chmod(path, 0640), 0);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)), SOTTO_E_PERM);
	CHECK_EQ(chmod(path, 0602), 0);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)), SOTTO_E_PERM);
	CHECK_EQ(chmod(path, 0400), 0);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)), 0);
	sotto_ed25519_free(k);
	k = NULL;

	/* Encrypted key through the loader. */
	path = write_file("id_enc", KENC, strlen(KENC), 0600);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)),
	    SOTTO_E_NEEDPASS);
	CHECK(strstr(err, "protected by a passphrase") != NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);

	/* Missing file, a directory, an oversized file. */
	snprintf(err, sizeof(err), "x");
	CHECK_EQ(sotto_identity_load("/nonexistent/sotto/id", &k, NULL, err,
	    sizeof(err)), SOTTO_E_NOTFOUND);
	CHECK(strstr(err, "/nonexistent/sotto/id: ") == err);
	CHECK_EQ(sotto_pubkey_load(tmpdir, pub, NULL, err, sizeof(err)), SOTTO_E_IO);
	CHECK(strstr(err, "not a regular file") != NULL);
	big = malloc(SOTTO_KEYFILE_MAX + 10);
	memset(big, '\n', SOTTO_KEYFILE_MAX + 10);
	memcpy(big, K1, strlen(K1));
	path = write_file("id_big", big, SOTTO_KEYFILE_MAX + 1, 0600);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)), SOTTO_E_TOOLONG);
	path = write_file("big.pub", big, SOTTO_KEYFILE_MAX + 1, 0644);
	CHECK_EQ(sotto_pubkey_load(path, pub, NULL, err, sizeof(err)), SOTTO_E_TOOLONG);
	/* Exactly at the bound: trailing blank lines are accepted. */
	path = write_file("id_max", big, SOTTO_KEYFILE_MAX, 0600);
	CHECK_EQ(sotto_identity_load(path, &k, NULL, err, sizeof(err)), 0);
	sotto_ed25519_free(k);
	k = NULL;
	free(big);

	/* Public files: readable by all is fine; errors name the file. */
	path = write_file("k1.pub", K1_PUB, strlen(K1_PUB), 0644);
	CHECK_EQ(sotto_pubkey_load(path, pub, &comment, err, sizeof(err)), 0);
	CHECK_MEM(pub, k1_pub, 32);
	free(comment);
	path = write_file("ec.pub", KEC_PUB, strlen(KEC_PUB), 0644);
	CHECK_EQ(sotto_pubkey_load(path, pub, NULL, err, sizeof(err)), SOTTO_E_KEYTYPE);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strstr(err, "\"ecdsa-sha2-nistp256\"") != NULL);
	CHECK(strchr(err, '\n') == NULL);
}

int main(void)
{
	char cmd[128];

	CHECK_EQ(sotto_crypto_init(), 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sotto-test-sshkey-XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
	test_pub_parse();
	test_pub_rejects();
	test_priv_parse();
	test_priv_rejects();
	test_loaders();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	CHECK_EQ(system(cmd), 0);
	return check_summary();
}

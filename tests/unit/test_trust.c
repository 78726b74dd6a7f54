/* test_trust.c: loading the trusted folder and looking keys up in it. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"
#include "trust.h"

/* TEST public keys (ssh-keygen -t ed25519), never used elsewhere. */
static const char ALICE[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a test@sotto\n";
static const char ALICE_FPR[] = "SHA256:qLbc02QMjsVv8TCQPH5mu2eG0m5rjoOgZZ3GqMdGAko";
static const char BOB[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFff6ryW976YhAuvZjGMbez64STyzTDAcT6fv8F5pUdc \n";
static const char BOB_FPR[] = "SHA256:WqRRkmkH/1bh6rNdwvfqpQ+gNkytbTM59SSvevHppGA";

static char root[64];

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static char *subdir(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	CHECK_EQ(mkdir(path, 0755), 0);
	return path;
}

static void test_good_folder(void)
{
	struct sotto_trust *t = NULL;
	const struct sotto_peer *p;
	uint8_t pub[32];
	char err[256], *dir = subdir("good");

	put(dir, "bob.pub", BOB, 0644);
	put(dir, "alice.pub", ALICE, 0644);
	/* Ignored: other suffixes, dotfiles (even *.pub), a bare ".pub". */
	put(dir, "README", "not a key", 0644);
	put(dir, "alice", "-----BEGIN OPENSSH PRIVATE KEY-----\n", 0600);
	put(dir, ".hidden.pub", "garbage", 0644);
	put(dir, ".pub", "garbage", 0644);
	put(dir, "carol.pub.bak", "garbage", 0644);

	CHECK_EQ(sotto_trust_load(dir, &t, err, sizeof(err)), 0);
	if (t == NULL)
		return;
	CHECK_EQ(t->n, 2);
	CHECK_STR(t->peers[0].name, "alice");
	CHECK_STR(t->peers[1].name, "bob");
	CHECK_STR(t->peers[0].fpr_str, ALICE_FPR);
	CHECK_STR(t->peers[1].fpr_str, BOB_FPR);

	CHECK_EQ(sotto_sshpub_parse(BOB, strlen(BOB), pub, NULL), 0);
	p = sotto_trust_find(t, pub);
	CHECK(p == &t->peers[1]);
	CHECK_MEM(p->pub, pub, 32);
	CHECK_EQ(sotto_sshpub_parse(ALICE, strlen(ALICE), pub, NULL), 0);
	CHECK(sotto_trust_find(t, pub) == &t->peers[0]);
	{
		uint8_t fpr[32];
		sotto_fingerprint(pub, fpr);
		CHECK_MEM(t->peers[0].fpr, fpr, 32);
	}
	/* One bit off anywhere: not trusted. */
	{
		int none = 1;
		for (int i = 0; i < 256; i++) {
			pub[i / 8] ^= (uint8_t)(1u << (i % 8));
			if (sotto_trust_find(t, pub) != NULL)
				none = 0;
			pub[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		CHECK(none);
	}
	sotto_trust_free(t);
}

static void test_empty_folder(void)
{
	struct sotto_trust *t = NULL;
	uint8_t pub[32] = { 0 };
	char err[256];

	CHECK_EQ(sotto_trust_load(subdir("empty"), &t, err, sizeof(err)), 0);
	CHECK(t != NULL && t->n == 0);
	CHECK(sotto_trust_find(t, pub) == NULL);
	sotto_trust_free(t);
}

static void expect_fail(const char *dir, int want, const char *in_err1,
    const char *in_err2)
{
	struct sotto_trust *t = (struct sotto_trust *)1;
	char err[512];
	int r = sotto_trust_load(dir, &t, err, sizeof(err));

	CHECK_EQ(r, want);
	CHECK(t == NULL);
	CHECK(strstr(err, in_err1) != NULL);
	if (in_err2 != NULL)
		CHECK(strstr(err, in_err2) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	if (r != want || strstr(err, in_err1) == NULL)
		fprintf(stderr, "  err: %s\n", err);
}

static void test_bad_folders(void)
{
	char *dir;

	/* One bad file fails the whole load and is named. */
	dir = subdir("bad");
	put(dir, "alice.pub", ALICE, 0644);
	put(dir, "carol.pub", "ssh-ed25519 AAAA!!!!\n", 0644);
	expect_fail(dir, SOTTO_E_BASE64, "bad/carol.pub: ", NULL);

	dir = subdir("garbage");
	put(dir, "dave.pub", "\x01\x02\x03 garbage", 0644);
	expect_fail(dir, SOTTO_E_KEYTYPE, "garbage/dave.pub: ", NULL);

	dir = subdir("rsa");
	put(dir, "erin.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCt erin\n", 0644);
	expect_fail(dir, SOTTO_E_KEYTYPE, "rsa/erin.pub: ", "\"ssh-rsa\"");

	dir = subdir("truncated");
	put(dir, "frank.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9Fc\n", 0644);
	expect_fail(dir, SOTTO_E_SHORT, "truncated/frank.pub: ", NULL);

	dir = subdir("emptyfile");
	put(dir, "gina.pub", "", 0644);
	expect_fail(dir, SOTTO_E_FORMAT, "emptyfile/gina.pub: ", NULL);

	/* The same key under two names names both. */
	dir = subdir("dup");
	put(dir, "alice.pub", ALICE, 0644);
	put(dir, "mallory.pub", ALICE, 0644);
	expect_fail(dir, SOTTO_E_EXISTS, "dup/mallory.pub: ", "\"alice\"");

	/* A name with a control character. */
	dir = subdir("badname");
	put(dir, "ev\x1bil.pub", ALICE, 0644);
	expect_fail(dir, SOTTO_E_FORMAT, "badname/ev", "control");

	/* A directory called x.pub. */
	dir = subdir("subdir");
	{
		char sub[160];
		snprintf(sub, sizeof(sub), "%s/x.pub", dir);
		CHECK_EQ(mkdir(sub, 0755), 0);
	}
	expect_fail(dir, SOTTO_E_IO, "subdir/x.pub: ", "not a regular file");

	/* Missing folder; a file where the folder should be. */
	{
		char missing[128];
		snprintf(missing, sizeof(missing), "%s/nope", root);
		expect_fail(missing, SOTTO_E_NOTFOUND, "nope: cannot open the trusted folder", NULL);
		put(root, "plainfile", "x", 0644);
		snprintf(missing, sizeof(missing), "%s/plainfile", root);
		expect_fail(missing, SOTTO_E_IO, "plainfile: cannot open the trusted folder", NULL);
	}
}

static void test_add(void)
{
	struct sotto_trust *t = sotto_trust_new();
	char err[256];

	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_EQ(sotto_trust_add(t, "zed", "zed.pub", (const uint8_t *)BOB,
	    strlen(BOB), err, sizeof(err)), 0);
	CHECK_EQ(sotto_trust_add(t, "amy", "amy.pub", (const uint8_t *)ALICE,
	    strlen(ALICE), err, sizeof(err)), 0);
	CHECK_EQ(t->n, 2);
	CHECK_STR(t->peers[0].name, "amy");   /* kept in name order */
	CHECK_EQ(sotto_trust_add(t, "amy", "amy2.pub", (const uint8_t *)BOB,
	    strlen(BOB), err, sizeof(err)), SOTTO_E_EXISTS);
	CHECK(strstr(err, "amy2.pub: ") == err);
	CHECK_EQ(sotto_trust_add(t, "", "empty.pub", (const uint8_t *)BOB,
	    strlen(BOB), err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK_EQ(t->n, 2);
	sotto_trust_free(t);
}

int main(void)
{
	char cmd[128];

	CHECK_EQ(sotto_crypto_init(), 0);
	snprintf(root, sizeof(root), "/tmp/sotto-test-trust-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	test_good_folder();
	test_empty_folder();
	test_bad_folders();
	test_add();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
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
	CHECK(want == 0 ? t != NULL : t == NULL);
	CHECK(strstr(err, in_err1) != NULL);
	if (in_err2 != NULL)
		CHECK(strstr(err, in_err2) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	if (r != want || strstr(err, in_err1) == NULL)
		fprintf(stderr, "  err: %s\n", err);
	if (r == 0)
		sotto_trust_free(t);
}

/* The folder loads; exactly one file is skipped with one warning line
 * holding both strings; `trusted` keys remain. */
static void expect_skip(const char *dir, size_t trusted, const char *in1,
    const char *in2)
{
	struct sotto_trust *t = NULL;
	char err[512];

	CHECK_EQ(sotto_trust_load(dir, &t, err, sizeof(err)), 0);
	if (t == NULL) {
		fprintf(stderr, "  err: %s\n", err);
		return;
	}
	CHECK_EQ(t->n, trusted);
	CHECK_EQ(t->n_skipped, 1);
	CHECK_EQ(t->n_warn, 1);
	if (t->n_warn == 1) {
		CHECK(strstr(t->warn[0], in1) != NULL);
		if (in2 != NULL)
			CHECK(strstr(t->warn[0], in2) != NULL);
		CHECK(strchr(t->warn[0], '\n') == NULL);
		if (strstr(t->warn[0], in1) == NULL ||
		    (in2 != NULL && strstr(t->warn[0], in2) == NULL))
			fprintf(stderr, "  warn: %s\n", t->warn[0]);
	}
	sotto_trust_free(t);
}

static void test_bad_files(void)
{
	char *dir;

	/* A bad file is skipped (its key not trusted) and named; the good
	 * key next to it still loads. */
	dir = subdir("bad");
	put(dir, "alice.pub", ALICE, 0644);
	put(dir, "carol.pub", "ssh-ed25519 AAAA!!!!\n", 0644);
	expect_skip(dir, 1, "bad/carol.pub: ", "base64");

	dir = subdir("garbage");
	put(dir, "dave.pub", "\x01\x02\x03 garbage", 0644);
	expect_skip(dir, 0, "garbage/dave.pub: ", NULL);

	dir = subdir("rsa");
	put(dir, "erin.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCt erin\n", 0644);
	expect_skip(dir, 0, "rsa/erin.pub: ", "\"ssh-rsa\"");

	dir = subdir("truncated");
	put(dir, "frank.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9Fc\n", 0644);
	expect_skip(dir, 0, "truncated/frank.pub: ", NULL);

	dir = subdir("emptyfile");
	put(dir, "gina.pub", "", 0644);
	expect_skip(dir, 0, "emptyfile/gina.pub: ", NULL);

	/* The same key under a second name: the second is skipped, naming
	 * the first. */
	dir = subdir("dup");
	put(dir, "alice.pub", ALICE, 0644);
	put(dir, "mallory.pub", ALICE, 0644);
	expect_skip(dir, 1, "dup/mallory.pub: ", "\"alice\"");

	/* A name with a control character. */
	dir = subdir("badname");
	put(dir, "ev\x1bil.pub", ALICE, 0644);
	expect_skip(dir, 0, "badname/ev", "control");

	/* A directory called x.pub. */
	dir = subdir("subdir");
	{
		char sub[160];
		snprintf(sub, sizeof(sub), "%s/x.pub", dir);
		CHECK_EQ(mkdir(sub, 0755), 0);
	}
	expect_skip(dir, 0, "subdir/x.pub: ", "not a regular file");

	/* Many bad files: all counted, warning lines capped. */
	dir = subdir("many");
	{
		struct sotto_trust *t = NULL;
		char err[256], name[32];
		unsigned i;
		for (i = 0; i < SOTTO_TRUST_WARN_MAX + 5; i++) {
			snprintf(name, sizeof(name), "k%03u.pub", i);
			put(dir, name, "junk\n", 0644);
		}
		CHECK_EQ(sotto_trust_load(dir, &t, err, sizeof(err)), 0);
		if (t != NULL) {
			CHECK_EQ(t->n_skipped, SOTTO_TRUST_WARN_MAX + 5);
			CHECK_EQ(t->n_warn, SOTTO_TRUST_WARN_MAX);
			sotto_trust_free(t);
		}
	}

	/* Missing folder; a file where the folder should be: fatal. */
	{
		char missing[128];
		snprintf(missing, sizeof(missing), "%s/nope", root);
		expect_fail(missing, SOTTO_E_NOTFOUND, "nope: cannot open the trusted folder", NULL);
		put(root, "plainfile", "x", 0644);
		snprintf(missing, sizeof(missing), "%s/plainfile", root);
		expect_fail(missing, SOTTO_E_PERM, "plainfile: not a folder", NULL);
	}
}

/* StrictModes, as ssh checks authorized_keys. */
static void test_strict_modes(void)
{
	char *dir, path[512], target[512];

	/* The folder: group- or world-writable, or someone else's: fatal. */
	dir = subdir("gw");
	put(dir, "alice.pub", ALICE, 0644);
	CHECK_EQ(chmod(dir, 0775), 0);
	expect_fail(dir, SOTTO_E_PERM, "gw: bad permissions", "group");
	CHECK_EQ(chmod(dir, 0757), 0);
	expect_fail(dir, SOTTO_E_PERM, "gw: bad permissions", "others");
	/* Sticky does not excuse the trusted folder itself. */
	CHECK_EQ(chmod(dir, 01777), 0);
	expect_fail(dir, SOTTO_E_PERM, "gw: bad permissions", NULL);
	CHECK_EQ(chmod(dir, 0755), 0);
	CHECK_EQ(chown(dir, 4242, 4242), 0);
	expect_fail(dir, SOTTO_E_PERM, "gw: bad ownership", "4242");
	CHECK_EQ(chown(dir, geteuid(), getegid()), 0);
	expect_fail(dir, 0, "", NULL);

	/* A writable folder above it: fatal, naming that folder ... */
	dir = subdir("up");
	CHECK_EQ(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/trusted", dir);
	CHECK_EQ(mkdir(path, 0755), 0);
	put(path, "alice.pub", ALICE, 0644);
	expect_fail(path, SOTTO_E_PERM, "/up: bad permissions", NULL);
	/* ... unless it is above $HOME (ssh stops there too) ... */
	{
		char home[256], *old = getenv("HOME"), saved[256] = "";
		if (old != NULL)
			snprintf(saved, sizeof(saved), "%s", old);
		snprintf(home, sizeof(home), "%s/home", dir);
		CHECK_EQ(mkdir(home, 0755), 0);
		snprintf(path, sizeof(path), "%s/trusted", home);
		CHECK_EQ(mkdir(path, 0755), 0);
		put(path, "alice.pub", ALICE, 0644);
		setenv("HOME", home, 1);
		expect_fail(path, 0, "", NULL);
		if (old != NULL)
			setenv("HOME", saved, 1);
		else
			unsetenv("HOME");
	}
	/* ... or a root-owned sticky folder, like /tmp. */
	CHECK_EQ(chmod(dir, 01777), 0);
	snprintf(path, sizeof(path), "%s/trusted", dir);
	expect_fail(path, 0, "", NULL);
	CHECK_EQ(chmod(dir, 0755), 0);

	/* Files: writable by others or someone else's: skipped, named. */
	dir = subdir("files");
	put(dir, "alice.pub", ALICE, 0644);
	put(dir, "bob.pub", BOB, 0664);
	CHECK_EQ(chmod(strcat(strcpy(path, dir), "/bob.pub"), 0664), 0);
	expect_skip(dir, 1, "files/bob.pub: bad permissions", "chmod go-w");
	CHECK_EQ(chmod(path, 0646), 0);
	expect_skip(dir, 1, "files/bob.pub: bad permissions", "others");
	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(chown(path, 4242, 4242), 0);
	expect_skip(dir, 1, "files/bob.pub: bad ownership", NULL);
	CHECK_EQ(unlink(path), 0);

	/* Symlinks: inside the folder followed, out of it refused. */
	dir = subdir("links");
	CHECK_EQ(mkdir(strcat(strcpy(path, dir), "/keep"), 0755), 0);
	put(path, "alice.key", ALICE, 0644);
	CHECK_EQ(symlink("keep/alice.key", strcat(strcpy(target, dir),
	    "/alice.pub")), 0);
	put(root, "outside.key", BOB, 0644);
	snprintf(path, sizeof(path), "%s/outside.key", root);
	CHECK_EQ(symlink(path, strcat(strcpy(target, dir), "/bob.pub")), 0);
	expect_skip(dir, 1, "links/bob.pub: symlink points outside", NULL);
	CHECK_EQ(unlink(target), 0);
	CHECK_EQ(symlink("../links/../outside.key", target), 0);
	expect_skip(dir, 1, "links/bob.pub: symlink points outside", NULL);
	CHECK_EQ(unlink(target), 0);
	CHECK_EQ(symlink("nowhere", target), 0);
	expect_skip(dir, 1, "links/bob.pub: broken symlink", NULL);
	{
		struct sotto_trust *t = NULL;
		char err[256];
		CHECK_EQ(sotto_trust_load(dir, &t, err, sizeof(err)), 0);
		CHECK(t != NULL && t->n == 1 && strcmp(t->peers[0].name, "alice") == 0);
		sotto_trust_free(t);
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
	test_bad_files();
	test_strict_modes();
	test_add();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
	return check_summary();
}

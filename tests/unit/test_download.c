/* SPDX-License-Identifier: ISC */
/* test_download.c: received files land only verified, only under a fresh name, only 0600, and never half-written. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"
#include "download.h"
#include "err.h"

static char root[64];

/* Entries in dir other than . and .. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A fresh empty folder under root for one test. */
static const char *
fresh(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	CHECK_EQ(mkdir(path, 0700), 0);
	return path;
}

static int
file_is(const char *path, const void *data, size_t n)
{
	char buf[8192];
	ssize_t got;
	int fd = open(path, O_RDONLY), ok;

	if (fd < 0)
		return 0;
	got = read(fd, buf, sizeof(buf));
	ok = got == (ssize_t)n && memcmp(buf, data, n) == 0;
	close(fd);
	return ok;
}

static void
put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
		close(fd);
	}
}

/* Receive data under name into dir in pieces of step bytes; the path. */
static int
receive(const char *dir, const char *name, const void *data, size_t n,
    size_t step, char **path)
{
	struct sotto_dl *dl;
	uint8_t sha[SOTTO_SHA256_LEN];
	size_t off, k;
	int r;

	sotto_sha256(sha, data, n);
	*path = NULL;
	if ((r = sotto_dl_new(&dl, dir, (const uint8_t *)name, strlen(name),
	    n, sha)) != 0)
		return r;
	for (off = 0; off < n; off += k) {
		k = n - off < step ? n - off : step;
		if ((r = sotto_dl_write(dl, (const uint8_t *)data + off, k)) != 0)
			break;
	}
	if (r == 0)
		r = sotto_dl_finish(dl, path);
	sotto_dl_free(dl);
	return r;
}

static void
test_dir_for(void)
{
	char *p;

	CHECK_EQ(sotto_dl_dir_for("/x/dl", "/home/u", &p), 0);
	CHECK_STR(p, "/x/dl/sotto");
	free(p);
	CHECK_EQ(sotto_dl_dir_for("relative", "/home/u", &p), 0);
	CHECK_STR(p, "/home/u/Downloads/sotto");
	free(p);
	CHECK_EQ(sotto_dl_dir_for(NULL, "/home/u", &p), 0);
	CHECK_STR(p, "/home/u/Downloads/sotto");
	free(p);
	CHECK_EQ(sotto_dl_dir_for(NULL, NULL, &p), SOTTO_E_NOTFOUND);
	CHECK(p == NULL);
	CHECK_EQ(sotto_dl_dir_for("", "", &p), SOTTO_E_NOTFOUND);
}

static void
test_dir_create(void)
{
	char xdg[160], home[160], link[200], *p;
	struct stat st;

	/* $HOME/Downloads/sotto, both folders made 0700. */
	snprintf(home, sizeof(home), "%s", fresh("home"));
	unsetenv("XDG_DOWNLOAD_DIR");
	setenv("HOME", home, 1);
	CHECK_EQ(sotto_dl_dir(&p), 0);
	CHECK(p != NULL && strstr(p, "/home/Downloads/sotto") != NULL);
	CHECK(p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);
	free(p);

	/* An existing sotto folder open to others is closed to them. */
	snprintf(xdg, sizeof(xdg), "%s", fresh("xdg"));
	setenv("XDG_DOWNLOAD_DIR", xdg, 1);
	snprintf(link, sizeof(link), "%s/sotto", xdg);
	CHECK_EQ(mkdir(link, 0755), 0);
	CHECK_EQ(chmod(link, 0755), 0);
	CHECK_EQ(sotto_dl_dir(&p), 0);
	CHECK(p != NULL && strcmp(p, link) == 0);
	CHECK(stat(link, &st) == 0 && (st.st_mode & 0777) == 0700);
	free(p);

	/* A symlink in its place (to somewhere else) is refused. */
	CHECK_EQ(rmdir(link), 0);
	CHECK_EQ(symlink(home, link), 0);
	CHECK_EQ(sotto_dl_dir(&p), SOTTO_E_PERM);
	CHECK(p == NULL);
	unsetenv("XDG_DOWNLOAD_DIR");
}

static void
test_round_trip(void)
{
	const char *dir = fresh("rt");
	static uint8_t data[5000];
	struct stat st;
	char *path;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(receive(dir, "report.pdf", data, sizeof(data), 999, &path), 0);
	CHECK(path != NULL && strstr(path, "/rt/report.pdf") != NULL);
	CHECK(path != NULL && file_is(path, data, sizeof(data)));
	CHECK(path != NULL && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(count_entries(dir), 1);     /* no temp file left */
	free(path);

	/* 0 bytes and 1 byte. */
	CHECK_EQ(receive(dir, "empty", "", 0, 1, &path), 0);
	CHECK(path != NULL && file_is(path, "", 0));
	free(path);
	CHECK_EQ(receive(dir, "one", "x", 1, 1, &path), 0);
	CHECK(path != NULL && file_is(path, "x", 1));
	free(path);
	CHECK_EQ(count_entries(dir), 3);
}

static void
test_never_overwrite(void)
{
	const char *dir = fresh("ow");
	char *path, want[256], target[256], link[256];
	struct stat st;
	unsigned i;

	put_file(dir, "a.txt", "original");
	CHECK_EQ(receive(dir, "a.txt", "new", 3, 3, &path), 0);
	snprintf(want, sizeof(want), "%s/a (1).txt", dir);
	CHECK(path != NULL && strcmp(path, want) == 0);
	free(path);
	snprintf(want, sizeof(want), "%s/a.txt", dir);
	CHECK(file_is(want, "original", 8));
	CHECK_EQ(receive(dir, "a.txt", "newer", 5, 5, &path), 0);
	CHECK(path != NULL && strstr(path, "/a (2).txt") != NULL);
	free(path);

	/* No extension: the number goes at the end. */
	put_file(dir, "README", "x");
	CHECK_EQ(receive(dir, "README", "y", 1, 1, &path), 0);
	CHECK(path != NULL && strstr(path, "/README (1)") != NULL);
	free(path);

	/* A (dangling) symlink under the name is a taken name, never followed. */
	snprintf(target, sizeof(target), "%s/outside", root);
	snprintf(link, sizeof(link), "%s/evil.sh", dir);
	CHECK_EQ(symlink(target, link), 0);
	CHECK_EQ(receive(dir, "evil.sh", "#!/bin/sh\n", 10, 10, &path), 0);
	CHECK(path != NULL && strstr(path, "/evil (1).sh") != NULL);
	CHECK(path != NULL && stat(path, &st) == 0 && (st.st_mode & 0111) == 0);
	free(path);
	CHECK(lstat(target, &st) != 0 && errno == ENOENT);

	/* All SOTTO_DL_TRIES names taken: refused, nothing left behind. */
	put_file(dir, "full.bin", "0");
	for (i = 1; i < SOTTO_DL_TRIES; i++) {
		snprintf(want, sizeof(want), "full (%u).bin", i);
		put_file(dir, want, "0");
	}
	i = (unsigned)count_entries(dir);
	CHECK_EQ(receive(dir, "full.bin", "z", 1, 1, &path), SOTTO_E_EXISTS);
	CHECK(path == NULL);
	CHECK_EQ(count_entries(dir), (int)i);
}

static void
test_hostile_name(void)
{
	const char *dir = fresh("hn");
	char *path, want[256];

	CHECK_EQ(receive(dir, "../../etc/passwd", "p", 1, 1, &path), 0);
	snprintf(want, sizeof(want), "%s/_.._etc_passwd", dir);
	CHECK(path != NULL && strcmp(path, want) == 0);
	free(path);
	CHECK_EQ(receive(dir, ".bashrc", "b", 1, 1, &path), 0);
	snprintf(want, sizeof(want), "%s/bashrc", dir);
	CHECK(path != NULL && strcmp(path, want) == 0);
	free(path);
	CHECK_EQ(count_entries(dir), 2);
}

static void
test_bad_content(void)
{
	const char *dir = fresh("bad");
	struct sotto_dl *dl;
	uint8_t sha[SOTTO_SHA256_LEN];
	char *path = (char *)1;

	/* One flipped byte: hash mismatch, no file at all. */
	sotto_sha256(sha, "hello", 5);
	CHECK_EQ(sotto_dl_new(&dl, dir, (const uint8_t *)"h.txt", 5, 5, sha), 0);
	CHECK_EQ(sotto_dl_write(dl, "hellO", 5), 0);
	CHECK_EQ(count_entries(dir), 1);     /* the temp file while receiving */
	CHECK_EQ(sotto_dl_finish(dl, &path), SOTTO_E_FORMAT);
	CHECK(path == NULL);
	sotto_dl_free(dl);
	CHECK_EQ(count_entries(dir), 0);

	/* Too many bytes: refused before writing; the download is dead. */
	CHECK_EQ(sotto_dl_new(&dl, dir, (const uint8_t *)"h.txt", 5, 5, sha), 0);
	CHECK_EQ(sotto_dl_write(dl, "hel", 3), 0);
	CHECK_EQ(sotto_dl_write(dl, "lo!", 3), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_dl_written(dl), 3);
	CHECK_EQ(sotto_dl_write(dl, "lo", 2), SOTTO_E_IO);
	CHECK(sotto_dl_finish(dl, &path) != 0);
	sotto_dl_free(dl);
	CHECK_EQ(count_entries(dir), 0);

	/* Too few bytes. */
	CHECK_EQ(sotto_dl_new(&dl, dir, (const uint8_t *)"h.txt", 5, 5, sha), 0);
	CHECK_EQ(sotto_dl_write(dl, "hell", 4), 0);
	CHECK_EQ(sotto_dl_finish(dl, &path), SOTTO_E_SHORT);
	sotto_dl_free(dl);
	CHECK_EQ(count_entries(dir), 0);

	/* Abandoned (sender gone): freeing removes the temp file. */
	CHECK_EQ(sotto_dl_new(&dl, dir, (const uint8_t *)"h.txt", 5, 5, sha), 0);
	CHECK_EQ(sotto_dl_write(dl, "he", 2), 0);
	CHECK_STR(sotto_dl_name(dl), "h.txt");
	sotto_dl_free(dl);
	CHECK_EQ(count_entries(dir), 0);
}

/* Child: receive 256 KiB under a 64 KiB file-size limit. Exit 0 when the
 * write failed with EFBIG and finish refused; else a code saying what. */
static int
disk_full_child(const char *dir)
{
	static uint8_t chunk[16384];
	struct rlimit rl = { 65536, 65536 };
	struct sotto_dl *dl;
	uint8_t sha[SOTTO_SHA256_LEN] = { 0 };
	char *path;
	int i, r = 0;

	signal(SIGXFSZ, SIG_IGN);          /* EFBIG instead of a core dump */
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	if (sotto_dl_new(&dl, dir, (const uint8_t *)"big.bin", 7, 262144, sha) != 0)
		return 11;
	for (i = 0; i < 16 && r == 0; i++)
		r = sotto_dl_write(dl, chunk, sizeof(chunk));
	if (r != SOTTO_E_IO || errno != EFBIG)
		return 12;
	if (sotto_dl_written(dl) > 65536)
		return 13;
	if (sotto_dl_finish(dl, &path) == 0)
		return 14;
	sotto_dl_free(dl);
	return 0;
}

static void
test_disk_full(void)
{
	const char *dir = fresh("full");
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(disk_full_child(dir));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(count_entries(dir), 0);    /* neither final nor partial */
}

static void
cleanup(const char *path)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

#ifdef SOTTO_TEST_HOOKS
/* Where renameat2 cannot RENAME_NOREPLACE (EINVAL), the link(2) fallback
 * publishes, still never over an existing name, and leaves no temp file
 * (it failed every time before: the rename flag was passed to linkat). */
static void
test_link_fallback(void)
{
	const char *dir = fresh("link");
	char *path, want[256];

	CHECK_EQ(setenv("SOTTO_TEST_DL_NO_RENAME2", "1", 1), 0);
	CHECK_EQ(receive(dir, "b.txt", "first", 5, 5, &path), 0);
	snprintf(want, sizeof(want), "%s/b.txt", dir);
	CHECK(path != NULL && strcmp(path, want) == 0 && file_is(path, "first", 5));
	free(path);
	CHECK_EQ(receive(dir, "b.txt", "second", 6, 6, &path), 0);
	CHECK(path != NULL && strstr(path, "/b (1).txt") != NULL &&
	    file_is(path, "second", 6));
	free(path);
	CHECK(file_is(want, "first", 5));
	CHECK_EQ(count_entries(dir), 2);
	CHECK_EQ(unsetenv("SOTTO_TEST_DL_NO_RENAME2"), 0);
}

/* The folder's fsync fails after the rename: the file is published (0,
 * its path), only not known durable (it was SOTTO_E_IO, and the receiver
 * said file-failed of a file sitting under its final name). */
static void
test_dir_fsync_fails(void)
{
	const char *dir = fresh("dsync");
	uint8_t sha[SOTTO_SHA256_LEN];
	struct sotto_dl *dl;
	char *path = NULL;

	sotto_sha256(sha, "kept", 4);
	CHECK_EQ(sotto_dl_new(&dl, dir, (const uint8_t *)"k.txt", 5, 4, sha), 0);
	CHECK_EQ(sotto_dl_write(dl, "kept", 4), 0);
	CHECK_EQ(setenv("SOTTO_TEST_DL_DIR_FSYNC_FAIL", "1", 1), 0);
	CHECK_EQ(sotto_dl_finish(dl, &path), 0);
	CHECK_EQ(unsetenv("SOTTO_TEST_DL_DIR_FSYNC_FAIL"), 0);
	CHECK(path != NULL && file_is(path, "kept", 4));
	CHECK(!sotto_dl_durable(dl));
	free(path);
	sotto_dl_free(dl);
	CHECK(receive(dir, "d.txt", "ok", 2, 2, &path) == 0 && path != NULL);
	free(path);
	CHECK_EQ(count_entries(dir), 2);
}
#endif

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	CHECK_EQ(sotto_crypto_init(), 0);
	umask(022);
	snprintf(root, sizeof(root), "%s/sotto-dl-XXXXXX",
	    tmp != NULL && tmp[0] == '/' && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_dir_for();
	test_dir_create();
	test_round_trip();
	test_never_overwrite();
#ifdef SOTTO_TEST_HOOKS
	test_link_fallback();
	test_dir_fsync_fails();
#endif
	test_hostile_name();
	test_bad_content();
	test_disk_full();
	cleanup(root);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* download.c: write a received file to a private temp file and publish it only once its SHA-256 matches. */
#define _GNU_SOURCE         /* renameat2, RENAME_NOREPLACE */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "download.h"
#include "err.h"
#include "fname.h"
#include "paths.h"

#define DL_TMP_RAND   8u                        /* random bytes in a temp name */
#define DL_TMP_LEN    (7u + 2u * DL_TMP_RAND + 5u + 1u)   /* ".sotto-" hex ".part" NUL */
#define DL_FINAL_LEN  (SOTTO_FNAME_MAX + 6u)   /* + " (99)" NUL */

struct sotto_dl {
	int        dirfd;
	int        fd;          /* -1 once closed */
	char      *dir;
	char       name[SOTTO_FNAME_MAX + 1];
	char       tmp[DL_TMP_LEN];
	int        tmp_exists;
	int        dead;        /* a write or check failed */
	int        durable;     /* published and the folder fsync'd */
	uint64_t   size, written;
	uint8_t    want[SOTTO_SHA256_LEN];
	gcry_md_hd_t md;
};

int
sotto_dl_dir_for(const char *xdg, const char *home, char **out)
{
	const char *base, *tail;
	size_t n;

	*out = NULL;
	if (xdg != NULL && xdg[0] == '/') {
		base = xdg;
		tail = "/" SOTTO_DL_SUBDIR;
	} else if (home != NULL && home[0] == '/') {
		base = home;
		tail = "/Downloads/" SOTTO_DL_SUBDIR;
	} else
		return SOTTO_E_NOTFOUND;
	n = strlen(base) + strlen(tail) + 1;
	if ((*out = malloc(n)) == NULL)
		return SOTTO_E_ALLOC;
	snprintf(*out, n, "%s%s", base, tail);
	return 0;
}

/* The sotto folder: a directory, not a symlink, ours, 0700. */
static int
dl_dir_check(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SOTTO_E_IO;
	if (lstat(dir, &st) != 0)
		return SOTTO_E_IO;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return SOTTO_E_PERM;
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) != 0)
		return SOTTO_E_IO;
	return 0;
}

int
sotto_dl_dir(char **out)
{
	char err[256], *dir, *slash;
	int r;

	*out = NULL;
	if ((r = sotto_dl_dir_for(getenv("XDG_DOWNLOAD_DIR"), getenv("HOME"),
	    &dir)) != 0)
		return r;
	slash = strrchr(dir, '/');
	*slash = '\0';
	r = sotto_mkdirs(dir, 0700, err, sizeof(err));
	*slash = '/';
	if (r != 0 || (r = dl_dir_check(dir)) != 0) {
		free(dir);
		return r;
	}
	*out = dir;
	return 0;
}

static int
dl_open_tmp(struct sotto_dl *dl)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[DL_TMP_RAND];
	size_t i, tries;

	for (tries = 0; tries < 8; tries++) {
		sotto_random_nonce(rnd, sizeof(rnd));
		memcpy(dl->tmp, ".sotto-", 7);
		for (i = 0; i < DL_TMP_RAND; i++) {
			dl->tmp[7 + 2 * i] = hex[rnd[i] >> 4];
			dl->tmp[8 + 2 * i] = hex[rnd[i] & 15];
		}
		memcpy(dl->tmp + 7 + 2 * DL_TMP_RAND, ".part", 6);
		dl->fd = openat(dl->dirfd, dl->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (dl->fd >= 0) {
			dl->tmp_exists = 1;
			return 0;
		}
		if (errno != EEXIST)
			return SOTTO_E_IO;
	}
	return SOTTO_E_EXISTS;
}

int
sotto_dl_new(struct sotto_dl **out, const char *dir, const uint8_t *name,
    size_t name_len, uint64_t size, const uint8_t sha256[static SOTTO_SHA256_LEN])
{
	struct sotto_dl *dl;
	int r;

	*out = NULL;
	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return SOTTO_E_ALLOC;
	dl->fd = dl->dirfd = -1;
	dl->size = size;
	memcpy(dl->want, sha256, SOTTO_SHA256_LEN);
	if ((r = sotto_fname_sanitize(name, name_len, dl->name)) != 0 ||
	    (dl->dir = strdup(dir)) == NULL) {
		sotto_dl_free(dl);
		return r != 0 ? r : SOTTO_E_ALLOC;
	}
	if (gcry_md_open(&dl->md, GCRY_MD_SHA256, 0) != 0) {
		sotto_dl_free(dl);
		return SOTTO_E_CRYPTO;
	}
	dl->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = dl->dirfd < 0 ? SOTTO_E_IO : dl_open_tmp(dl);
	if (r != 0) {
		sotto_dl_free(dl);
		return r;
	}
	*out = dl;
	return 0;
}

int
sotto_dl_write(struct sotto_dl *dl, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	if (dl->dead)
		return SOTTO_E_IO;
	if (n > dl->size - dl->written) {
		dl->dead = 1;
		return SOTTO_E_TOOLONG;
	}
	gcry_md_write(dl->md, p, n);
	while (n > 0) {
		if ((w = write(dl->fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			dl->dead = 1;
			return SOTTO_E_IO;
		}
		b += w;
		n -= (size_t)w;
		dl->written += (uint64_t)w;
	}
	return 0;
}

uint64_t
sotto_dl_written(const struct sotto_dl *dl)
{
	return dl->written;
}

const char *
sotto_dl_name(const struct sotto_dl *dl)
{
	return dl->name;
}

/* "stem.ext" with " (i)" before the extension; i == 0: the name itself.
 * A leading dot cannot occur (fname.h), so a dot at 0 needs no care. */
static void
dl_candidate(const char *name, unsigned i, char out[static DL_FINAL_LEN])
{
	const char *dot = strrchr(name, '.');
	int stem = dot != NULL ? (int)(dot - name) : (int)strlen(name);

	if (i == 0)
		snprintf(out, DL_FINAL_LEN, "%s", name);
	else
		snprintf(out, DL_FINAL_LEN, "%.*s (%u)%s", stem, name, i,
		    dot != NULL ? dot : "");
}

/* renameat2(RENAME_NOREPLACE). SOTTO_TEST_DL_NO_RENAME2 (test hooks only)
 * makes it answer EINVAL, as a file system without it does, to test the
 * link(2) fallback. */
static int
rename_noreplace(int dirfd, const char *from, const char *to)
{
#ifdef SOTTO_TEST_HOOKS
	if (getenv("SOTTO_TEST_DL_NO_RENAME2") != NULL) {
		errno = EINVAL;
		return -1;
	}
#endif
	return renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE);
}

/* Move the temp file to cand without replacing anything: 0, SOTTO_E_EXISTS
 * when cand is taken (by anything, a dangling symlink included), or
 * SOTTO_E_IO. */
static int
dl_publish_as(struct sotto_dl *dl, const char *cand)
{
	if (rename_noreplace(dl->dirfd, dl->tmp, cand) == 0)
		return 0;
	if (errno == EEXIST)
		return SOTTO_E_EXISTS;
	if (errno != EINVAL && errno != ENOSYS)
		return SOTTO_E_IO;
	/* No RENAME_NOREPLACE here: link(2) never replaces either (flags 0:
	 * RENAME_NOREPLACE is no linkat flag, and made every call EINVAL). */
	if (linkat(dl->dirfd, dl->tmp, dl->dirfd, cand, 0) != 0)
		return errno == EEXIST ? SOTTO_E_EXISTS : SOTTO_E_IO;
	(void)unlinkat(dl->dirfd, dl->tmp, 0);
	return 0;
}

/* fsync of the folder. SOTTO_TEST_DL_DIR_FSYNC_FAIL (test hooks only)
 * makes it fail. */
static int
dl_fsync_dir(struct sotto_dl *dl)
{
#ifdef SOTTO_TEST_HOOKS
	if (getenv("SOTTO_TEST_DL_DIR_FSYNC_FAIL") != NULL) {
		errno = EIO;
		return -1;
	}
#endif
	return fsync(dl->dirfd);
}

static void
dl_drop_tmp(struct sotto_dl *dl)
{
	if (dl->tmp_exists)
		(void)unlinkat(dl->dirfd, dl->tmp, 0);
	dl->tmp_exists = 0;
}

static int
dl_verify(struct sotto_dl *dl)
{
	const uint8_t *got;
	int r;

	if (dl->dead)
		return SOTTO_E_IO;
	if (dl->written != dl->size)
		return SOTTO_E_SHORT;
	got = gcry_md_read(dl->md, GCRY_MD_SHA256);
	if (got == NULL || sotto_ct_memcmp(got, dl->want, SOTTO_SHA256_LEN) != 0)
		return SOTTO_E_FORMAT;
	r = fchmod(dl->fd, 0600) != 0 || fsync(dl->fd) != 0 ? SOTTO_E_IO : 0;
	if (close(dl->fd) != 0)
		r = SOTTO_E_IO;
	dl->fd = -1;
	return r;
}

int
sotto_dl_finish(struct sotto_dl *dl, char **path)
{
	char cand[DL_FINAL_LEN];
	size_t n;
	unsigned i;
	int r;

	*path = NULL;
	if ((r = dl_verify(dl)) != 0) {
		dl->dead = 1;
		dl_drop_tmp(dl);
		return r;
	}
	/* The path's room first: once published, nothing may fail. */
	n = strlen(dl->dir) + 1 + DL_FINAL_LEN;
	if ((*path = malloc(n)) == NULL) {
		dl->dead = 1;
		dl_drop_tmp(dl);
		return SOTTO_E_ALLOC;
	}
	r = SOTTO_E_EXISTS;
	for (i = 0; i < SOTTO_DL_TRIES && r == SOTTO_E_EXISTS; i++) {
		dl_candidate(dl->name, i, cand);
		r = dl_publish_as(dl, cand);
	}
	dl->dead = 1;
	if (r != 0) {
		free(*path);
		*path = NULL;
		dl_drop_tmp(dl);
		return r;
	}
	dl->tmp_exists = 0;
	snprintf(*path, n, "%s/%s", dl->dir, cand);
	dl->durable = dl_fsync_dir(dl) == 0;
	return 0;
}

int
sotto_dl_durable(const struct sotto_dl *dl)
{
	return dl->durable;
}

void
sotto_dl_free(struct sotto_dl *dl)
{
	if (dl == NULL)
		return;
	if (dl->fd >= 0)
		close(dl->fd);
	dl_drop_tmp(dl);
	if (dl->dirfd >= 0)
		close(dl->dirfd);
	if (dl->md != NULL)
		gcry_md_close(dl->md);
	free(dl->dir);
	free(dl);
}

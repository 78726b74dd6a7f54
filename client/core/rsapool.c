/* SPDX-License-Identifier: ISC */
/* rsapool.c: a test-only source of ready-made RSA-4096 session keys, leased for the life of the process, so test runs spend no CPU on prime searches; compiled in only with SOTTO_TEST_HOOKS (never in a build for users).
 *
 * One RSA-4096 generation costs ~1 s of CPU natively and about a minute
 * under valgrind, and every client makes two (one for the session, one
 * spare for a reconnect): in the test stages that was most of the CPU,
 * all of it libgcrypt's prime search, not code of ours. With
 * SOTTO_TEST_RSA_POOL=DIR set, rsagen's worker first leases one file
 * "key-*" of DIR, written by the test tool tests/lib/rsapool.c (one
 * libgcrypt s-expression per file): it opens the file and takes an
 * exclusive flock, which it keeps until the process ends (the kernel drops
 * it then, even on SIGKILL). So no two live sessions, in one process or
 * in two, ever hold the same key; a key is used again only by a later
 * process. A pool whose keys are all leased, a missing one, or a file that
 * is not a good key falls back to making a key, as a build without the
 * hooks always does. The pool is a folder the test harness wrote, not user
 * input; the key still goes through sotto_rsa_import's checks.
 */
#include "core.h"
#include "crypto.h"

#ifdef SOTTO_TEST_HOOKS
#include <dirent.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define RSAPOOL_FILE_MAX 16384  /* a 4096-bit key-data s-expression is ~2.5 KiB */

/* Reads the leased file into secure memory and imports it. */
static struct sotto_rsa *
load_key(int fd)
{
	struct sotto_rsa *key = NULL;
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = gcry_malloc_secure(RSAPOOL_FILE_MAX)) == NULL)
		return NULL;
	while (len < RSAPOOL_FILE_MAX &&
	    (n = pread(fd, buf + len, RSAPOOL_FILE_MAX - len, (off_t)len)) > 0)
		len += (size_t)n;
	if (len > 0 && len < RSAPOOL_FILE_MAX &&
	    sotto_rsa_import(&key, buf, len) != 0)
		key = NULL;
	sotto_wipe(buf, RSAPOOL_FILE_MAX);
	gcry_free(buf);
	return key;
}

/* Leases pool file `name`: its key, with the lock (and so the descriptor)
 * kept until the process ends; NULL if another session holds it or it is
 * not a good key. */
static struct sotto_rsa *
lease(int dirfd, const char *name)
{
	struct sotto_rsa *key;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return NULL;
	}
	if ((key = load_key(fd)) == NULL)
		close(fd);      /* a bad file: every taker skips it */
	return key;             /* fd stays open on purpose: the lease */
}

struct sotto_rsa *
rsapool_take(void)
{
	const char *dir = getenv("SOTTO_TEST_RSA_POOL");
	struct sotto_rsa *key = NULL;
	struct dirent *e;
	DIR *d;

	if (dir == NULL || *dir == '\0' || (d = opendir(dir)) == NULL)
		return NULL;
	while (key == NULL && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "key-", 4) == 0)
			key = lease(dirfd(d), e->d_name);
	closedir(d);
	return key;
}
#else
struct sotto_rsa *
rsapool_take(void)
{
	return NULL;
}
#endif

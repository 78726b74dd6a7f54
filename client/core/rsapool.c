/* SPDX-License-Identifier: ISC */
/* rsapool.c: a test-only source of ready-made RSA-4096 session keys, so memcheck runs spend no minute per prime search; compiled in only with SOTTO_TEST_HOOKS (never in a build for users).
 *
 * Under valgrind one RSA-4096 generation costs about a minute of CPU (2 s
 * natively), nearly all of it libgcrypt's prime search, which is not the
 * code memcheck is there to check. With SOTTO_TEST_RSA_POOL=DIR set,
 * rsagen's worker first claims one file "key-*" of DIR, written by the
 * test tool tests/lib/rsapool.c (one libgcrypt s-expression per file): it
 * renames the file to a name of its own first, so two processes or
 * threads never get the same key, then reads, checks and deletes it. A
 * missing or empty pool, or a file that is not a good key, falls back to
 * making a key, as a build without the hooks always does. The pool is a
 * folder the test harness wrote, not user input; the key still goes
 * through sotto_rsa_import's checks.
 */
#include "core.h"
#include "crypto.h"

#ifdef SOTTO_TEST_HOOKS
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSAPOOL_FILE_MAX 16384  /* a 4096-bit key-data s-expression is ~4 KiB */

/* Reads the claimed file into secure memory and imports it. */
static struct sotto_rsa *
load_key(const char *path)
{
	struct sotto_rsa *key = NULL;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if ((buf = gcry_malloc_secure(RSAPOOL_FILE_MAX)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len < RSAPOOL_FILE_MAX &&
	    (n = read(fd, buf + len, RSAPOOL_FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len > 0 && len < RSAPOOL_FILE_MAX &&
	    sotto_rsa_import(&key, buf, len) != 0)
		key = NULL;
	sotto_wipe(buf, RSAPOOL_FILE_MAX);
	gcry_free(buf);
	return key;
}

/* Claims one pool file by renaming it to a name no other claimant uses. */
static int
claim(const char *dir, const char *name, char *out, size_t outsz)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static unsigned seq;
	char from[4096];
	unsigned n;

	pthread_mutex_lock(&mu);
	n = seq++;
	pthread_mutex_unlock(&mu);
	if (snprintf(from, sizeof(from), "%s/%s", dir, name) >= (int)sizeof(from) ||
	    snprintf(out, outsz, "%s/taken-%ld-%u", dir, (long)getpid(), n) >= (int)outsz)
		return -1;
	return rename(from, out);
}

struct sotto_rsa *
rsapool_take(void)
{
	const char *dir = getenv("SOTTO_TEST_RSA_POOL");
	struct sotto_rsa *key = NULL;
	struct dirent *e;
	char path[4096];
	DIR *d;

	if (dir == NULL || *dir == '\0' || (d = opendir(dir)) == NULL)
		return NULL;
	while (key == NULL && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "key-", 4) != 0 ||
		    claim(dir, e->d_name, path, sizeof(path)) != 0)
			continue;       /* another claimant won it */
		key = load_key(path);
		unlink(path);
	}
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

/* SPDX-License-Identifier: ISC */
/* test_rsapool.c: the test-only session key pool (client/core/rsapool.c): each key file goes to exactly one taker, also with takers racing; a file that is not a key is dropped, never used; no pool or an empty one gives NULL, so rsagen makes a key. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core.h"
#include "crypto.h"
#include "fixed_rsa.h"

#define RACERS 6

static char pool[] = "/tmp/sotto-rsapool-XXXXXX";

static void
put(const char *name, const char *text, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pool, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len);
	close(fd);
}

static size_t
files_left(void)
{
	DIR *d = opendir(pool);
	struct dirent *e;
	size_t n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void *
racer(void *arg)
{
	struct sotto_rsa *k = rsapool_take();

	sotto_rsa_free(k);
	return k != NULL ? arg : NULL;
}

static void
test_each_key_once(void)
{
	struct sotto_rsa *a, *b;

	put("key-1", fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1);
	put("key-2", fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1);
	put("other", "not a pool file", 15);
	CHECK((a = rsapool_take()) != NULL);
	CHECK((b = rsapool_take()) != NULL);
	CHECK(rsapool_take() == NULL);        /* empty: the caller makes one */
	CHECK_EQ(files_left(), 1);            /* only "other", never claimed */
	sotto_rsa_free(a);
	sotto_rsa_free(b);
}

static void
test_bad_file_dropped(void)
{
	char broken[sizeof(fixed_rsa_sexp)];

	memcpy(broken, fixed_rsa_sexp, sizeof(broken));
	broken[200] ^= 1;                     /* n no longer p*q */
	put("key-bad", broken, sizeof(broken) - 1);
	put("key-junk", "(junk)", 6);
	CHECK(rsapool_take() == NULL);
	CHECK_EQ(files_left(), 1);
}

static void
test_racing_takers(void)
{
	pthread_t t[RACERS];
	void *got;
	int i, won = 0;

	put("key-r1", fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1);
	put("key-r2", fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1);
	for (i = 0; i < RACERS; i++)
		CHECK(pthread_create(&t[i], NULL, racer, pool) == 0);
	for (i = 0; i < RACERS; i++) {
		CHECK(pthread_join(t[i], &got) == 0);
		won += got != NULL;
	}
	CHECK_EQ(won, 2);
	CHECK_EQ(files_left(), 1);
}

static int
remove_other(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/other", pool);
	return unlink(path);
}

int
main(void)
{
	CHECK(sotto_crypto_init() == 0);
	CHECK(mkdtemp(pool) != NULL);
	unsetenv("SOTTO_TEST_RSA_POOL");
	CHECK(rsapool_take() == NULL);        /* no pool */
	setenv("SOTTO_TEST_RSA_POOL", pool, 1);
	test_each_key_once();
	test_bad_file_dropped();
	test_racing_takers();
	CHECK(remove_other() == 0 && rmdir(pool) == 0);
	return check_summary();
}

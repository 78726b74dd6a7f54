/* SPDX-License-Identifier: ISC */
/* test_rsapool.c: the test-only session key pool (client/core/rsapool.c): a key is leased to one live session at a time, also with takers racing, and freed for a later process when its holder ends (even by SIGKILL); a file that is not a good key is never used; no pool or an exhausted one gives NULL, so rsagen makes a key. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core.h"
#include "crypto.h"
#include "fixed_rsa.h"

#define RACERS 6

static char base[] = "/tmp/sotto-rsapool-XXXXXX";

/* A fresh pool folder under base with `keys` good key files in it. */
static void
pool_with(const char *sub, int keys)
{
	char dir[256], path[300];
	int i, fd;

	snprintf(dir, sizeof(dir), "%s/%s", base, sub);
	CHECK(mkdir(dir, 0700) == 0);
	for (i = 0; i < keys; i++) {
		snprintf(path, sizeof(path), "%s/key-%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		CHECK(fd >= 0 && write(fd, fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1) ==
		    (ssize_t)(sizeof(fixed_rsa_sexp) - 1));
		close(fd);
	}
	setenv("SOTTO_TEST_RSA_POOL", dir, 1);
}

static void
put(const char *name, const char *text, size_t len)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", getenv("SOTTO_TEST_RSA_POOL"), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len);
	close(fd);
}

/* 1 when a child process gets a key from the pool now. */
static int
child_gets_key(void)
{
	int st;
	pid_t p = fork();

	if (p == 0)
		_exit(rsapool_take() != NULL);
	CHECK(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_one_holder_at_a_time(void)
{
	struct sotto_rsa *a, *b;
	pid_t holder;
	int st, ready[2];
	char c;

	pool_with("one", 2);
	put("other", "not a pool file", 15);
	/* A child leases one key and is then killed: its lease ends with it. */
	CHECK(pipe(ready) == 0);
	if ((holder = fork()) == 0) {
		struct sotto_rsa *k = rsapool_take();

		(void)!write(ready[1], k != NULL ? "y" : "n", 1);
		pause();
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
	CHECK((a = rsapool_take()) != NULL);
	CHECK(rsapool_take() == NULL);        /* one leased here, one there */
	CHECK(kill(holder, SIGKILL) == 0 && waitpid(holder, &st, 0) == holder);
	CHECK((b = rsapool_take()) != NULL);  /* the killed holder's key */
	CHECK(rsapool_take() == NULL);
	CHECK_EQ(child_gets_key(), 0);        /* both held by this process */
	sotto_rsa_free(a);
	sotto_rsa_free(b);
	close(ready[0]);
	close(ready[1]);
}

static void
test_bad_file_never_used(void)
{
	char broken[sizeof(fixed_rsa_sexp)];

	pool_with("bad", 0);
	memcpy(broken, fixed_rsa_sexp, sizeof(broken));
	broken[200] ^= 1;                     /* n no longer p*q */
	put("key-bad", broken, sizeof(broken) - 1);
	put("key-junk", "(junk)", 6);
	put("key-empty", "", 0);
	CHECK(rsapool_take() == NULL);
	CHECK_EQ(child_gets_key(), 0);
}

static void *
racer(void *arg)
{
	struct sotto_rsa *k = rsapool_take();

	sotto_rsa_free(k);
	return k != NULL ? arg : NULL;
}

static void
test_racing_takers(void)
{
	pthread_t t[RACERS];
	void *got;
	int i, won = 0;

	pool_with("race", 2);
	for (i = 0; i < RACERS; i++)
		CHECK(pthread_create(&t[i], NULL, racer, base) == 0);
	for (i = 0; i < RACERS; i++) {
		CHECK(pthread_join(t[i], &got) == 0);
		won += got != NULL;
	}
	CHECK_EQ(won, 2);
}

int
main(void)
{
	char cmd[300];

	CHECK(sotto_crypto_init() == 0);
	CHECK(mkdtemp(base) != NULL);
	unsetenv("SOTTO_TEST_RSA_POOL");
	CHECK(rsapool_take() == NULL);        /* no pool */
	test_one_holder_at_a_time();
	test_bad_file_never_used();
	test_racing_takers();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* keylog.c: a test-only log of every group key this process holds, so a test can prove what a departed member could not decrypt; compiled in only with SOTTO_TEST_KEYLOG (never in release builds).
 *
 * With the option on and SOTTO_TEST_KEYLOG=PATH in the environment, each
 * key the core starts to hold is appended to PATH as one line
 * "epoch <u32> key <64 hex>", and each previous key, when it is wiped,
 * as "wiped epoch <u32> after <seconds> s". This writes secrets to disk
 * on purpose: it exists for the tests under tests/client only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifdef SOTTO_TEST_KEYLOG
void
core_keylog(const struct client *c, const struct sotto_group *g)
{
	static const char hex[] = "0123456789abcdef";
	char line[128];
	const char *path = getenv("SOTTO_TEST_KEYLOG");
	int fd, n;
	size_t i;

	(void)c;
	if (path == NULL || g == NULL)
		return;
	n = snprintf(line, sizeof(line), "epoch %u key ", (unsigned)g->epoch);
	for (i = 0; i < SOTTO_GROUP_KEY; i++) {
		line[n++] = hex[g->key[i] >> 4];
		line[n++] = hex[g->key[i] & 15];
	}
	line[n++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

void
core_keylog_wiped(const struct client *c, const struct sotto_group *g,
    double held)
{
	const char *path = getenv("SOTTO_TEST_KEYLOG");
	char line[96];
	int fd, n;

	(void)c;
	if (path == NULL || g == NULL)
		return;
	n = snprintf(line, sizeof(line), "wiped epoch %u after %.3f s\n",
	    (unsigned)g->epoch, held);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}
#else
void
core_keylog_wiped(const struct client *c, const struct sotto_group *g,
    double held)
{
	(void)c;
	(void)g;
	(void)held;
}

void
core_keylog(const struct client *c, const struct sotto_group *g)
{
	(void)c;
	(void)g;
}
#endif

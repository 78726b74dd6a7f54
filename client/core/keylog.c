/* SPDX-License-Identifier: ISC */
/* keylog.c: a test-only log of every group key this process holds, so a test can prove what a departed member could not decrypt; compiled in only with SOTTO_TEST_KEYLOG (never in release builds).
 *
 * With the option on and SOTTO_TEST_KEYLOG=PATH in the environment, each
 * key the core starts to hold is appended to PATH as one line
 * "epoch <u32> key <64 hex>", each pairwise key of a direct message it
 * makes or accepts as "epoch <u32> dmkey <64 hex>" (dm.c), and each
 * previous key, when it is wiped, as "wiped epoch <u32> after <seconds> s".
 * This writes secrets to disk on purpose: it exists for the tests under
 * tests/client only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifdef SOTTO_TEST_KEYLOG
static void
keylog_append(const char *line, size_t n)
{
	const char *path = getenv("SOTTO_TEST_KEYLOG");
	int fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!write(fd, line, n);
	close(fd);
}

static void
keylog_line(const char *what, uint32_t epoch, const uint8_t key[static 32])
{
	static const char hex[] = "0123456789abcdef";
	char line[128];
	int n;
	size_t i;

	n = snprintf(line, sizeof(line), "epoch %u %s ", (unsigned)epoch, what);
	for (i = 0; i < 32; i++) {
		line[n++] = hex[key[i] >> 4];
		line[n++] = hex[key[i] & 15];
	}
	line[n++] = '\n';
	keylog_append(line, (size_t)n);
}

void
core_keylog(const struct client *c, const struct sotto_group *g)
{
	(void)c;
	if (g != NULL)
		keylog_line("key", g->epoch, g->key);
}

void
core_keylog_dm(uint32_t epoch, const uint8_t key[static 32])
{
	keylog_line("dmkey", epoch, key);
}

void
core_keylog_wiped(const struct client *c, const struct sotto_group *g,
    double held)
{
	char line[96];
	int n;

	(void)c;
	if (g == NULL)
		return;
	n = snprintf(line, sizeof(line), "wiped epoch %u after %.3f s\n",
	    (unsigned)g->epoch, held);
	if (n > 0 && (size_t)n < sizeof(line))
		keylog_append(line, (size_t)n);
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

void
core_keylog_dm(uint32_t epoch, const uint8_t key[static 32])
{
	(void)epoch;
	(void)key;
}
#endif

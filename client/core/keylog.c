/* SPDX-License-Identifier: ISC */
/* keylog.c: a test-only log of every group key this process holds, so a test can prove what a departed member could not decrypt; compiled in only with SOTTO_TEST_KEYLOG (never in release builds).
 *
 * With the option on and SOTTO_TEST_KEYLOG=PATH in the environment, each
 * key the core starts to hold is appended to PATH as one line
 * "epoch <u32> key <64 hex>", and each pairwise key of a direct message
 * it makes or accepts as "epoch <u32> dmkey <64 hex>" (dm.c). This writes secrets to disk on purpose:
 * it exists for the tests under tests/client only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifdef SOTTO_TEST_KEYLOG
static void
keylog_line(const char *what, uint32_t epoch, const uint8_t key[static 32])
{
	static const char hex[] = "0123456789abcdef";
	char line[128];
	const char *path = getenv("SOTTO_TEST_KEYLOG");
	int fd, n;
	size_t i;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof(line), "epoch %u %s ", (unsigned)epoch, what);
	for (i = 0; i < 32; i++) {
		line[n++] = hex[key[i] >> 4];
		line[n++] = hex[key[i] & 15];
	}
	line[n++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
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
#else
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

/* SPDX-License-Identifier: ISC */
/* keylog.c: a test-only record of the keys this process holds (generation keys and sender chains), so a test can prove what a departed member, a newcomer or a memory dump could not decrypt; compiled in only with SOTTO_TEST_KEYLOG (never in release builds).
 *
 * With the option on:
 *   SOTTO_TEST_KEYLOG=PATH   every time the keys held change, all of them
 *                            are appended to PATH: the union of everything
 *                            this process ever held; also each pairwise key
 *                            of a direct message it makes or accepts (dm.c)
 *                            and, when the previous epoch is wiped, how long
 *                            it was kept after it was replaced;
 *   SOTTO_TEST_KEYDUMP=PATH  PATH is replaced (write, rename) with the keys
 *                            held now: what a memory dump at that moment
 *                            would yield.
 * Lines: "gk EPOCH GEN KEYHEX", "ck EPOCH GEN INDEX IDHEX SESSIONHEX
 * CKHEX", "epoch EPOCH dmkey KEYHEX" and "wiped epoch EPOCH after SECONDS
 * s" (tests/client/keylog_check and test_membership.py read them). This
 * writes secrets to disk on purpose: it exists for the tests under
 * tests/client only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "core.h"
#include "crypto.h"

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

void
core_keylog_dm(uint32_t epoch, const uint8_t key[static 32])
{
	static const char hex[] = "0123456789abcdef";
	char line[128];
	size_t i;
	int n;

	n = snprintf(line, sizeof(line), "epoch %u dmkey ", (unsigned)epoch);
	for (i = 0; i < 32; i++) {
		line[n++] = hex[key[i] >> 4];
		line[n++] = hex[key[i] & 15];
	}
	line[n++] = '\n';
	keylog_append(line, (size_t)n);
	sotto_wipe(line, sizeof(line));
}

void
core_keylog_wiped(uint32_t epoch, double held)
{
	char line[96];
	int n;

	n = snprintf(line, sizeof(line), "wiped epoch %u after %.3f s\n",
	    (unsigned)epoch, held);
	if (n > 0 && (size_t)n < sizeof(line))
		keylog_append(line, (size_t)n);
}

static int
put_hex(struct sotto_wbuf *w, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		char two[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		r = sotto_wbuf_put(w, two, 2);
	}
	return r;
}

static void
log_gen(void *ctx, const struct sotto_genkey *g)
{
	struct sotto_wbuf *w = ctx;
	char head[64];
	int n = snprintf(head, sizeof(head), "gk %u %u ", (unsigned)g->epoch,
	    (unsigned)g->gen);

	(void)(sotto_wbuf_put(w, head, (size_t)n) != 0 ||
	    put_hex(w, g->key, sizeof(g->key)) != 0 ||
	    sotto_wbuf_put(w, "\n", 1) != 0);
}

static void
log_chain(void *ctx, const struct sotto_chain *ch)
{
	struct sotto_wbuf *w = ctx;
	char head[64];
	int n = snprintf(head, sizeof(head), "ck %u %u %u ", (unsigned)ch->epoch,
	    (unsigned)ch->gen, (unsigned)ch->index);

	(void)(sotto_wbuf_put(w, head, (size_t)n) != 0 ||
	    put_hex(w, ch->id_pub, sizeof(ch->id_pub)) != 0 ||
	    sotto_wbuf_put(w, " ", 1) != 0 ||
	    put_hex(w, ch->session, sizeof(ch->session)) != 0 ||
	    sotto_wbuf_put(w, " ", 1) != 0 ||
	    put_hex(w, ch->ck, sizeof(ch->ck)) != 0 ||
	    sotto_wbuf_put(w, "\n", 1) != 0);
}

static void
write_all(const char *path, int flags, const struct sotto_wbuf *w)
{
	int fd;

	if ((fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	(void)!write(fd, w->p, w->len);
	close(fd);
}

void
core_keylog(const struct client *c, bool changed)
{
	const char *log = changed ? getenv("SOTTO_TEST_KEYLOG") : NULL;
	const char *dump = getenv("SOTTO_TEST_KEYDUMP");
	struct sotto_wbuf w;
	char tmp[4096];

	if ((log == NULL && dump == NULL) || c->kr == NULL)
		return;
	sotto_wbuf_init(&w, 0);
	sotto_keyring_visit(c->kr, log_gen, log_chain, &w);
	if (log != NULL && w.len > 0)
		write_all(log, O_APPEND, &w);
	if (dump != NULL && snprintf(tmp, sizeof(tmp), "%s.tmp", dump) <
	    (int)sizeof(tmp)) {
		write_all(tmp, O_TRUNC, &w);
		(void)rename(tmp, dump);
	}
	sotto_wipe(w.p, w.len);
	sotto_wbuf_free(&w);
}
#else
void
core_keylog_wiped(uint32_t epoch, double held)
{
	(void)epoch;
	(void)held;
}

void
core_keylog(const struct client *c, bool changed)
{
	(void)c;
	(void)changed;
}

void
core_keylog_dm(uint32_t epoch, const uint8_t key[static 32])
{
	(void)epoch;
	(void)key;
}
#endif

/* SPDX-License-Identifier: ISC */
/* histbench.c: what the encrypted history costs: messages/s a client accepts with history on and off, database size per 100,000 messages, start-up time with 1 M stored messages.
 *
 * usage: sotto-histbench [-d DIR] [-n MESSAGES] [-s STARTUP_ROWS] [-r RUNS] [-t TEXT_BYTES]
 *
 * Accept rate: the client's receive path for one DAT (parse, Ed25519
 * verify, AES-256-GCM open, unpad: cb_ops.c, the same code the crypto
 * benchmark times) with and without storing the message (history_add: one
 * sealed row, its own WAL transaction, as the client does before showing
 * it). Each run accepts MESSAGES messages in batches; the figure is the
 * median over RUNS runs with the range.
 *
 * Size: the database file (after the WAL is checkpointed at close) per
 * 100,000 messages of TEXT_BYTES bytes, sender name and fingerprint.
 *
 * Start-up: a database of STARTUP_ROWS rows is built once, then each run
 * times history_open (schema check, key unwrap, size sum, retention) plus
 * history_last of 200 lines, which is what the client does at start.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cb_ops.h"
#include "crypto.h"
#include "history.h"

#define BATCH       1000u
#define RESTORE_N   200u

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this (single-threaded) process, user and system: the
 * figure a busy machine does not move, unlike wall time. */
static double
cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
summary(const char *what, double *v, int n, const char *unit)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	printf("%-44s %12.1f %s  (range %.1f .. %.1f, %d runs)\n", what, v[n / 2],
	    unit, v[0], v[n - 1], n);
}

static struct history *
open_db(const char *path, const uint8_t *root)
{
	struct history *h = NULL;
	char err[HISTORY_ERR_LEN];

	if (history_open(&h, path, root, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "histbench: %s\n", err);
		return NULL;
	}
	return h;
}

static void
remove_db(const char *path)
{
	char p[1200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static struct history_entry
entry(const char *text, size_t text_len)
{
	struct history_entry e = {
		.ts_ms = wall_ms(), .kind = HISTORY_MSG, .name = (char *)"alice",
		.fpr = (char *)"SHA256:KiB1VC6gTn9w811/MffUKv1CAseg1dW9wWBMHsrF76w",
		.text = (char *)text, .text_len = text_len,
	};

	return e;
}

/* Messages accepted per second, history off (h NULL) or on; *per_cpu
 * gets messages per CPU-second. -1 on failure. */
static double
accept_rate(struct cb_side *s, struct history *h, const char *text,
    size_t text_len, size_t n, double *per_cpu)
{
	struct history_entry e = entry(text, text_len);
	double t, c, total = 0, cpu = 0;
	size_t done, i, b;

	for (done = 0; done < n; done += b) {
		b = n - done < BATCH ? n - done : BATCH;
		if (cb_build(s, b) != 0)
			return -1;
		t = now_s();
		c = cpu_s();
		if (cb_accept(s, b) != 0)
			return -1;
		for (i = 0; h != NULL && i < b; i++)
			if (history_add(h, "bench", &e) != 0)
				return -1;
		cpu += cpu_s() - c;
		total += now_s() - t;
	}
	*per_cpu = (double)n / cpu;
	return (double)n / total;
}

static int
bench_accept(const char *dir, const uint8_t *root, size_t n, int runs,
    size_t text_len, double *bytes_per_100k)
{
	double off[64], on[64], ratio[64], coff[64], con[64], cratio[64];
	char path[1100], *text;
	struct cb_side *s;
	struct history *h;
	struct stat st;
	uint64_t rows;
	int r;

	if ((text = malloc(text_len + 1)) == NULL ||
	    (s = cb_sotto_new(text_len, BATCH)) == NULL)
		return -1;
	memset(text, 'x', text_len);
	text[text_len] = '\0';
	snprintf(path, sizeof(path), "%s/accept.db", dir);
	for (r = 0; r < runs; r++) {
		remove_db(path);
		if ((h = open_db(path, root)) == NULL)
			return -1;
		/* alternate which goes first, so drift hits both alike */
		if (r % 2 == 0) {
			off[r] = accept_rate(s, NULL, text, text_len, n, &coff[r]);
			on[r] = accept_rate(s, h, text, text_len, n, &con[r]);
		} else {
			on[r] = accept_rate(s, h, text, text_len, n, &con[r]);
			off[r] = accept_rate(s, NULL, text, text_len, n, &coff[r]);
		}
		if (off[r] <= 0 || on[r] <= 0 || history_count(h, NULL, &rows) != 0 ||
		    rows != n)
			return -1;
		ratio[r] = off[r] / on[r];
		cratio[r] = coff[r] / con[r];
		history_free(h);
		if (stat(path, &st) != 0)
			return -1;
		*bytes_per_100k = (double)st.st_size * 100000.0 / (double)n;
	}
	printf("accept of a DAT with %zu B of text, %zu messages per run:\n",
	    text_len, n);
	summary("  history off", off, runs, "msg/s");
	summary("  history on", on, runs, "msg/s");
	summary("  cost ratio off/on (target <= 1.2)", ratio, runs, "x");
	summary("  history off, per CPU-second", coff, runs, "msg");
	summary("  history on, per CPU-second", con, runs, "msg");
	summary("  CPU cost ratio off/on (target <= 1.2)", cratio, runs, "x");
	remove_db(path);
	cb_side_free(s);
	free(text);
	return 0;
}

static int
bench_startup(const char *dir, const uint8_t *root, size_t rows, int runs,
    size_t text_len)
{
	struct history_list l;
	struct history *h;
	struct history_entry e;
	char path[1100], *text;
	double t, v[64], build;
	struct stat st;
	size_t i;
	int r;

	if ((text = malloc(text_len + 1)) == NULL)
		return -1;
	memset(text, 'y', text_len);
	text[text_len] = '\0';
	e = entry(text, text_len);
	snprintf(path, sizeof(path), "%s/startup.db", dir);
	remove_db(path);
	if ((h = open_db(path, root)) == NULL)
		return -1;
	t = now_s();
	for (i = 0; i < rows; i++)
		if (history_add(h, i % 10 ? "bench" : "other", &e) != 0)
			return -1;
	build = now_s() - t;
	history_free(h);
	if (stat(path, &st) != 0)
		return -1;
	printf("database of %zu rows: built in %.1f s (%.0f rows/s stored), "
	    "%.1f MB\n", rows, build, (double)rows / build,
	    (double)st.st_size / 1e6);
	for (r = 0; r < runs; r++) {
		t = now_s();
		if ((h = open_db(path, root)) == NULL ||
		    history_last(h, "bench", RESTORE_N, &l) != 0 || l.n != RESTORE_N)
			return -1;
		v[r] = (now_s() - t) * 1000.0;
		history_list_free(&l);
		history_free(h);
	}
	summary("start-up: open + last 200 lines", v, runs, "ms");
	remove_db(path);
	free(text);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = "/tmp";
	size_t n = 100000, rows = 1000000, text_len = 80;
	uint8_t root[HISTORY_ROOT_LEN];
	double per100k = 0;
	char tmp[1024];
	int opt, runs = 5;

	while ((opt = getopt(argc, argv, "d:n:s:r:t:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 's': rows = strtoul(optarg, NULL, 10); break;
		case 'r': runs = atoi(optarg); break;
		case 't': text_len = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: sotto-histbench [-d DIR] [-n MESSAGES] "
			    "[-s STARTUP_ROWS] [-r RUNS] [-t TEXT_BYTES]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 64 || n < 1 || rows < RESTORE_N ||
	    text_len > HISTORY_TEXT_MAX || sotto_crypto_init() != 0)
		return 2;
	snprintf(tmp, sizeof(tmp), "%s/sotto-histbench-XXXXXX", dir);
	if (mkdtemp(tmp) == NULL) {
		perror("histbench: mkdtemp");
		return 1;
	}
	sotto_random(root, sizeof(root));
	if (bench_accept(tmp, root, n, runs, text_len, &per100k) != 0) {
		fprintf(stderr, "histbench: accept benchmark failed\n");
		return 1;
	}
	printf("database size per 100,000 messages (%zu B text): %.2f MB "
	    "(%.0f B per message)\n", text_len, per100k / 1e6, per100k / 1e5);
	if (bench_startup(tmp, root, rows, runs, text_len) != 0) {
		fprintf(stderr, "histbench: start-up benchmark failed\n");
		return 1;
	}
	rmdir(tmp);
	return 0;
}

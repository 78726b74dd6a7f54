/* SPDX-License-Identifier: ISC */
/* cryptobench.c: sotto-cryptobench: per-message cost of building and accepting a DAT next to the bare libgcrypt primitives, and RSA-4096 generation time. */
#include <errno.h>
#include <gcrypt.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cb_ops.h"
#include "crypto.h"
#include "wire.h"

#define CB_MAX_SIZES  8
#define CB_MAX_REPS   64
#define CB_MIN_BATCH  8u
#define CB_MAX_BATCH  4096u

struct cb_opts {
	size_t   sizes[CB_MAX_SIZES];
	unsigned n_sizes;
	unsigned reps;
	double   min_time;    /* seconds per timed batch */
	unsigned rsa;         /* RSA-4096 generations to time */
	int      json;
};

/* Medians over repetitions, in microseconds per message. */
struct cb_row {
	size_t size;
	size_t batch;
	double build[CB_MAX_REPS], accept[CB_MAX_REPS];
	double bare_build[CB_MAX_REPS], bare_accept[CB_MAX_REPS];
	double ratio[CB_MAX_REPS];
	double prim[CB_NPRIM][CB_MAX_REPS];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 { double med, min, max; };

static struct stat3 stat3(const double *v, unsigned n)
{
	double s[CB_MAX_REPS];
	struct stat3 r;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: sotto-cryptobench [--sizes 64,256,1024,16384] [--reps N] [--min-time S]\n"
"         [--rsa N] [--json]\n"
"Per message: sotto's DAT build (pad, seal, sign) and accept (parse, verify,\n"
"open, unpad) against the same libgcrypt work done directly; then N timed\n"
"RSA-4096 key generations.\n");
}

static int parse_sizes(const char *s, struct cb_opts *o)
{
	char *end;
	unsigned long v;

	o->n_sizes = 0;
	for (;;) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno != 0 || v > SOTTO_TEXT_MAX ||
		    o->n_sizes == CB_MAX_SIZES || (*end != ',' && *end != '\0')) {
			fprintf(stderr, "sotto-cryptobench: --sizes: '%s': want up to %d "
			    "sizes 0..%u, comma-separated\n", s, CB_MAX_SIZES, SOTTO_TEXT_MAX);
			return -1;
		}
		o->sizes[o->n_sizes++] = v;
		if (*end == '\0')
			return 0;
		s = end + 1;
	}
}

static int parse_num(const char *name, const char *s, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(*v >= 0) || *v > max) {
		fprintf(stderr, "sotto-cryptobench: %s '%s': expected 0..%g\n", name, s, max);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct cb_opts *o)
{
	static const struct option lopts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "min-time", required_argument, NULL, 't' },
		{ "rsa", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int ch;

	*o = (struct cb_opts){ .sizes = { 64, 256, 1024, 16384 }, .n_sizes = 4,
	    .reps = 5, .min_time = 0.2, .rsa = 5 };
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_sizes(optarg, o) != 0)
				return -1;
			break;
		case 'r':
			if (parse_num("--reps", optarg, CB_MAX_REPS, &v) != 0 || v < 1)
				return -1;
			o->reps = (unsigned)v;
			break;
		case 't':
			if (parse_num("--min-time", optarg, 60, &o->min_time) != 0)
				return -1;
			break;
		case 'R':
			if (parse_num("--rsa", optarg, 1000, &v) != 0)
				return -1;
			o->rsa = (unsigned)v;
			break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Messages per timed batch so one batch lasts about min_time. */
static size_t calibrate(size_t size, double min_time)
{
	struct cb_side *s = cb_sotto_new(size, CB_MIN_BATCH);
	double t0, per;
	size_t n = CB_MIN_BATCH;

	if (s == NULL)
		return 0;
	t0 = now_s();
	if (cb_build(s, n) != 0 || cb_accept(s, n) != 0) {
		cb_side_free(s);
		return 0;
	}
	per = (now_s() - t0) / (double)n;
	cb_side_free(s);
	n = per > 0 ? (size_t)(min_time / per) : CB_MAX_BATCH;
	return n < CB_MIN_BATCH ? CB_MIN_BATCH : n > CB_MAX_BATCH ? CB_MAX_BATCH : n;
}

/* One repetition of one side: us per message for build and for accept. */
static int time_side(struct cb_side *s, size_t n, double *build, double *accept)
{
	double t0 = now_s(), t1, t2;

	if (cb_build(s, n) != 0)
		return -1;
	t1 = now_s();
	if (cb_accept(s, n) != 0)
		return -1;
	t2 = now_s();
	*build = (t1 - t0) * 1e6 / (double)n;
	*accept = (t2 - t1) * 1e6 / (double)n;
	return 0;
}

/* Sides alternate first place each repetition, so a slow stretch of the
 * shared machine does not fall on one of them only. */
static int bench_size(const struct cb_opts *o, struct cb_row *row)
{
	struct cb_side *sotto, *bare;
	unsigned rep, p;
	int r = 0;

	if ((row->batch = calibrate(row->size, o->min_time)) == 0)
		return -1;
	sotto = cb_sotto_new(row->size, row->batch);
	bare = cb_bare_new(row->size, row->batch < 2 ? 2 : row->batch);
	if (sotto == NULL || bare == NULL)
		r = -1;
	for (rep = 0; r == 0 && rep < o->reps; rep++) {
		if (rep % 2 == 0)
			r = time_side(sotto, row->batch, &row->build[rep], &row->accept[rep]) ||
			    time_side(bare, row->batch, &row->bare_build[rep], &row->bare_accept[rep]);
		else
			r = time_side(bare, row->batch, &row->bare_build[rep], &row->bare_accept[rep]) ||
			    time_side(sotto, row->batch, &row->build[rep], &row->accept[rep]);
		row->ratio[rep] = (row->build[rep] + row->accept[rep]) /
		    (row->bare_build[rep] + row->bare_accept[rep]);
		for (p = 0; r == 0 && p < CB_NPRIM; p++) {
			double t0 = now_s();

			r = cb_prim_run(bare, (enum cb_prim)p, row->batch);
			row->prim[p][rep] = (now_s() - t0) * 1e6 / (double)row->batch;
		}
	}
	cb_side_free(sotto);
	cb_side_free(bare);
	return r == 0 ? 0 : -1;
}

static void json_stat(const char *key, const double *v, unsigned n, int comma)
{
	struct stat3 s = stat3(v, n);

	printf("\"%s\":{\"med\":%.3f,\"min\":%.3f,\"max\":%.3f}%s", key, s.med,
	    s.min, s.max, comma ? "," : "");
}

static void report_json(const struct cb_opts *o, const struct cb_row *rows,
    const double *rsa)
{
	unsigned i, p;

	printf("{\"libgcrypt\":\"%s\",\"reps\":%u,\"sizes\":[", gcry_check_version(NULL),
	    o->reps);
	for (i = 0; i < o->n_sizes; i++) {
		const struct cb_row *w = &rows[i];

		printf("%s{\"size\":%zu,\"batch\":%zu,", i ? "," : "", w->size, w->batch);
		json_stat("build_us", w->build, o->reps, 1);
		json_stat("accept_us", w->accept, o->reps, 1);
		json_stat("bare_build_us", w->bare_build, o->reps, 1);
		json_stat("bare_accept_us", w->bare_accept, o->reps, 1);
		json_stat("ratio", w->ratio, o->reps, 1);
		printf("\"prim_us\":{");
		for (p = 0; p < CB_NPRIM; p++)
			json_stat(cb_prim_name((enum cb_prim)p), w->prim[p], o->reps,
			    p + 1 < CB_NPRIM);
		printf("}}");
	}
	printf("],\"rsa4096_s\":[");
	for (i = 0; i < o->rsa; i++)
		printf("%s%.3f", i ? "," : "", rsa[i]);
	printf("]}\n");
}

static void report_text(const struct cb_opts *o, const struct cb_row *rows,
    const double *rsa)
{
	unsigned i;

	printf("libgcrypt %s; medians of %u repetitions, us per message\n",
	    gcry_check_version(NULL), o->reps);
	printf("%8s %9s %9s %9s %9s %7s\n", "size", "build", "accept",
	    "bare-bld", "bare-acc", "ratio");
	for (i = 0; i < o->n_sizes; i++) {
		const struct cb_row *w = &rows[i];

		printf("%8zu %9.2f %9.2f %9.2f %9.2f %7.3f\n", w->size,
		    stat3(w->build, o->reps).med, stat3(w->accept, o->reps).med,
		    stat3(w->bare_build, o->reps).med, stat3(w->bare_accept, o->reps).med,
		    stat3(w->ratio, o->reps).med);
	}
	for (i = 0; i < o->rsa; i++)
		printf("RSA-4096 generation %u: %.3f s\n", i + 1, rsa[i]);
}

int main(int argc, char **argv)
{
	struct cb_opts o;
	struct cb_row *rows;
	double *rsa;
	unsigned i;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, "sotto-cryptobench: libgcrypt initialisation failed\n");
		return 1;
	}
	rows = calloc(o.n_sizes, sizeof(*rows));
	rsa = calloc(o.rsa ? o.rsa : 1, sizeof(*rsa));
	if (rows == NULL || rsa == NULL)
		return 1;
	for (i = 0; i < o.n_sizes; i++) {
		rows[i].size = o.sizes[i];
		if (bench_size(&o, &rows[i]) != 0) {
			fprintf(stderr, "sotto-cryptobench: %zu-byte messages: an "
			    "operation failed\n", o.sizes[i]);
			return 1;
		}
	}
	for (i = 0; i < o.rsa; i++) {
		double t0 = now_s();

		if (cb_rsa4096() != 0) {
			fprintf(stderr, "sotto-cryptobench: RSA-4096 generation failed\n");
			return 1;
		}
		rsa[i] = now_s() - t0;
	}
	if (o.json)
		report_json(&o, rows, rsa);
	else
		report_text(&o, rows, rsa);
	free(rows);
	free(rsa);
	return 0;
}

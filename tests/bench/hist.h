/* SPDX-License-Identifier: ISC */
/* hist.h: a log-linear latency histogram (about 1.6% resolution, exact max) for the benchmark tools. */
#ifndef SOTTO_BENCH_HIST_H
#define SOTTO_BENCH_HIST_H

#include <stdint.h>

/* 2^HIST_SUB buckets per power of two keeps the relative error of a
 * reported percentile under 2^-HIST_SUB, enough for p99 comparisons. */
#define HIST_SUB      6u
#define HIST_EXPS     42u                       /* values up to 2^42 ns, ~73 min */
#define HIST_BUCKETS  (HIST_EXPS << HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t sum;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* Fold b into a (both must have been filled by hist_add). */
void hist_merge(struct hist *a, const struct hist *b);
/* The value at quantile q (0..1): the upper bound of the bucket that holds
 * it, clamped to the exact maximum. 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif

/* SPDX-License-Identifier: ISC */
/* hist.c: log-linear histogram: bucket = (power of two, top HIST_SUB mantissa bits). */
#include <string.h>

#include "hist.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

static unsigned hist_index(uint64_t v)
{
	unsigned e, idx;

	if (v < (1u << HIST_SUB))
		return (unsigned)v;       /* exact below 64 ns */
	e = 63u - (unsigned)__builtin_clzll(v);   /* e >= HIST_SUB */
	idx = ((e - HIST_SUB + 1u) << HIST_SUB) |
	    (unsigned)((v >> (e - HIST_SUB)) & ((1u << HIST_SUB) - 1u));
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1u;
}

/* Largest value that falls into bucket idx. */
static uint64_t hist_upper(unsigned idx)
{
	unsigned group = idx >> HIST_SUB, sub = idx & ((1u << HIST_SUB) - 1u);
	unsigned e;

	if (group == 0)
		return idx;
	e = group + HIST_SUB - 1u;
	return (((uint64_t)1 << e) | ((uint64_t)sub << (e - HIST_SUB))) +
	    ((uint64_t)1 << (e - HIST_SUB)) - 1u;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *a, const struct hist *b)
{
	unsigned i;

	for (i = 0; i < HIST_BUCKETS; i++)
		a->bucket[i] += b->bucket[i];
	a->count += b->count;
	a->sum += b->sum;
	if (b->max > a->max)
		a->max = b->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, up;
	unsigned i;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		q = 0;
	rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > rank) {
			up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

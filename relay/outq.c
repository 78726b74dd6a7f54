/* SPDX-License-Identifier: ISC */
/* outq.c: reference-counted frame buffers and the per-connection output queue. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "outq.h"

#define OUTQ_MAX_CAP  (1u << 30)

struct fb *fb_new(size_t len)
{
	struct fb *f;

	if (len > UINT32_MAX || len > SIZE_MAX - sizeof(*f))
		return NULL;
	if ((f = malloc(sizeof(*f) + len)) == NULL)
		return NULL;
	f->refs = 1;
	f->len = (uint32_t)len;
	f->live = 0;
	f->src = NULL;
	return f;
}

struct fb *fb_copy(const void *p, size_t len)
{
	struct fb *f;

	if ((f = fb_new(len)) != NULL)
		memcpy(f->data, p, len);
	return f;
}

void fb_ref(struct fb *f)
{
	f->refs++;
}

void fb_unref(struct fb *f)
{
	if (f != NULL && --f->refs == 0) {
		fb_src_unref(f->src);
		free(f);
	}
}

struct fb_src *fb_src_new(void (*resume)(void *), void *arg)
{
	struct fb_src *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->refs = 1;
	s->resume = resume;
	s->arg = arg;
	return s;
}

void fb_src_unref(struct fb_src *s)
{
	if (s != NULL && --s->refs == 0)
		free(s);
}

void fb_set_src(struct fb *f, struct fb_src *src)
{
	f->src = src;
	src->refs++;
}

/* A counted queue took f. */
static void fb_live_inc(struct fb *f)
{
	if (f->live++ == 0 && f->src != NULL)
		f->src->queued += f->len;
}

/* A counted queue let go of f: its source may go on. */
static void fb_live_dec(struct fb *f)
{
	struct fb_src *s = f->src;

	if (--f->live != 0 || s == NULL)
		return;
	s->queued -= f->len;
	if (s->paused && s->queued <= s->low && s->arg != NULL) {
		s->paused = 0;
		s->resume(s->arg);
	}
}

void outq_init(struct outq *q)
{
	memset(q, 0, sizeof(*q));
}

/* Double the ring, unwrapping it so the oldest frame sits in slot 0. */
static int outq_grow(struct outq *q)
{
	uint32_t cap = q->cap ? q->cap * 2 : OUTQ_MIN_CAP;
	struct fb **ring;
	uint32_t i;

	if (q->cap >= OUTQ_MAX_CAP)
		return SOTTO_E_ALLOC;
	if ((ring = calloc(cap, sizeof(*ring))) == NULL)
		return SOTTO_E_ALLOC;
	for (i = 0; i < q->n; i++)
		ring[i] = q->ring[(q->head + i) & (q->cap - 1)];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int outq_push(struct outq *q, struct fb *f)
{
	int r;

	if (q->n == q->cap && (r = outq_grow(q)) != 0)
		return r;
	q->ring[(q->head + q->n) & (q->cap - 1)] = f;
	q->n++;
	q->bytes += f->len;
	fb_ref(f);
	if (!q->stalled)
		fb_live_inc(f);
	return 0;
}

int outq_iov(const struct outq *q, struct iovec *iov, int max, size_t *total)
{
	uint32_t i, skip;
	int k = 0;

	*total = 0;
	for (i = 0; i < q->n && k < max; i++) {
		const struct fb *f = q->ring[(q->head + i) & (q->cap - 1)];

		skip = i == 0 ? q->off : 0;
		iov[k].iov_base = (void *)(f->data + skip);
		iov[k].iov_len = f->len - skip;
		*total += iov[k].iov_len;
		k++;
	}
	return k;
}

/* The oldest frame leaves the queue. */
static void outq_pop(struct outq *q)
{
	if (!q->stalled)
		fb_live_dec(q->ring[q->head]);
	fb_unref(q->ring[q->head]);
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) & (q->cap - 1);
	q->n--;
	q->off = 0;
}

/* Keep the smallest ring for the next frame (reallocating it per frame
 * was a third of the relay's user-space instructions under fan-out);
 * give a burst's larger ring back. */
static void outq_drained(struct outq *q)
{
	q->head = 0;
	q->off = 0;
	q->stalled = 0;
	if (q->cap > OUTQ_MIN_CAP) {
		free(q->ring);
		q->ring = NULL;
		q->cap = 0;
	}
}

void outq_consume(struct outq *q, size_t n)
{
	while (n > 0 && q->n > 0) {
		size_t left = q->ring[q->head]->len - q->off;

		if (n < left) {
			q->off += (uint32_t)n;
			q->bytes -= n;
			return;
		}
		n -= left;
		q->bytes -= left;
		outq_pop(q);
	}
	if (q->n == 0)
		outq_drained(q);
}

void outq_clear(struct outq *q)
{
	while (q->n > 0)
		outq_pop(q);
	free(q->ring);
	outq_init(q);
}

void outq_stall(struct outq *q)
{
	uint32_t i;

	if (q->stalled)
		return;
	q->stalled = 1;
	for (i = 0; i < q->n; i++)
		fb_live_dec(q->ring[(q->head + i) & (q->cap - 1)]);
	if (q->n == 0)
		q->stalled = 0;
}

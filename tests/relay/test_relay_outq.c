/* SPDX-License-Identifier: ISC */
/* test_relay_outq.c: shared frame buffers and the output queue: references,
 * ring wrap-around, partial writes, no storage while empty, and the
 * per-sender count of queued bytes behind fair fan-out. */
#include <string.h>
#include <sys/uio.h>

#include "check.h"
#include "outq.h"

static struct fb *filled(size_t len, uint8_t v)
{
	struct fb *f = fb_new(len);

	if (f != NULL)
		memset(f->data, v, len);
	return f;
}

/* The bytes the queue would write, flattened. */
static size_t flatten(const struct outq *q, uint8_t *out, size_t cap)
{
	struct iovec iov[1024];
	size_t total, o = 0;
	int i, k = outq_iov(q, iov, 1024, &total);

	for (i = 0; i < k && o + iov[i].iov_len <= cap; i++) {
		memcpy(out + o, iov[i].iov_base, iov[i].iov_len);
		o += iov[i].iov_len;
	}
	return o == total ? o : 0;
}

static void test_shared_buffer(void)
{
	struct outq a, b;
	struct fb *f = filled(100, 0xab);

	outq_init(&a);
	outq_init(&b);
	CHECK(f != NULL);
	CHECK_EQ(outq_push(&a, f), 0);
	CHECK_EQ(outq_push(&b, f), 0);
	CHECK_EQ(f->refs, 3);
	fb_unref(f);                    /* the creator lets go */
	CHECK_EQ(f->refs, 2);
	CHECK_EQ(outq_bytes(&a), 100);
	outq_consume(&a, 100);
	CHECK_EQ(f->refs, 1);
	CHECK(a.ring != NULL);          /* a drained queue keeps the smallest ring */
	CHECK_EQ(a.cap, OUTQ_MIN_CAP);
	outq_clear(&a);                 /* what closing a connection does */
	CHECK(a.ring == NULL);
	CHECK_EQ(outq_bytes(&b), 100);
	CHECK_EQ(b.ring[b.head]->data[99], 0xab);
	outq_clear(&b);                 /* frees f: ASan/valgrind check */
	CHECK(b.ring == NULL);
	CHECK_EQ(outq_bytes(&b), 0);
}

static void test_partial_writes_and_wrap(void)
{
	uint8_t got[4096], want[4096];
	struct outq q;
	struct fb *f;
	size_t w = 0, n, i;
	int round;

	outq_init(&q);
	/* Push and consume in uneven steps so head wraps around the ring
	 * and the ring grows while wrapped. */
	for (round = 0; round < 50; round++) {
		for (i = 0; i < (size_t)(round % 7) + 1; i++) {
			f = filled((size_t)round + i + 1, (uint8_t)(round * 7 + i));
			CHECK(f != NULL);
			CHECK_EQ(outq_push(&q, f), 0);
			memset(want + w, round * 7 + (int)i, (size_t)round + i + 1);
			w += (size_t)round + i + 1;
			fb_unref(f);
		}
		n = flatten(&q, got, sizeof(got));
		CHECK_EQ(n, w);
		CHECK_EQ(outq_bytes(&q), w);
		CHECK_MEM(got, want, w);
		/* Write a prime-sized piece (mostly mid-frame). */
		n = w < 97 ? w : 97;
		outq_consume(&q, n);
		memmove(want, want + n, w - n);
		w -= n;
	}
	n = flatten(&q, got, sizeof(got));
	CHECK_EQ(n, w);
	CHECK_MEM(got, want, w);
	outq_consume(&q, w);
	CHECK_EQ(outq_bytes(&q), 0);
	CHECK(q.ring == NULL);          /* the grown ring was given back */
	CHECK_EQ(q.cap, 0);
}

/* A connection receiving one frame at a time reuses its ring: no
 * allocation per frame. */
static void test_drained_ring_reused(void)
{
	struct outq q;
	struct fb *f = filled(10, 0x5a);
	struct fb **ring;
	int i;

	outq_init(&q);
	CHECK(q.ring == NULL);          /* never used: no storage */
	CHECK_EQ(outq_push(&q, f), 0);
	ring = q.ring;
	outq_consume(&q, 10);
	for (i = 0; i < 1000; i++) {
		CHECK_EQ(outq_push(&q, f), 0);
		outq_consume(&q, 10);
	}
	CHECK(q.ring == ring);
	CHECK_EQ(f->refs, 1);
	outq_clear(&q);
	CHECK(q.ring == NULL);
	fb_unref(f);
}

static void test_iov_limit(void)
{
	struct iovec iov[3];
	struct outq q;
	size_t total;
	int i;

	outq_init(&q);
	for (i = 0; i < 10; i++) {
		struct fb *f = filled(10, (uint8_t)i);
		CHECK_EQ(outq_push(&q, f), 0);
		fb_unref(f);
	}
	outq_consume(&q, 4);
	CHECK_EQ(outq_iov(&q, iov, 3, &total), 3);
	CHECK_EQ(total, 6 + 10 + 10);
	CHECK_EQ(iov[0].iov_len, 6);
	CHECK_EQ(((uint8_t *)iov[1].iov_base)[0], 1);
	outq_clear(&q);
}

static int resumed;

static void on_resume(void *arg)
{
	(void)arg;
	resumed++;
}

/* A frame in two queues counts once; it stops counting when the last
 * counted queue lets go; a paused source resumes once, at `low`. */
static void test_src_counts_each_frame_once(void)
{
	struct fb_src *src = fb_src_new(on_resume, &resumed);
	struct outq a, b;
	struct fb *f1 = filled(100, 1), *f2 = filled(50, 2);

	CHECK(src != NULL && f1 != NULL && f2 != NULL);
	outq_init(&a);
	outq_init(&b);
	fb_set_src(f1, src);
	fb_set_src(f2, src);
	CHECK_EQ(outq_push(&a, f1), 0);
	CHECK_EQ(outq_push(&b, f1), 0);
	CHECK_EQ(outq_push(&b, f2), 0);
	fb_unref(f1);
	fb_unref(f2);
	CHECK_EQ(src->queued, 150);
	src->paused = 1;
	src->low = 60;
	resumed = 0;
	outq_consume(&a, 100);          /* f1 still waits in b */
	CHECK_EQ(src->queued, 150);
	CHECK_EQ(resumed, 0);
	outq_consume(&b, 100);          /* f1 gone: 50 <= 60 */
	CHECK_EQ(src->queued, 50);
	CHECK_EQ(resumed, 1);
	CHECK_EQ(src->paused, 0);
	outq_consume(&b, 50);
	CHECK_EQ(src->queued, 0);
	CHECK_EQ(resumed, 1);           /* once */
	outq_clear(&a);
	outq_clear(&b);
	CHECK_EQ(src->refs, 1);         /* every frame's reference returned */
	fb_src_unref(src);
}

/* A stalled queue stops counting at once (the sender resumes) and counts
 * nothing pushed while stalled; once drained it counts again. */
static void test_stall(void)
{
	struct fb_src *src = fb_src_new(on_resume, &resumed);
	struct outq q;
	struct fb *f = filled(200, 3), *g = filled(30, 4);

	CHECK(src != NULL && f != NULL && g != NULL);
	outq_init(&q);
	fb_set_src(f, src);
	fb_set_src(g, src);
	CHECK_EQ(outq_push(&q, f), 0);
	CHECK_EQ(src->queued, 200);
	src->paused = 1;
	src->low = 100;
	resumed = 0;
	outq_stall(&q);
	CHECK(q.stalled);
	CHECK_EQ(src->queued, 0);
	CHECK_EQ(resumed, 1);
	CHECK_EQ(outq_push(&q, g), 0);  /* not counted while stalled */
	CHECK_EQ(src->queued, 0);
	outq_consume(&q, 230);
	CHECK_EQ(src->queued, 0);
	CHECK(!q.stalled);              /* empty: counting again */
	CHECK_EQ(outq_push(&q, g), 0);
	CHECK_EQ(src->queued, 30);
	outq_clear(&q);
	CHECK_EQ(src->queued, 0);
	fb_unref(f);
	fb_unref(g);
	CHECK_EQ(src->refs, 1);
	fb_src_unref(src);
}

int main(void)
{
	test_shared_buffer();
	test_partial_writes_and_wrap();
	test_iov_limit();
	test_drained_ring_reused();
	test_src_counts_each_frame_once();
	test_stall();
	CHECK(fb_new((size_t)UINT32_MAX + 1) == NULL);
	return check_summary();
}

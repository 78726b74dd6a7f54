/* SPDX-License-Identifier: ISC */
/* outq.h: reference-counted frame buffers and the per-connection output queue.
 *
 * A broadcast builds its frame once (`from` patched once) in a struct fb
 * and every recipient's queue holds a reference to that same buffer, so a
 * room of N costs N pointers, not N copies. A queue that never carried a
 * frame owns no storage; one that drains keeps only the smallest ring
 * (OUTQ_MIN_CAP slots), so a busy connection does not allocate per frame
 * while a burst's larger ring is given back at once. Each frame may name
 * its source (struct fb_src), which learns how many of its bytes wait in
 * queues: docs/relay.md "Fair fan-out".
 */
#ifndef SOTTO_RELAY_OUTQ_H
#define SOTTO_RELAY_OUTQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Who sent a frame, for fair fan-out: the bytes of its frames that sit in
 * counted output queues, each frame counted once however many queues hold
 * it. Outlives its connection while frames from it are queued. When the
 * count falls to `low` while `paused`, outq calls resume(arg) once. */
struct fb_src {
	uint32_t refs;      /* the connection's, and one per frame */
	uint32_t paused;
	size_t   queued;
	size_t   low;
	void   (*resume)(void *arg);
	void    *arg;       /* NULL once the connection is gone */
};

struct fb {
	uint32_t       refs;
	uint32_t       len;
	uint32_t       live;  /* counted queues holding it */
	struct fb_src *src;   /* NULL for the relay's own frames */
	uint8_t        data[];
};

/* A buffer of len bytes (contents undefined) holding one reference. */
struct fb *fb_new(size_t len);
/* A buffer holding a copy of p[0..len). */
struct fb *fb_copy(const void *p, size_t len);
void fb_ref(struct fb *f);
void fb_unref(struct fb *f);
/* Charge f's queued bytes to src (a new reference); once, before queueing. */
void fb_set_src(struct fb *f, struct fb_src *src);

/* A source holding one reference; NULL when out of memory. */
struct fb_src *fb_src_new(void (*resume)(void *), void *arg);
void fb_src_unref(struct fb_src *s);

#define OUTQ_MIN_CAP  4u

struct outq {
	struct fb **ring;   /* NULL while empty */
	uint32_t    cap;    /* slots in ring: a power of two */
	uint32_t    head;   /* slot of the oldest frame */
	uint32_t    n;      /* frames queued */
	uint32_t    off;    /* bytes of the oldest frame already written */
	size_t      bytes;  /* unsent bytes in all queued frames */
	/* Not counted in its frames' sources (a receiver that stopped
	 * reading); counting starts again once the queue is empty. */
	unsigned    stalled : 1;
};

void outq_init(struct outq *q);
/* Queue f (taking a new reference). 0 or SOTTO_E_ALLOC. */
int outq_push(struct outq *q, struct fb *f);
/* Fill up to max iovecs with unsent bytes, oldest first; *total gets
 * their sum. Returns the number filled. */
int outq_iov(const struct outq *q, struct iovec *iov, int max, size_t *total);
/* n bytes were written: release every frame sent completely; a drained
 * ring larger than OUTQ_MIN_CAP is freed. */
void outq_consume(struct outq *q, size_t n);
/* Release every frame and the ring. */
void outq_clear(struct outq *q);
/* Stop counting q's frames in their sources (its reader stopped reading):
 * senders are then never held back for it. */
void outq_stall(struct outq *q);

static inline size_t outq_bytes(const struct outq *q)
{
	return q->bytes;
}

#endif

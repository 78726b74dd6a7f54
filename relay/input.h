/* SPDX-License-Identifier: ISC */
/* input.h: whether a connection may be read now: its input budget, fair
 * fan-out, and the throttle log lines.
 *
 * A connection is held (its read watcher stopped, TCP pushes back on it
 * alone) while its token bucket is empty, or while more than the fair
 * high-water mark of its frames' bytes sit in other connections' output
 * queues (docs/relay.md "Fair fan-out"). A hold ends by c->kick_w: after
 * the bucket's refill time, or at once when the queues drain. Holding is
 * never a reason to close anyone.
 */
#ifndef SOTTO_RELAY_INPUT_H
#define SOTTO_RELAY_INPUT_H

#include <stddef.h>

struct conn;

/* Set up c's buckets and its frame source; 0, or -1 when out of memory. */
int input_new(struct conn *c);
/* Log an open throttle episode and let go of the frame source. */
void input_free(struct conn *c);
/* 1 when c may take its next frame now; 0 when it is held. */
int input_may_pass(struct conn *c);
/* A frame of `bytes` wire bytes from c was taken. */
void input_charge(struct conn *c, size_t bytes);

#endif

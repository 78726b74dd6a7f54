/* SPDX-License-Identifier: ISC */
/* budget.h: a connection's input budget: token buckets on frames/s and bytes/s.
 *
 * Pure arithmetic on a clock the caller passes (ev_now), so it is tested
 * alone. A bucket starts full; a frame may pass while the frame bucket
 * holds at least one token and the byte bucket holds any; the frame's
 * bytes are then charged in full, so one large frame may leave the byte
 * bucket in debt, paid back before the next frame. Rate 0 = unlimited.
 */
#ifndef SOTTO_RELAY_BUDGET_H
#define SOTTO_RELAY_BUDGET_H

#include <stddef.h>
#include <stdint.h>

struct budget_cfg {
	double rate;        /* frames/s, 0 unlimited */
	double rate_bytes;  /* bytes/s (len field included), 0 unlimited */
	double burst;       /* frames the frame bucket holds */
	double depth_bytes; /* bytes the byte bucket holds (budget_cfg_set) */
};

struct budget {
	double frames;      /* tokens: may go below 0 only for bytes */
	double bytes;
	double last;        /* time of the last refill */
};

/* Fill in depth_bytes: the byte bucket holds as many seconds of
 * rate_bytes as the frame bucket holds of rate (burst / rate; 1 s when
 * rate is 0), and never less than one largest frame (max_frame + 4). */
void budget_cfg_set(struct budget_cfg *cfg, double rate, double rate_bytes,
    double burst, uint32_t max_frame);
/* Whether both rates are 0 (no bookkeeping needed). */
int budget_unlimited(const struct budget_cfg *cfg);
void budget_init(struct budget *b, const struct budget_cfg *cfg, double now);
/* Add the tokens earned since the last refill, up to each bucket's depth. */
void budget_refill(struct budget *b, const struct budget_cfg *cfg, double now);
/* 1 when the next frame may pass now. */
int budget_allows(const struct budget *b, const struct budget_cfg *cfg);
/* One frame of `bytes` wire bytes passed. */
void budget_charge(struct budget *b, const struct budget_cfg *cfg, size_t bytes);
/* Seconds until budget_allows becomes true (0 when it is). */
double budget_wait(const struct budget *b, const struct budget_cfg *cfg);

#endif

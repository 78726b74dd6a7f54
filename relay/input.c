/* SPDX-License-Identifier: ISC */
/* input.c: whether a connection may be read now: its input budget, fair fan-out, and the throttle log lines. */
#include <stdio.h>

#include "conn.h"
#include "input.h"
#include "log.h"

/* An episode ends once a connection has gone this long without a hold,
 * so a flooder held every few milliseconds logs one start and one stop
 * line, not one pair per hold. */
#define THROTTLE_QUIET  1.0

static void input_resume(void *arg);
static void input_kick_cb(struct ev_loop *loop, ev_timer *w, int revents);

int input_new(struct conn *c)
{
	struct relay *r = c->relay;

	if ((c->src = fb_src_new(input_resume, c)) == NULL)
		return -1;
	c->src->low = r->cfg.fair_high / 2;
	budget_init(&c->budget, &r->cfg.budget, ev_now(r->loop));
	ev_init(&c->kick_w, input_kick_cb);
	return 0;
}

static void throttle_stop(struct conn *c, const char *when)
{
	struct throttle *t = &c->thr;
	char addr[CONN_ADDR_LEN];

	if (t->since == 0)
		return;
	sotto_log(SOTTO_LOG_INFO, "throttle stop id=%u addr=%s after %.1f s%s: "
	    "held %u times (rate %u, bytes %u, queues %u); passed %llu frames, "
	    "%llu bytes", c->id, conn_addr(c, addr),
	    ev_now(c->relay->loop) - t->since, when,
	    t->holds_rate + t->holds_bytes + t->holds_fair, t->holds_rate,
	    t->holds_bytes, t->holds_fair, (unsigned long long)t->frames,
	    (unsigned long long)t->bytes);
	*t = (struct throttle){ 0 };
}

void input_free(struct conn *c)
{
	ev_timer_stop(c->relay->loop, &c->kick_w);
	throttle_stop(c, " (closed)");
	if (c->src != NULL) {
		c->src->arg = NULL;
		c->src->paused = 0;
		fb_src_unref(c->src);
		c->src = NULL;
	}
}

enum hold_why { HOLD_RATE, HOLD_BYTES, HOLD_FAIR };

static void throttle_start(struct conn *c, enum hold_why why)
{
	const struct relay_cfg *cfg = &c->relay->cfg;
	char addr[CONN_ADDR_LEN], what[96];

	switch (why) {
	case HOLD_RATE:
		snprintf(what, sizeof(what), "over --rate %g frames/s (burst %g)",
		    cfg->budget.rate, cfg->budget.burst);
		break;
	case HOLD_BYTES:
		snprintf(what, sizeof(what), "over --rate-bytes %g bytes/s",
		    cfg->budget.rate_bytes);
		break;
	case HOLD_FAIR:
		snprintf(what, sizeof(what), "%zu bytes of its frames wait in "
		    "output queues (fair share %zu)", c->src->queued,
		    cfg->fair_high);
		break;
	}
	sotto_log(SOTTO_LOG_INFO, "throttle start id=%u addr=%s: %s; not read "
	    "until it is back within bounds", c->id, conn_addr(c, addr), what);
}

static void hold_count(struct conn *c, enum hold_why why)
{
	struct throttle *t = &c->thr;
	ev_tstamp now = ev_now(c->relay->loop);

	if (t->since == 0) {
		t->since = now;
		throttle_start(c, why);
	}
	t->last_hold = now;
	if (why == HOLD_RATE)
		t->holds_rate++;
	else if (why == HOLD_BYTES)
		t->holds_bytes++;
	else
		t->holds_fair++;
}

/* Stop reading c until kick_w fires: after `wait` seconds, or (wait < 0)
 * when its queued bytes fall to the low-water mark. */
static void hold(struct conn *c, enum hold_why why, double wait)
{
	struct ev_loop *loop = c->relay->loop;

	hold_count(c, why);
	c->held = 1;
	ev_io_stop(loop, &c->rw);
	if (wait < 0) {
		c->src->paused = 1;
		return;
	}
	ev_timer_set(&c->kick_w, wait, 0);
	ev_timer_start(loop, &c->kick_w);
}

int input_may_pass(struct conn *c)
{
	struct relay *r = c->relay;
	const struct budget_cfg *b = &r->cfg.budget;
	ev_tstamp now = ev_now(r->loop);

	if (c->src->queued > r->cfg.fair_high) {
		hold(c, HOLD_FAIR, -1);
		return 0;
	}
	if (!budget_unlimited(b)) {
		budget_refill(&c->budget, b, now);
		if (!budget_allows(&c->budget, b)) {
			hold(c, b->rate > 0 && c->budget.frames < 1.0 ?
			    HOLD_RATE : HOLD_BYTES, budget_wait(&c->budget, b));
			return 0;
		}
	}
	if (c->thr.since != 0 && now - c->thr.last_hold >= THROTTLE_QUIET)
		throttle_stop(c, "");
	return 1;
}

void input_charge(struct conn *c, size_t bytes)
{
	budget_charge(&c->budget, &c->relay->cfg.budget, bytes);
	if (c->thr.since != 0) {
		c->thr.frames++;
		c->thr.bytes += bytes;
	}
}

/* The frame source's queued bytes fell to the low-water mark (called from
 * outq while a receiver's queue drains): end the hold on the next turn,
 * not here in the middle of a write. */
static void input_resume(void *arg)
{
	struct conn *c = arg;

	if (c->closing)
		return;
	ev_timer_stop(c->relay->loop, &c->kick_w);
	ev_timer_set(&c->kick_w, 0, 0);
	ev_timer_start(c->relay->loop, &c->kick_w);
}

/* A hold ended: route what the decoder already holds, then read again. */
static void input_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, kick_w);

	(void)revents;
	if (c->closing)
		return;
	c->held = 0;
	conn_drain(c);
	if (!c->held && !c->closing && !c->eof)
		ev_io_start(loop, &c->rw);
}

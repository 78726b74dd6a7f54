/* SPDX-License-Identifier: ISC */
/* joinwait.c: connections that have not joined yet, oldest first, under one timer.
 *
 * Every connection gets the same join timeout from accept, so deadlines
 * come in accept order: a FIFO and a single ev_timer set for its head
 * (libev's "be smart about timeouts" recipe) replace a timer per
 * connection, and adding or removing one is O(1).
 */
#include "conn.h"
#include "relay.h"

/* Timers may fire a hair before a deadline computed in floating point. */
#define JOINWAIT_SLACK 1e-3

static void joinwait_arm(struct relay *r)
{
	struct conn *c = TAILQ_FIRST(&r->waiting);
	ev_tstamp left;

	if (c == NULL || ev_is_active(&r->join_w))
		return;
	left = c->accepted + r->cfg.join_timeout - ev_now(r->loop);
	ev_timer_set(&r->join_w, left > 0 ? left : 0, 0);
	ev_timer_start(r->loop, &r->join_w);
}

static void joinwait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay *r = container_of(w, struct relay, join_w);
	ev_tstamp now = ev_now(loop);
	struct conn *c;

	(void)revents;
	while ((c = TAILQ_FIRST(&r->waiting)) != NULL &&
	    c->accepted + r->cfg.join_timeout <= now + JOINWAIT_SLACK)
		/* Takes c off the list. */
		conn_violation(c, "no complete INI within the %g s join timeout",
		    r->cfg.join_timeout);
	joinwait_arm(r);
}

void joinwait_init(struct relay *r)
{
	TAILQ_INIT(&r->waiting);
	ev_init(&r->join_w, joinwait_cb);
}

void joinwait_add(struct relay *r, struct conn *c)
{
	c->accepted = ev_now(r->loop);
	TAILQ_INSERT_TAIL(&r->waiting, c, link);
	c->waiting = 1;
	joinwait_arm(r);
}

/* The timer keeps running: when it fires it re-arms for the new head or,
 * with nobody waiting, stops. */
void joinwait_remove(struct relay *r, struct conn *c)
{
	if (!c->waiting)
		return;
	TAILQ_REMOVE(&r->waiting, c, link);
	c->waiting = 0;
}

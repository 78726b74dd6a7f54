/* SPDX-License-Identifier: ISC */
/* rotperiod.c: the periodic rotation triggers (docs/protocol.md "v2: periodic rotation"): a group key is retired after an interval or a number of DATs, for post-compromise healing, by the same deterministic rotator as a leave (rotate.c).
 *
 *   a key starts to be held (READY, a rotation, a conflict lost)
 *     -> new key: count = 0, clock = now
 *   a room DAT sealed by us, or opened by us, under the current key
 *     -> count++; count >= limit: rot_trigger("count")
 *   clock + interval reached
 *     -> rot_trigger("timer")
 *
 * Every member counts the same DATs (its own and the room's) and starts its
 * clock when the key reaches it, so all of them reach a trigger within the
 * frames and KEYs in flight: rot_trigger's rank order makes one of them
 * rotate and the new key ends the others' wait. A disconnection keeps the
 * count and the clock (the key survives a relay restart too).
 */
#include "core.h"

static void on_period_timer(struct ev_loop *loop, ev_timer *w, int revents);

int
period_init(struct client *c, double interval, uint64_t limit)
{
	if (!(interval == 0.0 ||
	    (interval >= CLIENT_ROTATE_INTERVAL_MIN &&
	    interval <= CLIENT_ROTATE_INTERVAL_MAX)))
		return -1;
	ev_init(&c->period_timer, on_period_timer);
	c->period_interval = interval;
	c->period_limit = limit;
	return 0;
}

void
period_stop(struct client *c)
{
	ev_timer_stop(c->loop, &c->period_timer);
}

static void
arm(struct client *c)
{
	double left;

	ev_timer_stop(c->loop, &c->period_timer);
	if (c->period_interval == 0.0)
		return;
	left = c->period_since + c->period_interval - ev_now(c->loop);
	ev_timer_set(&c->period_timer, left > 0.0 ? left : 0.0, 0.0);
	ev_timer_start(c->loop, &c->period_timer);
}

void
period_key_held(struct client *c)
{
	if (c->period_gen != c->key_gen) {
		c->period_gen = c->key_gen;
		c->period_count = 0;
		c->period_since = ev_now(c->loop);
	}
	arm(c);
	/* A key held again after an outage that ended past the limit. */
	if (c->period_limit != 0 && c->period_count >= c->period_limit)
		rot_trigger(c, "count", false);
}

void
period_dat(struct client *c)
{
	c->period_count++;
	if (c->period_limit != 0 && c->period_count >= c->period_limit &&
	    !rot_holding(c))
		rot_trigger(c, "count", false);
}

static void
on_period_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, period_timer);

	(void)loop;
	(void)revents;
	/* Not READY: period_key_held re-arms when the key is held again. */
	rot_trigger(c, "timer", false);
}

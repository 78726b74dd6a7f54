/* SPDX-License-Identifier: ISC */
/* rotate.c: a new group key when a member leaves or is removed: the deterministic rotator and its fallbacks, rotation KEYs to the remaining members, switching with a grace for frames in flight, then wiping the old key (docs/protocol.md "v2: rotation", carried by v1 KEY frames until the client speaks v2).
 *
 *   trigger (LEFT of a member we listed, a key removed by /reload, or a
 *            periodic trigger: rotperiod.c's interval or message count)
 *     -> lines held; timer = ROTATE_DELAY + rank * ROTATE_STEP
 *        (rank: our place by member id among the members we list and us;
 *         a removal is acted on by the remover itself, rank 0)
 *     -> a newer key arrives first: adopt it, done
 *     -> the timer fires: make epoch max(known) + 1, KEY it to every
 *        member we list, announce it; done
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "trust.h"

static void on_rot_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void on_grace_timer(struct ev_loop *loop, ev_timer *w, int revents);

void
rot_init(struct client *c)
{
	ev_init(&c->rot_timer, on_rot_timer);
	ev_init(&c->grace_timer, on_grace_timer);
}

static void
wipe_old(struct client *c)
{
	ev_timer_stop(c->loop, &c->grace_timer);
	if (c->old_group != NULL)
		core_keylog_wiped(c, c->old_group,
		    ev_now(c->loop) - c->old_since);
	sotto_group_free(c->old_group);
	c->old_group = NULL;
}

void
rot_reset(struct client *c)
{
	ev_timer_stop(c->loop, &c->rot_timer);
	c->rot_pending = false;
	wipe_old(c);
}

bool
rot_holding(const struct client *c)
{
	return c->rot_pending;
}

const struct sotto_group *
rot_old_group(const struct client *c, uint32_t epoch)
{
	return c->old_group != NULL && c->old_group->epoch == epoch ?
	    c->old_group : NULL;
}

/* A member that counts in the room: trusted, and shown to us on signed
 * evidence. */
static bool
listed(const struct client *c, const struct member *m)
{
	return m->known && m->proven && sotto_trust_find(c->trust, m->pub) != NULL;
}

/* Our place among the listed members and us, by relay member id. */
static unsigned
rank(const struct client *c)
{
	const struct member *m;
	unsigned r = 0;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (listed(c, m) && m->id < c->self_id)
			r++;
	return r;
}

void
rot_trigger(struct client *c, const char *reason, bool self)
{
	double after;

	if (c->st != CS_READY || c->group == NULL)
		return;
	/* A departure names the rotation rather than a periodic trigger due at
	 * the same time; "removed" names it above all. */
	if (!c->rot_pending || strcmp(reason, "removed") == 0 ||
	    (strcmp(c->rot_reason, "removed") != 0 &&
	    strcmp(c->rot_reason, "left") != 0))
		c->rot_reason = reason;
	if (!c->rot_pending)
		c->rot_epoch = c->group->epoch;
	c->rot_pending = true;
	after = CORE_ROTATE_DELAY + (self ? 0 : rank(c) * CORE_ROTATE_STEP);
	/* A later trigger never delays a rotation already due sooner. */
	if (ev_is_active(&c->rot_timer) &&
	    ev_timer_remaining(c->loop, &c->rot_timer) <= after)
		return;
	ev_timer_stop(c->loop, &c->rot_timer);
	ev_timer_set(&c->rot_timer, after, 0.0);
	ev_timer_start(c->loop, &c->rot_timer);
}

/* A rotation KEY: the new key wrapped to m's session, signed through the
 * signer like every frame (with ssh-agent it leaves when the agent
 * answers, in order with the INI and DATs made after it). */
static void
send_rotation_key(struct client *c, struct member *m)
{
	struct sotto_key_to to = { m->pub, m->nonce, m->rsa_n };
	struct sotto_wbuf b, msg;

	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&msg, 0);
	if (sotto_key_build_unsigned(&b, c->room, c->room_len, c->pub, c->group,
	    &to, core_now_ms(), NULL, 0, &msg) == 0)
		(void)signer_send(c, SOTTO_T_KEY, m->id, b.p, b.len, msg.p, msg.len,
		    NULL);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&msg);
}

/* The highest epoch anyone listed has advertised, or ours. */
static uint32_t
top_epoch(const struct client *c)
{
	const struct member *m;
	uint32_t e = c->group->epoch;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (listed(c, m) && m->epoch > e)
			e = m->epoch;
	return e;
}

static void
rotate_now(struct client *c)
{
	struct sotto_group *g = NULL;
	struct member *m, *tmp;

	if (top_epoch(c) == UINT32_MAX ||
	    sotto_group_generate(&g, top_epoch(c) + 1) != 0) {
		conn_close(c, "cannot make a new group key");
		return;
	}
	/* rot_adopt emits `rekeyed`: the front-end may close or reload from
	 * inside it. A closed connection refuses sends; members it deleted
	 * are marked dead until the end of the turn (core.h, "Re-entrancy"). */
	rot_adopt(c, g, c->rot_reason);
	if (c->closing || c->st != CS_READY)
		return;
	HASH_ITER(hh, c->members, m, tmp) {
		if (!m->dead && listed(c, m))
			send_rotation_key(c, m);
	}
	/* Whoever missed its KEY sees the new epoch here and asks. */
	if (sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI_REPLY) != 0)
		return;
	/* Only now the held lines: the relay keeps our order, and so does the
	 * signer (with ssh-agent, frames leave in the order they were made),
	 * so every member has its KEY before our first DAT under the new key. */
	dat_pump(c);
}

static void
on_rot_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, rot_timer);

	(void)loop;
	(void)revents;
	if (!c->rot_pending || c->st != CS_READY)
		return;
	if (c->group->epoch > c->rot_epoch) {
		/* Someone rotated first. */
		c->rot_pending = false;
		dat_pump(c);
		return;
	}
	rotate_now(c);
}

static void
on_grace_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, grace_timer);

	(void)loop;
	(void)revents;
	wipe_old(c);
}

void
rot_adopt(struct client *c, struct sotto_group *g, const char *reason)
{
	struct client_event ev = { .type = CLIENT_EV_REKEYED };

	wipe_old(c);
	c->old_group = c->group;
	c->old_since = ev_now(c->loop);
	c->group = g;
	c->key_gen++;
	core_keylog(c, g);
	ev_timer_set(&c->grace_timer, CORE_EPOCH_GRACE, 0.0);
	ev_timer_start(c->loop, &c->grace_timer);
	if (dat_new_key(c) != 0) {
		conn_close(c, "out of memory");
		return;
	}
	if (c->rot_pending && c->group->epoch > c->rot_epoch) {
		c->rot_pending = false;
		ev_timer_stop(c->loop, &c->rot_timer);
	}
	c->adopting = 0;
	period_key_held(c);
	ev.rekeyed.epoch = g->epoch;
	ev.rekeyed.reason = reason;
	core_emit(c, &ev);
}

/* SPDX-License-Identifier: ISC */
/* rotate.c: a new epoch when a member leaves or is removed (or a periodic trigger fires): the deterministic rotator and its fallbacks, ROTATION KEYs carrying the reason to the remaining members, switching, and wiping keys past their grace (docs/protocol.md "v2: rotation").
 *
 *   trigger (LEFT or signed LEAVE of a member we listed, a key removed by
 *   /reload, or a periodic trigger: rotperiod.c's interval or message
 *   count, through rot_trigger with its reason)
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
static void on_sweep_timer(struct ev_loop *loop, ev_timer *w, int revents);

void
rot_init(struct client *c)
{
	ev_init(&c->rot_timer, on_rot_timer);
	ev_init(&c->sweep_timer, on_sweep_timer);
	c->sweep_timer.repeat = CORE_SWEEP;
}

/* The keys outlive the connection (a room survives a relay restart), but
 * the sweep runs only while connected: nothing is opened meanwhile, and
 * the first sweep after the return wipes whatever expired. */
void
rot_reset(struct client *c)
{
	ev_timer_stop(c->loop, &c->rot_timer);
	ev_timer_stop(c->loop, &c->sweep_timer);
	c->rot_pending = false;
}

bool
rot_holding(const struct client *c)
{
	return c->rot_pending;
}

uint8_t
rot_reason_code(const char *reason)
{
	if (strcmp(reason, "removed") == 0)
		return SOTTO_REASON_REMOVED;
	if (strcmp(reason, "timer") == 0)
		return SOTTO_REASON_TIMER;
	if (strcmp(reason, "count") == 0)
		return SOTTO_REASON_COUNT;
	return SOTTO_REASON_LEFT;
}

const char *
rot_reason_word(uint8_t code)
{
	switch (code) {
	case SOTTO_REASON_LEFT:    return "left";
	case SOTTO_REASON_REMOVED: return "removed";
	case SOTTO_REASON_TIMER:   return "timer";
	case SOTTO_REASON_COUNT:   return "count";
	}
	/* A newer epoch whose origin is a first joiner: a conflict's key. */
	return "conflict";
}

/* Which epoch is the previous one, and when it was replaced: dm.c asks
 * whether an epoch is still open, and test builds log how long the
 * previous epoch was kept ("wiped epoch N after S s") once the keyring
 * has wiped it, at the end of its grace or when a newer switch replaced
 * it outright. */
static void
track_previous(struct client *c)
{
	uint32_t now_epoch = sotto_keyring_epoch(c->kr);
	double now = ev_now(c->loop);

	if (now_epoch != c->held_epoch) {
		if (c->old_epoch != 0)
			core_keylog_wiped(c->old_epoch, now - c->old_since);
		c->old_epoch = c->held_epoch;
		c->old_since = now;
		c->held_epoch = now_epoch;
	}
	if (c->old_epoch != 0 && !sotto_keyring_has_previous(c->kr)) {
		core_keylog_wiped(c->old_epoch, now - c->old_since);
		c->old_epoch = 0;
	}
}

bool
rot_epoch_open(const struct client *c, uint32_t epoch)
{
	return epoch != 0 && (epoch == sess_epoch(c) || (epoch == c->old_epoch &&
	    sotto_keyring_has_previous(c->kr)));
}

void
rot_keys_changed(struct client *c)
{
	if (c->kr == NULL)
		return;
	sotto_keyring_sweep(c->kr, core_now_ms());
	track_previous(c);
	core_keylog(c, true);
	if (c->st == CS_READY && !ev_is_active(&c->sweep_timer))
		ev_timer_again(c->loop, &c->sweep_timer);
}

static void
on_sweep_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, sweep_timer);

	(void)loop;
	(void)revents;
	sotto_keyring_sweep(c->kr, core_now_ms());
	track_previous(c);
	sess_sweep(c);
	core_keylog(c, false);
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
rot_removed(struct client *c, const uint8_t fpr[static SOTTO_FPR_LEN])
{
	size_t i;

	for (i = 0; i < c->n_rm; i++)
		if (memcmp(c->rm_fpr[i], fpr, SOTTO_FPR_LEN) == 0)
			return;
	if (c->n_rm == CORE_REMOVED_MAX) {
		c->rm_overflow = true;
		return;
	}
	memcpy(c->rm_fpr[c->n_rm++], fpr, SOTTO_FPR_LEN);
}

void
rot_removed_seen(struct client *c, const uint8_t (*fprs)[SOTTO_FPR_LEN],
    size_t n)
{
	size_t i = 0, j;

	while (i < c->n_rm) {
		for (j = 0; j < n; j++)
			if (memcmp(c->rm_fpr[i], fprs[j], SOTTO_FPR_LEN) == 0)
				break;
		if (j == n) {
			i++;
			continue;
		}
		memmove(c->rm_fpr[i], c->rm_fpr[i + 1],
		    (c->n_rm - i - 1) * SOTTO_FPR_LEN);
		c->n_rm--;
	}
}

bool
rot_removal_waiting(const struct client *c)
{
	return c->n_rm > 0 || c->rm_overflow;
}

/* A newer epoch ends our wait only when it excluded every key we
 * removed: someone who still trusts such a key handed it the new one. */
static bool
rot_done(const struct client *c)
{
	return sess_epoch(c) > c->rot_epoch && !rot_removal_waiting(c);
}

void
rot_trigger(struct client *c, const char *reason, bool self)
{
	double after;

	if (c->st != CS_READY || sess_epoch(c) == 0)
		return;
	/* A departure names the rotation rather than a periodic trigger due at
	 * the same time; "removed" names it above all. */
	if (!c->rot_pending || strcmp(reason, "removed") == 0 ||
	    (strcmp(c->rot_reason, "removed") != 0 &&
	    strcmp(c->rot_reason, "left") != 0))
		c->rot_reason = reason;
	if (!c->rot_pending)
		c->rot_epoch = sess_epoch(c);
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

/* A ROTATION KEY: the new epoch key (generation 0) with its reason and
 * predecessor, wrapped to m's session, signed through the signer like
 * every frame (with ssh-agent it leaves when the agent answers, in order
 * with the INI and DATs made after it). */
static void
send_rotation_key(struct client *c, struct member *m,
    const struct sotto_key2_src *src)
{
	struct sotto_key_to to = { m->pub, m->nonce, m->rsa_n };
	struct sotto_wbuf b, msg;

	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&msg, 0);
	if (sotto_key2_build_unsigned(&b, c->room, c->room_len, c->pub, src,
	    &to, core_now_ms(), &msg) == 0)
		(void)signer_send(c, SOTTO_T_KEY, m->id, b.p, b.len, msg.p, msg.len,
		    NULL);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&msg);
}

void
rot_entitle(struct client *c, uint32_t epoch,
    const uint8_t (*removed)[SOTTO_FPR_LEN], size_t n_removed)
{
	const struct sotto_peer *p;
	struct member *m;
	size_t i;

	for (m = c->members; m != NULL; m = m->hh.next) {
		if (m->dead || !listed(c, m) ||
		    (p = sotto_trust_find(c->trust, m->pub)) == NULL)
			continue;
		for (i = 0; i < n_removed; i++)
			if (memcmp(removed[i], p->fpr, SOTTO_FPR_LEN) == 0)
				break;
		if (i == n_removed)
			m->entitled_epoch = epoch;
	}
}

bool
rot_resend(struct client *c, struct member *m)
{
	struct sotto_key2_src src;

	if (m->entitled_epoch == 0 || m->entitled_epoch != sess_epoch(c) ||
	    sotto_keyring_gen0(c->kr, &src) != 0)
		return false;
	m->entitled_epoch = 0;      /* once: a second ask gets a HANDOVER */
	send_rotation_key(c, m, &src);
	return true;
}

/* The highest epoch anyone listed has advertised, or ours. */
static uint32_t
top_epoch(const struct client *c)
{
	const struct member *m;
	uint32_t e = sess_epoch(c);

	for (m = c->members; m != NULL; m = m->hh.next)
		if (listed(c, m) && m->epoch > e)
			e = m->epoch;
	return e;
}

/* A fresh epoch key into the keyring, its reason and predecessor
 * recorded; *sendable is a copy of generation 0 for the KEYs. */
static int
new_epoch(struct client *c, struct sotto_genkey **sendable,
    uint8_t key_id[static SOTTO_KEY_ID], struct sotto_epoch_origin *o,
    uint8_t prev_key_id[static SOTTO_KEY_ID])
{
	struct sotto_genkey *gk = NULL;
	int r;

	*sendable = NULL;
	o->reason = rot_reason_code(c->rot_reason);
	o->prev_epoch = sess_epoch(c);
	memcpy(prev_key_id, sess_key_id(c), SOTTO_KEY_ID);
	o->prev_key_id = prev_key_id;
	if (top_epoch(c) == UINT32_MAX)
		return SOTTO_E_INVAL;
	if ((r = sotto_genkey_generate(&gk, top_epoch(c) + 1)) != 0)
		return r;
	if ((r = sotto_epoch_key_id(gk->key, key_id)) != 0 ||
	    (r = sotto_genkey_dup(sendable, gk)) != 0 ||
	    (r = sotto_keyring_set(c->kr, gk, key_id, o, NULL, 0,
	        core_now_ms())) != 0) {
		sotto_genkey_free(gk);
		sotto_genkey_free(*sendable);
		*sendable = NULL;
		return r;
	}
	c->key_gen++;
	rot_keys_changed(c);
	return 0;
}

static void
rotate_now(struct client *c)
{
	uint8_t key_id[SOTTO_KEY_ID], prev_key_id[SOTTO_KEY_ID];
	uint8_t removed[CORE_REMOVED_MAX][SOTTO_FPR_LEN];
	struct sotto_key2_src src;
	struct sotto_genkey *gk;
	struct member *m, *tmp;

	memset(&src, 0, sizeof(src));
	if (new_epoch(c, &gk, key_id, &src.origin, prev_key_id) != 0) {
		conn_close(c, "cannot make a new group key");
		return;
	}
	src.kind = SOTTO_KEY2_ROTATION;
	src.gk = gk;
	src.key_id = key_id;
	/* Every key we removed is excluded from this epoch: say so, so the
	 * other members that removed them need not rotate again. */
	memcpy(removed, c->rm_fpr, c->n_rm * SOTTO_FPR_LEN);
	src.removed = (const uint8_t (*)[SOTTO_FPR_LEN])removed;
	src.n_removed = c->n_rm;
	c->n_rm = 0;
	c->rm_overflow = false;
	/* rot_switched emits `rekeyed`: the front-end may close or reload
	 * from inside it. A closed connection refuses sends; members it
	 * deleted are marked dead until the end of the turn (core.h,
	 * "Re-entrancy"). */
	rot_entitle(c, gk->epoch, (const uint8_t (*)[SOTTO_FPR_LEN])removed,
	    src.n_removed);
	rot_switched(c, c->rot_reason);
	if (c->closing || c->st != CS_READY) {
		sotto_genkey_free(gk);
		return;
	}
	HASH_ITER(hh, c->members, m, tmp) {
		if (!m->dead && listed(c, m))
			send_rotation_key(c, m, &src);
	}
	sotto_genkey_free(gk);
	/* Whoever missed its KEY sees the new epoch here and asks. */
	if (sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI2_REPLY, NULL) != 0)
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
	if (rot_done(c)) {
		/* Someone rotated first. */
		c->rot_pending = false;
		dat_pump(c);
		return;
	}
	rotate_now(c);
}

void
rot_switched(struct client *c, const char *reason)
{
	struct client_event ev = { .type = CLIENT_EV_REKEYED };

	if (dat_new_key(c) != 0) {
		conn_close(c, "out of memory");
		return;
	}
	if (c->rot_pending && rot_done(c)) {
		c->rot_pending = false;
		ev_timer_stop(c->loop, &c->rot_timer);
	}
	c->adopting = 0;
	period_key_held(c);
	ev.rekeyed.epoch = sess_epoch(c);
	ev.rekeyed.reason = reason;
	core_emit(c, &ev);
	/* DATs of this epoch that came before its key (dat.c held them). */
	if (c->st == CS_READY && !c->closing)
		dat_flush_pending(c);
}

/* SPDX-License-Identifier: ISC */
/* session.c: the join state machine, keyholder choice and recovery, serving keys, conflict resolution (docs/protocol.md "Joining").
 *
 *   CONNECTING -> WAIT_RSA -> (INI to 0) -> JOINING -> roster from the relay
 *     count 0: key held from an earlier connection, or a fresh one -> READY
 *     count>0: KEYWAIT: ask one roster member at a time (INI to=ask=id),
 *              KEY_TIMEOUT each; a valid KEY -> READY
 *
 * Only the asked member answers, so a newcomer gets O(1) KEY frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"
#include "trust.h"

static void on_key_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void ask_next(struct client *c);

void
sess_init(struct client *c)
{
	ev_init(&c->key_timer, on_key_timer);
	c->round_backoff = CORE_BACKOFF_MIN;
	rot_init(c);
}

static void
key_timer_start(struct client *c, double after)
{
	ev_timer_stop(c->loop, &c->key_timer);
	ev_timer_set(&c->key_timer, after, 0.0);
	ev_timer_start(c->loop, &c->key_timer);
}

/* Our own ended session joins the session table, so its watermark goes
 * to later newcomers: a relay replaying our old DATs to them is caught. */
static void
remember_own_session(struct client *c)
{
	struct rsess *s;

	if (c->tx_next <= 1)
		return;
	if ((s = rsess_get(c, c->pub, c->nonce, true)) == NULL)
		return;
	s->rp.highest = c->tx_next - 1;
	s->ended = true;
}

/* End the session of a connection (keeps the group key: the room's key
 * survives a relay restart, and it is what we keep if we find ourselves
 * first again). */
void
sess_reset(struct client *c)
{
	ev_timer_stop(c->loop, &c->key_timer);
	rot_reset(c);
	remember_own_session(c);
	members_clear(c);
	dat_drop_pending(c, "connection lost before the group key arrived");
	outbox_rewind(&c->ob);
	sotto_dat2_tx_free(c->tx);
	c->tx = NULL;
	sotto_rsa_free(c->rsa);
	c->rsa = NULL;
	c->self_id = 0;
	c->asked = 0;
	c->adopting = 0;
	c->round_wait = false;
	c->round_backoff = CORE_BACKOFF_MIN;
	c->tx_next = 1;
	c->last_ini_ts = 0;
	c->n_key_digests = 0;
	c->told_nokey = false;
	presence_clear(c, false);
}

/* INI timestamps strictly increase within a session, so a receiver can
 * refuse a replayed one by its time alone. */
static uint64_t
ini_ts(struct client *c)
{
	uint64_t now = core_now_ms();

	c->last_ini_ts = now > c->last_ini_ts ? now : c->last_ini_ts + 1;
	return c->last_ini_ts;
}

uint32_t
sess_epoch(const struct client *c)
{
	return c->kr != NULL ? sotto_keyring_epoch(c->kr) : 0;
}

const uint8_t *
sess_key_id(const struct client *c)
{
	return c->kr != NULL ? sotto_keyring_key_id(c->kr) : NULL;
}

int
sess_send_ini(struct client *c, uint32_t to, uint32_t ask, uint8_t flags,
    const uint8_t *to_nonce)
{
	struct sotto_wbuf b, m;
	struct sotto_ini2 f;
	int r;

	memset(&f, 0, sizeof(f));
	f.room = c->room;
	f.room_len = c->room_len;
	f.flags = flags;
	f.id_pub = c->pub;
	f.ask = ask;
	f.nonce = c->nonce;
	f.to_nonce = to_nonce;
	f.ts_ms = ini_ts(c);
	f.rsa_n = c->rsa_n;
	/* Only a key held in this session is advertised. */
	if (c->st == CS_READY && sess_epoch(c) != 0) {
		f.epoch = sess_epoch(c);
		f.key_id = sess_key_id(c);
		f.gen = sotto_keyring_gen(c->kr);
	}
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&m, 0);
	if ((r = sotto_ini2_build_unsigned(&b, &f, c->pub, &m)) == 0)
		r = signer_send(c, SOTTO_T_INI, to, b.p, b.len, m.p, m.len, NULL);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&m);
	return r;
}

/* Connected and the session key is ready: start a fresh session. */
void
sess_rsa_ready(struct client *c)
{
	if (c->st != CS_WAIT_RSA) {
		/* Not connected yet: keep the key for when we are. */
		return;
	}
	if (c->rsa == NULL && (c->rsa = rsagen_take(c->rsagen)) == NULL) {
		rsagen_request(c->rsagen);
		core_emit_status(c, "making-key");
		return;
	}
	if (sotto_rsa_modulus(c->rsa, c->rsa_n, sizeof(c->rsa_n)) != 0) {
		conn_close(c, "session RSA key unusable");
		return;
	}
	sotto_random_nonce(c->nonce, sizeof(c->nonce));
	c->tx_next = 1;
	c->join_ts = core_now_ms();
	c->last_ini_ts = c->join_ts - 1;
	c->st = CS_JOINING;
	if (sess_send_ini(c, SOTTO_TO_ROOM, 0, 0, NULL) != 0)
		return;
	core_emit_status(c, "joining");
}

/* --- READY --------------------------------------------------------------- */

static void send_key(struct client *c, struct member *m);

static void
emit_ready(struct client *c, bool first)
{
	struct client_event ev = { .type = CLIENT_EV_READY,
	    .ready = { .room = c->room_str, .first = first } };
	struct client_member *l;
	struct member *m;
	size_t n;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->known && m->proven)
			m->shown = true;
	l = members_list(c, &n);
	ev.ready.epoch = sess_epoch(c);
	ev.ready.members = l;
	ev.ready.n_members = l ? n : 0;
	core_emit(c, &ev);
	members_list_free(l, n);
}

static void
become_ready(struct client *c, bool first)
{
	struct member *m, *tmp;

	ev_timer_stop(c->loop, &c->key_timer);
	c->asked = 0;
	c->adopting = 0;
	c->round_wait = false;
	if (dat_new_key(c) != 0) {
		conn_close(c, "out of memory");
		return;
	}
	c->st = CS_READY;
	c->backoff = CORE_BACKOFF_MIN;
	rot_keys_changed(c);    /* starts the sweep of keys past their grace */
	core_emit_status(c, "ready");
	emit_ready(c, first);
	if (c->st == CS_READY)
		period_key_held(c);
	/* A key we removed while away may hold the room's key: rotate. */
	if (c->st == CS_READY && rot_removal_waiting(c))
		rot_trigger(c, "removed", false);
	/* The next session's RSA key, made while we chat. */
	rsagen_request(c->rsagen);
	HASH_ITER(hh, c->members, m, tmp)
		if (!m->dead && m->key_wanted && m->known) {
			m->key_wanted = false;
			send_key(c, m);
		}
	dat_flush_pending(c);
	dat_pump(c);
}

/* Hold the room's key ourselves: the one this process already held for
 * it (a relay restart), else a fresh one. `announce`: we became first
 * because no proven keyholder answered, so tell the room which key we
 * hold (a member we could not see resolves the conflict from it). */
/* Epoch 1 of a room, made from the strong RNG (reason FIRST). */
static int
make_first_key(struct client *c)
{
	struct sotto_epoch_origin o = { SOTTO_REASON_FIRST, 0, NULL };
	struct sotto_genkey *gk = NULL;
	uint8_t key_id[SOTTO_KEY_ID];
	int r;

	if ((r = sotto_genkey_generate(&gk, 1)) != 0)
		return r;
	if ((r = sotto_epoch_key_id(gk->key, key_id)) != 0 ||
	    (r = sotto_keyring_set(c->kr, gk, key_id, &o, NULL, 0,
	        core_now_ms())) != 0) {
		sotto_genkey_free(gk);
		return r;
	}
	c->key_gen++;
	rot_keys_changed(c);
	return 0;
}

static void
become_first(struct client *c, bool announce)
{
	bool fresh = sess_epoch(c) == 0;

	if (fresh && make_first_key(c) != 0) {
		conn_close(c, "cannot generate the group key");
		return;
	}
	become_ready(c, fresh);
	if (announce && c->st == CS_READY)
		(void)sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI2_REPLY, NULL);
}

/* --- the relay's roster and LEFT ----------------------------------------- */

static void
on_roster(struct client *c, const struct sotto_frame *f)
{
	struct sotto_roster ro;
	struct member *m;
	uint32_t id, i;
	int r;

	if ((r = sotto_roster_parse(f->body, f->body_len, &ro)) != 0) {
		core_reject(c, r, "roster from the relay");
		return;
	}
	if (c->st != CS_JOINING || ro.room_len != c->room_len ||
	    memcmp(ro.room, c->room, c->room_len) != 0 || f->hdr.to == 0) {
		core_reject(c, SOTTO_V_MALFORMED, "unexpected roster from the relay");
		return;
	}
	c->self_id = f->hdr.to;
	/* A lying relay could list 262 144 ids: the first few thousand are
	 * plenty of keyholders to try. */
	for (i = 0; i < ro.count && i < CORE_ROSTER_MAX; i++) {
		if (sotto_rd_u32(&ro.ids, &id) != 0 || id == 0 || id == c->self_id)
			continue;
		if ((m = members_get(c, id, true)) != NULL)
			m->in_roster = true;
	}
	if (ro.count == 0) {
		become_first(c, false);
		return;
	}
	c->st = CS_KEYWAIT;
	c->keywait_roster = c->keywait_since = ev_now(c->loop);
	core_emit_status(c, "waiting-key");
	ask_next(c);
}

static void member_gone(struct client *c, struct member *m);

static void
on_left(struct client *c, const struct sotto_frame *f)
{
	struct member *m;
	uint32_t id;
	int r;

	if ((r = sotto_left_parse(f->body, f->body_len, &id)) != 0) {
		core_reject(c, r, "LEFT from the relay");
		return;
	}
	presence_left(c, id);
	/* A LEFT for an id we never knew (or whose signed LEAVE came first)
	 * has nothing else to act on. */
	if ((m = members_get(c, id, false)) == NULL)
		return;
	member_gone(c, m);
}

/* Member m's session ended: the relay's LEFT, or its own signed LEAVE. */
static void
member_gone(struct client *c, struct member *m)
{
	uint32_t id = m->id;
	bool was_asked, was_listed;

	/* Presence is per identity: left when its last session goes. */
	if (m->shown && presence_other_sessions(c, m) == 0) {
		struct client_event ev = { .type = CLIENT_EV_LEFT,
		    .left = { .name = m->name, .fpr = m->fpr } };

		core_emit(c, &ev);
	}
	if (m->rsess != NULL && m->rsess->refs == 1)
		m->rsess->ended = true;
	was_asked = c->asked == id;
	was_listed = m->shown && m->proven;
	if (c->adopting == id) {
		c->adopting = 0;
		dat_drop_pending(c, "its sender left before handing us the "
		    "newer group key");
	}
	members_del(c, m);
	if (c->st == CS_KEYWAIT && was_asked) {
		c->asked = 0;
		ask_next(c);
	}
	/* It held our key: nothing more is sealed under it (lines wait for
	 * the new one). */
	if (was_listed)
		rot_trigger(c, "left", false);
	if (c->st == CS_READY && c->adopting == 0)
		dat_pump(c);
}

/* --- asking for the key -------------------------------------------------- */

/* The next keyholder to ask: only members that proved themselves (a
 * trusted INI signed after our join) and hold a key; the winning key
 * first, then the lowest id (the longest present). Roster ids alone are
 * never asked: an outsider, a silent member or an id the relay made up
 * cannot hold the room hostage. NULL when none is left untried;
 * *any_left: a roster member is still present; *any_proven: a proven
 * keyholder exists (tried or not). */
static struct member *
pick_candidate(struct client *c, bool *any_left, bool *any_proven)
{
	struct member *m, *best = NULL;

	*any_left = false;
	*any_proven = false;
	for (m = c->members; m != NULL; m = m->hh.next) {
		*any_left = *any_left || m->in_roster;
		if (!m->known || !m->proven || m->epoch == 0)
			continue;
		*any_proven = true;
		if (m->tried)
			continue;
		if (best == NULL || sotto_group_cmp(m->epoch, m->key_id, best->epoch,
		    best->key_id) > 0 || (sotto_group_cmp(m->epoch, m->key_id,
		    best->epoch, best->key_id) == 0 && m->id < best->id))
			best = m;
	}
	return best;
}

/* Tell the front-end whom we asked (a name once its INI was trusted). */
static void
emit_asking(struct client *c, const struct member *m)
{
	struct client_event ev = { .type = CLIENT_EV_WAITING_KEY,
	    .waiting_key = { .fpr = c->fpr_str } };
	char name[32];

	if (m->known) {
		ev.waiting_key.asked = m->name;
		ev.waiting_key.asked_fpr = m->fpr;
	} else {
		snprintf(name, sizeof(name), "member %u", (unsigned)m->id);
		ev.waiting_key.asked = name;
	}
	core_emit(c, &ev);
}

/* Nobody trusted answered: a whole round of asks, or our join, which asked
 * every member present to introduce itself, before we become first. Say
 * why that may be, once per connection (docs/protocol.md "Waiting for the
 * key"). `first`: we are about to hold a key of our own. */
static void
emit_no_key(struct client *c, bool first)
{
	struct client_event ev = { .type = CLIENT_EV_NOTICE,
	    .notice = { .reason = "no-key-yet" } };
	char asked[200] = "", detail[640];
	const struct member *m;
	size_t used = 0;
	int w;

	if (c->told_nokey)
		return;
	/* A member that answered our join with its own INI trusts us: it is
	 * only slow (a loaded machine), and the hint would mislead. */
	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->in_roster && m->known)
			return;
	c->told_nokey = true;
	for (m = c->members; m != NULL; m = m->hh.next) {
		char id[32];

		if (!m->in_roster || !(m->tried || first))
			continue;
		snprintf(id, sizeof(id), "member %u", (unsigned)m->id);
		w = snprintf(asked + used, sizeof(asked) - used, "%s%s",
		    used ? ", " : "", m->known ? m->name : id);
		if (w < 0 || (size_t)w >= sizeof(asked) - used) {
			asked[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
	snprintf(detail, sizeof(detail), "nobody trusted has handed you the key "
	    "(asked %s); you may not be in their trusted folder: send them your "
	    "fingerprint %s%s", asked[0] ? asked : "nobody", c->fpr_str,
	    first ? "; you now hold a key of your own: a member who does not "
	    "trust you cannot read your lines, nor you theirs" : "");
	ev.notice.text = detail;
	core_emit(c, &ev);
}

/* Nobody to ask: become first once the key timeout has passed with no
 * proven keyholder, else wait for one (its REPLY asks at once). */
static void
no_candidate(struct client *c, bool any_proven)
{
	double left = c->keywait_since + CORE_KEY_TIMEOUT - ev_now(c->loop);

	c->asked = 0;
	if (any_proven) {
		emit_no_key(c, false);
		/* All asked and still present: wait, then start over. */
		c->round_wait = true;
		key_timer_start(c, c->round_backoff);
		c->round_backoff = c->round_backoff * 2 > CORE_BACKOFF_MAX ?
		    CORE_BACKOFF_MAX : c->round_backoff * 2;
		return;
	}
	if (left > 0) {
		key_timer_start(c, left);
		return;
	}
	/* A stalled process may find a keyholder's REPLY already in its
	 * socket when the timer fires: read it before deciding. */
	if (conn_input_waiting(c)) {
		key_timer_start(c, CORE_RECHECK);
		return;
	}
	emit_no_key(c, true);
	become_first(c, true);
}

static void
ask_next(struct client *c)
{
	struct member *m;
	bool any, proven;

	if ((m = pick_candidate(c, &any, &proven)) == NULL) {
		if (!any && !proven) {
			/* Every member left: a fresh join is told count 0. */
			conn_close(c, "every member that could hand over the key left");
			return;
		}
		no_candidate(c, proven);
		return;
	}
	m->tried = true;
	c->asked = m->id;
	if (sess_send_ini(c, m->id, m->id, 0, m->nonce) != 0)
		return;
	key_timer_start(c, CORE_KEY_TIMEOUT);
	emit_asking(c, m);
}

static void
on_key_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, key_timer);
	struct member *m;

	(void)loop;
	(void)revents;
	if (c->st == CS_READY) {
		/* The winner did not answer: go on with our key. */
		c->adopting = 0;
		dat_drop_pending(c, "its sender did not hand us the newer group key");
		dat_pump(c);
		return;
	}
	if (c->st != CS_KEYWAIT)
		return;
	if (c->round_wait) {
		c->round_wait = false;
		for (m = c->members; m != NULL; m = m->hh.next)
			m->tried = false;
	}
	c->asked = 0;
	ask_next(c);
}

/* --- serving keys -------------------------------------------------------- */

/* The handover's chains with our own replaced by where it stood at m's
 * join (or added), when that snapshot is recent and of a generation
 * handed; NULL: src as it is. */
static const struct sotto_chain **
with_own_at_join(struct client *c, struct member *m,
    struct sotto_key2_src *src)
{
	const struct sotto_chain *own = m->own_at_join, **l;
	size_t i, n = 0;

	if (own == NULL || ev_now(c->loop) - m->own_at_join_t > CORE_FIRST_MAX ||
	    own->epoch != src->gk->epoch || own->gen >= src->gk->gen)
		return NULL;
	if ((l = calloc(src->n_chains + 1, sizeof(*l))) == NULL)
		return NULL;
	for (i = 0; i < src->n_chains; i++)
		if (memcmp(src->chains[i]->id_pub, c->pub, SOTTO_ED25519_PUB) != 0 ||
		    memcmp(src->chains[i]->session, c->nonce, SOTTO_JOIN_NONCE) != 0 ||
		    src->chains[i]->gen != own->gen)
			l[n++] = src->chains[i];
	if (n >= SOTTO_CHAINS_MAX) {
		free(l);
		return NULL;
	}
	l[n++] = own;
	src->n_chains = n;
	return l;
}

/* A HANDOVER (docs/protocol.md "v2: joining"): we step to the next
 * generation and hand m that key, the watermarks and the chains of every
 * sender session at the index we expect next, plus CK_0 of the generation
 * we leave for each present member that has not sent in it (so m reads
 * them at once) and our own chain where it stands. m gets nothing that
 * opens a message we received before serving it. */
static void
send_key(struct client *c, struct member *m)
{
	struct sotto_key_to to = { m->pub, m->nonce, m->rsa_n };
	struct sotto_session_ref *present;
	const struct sotto_chain **chains;
	struct sotto_key2_src src;
	struct sotto_wbuf b, msg;
	struct member *o;
	size_t n = 0;
	int r;

	/* It was here when this epoch began and missed its ROTATION KEY:
	 * the same generation 0 again, so the DATs it holds for that key
	 * open (a HANDOVER starts where we stand). */
	if (rot_resend(c, m))
		return;
	if ((present = calloc(HASH_COUNT(c->members) + 1, sizeof(*present))) == NULL)
		return;
	for (o = c->members; o != NULL; o = o->hh.next)
		if (o != m && !o->dead && o->known && o->proven)
			present[n++] = (struct sotto_session_ref){ o->pub, o->nonce };
	r = sotto_keyring_handover(c->kr, present, n, core_now_ms(), &src);
	free(present);
	if (r != 0)
		return;
	rot_keys_changed(c);
	src.marks = m->marks;
	src.n_marks = m->n_marks;
	if ((chains = with_own_at_join(c, m, &src)) != NULL)
		src.chains = chains;
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&msg, 0);
	r = sotto_key2_build_unsigned(&b, c->room, c->room_len, c->pub, &src,
	    &to, core_now_ms(), &msg);
	free(chains);
	sotto_chain_free(m->own_at_join);
	m->own_at_join = NULL;
	if (r == 0)
		(void)signer_send(c, SOTTO_T_KEY, m->id, b.p, b.len, msg.p,
		    msg.len, NULL);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&msg);
	/* Tell the room our new generation (an announcement): members that
	 * do not send would otherwise stay behind, and once our grace for
	 * the generation we left is over we could not read them. */
	(void)sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI2_REPLY, NULL);
}

/* --- INI from a member --------------------------------------------------- */

static void
emit_joined(struct client *c, struct member *m)
{
	struct client_event ev = { .type = CLIENT_EV_JOINED,
	    .joined = { .name = m->name, .fpr = m->fpr } };

	m->shown = true;
	/* Presence is per identity: a second session is no second join. */
	if (presence_other_sessions(c, m) == 0)
		core_emit(c, &ev);
}

/* A member we know by an INI but not yet by one bound to our session
 * (two joiners racing each other through the relays, each seeing the
 * other's join only as a broadcast it cannot REPLY to in time) is proven
 * by a DAT of that same session we opened (dat.c): we can open only what
 * was sealed from the chain position handed to us at our join on, so a
 * recording from before our join proves nothing. */
void
sess_prove(struct client *c, struct member *m)
{
	if (!m->known || m->proven)
		return;
	m->proven = true;
	if (c->st == CS_READY)
		emit_joined(c, m);
}

/* Record what the INI says about its sender. 0, or a verdict. */
static int
ini_record(struct member *m, const struct sotto_ini2 *ini,
    const struct sotto_peer *peer, struct rsess *s)
{
	if (m->rsess != s) {
		/* A new session under this id: a member that rejoined. */
		rsess_unref(m);
		rsess_ref(s, m);
		m->known = false;
		m->proven = false;
		m->acked = false;
	}
	if (members_set_peer(m, peer) != 0)
		return SOTTO_E_ALLOC;
	memcpy(m->nonce, ini->nonce, sizeof(m->nonce));
	memcpy(m->rsa_n, ini->rsa_n, sizeof(m->rsa_n));
	m->epoch = ini->epoch;
	m->gen = ini->gen;
	if (ini->key_id != NULL)
		memcpy(m->key_id, ini->key_id, sizeof(m->key_id));
	else
		memset(m->key_id, 0, sizeof(m->key_id));
	return 0;
}

/* At a newcomer's join: our sending chain as it stands (started now if
 * we have not sent in this generation yet). */
static void
own_chain_snapshot(struct client *c, struct member *m)
{
	struct sotto_chain *ch;

	sotto_chain_free(m->own_at_join);
	m->own_at_join = NULL;
	if (c->st != CS_READY || sess_epoch(c) == 0 ||
	    sotto_keyring_tx(c->kr, c->pub, c->nonce, core_now_ms(), &ch) != 0 ||
	    sotto_chain_dup(&m->own_at_join, ch) != 0)
		return;
	m->own_at_join_t = ev_now(c->loop);
}

/* Join snapshots of our chain nobody asked for in time are wiped: they
 * would open what we sent since, against the forward secrecy bound. */
void
sess_sweep(struct client *c)
{
	struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->own_at_join != NULL &&
		    ev_now(c->loop) - m->own_at_join_t > CORE_FIRST_MAX) {
			sotto_chain_free(m->own_at_join);
			m->own_at_join = NULL;
		}
}

/* A broadcast INI (join, announcement, LEAVE): to_nonce all zero. */
static bool
ini_broadcast(const struct sotto_ini2 *ini)
{
	static const uint8_t zero[SOTTO_JOIN_NONCE];

	return ini->to_nonce == NULL ||
	    memcmp(ini->to_nonce, zero, SOTTO_JOIN_NONCE) == 0;
}

/* A newcomer's join INI (a broadcast, no flag): watermarks for its KEY,
 * and a REPLY bound to its session so it can list us (and ACK ours). */
static void
greet(struct client *c, struct member *m, const struct sotto_ini2 *ini)
{
	if (ini->flags != 0 || !ini_broadcast(ini))
		return;
	/* A join signed after ours: everything that session sends is newer
	 * than our join, no clock check needed. An older join INI (replayed,
	 * or a concurrent joiner with a fast clock) leaves the check on. */
	if (ini->ts_ms >= core_min_ts(c)) {
		m->rsess->vouched = true;
		m->rsess->rp.min_ts_ms = 0;
	}
	(void)rsess_marks(c, m);
	own_chain_snapshot(c, m);
	(void)sess_send_ini(c, m->id, 0, SOTTO_INI2_REPLY, m->nonce);
}

/* Two keys for one room (§3.6): the higher epoch wins, then the lower
 * key_id. The loser asks the winner for its key; the winner makes sure the
 * loser has seen its key (a REPLY INI, once per key), since the loser may
 * only ever have seen the winner's INI from before it held a key. */
static void
check_conflict(struct client *c, struct member *m)
{
	int cmp;

	if (c->st != CS_READY || m->epoch == 0 || c->adopting != 0 ||
	    sess_epoch(c) == 0)
		return;
	cmp = sotto_group_cmp(m->epoch, m->key_id, sess_epoch(c), sess_key_id(c));
	if (cmp < 0 && m->told_gen != c->key_gen) {
		m->told_gen = c->key_gen;
		(void)sess_send_ini(c, m->id, 0, SOTTO_INI2_REPLY, m->nonce);
	}
	if (cmp == 0 && m->gen > sotto_keyring_gen(c->kr) &&
	    sotto_keyring_step_to(c->kr, m->gen, core_now_ms()) == 0)
		rot_keys_changed(c);    /* it served a newcomer: move on too */
	if (cmp <= 0)
		return;
	sess_ask_winner(c, m);
}

/* Ask m for the winning key it holds (a conflict's winner, or a newer
 * epoch we missed): our lines wait until its KEY or the timeout. */
void
sess_ask_winner(struct client *c, struct member *m)
{
	if (c->st != CS_READY || c->adopting != 0)
		return;
	c->adopting = m->id;
	if (sess_send_ini(c, m->id, m->id, 0, m->nonce) != 0)
		return;
	key_timer_start(c, CORE_KEY_TIMEOUT);
}

/* A trusted member without a key spoke while we wait with nobody to ask:
 * the room has live members (a keyholder may just be slow on a loaded
 * machine), so the key timeout starts again, up to CORE_FIRST_MAX after
 * the roster in all. Squatters never send a trusted frame: with them
 * alone the timeout is not extended. */
static void
trusted_alive(struct client *c)
{
	double now = ev_now(c->loop), cap;

	if (c->asked != 0 || c->round_wait)
		return;
	cap = c->keywait_roster + CORE_FIRST_MAX - CORE_KEY_TIMEOUT;
	c->keywait_since = now < cap ? now : cap;
	if (c->keywait_since + CORE_KEY_TIMEOUT > now)
		key_timer_start(c, c->keywait_since + CORE_KEY_TIMEOUT - now);
}

/* While waiting for the key: ask a proven keyholder as soon as one shows
 * up, and prefer one over an asked member that turned out to hold none. */
static void
maybe_switch(struct client *c, struct member *from)
{
	struct member *asked;

	if (c->st == CS_KEYWAIT && from->known && from->epoch == 0)
		trusted_alive(c);
	if (c->st != CS_KEYWAIT || !from->proven || from->epoch == 0 ||
	    from->tried || c->round_wait)
		return;
	if (c->asked == 0) {
		ask_next(c);
		return;
	}
	asked = members_get(c, c->asked, false);
	if (asked == NULL || !asked->known || asked->epoch != 0)
		return;
	ask_next(c);
}

/* A frame of a newer version or kind from a trusted key: one notice per
 * relay member id and connection, never `malformed`. */
static void
newer_notice(struct client *c, uint32_t from, const uint8_t *pub,
    const char *what)
{
	const struct sotto_peer *peer = sotto_trust_find(c->trust, pub);
	struct member *m;

	if (from == 0 || from == c->self_id ||
	    (m = members_get(c, from, true)) == NULL || m->told_newer)
		return;
	m->told_newer = true;
	core_notice(c, "%s sent a %s this client does not know (a newer sotto?): "
	    "ignored", peer != NULL ? peer->name : "a member", what);
}

/* parse -> trusted -> room -> replayed (its session ended, or not newer
 * than its last INI: before the signature check, replays cost nothing)
 * -> signature -> fresh. 0, or rejected here. */
static int
ini_verify(struct client *c, const struct sotto_frame *f,
    struct sotto_ini2 *ini, const struct sotto_peer **peer)
{
	struct rsess *s;
	int r;

	r = sotto_ini2_check(f->body, f->body_len, c->room, c->room_len, c->trust,
	    ini, peer);
	if (r == SOTTO_V_NEWER) {
		newer_notice(c, f->hdr.from, ini->id_pub, "join of a newer version");
		return r;
	}
	if (r == SOTTO_V_UNTRUSTED) {
		core_reject_key(c, ini->id_pub, "INI");
		if (c->st >= CS_JOINING && c->st != CS_CLOSED)
			presence_untrusted_ini(c, f->hdr.from, f->body, f->body_len);
		return r;
	}
	if (r != 0) {
		core_reject(c, r, "INI from member %u", f->hdr.from);
		return r;
	}
	if ((s = rsess_get(c, ini->id_pub, ini->nonce, false)) != NULL &&
	    (s->ended || ini->ts_ms <= s->last_ini_ts)) {
		core_reject(c, SOTTO_V_REPLAY, "INI from %s: %s", (*peer)->name,
		    s->ended ? "its session has left" : "not newer than the last one");
		return SOTTO_V_REPLAY;
	}
	/* Only the +- window here: a concurrent joiner's INI may be signed a
	 * moment before our own join. */
	if ((r = sotto_ini2_finish(ini, f->body, f->body_len, core_now_ms(), 0)) != 0) {
		core_reject(c, r, "INI from %s", (*peer)->name);
		return r;
	}
	return 0;
}

/* Presence (docs/protocol.md "v2: signed presence"): a member is listed
 * only on an INI it signed for our current session: its REPLY to our
 * join, its ACK of our REPLY, or an ask of our key. A broadcast, or an
 * INI bound to another session (a recording), shows nothing. */
static void
ini_presence(struct client *c, struct member *m, const struct sotto_ini2 *ini)
{
	if (!sotto_ini2_for_session(ini, c->nonce))
		return;
	/* Its REPLY to our join: ACK it, bound to its session, so it can
	 * list us too. */
	if ((ini->flags & SOTTO_INI2_REPLY) && !m->acked) {
		m->acked = true;
		(void)sess_send_ini(c, m->id, 0, SOTTO_INI2_ACK, m->nonce);
	}
	if (m->proven)
		return;
	m->proven = true;
	if (c->st == CS_READY)
		emit_joined(c, m);
	if (c->st == CS_KEYWAIT && c->asked == m->id)
		emit_asking(c, m);
}

static void
on_ini(struct client *c, const struct sotto_frame *f)
{
	const struct sotto_peer *peer;
	struct sotto_ini2 ini;
	struct member *m;
	struct rsess *s;
	bool fresh_member;
	int r;

	if (ini_verify(c, f, &ini, &peer) != 0)
		return;
	if (c->st < CS_JOINING || c->st == CS_CLOSED)
		return;
	if ((s = rsess_get(c, ini.id_pub, ini.nonce, true)) == NULL) {
		core_reject(c, SOTTO_E_ALLOC, "INI from %s", peer->name);
		return;
	}
	s->last_ini_ts = ini.ts_ms;
	if (f->hdr.from == 0 || f->hdr.from == c->self_id ||
	    (m = members_get(c, f->hdr.from, true)) == NULL) {
		core_reject(c, SOTTO_V_MALFORMED, "INI from %s with member id %u",
		    peer->name, f->hdr.from);
		return;
	}
	if ((r = ini_record(m, &ini, peer, s)) != 0) {
		core_reject(c, r, "INI from %s", peer->name);
		return;
	}
	if (ini.flags & SOTTO_INI2_LEAVE) {
		/* Its signed leave: the session ends now (LEFT may follow). */
		s->ended = true;
		member_gone(c, m);
		return;
	}
	fresh_member = !m->known;
	m->known = true;
	if (fresh_member)
		greet(c, m, &ini);
	ini_presence(c, m, &ini);
	/* The front-end's `joined` may have reloaded the trusted folder and
	 * forgotten m (freed at the end of the turn): it gets nothing more. */
	if (m->dead)
		return;
	check_conflict(c, m);
	if (ini.ask != 0 && ini.ask == c->self_id && !(ini.flags &
	    (SOTTO_INI2_REPLY | SOTTO_INI2_ACK)) && sotto_ini2_for_session(&ini,
	    c->nonce)) {
		if (c->st == CS_READY) {
			send_key(c, m);
			dat_pump(c);
		} else
			m->key_wanted = true;
	}
	maybe_switch(c, m);
}

/* At shutdown: tell the room, signed, that this session ends, so members
 * rotate at once (a relay's LEFT may come later, or never reach them). */
void
sess_leave(struct client *c)
{
	if (c->st == CS_READY && !c->closing)
		(void)sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI2_LEAVE, NULL);
}

/* --- KEY ----------------------------------------------------------------- */

static void
apply_marks(struct client *c, const struct sotto_key2 *k)
{
	struct sotto_mark mk;
	struct rsess *s;
	size_t i;

	for (i = 0; i < k->n_marks; i++) {
		if (sotto_key2_mark(k, i, &mk) != 0)
			break;
		/* Our own sessions are not ours to limit. */
		if (memcmp(mk.id_pub, c->pub, SOTTO_ED25519_PUB) == 0 &&
		    memcmp(mk.session, c->nonce, SOTTO_JOIN_NONCE) == 0)
			continue;
		if ((s = rsess_get(c, mk.id_pub, mk.session, true)) == NULL)
			continue;
		if (mk.next > s->rp.floor)
			s->rp.floor = mk.next;
	}
}

/* The same KEY twice is a replay: its identity is the digest of its
 * signed bytes (a signature is not one). A different KEY with the key we
 * hold (a late answer) is not. Checked before the signature and the RSA
 * work, remembered once accepted. */
static bool
key_seen(const struct client *c, const uint8_t digest[static SOTTO_SHA256_LEN])
{
	size_t i, n = c->n_key_digests < CORE_KEY_DIGESTS ? c->n_key_digests :
	    CORE_KEY_DIGESTS;

	for (i = 0; i < n; i++)
		if (memcmp(c->key_digests[i], digest, SOTTO_SHA256_LEN) == 0)
			return true;
	return false;
}

static void
key_remember(struct client *c, const uint8_t digest[static SOTTO_SHA256_LEN])
{
	memcpy(c->key_digests[c->n_key_digests % CORE_KEY_DIGESTS], digest,
	    SOTTO_SHA256_LEN);
	c->n_key_digests++;
}

/* parse -> trusted -> addressed to this session -> seen (the refusals
 * that cost no signature and no RSA) -> signature -> fresh -> unwrap and
 * open. 0 with the secret, or rejected here. */
static int
key_verify(struct client *c, const struct sotto_frame *f, struct sotto_key2 *k,
    const struct sotto_peer **peer, struct sotto_key2_secret *sec)
{
	uint8_t digest[SOTTO_SHA256_LEN];
	int r;

	memset(digest, 0, sizeof(digest));
	r = sotto_key2_check(f->body, f->body_len, c->room, c->room_len, c->trust,
	    c->fpr, c->nonce, k, peer, digest);
	if (r == SOTTO_V_NEWER) {
		newer_notice(c, f->hdr.from, k->id_pub, "KEY of a newer kind");
		return r;
	}
	if (r == SOTTO_V_UNTRUSTED) {
		core_reject_key(c, k->id_pub, "KEY");
		return r;
	}
	if (r != 0) {
		core_reject(c, r, "KEY from member %u", f->hdr.from);
		return r;
	}
	if (key_seen(c, digest)) {
		core_reject(c, SOTTO_V_REPLAY, "KEY from %s: accepted before",
		    (*peer)->name);
		return SOTTO_V_REPLAY;
	}
	r = sotto_key2_finish(k, f->body, f->body_len, c->room, c->room_len,
	    c->rsa, core_now_ms(), 0, sec);
	if (r != 0) {
		core_reject(c, r, "KEY from %s", (*peer)->name);
		return r;
	}
	key_remember(c, digest);
	return 0;
}

/* Adopt what a verified KEY carries. 0, or an error (secret freed). */
static int
key_adopt(struct client *c, const struct sotto_key2 *k,
    struct sotto_key2_secret *sec)
{
	int r;

	if ((r = sotto_keyring_set_secret(c->kr, k, sec, core_now_ms())) != 0)
		return r;
	c->key_gen++;
	rot_keys_changed(c);
	return 0;
}

static void
on_key(struct client *c, const struct sotto_frame *f)
{
	const struct sotto_peer *peer = NULL;
	struct sotto_key2_secret sec;
	struct sotto_key2 k;
	int cmp;

	if (c->rsa == NULL || (c->st != CS_KEYWAIT && c->st != CS_READY)) {
		core_reject(c, SOTTO_V_NOTFORME, "KEY from member %u before we asked",
		    f->hdr.from);
		return;
	}
	memset(&sec, 0, sizeof(sec));
	if (key_verify(c, f, &k, &peer, &sec) != 0)
		return;
	if (c->st != CS_READY) {
		apply_marks(c, &k);
		cmp = sess_epoch(c) == 0 ? 1 : sotto_group_cmp(k.epoch, k.key_id,
		    sess_epoch(c), sess_key_id(c));
		/* A key older than one this process held before a reconnect
		 * (a rejoin): the keyring keeps no older epoch; ours then
		 * goes, and theirs wins the room's conflict order anyway. */
		if (cmp < 0) {
			sotto_keyring_free(c->kr);
			c->kr = NULL;
			if (sotto_keyring_new(&c->kr, NULL) != 0) {
				sotto_key2_secret_free(&sec);
				conn_close(c, "out of memory");
				return;
			}
		}
		if (key_adopt(c, &k, &sec) != 0) {
			core_reject(c, SOTTO_V_DECRYPT, "KEY from %s: not adopted",
			    peer->name);
			return;
		}
		become_ready(c, false);
		return;
	}
	cmp = sotto_group_cmp(k.epoch, k.key_id, sess_epoch(c), sess_key_id(c));
	if (cmp == 0) {
		/* A second keyholder answered with the key we hold. */
		sotto_key2_secret_free(&sec);
		return;
	}
	if (cmp < 0) {
		core_reject(c, SOTTO_V_STALE, "KEY from %s: its key loses to the one held",
		    peer->name);
		sotto_key2_secret_free(&sec);
		return;
	}
	if (k.epoch > sess_epoch(c)) {
		/* A rotation (or one we missed and asked for): the KEY says
		 * why its epoch exists, and whom it excluded. */
		if (k.kind == SOTTO_KEY2_ROTATION) {
			rot_removed_seen(c, (const uint8_t (*)[SOTTO_FPR_LEN])
			    sec.removed, sec.n_removed);
			rot_entitle(c, k.epoch, (const uint8_t (*)[SOTTO_FPR_LEN])
			    sec.removed, sec.n_removed);
		}
		if (key_adopt(c, &k, &sec) != 0) {
			core_reject(c, SOTTO_V_DECRYPT, "KEY from %s: not adopted",
			    peer->name);
			return;
		}
		rot_switched(c, rot_reason_word(k.reason));
		if (c->st == CS_READY)
			dat_pump(c);
		return;
	}
	/* Conflict resolved in the sender's favour: switch keys, tell the
	 * room which key we hold now. */
	if (key_adopt(c, &k, &sec) != 0) {
		core_reject(c, SOTTO_V_DECRYPT, "KEY from %s: not adopted", peer->name);
		return;
	}
	become_ready(c, false);
	if (c->st == CS_READY) {
		struct client_event ev = { .type = CLIENT_EV_REKEYED,
		    .rekeyed = { .epoch = sess_epoch(c), .reason = "conflict" } };

		core_emit(c, &ev);
		(void)sess_send_ini(c, SOTTO_TO_ROOM, 0, SOTTO_INI2_REPLY, NULL);
	}
}

/* --- dispatch ------------------------------------------------------------ */

static void sess_dispatch(struct client *c, const struct sotto_frame *f);

void
sess_on_frame(struct client *c, const struct sotto_frame *f)
{
	unsigned before = c->n_rejects;

	if (cutoff_refuse(c, f))
		return;
	sess_dispatch(c, f);
	cutoff_count(c, f, before);
}

static void
sess_dispatch(struct client *c, const struct sotto_frame *f)
{
	switch (f->hdr.type) {
	case SOTTO_T_LEFT:
		on_left(c, f);
		break;
	case SOTTO_T_INI:
		if (f->hdr.from == SOTTO_ID_RELAY)
			on_roster(c, f);
		else
			on_ini(c, f);
		break;
	case SOTTO_T_KEY:
		on_key(c, f);
		break;
	case SOTTO_T_DAT:
		dat_on_frame(c, f->hdr.from, f->body, f->body_len);
		break;
	default:
		core_reject(c, SOTTO_V_MALFORMED, "frame type %u", f->hdr.type);
		break;
	}
}

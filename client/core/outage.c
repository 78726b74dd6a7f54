/* SPDX-License-Identifier: ISC */
/* outage.c: lines typed during a relay outage reach the members who were in the room when they were typed, whatever order they come back in.
 *
 * When an established connection ends, the identities of the members we
 * knew in the room (a valid INI seen) are noted: "the members from
 * before". From then until one of them is back in the room with us (or
 * the bound passes), every typed line, and every line not yet written to
 * the old socket, is held: it owes a copy to each of those identities.
 * After the reconnect, each time one of them is present (its INI accepted
 * on the new connection, while we hold the key), the held lines it is owed
 * are sealed, in typing order, as DATs addressed to its member id (wire
 * §1: `to` names one member), and it is crossed off once the socket took
 * them. A member that returns later still gets them; one that returned
 * earlier does not get them twice. Lines typed once a member from before
 * is back go to the room as usual.
 *
 * Recognising a member "from before" by its identity key (not its member
 * id, which the restarted relay hands out afresh, nor its session, which
 * is new) is what the room means to the user: the same person. A member
 * still waiting for the key keeps what it receives (up to its pending
 * bound, CORE_PENDING_MAX) until the key arrives.
 *
 * The bound: og.hold seconds (CORE_HOLD_MAX, or --hold-lines) spent back
 * in the room with the key while lines are still held. Then
 * lines that reached nobody are sent to the room as it is, and the user is
 * told nobody from before was back; lines that reached some but not all
 * are dropped for the rest, and the user is told who did not get them.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "pad.h"

static void on_hold_timer(struct ev_loop *loop, ev_timer *w, int revents);

void
outage_init(struct client *c)
{
	memset(&c->og, 0, sizeof(c->og));
	c->og.hold = CORE_HOLD_MAX;
	ev_init(&c->og.timer, on_hold_timer);
}

void
outage_stop(struct client *c)
{
	ev_timer_stop(c->loop, &c->og.timer);
}

/* The slot of an identity, added when new; -1 when the table is full. */
static int
id_slot(struct outage *og, const uint8_t pub[static SOTTO_ED25519_PUB],
    const char *name, bool add)
{
	size_t i;

	for (i = 0; i < og->n_ids; i++)
		if (memcmp(og->ids[i].pub, pub, SOTTO_ED25519_PUB) == 0)
			return (int)i;
	if (!add || og->n_ids == CORE_HOLD_IDS)
		return -1;
	memcpy(og->ids[og->n_ids].pub, pub, SOTTO_ED25519_PUB);
	snprintf(og->ids[og->n_ids].name, sizeof(og->ids[0].name), "%s",
	    name ? name : "?");
	return (int)og->n_ids++;
}

/* Called as an established connection ends, before the member table is
 * cleared. */
void
outage_begin(struct client *c)
{
	const uint8_t *self = c->pub;
	struct outage *og = &c->og;
	uint64_t mask = 0;
	struct member *m;
	struct line *l;
	int i;

	for (m = c->members; m != NULL; m = m->hh.next) {
		if (!m->known || memcmp(m->pub, self, SOTTO_ED25519_PUB) == 0)
			continue;
		if ((i = id_slot(og, m->pub, m->name, true)) >= 0)
			mask |= (uint64_t)1 << i;
	}
	if (mask == 0)
		return;         /* we were alone: nobody to wait for */
	og->active = true;
	og->mask |= mask;
	/* Lines not yet written to the old socket were typed with these
	 * members present: they are owed to them too. */
	for (l = c->ob.head; l != NULL; l = l->next)
		if (!l->held)
			outbox_hold(&c->ob, l, og->mask);
	/* The bound runs only while we are back in the room: time spent
	 * reconnecting ourselves is nobody's absence. */
	ev_timer_stop(c->loop, &og->timer);
}

/* Whether another member is with us in the room on this connection. */
static bool
anyone_here(struct client *c)
{
	struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->known && m->rsess != NULL)
			return true;
	return false;
}

/* A line was just typed. Once we hold the key with someone in the room,
 * the outage is over for new lines: they are for whoever is here. */
void
outage_typed(struct client *c, struct line *l)
{
	if (c->og.active && c->st == CS_READY && anyone_here(c))
		c->og.active = false;
	if (c->og.active && l != NULL)
		outbox_hold(&c->ob, l, c->og.mask);
}

/* After each frame from the relay: a member from before may be back. */
void
outage_after_frame(struct client *c)
{
	if (c->ob.n_held > 0 || c->og.active)
		dat_pump(c);
}

/* Which of the members from before are present and known now. */
static uint64_t
present_mask(struct client *c)
{
	uint64_t mask = 0;
	struct member *m;
	int i;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->known && m->rsess != NULL &&
		    (i = id_slot(&c->og, m->pub, NULL, false)) >= 0)
			mask |= (uint64_t)1 << i;
	return mask;
}

static struct member *
member_of_slot(struct client *c, unsigned slot)
{
	struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->known && m->rsess != NULL &&
		    memcmp(m->pub, c->og.ids[slot].pub, SOTTO_ED25519_PUB) == 0)
			return m;
	return NULL;
}

/* Seal l for one member and hand it to the signer, addressed to it. The
 * member is marked `sending` (signer.c, outbox.c) only once the signed
 * frame is in the output buffer: at once with a key file, when ssh-agent
 * answers otherwise (`signing` until then). */
static int
send_to(struct client *c, struct line *l, struct member *m, unsigned slot)
{
	return dat_send_line(c, l, m->id, (uint64_t)1 << slot);
}

/* From dat_pump, READY with the key and a socket: send held lines to the
 * members from before that are here. True when the in-order path may go
 * on (nothing held is waiting for output room). */
bool
outage_pump(struct client *c)
{
	unsigned slot;
	uint64_t here, want;
	struct member *m;
	struct line *l;

	if (c->ob.n_held == 0 && !c->og.active)
		return true;
	if (c->ob.n_held > 0 && !ev_is_active(&c->og.timer)) {
		ev_timer_set(&c->og.timer, c->og.hold, 0.0);
		ev_timer_start(c->loop, &c->og.timer);
	}
	here = present_mask(c);
	if (c->og.active && anyone_here(c))
		c->og.active = false;   /* someone is back: new lines go live */
	if (here == 0 || c->ob.n_held == 0)
		return true;
	for (l = c->ob.head; l != NULL; l = l->next) {
		if (!l->held ||
		    (want = l->owed & ~(l->sending | l->signing) & here) == 0)
			continue;
		for (slot = 0; slot < c->og.n_ids; slot++) {
			if (!(want & ((uint64_t)1 << slot)))
				continue;
			if (c->out.len >= CORE_OUT_HIGH || signer_full(c))
				return false;
			/* A failed send may have closed the connection. */
			if ((m = member_of_slot(c, slot)) == NULL ||
			    send_to(c, l, m, slot) != 0 || c->closing)
				return false;
		}
	}
	return true;
}

/* After output was written: when nothing is held any more, forget the
 * members from before. */
void
outage_settled(struct client *c)
{
	if (c->ob.n_held == 0 && !c->og.active && c->og.n_ids > 0) {
		c->og.n_ids = 0;
		c->og.mask = 0;
		ev_timer_stop(c->loop, &c->og.timer);
	}
}

/* A line for the user: a STATUS notice, reason "held-lines" (the batch
 * front-end prints {"event":"notice",...}, the UI a warning line). */
static void
notice(struct client *c, const char *text)
{
	struct client_event ev = { .type = CLIENT_EV_STATUS, .status = {
	    .state = "held-lines", .reason = "held-lines", .detail = text } };

	core_emit(c, &ev);
}

/* The names of the members in mask, comma separated. */
static void
names_of(struct client *c, uint64_t mask, char *out, size_t n)
{
	size_t i, used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < c->og.n_ids && used < n; i++) {
		if (!(mask & ((uint64_t)1 << i)))
			continue;
		w = snprintf(out + used, n - used, "%s%s", used ? ", " : "",
		    c->og.ids[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void
on_hold_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, og.timer);
	struct line *l, *next;
	uint64_t missed = 0;
	size_t to_room = 0, partial = 0;
	char text[512], who[384];

	(void)loop;
	(void)revents;
	c->og.active = false;
	for (l = c->ob.head; l != NULL; l = next) {
		next = l->next;
		if (!l->held)
			continue;
		/* a line with DATs being signed or in flight settles when they
		 * are written (and must stay: signer.c points at it) */
		if ((l->sending | l->signing) != 0)
			continue;
		if (!l->delivered) {
			outbox_unhold(&c->ob, l, true);
			to_room++;
		} else {
			missed |= l->owed;
			outbox_unhold(&c->ob, l, false);
			partial++;
		}
	}
	if (to_room > 0) {
		snprintf(text, sizeof(text), "%zu line%s typed during the outage "
		    "went to the room as it is now: nobody who was there before "
		    "came back within %g s", to_room, to_room == 1 ? "" : "s",
		    c->og.hold);
		notice(c, text);
	}
	if (partial > 0) {
		names_of(c, missed, who, sizeof(who));
		snprintf(text, sizeof(text), "%zu line%s typed during the outage "
		    "did not reach %s: not back within %g s", partial,
		    partial == 1 ? "" : "s", who, c->og.hold);
		notice(c, text);
	}
	outbox_written(&c->ob, c->out_written);
	outage_settled(c);
	/* Lines with DATs in flight settle when written; should the
	 * connection drop first, the next return starts a new bound. */
	dat_pump(c);
}

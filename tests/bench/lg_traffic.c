/* SPDX-License-Identifier: ISC */
/* lg_traffic.c: what moves: stamped payloads, each sender's in-flight window, delivery and loss accounting. */
#include <stdint.h>
#include <string.h>

#include "lg.h"

static void store_be64(uint8_t p[static 8], uint64_t v)
{
	sotto_store_be32(p, (uint32_t)(v >> 32));
	sotto_store_be32(p + 4, (uint32_t)v);
}

/* Messages this sender may have sent by now: its rate times the time
 * since sending began, or unbounded (then only the window limits it). */
static uint64_t sender_due(const struct lg_run *run)
{
	double elapsed;

	if (run->o->rate <= 0)
		return UINT64_MAX;
	elapsed = (double)lg_now_ns() / 1e9 - run->t_start;
	return elapsed <= 0 ? 1 : (uint64_t)(elapsed * run->o->rate) + 1;
}

void lg_sender_kick(struct lg_run *run, struct lg_sender *s)
{
	const struct lg_opts *o = run->o;
	uint64_t due, ts;
	int r;

	if (!run->sending || s->pub->state != LG_READY)
		return;
	due = sender_due(run);
	while (s->seq < due && s->seq - s->acked < o->window) {
		ts = lg_now_ns();
		store_be64(run->payload, ts);
		sotto_store_be32(run->payload + 8, s->id);
		store_be64(run->payload + 12, s->seq);
		r = o->proto == LG_SOTTO ? lg_sotto_publish(s, run->payload, o->size) :
		    lg_redis_publish(s, run->payload, o->size);
		if (r != 0)
			return;
		s->seq++;
		run->c.sent++;
		if (ts >= run->t0_ns && run->t0_ns != 0 && run->t1_ns == 0)
			run->window_sent++;
		if (s->recipients == 0)
			s->acked = s->seq;    /* nobody to wait for */
	}
}

/* Messages every receiver has resolved leave the window. */
static void sender_advance(struct lg_run *run, struct lg_sender *s)
{
	uint64_t before = s->acked;

	while (s->acked < s->seq &&
	    s->ring[s->acked % run->o->window] >= s->recipients) {
		s->ring[s->acked % run->o->window] = 0;
		s->acked++;
	}
	if (s->acked != before)
		lg_sender_kick(run, s);
}

/* A receiver has resolved seq: got it, or saw it skipped. */
static void sender_resolve(struct lg_run *run, struct lg_sender *s, uint64_t seq)
{
	s->ring[seq % run->o->window]++;
	sender_advance(run, s);
}

void lg_deliver(struct lg_member *m, const uint8_t *payload, size_t n,
    uint64_t now)
{
	struct lg_run *run = m->conn.run;
	struct sotto_rd rd;
	struct lg_sender *s;
	uint64_t ts, seq, q;
	uint32_t id;

	sotto_rd_init(&rd, payload, n);
	if (n != run->o->size || sotto_rd_u64(&rd, &ts) != 0 ||
	    sotto_rd_u32(&rd, &id) != 0 || sotto_rd_u64(&rd, &seq) != 0 ||
	    id >= run->n_senders || ts > now) {
		run->c.bad++;
		return;
	}
	s = run->senders[id];
	if (s->member->room != m->room) {
		run->c.foreign++;
		return;
	}
	if (s->member == m) {
		run->c.self++;        /* Redis: the sender's own subscriber */
		return;
	}
	if (seq < m->next_seq[s->slot]) {
		run->c.dup++;
		return;
	}
	if (seq >= s->seq) {
		run->c.bad++;         /* never sent */
		return;
	}
	/* TCP keeps each sender's order, so a gap is loss, not reordering. */
	for (q = m->next_seq[s->slot]; q < seq; q++) {
		run->c.lost++;
		sender_resolve(run, s, q);
	}
	m->next_seq[s->slot] = seq + 1;
	run->c.delivered++;
	if (run->t0_ns != 0 && ts >= run->t0_ns &&
	    (run->t1_ns == 0 || ts < run->t1_ns))
		hist_add(&run->lat, now - ts);
	if (run->t0_ns != 0 && run->t1_ns == 0)
		run->window_delivered++;
	sender_resolve(run, s, seq);
}

/* A receiver is gone: its room's senders stop waiting for it. */
void lg_member_gone(struct lg_member *m)
{
	struct lg_run *run = m->conn.run;
	struct lg_room *room = m->room;
	unsigned i;

	for (i = 0; i < run->o->senders; i++) {
		struct lg_sender *s = &room->senders[i];

		if (s->member == m || s->recipients == 0)
			continue;
		s->recipients--;
		sender_advance(run, s);
	}
}

/* Messages sent but never seen by a receiver still connected or not:
 * whatever the gaps did not already count. */
uint64_t lg_unreceived(const struct lg_run *run)
{
	uint64_t n = 0;
	uint32_t r, i, k;

	for (r = 0; r < run->o->rooms; r++) {
		const struct lg_room *room = &run->rooms[r];

		for (k = 0; k < run->o->senders; k++)
			for (i = 0; i < run->o->members; i++)
				if (&room->members[i] != room->senders[k].member)
					n += room->senders[k].seq -
					    room->members[i].next_seq[k];
	}
	return n;
}

int lg_all_acked(const struct lg_run *run)
{
	uint32_t i;

	for (i = 0; i < run->n_senders; i++)
		if (run->senders[i]->acked < run->senders[i]->seq &&
		    run->senders[i]->recipients > 0)
			return 0;
	return 1;
}

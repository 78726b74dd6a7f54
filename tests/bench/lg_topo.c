/* SPDX-License-Identifier: ISC */
/* lg_topo.c: build and free the topology: rooms of members, some of them senders, and every connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

static int topo_room(struct lg_run *run, struct lg_room *room, uint32_t index,
    uint32_t room_number)
{
	const struct lg_opts *o = run->o;
	unsigned i;

	room->index = index;
	room->name_len = (size_t)snprintf(room->name, sizeof(room->name),
	    LG_ROOM_FMT, room_number);
	room->members = calloc(o->members, sizeof(*room->members));
	room->senders = o->senders ? calloc(o->senders, sizeof(*room->senders)) : NULL;
	if (room->members == NULL || (o->senders && room->senders == NULL))
		return -1;
	for (i = 0; i < o->members; i++) {
		struct lg_member *m = &room->members[i];

		m->room = room;
		m->slot = i;
		m->conn.kind = LG_MEMBER;
		m->conn.fd = -1;
		if (o->senders && (m->next_seq = calloc(o->senders,
		    sizeof(*m->next_seq))) == NULL)
			return -1;
	}
	for (i = 0; i < o->senders; i++) {
		struct lg_sender *s = &room->senders[i];

		s->member = &room->members[i];
		s->slot = i;
		s->id = index * o->senders + i;
		s->recipients = o->members - 1;
		s->pub_conn.kind = LG_PUBLISHER;
		s->pub_conn.fd = -1;
		s->pub = o->proto == LG_REDIS ? &s->pub_conn : &s->member->conn;
		if ((s->ring = calloc(o->window, sizeof(*s->ring))) == NULL)
			return -1;
		run->senders[s->id] = s;
	}
	return 0;
}

/* Connections are opened in this order: each room's members, then (Redis)
 * the publishers; the source address follows the global index. */
static void topo_conns(struct lg_run *run)
{
	const struct lg_opts *o = run->o;
	uint32_t r, i, n = 0;

	for (r = 0; r < o->rooms; r++)
		for (i = 0; i < o->members; i++)
			run->conns[n++] = &run->rooms[r].members[i].conn;
	if (o->proto == LG_REDIS)
		for (i = 0; i < run->n_senders; i++)
			run->conns[n++] = &run->senders[i]->pub_conn;
	for (i = 0; i < n; i++)
		run->conns[i]->index = o->first_conn + i;
	run->n_conns = n;
}

int lg_topo_new(struct lg_run *run)
{
	const struct lg_opts *o = run->o;
	uint32_t r, total;

	run->n_senders = o->rooms * o->senders;
	total = o->rooms * o->members + (o->proto == LG_REDIS ? run->n_senders : 0);
	run->rooms = calloc(o->rooms, sizeof(*run->rooms));
	run->senders = calloc(run->n_senders ? run->n_senders : 1, sizeof(*run->senders));
	run->conns = calloc(total ? total : 1, sizeof(*run->conns));
	run->payload = calloc(o->size, 1);
	if (run->rooms == NULL || run->senders == NULL || run->conns == NULL ||
	    run->payload == NULL)
		return -1;
	/* Filler the servers copy but never read; a pattern, not zeros, so
	 * nothing along the way can shortcut it. */
	for (size_t i = LG_PAYLOAD_HDR; i < o->size; i++)
		run->payload[i] = (uint8_t)(i * 131u + 7u);
	for (r = 0; r < o->rooms; r++)
		if (topo_room(run, &run->rooms[r], r, o->first_conn / o->members + r) != 0)
			return -1;
	topo_conns(run);
	return 0;
}

void lg_topo_free(struct lg_run *run)
{
	uint32_t r, i;

	for (i = 0; run->conns != NULL && i < run->n_conns; i++)
		lg_conn_close(run->conns[i]);
	for (r = 0; run->rooms != NULL && r < run->o->rooms; r++) {
		struct lg_room *room = &run->rooms[r];

		for (i = 0; room->members != NULL && i < run->o->members; i++)
			free(room->members[i].next_seq);
		for (i = 0; room->senders != NULL && i < run->o->senders; i++)
			free(room->senders[i].ring);
		free(room->members);
		free(room->senders);
	}
	free(run->rooms);
	free(run->senders);
	free(run->conns);
	free(run->payload);
}

/* SPDX-License-Identifier: ISC */
/* cluster-mirror.c: rooms, the mirror of every relay's members, subscriptions and announcements (cluster-int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster-int.h"
#include "conn.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "room.h"
#include "route.h"

/* --- rooms --------------------------------------------------------------- */

struct cl_room *cl_room_find(const struct cluster *cl, const uint8_t *name,
    size_t len)
{
	uint8_t chan[CL_CHAN_MAX];
	struct cl_room *cr;
	unsigned hv;

	if (len < SOTTO_ROOM_MIN || len > SOTTO_ROOM_MAX)
		return NULL;
	memcpy(chan, CL_ROOM_PREFIX, 2);
	memcpy(chan + 2, name, len);
	hv = room_keyed_hash(chan, 2 + len);
	HASH_FIND_BYHASHVALUE(hh, cl->rooms, chan, 2 + len, hv, cr);
	return cr;
}

struct cl_room *cl_room_get(struct cluster *cl, const uint8_t *name, size_t len)
{
	struct cl_room *cr;
	unsigned hv;

	if ((cr = cl_room_find(cl, name, len)) != NULL)
		return cr;
	if (len < SOTTO_ROOM_MIN || len > SOTTO_ROOM_MAX ||
	    (cr = calloc(1, sizeof(*cr))) == NULL)
		return NULL;
	TAILQ_INIT(&cr->members);
	STAILQ_INIT(&cr->held);
	memcpy(cr->chan, CL_ROOM_PREFIX, 2);
	memcpy(cr->chan + 2, name, len);
	cr->chan_len = (uint8_t)(2 + len);
	cr->name = cr->chan + 2;
	cr->name_len = (uint8_t)len;
	hv = room_keyed_hash(cr->chan, cr->chan_len);
	sotto_hash_oom = 0;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, cl->rooms, cr->chan, cr->chan_len, hv, cr);
	if (sotto_hash_oom) {
		free(cr);
		return NULL;
	}
	return cr;
}

void cl_held_clear(struct cl_room *cr)
{
	struct cl_held *h;

	while ((h = STAILQ_FIRST(&cr->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&cr->held, link);
		free(h);
	}
	cr->held_bytes = 0;
}

/* Free a room nobody needs any more. */
void cl_room_gc(struct cluster *cl, struct cl_room *cr)
{
	if (cr->n > 0 || cr->nlocal > 0 || cr->want || cr->sub || cr->busy)
		return;
	cl_held_clear(cr);
	HASH_DELETE(hh, cl->rooms, cr);
	free(cr);
}

/* Subscribed as wanted: one (un)subscribe in flight at a time, because a
 * reply to an old UNSUBSCRIBE must not cancel a newer SUBSCRIBE. */
void cl_room_sync(struct cluster *cl, struct cl_room *cr)
{
	if (cr->busy || !cl->up || cr->want == cr->sub) {
		cl_room_gc(cl, cr);
		return;
	}
	if (cl->ops->subscribe(cl->bp, cr->chan, cr->chan_len, cr->want) == 0)
		cr->busy = 1;
}

void cl_held_flush(struct cluster *cl, struct cl_room *cr)
{
	struct cl_held *h;

	while ((h = STAILQ_FIRST(&cr->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&cr->held, link);
		if (h->ctl ? cl->ops->publish(cl->bp, (const uint8_t *)CL_CTL,
		    strlen(CL_CTL), h->p, h->n, 0) != 0 :
		    cl->ops->publish(cl->bp, cr->chan, cr->chan_len, h->p, h->n, 0) != 0)
			cl->lost++;
		free(h);
	}
	cr->held_bytes = 0;
}

/* --- the mirror of remote members ---------------------------------------- */

struct cl_member *cl_member_find(const struct cluster *cl, uint32_t id)
{
	struct cl_member *m;

	HASH_FIND(hh, cl->members, &id, sizeof(id), m);
	return m;
}

/* Tell the local members of the room that a remote member left. */
void cl_tell_left(struct cluster *cl, const struct cl_room *cr, uint32_t id)
{
	struct room *rm = room_find(cl->relay, cr->name, cr->name_len);

	if (rm != NULL && rm->n > 0)
		route_left(rm, id);
}

void cl_member_drop(struct cluster *cl, struct cl_member *m, int tell)
{
	struct cl_room *cr = m->room;

	TAILQ_REMOVE(&cr->members, m, room_link);
	cr->n--;
	if (m->node != NULL) {
		TAILQ_REMOVE(&m->node->members, m, node_link);
		m->node->n--;
		cr->nremote--;
	}
	HASH_DELETE(hh, cl->members, m);
	if (tell)
		cl_tell_left(cl, cr, m->id);
	free(m);
	cl_room_gc(cl, cr);
}

void cl_member_add(struct cluster *cl, struct cl_node *nd, const uint8_t *room,
    size_t room_len, uint32_t id)
{
	struct cl_member *m = cl_member_find(cl, id);
	struct cl_room *cr;

	cl_note_id(cl, id);
	if (m != NULL && m->node == nd && m->room->name_len == room_len &&
	    memcmp(m->room->name, room, room_len) == 0) {
		m->seen = 1;
		return;
	}
	if (m != NULL && m->node == NULL)
		return;         /* ours: never taken over */
	if (m != NULL)
		cl_member_drop(cl, m, 1);
	if (relay_conn_by_id(cl->relay, id) != NULL) {
		sotto_log(SOTTO_LOG_WARN, "cluster: node %s claims id=%u, a member "
		    "of this relay; ignored", nd->name, id);
		return;
	}
	if ((cr = cl_room_get(cl, room, room_len)) == NULL ||
	    (m = calloc(1, sizeof(*m))) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "cluster: out of memory mirroring id=%u", id);
		if (cr != NULL)
			cl_room_gc(cl, cr);
		return;
	}
	m->id = id;
	m->node = nd;
	m->room = cr;
	m->seen = 1;
	sotto_hash_oom = 0;
	HASH_ADD(hh, cl->members, id, sizeof(m->id), m);
	if (sotto_hash_oom) {
		free(m);
		cl_room_gc(cl, cr);
		return;
	}
	TAILQ_INSERT_TAIL(&cr->members, m, room_link);
	cr->n++;
	cr->nremote++;
	TAILQ_INSERT_TAIL(&nd->members, m, node_link);
	nd->n++;
}

/* One of ours, its join now ordered. */
void cl_local_add(struct cluster *cl, struct cl_room *cr, uint32_t id)
{
	struct cl_member *m;

	if (cl_member_find(cl, id) != NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return;
	m->id = id;
	m->room = cr;
	sotto_hash_oom = 0;
	HASH_ADD(hh, cl->members, id, sizeof(m->id), m);
	if (sotto_hash_oom) {
		free(m);
		return;
	}
	TAILQ_INSERT_TAIL(&cr->members, m, room_link);
	cr->n++;
}

struct cl_node *cl_node_find(const struct cluster *cl, uint64_t inc)
{
	struct cl_node *nd;

	HASH_FIND(hh, cl->nodes, &inc, sizeof(inc), nd);
	return nd;
}

struct cl_node *cl_node_get(struct cluster *cl, const struct clm *m)
{
	struct cl_node *nd = cl_node_find(cl, m->inc);

	if (nd != NULL)
		return nd;
	if ((nd = calloc(1, sizeof(*nd))) == NULL)
		return NULL;
	nd->inc = m->inc;
	memcpy(nd->name, m->node, m->node_len);
	TAILQ_INIT(&nd->members);
	sotto_hash_oom = 0;
	HASH_ADD(hh, cl->nodes, inc, sizeof(nd->inc), nd);
	if (sotto_hash_oom) {
		free(nd);
		return NULL;
	}
	sotto_log(SOTTO_LOG_INFO, "cluster: node %s (%016llx) is up", nd->name,
	    (unsigned long long)nd->inc);
	/* It may have joined members before we heard it. */
	if (m->kind != CLM_ANNOUNCE && cl_head(cl, CLM_HELLO) == 0)
		cl_send_ctl(cl, 0);
	return nd;
}

int cl_is_dead(const struct cluster *cl, uint64_t inc)
{
	unsigned i;

	for (i = 0; i < CL_DEAD_RING; i++)
		if (cl->dead[i] == inc)
			return 1;
	return 0;
}

/* A relay is gone: every member of it leaves, everywhere we serve. */
void cl_node_drop(struct cluster *cl, struct cl_node *nd, const char *why,
    int dead)
{
	struct cl_member *m;
	uint32_t n = nd->n;

	sotto_log(SOTTO_LOG_INFO, "cluster: node %s (%016llx) gone (%s): %u members left",
	    nd->name, (unsigned long long)nd->inc, why, n);
	while ((m = TAILQ_FIRST(&nd->members)) != NULL)
		cl_member_drop(cl, m, 1);
	if (dead) {
		cl->dead[cl->dead_next] = nd->inc;
		cl->dead_next = (cl->dead_next + 1) % CL_DEAD_RING;
	}
	HASH_DELETE(hh, cl->nodes, nd);
	free(nd);
}

void cl_drop_all_nodes(struct cluster *cl, const char *why)
{
	struct cl_node *nd, *tmp;

	HASH_ITER(hh, cl->nodes, nd, tmp)
		cl_node_drop(cl, nd, why, 0);
}

/* --- local membership out ------------------------------------------------ */

/* Every member whose JOIN went out: the joined ones, and those whose JOIN
 * was published but has not come back yet (a receiver drops whoever an
 * ANNOUNCE leaves out, and that JOIN is ordered before this ANNOUNCE). */
int cl_put_local(struct cluster *cl, uint32_t *count)
{
	struct room *rm, *tmp;
	struct cl_room *cr;
	struct cl_join *j;
	struct conn *c;
	int r;

	STAILQ_FOREACH(j, &cl->join_order, link) {
		if (j->c->closing || (cr = cl_room_find(cl, j->room, j->room_len)) == NULL ||
		    !cr->sub || !STAILQ_EMPTY(&cr->held))
			continue;       /* its JOIN is still held back */
		if ((r = clm_put_room(&cl->msg, j->room, j->room_len)) != 0 ||
		    (r = sotto_wbuf_u32(&cl->msg, j->id)) != 0)
			return r;
		(*count)++;
	}

	HASH_ITER(hh, cl->relay->rooms, rm, tmp) {
		TAILQ_FOREACH(c, &rm->members, link) {
			if (c->closing)
				continue;       /* its LEAVE is on the way */
			if ((r = clm_put_room(&cl->msg, rm->name, rm->name_len)) != 0 ||
			    (r = sotto_wbuf_u32(&cl->msg, c->id)) != 0)
				return r;
			(*count)++;
		}
	}
	return 0;
}

/* Every local member in one message: lets others repair what they missed. */
void cl_announce(struct cluster *cl)
{
	uint32_t count = 0;
	size_t at;

	if (cl_head(cl, CLM_ANNOUNCE) != 0)
		return;
	at = cl->msg.len;
	if (sotto_wbuf_u32(&cl->msg, 0) != 0 || cl_put_local(cl, &count) != 0) {
		sotto_log(SOTTO_LOG_ERR, "cluster: out of memory announcing members");
		return;
	}
	sotto_store_be32(cl->msg.p + at, count);
	cl_send_ctl(cl, 0);
}

/* The cluster counts our members as gone (we were cut off, or another
 * relay declared us dead): they must not stay, or ids that others were
 * told had left would speak again. Close them; their clients rejoin. */
void cl_reset(struct cluster *cl, const char *why)
{
	struct conn *c, *tmp;
	uint32_t n = 0;

	HASH_ITER(hh, cl->relay->by_id, c, tmp) {
		if ((c->room == NULL && cl_join_find(cl, c->id) == NULL) || c->closing)
			continue;
		conn_close(c, "cluster: the other relays count this member as gone", 0);
		n++;
	}
	cl->inc = cl_new_inc();
	sotto_log(SOTTO_LOG_WARN, "cluster: %s; closing %u members so that they "
	    "rejoin (now %016llx)", why, n, (unsigned long long)cl->inc);
}


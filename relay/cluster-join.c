/* SPDX-License-Identifier: ISC */
/* cluster-join.c: joins in the cluster's order: a JOIN carries the INI; every relay acts on it when Redis hands it back (cluster-int.h). */
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

/* --- joins in the cluster's order --------------------------------------
 *
 * Redis hands every subscriber the control channel's messages in one
 * order. A join is placed in that order: the INI goes out inside a JOIN,
 * and every relay, this one included, acts on it when it comes back:
 * others forward the INI to their members of the room, we answer the
 * joiner with the room's members before it. So two joiners on two relays
 * never both see the other as "after" them, and never both hear count 0.
 */

struct cl_join *cl_join_find(const struct cluster *cl, uint32_t id)
{
	struct cl_join *j;

	HASH_FIND(hh, cl->joins, &id, sizeof(id), j);
	return j;
}

static int cl_join_keep(struct cl_join *j, const uint8_t *raw, size_t n, size_t bound)
{
	struct cl_held *h;

	if (j->bytes + n > bound || (h = malloc(sizeof(*h) + n)) == NULL)
		return -1;
	h->ctl = 0;
	h->n = n;
	memcpy(h->p, raw, n);
	STAILQ_INSERT_TAIL(&j->frames, h, link);
	j->bytes += n;
	return 0;
}

void cl_join_free(struct cluster *cl, struct cl_join *j)
{
	struct cl_held *h;
	struct cl_room *cr;

	HASH_DELETE(hh, cl->joins, j);
	STAILQ_REMOVE(&cl->join_order, j, cl_join, link);
	while ((h = STAILQ_FIRST(&j->frames)) != NULL) {
		STAILQ_REMOVE_HEAD(&j->frames, link);
		free(h);
	}
	if ((cr = cl_room_find(cl, j->room, j->room_len)) != NULL) {
		cr->nlocal--;
		if (cr->nlocal == 0) {
			cr->want = 0;
			cl_room_sync(cl, cr);
		}
	}
	free(j);
}

/* A held frame as the decoder would have handed it over. */
static void cl_as_frame(const struct cl_held *h, struct sotto_frame *f)
{
	sotto_frame_parse_hdr(h->p, &f->hdr);
	f->body = h->p + SOTTO_FRAME_HDR;
	f->body_len = h->n - SOTTO_FRAME_HDR;
	f->raw = h->p;
	f->raw_len = h->n;
}

/* The join is ordered: place c in its room, answer it, then act on what
 * it sent meanwhile. ini_sent: its INI already reached our members. */
static void cl_join_done(struct cluster *cl, struct cl_join *j, int ini_sent)
{
	struct conn *c = j->c;
	struct sotto_frame f;
	struct cl_held *h, *first;
	struct room *rm;

	if ((rm = room_get(cl->relay, j->room, j->room_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "id=%u: out of memory creating a room", c->id);
		conn_close(c, "out of memory", 0);
		cl_join_free(cl, j);
		return;
	}
	first = STAILQ_FIRST(&j->frames);
	STAILQ_REMOVE_HEAD(&j->frames, link);
	cl_as_frame(first, &f);
	if (ini_sent && f.hdr.to != SOTTO_TO_ROOM)
		cl_count_drop(cl, c, &f);
	route_join_commit(c, rm, ini_sent ? NULL : &f);
	free(first);
	while (!c->closing && (h = STAILQ_FIRST(&j->frames)) != NULL) {
		STAILQ_REMOVE_HEAD(&j->frames, link);
		cl_as_frame(h, &f);
		route_frame(c, &f);
		free(h);
	}
	cl_join_free(cl, j);
}

/* A first INI for one member went out in our JOIN: count it dropped, as
 * a single relay would, when `to` was no member of the room then. */
void cl_count_drop(struct cluster *cl, struct conn *c, const struct sotto_frame *f)
{
	struct cl_member *m = cl_member_find(cl, f->hdr.to);
	struct cl_join *j = cl_join_find(cl, c->id);

	if (f->hdr.to == c->id)
		route_drop(c, f, "to is the sender");
	else if (m == NULL || j == NULL || m->room->name_len != j->room_len ||
	    memcmp(m->room->name, j->room, j->room_len) != 0)
		route_drop(c, f, "to is not a member of the sender's room");
}

/* Our JOIN came back. */
void cl_commit(struct cluster *cl, const struct clm *m)
{
	struct cl_join *j = cl_join_find(cl, m->id);

	if (j == NULL || j->c->closing)
		return;         /* gone meanwhile: its LEAVE follows */
	if (m->frame != NULL)
		cl_deliver(cl, m, 1);
	cl_join_done(cl, j, 1);
}

void cl_commit_all(struct cluster *cl)
{
	struct cl_join *j;

	while ((j = STAILQ_FIRST(&cl->join_order)) != NULL) {
		if (j->c->closing)
			cl_join_free(cl, j);
		else
			cl_join_done(cl, j, 0);
	}
}

int cluster_join(struct cluster *cl, struct conn *c, const uint8_t *room,
    size_t room_len, const struct sotto_frame *f)
{
	struct cl_room *cr;
	struct cl_join *j;
	size_t at;

	if (cl == NULL || !cl->up)
		return 0;
	if ((cr = cl_room_get(cl, room, room_len)) == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return 0;       /* out of memory: joins here, unordered */
	j->id = c->id;
	j->c = c;
	j->room_len = (uint8_t)room_len;
	memcpy(j->room, room, room_len);
	STAILQ_INIT(&j->frames);
	if (cl_join_keep(j, f->raw, f->raw_len, SIZE_MAX) != 0) {
		free(j);
		return 0;
	}
	sotto_hash_oom = 0;
	HASH_ADD(hh, cl->joins, id, sizeof(j->id), j);
	if (sotto_hash_oom) {
		free(STAILQ_FIRST(&j->frames));
		free(j);
		return 0;
	}
	STAILQ_INSERT_TAIL(&cl->join_order, j, link);
	cr->nlocal++;
	cr->want = 1;
	cl_room_sync(cl, cr);
	if (cl_head(cl, CLM_JOIN) == 0 && clm_put_room(&cl->msg, room, room_len) == 0 &&
	    sotto_wbuf_u32(&cl->msg, c->id) == 0 &&
	    (at = cl->msg.len, sotto_wbuf_put(&cl->msg, f->raw, f->raw_len)) == 0) {
		sotto_frame_set_from(cl->msg.p + at, c->id);
		cl_emit(cl, cr, 1);
	}
	return 1;
}

int cluster_holding(struct cluster *cl, struct conn *c, const struct sotto_frame *f)
{
	struct cl_join *j;

	if (cl == NULL || (j = cl_join_find(cl, c->id)) == NULL)
		return 0;
	if (cl_join_keep(j, f->raw, f->raw_len, cl->relay->cfg.max_queue) != 0)
		conn_close(c, "sent more than --max-queue before its join was answered", 0);
	return 1;
}

void cluster_forget(struct cluster *cl, struct conn *c)
{
	struct cl_join *j;
	struct cl_room *cr;

	if (cl == NULL || (j = cl_join_find(cl, c->id)) == NULL)
		return;
	/* Others may have forwarded its INI: tell them it left. */
	if ((cr = cl_room_find(cl, j->room, j->room_len)) != NULL &&
	    cl_head(cl, CLM_LEAVE) == 0 && clm_put_room(&cl->msg, j->room, j->room_len) == 0 &&
	    sotto_wbuf_u32(&cl->msg, c->id) == 0)
		cl_emit(cl, cr, 1);
	cl_join_free(cl, j);
}

void cluster_joined(struct cluster *cl, struct room *rm, uint32_t id)
{
	struct cl_room *cr;

	if (cl == NULL)
		return;
	if ((cr = cl_room_get(cl, rm->name, rm->name_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "cluster: out of memory for room state");
		return;
	}
	cl_local_add(cl, cr, id);
	cr->nlocal++;
	cr->want = 1;
	cl_room_sync(cl, cr);
}

void cluster_left(struct cluster *cl, const struct room *rm, uint32_t id,
    int room_empty)
{
	struct cl_member *m;
	struct cl_room *cr;

	(void)room_empty;
	if (cl == NULL || (cr = cl_room_find(cl, rm->name, rm->name_len)) == NULL)
		return;
	if (cl->up && cl_head(cl, CLM_LEAVE) == 0 &&
	    clm_put_room(&cl->msg, rm->name, rm->name_len) == 0 &&
	    sotto_wbuf_u32(&cl->msg, id) == 0)
		cl_emit(cl, cr, 1);
	if ((m = cl_member_find(cl, id)) != NULL && m->node == NULL) {
		cr->nlocal--;
		cl_member_drop(cl, m, 0);       /* may free cr */
		if ((cr = cl_room_find(cl, rm->name, rm->name_len)) == NULL)
			return;
	}
	if (cr->nlocal == 0) {
		cr->want = 0;
		cl_held_clear(cr);
		cl_room_sync(cl, cr);
	}
}


/* SPDX-License-Identifier: ISC */
/* cluster.c: one room across several relays: backplane events, messages in, presence, admission, frames (cluster.h, cluster-int.h). */
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

static void cl_tick_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* --- small helpers ------------------------------------------------------- */

int cluster_node_valid(const char *node)
{
	size_t i, n = strlen(node);

	if (n == 0 || n > SOTTO_CLM_NODE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = node[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == ':' || ch == '-'))
			return 0;
	}
	return 1;
}

uint64_t cl_new_inc(void)
{
	uint64_t v = 0;

	while (v == 0)
		sotto_random(&v, sizeof(v));
	return v;
}

ev_tstamp cl_now(const struct cluster *cl)
{
	return ev_now(cl->relay->loop);
}

void cl_note_id(struct cluster *cl, uint64_t id)
{
	if (id > cl->hi)
		cl->hi = id;
}

/* Publish the message built in cl->msg; frames go only while the server
 * keeps up. 0 or -1. */
int cl_publish(struct cluster *cl, const uint8_t *chan, size_t chan_len,
    int ack)
{
	return cl->ops->publish(cl->bp, chan, chan_len, cl->msg.p, cl->msg.len, ack);
}

int cl_head(struct cluster *cl, uint8_t kind)
{
	sotto_wbuf_reset(&cl->msg);
	return clm_put_head(&cl->msg, kind, cl->inc, cl->node);
}

void cl_send_ctl(struct cluster *cl, int ack)
{
	(void)cl_publish(cl, (const uint8_t *)CL_CTL, strlen(CL_CTL), ack);
}

/* --- backplane events ---------------------------------------------------- */

static void cl_up(void *arg)
{
	struct cluster *cl = arg;
	struct cl_room *cr, *tmp;
	struct cl_node *nd;
	ev_tstamp now = cl_now(cl);

	cl->up = 1;
	cl->ever_up = 1;
	cl->link_gen++;
	if (!cl->synced) {
		/* Accept only once every relay on the channel has told us its
		 * members, or a joiner's roster could miss some. */
		cl->syncing = 1;
		cl->sync_since = now;
		if (cl->ops->peers(cl->bp) != 0)
			cl_synced(cl, "cannot count the other relays");
	}
	cl->up_since = cl->acked = now;
	sotto_log(SOTTO_LOG_INFO, "cluster: connected to redis %s as node %s (%016llx)",
	    cl->ops->where(cl->bp), cl->node, (unsigned long long)cl->inc);
	if (cl->lost > 0)
		sotto_log(SOTTO_LOG_WARN, "cluster: %llu frames for other relays were "
		    "not published", (unsigned long long)cl->lost);
	cl->lost = 0;
	if (cl->cut_off) {
		cl->cut_off = 0;
		cl_reset(cl, "the link to redis is back after the presence timeout");
	}
	for (nd = cl->nodes; nd != NULL; nd = nd->hh.next)
		nd->heard = now;
	HASH_ITER(hh, cl->rooms, cr, tmp)
		cl_room_sync(cl, cr);
	cl->ticks = 0;
	if (cl_head(cl, CLM_HB) == 0 && sotto_wbuf_u32(&cl->msg, (uint32_t)cl->hi) == 0)
		cl_send_ctl(cl, 1);
	cl_announce(cl);
	if (cl_head(cl, CLM_HELLO) == 0)
		cl_send_ctl(cl, 0);
}

/* Start accepting (once): the mirror holds every relay's members. */
void cl_synced(struct cluster *cl, const char *why)
{
	if (cl->synced)
		return;
	cl->synced = 1;
	cl->syncing = 0;
	if (why != NULL)
		sotto_log(SOTTO_LOG_WARN, "cluster: accepting before every relay "
		    "announced its members: %s", why);
	if (cl->relay->lfd >= 0 && !ev_is_active(&cl->relay->accept_w))
		ev_io_start(cl->relay->loop, &cl->relay->accept_w);
}

static void cl_check_synced(struct cluster *cl)
{
	struct cl_node *nd;
	unsigned n = 0;

	if (!cl->syncing)
		return;
	for (nd = cl->nodes; nd != NULL; nd = nd->hh.next)
		if (nd->announced == cl->link_gen)
			n++;
	if (n >= cl->sync_need)
		cl_synced(cl, NULL);
}

static void cl_peers(void *arg, unsigned n)
{
	struct cluster *cl = arg;

	if (!cl->syncing)
		return;
	cl->sync_need = n > 0 ? n - 1 : 0;
	cl_check_synced(cl);
}

static void cl_down(void *arg, const char *why)
{
	struct cluster *cl = arg;
	struct cl_room *cr, *tmp;
	struct cl_wait *w;

	cl->up = 0;
	cl->up_since = 0;
	sotto_log(SOTTO_LOG_WARN, "cluster: lost redis %s: %s; serving local members, "
	    "reconnecting", cl->ops->where(cl->bp), why);
	HASH_ITER(hh, cl->rooms, cr, tmp) {
		cr->sub = cr->busy = 0;
		cl_held_clear(cr);
		cl_room_gc(cl, cr);
	}
	/* Their JOINs will not come back: order them here, alone. */
	cl_commit_all(cl);
	/* The engine answers pending ids with 0; anything left is refused. */
	while ((w = STAILQ_FIRST(&cl->waiting)) != NULL) {
		STAILQ_REMOVE_HEAD(&cl->waiting, link);
		cl->nwaiting--;
		relay_refuse(cl->relay, w->fd, (struct sockaddr *)&w->ss,
		    "the cluster backplane is unreachable");
		free(w);
	}
}

static void cl_subscribed(void *arg, const uint8_t *chan, size_t chan_len, int on)
{
	struct cluster *cl = arg;
	struct cl_room *cr;

	if (chan_len <= 2 || memcmp(chan, CL_ROOM_PREFIX, 2) != 0 ||
	    (cr = cl_room_find(cl, chan + 2, chan_len - 2)) == NULL)
		return;
	cr->busy = 0;
	cr->sub = on ? 1 : 0;
	if (cr->sub)
		cl_held_flush(cl, cr);
	cl_room_sync(cl, cr);
}

static void cl_id(void *arg, uint64_t id, const char *why)
{
	struct cluster *cl = arg;
	struct cl_wait *w = STAILQ_FIRST(&cl->waiting);

	if (w == NULL)
		return;
	STAILQ_REMOVE_HEAD(&cl->waiting, link);
	cl->nwaiting--;
	if (id == 0)
		relay_refuse(cl->relay, w->fd, (struct sockaddr *)&w->ss, why);
	else {
		cl_note_id(cl, id);
		relay_admit_id(cl->relay, w->fd, (struct sockaddr *)&w->ss,
		    w->sa_len, (uint32_t)id);
	}
	free(w);
}

static void cl_acked(void *arg)
{
	struct cluster *cl = arg;

	cl->acked = cl_now(cl);
}

/* --- messages in --------------------------------------------------------- */

/* A member's frame (a FRAME, or the INI in a JOIN) to our members of its
 * room that have joined. own: the sender is ours, waiting to join. */
void cl_deliver(struct cluster *cl, const struct clm *m, int own)
{
	struct room *rm = room_find(cl->relay, m->room, m->room_len);
	struct sotto_frame_hdr h;
	struct conn *c, *dst = NULL;
	struct fb *out;

	if (rm == NULL)
		return;
	sotto_frame_parse_hdr(m->frame, &h);
	if (!own && relay_conn_by_id(cl->relay, h.from) != NULL)
		return;         /* never a member's own frame */
	if (h.to != SOTTO_TO_ROOM) {
		dst = relay_conn_by_id(cl->relay, h.to);
		if (dst == NULL || dst->room != rm || dst->closing)
			return;
	}
	if ((out = fb_copy(m->frame, m->frame_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "cluster: out of memory delivering a frame");
		return;
	}
	if (sotto_log_level() >= SOTTO_LOG_DEBUG)
		sotto_log(SOTTO_LOG_DEBUG, "route remote type=%u from=%u to=%u len=%u",
		    h.type, h.from, h.to, h.len);
	if (dst != NULL)
		(void)conn_send(dst, out);
	else
		TAILQ_FOREACH(c, &rm->members, link)
			if (!c->closing)
				(void)conn_send(c, out);
	fb_unref(out);
}

static void cl_apply_announce(struct cluster *cl, struct cl_node *nd, struct clm *m)
{
	struct cl_member *mb, *next;
	const uint8_t *room;
	size_t room_len;
	uint32_t id;

	TAILQ_FOREACH(mb, &nd->members, node_link)
		mb->seen = 0;
	while (clm_next_member(m, &room, &room_len, &id))
		cl_member_add(cl, nd, room, room_len, id);
	for (mb = TAILQ_FIRST(&nd->members); mb != NULL; mb = next) {
		next = TAILQ_NEXT(mb, node_link);
		if (!mb->seen)
			cl_member_drop(cl, mb, 1);
	}
}

static void cl_tell_dead(struct cluster *cl, uint64_t inc)
{
	if (cl_head(cl, CLM_DEAD) == 0 && sotto_wbuf_u64(&cl->msg, inc) == 0)
		cl_send_ctl(cl, 0);
}

static void cl_handle(struct cluster *cl, struct cl_node *nd, struct clm *m)
{
	struct cl_member *mb;
	struct cl_node *gone;

	switch (m->kind) {
	case CLM_HB:
		cl_note_id(cl, m->id);
		break;
	case CLM_JOIN:
		cl_member_add(cl, nd, m->room, m->room_len, m->id);
		if (m->frame != NULL)
			cl_deliver(cl, m, 0);
		break;
	case CLM_LEAVE:
		if ((mb = cl_member_find(cl, m->id)) != NULL && mb->node == nd)
			cl_member_drop(cl, mb, 1);
		break;
	case CLM_FRAME:
		cl_deliver(cl, m, 0);
		break;
	case CLM_DEAD:
		if (m->dead == cl->inc)
			cl_reset(cl, "another relay declared this one gone");
		else if ((gone = cl_node_find(cl, m->dead)) != NULL)
			cl_node_drop(cl, gone, "declared gone by another relay", 1);
		break;
	case CLM_HELLO:
		cl_announce(cl);
		break;
	case CLM_ANNOUNCE:
		cl_apply_announce(cl, nd, m);
		nd->announced = cl->link_gen;
		cl_check_synced(cl);
		break;
	case CLM_BYE:
		cl_node_drop(cl, nd, "shut down", 1);
		break;
	}
}

static void cl_message(void *arg, const uint8_t *chan, size_t chan_len,
    const uint8_t *p, size_t n)
{
	struct cluster *cl = arg;
	struct cl_node *nd;
	struct clm m;
	int r;

	(void)chan;
	(void)chan_len;
	if ((r = clm_parse(&m, p, n, cl->relay->cfg.max_frame)) != 0) {
		sotto_log(SOTTO_LOG_WARN, "cluster: dropped a malformed message "
		    "(%zu bytes): %s", n, sotto_strerror(r));
		return;
	}
	if (m.inc == cl->inc) {
		/* Our own: only a JOIN coming back matters, it orders the join. */
		if (m.kind == CLM_JOIN)
			cl_commit(cl, &m);
		return;
	}
	if (cl_is_dead(cl, m.inc)) {
		if (m.kind != CLM_BYE && m.kind != CLM_DEAD)
			cl_tell_dead(cl, m.inc);
		return;
	}
	if ((nd = cl_node_get(cl, &m)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "cluster: out of memory tracking a node");
		return;
	}
	nd->heard = cl_now(cl);
	cl_handle(cl, nd, &m);
}

/* --- presence ------------------------------------------------------------ */

static void cl_heartbeat(struct cluster *cl)
{
	if (cl_head(cl, CLM_HB) == 0 && sotto_wbuf_u32(&cl->msg, (uint32_t)cl->hi) == 0)
		cl_send_ctl(cl, 1);
}

static void cl_expire(struct cluster *cl, ev_tstamp now)
{
	struct cl_node *nd, *tmp;

	HASH_ITER(hh, cl->nodes, nd, tmp)
		if (now - nd->heard >= cl->timeout)
			cl_node_drop(cl, nd, "silent past the presence timeout", 1);
}

static void cl_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *cl = container_of(w, struct cluster, tick_w);
	ev_tstamp now = ev_now(loop);

	(void)revents;
	if (cl->syncing && now - cl->sync_since >= cl->timeout)
		cl_synced(cl, "some stayed silent for the presence timeout");
	if (cl->up) {
		if (cl->ticks++ % CL_TICKS_PER_HB == 0)
			cl_heartbeat(cl);
		cl_expire(cl, now);
		if (now - cl->acked >= cl->timeout)
			cl->ops->drop(cl->bp, "redis stopped answering");
	}
	if (!cl->up && cl->ever_up && !cl->cut_off && now - cl->acked >= cl->timeout) {
		cl->cut_off = 1;
		sotto_log(SOTTO_LOG_WARN, "cluster: no redis for %g s: the members of "
		    "other relays count as gone here, and ours there", cl->timeout);
		cl_drop_all_nodes(cl, "this relay is cut off");
	}
}

/* --- the relay's hooks --------------------------------------------------- */

uint32_t cluster_pending(const struct cluster *cl)
{
	return cl != NULL ? cl->nwaiting : 0;
}

int cluster_admit(struct cluster *cl, int fd, const struct sockaddr *sa,
    socklen_t sa_len, const char **why)
{
	struct cl_wait *w;
	uint64_t restart = cl->hi > 0 ? cl->hi + CL_RESTART_MARGIN : 0;

	if (!cl->up) {
		*why = cl->ever_up ? "the cluster backplane is unreachable" :
		    "not connected to the cluster backplane yet";
		return -1;
	}
	if (sa_len > sizeof(w->ss) || (w = calloc(1, sizeof(*w))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (cl->ops->take_id(cl->bp, cl->hi, restart) != 0) {
		free(w);
		*why = "the cluster backplane is unreachable";
		return -1;
	}
	w->fd = fd;
	w->sa_len = sa_len;
	memcpy(&w->ss, sa, sa_len);
	STAILQ_INSERT_TAIL(&cl->waiting, w, link);
	cl->nwaiting++;
	return 0;
}

/* Frames of a room wait while our subscription to it is on its way, so
 * that an answer to them cannot pass it. */
void cl_hold(struct cluster *cl, struct cl_room *cr, int ctl)
{
	struct cl_held *h;

	if (cr->held_bytes + cl->msg.len > cl->relay->cfg.max_queue ||
	    (h = malloc(sizeof(*h) + cl->msg.len)) == NULL) {
		cl->lost++;
		return;
	}
	h->ctl = ctl;
	h->n = cl->msg.len;
	memcpy(h->p, cl->msg.p, cl->msg.len);
	STAILQ_INSERT_TAIL(&cr->held, h, link);
	cr->held_bytes += h->n;
}

/* Send the message in cl->msg about room cr, on cr's channel or (ctl) the
 * control channel, in order with everything else about cr. */
void cl_emit(struct cluster *cl, struct cl_room *cr, int ctl)
{
	int r;

	if (!cr->sub || !STAILQ_EMPTY(&cr->held)) {
		cl_hold(cl, cr, ctl);
		return;
	}
	r = ctl ? cl_publish(cl, (const uint8_t *)CL_CTL, strlen(CL_CTL), 0) :
	    cl_publish(cl, cr->chan, cr->chan_len, 0);
	if (r != 0)
		cl->lost++;
}

int cl_keeping_up(struct cluster *cl)
{
	size_t bound = cl->relay->cfg.max_queue * 8;

	if (bound < CL_BACKLOG_MIN)
		bound = CL_BACKLOG_MIN;
	if (cl->ops->backlog(cl->bp) <= bound) {
		cl->lagging = 0;
		return 1;
	}
	if (!cl->lagging)
		sotto_log(SOTTO_LOG_WARN, "cluster: redis is not keeping up (%zu bytes "
		    "unsent); dropping frames to other relays", cl->ops->backlog(cl->bp));
	cl->lagging = 1;
	return 0;
}

void cl_forward(struct cluster *cl, struct cl_room *cr, uint32_t from,
    const struct sotto_frame *f)
{
	size_t at;

	if (!cl->up || !cl_keeping_up(cl)) {
		cl->lost++;
		return;
	}
	if (cl_head(cl, CLM_FRAME) != 0 ||
	    clm_put_room(&cl->msg, cr->name, cr->name_len) != 0)
		return;
	at = cl->msg.len;
	if (sotto_wbuf_put(&cl->msg, f->raw, f->raw_len) != 0) {
		cl->lost++;
		return;
	}
	sotto_frame_set_from(cl->msg.p + at, from);
	cl_emit(cl, cr, 0);
}

void cluster_broadcast(struct cluster *cl, struct room *rm, uint32_t from,
    const struct sotto_frame *f)
{
	struct cl_room *cr;

	if (cl == NULL || (cr = cl_room_find(cl, rm->name, rm->name_len)) == NULL ||
	    cr->nremote == 0)
		return;         /* nobody elsewhere */
	cl_forward(cl, cr, from, f);
}

int cluster_unicast(struct cluster *cl, struct room *rm, uint32_t from,
    const struct sotto_frame *f)
{
	struct cl_member *m;

	if (cl == NULL || (m = cl_member_find(cl, f->hdr.to)) == NULL ||
	    m->node == NULL || !room_is(rm, m->room->name, m->room->name_len))
		return -1;
	cl_forward(cl, m->room, from, f);
	return 0;
}

uint32_t cluster_count(const struct cluster *cl, const struct room *rm)
{
	struct cl_room *cr;

	if (cl == NULL || (cr = cl_room_find(cl, rm->name, rm->name_len)) == NULL)
		return 0;
	return cr->n;
}

uint8_t *cluster_put_ids(const struct cluster *cl, const struct room *rm, uint8_t *p)
{
	struct cl_room *cr;
	struct cl_member *m;

	if (cl == NULL || (cr = cl_room_find(cl, rm->name, rm->name_len)) == NULL)
		return p;
	TAILQ_FOREACH(m, &cr->members, room_link) {
		sotto_store_be32(p, m->id);
		p += 4;
	}
	return p;
}

/* --- life ---------------------------------------------------------------- */

struct cluster *cluster_new(struct relay *r, const char *url, const char *node,
    double timeout, char *err, size_t err_len)
{
	struct cluster *cl;

	if (!cluster_node_valid(node)) {
		snprintf(err, err_len, "node name \"%s\": 1 to %u of A-Z a-z 0-9 . _ : -",
		    node, SOTTO_CLM_NODE_MAX);
		return NULL;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if ((cl->ops = backplane_for(url)) == NULL) {
		snprintf(err, err_len, "unknown backplane in \"%s\" (only redis:// is "
		    "supported)", url);
		free(cl);
		return NULL;
	}
	cl->relay = r;
	snprintf(cl->node, sizeof(cl->node), "%s", node);
	cl->inc = cl_new_inc();
	cl->timeout = timeout;
	STAILQ_INIT(&cl->waiting);
	STAILQ_INIT(&cl->join_order);
	sotto_wbuf_init(&cl->msg, 0);
	cl->events = (struct backplane_events){
		.up = cl_up, .down = cl_down, .message = cl_message,
		.subscribed = cl_subscribed, .id = cl_id, .acked = cl_acked,
		.peers = cl_peers,
	};
	ev_timer_init(&cl->tick_w, cl_tick_cb, 0.,
	    timeout / (CL_HB_PER_TIMEOUT * CL_TICKS_PER_HB));
	ev_timer_again(r->loop, &cl->tick_w);
	if ((cl->bp = cl->ops->open(r->loop, url, CL_CTL, &cl->events, cl, err,
	    err_len)) == NULL) {
		ev_timer_stop(r->loop, &cl->tick_w);
		sotto_wbuf_free(&cl->msg);
		free(cl);
		return NULL;
	}
	return cl;
}

void cluster_free(struct cluster *cl)
{
	struct cl_member *m, *mt;
	struct cl_node *nd, *nt;
	struct cl_room *cr, *rt;
	struct cl_wait *w;

	if (cl == NULL)
		return;
	ev_timer_stop(cl->relay->loop, &cl->tick_w);
	/* The others drop our members at once instead of after the timeout. */
	if (cl->up && cl_head(cl, CLM_BYE) == 0)
		cl_send_ctl(cl, 0);
	cl->ops->free(cl->bp);
	while ((w = STAILQ_FIRST(&cl->waiting)) != NULL) {
		STAILQ_REMOVE_HEAD(&cl->waiting, link);
		close(w->fd);
		free(w);
	}
	while (STAILQ_FIRST(&cl->join_order) != NULL)
		cl_join_free(cl, STAILQ_FIRST(&cl->join_order));
	HASH_ITER(hh, cl->members, m, mt) {
		HASH_DELETE(hh, cl->members, m);
		free(m);
	}
	HASH_ITER(hh, cl->nodes, nd, nt) {
		HASH_DELETE(hh, cl->nodes, nd);
		free(nd);
	}
	HASH_ITER(hh, cl->rooms, cr, rt) {
		cl_held_clear(cr);
		HASH_DELETE(hh, cl->rooms, cr);
		free(cr);
	}
	sotto_wbuf_free(&cl->msg);
	free(cl);
}

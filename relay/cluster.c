/* cluster.c: one room across several relays: mirror, presence, ids and frames (cluster.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backplane.h"
#include "buf.h"
#include "cluster-msg.h"
#include "cluster.h"
#include "conn.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "room.h"
#include "route.h"

#define CL_CTL            "ctl"
#define CL_ROOM_PREFIX    "r:"
#define CL_CHAN_MAX       (2u + SOTTO_ROOM_MAX)
/* Heartbeats per timeout, and presence checks per heartbeat: a relay that
 * dies is noticed between timeout and timeout * (1 + 1/12) later. */
#define CL_HB_PER_TIMEOUT 3
#define CL_TICKS_PER_HB   4
/* Ids other relays may have handed out unseen by us when the server lost
 * its counter (at most one heartbeat's worth of accepts). */
#define CL_RESTART_MARGIN 65536u
/* Dead incarnations remembered, to tell a relay that comes back. */
#define CL_DEAD_RING      64u
/* Unwritten bytes to the backplane past which frames are dropped rather
 * than buffered without bound. */
#define CL_BACKLOG_MIN    (64u * 1024u * 1024u)

struct cl_node;
struct cl_room;

/* A member of a room in the cluster's order of joins: remote ones and,
 * once their join is ordered, our own (node NULL). */
struct cl_member {
	UT_hash_handle         hh;         /* cluster->members, by id */
	uint32_t               id;
	struct cl_node        *node;       /* NULL: a member of this relay */
	struct cl_room        *room;
	TAILQ_ENTRY(cl_member) room_link;
	TAILQ_ENTRY(cl_member) node_link;
	unsigned               seen : 1;   /* in the ANNOUNCE being applied */
};
TAILQ_HEAD(cl_member_list, cl_member);

struct cl_node {
	UT_hash_handle        hh;          /* cluster->nodes, by inc */
	uint64_t              inc;
	unsigned              announced;   /* cluster->link_gen of its last ANNOUNCE */
	char                  name[SOTTO_CLM_NODE_MAX + 1];
	ev_tstamp             heard;
	struct cl_member_list members;
	uint32_t              n;
};

struct cl_held {
	STAILQ_ENTRY(cl_held) link;
	int                   ctl;         /* for the control channel */
	size_t                n;
	uint8_t               p[];
};
STAILQ_HEAD(cl_held_list, cl_held);

/* A room as the cluster sees it: remote members and our channel state. */
struct cl_room {
	UT_hash_handle        hh;          /* cluster->rooms, keyed hash of name */
	struct cl_member_list members;     /* every member, in the cluster's order */
	uint32_t              n;
	uint32_t              nremote;
	uint32_t              nlocal;      /* ours, joined or waiting for the order */
	struct cl_held_list   held;        /* messages waiting for our subscription */
	size_t                held_bytes;
	uint8_t               chan_len;
	uint8_t               chan[CL_CHAN_MAX];   /* "r:" + name */
	uint8_t               name_len;
	uint8_t              *name;        /* into chan */
	unsigned              want : 1;    /* local members here */
	unsigned              sub : 1;     /* subscription confirmed */
	unsigned              busy : 1;    /* (un)subscribe in flight */
};

/* One of our connections whose join waits for the cluster's order: its
 * INI went out in a JOIN; it is answered when that JOIN comes back. */
struct cl_join {
	UT_hash_handle        hh;          /* cluster->joins, by id */
	STAILQ_ENTRY(cl_join) link;        /* cluster->join_order */
	uint32_t              id;
	struct conn          *c;
	struct cl_held_list   frames;      /* the INI first, then what c sent since */
	size_t                bytes;
	uint8_t               room_len;
	uint8_t               room[SOTTO_ROOM_MAX];
};
STAILQ_HEAD(cl_join_list, cl_join);

struct cl_wait {
	STAILQ_ENTRY(cl_wait) link;
	int                   fd;
	socklen_t             sa_len;
	struct sockaddr_storage ss;
};
STAILQ_HEAD(cl_wait_list, cl_wait);

struct cluster {
	struct relay                 *relay;
	const struct backplane_ops   *ops;
	struct backplane             *bp;
	struct backplane_events       events;
	char                          node[SOTTO_CLM_NODE_MAX + 1];
	uint64_t                      inc;
	double                        timeout;
	ev_timer                      tick_w;
	unsigned                      ticks;
	ev_tstamp                     acked;     /* last heartbeat the server took */
	ev_tstamp                     up_since;  /* 0 while the link is down */
	int                           up;
	int                           cut_off;   /* down past the timeout */
	int                           ever_up;
	unsigned                      link_gen;  /* counts links to the backplane */
	int                           syncing;   /* first link: waiting for the others' members */
	int                           synced;    /* accepting connections */
	unsigned                      sync_need; /* other relays that must announce */
	ev_tstamp                     sync_since;
	uint64_t                      hi;        /* highest member id known */
	struct cl_node               *nodes;
	struct cl_member             *members;
	struct cl_room               *rooms;
	struct cl_join               *joins;
	struct cl_join_list           join_order;
	struct cl_wait_list           waiting;
	uint32_t                      nwaiting;
	uint64_t                      dead[CL_DEAD_RING];
	unsigned                      dead_next;
	struct sotto_wbuf             msg;
	uint64_t                      lost;      /* frames not published */
	int                           lagging;   /* backlog past its bound */
};

static void cl_tick_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void cl_room_sync(struct cluster *cl, struct cl_room *cr);
static struct cl_join *cl_join_find(const struct cluster *cl, uint32_t id);
static void cl_commit_all(struct cluster *cl);
static void cl_commit(struct cluster *cl, const struct clm *m);
static void cl_count_drop(struct cluster *cl, struct conn *c, const struct sotto_frame *f);
static void cl_synced(struct cluster *cl, const char *why);

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

static uint64_t cl_new_inc(void)
{
	uint64_t v = 0;

	while (v == 0)
		sotto_random(&v, sizeof(v));
	return v;
}

static ev_tstamp cl_now(const struct cluster *cl)
{
	return ev_now(cl->relay->loop);
}

static void cl_note_id(struct cluster *cl, uint64_t id)
{
	if (id > cl->hi)
		cl->hi = id;
}

/* Publish the message built in cl->msg; frames go only while the server
 * keeps up. 0 or -1. */
static int cl_publish(struct cluster *cl, const uint8_t *chan, size_t chan_len,
    int ack)
{
	return cl->ops->publish(cl->bp, chan, chan_len, cl->msg.p, cl->msg.len, ack);
}

static int cl_head(struct cluster *cl, uint8_t kind)
{
	sotto_wbuf_reset(&cl->msg);
	return clm_put_head(&cl->msg, kind, cl->inc, cl->node);
}

static void cl_send_ctl(struct cluster *cl, int ack)
{
	(void)cl_publish(cl, (const uint8_t *)CL_CTL, strlen(CL_CTL), ack);
}

/* --- rooms --------------------------------------------------------------- */

static struct cl_room *cl_room_find(const struct cluster *cl, const uint8_t *name,
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

static struct cl_room *cl_room_get(struct cluster *cl, const uint8_t *name, size_t len)
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

static void cl_held_clear(struct cl_room *cr)
{
	struct cl_held *h;

	while ((h = STAILQ_FIRST(&cr->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&cr->held, link);
		free(h);
	}
	cr->held_bytes = 0;
}

/* Free a room nobody needs any more. */
static void cl_room_gc(struct cluster *cl, struct cl_room *cr)
{
	if (cr->n > 0 || cr->nlocal > 0 || cr->want || cr->sub || cr->busy)
		return;
	cl_held_clear(cr);
	HASH_DELETE(hh, cl->rooms, cr);
	free(cr);
}

/* Subscribed as wanted: one (un)subscribe in flight at a time, because a
 * reply to an old UNSUBSCRIBE must not cancel a newer SUBSCRIBE. */
static void cl_room_sync(struct cluster *cl, struct cl_room *cr)
{
	if (cr->busy || !cl->up || cr->want == cr->sub) {
		cl_room_gc(cl, cr);
		return;
	}
	if (cl->ops->subscribe(cl->bp, cr->chan, cr->chan_len, cr->want) == 0)
		cr->busy = 1;
}

static void cl_held_flush(struct cluster *cl, struct cl_room *cr)
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

static struct cl_member *cl_member_find(const struct cluster *cl, uint32_t id)
{
	struct cl_member *m;

	HASH_FIND(hh, cl->members, &id, sizeof(id), m);
	return m;
}

/* Tell the local members of the room that a remote member left. */
static void cl_tell_left(struct cluster *cl, const struct cl_room *cr, uint32_t id)
{
	struct room *rm = room_find(cl->relay, cr->name, cr->name_len);

	if (rm != NULL && rm->n > 0)
		route_left(rm, id);
}

static void cl_member_drop(struct cluster *cl, struct cl_member *m, int tell)
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

static void cl_member_add(struct cluster *cl, struct cl_node *nd, const uint8_t *room,
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
static void cl_local_add(struct cluster *cl, struct cl_room *cr, uint32_t id)
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

static struct cl_node *cl_node_find(const struct cluster *cl, uint64_t inc)
{
	struct cl_node *nd;

	HASH_FIND(hh, cl->nodes, &inc, sizeof(inc), nd);
	return nd;
}

static struct cl_node *cl_node_get(struct cluster *cl, const struct clm *m)
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

static int cl_is_dead(const struct cluster *cl, uint64_t inc)
{
	unsigned i;

	for (i = 0; i < CL_DEAD_RING; i++)
		if (cl->dead[i] == inc)
			return 1;
	return 0;
}

/* A relay is gone: every member of it leaves, everywhere we serve. */
static void cl_node_drop(struct cluster *cl, struct cl_node *nd, const char *why,
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

static void cl_drop_all_nodes(struct cluster *cl, const char *why)
{
	struct cl_node *nd, *tmp;

	HASH_ITER(hh, cl->nodes, nd, tmp)
		cl_node_drop(cl, nd, why, 0);
}

/* --- local membership out ------------------------------------------------ */

/* Every member whose JOIN went out: the joined ones, and those whose JOIN
 * was published but has not come back yet (a receiver drops whoever an
 * ANNOUNCE leaves out, and that JOIN is ordered before this ANNOUNCE). */
static int cl_put_local(struct cluster *cl, uint32_t *count)
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
static void cl_announce(struct cluster *cl)
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
static void cl_reset(struct cluster *cl, const char *why)
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
static void cl_synced(struct cluster *cl, const char *why)
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
static void cl_deliver(struct cluster *cl, const struct clm *m, int own)
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
static void cl_hold(struct cluster *cl, struct cl_room *cr, int ctl)
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
static void cl_emit(struct cluster *cl, struct cl_room *cr, int ctl)
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

static int cl_keeping_up(struct cluster *cl)
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

static void cl_forward(struct cluster *cl, struct cl_room *cr, uint32_t from,
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

/* --- joins in the cluster's order --------------------------------------
 *
 * Redis hands every subscriber the control channel's messages in one
 * order. A join is placed in that order: the INI goes out inside a JOIN,
 * and every relay, this one included, acts on it when it comes back:
 * others forward the INI to their members of the room, we answer the
 * joiner with the room's members before it. So two joiners on two relays
 * never both see the other as "after" them, and never both hear count 0.
 */

static struct cl_join *cl_join_find(const struct cluster *cl, uint32_t id)
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

static void cl_join_free(struct cluster *cl, struct cl_join *j)
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
static void cl_count_drop(struct cluster *cl, struct conn *c, const struct sotto_frame *f)
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
static void cl_commit(struct cluster *cl, const struct clm *m)
{
	struct cl_join *j = cl_join_find(cl, m->id);

	if (j == NULL || j->c->closing)
		return;         /* gone meanwhile: its LEAVE follows */
	if (m->frame != NULL)
		cl_deliver(cl, m, 1);
	cl_join_done(cl, j, 1);
}

static void cl_commit_all(struct cluster *cl)
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

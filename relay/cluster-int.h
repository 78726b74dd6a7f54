/* SPDX-License-Identifier: ISC */
/* cluster-int.h: what the files of the cluster share: its state and the internal helpers (cluster.h is the relay's view).
 *
 * cluster.c: backplane events, messages in, presence, admission, frames,
 * life; cluster-mirror.c: rooms, the mirror of every relay's members,
 * subscriptions, announcements; cluster-join.c: joins in the cluster's
 * order. docs/relay.md "Cluster" tells the design.
 */
#ifndef SOTTO_RELAY_CLUSTER_INT_H
#define SOTTO_RELAY_CLUSTER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <ev.h>

#include "backplane.h"
#include "buf.h"
#include "cluster-msg.h"
#include "cluster.h"
#include "frame.h"
#include "hash.h"
#include "relay.h"

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

uint64_t cl_new_inc(void);
ev_tstamp cl_now(const struct cluster *cl);
void cl_note_id(struct cluster *cl, uint64_t id);
int cl_publish(struct cluster *cl, const uint8_t *chan, size_t chan_len,
    int ack);
int cl_head(struct cluster *cl, uint8_t kind);
void cl_send_ctl(struct cluster *cl, int ack);
struct cl_room *cl_room_find(const struct cluster *cl, const uint8_t *name,
    size_t len);
struct cl_room *cl_room_get(struct cluster *cl, const uint8_t *name, size_t len);
void cl_held_clear(struct cl_room *cr);
void cl_room_gc(struct cluster *cl, struct cl_room *cr);
void cl_room_sync(struct cluster *cl, struct cl_room *cr);
void cl_held_flush(struct cluster *cl, struct cl_room *cr);
struct cl_member *cl_member_find(const struct cluster *cl, uint32_t id);
void cl_tell_left(struct cluster *cl, const struct cl_room *cr, uint32_t id);
void cl_member_drop(struct cluster *cl, struct cl_member *m, int tell);
void cl_member_add(struct cluster *cl, struct cl_node *nd, const uint8_t *room,
    size_t room_len, uint32_t id);
void cl_local_add(struct cluster *cl, struct cl_room *cr, uint32_t id);
struct cl_node *cl_node_find(const struct cluster *cl, uint64_t inc);
struct cl_node *cl_node_get(struct cluster *cl, const struct clm *m);
int cl_is_dead(const struct cluster *cl, uint64_t inc);
void cl_node_drop(struct cluster *cl, struct cl_node *nd, const char *why,
    int dead);
void cl_drop_all_nodes(struct cluster *cl, const char *why);
int cl_put_local(struct cluster *cl, uint32_t *count);
void cl_announce(struct cluster *cl);
void cl_reset(struct cluster *cl, const char *why);
void cl_synced(struct cluster *cl, const char *why);
void cl_deliver(struct cluster *cl, const struct clm *m, int own);
void cl_hold(struct cluster *cl, struct cl_room *cr, int ctl);
void cl_emit(struct cluster *cl, struct cl_room *cr, int ctl);
int cl_keeping_up(struct cluster *cl);
void cl_forward(struct cluster *cl, struct cl_room *cr, uint32_t from,
    const struct sotto_frame *f);
struct cl_join *cl_join_find(const struct cluster *cl, uint32_t id);
void cl_join_free(struct cluster *cl, struct cl_join *j);
void cl_count_drop(struct cluster *cl, struct conn *c, const struct sotto_frame *f);
void cl_commit(struct cluster *cl, const struct clm *m);
void cl_commit_all(struct cluster *cl);

#endif

/* SPDX-License-Identifier: ISC */
/* cluster.h: one room across several relays: membership, ids and frames over a backplane.
 *
 * With --cluster, every relay mirrors the members of every other relay
 * (learned from JOIN/LEAVE/ANNOUNCE on the control channel), so a joiner's
 * roster and a `to` check are answered locally and at once. Frames of a
 * room travel on that room's channel, which a relay subscribes to while it
 * has local members there. Ids come one per accepted connection from the
 * backplane's shared counter. Presence: each relay publishes a heartbeat
 * every timeout/3; a relay silent for `timeout` seconds is gone, and its
 * members' LEFT goes to every local member of their rooms. docs/relay.md
 * "Cluster" has the whole story, including what happens on link loss.
 *
 * Every function below is a no-op (or answers "nothing remote") when the
 * cluster pointer is NULL, so the relay's code calls them unconditionally.
 */
#ifndef SOTTO_RELAY_CLUSTER_H
#define SOTTO_RELAY_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "frame.h"

struct conn;

struct cluster;
struct relay;
struct room;

#define CLUSTER_TIMEOUT_DEFAULT  3.0    /* seconds of silence: a relay is gone */
#define CLUSTER_TIMEOUT_MIN      0.5
#define CLUSTER_TIMEOUT_MAX      600.0

/* Start talking to the backplane at url. NULL and err set on a bad url
 * or node name. */
struct cluster *cluster_new(struct relay *r, const char *url, const char *node,
    double timeout, char *err, size_t err_len);
/* Say goodbye (BYE), close pending admissions, free. */
void cluster_free(struct cluster *cl);
/* Whether node names a valid node (1..64 of [A-Za-z0-9._:-]). */
int cluster_node_valid(const char *node);

/* Connections admitted but waiting for a cluster id (count toward
 * --max-clients). */
uint32_t cluster_pending(const struct cluster *cl);
/* Take fd: it is admitted once the backplane hands out an id, or refused.
 * -1 (fd still the caller's, *why set) when that cannot be asked now. */
int cluster_admit(struct cluster *cl, int fd, const struct sockaddr *sa,
    socklen_t sa_len, const char **why);

/* c's first INI f names room: 1 when the cluster takes the join over (c
 * is answered once the join is ordered cluster-wide, via
 * route_join_commit), 0 when the caller joins c at once (no cluster, or
 * its link is down). */
int cluster_join(struct cluster *cl, struct conn *c, const uint8_t *room,
    size_t room_len, const struct sotto_frame *f);
/* 1 when c waits for its join to be ordered: f is kept for then. */
int cluster_holding(struct cluster *cl, struct conn *c, const struct sotto_frame *f);
/* c (no room) is going away: drop a join of it still waiting. */
void cluster_forget(struct cluster *cl, struct conn *c);
/* Local membership changes (after the answer to the joiner / after
 * room_remove). */
void cluster_joined(struct cluster *cl, struct room *rm, uint32_t id);
void cluster_left(struct cluster *cl, const struct room *rm, uint32_t id,
    int room_empty);

/* A frame from local member `from` (to 0) for the other relays. */
void cluster_broadcast(struct cluster *cl, struct room *rm, uint32_t from,
    const struct sotto_frame *f);
/* The same for `to` = one id: 0 when `to` is a remote member of rm and the
 * frame went (or will go) to it, -1 when `to` is no remote member. */
int cluster_unicast(struct cluster *cl, struct room *rm, uint32_t from,
    const struct sotto_frame *f);
/* The members of rm on every relay (ours once their join is ordered), in
 * the cluster's order of joins; their ids as big-endian u32s at p (the
 * count cluster_count gave); returns the byte after the last. */
uint32_t cluster_count(const struct cluster *cl, const struct room *rm);
uint8_t *cluster_put_ids(const struct cluster *cl, const struct room *rm, uint8_t *p);

#endif

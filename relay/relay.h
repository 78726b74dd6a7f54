/* SPDX-License-Identifier: ISC */
/* relay.h: the relay's configuration and the process-wide state its parts share. */
#ifndef SOTTO_RELAY_H
#define SOTTO_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <ev.h>

#include "budget.h"
#include "container.h"
#include "ids.h"

/* One read per readiness event into this buffer keeps every connection's
 * share of the loop fair; bytes of a partial frame move into that
 * connection's decoder, so idle connections hold no read buffer. */
#define RELAY_SCRATCH       (64u * 1024u)
/* Connections accepted per listen event, so a connect storm cannot starve
 * established connections. */
#define RELAY_ACCEPT_BATCH  64
/* File descriptors kept beyond max-clients: stdio, listener, the loop's
 * own (epoll, signal pipe), the spare fd for EMFILE, libgcrypt's random
 * device. */
#define RELAY_FD_RESERVE    32u
/* A reader whose full socket took no bytes for this long has stopped
 * reading: its queue no longer holds any sender back (it is closed at
 * --max-queue as before). Checked every RELAY_STALL_CHECK seconds. */
#define RELAY_STALL         1.0
#define RELAY_STALL_CHECK   0.25
/* A sender is held while more than --max-queue / RELAY_FAIR_DIV bytes of
 * its frames wait in readers' queues; it goes on at half that. */
#define RELAY_FAIR_DIV      8u

struct relay_cfg {
	const char *listen;        /* HOST:PORT */
	uint32_t    max_frame;     /* bound on a frame's len field */
	size_t      max_queue;     /* unsent output bytes per connection */
	uint32_t    max_clients;   /* simultaneous connections */
	double      join_timeout;  /* seconds from accept to the first INI */
	struct budget_cfg budget;  /* --rate, --rate-bytes, --burst */
	size_t      fair_high;     /* max_queue / RELAY_FAIR_DIV */
	const char *trusted;       /* --trusted DIR, NULL: admit anyone */
	const char *cluster;       /* backplane url (--cluster), or NULL */
	const char *node_name;     /* --node-name, or NULL for host:port */
	double      cluster_timeout; /* seconds of silence: a relay is gone */
};

struct cluster;
struct conn;
struct room;
struct admit;
TAILQ_HEAD(conn_list, conn);
STAILQ_HEAD(conn_fifo, conn);

struct relay {
	struct ev_loop  *loop;
	struct relay_cfg cfg;
	int              lfd;          /* listening socket, -1 once stopped */
	int              spare_fd;     /* given up to accept-and-close on EMFILE */
	ev_io            accept_w;
	ev_prepare       flush_w;      /* writes and closes, once per loop turn */
	ev_timer         join_w;       /* deadline of the oldest waiting conn */
	ev_timer         stall_w;      /* finds readers that stopped reading */
	ev_signal        sigint_w;
	ev_signal        sigterm_w;
	struct sotto_ids ids;
	struct conn     *by_id;        /* uthash on conn->id; every open conn */
	struct room     *rooms;        /* uthash on the room name */
	struct cluster  *cluster;      /* NULL without --cluster */
	uint32_t         nconns;
	uint32_t         nrooms;
	struct conn_list waiting;      /* not joined yet, oldest first */
	struct conn_fifo flush;        /* output queued since the last flush */
	struct conn_fifo closing;      /* marked, freed before the loop sleeps */
	struct conn_list blocked;      /* sockets full (ww active), via block_link */
	struct admit    *admit;        /* --trusted, NULL without */
	uint64_t         dropped;      /* frames dropped for a bad `to` */
	ev_tstamp        refused_logged; /* rate limit for refusal lines */
	uint64_t         refused_quiet;  /* refusals not logged since then */
	uint8_t          scratch[RELAY_SCRATCH];
};

/* server.c */
struct relay *relay_new(const struct relay_cfg *cfg);
int relay_listen(struct relay *r, char *err, size_t err_len);
void relay_run(struct relay *r);
void relay_free(struct relay *r);
struct conn *relay_conn_by_id(struct relay *r, uint32_t id);
/* Join the cluster of cfg.cluster (none when NULL). */
int relay_cluster(struct relay *r, char *err, size_t err_len);
/* Admit an accepted fd under an id (the cluster's ids arrive later). */
void relay_admit_id(struct relay *r, int fd, const struct sockaddr *sa,
    socklen_t sa_len, uint32_t id);
/* Close fd (unless -1) and log why, rate limited. */
void relay_refuse(struct relay *r, int fd, const struct sockaddr *sa,
    const char *why);

/* joinwait.c: connections that have not joined yet, under one timer. */
void joinwait_init(struct relay *r);
void joinwait_add(struct relay *r, struct conn *c);
void joinwait_remove(struct relay *r, struct conn *c);

#endif

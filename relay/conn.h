/* SPDX-License-Identifier: ISC */
/* conn.h: one client connection: reading, writing and closing it safely.
 *
 * A connection is never freed where it is found to be broken: conn_close
 * marks it (reading stops at once, it receives nothing more) and queues it
 * on relay->closing; the relay frees it between loop turns, after every
 * callback and broadcast loop that might still hold it has returned.
 */
#ifndef SOTTO_RELAY_CONN_H
#define SOTTO_RELAY_CONN_H

#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <ev.h>

#include "budget.h"
#include "frame.h"
#include "hash.h"
#include "outq.h"
#include "relay.h"

/* One throttling episode of a connection, for its start and stop lines. */
struct throttle {
	ev_tstamp since;       /* first hold of the episode, 0 none open */
	ev_tstamp last_hold;
	uint64_t  frames;      /* passed during the episode */
	uint64_t  bytes;
	uint32_t  holds_rate;  /* holds for --rate */
	uint32_t  holds_bytes; /* for --rate-bytes */
	uint32_t  holds_fair;  /* for its bytes in others' queues */
};

/* "[ipv6]:port" at most. */
#define CONN_ADDR_LEN  (INET6_ADDRSTRLEN + 9)

struct conn {
	ev_io              rw;         /* readable; stopped once closing */
	ev_io              ww;         /* writable; active only while the socket is full */
	ev_timer           kick_w;     /* ends a hold: budget refilled, queues drained */
	struct relay      *relay;
	struct room       *room;       /* NULL until the first INI */
	/* Exactly one list at a time: relay->waiting until joined, then
	 * room->members. */
	TAILQ_ENTRY(conn)  link;
	STAILQ_ENTRY(conn) flush_link; /* relay->flush */
	STAILQ_ENTRY(conn) close_link; /* relay->closing */
	TAILQ_ENTRY(conn)  block_link; /* relay->blocked: while ww is active */
	UT_hash_handle     hh;         /* relay->by_id */
	struct sotto_dec   dec;        /* holds a buffer only mid-frame */
	struct outq        q;
	ev_tstamp          accepted;   /* for the join timeout */
	ev_tstamp          progress;   /* last time its peer took bytes */
	int                unsent;     /* socket's unsent bytes at the last look */
	struct budget      budget;     /* input token buckets */
	struct fb_src     *src;        /* its frames' bytes in output queues */
	struct throttle    thr;
	uint32_t           id;
	uint32_t           dropped;    /* frames dropped for a bad `to` */
	const char        *why;        /* static text: why it closes */
	int                why_errno;  /* with it, or 0 */
	union {
		struct sockaddr     sa;
		struct sockaddr_in  in;
		struct sockaddr_in6 in6;
	} peer;
	unsigned           waiting : 1;   /* on relay->waiting */
	unsigned           on_flush : 1;  /* on relay->flush */
	unsigned           closing : 1;   /* on relay->closing */
	unsigned           blocked : 1;   /* on relay->blocked */
	unsigned           eof : 1;       /* peer finished sending */
	unsigned           held : 1;      /* not read: over budget or queues */
};

/* A connection for an accepted, non-blocking fd; the caller starts c->rw.
 * NULL when out of memory; the caller still owns fd then. */
struct conn *conn_new(struct relay *r, int fd, uint32_t id,
    const struct sockaddr *sa, socklen_t sa_len);
/* Release everything; the caller has unlinked c from hash, lists, room. */
void conn_free(struct conn *c);
/* Mark c to be closed between loop turns; idempotent. why: static text. */
void conn_close(struct conn *c, const char *why, int err);
/* A protocol violation: one log line with the reason, then conn_close. */
void conn_violation(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Queue a frame to c (a new reference). Closes c instead when that would
 * pass --max-queue. 0, or -1 when c is (now) closing. */
int conn_send(struct conn *c, struct fb *f);
/* Write queued output until done or the socket is full. */
void conn_flush(struct conn *c);
/* Route the whole frames the decoder holds, as far as c's input budget
 * allows; when the peer has finished sending and nothing whole is left,
 * close c. Called on read events and when a hold ends. */
void conn_drain(struct conn *c);
const char *conn_addr(const struct conn *c, char out[static CONN_ADDR_LEN]);
/* "host:port" of an IPv4 or IPv6 socket address, for log lines. */
const char *sockaddr_str(const struct sockaddr *sa, char out[static CONN_ADDR_LEN]);

#endif

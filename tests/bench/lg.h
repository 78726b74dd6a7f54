/* SPDX-License-Identifier: ISC */
/* lg.h: the load generator's shared state: connections, members, senders and the run they belong to. */
#ifndef SOTTO_BENCH_LG_H
#define SOTTO_BENCH_LG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ev.h>

#include "buf.h"
#include "container.h"
#include "frame.h"
#include "hist.h"

/* Payload of every benchmark message: the relay never looks into a DAT
 * body and Redis never looks into a PUBLISH message, so it is plain. */
#define LG_PAYLOAD_HDR  20u     /* u64 send time ns | u32 sender | u64 seq */
#define LG_ROOM_FMT     "bench-%u"
#define LG_ROOM_NAME    24u
#define LG_READ_CHUNK   (64u * 1024u)
#define LG_MAX_FRAME    (1024u * 1024u)
#define LG_MAX_INPUT    (4u * 1024u * 1024u)  /* RESP input held at most */

enum lg_proto_kind { LG_SOTTO, LG_REDIS };
enum lg_conn_kind { LG_MEMBER, LG_PUBLISHER };
enum lg_conn_state { LG_CONNECTING, LG_JOINING, LG_READY, LG_CLOSED };

struct lg_run;

/* One TCP connection. Output is queued and written from the loop's
 * prepare watcher, so many messages leave in one write. */
struct lg_conn {
	ev_io             rio, wio;     /* wio: connect completion, then only while output waits */
	int               fd;
	enum lg_conn_kind kind;
	enum lg_conn_state state;
	uint32_t          index;        /* global connection number (source address choice) */
	struct lg_run    *run;
	struct sotto_wbuf out;
	int               dirty;        /* on run->dirty list */
	struct lg_conn   *next_dirty;
	/* Input: a wire-v1 decoder, or a plain buffer for RESP. */
	struct sotto_dec  dec;
	struct sotto_wbuf in;
};

struct lg_room {
	uint32_t          index;
	char              name[LG_ROOM_NAME];
	size_t            name_len;
	struct lg_member *members;      /* members[0..M) */
	struct lg_sender *senders;      /* senders[0..S): members[0..S) send */
};

struct lg_member {
	struct lg_conn    conn;
	struct lg_room   *room;
	uint32_t          slot;         /* index in room */
	uint64_t         *next_seq;     /* per sender slot of the room: next expected seq */
};

struct lg_sender {
	struct lg_member *member;       /* sends as this member (sotto) and receives as it */
	struct lg_conn   *pub;          /* where messages go: member conn, or a Redis publisher */
	struct lg_conn    pub_conn;     /* Redis only: the separate publishing connection */
	uint32_t          id;           /* global sender number, carried in the payload */
	uint32_t          slot;         /* sender slot in its room */
	uint64_t          seq;          /* next sequence number to send */
	uint64_t          acked;        /* every seq < acked reached (or was lost to) all receivers */
	uint32_t          recipients;   /* receivers still connected: M - 1 */
	uint32_t         *ring;         /* per in-flight seq: receivers that resolved it */
	uint64_t          pub_replies;  /* Redis: PUBLISH replies outstanding */
};

#define LG_PORTS_MAX 16

struct lg_opts {
	enum lg_proto_kind proto;
	const char *host;
	unsigned    port;
	unsigned    ports[LG_PORTS_MAX]; /* --ports: relays of a cluster, members spread */
	unsigned    nports;
	unsigned    rooms, members, senders;
	size_t      size;               /* payload bytes per message */
	double      seconds, warmup, drain;
	double      rate;               /* per sender, messages/s; 0: window-bound */
	unsigned    window;             /* per sender messages in flight */
	unsigned    connect_batch;      /* connections joining at once */
	unsigned    conns_per_ip;       /* before moving to the next 127.0.0.x */
	uint32_t    first_conn;         /* idle workers: global index of our first connection */
	double      join_timeout;
	pid_t       pid;                /* server to watch, 0 none */
	pid_t       pids[LG_PORTS_MAX + 1]; /* --pids: every server, CPU summed */
	unsigned    npids;
	int         idle;
	unsigned    procs;
	int         json;
};

struct lg_counts {
	uint64_t sent, delivered, lost, dup, self, foreign, bad;
	uint64_t pub_replies, pub_mismatch;
};

struct lg_run {
	struct ev_loop   *loop;
	const struct lg_opts *o;
	struct lg_room   *rooms;
	struct lg_sender **senders;     /* by global id */
	uint32_t          n_senders;
	struct lg_conn  **conns;        /* every connection, in connect order */
	uint32_t          n_conns, next_conn, pending, ready, failed, closed;
	struct lg_conn   *dirty;
	ev_prepare        flush_w;
	ev_timer          phase_w, tick_w;
	int               phase;        /* enum lg_phase in loadgen.c */
	int               sending;
	double            t_start, t0, t1;   /* monotonic seconds: sending start, window */
	uint64_t          t0_ns, t1_ns;
	uint64_t          window_sent, window_delivered;
	struct lg_counts  c;
	struct hist       lat;          /* ns, messages sent inside the window */
	uint8_t          *payload;      /* scratch, o->size bytes of filler */
	void            (*on_ready)(struct lg_run *);
	void            (*on_closed)(struct lg_run *, struct lg_conn *,
	                             enum lg_conn_state was);
};

/* lg_conn.c */
uint64_t lg_now_ns(void);
int lg_conn_open(struct lg_run *run, struct lg_conn *c, char *err, size_t err_len);
void lg_conn_close(struct lg_conn *c);
/* The output buffer to append to, marked for the next flush; NULL when
 * the connection cannot take output. */
struct sotto_wbuf *lg_conn_out(struct lg_conn *c);
void lg_conn_flush_all(struct lg_run *run);

/* lg_sotto.c / lg_redis.c: join, publish and parse for one protocol. */
int lg_sotto_join(struct lg_member *m);
int lg_sotto_publish(struct lg_sender *s, const uint8_t *payload, size_t n);
int lg_sotto_readable(struct lg_conn *c);
int lg_redis_join(struct lg_member *m);
int lg_redis_publish(struct lg_sender *s, const uint8_t *payload, size_t n);
int lg_redis_readable(struct lg_conn *c);

/* lg_topo.c: rooms, members, senders, connections. */
int lg_topo_new(struct lg_run *run);
void lg_topo_free(struct lg_run *run);

/* lg_traffic.c: payloads, the in-flight window, delivery accounting. */
void lg_sender_kick(struct lg_run *run, struct lg_sender *s);
void lg_deliver(struct lg_member *m, const uint8_t *payload, size_t n, uint64_t now);
void lg_member_gone(struct lg_member *m);
uint64_t lg_unreceived(const struct lg_run *run);
int lg_all_acked(const struct lg_run *run);

/* loadgen.c: the run's life: build, connect and join everything (then
 * run->on_ready), free. phase_cb gets run->phase_w (first: join timeout). */
int lg_run_init(struct lg_run *run, const struct lg_opts *o);
void lg_run_start(struct lg_run *run,
    void (*phase_cb)(struct ev_loop *, ev_timer *, int));
void lg_run_free(struct lg_run *run);
/* A connection finished joining (publishers: connecting). */
void lg_member_joined(struct lg_conn *c);

#endif

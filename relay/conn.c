/* SPDX-License-Identifier: ISC */
/* conn.c: one client connection: reading, writing and closing it safely. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "input.h"
#include "log.h"
#include "route.h"

/* iovecs per writev: enough to batch a burst of small frames into one
 * system call, small enough for the stack. */
#define CONN_IOV_BATCH  256

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);

struct conn *conn_new(struct relay *r, int fd, uint32_t id,
    const struct sockaddr *sa, socklen_t sa_len)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->relay = r;
	c->id = id;
	if (sa_len <= sizeof(c->peer))
		memcpy(&c->peer, sa, sa_len);
	sotto_dec_init(&c->dec, r->cfg.max_frame, SOTTO_DEC_CLIENT_TYPES);
	outq_init(&c->q);
	ev_io_init(&c->rw, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->ww, conn_write_cb, fd, EV_WRITE);
	if (input_new(c) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* The socket is full (ww active): the relay watches for a reader that
 * stopped reading, whose queue must not hold senders back. */
static void conn_block(struct conn *c)
{
	if (c->blocked)
		return;
	TAILQ_INSERT_TAIL(&c->relay->blocked, c, block_link);
	c->blocked = 1;
	/* It emptied its queue before (or never had one): the clock starts now. */
	c->progress = ev_now(c->relay->loop);
}

static void conn_unblock(struct conn *c)
{
	if (!c->blocked)
		return;
	TAILQ_REMOVE(&c->relay->blocked, c, block_link);
	c->blocked = 0;
}

void conn_free(struct conn *c)
{
	ev_io_stop(c->relay->loop, &c->rw);
	ev_io_stop(c->relay->loop, &c->ww);
	close(c->rw.fd);
	conn_unblock(c);
	sotto_dec_free(&c->dec);
	outq_clear(&c->q);
	input_free(c);
	free(c);
}

const char *sockaddr_str(const struct sockaddr *sa, char out[static CONN_ADDR_LEN])
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)) != NULL)
		snprintf(out, CONN_ADDR_LEN, "%s:%u", host, ntohs(in->sin_port));
	else if (sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)) != NULL)
		snprintf(out, CONN_ADDR_LEN, "[%s]:%u", host, ntohs(in6->sin6_port));
	else
		snprintf(out, CONN_ADDR_LEN, "unknown");
	return out;
}

const char *conn_addr(const struct conn *c, char out[static CONN_ADDR_LEN])
{
	return sockaddr_str(&c->peer.sa, out);
}

void conn_close(struct conn *c, const char *why, int err)
{
	struct relay *r = c->relay;

	if (c->closing)
		return;
	c->closing = 1;
	c->why = why;
	c->why_errno = err;
	ev_io_stop(r->loop, &c->rw);
	ev_io_stop(r->loop, &c->ww);
	ev_timer_stop(r->loop, &c->kick_w);
	conn_unblock(c);
	joinwait_remove(r, c);
	STAILQ_INSERT_TAIL(&r->closing, c, close_link);
}

void conn_violation(struct conn *c, const char *fmt, ...)
{
	char addr[CONN_ADDR_LEN], msg[512];
	va_list ap;

	if (c->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sotto_log(SOTTO_LOG_WARN, "violation id=%u addr=%s: %s; closing",
	    c->id, conn_addr(c, addr), msg);
	conn_close(c, "protocol violation", 0);
}

int conn_send(struct conn *c, struct fb *f)
{
	struct relay *r = c->relay;
	char addr[CONN_ADDR_LEN];

	if (c->closing)
		return -1;
	if (f->len > r->cfg.max_queue - outq_bytes(&c->q)) {
		sotto_log(SOTTO_LOG_WARN, "slow reader id=%u addr=%s: %zu bytes "
		    "unsent, %u more would pass --max-queue %zu; closing", c->id,
		    conn_addr(c, addr), outq_bytes(&c->q), f->len, r->cfg.max_queue);
		conn_close(c, "output queue full", 0);
		return -1;
	}
	if (outq_push(&c->q, f) != 0) {
		sotto_log(SOTTO_LOG_ERR, "id=%u: out of memory queueing output", c->id);
		conn_close(c, "out of memory", 0);
		return -1;
	}
	/* Written once per loop turn (relay's prepare watcher), so a burst of
	 * frames leaves in one writev; while the write watcher is active it
	 * does that job. */
	if (!c->on_flush && !ev_is_active(&c->ww)) {
		STAILQ_INSERT_TAIL(&r->flush, c, flush_link);
		c->on_flush = 1;
	}
	return 0;
}

void conn_flush(struct conn *c)
{
	struct ev_loop *loop = c->relay->loop;
	struct iovec iov[CONN_IOV_BATCH];
	size_t total;
	ssize_t n;
	int k;

	while (!c->closing && outq_bytes(&c->q) > 0) {
		k = outq_iov(&c->q, iov, CONN_IOV_BATCH, &total);
		n = writev(c->ww.fd, iov, k);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(loop, &c->ww);
			conn_block(c);
			return;
		}
		if (n < 0) {
			/* EPIPE, ECONNRESET...: SIGPIPE is ignored, the
			 * error arrives here and closes only this reader. */
			conn_close(c, "write failed", errno);
			return;
		}
		c->progress = ev_now(loop);
		outq_consume(&c->q, (size_t)n);
		if ((size_t)n < total) {
			ev_io_start(loop, &c->ww);
			conn_block(c);
			return;
		}
	}
	ev_io_stop(loop, &c->ww);
	conn_unblock(c);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_flush(container_of(w, struct conn, ww));
}

static void conn_bad_header(struct conn *c, int err, const struct sotto_frame_hdr *h)
{
	switch (err) {
	case SOTTO_E_VERSION:
		conn_violation(c, "bad version: ver %u, not %u", h->ver,
		    SOTTO_WIRE_VERSION);
		break;
	case SOTTO_E_TYPE:
		conn_violation(c, "bad type: type %u from a client (1..3 allowed)",
		    h->type);
		break;
	case SOTTO_E_LEN:
		conn_violation(c, "bad length: len %u outside %u..%u", h->len,
		    SOTTO_LEN_MIN, c->relay->cfg.max_frame);
		break;
	default:
		conn_violation(c, "bad frame: %s", sotto_strerror(err));
		break;
	}
}

void conn_drain(struct conn *c)
{
	struct sotto_frame f;
	int r;

	while (!c->closing && input_may_pass(c)) {
		if ((r = sotto_dec_next(&c->dec, &f)) == 0) {
			if (c->eof)
				conn_close(c, "closed by peer", 0);
			return;
		}
		if (r < 0) {
			conn_bad_header(c, r, &f.hdr);   /* holds the bad header */
			return;
		}
		input_charge(c, f.raw_len);
		route_frame(c, &f);
	}
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, rw);
	struct relay *r = c->relay;
	ssize_t n;

	(void)revents;
	/* One read per event: a fast sender gets its turn like everyone
	 * else, and never waits for any receiver. Over its budget it is not
	 * read at all (input.c). */
	n = read(w->fd, r->scratch, sizeof(r->scratch));
	if (n == 0) {
		/* Frames still held back for the budget go first. */
		c->eof = 1;
		ev_io_stop(loop, w);
		conn_drain(c);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c, "read failed", errno);
		return;
	}
	if (sotto_dec_feed(&c->dec, r->scratch, (size_t)n) != 0) {
		sotto_log(SOTTO_LOG_ERR, "id=%u: out of memory buffering input", c->id);
		conn_close(c, "out of memory", 0);
		return;
	}
	conn_drain(c);
}

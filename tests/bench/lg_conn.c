/* SPDX-License-Identifier: ISC */
/* lg_conn.c: the load generator's sockets: connect from 127.0.0.x, queue output, write it in batches. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void conn_fail(struct lg_conn *c)
{
	struct lg_run *run = c->run;
	enum lg_conn_state was = c->state;

	if (was == LG_CLOSED)
		return;
	lg_conn_close(c);
	run->on_closed(run, c, was);
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lg_conn *c = container_of(w, struct lg_conn, rio);
	int r;

	(void)loop; (void)revents;
	r = c->run->o->proto == LG_SOTTO ? lg_sotto_readable(c) :
	    lg_redis_readable(c);
	if (r != 0)
		conn_fail(c);
}

/* Write what is queued; keep write interest only while some is left. */
static int conn_write(struct lg_conn *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = write(c->fd, c->out.p, c->out.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		sotto_wbuf_consume(&c->out, (size_t)n);
	}
	if (c->out.len > 0 && !ev_is_active(&c->wio))
		ev_io_start(c->run->loop, &c->wio);
	else if (c->out.len == 0 && ev_is_active(&c->wio))
		ev_io_stop(c->run->loop, &c->wio);
	return 0;
}

static void conn_connected(struct lg_conn *c)
{
	struct lg_run *run = c->run;
	struct lg_member *m;
	int r = 0;

	ev_io_stop(run->loop, &c->wio);
	ev_io_start(run->loop, &c->rio);
	if (c->kind == LG_PUBLISHER) {
		lg_member_joined(c);   /* a publisher needs no join */
		return;
	}
	c->state = LG_JOINING;
	m = container_of(c, struct lg_member, conn);
	r = run->o->proto == LG_SOTTO ? lg_sotto_join(m) : lg_redis_join(m);
	if (r != 0)
		conn_fail(c);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lg_conn *c = container_of(w, struct lg_conn, wio);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)loop; (void)revents;
	if (c->state == LG_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			conn_fail(c);
			return;
		}
		conn_connected(c);
		return;
	}
	if (conn_write(c) != 0)
		conn_fail(c);
}

/* Source 127.0.0.(1 + index / conns_per_ip): each address has its own
 * ephemeral port range, so more than ~28,000 connections fit. */
static int conn_bind_source(const struct lg_run *run, int fd, uint32_t index)
{
	struct sockaddr_in src;
	uint32_t host = 1u + index / run->o->conns_per_ip;
	int one = 1;

	if (host > 254)
		return -1;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl((127u << 24) | host);
	/* Pick the port at connect time, per destination, not at bind. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&src, sizeof(src));
}

int lg_conn_open(struct lg_run *run, struct lg_conn *c, char *err, size_t err_len)
{
	struct sockaddr_in dst;
	unsigned port;
	int fd, one = 1;

	c->run = run;
	c->state = LG_CONNECTING;
	sotto_wbuf_init(&c->out, 0);
	sotto_wbuf_init(&c->in, LG_MAX_INPUT);
	sotto_dec_init(&c->dec, LG_MAX_FRAME, SOTTO_DEC_ALL_TYPES);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	port = run->o->nports > 0 ? run->o->ports[c->index % run->o->nports] :
	    run->o->port;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, run->o->host, &dst.sin_addr) != 1) {
		snprintf(err, err_len, "--host '%s': not an IPv4 address", run->o->host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (conn_bind_source(run, fd, c->index) != 0 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 &&
	    errno != EINPROGRESS)) {
		snprintf(err, err_len, "connection %u to %s:%u: %s", c->index,
		    run->o->host, port, strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_io_start(run->loop, &c->wio);
	return 0;
}

void lg_conn_close(struct lg_conn *c)
{
	if (c->state == LG_CLOSED)
		return;
	if (c->fd >= 0) {
		ev_io_stop(c->run->loop, &c->rio);
		ev_io_stop(c->run->loop, &c->wio);
		close(c->fd);
	}
	c->fd = -1;
	c->state = LG_CLOSED;
	sotto_wbuf_free(&c->out);
	sotto_dec_free(&c->dec);
	sotto_wbuf_free(&c->in);
}

struct sotto_wbuf *lg_conn_out(struct lg_conn *c)
{
	if (c->state == LG_CLOSED || c->state == LG_CONNECTING)
		return NULL;
	if (!c->dirty) {
		c->dirty = 1;
		c->next_dirty = c->run->dirty;
		c->run->dirty = c;
	}
	return &c->out;
}

/* Called from the prepare watcher: everything queued in this loop
 * iteration goes out now, one write per connection. */
void lg_conn_flush_all(struct lg_run *run)
{
	struct lg_conn *c, *next;

	for (c = run->dirty, run->dirty = NULL; c != NULL; c = next) {
		next = c->next_dirty;
		c->dirty = 0;
		c->next_dirty = NULL;
		if (c->state != LG_CLOSED && conn_write(c) != 0)
			conn_fail(c);
	}
}

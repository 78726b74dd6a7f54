/* SPDX-License-Identifier: ISC */
/* conn.c: the relay connection: non-blocking connect, framed reads, one bounded output buffer, reconnect with capped exponential backoff.
 *
 * The relay may be a list (`A:7700,B:7700`, relays.c), the relays of one
 * cluster: every failure or drop moves on to the next address, in order,
 * wrapping around.
 *
 * "Unreachable at start": when the first connection attempt of the process
 * to every address of the list fails (refused, unresolvable, or no answer
 * within CORE_CONNECT_TIMEOUT; the addresses are tried one after another
 * without waiting) the client reports a fatal `error` and the front-end
 * exits non-zero, unless the front-end set `retry` (the UI always does,
 * batch with --retry): then it is a `disconnected` and retried. Once it has
 * been connected, every later drop or failure is retried forever with
 * backoff (0.25 s doubling to 8 s, jittered to 50..100 %), each attempt a
 * fresh session with the next address.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "net.h"

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);
static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents);

void
conn_init(struct client *c)
{
	ev_init(&c->rio, on_read);
	ev_init(&c->wio, on_write);
	ev_init(&c->conn_timer, on_conn_timer);
	sotto_wbuf_init(&c->out, CORE_OUT_MAX);
	sotto_dec_init(&c->dec, SOTTO_MAX_FRAME_DEFAULT, SOTTO_DEC_ALL_TYPES);
	c->backoff = CORE_BACKOFF_MIN;
}

static void
schedule_reconnect(struct client *c)
{
	/* Jitter to 50..100 % so clients dropped together do not return
	 * together. */
	double delay = c->backoff * (0.5 + sotto_random_uniform(1001) / 2000.0);

	c->backoff = c->backoff * 2 > CORE_BACKOFF_MAX ? CORE_BACKOFF_MAX : c->backoff * 2;
	c->st = CS_IDLE;
	ev_timer_stop(c->loop, &c->conn_timer);
	ev_timer_set(&c->conn_timer, delay, 0.0);
	ev_timer_start(c->loop, &c->conn_timer);
	core_emit_status(c, "reconnecting");
}

/* An attempt failed. The first of the process is fatal unless retry is
 * set (see the file comment). */
static void
connect_failed(struct client *c, const char *why)
{
	char detail[512];
	struct client_event ev = { .type = CLIENT_EV_DISCONNECTED,
	    .disconnected = { .reason = detail } };

	conn_stop(c);
	if (!c->ever_connected) {
		if (c->first_fails < c->nrelays && ++c->first_fails < c->nrelays) {
			relays_next(c);
			conn_start(c);
			return;
		}
		if (!c->retry) {
			snprintf(detail, sizeof(detail), "relay %s unreachable: %s",
			    c->relay, why);
			core_fatal(c, "relay-unreachable", detail);
			return;
		}
		/* --retry (and the UI): not up yet is not fatal; say so. */
		snprintf(detail, sizeof(detail), "relay %s unreachable: %s; retrying",
		    relays_current(c), why);
		core_emit(c, &ev);
		if (c->st == CS_CLOSED)
			return;
	}
	relays_next(c);
	schedule_reconnect(c);
}

/* The relay's join timeout counts from accept, and an RSA-4096 session
 * key can take longer than that on a loaded machine: dial only with the
 * key in hand, or the relay closes us before our INI and every retry
 * starts the race again. Without one, ask for it now;
 * on_rsa dials when it comes. */
static bool
session_key_in_hand(struct client *c)
{
	if (c->rsa == NULL)
		c->rsa = rsagen_take(c->rsagen);
	if (c->rsa != NULL)
		return true;
	c->st = CS_IDLE;
	c->dial_on_key = true;
	rsagen_request(c->rsagen);
	core_emit_status(c, "making-key");
	return false;
}

void
conn_start(struct client *c)
{
	char err[SOTTO_NET_ERR_LEN];

	if (!session_key_in_hand(c))
		return;
	c->st = CS_CONNECTING;
	core_emit_status(c, "connecting");
	if ((c->fd = core_connect(relays_current(c), err, sizeof(err))) < 0) {
		connect_failed(c, err);
		return;
	}
	(void)sotto_net_tune(c->fd);
	ev_io_set(&c->wio, c->fd, EV_WRITE);
	ev_io_start(c->loop, &c->wio);
	ev_io_set(&c->rio, c->fd, EV_READ);
	ev_timer_set(&c->conn_timer, CORE_CONNECT_TIMEOUT, 0.0);
	ev_timer_start(c->loop, &c->conn_timer);
}

/* Close the socket and stop its watchers; keeps the outbox. */
void
conn_stop(struct client *c)
{
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->conn_timer);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	sotto_dec_free(&c->dec);
	sotto_dec_init(&c->dec, SOTTO_MAX_FRAME_DEFAULT, SOTTO_DEC_ALL_TYPES);
	sotto_wbuf_reset(&c->out);
	c->out_queued = c->out_written = 0;
	c->conn_gen++;
}

/* An established connection ended. Callers up the stack may still be in
 * the middle of its frames: mark it, stop its watchers, and leave the rest
 * to conn_reap at the end of the turn. */
void
conn_close(struct client *c, const char *reason)
{
	if (c->st == CS_CLOSED || c->closing)
		return;
	c->closing = true;
	snprintf(c->close_why, sizeof(c->close_why), "%s", reason);
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->conn_timer);
	core_defer(c);
}

/* The end of a closed connection: tell the front-end, end the session,
 * try again later (not after client_shutdown). Typed lines not yet
 * written stay queued. */
void
conn_reap(struct client *c)
{
	struct client_event ev = { .type = CLIENT_EV_DISCONNECTED,
	    .disconnected = { .reason = c->close_why } };

	if (!c->closing)
		return;
	conn_stop(c);
	outage_begin(c);        /* notes who was here, before the table goes */
	sess_reset(c);
	c->closing = false;
	if (c->st == CS_CLOSED)
		return;
	core_emit(c, &ev);
	if (c->st != CS_CLOSED) {
		relays_next(c);
		schedule_reconnect(c);
	}
}

static void
connected(struct client *c)
{
	struct client_event ev = { .type = CLIENT_EV_CONNECTED,
	    .connected = { .relay = relays_current(c), .room = c->room_str } };

	ev_timer_stop(c->loop, &c->conn_timer);
	ev_io_stop(c->loop, &c->wio);
	ev_io_start(c->loop, &c->rio);
	c->ever_connected = true;
	c->st = CS_WAIT_RSA;
	core_emit(c, &ev);
	if (!c->told_memlock && sotto_crypto_secure_locked() == 0) {
		c->told_memlock = true;
		core_notice(c, "secure memory could not be locked (RLIMIT_MEMLOCK "
		    "too low): keys may be written to swap");
	}
	if (c->st == CS_WAIT_RSA)
		sess_rsa_ready(c);
}

static void
on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, conn_timer);

	(void)loop;
	(void)revents;
	if (c->st == CS_CONNECTING)
		connect_failed(c, "no answer within 10 s");
	else if (c->st == CS_IDLE)
		conn_start(c);
}

static void
flush_out(struct client *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			char why[128];

			snprintf(why, sizeof(why), "write to relay: %s",
			    n < 0 ? strerror(errno) : "closed");
			conn_close(c, why);
			return;
		}
		sotto_wbuf_consume(&c->out, (size_t)n);
		c->out_written += (uint64_t)n;
	}
	outbox_written(&c->ob, c->out_written);
	outage_settled(c);
	/* Write interest only while output is queued. */
	if (c->out.len == 0)
		ev_io_stop(c->loop, &c->wio);
	else if (!ev_is_active(&c->wio))
		ev_io_start(c->loop, &c->wio);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, wio);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)loop;
	(void)revents;
	if (c->st == CS_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0) {
			char why[128];

			snprintf(why, sizeof(why), "connect: %s", strerror(soerr));
			connect_failed(c, why);
			return;
		}
		connected(c);
		return;
	}
	flush_out(c);
	if (!c->closing)
		dat_pump(c);
}

int
conn_send(struct client *c, uint8_t type, uint32_t to, const void *body,
    size_t len)
{
	size_t before = c->out.len;
	int r;

	if (c->fd < 0 || c->st < CS_WAIT_RSA || c->st == CS_CLOSED || c->closing)
		return SOTTO_E_INVAL;
	if ((r = sotto_frame_encode(&c->out, type, 0, to, body, len)) != 0) {
		/* The relay has not read 16 MiB: treat it as gone. */
		conn_close(c, "output to the relay exceeds its bound");
		return r;
	}
	c->out_queued += c->out.len - before;
	if (!ev_is_active(&c->wio))
		ev_io_start(c->loop, &c->wio);
	return 0;
}

bool
conn_input_waiting(const struct client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return c->fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, rio);
	struct sotto_frame f;
	uint8_t *p;
	size_t avail;
	ssize_t n;
	int r = 0;

	(void)loop;
	(void)revents;
	if ((p = sotto_dec_space(&c->dec, CORE_READ_CHUNK, &avail)) == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	n = recv(c->fd, p, avail, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s", n == 0 ? "relay closed the connection" :
		    strerror(errno));
		conn_close(c, why);
		return;
	}
	sotto_dec_commit(&c->dec, (size_t)n);
	/* A handler may close the connection (or the front-end shut the core
	 * down): the frames after that belong to no session. */
	while (!c->closing && (r = sotto_dec_next(&c->dec, &f)) == 1) {
		sess_on_frame(c, &f);
		/* A member from before an outage may be back: held lines. */
		if (!c->closing)
			outage_after_frame(c);
	}
	if (r < 0) {
		char why[128];

		/* The stream cannot be resynchronised: one rejected frame,
		 * then a fresh connection. */
		core_reject(c, SOTTO_V_MALFORMED, "frame header from the relay: %s",
		    sotto_strerror(r));
		snprintf(why, sizeof(why), "relay sent a bad frame: %s", sotto_strerror(r));
		conn_close(c, why);
	}
}

/* SPDX-License-Identifier: ISC */
/* server.c: the listening socket, admission of connections, and the end of
 * every loop turn (queued writes, then deferred closes). */
#define _GNU_SOURCE             /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "admit.h"
#include "cluster.h"
#include "conn.h"
#include "log.h"
#include "net.h"
#include "room.h"
#include "route.h"

#define RELAY_BACKLOG     4096
/* At most one refusal line per this many seconds, so a connect flood
 * cannot flood the log too. */
#define REFUSE_LOG_EVERY  1.0


static void relay_accept_cb(struct ev_loop *loop, ev_io *w, int revents);
static void relay_turn_cb(struct ev_loop *loop, ev_prepare *w, int revents);
static void relay_signal_cb(struct ev_loop *loop, ev_signal *w, int revents);
static void relay_stall_cb(struct ev_loop *loop, ev_timer *w, int revents);

struct relay *relay_new(const struct relay_cfg *cfg)
{
	struct relay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		free(r);
		return NULL;
	}
	r->cfg = *cfg;
	r->lfd = -1;
	r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sotto_ids_init(&r->ids, 1);
	STAILQ_INIT(&r->flush);
	STAILQ_INIT(&r->closing);
	TAILQ_INIT(&r->blocked);
	joinwait_init(r);
	ev_timer_init(&r->stall_w, relay_stall_cb, RELAY_STALL_CHECK,
	    RELAY_STALL_CHECK);
	ev_prepare_init(&r->flush_w, relay_turn_cb);
	ev_signal_init(&r->sigint_w, relay_signal_cb, SIGINT);
	ev_signal_init(&r->sigterm_w, relay_signal_cb, SIGTERM);
	return r;
}

int relay_listen(struct relay *r, char *err, size_t err_len)
{
	/* Signals before the port opens: whoever sees it open (a supervisor,
	 * a test) may stop us at once, and SIGTERM must then be the clean
	 * stop, not the default death (relay_free stops them on failure). */
	ev_signal_start(r->loop, &r->sigint_w);
	ev_signal_start(r->loop, &r->sigterm_w);
	if ((r->lfd = sotto_net_listen(r->cfg.listen, RELAY_BACKLOG, err, err_len)) < 0)
		return -1;
	ev_io_init(&r->accept_w, relay_accept_cb, r->lfd, EV_READ);
	/* A cluster member accepts once it has joined the backplane (it has
	 * no ids before); connections wait in the backlog until then. */
	if (r->cluster == NULL)
		ev_io_start(r->loop, &r->accept_w);
	ev_prepare_start(r->loop, &r->flush_w);
	ev_timer_start(r->loop, &r->stall_w);
	return 0;
}

int relay_cluster(struct relay *r, char *err, size_t err_len)
{
	if (r->cfg.cluster == NULL)
		return 0;
	r->cluster = cluster_new(r, r->cfg.cluster, r->cfg.node_name,
	    r->cfg.cluster_timeout, err, err_len);
	return r->cluster != NULL ? 0 : -1;
}

void relay_run(struct relay *r)
{
	ev_run(r->loop, 0);
}

struct conn *relay_conn_by_id(struct relay *r, uint32_t id)
{
	struct conn *c;

	HASH_FIND(hh, r->by_id, &id, sizeof(id), c);
	return c;
}

/* --- admission ----------------------------------------------------------- */

/* Close fd (unless -1) and say why, at most once per REFUSE_LOG_EVERY.
 * sa may be NULL when the peer is unknown. */
void relay_refuse(struct relay *r, int fd, const struct sockaddr *sa,
    const char *why)
{
	char addr[CONN_ADDR_LEN];
	ev_tstamp now = ev_now(r->loop);

	if (fd >= 0)
		close(fd);
	if (now - r->refused_logged < REFUSE_LOG_EVERY && r->refused_logged > 0) {
		r->refused_quiet++;
		return;
	}
	sotto_log(SOTTO_LOG_WARN, "refused %s: %s (%llu more refused unlogged)",
	    sa != NULL ? sockaddr_str(sa, addr) : "a connection", why,
	    (unsigned long long)r->refused_quiet);
	r->refused_logged = now;
	r->refused_quiet = 0;
}

static void relay_admit(struct relay *r, int fd, const struct sockaddr *sa,
    socklen_t sa_len)
{
	const char *why;
	uint32_t id;

	if (r->nconns + cluster_pending(r->cluster) >= r->cfg.max_clients) {
		relay_refuse(r, fd, sa, "--max-clients reached");
		return;
	}
	if (r->cluster != NULL) {
		/* Ids are cluster-wide: relay_admit_id runs when one arrives. */
		if (cluster_admit(r->cluster, fd, sa, sa_len, &why) != 0)
			relay_refuse(r, fd, sa, why);
		return;
	}
	if (sotto_ids_take(&r->ids, &id) != 0) {
		relay_refuse(r, fd, sa, "every member id has been used");
		return;
	}
	relay_admit_id(r, fd, sa, sa_len, id);
}

void relay_admit_id(struct relay *r, int fd, const struct sockaddr *sa,
    socklen_t sa_len, uint32_t id)
{
	char addr[CONN_ADDR_LEN];
	struct conn *c;

	if ((c = conn_new(r, fd, id, sa, sa_len)) == NULL) {
		relay_refuse(r, fd, sa, "out of memory");
		return;
	}
	sotto_hash_oom = 0;
	HASH_ADD(hh, r->by_id, id, sizeof(c->id), c);
	if (sotto_hash_oom) {
		conn_free(c);           /* closes fd */
		relay_refuse(r, -1, sa, "out of memory");
		return;
	}
	r->nconns++;
	ev_io_start(r->loop, &c->rw);
	/* Latency matters more than segment count for chat; keepalive finds
	 * peers that vanished without a FIN. Failure only costs that. */
	(void)sotto_net_tune(fd);
	joinwait_add(r, c);
	sotto_log(SOTTO_LOG_INFO, "connect id=%u addr=%s clients=%u", id,
	    sockaddr_str(sa, addr), r->nconns);
}

/* Out of descriptors: the pending connection would make the listener
 * readable forever. Give up the spare fd, take the connection, close it. */
static void relay_shed(struct relay *r)
{
	int fd;

	if (r->spare_fd < 0)
		return;
	close(r->spare_fd);
	if ((fd = accept(r->lfd, NULL, NULL)) >= 0)
		close(fd);
	r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void relay_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay *r = container_of(w, struct relay, accept_w);
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd, e;

	(void)loop;
	(void)revents;
	for (i = 0; i < RELAY_ACCEPT_BATCH; i++) {
		len = sizeof(ss);
		fd = accept4(r->lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			relay_admit(r, fd, (struct sockaddr *)&ss, len);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
			e = errno;      /* relay_shed makes system calls */
			relay_shed(r);
			relay_refuse(r, -1, NULL, e == EMFILE ?
			    "out of file descriptors (raise the open-file "
			    "limit or lower --max-clients)" :
			    "the system is out of file descriptors");
			return;
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
			return;
		default:
			sotto_log(SOTTO_LOG_ERR, "accept: %s", strerror(errno));
			return;
		}
	}
}

/* --- end of a loop turn -------------------------------------------------- */

static void relay_reap(struct relay *r, struct conn *c)
{
	char esc[ROOM_ESC_LEN], why[160];
	struct room *rm = c->room;

	if (c->why_errno != 0)
		snprintf(why, sizeof(why), "%s: %s", c->why, strerror(c->why_errno));
	else
		snprintf(why, sizeof(why), "%s", c->why);
	if (rm != NULL) {
		sotto_log(SOTTO_LOG_INFO, "leave id=%u room=\"%s\" reason=\"%s\" "
		    "dropped=%u", c->id, room_escape(esc, rm->name, rm->name_len),
		    why, c->dropped);
		room_remove(rm, c);
		cluster_left(r->cluster, rm, c->id, rm->n == 0);
		if (rm->n == 0)
			room_free(r, rm);
		else
			route_left(rm, c->id);
	} else {
		sotto_log(SOTTO_LOG_INFO, "leave id=%u room=none reason=\"%s\"",
		    c->id, why);
		cluster_forget(r->cluster, c);
	}
	HASH_DELETE(hh, r->by_id, c);
	r->nconns--;
	conn_free(c);
}

/* Runs once per loop turn, after every callback of the turn: each
 * connection that got output writes it in one writev, then marked
 * connections are freed. Freeing one tells its room, which can mark more
 * (a reader past its bound); they go in the next round, after the flush
 * list that may still name them has been emptied. */
static void relay_turn_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct relay *r = container_of(w, struct relay, flush_w);
	struct conn_fifo doomed;
	struct conn *c;

	(void)loop;
	(void)revents;
	for (;;) {
		while ((c = STAILQ_FIRST(&r->flush)) != NULL) {
			STAILQ_REMOVE_HEAD(&r->flush, flush_link);
			c->on_flush = 0;
			conn_flush(c);
		}
		if (STAILQ_EMPTY(&r->closing))
			return;
		STAILQ_INIT(&doomed);
		STAILQ_CONCAT(&doomed, &r->closing);
		while ((c = STAILQ_FIRST(&doomed)) != NULL) {
			STAILQ_REMOVE_HEAD(&doomed, close_link);
			relay_reap(r, c);
		}
	}
}

/* --- readers that stopped reading ---------------------------------------- */

/* Whether c's peer took bytes since the last look. The kernel wakes a
 * writer only once a third of a (loopback: up to 4 MiB) send buffer is
 * free, so a slow reader can read for seconds without one write event;
 * the socket's unsent byte count moves whenever it reads. */
static int conn_moved(struct conn *c)
{
	int unsent;

	if (ioctl(c->ww.fd, SIOCOUTQ, &unsent) != 0 || unsent == c->unsent)
		return 0;
	c->unsent = unsent;
	c->progress = ev_now(c->relay->loop);
	return 1;
}

/* A full socket that took nothing for RELAY_STALL seconds: stop counting
 * its queue against the senders in it (outq_stall), so they go on and
 * the reader meets --max-queue on its own. */
static void relay_stall_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay *r = container_of(w, struct relay, stall_w);
	ev_tstamp now = ev_now(loop);
	struct conn *c;

	(void)revents;
	TAILQ_FOREACH(c, &r->blocked, block_link) {
		if (c->q.stalled || conn_moved(c))
			continue;
		if (now - c->progress < RELAY_STALL)
			continue;
		if (sotto_log_level() >= SOTTO_LOG_DEBUG)
			sotto_log(SOTTO_LOG_DEBUG, "stalled reader id=%u: no bytes "
			    "taken for %.1f s, %zu unsent; it holds no sender back",
			    c->id, now - c->progress, outq_bytes(&c->q));
		outq_stall(&c->q);
	}
}

/* --- shutdown ------------------------------------------------------------ */

static void relay_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct relay *r = w->signum == SIGINT ?
	    container_of(w, struct relay, sigint_w) :
	    container_of(w, struct relay, sigterm_w);

	(void)revents;
	sotto_log(SOTTO_LOG_INFO, "%s: stopping, closing %u connections",
	    w->signum == SIGINT ? "SIGINT" : "SIGTERM", r->nconns);
	ev_io_stop(loop, &r->accept_w);
	if (r->lfd >= 0) {
		close(r->lfd);
		r->lfd = -1;
	}
	ev_break(loop, EVBREAK_ALL);
}

void relay_free(struct relay *r)
{
	struct conn *c, *tmp;

	if (r == NULL)
		return;
	ev_io_stop(r->loop, &r->accept_w);
	ev_prepare_stop(r->loop, &r->flush_w);
	ev_timer_stop(r->loop, &r->join_w);
	ev_timer_stop(r->loop, &r->stall_w);
	ev_signal_stop(r->loop, &r->sigint_w);
	ev_signal_stop(r->loop, &r->sigterm_w);
	if (r->lfd >= 0)
		close(r->lfd);
	cluster_free(r->cluster);
	HASH_ITER(hh, r->by_id, c, tmp) {
		HASH_DELETE(hh, r->by_id, c);
		conn_free(c);
	}
	room_free_all(r);
	admit_free(r->admit);
	if (r->spare_fd >= 0)
		close(r->spare_fd);
	ev_loop_destroy(r->loop);
	free(r);
}

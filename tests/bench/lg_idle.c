/* SPDX-License-Identifier: ISC */
/* lg_idle.c: idle mode: workers hold joined connections, the parent measures the server's memory per connection. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "lg_idle.h"
#include "procstat.h"

#define IDLE_FD_RESERVE   64u     /* descriptors a worker keeps for itself */
#define IDLE_MAX_PROCS    64u
#define IDLE_SETTLE_MIN   1.0     /* s: let the server finish its join work */
#define IDLE_SETTLE_MAX   5.0
#define IDLE_SETTLE_STEP  0.2
#define IDLE_EXIT_WAIT    20.0

/* What a worker tells the parent: once when all its connections joined
 * (or the join timeout passed), once more when told to stop. */
struct idle_report {
	uint32_t conns, joined, failed, closed;
	double   join_s;
};

struct idle_worker {
	struct lg_run run;
	ev_io         down_w;     /* EOF from the parent: stop */
	int           up;
	uint64_t      t_connect;
	int           reported;
};

struct idle_child {
	pid_t  pid;
	int    up, down;
	struct idle_report first, last;
	int    got_first, got_last;
};

static void worker_report(struct idle_worker *w)
{
	struct idle_report rep = {
		.conns = w->run.n_conns, .joined = w->run.ready,
		.failed = w->run.failed, .closed = w->run.closed,
		.join_s = (double)(lg_now_ns() - w->t_connect) / 1e9,
	};

	/* Smaller than PIPE_BUF: one atomic write. */
	if (write(w->up, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(3);
}

static void worker_ready(struct lg_run *run)
{
	struct idle_worker *w = container_of(run, struct idle_worker, run);

	run->phase = -1;    /* holding */
	ev_timer_stop(run->loop, &run->phase_w);
	if (!w->reported++)
		worker_report(w);
}

static void worker_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct lg_run *run = container_of(t, struct lg_run, phase_w);

	(void)loop; (void)revents;
	worker_ready(run);   /* report what joined; the parent judges */
}

static void worker_down_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct idle_worker *w = container_of(io, struct idle_worker, down_w);
	char b;

	(void)revents;
	if (read(io->fd, &b, 1) > 0)
		return;
	ev_io_stop(loop, io);
	if (!w->reported++)
		worker_report(w);
	worker_report(w);
	ev_break(loop, EVBREAK_ALL);
}

static int worker_main(const struct lg_opts *o, int up, int down)
{
	struct idle_worker *w = calloc(1, sizeof(*w));
	int status = 0;

	if (w == NULL || lg_run_init(&w->run, o) != 0)
		return 3;
	w->up = up;
	w->run.on_ready = worker_ready;
	w->t_connect = lg_now_ns();
	ev_io_init(&w->down_w, worker_down_cb, down, EV_READ);
	ev_io_start(w->run.loop, &w->down_w);
	lg_run_start(&w->run, worker_timeout_cb);
	ev_run(w->run.loop, 0);
	ev_io_stop(w->run.loop, &w->down_w);
	lg_run_free(&w->run);
	free(w);
	return status;
}

static int spawn(struct idle_child *ch, const struct lg_opts *o)
{
	int up[2], down[2];

	if (pipe(up) != 0)
		return -1;
	if (pipe(down) != 0) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	fflush(NULL);
	ch->pid = fork();
	if (ch->pid < 0)
		return -1;
	if (ch->pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(worker_main(o, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	ch->up = up[0];
	ch->down = down[1];
	return 0;
}

/* Collect one report from every child that still owes one, until the
 * deadline. Returns the number still missing. */
static unsigned collect(struct idle_child *ch, unsigned n, int last, double deadline)
{
	struct pollfd pfd[IDLE_MAX_PROCS];
	unsigned i, missing;

	for (;;) {
		double left = deadline - (double)lg_now_ns() / 1e9;

		missing = 0;
		for (i = 0; i < n; i++) {
			int got = last ? ch[i].got_last : ch[i].got_first;

			pfd[i].fd = got ? -1 : ch[i].up;
			pfd[i].events = POLLIN;
			missing += !got;
		}
		if (missing == 0 || left <= 0)
			return missing;
		if (poll(pfd, n, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return missing;
		for (i = 0; i < n; i++) {
			struct idle_report rep;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (read(ch[i].up, &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
				memset(&rep, 0, sizeof(rep));   /* worker died */
			}
			if (last) {
				ch[i].last = rep;
				ch[i].got_last = 1;
			} else {
				ch[i].first = rep;
				ch[i].got_first = 1;
			}
		}
	}
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Wait until the server's RSS stops moving: it may still be sending the
 * join INIs to earlier members when the last member hears its roster. */
static long settle_rss(pid_t pid)
{
	struct procstat ps;
	long prev = -1;
	double waited = 0;

	sleep_s(IDLE_SETTLE_MIN);
	while (waited < IDLE_SETTLE_MAX - IDLE_SETTLE_MIN) {
		if (procstat_read(pid, &ps) != 0)
			return -1;
		if (ps.rss_kb == prev)
			return ps.rss_kb;
		prev = ps.rss_kb;
		sleep_s(IDLE_SETTLE_STEP);
		waited += IDLE_SETTLE_STEP;
	}
	return prev;
}

struct idle_result {
	unsigned procs;
	uint32_t conns, joined, failed, closed;
	double   join_s;
	struct procstat base, joined_ps, end;
	long     settled_kb;
};

/* Server bytes per joined connection above its RSS before any connected. */
static double per_conn(const struct idle_result *r, long rss_kb)
{
	return r->joined ? (double)(rss_kb - r->base.rss_kb) * 1024.0 /
	    (double)r->joined : 0;
}

/* Two figures: right after joining (buffers a server sized for the joins
 * may still be held) and at the end of the hold, when a server that trims
 * idle clients (Redis does, over about ten seconds) has done so. */
static void idle_print(const struct lg_opts *o, const struct idle_result *r)
{
	const char *proto = o->proto == LG_SOTTO ? "sotto" : "redis";

	if (o->json) {
		printf("{\"proto\":\"%s\",\"mode\":\"idle\",\"rooms\":%u,\"members\":%u,"
		    "\"conns\":%u,\"joined\":%u,\"failed\":%u,\"closed\":%u,\"procs\":%u,"
		    "\"join_s\":%.3f,\"hold_s\":%.1f,\"base_rss_kb\":%ld,"
		    "\"joined_rss_kb\":%ld,\"end_rss_kb\":%ld,\"hwm_kb\":%ld,"
		    "\"bytes_per_conn_joined\":%.1f,\"bytes_per_conn\":%.1f,"
		    "\"server_cpu_s\":%.3f}\n",
		    proto, o->rooms, o->members, r->conns, r->joined, r->failed,
		    r->closed, r->procs, r->join_s, o->seconds, r->base.rss_kb,
		    r->settled_kb, r->end.rss_kb, r->end.hwm_kb,
		    per_conn(r, r->settled_kb), per_conn(r, r->end.rss_kb),
		    r->end.cpu_s - r->base.cpu_s);
		return;
	}
	printf("%s idle: %u of %u connections joined (%u failed) in %.3f s, %u "
	    "process(es); %u closed during the %.1f s hold\n", proto, r->joined,
	    r->conns, r->failed, r->join_s, r->procs, r->closed, o->seconds);
	printf("  server RSS %ld kB before, %ld kB joined, %ld kB after the hold, "
	    "peak %ld kB\n", r->base.rss_kb, r->settled_kb, r->end.rss_kb,
	    r->end.hwm_kb);
	printf("  bytes per connection: %.0f joined, %.0f after the hold\n",
	    per_conn(r, r->settled_kb), per_conn(r, r->end.rss_kb));
}

static int idle_run(const struct lg_opts *o, struct idle_child *ch,
    unsigned procs, struct idle_result *res)
{
	double deadline = (double)lg_now_ns() / 1e9 + o->join_timeout + 5;
	unsigned i;

	if (collect(ch, procs, 0, deadline) != 0)
		fprintf(stderr, "sotto-loadgen: a worker did not report its joins\n");
	for (i = 0; i < procs; i++) {
		res->conns += ch[i].first.conns;
		res->joined += ch[i].first.joined;
		res->failed += ch[i].first.failed;
		if (ch[i].first.join_s > res->join_s)
			res->join_s = ch[i].first.join_s;
	}
	res->settled_kb = settle_rss(o->pid);
	(void)procstat_read(o->pid, &res->joined_ps);
	sleep_s(o->seconds);
	if (procstat_read(o->pid, &res->end) != 0) {
		fprintf(stderr, "sotto-loadgen: server pid %ld is gone\n", (long)o->pid);
		return -1;
	}
	for (i = 0; i < procs; i++) {
		close(ch[i].down);
		ch[i].down = -1;
	}
	if (collect(ch, procs, 1, (double)lg_now_ns() / 1e9 + IDLE_EXIT_WAIT) != 0)
		fprintf(stderr, "sotto-loadgen: a worker did not report at the end\n");
	for (i = 0; i < procs; i++)
		res->closed += ch[i].last.closed;
	return 0;
}

/* A worker exits right after its last report; one that does not within
 * IDLE_EXIT_WAIT is killed so a run always ends. */
static void reap(pid_t pid)
{
	double deadline = (double)lg_now_ns() / 1e9 + IDLE_EXIT_WAIT;

	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if ((double)lg_now_ns() / 1e9 >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		sleep_s(0.01);
	}
}

int lg_idle_main(const struct lg_opts *o, rlim_t nofile)
{
	struct idle_child ch[IDLE_MAX_PROCS];
	struct idle_result res;
	struct lg_opts wo;
	unsigned procs, per_proc, i, r0 = 0;
	uint64_t cap = nofile > IDLE_FD_RESERVE ? nofile - IDLE_FD_RESERVE : 1;
	int status;

	memset(&res, 0, sizeof(res));
	memset(ch, 0, sizeof(ch));
	/* Whole rooms per worker; as few workers as the fd limit allows. */
	per_proc = (unsigned)(cap / o->members ? cap / o->members : 1);
	procs = (o->rooms + per_proc - 1) / per_proc;
	if (procs < o->procs)
		procs = o->procs;
	if (procs > o->rooms)
		procs = o->rooms;
	if (procs > IDLE_MAX_PROCS) {
		fprintf(stderr, "sotto-loadgen: would need %u worker processes (max %u)\n",
		    procs, IDLE_MAX_PROCS);
		return 2;
	}
	per_proc = (o->rooms + procs - 1) / procs;
	if (procstat_read(o->pid, &res.base) != 0) {
		fprintf(stderr, "sotto-loadgen: cannot read /proc/%ld\n", (long)o->pid);
		return 2;
	}
	res.procs = procs;
	for (i = 0; i < procs; i++, r0 += per_proc) {
		wo = *o;
		wo.rooms = o->rooms - r0 < per_proc ? o->rooms - r0 : per_proc;
		wo.first_conn = r0 * o->members;
		if (spawn(&ch[i], &wo) != 0) {
			fprintf(stderr, "sotto-loadgen: fork: %s\n", strerror(errno));
			procs = i;
			break;
		}
	}
	status = procs == res.procs && idle_run(o, ch, procs, &res) == 0 ? 0 : 1;
	for (i = 0; i < procs; i++) {
		if (ch[i].down >= 0)
			close(ch[i].down);
		close(ch[i].up);
		reap(ch[i].pid);
	}
	if (status == 0)
		idle_print(o, &res);
	return status != 0 ? status : res.joined == res.conns && res.closed == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: ISC */
/* loadgen.c: sotto-loadgen: drive sotto-relay (wire-v1) or redis-server (RESP pub/sub) with rooms of members and report rates, latency, loss and the server's CPU and memory. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lg.h"
#include "lg_idle.h"
#include "procstat.h"

enum lg_phase { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

#define LG_TICK         0.001   /* rate mode: how often senders catch up */
#define LG_DRAIN_POLL   0.005

static void usage(FILE *f)
{
	fprintf(f,
"usage: sotto-loadgen [--proto sotto|redis] [--host IP] --port PORT|--ports P,P,..\n"
"         [--rooms R] [--members M] [--senders S] [--size BYTES]\n"
"         [--seconds T] [--warmup T] [--drain T] [--rate N] [--window W]\n"
"         [--pid PID] [--first-conn N] [--json]\n"
"       sotto-loadgen --idle [--proto ...] --port PORT --rooms R --members M\n"
"         --seconds HOLD --pid PID [--procs P] [--conns-per-ip N]\n"
"Fan-out: R rooms of M members; S of each room's members send BYTES-byte\n"
"messages (send time + sequence number + filler) to their room, N per second\n"
"each, or with --rate 0 as fast as W messages in flight per sender allow.\n"
"--first-conn N: this generator's rooms and source addresses start at\n"
"connection N (N / M is its first room), so several generators run side\n"
"by side on disjoint rooms.\n"
"Idle: R*M joined connections held for HOLD seconds; reports the server's\n"
"resident memory per connection. --pid: the server process to watch.\n"
"--ports: the relays of one cluster; connection i goes to port i mod count,\n"
"so each room's members are spread evenly over them. --pids: every server of\n"
"the run (relays, Redis); their CPU and memory are summed.\n");
}

static int parse_uint(const char *name, const char *s, unsigned long max,
    unsigned long *v);

/* P,P,...: up to LG_PORTS_MAX ports; the first is also --port. */
static int parse_ports(const char *s, struct lg_opts *o)
{
	char one[8];
	const char *comma;
	unsigned long v;
	size_t n;

	o->nports = 0;
	for (;;) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == 0 || n >= sizeof(one) || o->nports == LG_PORTS_MAX) {
			fprintf(stderr, "sotto-loadgen: --ports: up to %d ports, "
			    "comma-separated\n", LG_PORTS_MAX);
			return -1;
		}
		memcpy(one, s, n);
		one[n] = '\0';
		if (parse_uint("--ports", one, 65535, &v) != 0 || v == 0)
			return -1;
		o->ports[o->nports++] = (unsigned)v;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	o->port = o->ports[0];
	return 0;
}

/* P,P,...: the servers of a cluster run (relays and Redis), CPU and
 * memory summed; the first is also --pid. */
static int parse_pids(const char *s, struct lg_opts *o)
{
	char one[16];
	const char *comma;
	unsigned long v;
	size_t n;

	o->npids = 0;
	for (;;) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == 0 || n >= sizeof(one) || o->npids == LG_PORTS_MAX + 1) {
			fprintf(stderr, "sotto-loadgen: --pids: up to %d pids, "
			    "comma-separated\n", LG_PORTS_MAX + 1);
			return -1;
		}
		memcpy(one, s, n);
		one[n] = '\0';
		if (parse_uint("--pids", one, INT_MAX, &v) != 0 || v == 0)
			return -1;
		o->pids[o->npids++] = (pid_t)v;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	o->pid = o->pids[0];
	return 0;
}

static int parse_uint(const char *name, const char *s, unsigned long max,
    unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (s[0] == '-' || *s == '\0' || *end != '\0' || errno != 0 || *v > max) {
		fprintf(stderr, "sotto-loadgen: %s '%s': expected an integer 0..%lu\n",
		    name, s, max);
		return -1;
	}
	return 0;
}

static int parse_double(const char *name, const char *s, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(*v >= 0) || *v > max) {
		fprintf(stderr, "sotto-loadgen: %s '%s': expected a number 0..%g\n",
		    name, s, max);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct lg_opts *o)
{
	static const struct option lopts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "ports", required_argument, NULL, 'L' },
		{ "pids", required_argument, NULL, 'X' },
		{ "rooms", required_argument, NULL, 'r' },
		{ "members", required_argument, NULL, 'm' },
		{ "senders", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "drain", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'R' },
		{ "window", required_argument, NULL, 'W' },
		{ "connect-batch", required_argument, NULL, 'c' },
		{ "conns-per-ip", required_argument, NULL, 'i' },
		{ "join-timeout", required_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'x' },
		{ "procs", required_argument, NULL, 'n' },
		{ "first-conn", required_argument, NULL, 'f' },
		{ "idle", no_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int ch, r = 0;

	*o = (struct lg_opts){ .proto = LG_SOTTO, .host = "127.0.0.1",
	    .rooms = 1, .members = 10, .senders = 1, .size = 256,
	    .seconds = 5, .warmup = 1, .drain = 3, .window = 32,
	    .connect_batch = 256, .conns_per_ip = 20000, .join_timeout = 60 };
	while (r == 0 && (ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			if (strcmp(optarg, "sotto") == 0)
				o->proto = LG_SOTTO;
			else if (strcmp(optarg, "redis") == 0)
				o->proto = LG_REDIS;
			else {
				fprintf(stderr, "sotto-loadgen: --proto '%s': sotto or redis\n", optarg);
				r = -1;
			}
			break;
		case 'H': o->host = optarg; break;
		case 'p': r = parse_uint("--port", optarg, 65535, &v); o->port = (unsigned)v; break;
		case 'L': r = parse_ports(optarg, o); break;
		case 'X': r = parse_pids(optarg, o); break;
		case 'r': r = parse_uint("--rooms", optarg, 1000000, &v); o->rooms = (unsigned)v; break;
		case 'm': r = parse_uint("--members", optarg, 1000000, &v); o->members = (unsigned)v; break;
		case 's': r = parse_uint("--senders", optarg, 1000000, &v); o->senders = (unsigned)v; break;
		case 'b': r = parse_uint("--size", optarg, LG_MAX_FRAME - 64, &v); o->size = v; break;
		case 't': r = parse_double("--seconds", optarg, 3600, &o->seconds); break;
		case 'w': r = parse_double("--warmup", optarg, 600, &o->warmup); break;
		case 'd': r = parse_double("--drain", optarg, 600, &o->drain); break;
		case 'R': r = parse_double("--rate", optarg, 1e9, &o->rate); break;
		case 'W': r = parse_uint("--window", optarg, 1000000, &v); o->window = (unsigned)v; break;
		case 'c': r = parse_uint("--connect-batch", optarg, 100000, &v); o->connect_batch = (unsigned)v; break;
		case 'i': r = parse_uint("--conns-per-ip", optarg, 60000, &v); o->conns_per_ip = (unsigned)v; break;
		case 'j': r = parse_double("--join-timeout", optarg, 3600, &o->join_timeout); break;
		case 'x': r = parse_uint("--pid", optarg, INT_MAX, &v); o->pid = (pid_t)v; break;
		case 'n': r = parse_uint("--procs", optarg, 64, &v); o->procs = (unsigned)v; break;
		case 'f': r = parse_uint("--first-conn", optarg, UINT32_MAX, &v); o->first_conn = (uint32_t)v; break;
		case 'I': o->idle = 1; break;
		case 'J': o->json = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (r != 0)
		return r;
	if (optind != argc || o->port == 0) {
		usage(stderr);
		return -1;
	}
	if (o->idle)
		o->senders = 0;
	if (o->rooms == 0 || o->members == 0 || o->senders > o->members ||
	    o->window == 0 || o->connect_batch == 0 || o->conns_per_ip == 0 ||
	    (uint64_t)o->rooms * (o->members + o->senders) > 1000000u ||
	    o->size < LG_PAYLOAD_HDR) {
		fprintf(stderr, "sotto-loadgen: need rooms >= 1, members >= 1, "
		    "senders <= members, window >= 1, size >= %u, rooms*members <= 1000000\n",
		    LG_PAYLOAD_HDR);
		return -1;
	}
	if (o->idle && o->pid == 0) {
		fprintf(stderr, "sotto-loadgen: --idle needs --pid of the server\n");
		return -1;
	}
	return 0;
}

/* --- connecting and joining ------------------------------------------------ */

static void run_joined_check(struct lg_run *run);

static void run_open_more(struct lg_run *run)
{
	char err[256];

	while (run->pending < run->o->connect_batch && run->next_conn < run->n_conns) {
		struct lg_conn *c = run->conns[run->next_conn++];

		if (lg_conn_open(run, c, err, sizeof(err)) != 0) {
			if (run->failed++ == 0)
				fprintf(stderr, "sotto-loadgen: %s\n", err);
			c->state = LG_CLOSED;
			continue;
		}
		run->pending++;
	}
	run_joined_check(run);
}

void lg_member_joined(struct lg_conn *c)
{
	struct lg_run *run = c->run;

	c->state = LG_READY;
	run->ready++;
	run->pending--;
	run_open_more(run);
}

static void run_on_closed(struct lg_run *run, struct lg_conn *c,
    enum lg_conn_state was)
{
	if (was == LG_CONNECTING || was == LG_JOINING) {
		if (run->failed++ == 0)
			fprintf(stderr, "sotto-loadgen: connection %u closed before it joined\n",
			    c->index);
		run->pending--;
		run_open_more(run);
		return;
	}
	run->closed++;
	if (c->kind == LG_MEMBER)
		lg_member_gone(container_of(c, struct lg_member, conn));
}

static void run_joined_check(struct lg_run *run)
{
	if (run->phase == PH_CONNECT && run->ready + run->failed == run->n_conns &&
	    run->next_conn == run->n_conns)
		run->on_ready(run);
}

/* --- the fan-out run ------------------------------------------------------- */

struct fanout {
	struct lg_run     run;
	uint64_t          t_connect;     /* ns */
	double            join_s;
	double            drain_until;
	struct procstat   ps0, ps1;
	double            gen_cpu0, gen_cpu1;
	int               ps_ok;
	int               status;
};

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	return (double)lg_now_ns() / 1e9;
}

static void kick_all(struct lg_run *run)
{
	uint32_t i;

	for (i = 0; i < run->n_senders; i++)
		lg_sender_kick(run, run->senders[i]);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	kick_all(container_of(w, struct lg_run, tick_w));
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop; (void)revents;
	lg_conn_flush_all(container_of(w, struct lg_run, flush_w));
}

static void phase_after(struct lg_run *run, double after)
{
	ev_timer_stop(run->loop, &run->phase_w);
	ev_timer_set(&run->phase_w, after, 0);
	ev_timer_start(run->loop, &run->phase_w);
}

/* The watched servers: one (--pid) or several (--pids), summed. */
static int watch_read(const struct lg_opts *o, struct procstat *ps)
{
	struct procstat one;
	unsigned i;

	if (o->npids == 0)
		return procstat_read(o->pid, ps);
	memset(ps, 0, sizeof(*ps));
	for (i = 0; i < o->npids; i++) {
		if (procstat_read(o->pids[i], &one) != 0)
			return -1;
		ps->cpu_s += one.cpu_s;
		ps->rss_kb += one.rss_kb;
		ps->hwm_kb += one.hwm_kb;
	}
	return 0;
}

static void fanout_measure(struct fanout *fo)
{
	struct lg_run *run = &fo->run;

	run->phase = PH_MEASURE;
	run->t0_ns = lg_now_ns();
	run->t0 = (double)run->t0_ns / 1e9;
	hist_init(&run->lat);
	run->window_sent = run->window_delivered = 0;
	fo->gen_cpu0 = self_cpu();
	if (run->o->pid || run->o->npids)
		fo->ps_ok = watch_read(run->o, &fo->ps0) == 0;
	phase_after(run, run->o->seconds);
}

static void fanout_drain(struct fanout *fo)
{
	struct lg_run *run = &fo->run;

	run->phase = PH_DRAIN;
	run->t1_ns = lg_now_ns();
	run->t1 = (double)run->t1_ns / 1e9;
	run->sending = 0;
	ev_timer_stop(run->loop, &run->tick_w);
	fo->gen_cpu1 = self_cpu();
	if ((run->o->pid || run->o->npids) && fo->ps_ok)
		fo->ps_ok = watch_read(run->o, &fo->ps1) == 0;
	fo->drain_until = now_s() + run->o->drain;
	phase_after(run, LG_DRAIN_POLL);
}

static void fanout_phase_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lg_run *run = container_of(w, struct lg_run, phase_w);
	struct fanout *fo = container_of(run, struct fanout, run);

	(void)revents;
	switch (run->phase) {
	case PH_CONNECT:
		fprintf(stderr, "sotto-loadgen: join timeout: %u of %u connections "
		    "joined, %u failed\n", run->ready, run->n_conns, run->failed);
		fo->status = 1;
		ev_break(loop, EVBREAK_ALL);
		break;
	case PH_WARMUP:
		fanout_measure(fo);
		break;
	case PH_MEASURE:
		fanout_drain(fo);
		break;
	case PH_DRAIN:
		if (lg_all_acked(run) || now_s() >= fo->drain_until) {
			run->phase = PH_DONE;
			ev_break(loop, EVBREAK_ALL);
		} else {
			phase_after(run, LG_DRAIN_POLL);
		}
		break;
	default:
		break;
	}
}

static void fanout_ready(struct lg_run *run)
{
	struct fanout *fo = container_of(run, struct fanout, run);

	fo->join_s = (double)(lg_now_ns() - fo->t_connect) / 1e9;
	if (run->failed > 0) {
		fprintf(stderr, "sotto-loadgen: %u of %u connections failed to join\n",
		    run->failed, run->n_conns);
		fo->status = 1;
		ev_break(run->loop, EVBREAK_ALL);
		return;
	}
	run->phase = PH_WARMUP;
	run->sending = 1;
	run->t_start = now_s();
	if (run->o->rate > 0)
		ev_timer_start(run->loop, &run->tick_w);
	kick_all(run);
	if (run->o->warmup > 0)
		phase_after(run, run->o->warmup);
	else
		fanout_measure(fo);
}

static const char *proto_name(const struct lg_opts *o)
{
	return o->proto == LG_SOTTO ? "sotto" : "redis";
}

static void fanout_report(const struct fanout *fo)
{
	const struct lg_run *run = &fo->run;
	const struct lg_opts *o = run->o;
	double span = run->t1 - run->t0;
	double us = 1e3;
	uint64_t lost = run->c.lost + lg_unreceived(run);
	double srv_cpu = fo->ps_ok ? fo->ps1.cpu_s - fo->ps0.cpu_s : -1;
	long rss = fo->ps_ok ? fo->ps1.rss_kb : -1, hwm = fo->ps_ok ? fo->ps1.hwm_kb : -1;

	if (o->json) {
		printf("{\"proto\":\"%s\",\"rooms\":%u,\"members\":%u,\"senders\":%u,"
		    "\"size\":%zu,\"seconds\":%.3f,\"rate\":%g,\"window\":%u,"
		    "\"join_s\":%.3f,\"sent\":%" PRIu64 ",\"sent_per_s\":%.1f,"
		    "\"delivered\":%" PRIu64 ",\"delivered_per_s\":%.1f,"
		    "\"lost\":%" PRIu64 ",\"dup\":%" PRIu64 ",\"bad\":%" PRIu64 ","
		    "\"closed\":%u,\"pub_mismatch\":%" PRIu64 ","
		    "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
		    "\"server_cpu_s\":%.3f,\"server_rss_kb\":%ld,\"server_hwm_kb\":%ld,"
		    "\"gen_cpu_s\":%.3f}\n",
		    proto_name(o), o->rooms, o->members, o->senders, o->size, span,
		    o->rate, o->window, fo->join_s, run->c.sent,
		    (double)run->window_sent / span, run->c.delivered,
		    (double)run->window_delivered / span, lost, run->c.dup,
		    run->c.bad + run->c.foreign, run->closed, run->c.pub_mismatch,
		    (double)hist_quantile(&run->lat, 0.50) / us,
		    (double)hist_quantile(&run->lat, 0.99) / us,
		    (double)run->lat.max / us,
		    run->lat.count ? (double)run->lat.sum / (double)run->lat.count / us : 0,
		    srv_cpu, rss, hwm, fo->gen_cpu1 - fo->gen_cpu0);
		return;
	}
	printf("%s: %u rooms x %u members, %u senders/room, %zu B, rate %g/s/sender "
	    "(0 = window %u)\n", proto_name(o), o->rooms, o->members, o->senders,
	    o->size, o->rate, o->window);
	printf("  joined in %.3f s; measured %.3f s\n", fo->join_s, span);
	printf("  sent %.0f msg/s, delivered %.0f msg/s\n",
	    (double)run->window_sent / span, (double)run->window_delivered / span);
	printf("  latency p50 %.1f us, p99 %.1f us, max %.1f us (%" PRIu64 " samples)\n",
	    (double)hist_quantile(&run->lat, 0.50) / us,
	    (double)hist_quantile(&run->lat, 0.99) / us, (double)run->lat.max / us,
	    run->lat.count);
	printf("  lost %" PRIu64 ", duplicated %" PRIu64 ", malformed %" PRIu64
	    ", connections closed %u\n", lost, run->c.dup,
	    run->c.bad + run->c.foreign, run->closed);
	if (fo->ps_ok)
		printf("  server pid %ld: %.3f CPU s in the window (%.0f%% of a core), "
		    "RSS %ld kB, peak %ld kB\n", (long)o->pid, srv_cpu,
		    100.0 * srv_cpu / span, rss, hwm);
	printf("  generator: %.3f CPU s in the window\n", fo->gen_cpu1 - fo->gen_cpu0);
}

int lg_run_init(struct lg_run *run, const struct lg_opts *o)
{
	memset(run, 0, sizeof(*run));
	run->o = o;
	run->loop = ev_loop_new(EVFLAG_AUTO);
	if (run->loop == NULL || lg_topo_new(run) != 0)
		return -1;
	run->on_closed = run_on_closed;
	ev_prepare_init(&run->flush_w, flush_cb);
	ev_prepare_start(run->loop, &run->flush_w);
	ev_timer_init(&run->tick_w, tick_cb, LG_TICK, LG_TICK);
	hist_init(&run->lat);
	return 0;
}

void lg_run_start(struct lg_run *run, void (*phase_cb)(struct ev_loop *, ev_timer *, int))
{
	run->phase = PH_CONNECT;
	ev_timer_init(&run->phase_w, phase_cb, run->o->join_timeout, 0);
	ev_timer_start(run->loop, &run->phase_w);
	run_open_more(run);
}

void lg_run_free(struct lg_run *run)
{
	if (run->loop != NULL) {
		ev_timer_stop(run->loop, &run->phase_w);
		ev_timer_stop(run->loop, &run->tick_w);
		ev_prepare_stop(run->loop, &run->flush_w);
	}
	lg_topo_free(run);
	if (run->loop != NULL)
		ev_loop_destroy(run->loop);
}

static int fanout_main(const struct lg_opts *o)
{
	struct fanout *fo = calloc(1, sizeof(*fo));
	int status;

	if (fo == NULL || lg_run_init(&fo->run, o) != 0) {
		fprintf(stderr, "sotto-loadgen: out of memory\n");
		return 1;
	}
	fo->run.on_ready = fanout_ready;
	fo->t_connect = lg_now_ns();
	lg_run_start(&fo->run, fanout_phase_cb);
	ev_run(fo->run.loop, 0);
	if (fo->status == 0)
		fanout_report(fo);
	status = fo->status;
	lg_run_free(&fo->run);
	free(fo);
	return status;
}

/* Every connection is a file descriptor: take the whole hard limit. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

int main(int argc, char **argv)
{
	struct lg_opts o;
	rlim_t nofile;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	nofile = raise_nofile();
	if (o.idle)
		return lg_idle_main(&o, nofile);
	if ((uint64_t)o.rooms * (o.members + o.senders) + 64 > nofile) {
		fprintf(stderr, "sotto-loadgen: %u connections need more than the "
		    "open-file limit %llu; use --idle for large counts\n",
		    o.rooms * (o.members + o.senders), (unsigned long long)nofile);
		return 2;
	}
	return fanout_main(&o);
}

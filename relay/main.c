/* SPDX-License-Identifier: ISC */
/* main.c: sotto-relay's flags, process limits and signals; then the loop. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "admit.h"
#include "cluster.h"

#include "log.h"
#include "net.h"
#include "relay.h"
#include "room.h"
#include "wire.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

#define PROG "sotto-relay"
#define EXIT_USAGE 2

/* Bounds on flag values: a frame past 1 GiB or a queue past 64 GiB is a
 * typo, not a configuration. */
#define MAX_FRAME_LIMIT   (1024u * 1024u * 1024u)
#define MAX_QUEUE_MIN     1024u
#define MAX_QUEUE_LIMIT   (64ull * 1024u * 1024u * 1024u)
#define MAX_CLIENTS_LIMIT 16000000u
#define JOIN_TIMEOUT_MIN  0.01
#define JOIN_TIMEOUT_MAX  86400.0
#define RATE_LIMIT        1e9

/* Input budget defaults (docs/relay.md "Input budget"). A person types a
 * few lines a second and a busy bot a few tens in a burst; a client's own
 * protocol traffic is one INI per join it answers and one KEY per newcomer
 * it serves. Every frame a member receives may cost it an Ed25519 check
 * (0.3-2 ms, slower on a busy machine), so the rate also bounds what one
 * outsider costs each member: 50 frames/s is at most ~10 % of a core at
 * 2 ms. 4 MiB/s passes a 4 MiB picture in a second. The bucket holds 25
 * frames: a pasted block or a join storm's answers pass at once. */
#define RATE_DEFAULT        50.0
#define RATE_BYTES_DEFAULT  (4.0 * 1024 * 1024)
#define BURST_DEFAULT       25.0

enum { OPT_LISTEN = 256, OPT_MAX_FRAME, OPT_MAX_QUEUE, OPT_MAX_CLIENTS,
       OPT_JOIN_TIMEOUT, OPT_RATE, OPT_RATE_BYTES, OPT_BURST, OPT_TRUSTED,
       OPT_HELP, OPT_VERSION, OPT_CLUSTER, OPT_NODE_NAME,
       OPT_CLUSTER_TIMEOUT };

/* Flags as given, before they become a relay_cfg. */
struct args {
	double rate, rate_bytes, burst;
	int    max_clients_set;
	char   listen_buf[80];     /* ":PORT" made "0.0.0.0:PORT" */
};

static const struct option long_opts[] = {
	{ "listen",       required_argument, NULL, OPT_LISTEN },
	{ "max-frame",    required_argument, NULL, OPT_MAX_FRAME },
	{ "max-queue",    required_argument, NULL, OPT_MAX_QUEUE },
	{ "max-clients",  required_argument, NULL, OPT_MAX_CLIENTS },
	{ "join-timeout", required_argument, NULL, OPT_JOIN_TIMEOUT },
	{ "rate",         required_argument, NULL, OPT_RATE },
	{ "rate-bytes",   required_argument, NULL, OPT_RATE_BYTES },
	{ "burst",        required_argument, NULL, OPT_BURST },
	{ "trusted",      required_argument, NULL, OPT_TRUSTED },
	{ "cluster",      required_argument, NULL, OPT_CLUSTER },
	{ "node-name",    required_argument, NULL, OPT_NODE_NAME },
	{ "cluster-timeout", required_argument, NULL, OPT_CLUSTER_TIMEOUT },
	{ "help",         no_argument,       NULL, OPT_HELP },
	{ "version",      no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [--listen HOST:PORT] [--max-frame BYTES] [--max-queue BYTES]\n"
"                   [--max-clients N] [--join-timeout SECONDS] [--rate N]\n"
"                   [--rate-bytes BYTES] [--burst N] [--trusted DIR] [-q | -v]\n"
"                   [--cluster redis://HOST:PORT[/DB] [--node-name NAME]\n"
"                    [--cluster-timeout SECONDS]]\n"
"\n"
"The sotto relay: forwards INI/KEY/DAT frames between the members of a room.\n"
"It holds no keys, stores nothing and never logs message bodies.\n"
"\n"
"  --listen HOST:PORT      address to listen on (default 0.0.0.0:%d;\n"
"                          :PORT is 0.0.0.0:PORT; [::]:PORT for IPv6)\n"
"  --max-frame BYTES       largest frame `len` accepted (default %u)\n"
"  --max-queue BYTES       unsent output per connection; a reader past it is\n"
"                          closed (default %u; at least --max-frame + 4)\n"
"  --max-clients N         simultaneous connections; more are accepted and\n"
"                          closed at once (default %u)\n"
"  --join-timeout SECONDS  time from accept to the first complete INI\n"
"                          (default %g)\n"
"  --rate N                frames/s a connection may send; past it, it is\n"
"                          not read until it is back within (default %g;\n"
"                          0 = unlimited)\n"
"  --rate-bytes BYTES      bytes/s a connection may send (default %gM;\n"
"                          0 = unlimited)\n"
"  --burst N               frames a connection may send at once above --rate\n"
"                          (default %g)\n"
"  --trusted DIR           admit only connections whose first INI is signed\n"
"                          by a key in DIR (*.pub, as the clients' folder)\n"
"  --cluster URL           serve rooms together with every relay sharing this\n"
"                          Redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]\n"
"                          (or the password in $SOTTO_REDIS_PASSWORD)\n"
"  --node-name NAME        this relay in cluster logs (default HOSTNAME:PORT)\n"
"  --cluster-timeout SECONDS  a relay silent this long is gone and its\n"
"                          members get LEFT (default %g)\n"
"  -q                      log violations and errors only\n"
"  -v                      also log every routed frame (type, from, to, len)\n"
"  -h, --help, --version\n"
"\n"
"BYTES take a k, M or G suffix (powers of 1024). Logs go to stderr.\n",
	    SOTTO_DEFAULT_PORT, SOTTO_MAX_FRAME_DEFAULT, SOTTO_MAX_QUEUE_DEFAULT,
	    SOTTO_MAX_CLIENTS_DEFAULT, SOTTO_JOIN_TIMEOUT_DEFAULT, RATE_DEFAULT,
	    RATE_BYTES_DEFAULT / (1024 * 1024), BURST_DEFAULT,
	    CLUSTER_TIMEOUT_DEFAULT);
}

static int bad_value(const char *flag, const char *value, const char *want)
{
	fprintf(stderr, PROG ": bad value \"%s\" for %s: %s\n", value, flag, want);
	return -1;
}

/* A decimal count with an optional k/M/G suffix, within [min, max]. */
static int parse_size(const char *flag, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;
	char want[96];

	snprintf(want, sizeof(want), "expected a whole number from %llu to %llu",
	    min, max);
	if (*s < '0' || *s > '9')
		return bad_value(flag, s, want);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return bad_value(flag, s, want);
	if (*end != '\0') {
		switch (*end) {
		case 'k': case 'K': mult = 1ull << 10; break;
		case 'm': case 'M': mult = 1ull << 20; break;
		case 'g': case 'G': mult = 1ull << 30; break;
		default: return bad_value(flag, s, want);
		}
		if (end[1] != '\0' && !(end[1] == 'i' && end[2] == 'B' && end[3] == '\0'))
			return bad_value(flag, s, want);
	}
	if (v > max / mult || v * mult < min || v * mult > max)
		return bad_value(flag, s, want);
	*out = v * mult;
	return 0;
}

static int parse_seconds(const char *flag, const char *s, double min, double max,
    double *out)
{
	char want[96];
	char *end;
	double v;

	snprintf(want, sizeof(want), "expected seconds from %g to %g", min, max);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < min || v > max)
		return bad_value(flag, s, want);
	*out = v;
	return 0;
}

/* A rate or a frame count from min to RATE_LIMIT. */
static int parse_number(const char *flag, const char *s, double min, double *out)
{
	char want[96];
	char *end;
	double v;

	snprintf(want, sizeof(want), "expected a number from %g to %g", min,
	    RATE_LIMIT);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < min || v > RATE_LIMIT)
		return bad_value(flag, s, want);
	*out = v;
	return 0;
}

/* HOST:PORT as sotto_net_split reads it; ":PORT" means every IPv4
 * address, like the default. */
static int parse_listen(const char *s, struct args *a, struct relay_cfg *cfg)
{
	char host[64], port[8], err[160];

	if (s[0] == ':') {
		snprintf(a->listen_buf, sizeof(a->listen_buf), "0.0.0.0%s", s);
		s = a->listen_buf;
	}
	if (sotto_net_split(s, host, sizeof(host), port, sizeof(port), err,
	    sizeof(err)) != 0) {
		fprintf(stderr, PROG ": bad value for --listen: %s\n", err);
		return -1;
	}
	cfg->listen = s;
	return 0;
}

/* The flags that belong together: -q/-v, and a queue that can hold the
 * largest frame (wire-v1 §6). */
static int check_args(const struct relay_cfg *cfg, int quiet, int verbose)
{
	if (quiet && verbose) {
		fprintf(stderr, PROG ": -q and -v exclude each other\n");
		return -1;
	}
	if (cfg->max_queue < (size_t)cfg->max_frame + SOTTO_LEN_FIELD) {
		fprintf(stderr, PROG ": --max-queue %zu is smaller than --max-frame "
		    "%u + 4: the largest frame could never be delivered\n",
		    cfg->max_queue, cfg->max_frame);
		return -1;
	}
	return 0;
}

/* 0 to run, 1 when --help/--version was answered, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct relay_cfg *cfg,
    struct args *a, int *level)
{
	unsigned long long v;
	int opt, quiet = 0, verbose = 0;

	opterr = 0;             /* one line of our own per mistake */
	while ((opt = getopt_long(argc, argv, ":hqv", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			if (parse_listen(optarg, a, cfg) != 0)
				return -1;
			break;
		case OPT_RATE:
			if (parse_number("--rate", optarg, 0, &a->rate) != 0)
				return -1;
			break;
		case OPT_RATE_BYTES:
			if (parse_size("--rate-bytes", optarg, 0, RATE_LIMIT, &v) != 0)
				return -1;
			a->rate_bytes = (double)v;
			break;
		case OPT_BURST:
			if (parse_number("--burst", optarg, 1, &a->burst) != 0)
				return -1;
			break;
		case OPT_TRUSTED:
			cfg->trusted = optarg;
			break;
		case OPT_MAX_FRAME:
			if (parse_size("--max-frame", optarg, SOTTO_LEN_MIN,
			    MAX_FRAME_LIMIT, &v) != 0)
				return -1;
			cfg->max_frame = (uint32_t)v;
			break;
		case OPT_MAX_QUEUE:
			if (parse_size("--max-queue", optarg, MAX_QUEUE_MIN,
			    MAX_QUEUE_LIMIT, &v) != 0)
				return -1;
			cfg->max_queue = (size_t)v;
			break;
		case OPT_MAX_CLIENTS:
			if (parse_size("--max-clients", optarg, 1,
			    MAX_CLIENTS_LIMIT, &v) != 0)
				return -1;
			cfg->max_clients = (uint32_t)v;
			a->max_clients_set = 1;
			break;
		case OPT_JOIN_TIMEOUT:
			if (parse_seconds("--join-timeout", optarg, JOIN_TIMEOUT_MIN,
			    JOIN_TIMEOUT_MAX, &cfg->join_timeout) != 0)
				return -1;
			break;
		case OPT_CLUSTER:
			cfg->cluster = optarg;
			break;
		case OPT_NODE_NAME:
			if (!cluster_node_valid(optarg))
				return bad_value("--node-name", optarg,
				    "1 to 64 of A-Z a-z 0-9 . _ : -");
			cfg->node_name = optarg;
			break;
		case OPT_CLUSTER_TIMEOUT:
			if (parse_seconds("--cluster-timeout", optarg,
			    CLUSTER_TIMEOUT_MIN, CLUSTER_TIMEOUT_MAX,
			    &cfg->cluster_timeout) != 0)
				return -1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf(PROG " " SOTTO_VERSION " (wire protocol v%d)\n",
			    SOTTO_WIRE_VERSION);
			return 1;
		case ':':
			fprintf(stderr, PROG ": %s needs a value; try --help\n",
			    argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0)
				fprintf(stderr, PROG ": unknown option \"-%c\"; "
				    "try --help\n", optopt);
			else
				fprintf(stderr, PROG ": unknown option \"%s\"; "
				    "try --help\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument \"%s\"; try --help\n",
		    argv[optind]);
		return -1;
	}
	if (check_args(cfg, quiet, verbose) != 0)
		return -1;
	if (cfg->cluster == NULL && (cfg->node_name != NULL || cfg->cluster_timeout > 0)) {
		fprintf(stderr, PROG ": --node-name and --cluster-timeout need "
		    "--cluster\n");
		return -1;
	}
	*level = quiet ? SOTTO_LOG_WARN : verbose ? SOTTO_LOG_DEBUG : SOTTO_LOG_INFO;
	return 0;
}

/* Raise the open-file limit to fit max_clients. Where the hard limit
 * forbids that (no privilege), run with as many clients as fit and say
 * so: a warning when --max-clients was asked for, a plain line when only
 * the default does not fit. */
static int fit_nofile(struct relay_cfg *cfg, int asked)
{
	rlim_t need = (rlim_t)cfg->max_clients + RELAY_FD_RESERVE;
	struct rlimit rl, want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		want.rlim_cur = need;
		want.rlim_max = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
		    need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return 0;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 0;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_cur <= RELAY_FD_RESERVE) {
		sotto_log(SOTTO_LOG_ERR, "open-file limit %llu leaves no room for "
		    "clients", (unsigned long long)rl.rlim_cur);
		return -1;
	}
	sotto_log(asked ? SOTTO_LOG_WARN : SOTTO_LOG_INFO,
	    "open-file limit %llu (hard) allows %llu clients, "
	    "not --max-clients %u; raise it (LimitNOFILE=, ulimit -Hn) to serve more",
	    (unsigned long long)rl.rlim_cur,
	    (unsigned long long)(rl.rlim_cur - RELAY_FD_RESERVE), cfg->max_clients);
	cfg->max_clients = (uint32_t)(rl.rlim_cur - RELAY_FD_RESERVE);
	return 0;
}

/* The input budget and fair share, from the flags. */
static void set_budget(struct relay_cfg *cfg, const struct args *a)
{
	budget_cfg_set(&cfg->budget, a->rate, a->rate_bytes, a->burst,
	    cfg->max_frame);
	cfg->fair_high = cfg->max_queue / RELAY_FAIR_DIV;
}

/* --trusted: the clients' loader; a bad folder stops the relay. */
static int load_trusted(struct relay *r)
{
	char err[256];

	if (r->cfg.trusted == NULL)
		return 0;
	if (admit_new(&r->admit, r->cfg.trusted, 4 * (size_t)r->cfg.max_clients,
	    err, sizeof(err)) != 0) {
		sotto_log(SOTTO_LOG_ERR, "--trusted %s: %s", r->cfg.trusted, err);
		return -1;
	}
	sotto_log(SOTTO_LOG_INFO, "admission: only INIs signed by one of %zu "
	    "keys in %s", admit_keys(r->admit), r->cfg.trusted);
	return 0;
}

static void log_start(const struct relay_cfg *cfg)
{
	sotto_log(SOTTO_LOG_INFO, "listening on %s (max-frame %u, max-queue %zu, "
	    "max-clients %u, join-timeout %g s, rate %g frames/s, rate-bytes %.0f, "
	    "burst %g)", cfg->listen, cfg->max_frame, cfg->max_queue,
	    cfg->max_clients, cfg->join_timeout, cfg->budget.rate,
	    cfg->budget.rate_bytes, cfg->budget.burst);
}

/* HOSTNAME:PORT with anything a node name may not hold made '-'. */
static void default_node_name(const struct relay_cfg *cfg, char out[static 65])
{
	char host[65] = "relay";
	const char *port = strrchr(cfg->listen, ':');
	size_t i;

	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, 65, "%.*s%s", 40, host, port != NULL ? port : "");
	for (i = 0; out[i] != '\0'; i++)
		if (!cluster_node_valid((char[]){ out[i], '\0' }))
			out[i] = '-';
}

int main(int argc, char **argv)
{
	struct relay_cfg cfg = {
		.listen = "0.0.0.0:7700",
		.max_frame = SOTTO_MAX_FRAME_DEFAULT,
		.max_queue = SOTTO_MAX_QUEUE_DEFAULT,
		.max_clients = SOTTO_MAX_CLIENTS_DEFAULT,
		.join_timeout = SOTTO_JOIN_TIMEOUT_DEFAULT,
	};
	struct args a = {
		.rate = RATE_DEFAULT,
		.rate_bytes = RATE_BYTES_DEFAULT,
		.burst = BURST_DEFAULT,
	};
	char err[256], node[65];
	struct relay *r;
	int level = SOTTO_LOG_INFO, rc;

	if ((rc = parse_args(argc, argv, &cfg, &a, &level)) != 0)
		return rc > 0 ? 0 : EXIT_USAGE;
	set_budget(&cfg, &a);
	sotto_log_init(PROG, level);
	/* A peer that vanishes mid-write must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (fit_nofile(&cfg, a.max_clients_set) != 0)
		return 1;
	if (room_hash_init() != 0) {
		sotto_log(SOTTO_LOG_ERR, "libgcrypt initialisation failed");
		return 1;
	}
	if ((r = relay_new(&cfg)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "out of memory starting up");
		return 1;
	}
	if (load_trusted(r) != 0) {
		relay_free(r);
		return 1;
	}
	if (cfg.cluster != NULL && cfg.node_name == NULL) {
		default_node_name(&cfg, node);
		r->cfg.node_name = node;
	}
	if (cfg.cluster_timeout <= 0)
		r->cfg.cluster_timeout = CLUSTER_TIMEOUT_DEFAULT;
	if (relay_cluster(r, err, sizeof(err)) != 0) {
		sotto_log(SOTTO_LOG_ERR, "--cluster: %s", err);
		relay_free(r);
		return EXIT_USAGE;
	}
	if (relay_listen(r, err, sizeof(err)) != 0) {
		sotto_log(SOTTO_LOG_ERR, "cannot listen: %s", err);
		relay_free(r);
		return 1;
	}
	log_start(&cfg);
	relay_run(r);
	relay_free(r);
	sotto_log(SOTTO_LOG_INFO, "stopped");
	return 0;
}

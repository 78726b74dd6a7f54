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

#include "cluster.h"

#include "log.h"
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

enum { OPT_LISTEN = 256, OPT_MAX_FRAME, OPT_MAX_QUEUE, OPT_MAX_CLIENTS,
       OPT_JOIN_TIMEOUT, OPT_HELP, OPT_VERSION, OPT_CLUSTER, OPT_NODE_NAME,
       OPT_CLUSTER_TIMEOUT };

static const struct option long_opts[] = {
	{ "listen",       required_argument, NULL, OPT_LISTEN },
	{ "max-frame",    required_argument, NULL, OPT_MAX_FRAME },
	{ "max-queue",    required_argument, NULL, OPT_MAX_QUEUE },
	{ "max-clients",  required_argument, NULL, OPT_MAX_CLIENTS },
	{ "join-timeout", required_argument, NULL, OPT_JOIN_TIMEOUT },
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
"                   [--max-clients N] [--join-timeout SECONDS] [-q | -v]\n"
"                   [--cluster redis://HOST:PORT[/DB] [--node-name NAME]\n"
"                    [--cluster-timeout SECONDS]]\n"
"\n"
"The sotto relay: forwards INI/KEY/DAT frames between the members of a room.\n"
"It holds no keys, stores nothing and never logs message bodies.\n"
"\n"
"  --listen HOST:PORT      address to listen on (default 0.0.0.0:%d;\n"
"                          [::]:PORT for IPv6)\n"
"  --max-frame BYTES       largest frame `len` accepted (default %u)\n"
"  --max-queue BYTES       unsent output per connection; a reader past it is\n"
"                          closed (default %u)\n"
"  --max-clients N         simultaneous connections; more are accepted and\n"
"                          closed at once (default %u)\n"
"  --join-timeout SECONDS  time from accept to the first complete INI\n"
"                          (default %g)\n"
"  --cluster URL           serve rooms together with every relay sharing this\n"
"                          Redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]\n"
"                          (or the password in $SOTTO_REDIS_PASSWORD)\n"
"  --node-name NAME        this relay in cluster logs (default HOSTNAME:PORT)\n"
"  --cluster-timeout SECONDS  a relay silent this long is gone and its\n"
"                          members get LEFT (default %g)\n"
"  -q                      log violations and errors only\n"
"  -v                      also log every routed frame (type, from, to, len)\n"
"  --help, --version\n"
"\n"
"BYTES take a k, M or G suffix (powers of 1024). Logs go to stderr.\n",
	    SOTTO_DEFAULT_PORT, SOTTO_MAX_FRAME_DEFAULT, SOTTO_MAX_QUEUE_DEFAULT,
	    SOTTO_MAX_CLIENTS_DEFAULT, SOTTO_JOIN_TIMEOUT_DEFAULT,
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

/* 0 to run, 1 when --help/--version was answered, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct relay_cfg *cfg, int *level)
{
	unsigned long long v;
	int opt, quiet = 0, verbose = 0;

	opterr = 0;             /* one line of our own per mistake */
	while ((opt = getopt_long(argc, argv, ":qv", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			cfg->listen = optarg;
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
	if (quiet && verbose) {
		fprintf(stderr, PROG ": -q and -v exclude each other\n");
		return -1;
	}
	if (cfg->cluster == NULL && (cfg->node_name != NULL || cfg->cluster_timeout > 0)) {
		fprintf(stderr, PROG ": --node-name and --cluster-timeout need "
		    "--cluster\n");
		return -1;
	}
	*level = quiet ? SOTTO_LOG_WARN : verbose ? SOTTO_LOG_DEBUG : SOTTO_LOG_INFO;
	return 0;
}

/* Raise the open-file limit to fit max_clients. Where the hard limit
 * forbids that (no privilege), run with as many clients as fit and say so. */
static int fit_nofile(struct relay_cfg *cfg)
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
	sotto_log(SOTTO_LOG_WARN, "open-file limit %llu (hard) allows %llu clients, "
	    "not --max-clients %u; raise it (LimitNOFILE=, ulimit -Hn) to serve more",
	    (unsigned long long)rl.rlim_cur,
	    (unsigned long long)(rl.rlim_cur - RELAY_FD_RESERVE), cfg->max_clients);
	cfg->max_clients = (uint32_t)(rl.rlim_cur - RELAY_FD_RESERVE);
	return 0;
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
	char err[256], node[65];
	struct relay *r;
	int level = SOTTO_LOG_INFO, rc;

	if ((rc = parse_args(argc, argv, &cfg, &level)) != 0)
		return rc > 0 ? 0 : EXIT_USAGE;
	sotto_log_init(PROG, level);
	/* A peer that vanishes mid-write must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (fit_nofile(&cfg) != 0)
		return 1;
	if (room_hash_init() != 0) {
		sotto_log(SOTTO_LOG_ERR, "libgcrypt initialisation failed");
		return 1;
	}
	if ((r = relay_new(&cfg)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "out of memory starting up");
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
	sotto_log(SOTTO_LOG_INFO, "listening on %s (max-frame %u, max-queue %zu, "
	    "max-clients %u, join-timeout %g s)", cfg.listen, cfg.max_frame,
	    cfg.max_queue, cfg.max_clients, cfg.join_timeout);
	relay_run(r);
	relay_free(r);
	sotto_log(SOTTO_LOG_INFO, "stopped");
	return 0;
}

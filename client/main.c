/* SPDX-License-Identifier: ISC */
/* main.c: sotto's command line (config file, then flags), then the batch front-end or the interactive UI. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "err.h"
#include "frame.h"
#include "frontend.h"
#include "identity.h"
#include "paths.h"
#include "relay-addr.h"
#include "sanitize.h"
#include "userinit.h"
#include "wire-files.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

/* The command line with the config file's settings in front: lives as
 * long as the process, like argv (cfg points into it). */
static struct sotto_args args;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sotto [--identity FILE] [--agent] [--trusted DIR] [--room NAME]\n"
	    "             [--batch] [--clock-skew SECONDS] [--strict] [--retry]\n"
	    "             [--timestamp-format FORMAT] [--config FILE | --no-config]\n"
	    "             [--hold-lines SECONDS] [--no-history] [--history N]\n"
	    "             [--history-days DAYS] [--history-max-mb MB]\n"
	    "             [--rotate-interval SECONDS] [--rotate-messages N]\n"
	    "             [--accept-files] [--max-file SIZE] [--download-dir DIR]\n"
	    "             [--file-resume SECONDS] [--file-rate N]\n"
	    "             [--help] [--version] [HOST[:PORT][,HOST[:PORT]...]]\n"
	    "       sotto --init [--identity FILE] [--trusted DIR]\n"
	    "\n"
	    "  --identity FILE       ed25519 private key, or FILE.pub to sign with ssh-agent\n"
	    "                        (default $XDG_CONFIG_HOME/sotto/id_ed25519, else\n"
	    "                        ~/.ssh/id_ed25519 when it is an ed25519 key)\n"
	    "  --agent               sign with ssh-agent ($SSH_AUTH_SOCK) only\n"
	    "  --trusted DIR         folder of trusted *.pub keys\n"
	    "                        (default $XDG_CONFIG_HOME/sotto/trusted)\n"
	    "  --init                set up this user: folders, a key, trust yourself\n"
	    "  --room NAME           room to join (default lobby)\n"
	    "  --batch               JSON events on stdout, lines on stdin (docs/batch.md);\n"
	    "                        also chosen when stdin is not a terminal\n"
	    "  --clock-skew SECONDS  clock difference tolerated on message times (default %g)\n"
	    "  --strict              send nothing while someone you do not trust can read\n"
	    "  --retry               batch: keep trying when the relay is not up at start\n"
	    "                        (the interactive UI always does)\n"
	    "  --timestamp-format F  strftime format of the UI's time column (default %%H:%%M)\n"
	    "  --config FILE         settings file (default $XDG_CONFIG_HOME/sotto/config:\n"
	    "                        \"setting = value\" lines, any long flag; flags win)\n"
	    "  --no-config           read no settings file\n"
	    "  --no-FLAG             cancel \"FLAG = yes\" from the file (e.g. --no-batch)\n"
	    "  --hold-lines SECONDS  how long lines typed during a relay outage wait, once\n"
	    "                        we are back, for the members from before (default 120)\n"
	    "  --no-history          keep no local history (and open none)\n"
	    "  --history N           stored lines shown at start (default 50; --batch: 0,\n"
	    "                        as {\"event\":\"history\"} lines before connected)\n"
	    "  --history-days DAYS   drop stored lines older than this (default 0: keep)\n"
	    "  --history-max-mb MB   drop the oldest stored lines above this (default 256)\n"
	    "  --rotate-interval SECONDS  a new group key after this long (default %g;\n"
	    "                        0: off; else %.0f..%.0f)\n"
	    "  --rotate-messages N   a new group key after N room messages (default %u;\n"
	    "                        0: off)\n"
	    "  --accept-files        accept every file offered under --max-file\n"
	    "                        (default: files up to 4 MiB are taken by themselves)\n"
	    "  --max-file SIZE       refuse larger files (bytes, or K/M/G; default 100M)\n"
	    "  --download-dir DIR    where received files go (default\n"
	    "                        $XDG_DOWNLOAD_DIR/sotto, else ~/Downloads/sotto)\n"
	    "  --file-resume SECONDS how long a cut transfer waits to resume (default 600)\n"
	    "  --file-rate N         file chunks sent a second at most (default %u, within\n"
	    "                        the relay's default budget; 0: as fast as the relay\n"
	    "                        takes them, for a relay run with --rate 0)\n"
	    "  HOST[:PORT]           the relay (default 127.0.0.1; port %d when not given);\n"
	    "                        several, comma-separated: relays of one cluster,\n"
	    "                        tried in order\n",
	    SOTTO_CLOCK_SKEW_DEFAULT, CLIENT_ROTATE_INTERVAL,
	    CLIENT_ROTATE_INTERVAL_MIN, CLIENT_ROTATE_INTERVAL_MAX,
	    CLIENT_ROTATE_MESSAGES, SOTTO_FILE_RATE, SOTTO_DEFAULT_PORT);
}

/* A time column format: strftime must give 1..32 bytes for it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int
ts_format_ok(const char *f)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 28, .tm_hour = 23,
	    .tm_min = 59, .tm_sec = 59 };
	char buf[64];
	size_t n;

	if (f[0] == '\0' || strlen(f) > 32)
		return -1;
	n = strftime(buf, sizeof(buf), f, &tm);
	return n > 0 && n <= 32 ? 0 : -1;
}
#pragma GCC diagnostic pop

/* One line on stderr; the text may quote the command line, so it is
 * neutralised (a terminal reads stderr too). */
static void
print_usage_error(const char *msg)
{
	char safe[512];

	sanitize_str(msg, strlen(msg), safe, sizeof(safe), SAN_TAB_SPACE);
	fprintf(stderr, "sotto: %s\n", safe);
}

static int
parse_skew(const char *s, double *out)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v >= 0.0 && v <= 86400.0))
		return -1;
	*out = v;
	return 0;
}

/* --rotate-interval: 0 (off) or the core's range. */
static int
parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v == 0.0 ||
	    (v >= CLIENT_ROTATE_INTERVAL_MIN && v <= CLIENT_ROTATE_INTERVAL_MAX)))
		return -1;
	*out = v;
	return 0;
}

/* --init: set up, print what to send, exit. */
static int
run_init(const char *identity, const char *trusted)
{
	struct sotto_init_report rep;
	char err[512];

	if (sotto_user_init(identity, trusted, &rep, err, sizeof(err)) != 0) {
		fprintf(stderr, "sotto: %s\n", err);
		return 1;
	}
	sotto_init_print(stdout, &rep);
	sotto_init_report_free(&rep);
	return 0;
}

/* The identity, opened before any front-end starts: its passphrase is
 * asked on the terminal (or through SSH_ASKPASS) now, or ssh-agent is
 * found. A failure is reported as the front-end would report it. */
static int
open_identity(const char *path, int agent, int batch,
    const struct sotto_paths *p, struct sotto_identity **id)
{
	char err[512];
	int r;

	r = sotto_identity_open(path, agent ? SOTTO_AGENT_ONLY : SOTTO_AGENT_AUTO,
	    id, err, sizeof(err));
	if (r == 0)
		return 0;
	if (r == SOTTO_E_NOTFOUND && p != NULL && strcmp(path, p->identity) == 0) {
		size_t n = strlen(err);
		snprintf(err + n, sizeof(err) - n, " (no identity yet: run sotto "
		    "--init)");
	}
	return batch ? batch_startup_error(err) : ui_startup_error(err);
}

/* What the flags name must be well-formed before anything starts (and
 * before the UI takes the screen): a bad room or address is a usage error.
 * Each address of a relay list gets the default port when it has none. */
static int
check_flags(struct client_config *cfg)
{
	/* The list as the core dials it; lives as long as the process. */
	static char relays[RELAY_LIST_MAX];
	char err[512];

	/* The room is not echoed: it may hold the very bytes that are wrong. */
	if (sotto_room_valid(cfg->room) != 0) {
		fprintf(stderr, "sotto: --room: must be 1..%u bytes of UTF-8 without "
		    "control characters\n", SOTTO_ROOM_MAX);
		return -1;
	}
	if (relay_list_parse(cfg->relay, relays, sizeof(relays), err,
	    sizeof(err)) != 0) {
		print_usage_error(err);
		return -1;
	}
	cfg->relay = relays;
	return 0;
}


static int
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}
/* --max-file: bytes, or with a K/M/G suffix (powers of 1024); above 0. */
static int
parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity",   required_argument, NULL, 'i' },
		{ "agent",      no_argument,       NULL, 'a' },
		{ "trusted",    required_argument, NULL, 't' },
		{ "room",       required_argument, NULL, 'r' },
		{ "batch",      no_argument,       NULL, 'b' },
		{ "clock-skew", required_argument, NULL, 's' },
		{ "init",       no_argument,       NULL, 'I' },
		{ "hold-lines", required_argument, NULL, 'H' },
		{ "no-history", no_argument,       NULL, 'N' },
		{ "history",    required_argument, NULL, 'y' },
		{ "history-days", required_argument, NULL, 'D' },
		{ "history-max-mb", required_argument, NULL, 'M' },
		{ "strict",     no_argument,       NULL, 'S' },
		{ "retry",      no_argument,       NULL, 'R' },
		{ "timestamp-format", required_argument, NULL, 'T' },
		{ "rotate-interval", required_argument, NULL, 'P' },
		{ "rotate-messages", required_argument, NULL, 'C' },
		{ "accept-files", no_argument,     NULL, 'F' },
		{ "max-file",   required_argument, NULL, 'X' },
		{ "download-dir", required_argument, NULL, 'd' },
		{ "file-resume", required_argument, NULL, 'e' },
		{ "file-rate",  required_argument, NULL, 'f' },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_config cfg = {
		.room = "lobby",
		.relay = "127.0.0.1:7700",
		.clock_skew = SOTTO_CLOCK_SKEW_DEFAULT,
		.history_max_bytes = 256u * 1024u * 1024u,
		.rotate_interval = CLIENT_ROTATE_INTERVAL,
		.rotate_messages = CLIENT_ROTATE_MESSAGES,
	};
	struct ui_options uopt = { .ts_format = "%H:%M" };
	struct sotto_paths paths;
	struct ev_loop *loop;
	char err[512];
	unsigned long restore = 50, mb = 256, rot_n, file_rate;
	int ch, batch = 0, agent = 0, init = 0, restore_set = 0, r;

	/* The config file's settings become flags before the command line's,
	 * so getopt sees the command line last and it wins. */
	if (sotto_config_apply(opts, "h", argc, argv, &args, err, sizeof(err)) != 0) {
		fprintf(stderr, "sotto: %s\n", err);
		return 2;
	}
	argc = args.argc;
	argv = args.argv;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': cfg.identity = optarg; break;
		case 'a': agent = 1; break;
		case 't': cfg.trusted = optarg; break;
		case 'r': cfg.room = optarg; break;
		case 'b': batch = 1; break;
		case 'I': init = 1; break;
		case 's':
			if (parse_skew(optarg, &cfg.clock_skew) != 0) {
				fprintf(stderr, "sotto: --clock-skew %s: expected seconds "
				    "0..86400\n", optarg);
				return 2;
			}
			break;
		case 'H':
			if (parse_skew(optarg, &cfg.hold_lines) != 0 ||
			    cfg.hold_lines <= 0.0) {
				fprintf(stderr, "sotto: --hold-lines %s: expected seconds "
				    "above 0, at most 86400\n", optarg);
				return 2;
			}
			break;
		case 'N': cfg.no_history = true; break;
		case 'y':
			if (parse_count(optarg, 100000, &restore) != 0) {
				fprintf(stderr, "sotto: --history %s: expected a count of "
				    "lines 0..100000\n", optarg);
				return 2;
			}
			restore_set = 1;
			break;
		case 'D':
			if (parse_skew(optarg, &cfg.history_days) != 0 ||
			    cfg.history_days > 36500.0) {
				fprintf(stderr, "sotto: --history-days %s: expected days "
				    "0..36500 (0: keep)\n", optarg);
				return 2;
			}
			break;
		case 'M':
			if (parse_count(optarg, 1048576, &mb) != 0) {
				fprintf(stderr, "sotto: --history-max-mb %s: expected "
				    "megabytes 0..1048576 (0: no bound)\n", optarg);
				return 2;
			}
			cfg.history_max_bytes = (uint64_t)mb * 1024u * 1024u;
			break;
		case 'P':
			if (parse_interval(optarg, &cfg.rotate_interval) != 0) {
				fprintf(stderr, "sotto: --rotate-interval %s: expected seconds "
				    "%.0f..%.0f, or 0 (off)\n", optarg, CLIENT_ROTATE_INTERVAL_MIN,
				    CLIENT_ROTATE_INTERVAL_MAX);
				return 2;
			}
			break;
		case 'C':
			if (parse_count(optarg, UINT32_MAX, &rot_n) != 0) {
				fprintf(stderr, "sotto: --rotate-messages %s: expected a count "
				    "0..%u (0: off)\n", optarg, (unsigned)UINT32_MAX);
				return 2;
			}
			cfg.rotate_messages = rot_n;
			break;
		case 'F': cfg.accept_files = true; break;
		case 'X':
			if (parse_size(optarg, &cfg.max_file) != 0) {
				fprintf(stderr, "sotto: --max-file %s: expected bytes, or a "
				    "number with K, M or G, above 0\n", optarg);
				return 2;
			}
			break;
		case 'd': cfg.download_dir = optarg; break;
		case 'f':
			if (parse_count(optarg, CLIENT_FILE_RATE_MAX, &file_rate) != 0) {
				fprintf(stderr, "sotto: --file-rate %s: expected chunks a "
				    "second 0..%u (0: unpaced)\n", optarg, CLIENT_FILE_RATE_MAX);
				return 2;
			}
			cfg.file_rate = (unsigned)file_rate;
			cfg.file_unpaced = file_rate == 0;
			break;
		case 'e':
			if (parse_skew(optarg, &cfg.file_resume) != 0 ||
			    cfg.file_resume <= 0.0) {
				fprintf(stderr, "sotto: --file-resume %s: expected seconds "
				    "above 0, at most 86400\n", optarg);
				return 2;
			}
			break;
		case 'S': cfg.strict = true; break;
		case 'R': cfg.retry = true; break;
		case 'T':
			if (ts_format_ok(optarg) != 0) {
				fprintf(stderr, "sotto: --timestamp-format: expected a strftime "
				    "format giving 1..32 bytes, e.g. %%H:%%M:%%S\n");
				return 2;
			}
			uopt.ts_format = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sotto %s\n", SOTTO_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 1 || (init && (argc - optind > 0 || agent || batch))) {
		fprintf(stderr, init ? "sotto: --init takes only --identity and "
		    "--trusted\n" : "sotto: one relay address expected, got %d "
		    "arguments\n", argc - optind);
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		cfg.relay = argv[optind];
	if (check_flags(&cfg) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit reached by the history is a failed write (EFBIG),
	 * which the history handles, not the death of the client. */
	signal(SIGXFSZ, SIG_IGN);
	/* Before any thread: the RSA worker uses libgcrypt too. */
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, "sotto: libgcrypt initialisation failed\n");
		return 1;
	}
	if (init)
		return run_init(cfg.identity, cfg.trusted);
	/* Per-user defaults (XDG); flags win. */
	if ((r = sotto_paths_default(&paths, err, sizeof(err))) != 0 &&
	    (cfg.identity == NULL || cfg.trusted == NULL)) {
		fprintf(stderr, "sotto: %s; give --identity and --trusted\n", err);
		return 1;
	}
	if (cfg.identity == NULL)
		cfg.identity = paths.identity;
	if (cfg.trusted == NULL)
		cfg.trusted = paths.trusted;
	batch = batch || !isatty(STDIN_FILENO);
	/* A bot asks for history; a person sees the last lines. */
	cfg.history_restore = restore_set ? restore : batch ? 0 : 50;
	if (open_identity(cfg.identity, agent, batch, r == 0 ? &paths : NULL,
	    &cfg.ident) != 0) {
		sotto_paths_free(&paths);
		return 1;
	}
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "sotto: cannot initialise the event loop\n");
		sotto_identity_free(cfg.ident);
		sotto_paths_free(&paths);
		return 1;
	}
	if (batch)
		r = batch_main(loop, &cfg);
	else {
		/* The UI shows a relay that is not up yet and keeps trying. */
		cfg.retry = true;
		r = ui_main(loop, &cfg, &uopt);
	}
	sotto_paths_free(&paths);
	return r;
}

/* main.c: sotto's command line: flags, then the batch front-end or the interactive UI. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "frontend.h"
#include "wire.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sotto [--identity FILE] [--trusted DIR] [--room NAME] [--batch]\n"
	    "             [--clock-skew SECONDS] [--hold-lines SECONDS] [--no-history]\n"
	    "             [--history N] [--history-days DAYS] [--history-max-mb MB]\n"
	    "             [--help] [--version] [HOST:PORT]\n"
	    "\n"
	    "  --identity FILE       Ed25519 private key (default keys/id_ed25519)\n"
	    "  --trusted DIR         folder of trusted *.pub keys (default keys/trusted)\n"
	    "  --room NAME           room to join (default lobby)\n"
	    "  --batch               JSON events on stdout, lines on stdin (docs/batch.md);\n"
	    "                        also chosen when stdin is not a terminal\n"
	    "  --clock-skew SECONDS  clock difference tolerated on message times (default %g)\n"
	    "  --hold-lines SECONDS  how long lines typed during a relay outage wait, once\n"
	    "                        we are back, for the members from before (default 120)\n"
	    "  --no-history          keep no local history (and open none)\n"
	    "  --history N           stored lines shown at start (default 50; --batch: 0,\n"
	    "                        as {\"event\":\"history\"} lines before connected)\n"
	    "  --history-days DAYS   drop stored lines older than this (default 0: keep)\n"
	    "  --history-max-mb MB   drop the oldest stored lines above this (default 256)\n"
	    "  HOST:PORT             the relay (default 127.0.0.1:%d)\n",
	    SOTTO_CLOCK_SKEW_DEFAULT, SOTTO_DEFAULT_PORT);
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity",   required_argument, NULL, 'i' },
		{ "trusted",    required_argument, NULL, 't' },
		{ "room",       required_argument, NULL, 'r' },
		{ "batch",      no_argument,       NULL, 'b' },
		{ "clock-skew", required_argument, NULL, 's' },
		{ "hold-lines", required_argument, NULL, 'H' },
		{ "no-history", no_argument,       NULL, 'N' },
		{ "history",    required_argument, NULL, 'y' },
		{ "history-days", required_argument, NULL, 'D' },
		{ "history-max-mb", required_argument, NULL, 'M' },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_config cfg = {
		.identity = "keys/id_ed25519",
		.trusted = "keys/trusted",
		.room = "lobby",
		.relay = "127.0.0.1:7700",
		.clock_skew = SOTTO_CLOCK_SKEW_DEFAULT,
		.history_max_bytes = 256u * 1024u * 1024u,
	};
	struct ev_loop *loop;
	unsigned long restore = 50, mb = 256;
	int ch, batch = 0, restore_set = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': cfg.identity = optarg; break;
		case 't': cfg.trusted = optarg; break;
		case 'r': cfg.room = optarg; break;
		case 'b': batch = 1; break;
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
		case 'h': usage(stdout); return 0;
		case 'V': printf("sotto %s\n", SOTTO_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "sotto: one relay address expected, got %d arguments\n",
		    argc - optind);
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		cfg.relay = argv[optind];
	if (batch || !isatty(STDIN_FILENO))
		batch = 1;
	/* A bot asks for history; a person sees the last lines. */
	cfg.history_restore = restore_set ? restore : batch ? 0 : 50;
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit reached by the history is a failed write (EFBIG),
	 * which the history handles, not the death of the client. */
	signal(SIGXFSZ, SIG_IGN);
	/* Before any thread: the RSA worker uses libgcrypt too. */
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, "sotto: libgcrypt initialisation failed\n");
		return 1;
	}
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "sotto: cannot initialise the event loop\n");
		return 1;
	}
	if (batch)
		return batch_main(loop, &cfg);
	return ui_main(loop, &cfg);
}

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
	    "             [--clock-skew SECONDS] [--hold-lines SECONDS] [--help]\n"
	    "             [--version] [HOST:PORT]\n"
	    "\n"
	    "  --identity FILE       Ed25519 private key (default keys/id_ed25519)\n"
	    "  --trusted DIR         folder of trusted *.pub keys (default keys/trusted)\n"
	    "  --room NAME           room to join (default lobby)\n"
	    "  --batch               JSON events on stdout, lines on stdin (docs/batch.md);\n"
	    "                        also chosen when stdin is not a terminal\n"
	    "  --clock-skew SECONDS  clock difference tolerated on message times (default %g)\n"
	    "  --hold-lines SECONDS  how long lines typed during a relay outage wait, once\n"
	    "                        we are back, for the members from before (default 120)\n"
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
	};
	struct ev_loop *loop;
	int ch, batch = 0;

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
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread: the RSA worker uses libgcrypt too. */
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, "sotto: libgcrypt initialisation failed\n");
		return 1;
	}
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "sotto: cannot initialise the event loop\n");
		return 1;
	}
	if (batch || !isatty(STDIN_FILENO))
		return batch_main(loop, &cfg);
	return ui_main(loop, &cfg);
}

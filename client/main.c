/* main.c: sotto's command line (config file, then flags), then the batch front-end or the interactive UI. */
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "frame.h"
#include "frontend.h"
#include "net.h"
#include "wire.h"

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
	    "usage: sotto [--identity FILE] [--trusted DIR] [--room NAME] [--batch]\n"
	    "             [--clock-skew SECONDS] [--config FILE | --no-config]\n"
	    "             [--help] [--version] [HOST:PORT]\n"
	    "\n"
	    "  --identity FILE       Ed25519 private key (default keys/id_ed25519)\n"
	    "  --trusted DIR         folder of trusted *.pub keys (default keys/trusted)\n"
	    "  --room NAME           room to join (default lobby)\n"
	    "  --batch               JSON events on stdout, lines on stdin (docs/batch.md);\n"
	    "                        also chosen when stdin is not a terminal\n"
	    "  --clock-skew SECONDS  clock difference tolerated on message times (default %g)\n"
	    "  --config FILE         settings file (default $XDG_CONFIG_HOME/sotto/config:\n"
	    "                        \"setting = value\" lines, any long flag; flags win)\n"
	    "  --no-config           read no settings file\n"
	    "  --no-FLAG             cancel \"FLAG = yes\" from the file (e.g. --no-batch)\n"
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

/* What the flags name must be well-formed before anything starts (and
 * before the UI takes the screen): a bad room or address is a usage error. */
static int
check_flags(const struct client_config *cfg)
{
	char host[NI_MAXHOST], port[16], err[SOTTO_NET_ERR_LEN];

	/* The room is not echoed: it may hold the very bytes that are wrong. */
	if (sotto_room_valid(cfg->room) != 0) {
		fprintf(stderr, "sotto: --room: must be 1..%u bytes of UTF-8 without "
		    "control characters\n", SOTTO_ROOM_MAX);
		return -1;
	}
	if (sotto_net_split(cfg->relay, host, sizeof(host), port, sizeof(port),
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "sotto: %s\n", err);
		return -1;
	}
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
	char err[512];
	int ch, batch = 0;

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
	if (check_flags(&cfg) != 0)
		return 2;
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

/* main.c: sotto's command line: flags, then the batch front-end or the interactive UI. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "frame.h"
#include "frontend.h"
#include "relay-addr.h"
#include "sanitize.h"
#include "wire.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sotto [--identity FILE] [--trusted DIR] [--room NAME] [--batch]\n"
	    "             [--clock-skew SECONDS] [--strict] [--retry]\n"
	    "             [--timestamp-format FORMAT] [--help] [--version] [HOST[:PORT]]\n"
	    "\n"
	    "  --identity FILE       Ed25519 private key (default keys/id_ed25519)\n"
	    "  --trusted DIR         folder of trusted *.pub keys (default keys/trusted)\n"
	    "  --room NAME           room to join (default lobby)\n"
	    "  --batch               JSON events on stdout, lines on stdin (docs/batch.md);\n"
	    "                        also chosen when stdin is not a terminal\n"
	    "  --clock-skew SECONDS  clock difference tolerated on message times (default %g)\n"
	    "  --strict              send nothing while someone you do not trust can read\n"
	    "  --retry               batch: keep trying when the relay is not up at start\n"
	    "                        (the interactive UI always does)\n"
	    "  --timestamp-format F  strftime format of the UI's time column (default %%H:%%M)\n"
	    "  HOST[:PORT]           the relay (default 127.0.0.1; port %d when not given)\n",
	    SOTTO_CLOCK_SKEW_DEFAULT, SOTTO_DEFAULT_PORT);
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity",   required_argument, NULL, 'i' },
		{ "trusted",    required_argument, NULL, 't' },
		{ "room",       required_argument, NULL, 'r' },
		{ "batch",      no_argument,       NULL, 'b' },
		{ "clock-skew", required_argument, NULL, 's' },
		{ "strict",     no_argument,       NULL, 'S' },
		{ "retry",      no_argument,       NULL, 'R' },
		{ "timestamp-format", required_argument, NULL, 'T' },
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
	struct ui_options uopt = { .ts_format = "%H:%M" };
	char relay[300], err[256];
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
	if (argc - optind > 1) {
		fprintf(stderr, "sotto: one relay address expected, got %d arguments\n",
		    argc - optind);
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		if (relay_addr_parse(argv[optind], relay, sizeof(relay), err,
		    sizeof(err)) != 0) {
			print_usage_error(err);
			return 2;
		}
		cfg.relay = relay;
	}
	/* Usage errors before anything else, and before curses: exit 2. */
	if (sotto_room_valid(cfg.room) != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "--room: must be 1..64 bytes of UTF-8 "
		    "without control characters");
		print_usage_error(msg);
		return 2;
	}
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
	/* The UI shows a relay that is not up yet and keeps trying. */
	cfg.retry = true;
	return ui_main(loop, &cfg, &uopt);
}

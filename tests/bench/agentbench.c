/* SPDX-License-Identifier: ISC */
/* agentbench.c: what signing through ssh-agent adds per message: blocking round trips, pipelined throughput, against a local Ed25519 signature.
 *
 *   sotto-agentbench PUBFILE [N]   (SSH_AUTH_SOCK set, the key added)
 * Prints one line per figure. Message size: a typical DAT signature input.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

#define MSG_LEN    400u       /* label || P || a short DAT body */
#define PIPELINE   32u

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	printf("%-34s median %8.1f us  p99 %8.1f us  max %8.1f us  (n=%zu)\n",
	    what, v[n / 2], v[n * 99 / 100], v[n - 1], n);
}

int
main(int argc, char **argv)
{
	uint8_t pub[SOTTO_ED25519_PUB], sig[SOTTO_ED25519_SIG], msg[MSG_LEN];
	struct sotto_agent *a;
	struct sotto_ed25519 *local;
	char err[256];
	size_t n = argc > 2 ? (size_t)atol(argv[2]) : 2000, i, got, sent;
	double *lat, t0;

	if (argc < 2 || n < 10 || sotto_crypto_init() != 0) {
		fprintf(stderr, "usage: sotto-agentbench PUBFILE [N>=10]\n");
		return 2;
	}
	if (sotto_pubkey_load(argv[1], pub, NULL, err, sizeof(err)) != 0 ||
	    sotto_agent_open(NULL, &a, err, sizeof(err)) != 0 ||
	    sotto_agent_find(a, pub, 5000, err, sizeof(err)) != 0) {
		fprintf(stderr, "sotto-agentbench: %s\n", err);
		return 1;
	}
	if ((lat = calloc(n, sizeof(*lat))) == NULL ||
	    sotto_ed25519_generate(&local) != 0)
		return 1;
	sotto_random_nonce(msg, sizeof(msg));
	for (i = 0; i < n; i++) {
		t0 = now_us();
		sotto_ed25519_sign(local, msg, sizeof(msg), sig);
		lat[i] = now_us() - t0;
	}
	report("local Ed25519 sign (libgcrypt)", lat, n);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (sotto_agent_sign(a, pub, msg, sizeof(msg), sig, 5000, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "sotto-agentbench: %s\n", err);
			return 1;
		}
		lat[i] = now_us() - t0;
	}
	report("ssh-agent sign round trip", lat, n);
	/* Pipelined, as the client's send path runs: PIPELINE in flight. */
	sotto_agent_nonblock(a);
	t0 = now_us();
	for (got = sent = 0; got < n; ) {
		struct pollfd pfd = { sotto_agent_fd(a), 0, 0 };
		int r;
		while (sent < n && sent - got < PIPELINE) {
			sotto_agent_sign_queue(a, pub, msg, sizeof(msg));
			sent++;
		}
		pfd.events = sotto_agent_want_write(a) ? POLLOUT | POLLIN : POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			return 1;
		if (sotto_agent_want_write(a) && sotto_agent_flush(a, err, sizeof(err)) != 0)
			return 1;
		if ((pfd.revents & POLLIN) && sotto_agent_read(a, err, sizeof(err)) != 0)
			return 1;
		while ((r = sotto_agent_sign_next(a, sig, err, sizeof(err))) == 0)
			got++;
		if (r != SOTTO_E_AGAIN)
			return 1;
	}
	printf("%-34s %8.0f signatures/s  (%u in flight, n=%zu)\n",
	    "ssh-agent pipelined", n / ((now_us() - t0) / 1e6), PIPELINE, n);
	sotto_ed25519_free(local);
	sotto_agent_free(a);
	free(lat);
	return 0;
}

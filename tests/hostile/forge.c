/* SPDX-License-Identifier: ISC */
/* forge.c: writes a well-formed v2 DAT body signed by a fresh, untrusted identity (hostile tests).
 *
 * usage: forge --room NAME --out FILE [--text TEXT] [--count N]
 *
 * The body is made by libsotto's own sealer (sotto_dat2_seal) with a fresh
 * Ed25519 identity, a fresh epoch key and a fresh session, so it is exactly
 * what a real member outside the trusted folder would send: it parses, its
 * signature verifies, and it decrypts under its own group key. A receiver
 * must refuse it as `untrusted-key`, before any signature or decryption
 * work, without ever needing the room's real group key. The tool checks
 * all of that about its output before writing it. With --count N it writes
 * N bodies, each as u32 length || body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frame.h"
#include "pad.h"
#include "proto2.h"
#include "ratchet.h"

#define PROG "forge"
#define DEFAULT_TEXT "forged: this line must never be shown"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
usage(void)
{
	fprintf(stderr, "usage: " PROG " --room NAME --out FILE [--text TEXT] [--count N]\n");
	return 2;
}

/* The body must be one a receiver parses and whose signature verifies:
 * then untrusted-key is the only reason left to refuse it. */
static int
self_check(const uint8_t *room, size_t room_len, const uint8_t *body, size_t len)
{
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_dat2 d;
	int r;

	if ((r = sotto_dat2_parse(body, len, &d)) != 0)
		return r;
	if ((r = sotto_dat2_rx_new(&rx, room, room_len)) != 0)
		return r;
	r = sotto_dat2_verify(rx, &d, body, len);
	sotto_dat2_rx_free(rx);
	return r;
}

static int
forge(FILE *out, const char *room, const char *text, unsigned count)
{
	struct sotto_ed25519 *id = NULL;
	struct sotto_genkey *g = NULL;
	struct sotto_chain *chain = NULL;
	struct sotto_dat2_tx *tx = NULL;
	uint8_t session[SOTTO_JOIN_NONCE], len_be[4];
	const uint8_t *body;
	size_t body_len, room_len = strlen(room);
	unsigned i;
	int r;

	sotto_random_nonce(session, sizeof(session));
	if ((r = sotto_ed25519_generate(&id)) != 0 ||
	    (r = sotto_genkey_generate(&g, 1)) != 0 ||
	    (r = sotto_chain_start(&chain, g, sotto_ed25519_pub(id), session)) != 0 ||
	    (r = sotto_dat2_tx_new(&tx, (const uint8_t *)room, room_len, id,
	        session, 1)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((r = sotto_dat2_seal(tx, chain, now_ms(), SOTTO_CT_TEXT, text,
		    strlen(text), &body, &body_len)) != 0 ||
		    (r = self_check((const uint8_t *)room, room_len, body,
		        body_len)) != 0)
			goto out;
		if (count > 1) {
			sotto_store_be32(len_be, (uint32_t)body_len);
			if (fwrite(len_be, 1, sizeof(len_be), out) != sizeof(len_be)) {
				r = SOTTO_E_IO;
				goto out;
			}
		}
		if (fwrite(body, 1, body_len, out) != body_len) {
			r = SOTTO_E_IO;
			goto out;
		}
	}
out:
	sotto_dat2_tx_free(tx);
	sotto_chain_free(chain);
	sotto_genkey_free(g);
	sotto_ed25519_free(id);
	return r;
}

int
main(int argc, char **argv)
{
	const char *room = NULL, *path = NULL, *text = DEFAULT_TEXT;
	unsigned long count = 1;
	FILE *out;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--room") == 0)
			room = argv[++i];
		else if (strcmp(argv[i], "--out") == 0)
			path = argv[++i];
		else if (strcmp(argv[i], "--text") == 0)
			text = argv[++i];
		else if (strcmp(argv[i], "--count") == 0)
			count = strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (room == NULL || path == NULL || count < 1 || count > 1000)
		return usage();
	if (sotto_room_valid(room) != 0 || strlen(text) > SOTTO_TEXT_MAX) {
		fprintf(stderr, PROG ": bad room \"%s\" or text too long\n", room);
		return 2;
	}
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, PROG ": libgcrypt initialisation failed\n");
		return 1;
	}
	if ((out = fopen(path, "wb")) == NULL) {
		perror(path);
		return 1;
	}
	r = forge(out, room, text, (unsigned)count);
	if (fclose(out) != 0 && r == 0)
		r = SOTTO_E_IO;
	if (r != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, r < -100 ?
		    sotto_verdict_word(r) : sotto_strerror(r));
		remove(path);
		return 1;
	}
	return 0;
}

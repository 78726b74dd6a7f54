/* SPDX-License-Identifier: ISC */
/* keylog_check.c: which captured DATs a member's key log opens: the proof that a departed or removed member cannot read what was sent after the rotation (tests/client/test_membership.py).
 *
 * usage: keylog_check ROOM KEYLOG DAT_BODY_FILE...
 * KEYLOG holds the lines "epoch N key HEX" a test build of the client
 * writes (client/core/keylog.c). Every key is tried on every DAT, under
 * the DAT's own epoch label too (the strongest attempt a holder of those
 * key bytes could make). Prints "opened X of Y" and exits 0; 2 on bad
 * input.
 *
 * usage: keylog_check --dm ROOM KEYLOG TEXT DAT_FILE...
 * Direct messages (docs/protocol.md "Direct messages"): also tries every
 * key of the log, group keys and "dmkey" lines alike, as the pairwise key
 * of each DM (content type 33) inside a DAT it opens, and looks for TEXT
 * in every plaintext it reaches. Prints "keys K opened X of Y inner I
 * text T": I DMs opened, T plaintexts (outer or inner) holding TEXT.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "proto.h"

#define KEYS_MAX 256
#define BODY_MAX (2u * 1024u * 1024u)

static uint8_t keys[KEYS_MAX][SOTTO_GROUP_KEY];
static size_t n_keys;
static const char *dm_text;          /* --dm: the text to look for */
static size_t inner_opened, text_seen;

static int
load_keylog(const char *path)
{
	char line[256], hex[65];
	unsigned epoch, v;
	FILE *f;
	size_t i;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (n_keys < KEYS_MAX && fgets(line, sizeof(line), f) != NULL) {
		if ((sscanf(line, "epoch %u key %64s", &epoch, hex) != 2 &&
		    sscanf(line, "epoch %u dmkey %64s", &epoch, hex) != 2) ||
		    strlen(hex) != 64)
			continue;
		for (i = 0; i < SOTTO_GROUP_KEY; i++) {
			sscanf(hex + 2 * i, "%2x", &v);
			keys[n_keys][i] = (uint8_t)v;
		}
		n_keys++;
	}
	fclose(f);
	return 0;
}

static uint8_t *
read_file(const char *path, size_t *n)
{
	uint8_t *p = malloc(BODY_MAX);
	FILE *f;

	*n = 0;
	if (p == NULL || (f = fopen(path, "rb")) == NULL) {
		free(p);
		return NULL;
	}
	*n = fread(p, 1, BODY_MAX, f);
	fclose(f);
	return p;
}

static bool
has_text(const uint8_t *p, size_t n)
{
	size_t t = strlen(dm_text);

	for (size_t i = 0; t > 0 && i + t <= n; i++)
		if (memcmp(p + i, dm_text, t) == 0)
			return true;
	return false;
}

/* An opened DAT's plaintext: the text in it, and, for a DM, whether any
 * logged key opens the inner seal (and the text in that). */
static void
look_inside(const uint8_t *room, size_t room_len, const struct sotto_dat *d,
    uint8_t ct, const uint8_t *body, size_t n)
{
	struct sotto_dm_outer o = { room, room_len, d->id_pub, d->session,
	    d->epoch, d->counter, d->ts_ms };
	struct sotto_wbuf pt;
	const uint8_t *text;
	struct sotto_dm dm;
	uint8_t type;
	size_t tn;

	text_seen += has_text(body, n);
	if (ct != SOTTO_CT_DM || sotto_dm_parse(body, n, &dm) != 0)
		return;
	sotto_wbuf_init_secure(&pt, SOTTO_DM_CT_MAX);
	for (size_t i = 0; i < n_keys; i++)
		if (sotto_dm_open(&dm, keys[i], &o, &pt, &type, &text, &tn) == 0) {
			inner_opened++;
			text_seen += has_text(text, tn);
			break;
		}
	sotto_wbuf_free(&pt);
}

/* Whether any logged key opens this DAT. */
static int
opens(const uint8_t *room, size_t room_len, const uint8_t *body, size_t len)
{
	struct sotto_dat_rx *rx = NULL;
	struct sotto_dat d;
	size_t i;
	int hit = 0;

	if (sotto_dat_parse(body, len, &d) != 0 ||
	    sotto_dat_rx_new(&rx, room, room_len) != 0)
		return 0;
	for (i = 0; i < n_keys && !hit; i++) {
		struct sotto_dat_peer p = { .epoch = d.epoch };
		struct sotto_group *g = NULL;
		const uint8_t *text;
		size_t tn;
		uint8_t ct;

		if (sotto_dat_verify(rx, &d, body, len) != 0 ||
		    sotto_group_from(&g, keys[i], d.epoch) != 0 ||
		    sotto_dat_subkey(&p.aead, g, d.id_pub, d.session) != 0) {
			sotto_group_free(g);
			continue;
		}
		hit = sotto_dat_open(rx, &d, body, len, &p, &ct, &text, &tn) == 0;
		if (hit && dm_text != NULL)
			look_inside(room, room_len, &d, ct, text, tn);
		sotto_aead_free(p.aead);
		sotto_group_free(g);
	}
	sotto_dat_rx_free(rx);
	return hit;
}

int
main(int argc, char **argv)
{
	size_t room_len, len, opened = 0;
	const char *room, *log;
	uint8_t *body;
	int i, first = 3;

	if (argc > 1 && strcmp(argv[1], "--dm") == 0) {
		if (argc < 5) {
			fprintf(stderr, "usage: keylog_check --dm ROOM KEYLOG TEXT DAT_FILE...\n");
			return 2;
		}
		argv++;
		argc--;
		dm_text = argv[3];
		first = 4;
	}
	room = argc > 1 ? argv[1] : "";
	log = argc > 2 ? argv[2] : "";
	if (argc < first || (room_len = strlen(room)) == 0 || room_len > 64) {
		fprintf(stderr, "usage: keylog_check ROOM KEYLOG DAT_FILE...\n");
		return 2;
	}
	if (sotto_crypto_init() != 0 || load_keylog(log) != 0) {
		fprintf(stderr, "keylog_check: cannot read %s\n", log);
		return 2;
	}
	for (i = first; i < argc; i++) {
		if ((body = read_file(argv[i], &len)) == NULL) {
			fprintf(stderr, "keylog_check: cannot read %s\n", argv[i]);
			return 2;
		}
		opened += opens((const uint8_t *)room, room_len, body, len);
		free(body);
	}
	printf("keys %zu opened %zu of %d", n_keys, opened, argc - first);
	if (dm_text != NULL)
		printf(" inner %zu text %zu", inner_opened, text_seen);
	printf("\n");
	return 0;
}

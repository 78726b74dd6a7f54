/* SPDX-License-Identifier: ISC */
/* keylog_check.c: which captured v2 DATs a member's key log opens: the proof that a departed or removed member, a newcomer, or a memory dump cannot read what it must not (tests/client/test_membership.py).
 *
 * usage: keylog_check ROOM KEYLOG DAT_BODY_FILE...
 * KEYLOG holds the lines a test build of the client writes
 * (client/core/keylog.c): "gk EPOCH GEN KEY" (a generation key), "ck
 * EPOCH GEN INDEX ID SESSION CK" (a sender chain at its next index) and
 * "epoch EPOCH dmkey KEY" (a pairwise key of a direct message).
 * Every DAT is tried with the strongest attempt a holder of those bytes
 * could make: each generation key of its epoch at or below its generation,
 * stepped forward to it, starting the sender's chain and stepping it to
 * the DAT's index; and each chain of its sender session, epoch and
 * generation at or below its index. Prints "keys K opened X of Y" and
 * exits 0; 2 on bad input.
 *
 * usage: keylog_check --dm ROOM KEYLOG TEXT DAT_FILE...
 * Direct messages (docs/protocol.md "Direct messages"): also tries every
 * key of the log, group keys, chain keys and "dmkey" lines alike, as the
 * pairwise key of each DM (content type 33) inside a DAT it opens, and
 * looks for TEXT in every plaintext it reaches. Prints "keys K opened X of
 * Y inner I text T": I DMs opened, T plaintexts (outer or inner) holding
 * TEXT.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "proto2.h"
#include "ratchet.h"

#define KEYS_MAX 100000
#define BODY_MAX (2u * 1024u * 1024u)

struct logged {
	int      chain;                          /* ck line, else gk */
	uint32_t epoch, gen, index;
	uint8_t  key[SOTTO_GROUP_KEY];
	uint8_t  id_pub[SOTTO_ED25519_PUB];
	uint8_t  session[SOTTO_JOIN_NONCE];
};

static struct logged *keys;
static size_t n_keys;
static const char *dm_text;          /* --dm: the text to look for */
static size_t inner_opened, text_seen;

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	unsigned v;
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
cmp_logged(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct logged));
}

/* The log is appended at every change: the same key many times. */
static void
dedupe(void)
{
	size_t i, n = 0;

	qsort(keys, n_keys, sizeof(*keys), cmp_logged);
	for (i = 0; i < n_keys; i++)
		if (n == 0 || cmp_logged(&keys[n - 1], &keys[i]) != 0)
			keys[n++] = keys[i];
	n_keys = n;
}

static int
load_keylog(const char *path)
{
	char line[512], a[160], b[160], k[160];
	unsigned e, g, i;
	struct logged *l;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if ((keys = calloc(KEYS_MAX, sizeof(*keys))) == NULL) {
		fclose(f);
		return -1;
	}
	while (n_keys < KEYS_MAX && fgets(line, sizeof(line), f) != NULL) {
		l = &keys[n_keys];
		if (sscanf(line, "gk %u %u %64s", &e, &g, k) == 3 &&
		    unhex(k, l->key, SOTTO_GROUP_KEY) == 0) {
			l->chain = 0;
		} else if (sscanf(line, "ck %u %u %u %64s %64s %64s", &e, &g, &i, a,
		    b, k) == 6 && unhex(a, l->id_pub, SOTTO_ED25519_PUB) == 0 &&
		    unhex(b, l->session, SOTTO_JOIN_NONCE) == 0 &&
		    unhex(k, l->key, SOTTO_CHAIN_KEY) == 0) {
			l->chain = 1;
			l->index = i;
		} else if (sscanf(line, "epoch %u dmkey %64s", &e, k) == 2 &&
		    unhex(k, l->key, SOTTO_GROUP_KEY) == 0) {
			l->chain = 2;
			g = 0;
		} else
			continue;
		l->epoch = e;
		l->gen = g;
		n_keys++;
	}
	fclose(f);
	dedupe();
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
 * logged key opens the inner seal (and the text in that). The inner seal
 * binds the outer DAT's room, sender, session, epoch, counter and time. */
static void
look_inside(const uint8_t *room, size_t room_len, const struct sotto_dat2 *d,
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
	sotto_wbuf_init_secure(&pt, SOTTO_DM_INNER_MAX);
	for (size_t i = 0; i < n_keys; i++)
		if (sotto_dm_open(&dm, keys[i].key, &o, &pt, &type, &text, &tn) == 0) {
			inner_opened++;
			text_seen += has_text(text, tn);
			break;
		}
	sotto_wbuf_free(&pt);
}

/* The chain logged entry l gives for d's sender, or NULL. */
static struct sotto_chain *
chain_for(const struct logged *l, const struct sotto_dat2 *d)
{
	struct sotto_genkey *g = NULL;
	struct sotto_chain *ch = NULL;

	if (l->chain == 2 || l->epoch != d->epoch || l->gen > d->gen)
		return NULL;
	if (l->chain) {
		if (l->gen != d->gen || l->index > d->index ||
		    memcmp(l->id_pub, d->id_pub, SOTTO_ED25519_PUB) != 0 ||
		    memcmp(l->session, d->session, SOTTO_JOIN_NONCE) != 0 ||
		    sotto_chain_from(&ch, l->key, l->id_pub, l->session, l->epoch,
		    l->gen, l->index) != 0)
			return NULL;
		return ch;
	}
	/* A generation key reaches every later generation (up to the
	 * receiver's bound; the attempt here has none). */
	if (sotto_genkey_new(&g, l->key, l->epoch, l->gen) != 0)
		return NULL;
	while (g->gen < d->gen)
		if (sotto_genkey_advance(g, d->gen - g->gen > SOTTO_GEN_JUMP_MAX ?
		    g->gen + SOTTO_GEN_JUMP_MAX : d->gen) != 0)
			break;
	if (g->gen == d->gen)
		(void)sotto_chain_start(&ch, g, d->id_pub, d->session);
	sotto_genkey_free(g);
	return ch;
}

/* Whether any logged key opens this DAT. */
static int
opens(const uint8_t *room, size_t room_len, const uint8_t *body, size_t len)
{
	struct sotto_dat2_rx *rx = NULL;
	struct sotto_dat2 d;
	size_t i;
	int hit = 0;

	if (sotto_dat2_parse(body, len, &d) != 0 ||
	    sotto_dat2_rx_new(&rx, room, room_len) != 0)
		return 0;
	/* Once: the opens below read the signature input it leaves in rx. */
	if (sotto_dat2_verify(rx, &d, body, len) != 0) {
		sotto_dat2_rx_free(rx);
		return 0;
	}
	for (i = 0; i < n_keys && !hit; i++) {
		struct sotto_replay p = { 0, 0, 0 };
		struct sotto_chain *ch;
		const uint8_t *text;
		size_t tn;
		uint8_t ct;

		if ((ch = chain_for(&keys[i], &d)) == NULL)
			continue;
		/* Far ahead of a chain: step it close first (no skip bound
		 * for the attacker). */
		while (d.index - ch->index > SOTTO_CHAIN_SKIP_MAX) {
			uint8_t mk[SOTTO_GROUP_KEY];
			uint32_t idx;

			if (sotto_chain_next(ch, &idx, mk) != 0)
				break;
		}
		hit = sotto_dat2_open(rx, &d, body, len, ch, &p, &ct, &text,
		    &tn) == 0;
		if (hit && dm_text != NULL)
			look_inside(room, room_len, &d, ct, text, tn);
		sotto_chain_free(ch);
	}
	sotto_dat2_rx_free(rx);
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
	free(keys);
	return 0;
}

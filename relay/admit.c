/* SPDX-License-Identifier: ISC */
/* admit.c: --trusted: admit a connection only with a fresh, trusted, never-replayed first INI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "admit.h"
#include "err.h"
#include "frame.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"
#include "trust.h"
#include "wire.h"

#include "hash.h"

/* A nonce is kept until no INI carrying it can be fresh any more: its
 * timestamp is within +-window of the clock at admission, so twice the
 * window from admission covers it. */
#define ADMIT_KEEP_MS  (2ull * SOTTO_INI_WINDOW_MS)

struct seen {
	UT_hash_handle       hh;
	STAILQ_ENTRY(seen)   link;      /* admission order = expiry order */
	uint64_t             until_ms;
	uint8_t              nonce[SOTTO_JOIN_NONCE];
};

struct admit {
	struct sotto_trust  *trust;
	struct seen         *by_nonce;
	STAILQ_HEAD(, seen)  fifo;
	size_t               n;
	size_t               max;
};

int admit_new(struct admit **out, const char *dir, size_t max_nonces,
    char *err, size_t err_len)
{
	struct admit *a;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (sotto_trust_load(dir, &a->trust, err, err_len) != 0) {
		free(a);
		return -1;
	}
	STAILQ_INIT(&a->fifo);
	a->max = max_nonces;
	*out = a;
	return 0;
}

static void seen_drop(struct admit *a, struct seen *s)
{
	HASH_DELETE(hh, a->by_nonce, s);
	STAILQ_REMOVE_HEAD(&a->fifo, link);
	a->n--;
	free(s);
}

void admit_free(struct admit *a)
{
	struct seen *s;

	if (a == NULL)
		return;
	while ((s = STAILQ_FIRST(&a->fifo)) != NULL)
		seen_drop(a, s);
	sotto_trust_free(a->trust);
	free(a);
}

size_t admit_keys(const struct admit *a)
{
	return a->trust->n;
}

static void seen_expire(struct admit *a, uint64_t now_ms)
{
	struct seen *s;

	while ((s = STAILQ_FIRST(&a->fifo)) != NULL && s->until_ms <= now_ms)
		seen_drop(a, s);
}

/* Remember the nonce; -1 when it was admitted before or cannot be kept. */
static int seen_add(struct admit *a, const uint8_t nonce[static SOTTO_JOIN_NONCE],
    uint64_t now_ms, char *why, size_t why_len)
{
	struct seen *s;

	seen_expire(a, now_ms);
	HASH_FIND(hh, a->by_nonce, nonce, SOTTO_JOIN_NONCE, s);
	if (s != NULL) {
		snprintf(why, why_len, "replayed INI: its nonce was admitted before");
		return -1;
	}
	/* Forgetting a nonce early would reopen a replay: refuse instead. */
	if (a->n >= a->max || (s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, why_len, "too many admissions in the last %llu s "
		    "to remember (%zu)", ADMIT_KEEP_MS / 1000, a->n);
		return -1;
	}
	memcpy(s->nonce, nonce, SOTTO_JOIN_NONCE);
	s->until_ms = now_ms + ADMIT_KEEP_MS;
	sotto_hash_oom = 0;
	HASH_ADD(hh, a->by_nonce, nonce, SOTTO_JOIN_NONCE, s);
	if (sotto_hash_oom) {
		free(s);
		snprintf(why, why_len, "out of memory remembering its nonce");
		return -1;
	}
	STAILQ_INSERT_TAIL(&a->fifo, s, link);
	a->n++;
	return 0;
}

/* The one line for a refusal; id_pub/ts_ms from the parsed INI (v1 or
 * v2), id_pub NULL when it did not parse. */
static void verdict_why(int v, const uint8_t *id_pub, uint64_t ts_ms,
    uint64_t now_ms, char *why, size_t why_len)
{
	char fpr[SOTTO_FPR_STR_LEN];

	if (v == SOTTO_V_MALFORMED || id_pub == NULL) {
		snprintf(why, why_len, "not a well-formed member INI");
		return;
	}
	sotto_fingerprint_str(id_pub, fpr);
	switch (v) {
	case SOTTO_V_UNTRUSTED:
		snprintf(why, why_len, "key %s is not in --trusted", fpr);
		break;
	case SOTTO_V_BADSIG:
		snprintf(why, why_len, "bad signature for key %s", fpr);
		break;
	case SOTTO_V_NEWER:
		snprintf(why, why_len, "INI of key %s is of a newer protocol "
		    "version than this relay checks", fpr);
		break;
	case SOTTO_V_STALE:
		snprintf(why, why_len, "INI of key %s is stale: signed %+.0f s "
		    "from the relay's clock (window +-%u s)", fpr,
		    ((double)ts_ms - (double)now_ms) / 1000.0,
		    SOTTO_INI_WINDOW_MS / 1000);
		break;
	default:
		snprintf(why, why_len, "INI of key %s refused (%s)", fpr,
		    sotto_verdict_word(v) != NULL ? sotto_verdict_word(v) :
		    sotto_strerror(v));
		break;
	}
}

/* A v2 INI (docs/protocol.md "v2: versions"): the same checks in v2's
 * order (parse, key in the folder, then signature and freshness). A
 * newer peer's INI (version above 2, unknown flags) cannot have its
 * signature checked and is not admitted. */
static int admit_v2(struct admit *a, const uint8_t *body, size_t len,
    const uint8_t *room, size_t room_len, uint64_t now_ms, char *why,
    size_t why_len)
{
	const struct sotto_peer *peer;
	struct sotto_ini2 ini;
	int v;

	memset(&ini, 0, sizeof(ini));
	if ((v = sotto_ini2_check(body, len, room, room_len, a->trust, &ini,
	    &peer)) != 0 ||
	    (v = sotto_ini2_finish(&ini, body, len, now_ms, 0)) != 0) {
		verdict_why(v, ini.id_pub, ini.ts_ms, now_ms, why, why_len);
		return -1;
	}
	return seen_add(a, ini.nonce, now_ms, why, why_len);
}

int admit_check(struct admit *a, const uint8_t *body, size_t len,
    uint64_t now_ms, char *why, size_t why_len)
{
	const struct sotto_peer *peer;
	const uint8_t *room;
	size_t room_len, prefix_len;
	struct sotto_ini ini;
	int v;

	memset(&ini, 0, sizeof(ini));
	if (sotto_room_parse(body, len, &room, &room_len, &prefix_len) != 0) {
		snprintf(why, why_len, "not a well-formed member INI");
		return -1;
	}
	/* v1 has flags (0 or 1) where v2 has its version byte (>= 2). */
	if (prefix_len < len && body[prefix_len] >= SOTTO_BODY_V2)
		return admit_v2(a, body, len, room, room_len, now_ms, why, why_len);
	if ((v = sotto_ini_accept(body, len, room, room_len, a->trust, now_ms,
	    0, &ini, &peer)) != 0) {
		verdict_why(v, ini.id_pub, ini.ts_ms, now_ms, why, why_len);
		return -1;
	}
	return seen_add(a, ini.nonce, now_ms, why, why_len);
}

/* SPDX-License-Identifier: ISC */
/* rsess.c: remote sender sessions (Ed25519 key and join nonce): replay state and cached subkeys, kept across connections, bounded; and the watermarks a newcomer gets from them. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "hash.h"

static void
rsess_free(struct client *c, struct rsess *s)
{
	HASH_DEL(c->rsess, s);
	c->n_rsess--;
	free(s);
}

/* Drop the least recently used unreferenced session (bounded table). */
static void
rsess_evict(struct client *c)
{
	struct rsess *s, *tmp, *old = NULL;

	HASH_ITER(hh, c->rsess, s, tmp)
		if (s->refs == 0 && (old == NULL || s->used < old->used))
			old = s;
	if (old != NULL)
		rsess_free(c, old);
}

struct rsess *
rsess_get(struct client *c, const uint8_t *pub, const uint8_t *nonce, bool create)
{
	uint8_t key[SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE];
	struct rsess *s;

	memcpy(key, pub, SOTTO_ED25519_PUB);
	memcpy(key + SOTTO_ED25519_PUB, nonce, SOTTO_JOIN_NONCE);
	HASH_FIND(hh, c->rsess, key, sizeof(key), s);
	if (s == NULL && create) {
		if (c->n_rsess >= CORE_RSESS_MAX)
			rsess_evict(c);
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		memcpy(s->key, key, sizeof(key));
		/* Until a watermark or a join after ours vouches for it, a
		 * session's DATs must be signed after our own join. */
		s->rp.min_ts_ms = core_min_ts(c);
		sotto_hash_oom = 0;
		HASH_ADD(hh, c->rsess, key, sizeof(s->key), s);
		if (sotto_hash_oom) {
			free(s);
			return NULL;
		}
		c->n_rsess++;
	}
	if (s != NULL)
		s->used = ++c->lru;
	return s;
}

void
rsess_ref(struct rsess *s, struct member *m)
{
	m->rsess = s;
	s->refs++;
}

void
rsess_unref(struct member *m)
{
	if (m->rsess == NULL)
		return;
	m->rsess->refs--;
	m->rsess = NULL;
}

void
rsess_free_all(struct client *c)
{
	struct rsess *s, *tmp;

	HASH_ITER(hh, c->rsess, s, tmp)
		rsess_free(c, s);
}

/* --- watermarks ---------------------------------------------------------- */

static int
by_recent(struct rsess *a, struct rsess *b)
{
	return a->used > b->used ? -1 : a->used < b->used;
}

/* What every sender session we know has sent so far: the newcomer m must
 * treat anything below as from before its join. Taken when m's join INI
 * is processed; at most SOTTO_MARKS_MAX, the most recently active first. */
int
rsess_marks(struct client *c, struct member *m)
{
	struct sotto_mark *marks;
	struct rsess *s;
	size_t n = 0;

	free(m->marks);
	m->marks = NULL;
	m->n_marks = 0;
	if ((marks = calloc(SOTTO_MARKS_MAX, sizeof(*marks))) == NULL)
		return SOTTO_E_ALLOC;
	if (c->tx_next > 1) {
		memcpy(marks[n].id_pub, c->pub, SOTTO_ED25519_PUB);
		memcpy(marks[n].session, c->nonce, SOTTO_JOIN_NONCE);
		marks[n].next = c->tx_next;
		n++;
	}
	HASH_SORT(c->rsess, by_recent);
	for (s = c->rsess; s != NULL && n < SOTTO_MARKS_MAX; s = s->hh.next) {
		/* A floor we were given ourselves is passed on too: a session
		 * we never heard from directly is no less in the past. */
		if (s->rp.highest == 0 && s->rp.floor == 0)
			continue;
		memcpy(marks[n].id_pub, s->key, SOTTO_ED25519_PUB);
		memcpy(marks[n].session, s->key + SOTTO_ED25519_PUB, SOTTO_JOIN_NONCE);
		marks[n].next = s->rp.highest + 1 > s->rp.floor ?
		    s->rp.highest + 1 : s->rp.floor;
		n++;
	}
	if (n == 0) {
		free(marks);
		return 0;
	}
	/* Keep only what is used: a newcomer's record may live long. */
	if ((m->marks = malloc(n * sizeof(*marks))) == NULL) {
		free(marks);
		return SOTTO_E_ALLOC;
	}
	memcpy(m->marks, marks, n * sizeof(*marks));
	free(marks);
	m->n_marks = n;
	return 0;
}

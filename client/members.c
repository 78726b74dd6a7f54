/* members.c: the room's members (by relay id, per connection) and the remote sender sessions (by key and nonce, kept across connections). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "trust.h"

/* --- members ------------------------------------------------------------- */

struct member *
members_get(struct client *c, uint32_t id, bool create)
{
	struct member *m;

	HASH_FIND(hh, c->members, &id, sizeof(id), m);
	if (m != NULL || !create)
		return m;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->id = id;
	HASH_ADD(hh, c->members, id, sizeof(m->id), m);
	return m;
}

void
members_del(struct client *c, struct member *m)
{
	HASH_DEL(c->members, m);
	sess_unref(c, m);
	free(m->name);
	free(m->away);
	free(m->marks);
	free(m);
}

void
members_clear(struct client *c)
{
	struct member *m, *tmp;

	HASH_ITER(hh, c->members, m, tmp)
		members_del(c, m);
}

size_t
members_count(const struct client *c)
{
	return HASH_COUNT(c->members);
}

int
members_set_peer(struct member *m, const struct sotto_peer *p)
{
	char *name;

	if (m->name == NULL || strcmp(m->name, p->name) != 0) {
		if ((name = strdup(p->name)) == NULL)
			return SOTTO_E_ALLOC;
		free(m->name);
		m->name = name;
	}
	memcpy(m->pub, p->pub, sizeof(m->pub));
	memcpy(m->fpr, p->fpr_str, sizeof(m->fpr));
	return 0;
}

/* Self first, then the members shown to the front-end, by id. */
static int
by_id(struct member *a, struct member *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Entries of the list being built, by identity key. */
struct by_key {
	const uint8_t  *pub;
	size_t          i;
	UT_hash_handle  hh;
};

/* One entry per identity, with the count of its sessions. */
static int
list_add(struct client_member *l, size_t *n, struct by_key **keys,
    struct by_key *slot, const uint8_t *pub, const char *name,
    const char *fpr, const char *away, bool self)
{
	struct by_key *k;

	HASH_FIND(hh, *keys, pub, SOTTO_ED25519_PUB, k);
	if (k != NULL) {
		l[k->i].sessions++;
		if (l[k->i].away == NULL)
			l[k->i].away = away;
		return 0;
	}
	slot->pub = pub;
	slot->i = *n;
	HASH_ADD_KEYPTR(hh, *keys, slot->pub, SOTTO_ED25519_PUB, slot);
	l[*n].name = name;
	l[*n].fpr = fpr;
	l[*n].self = self;
	l[*n].sessions = 1;
	l[*n].away = away;
	(*n)++;
	return 1;
}

struct client_member *
members_list(struct client *c, size_t *n)
{
	struct by_key *keys = NULL, *slots;
	struct client_member *l;
	struct member *m;
	size_t i = 0, used = 0;

	*n = 0;
	if ((l = calloc(members_count(c) + 1, sizeof(*l))) == NULL)
		return NULL;
	if ((slots = calloc(members_count(c) + 1, sizeof(*slots))) == NULL) {
		free(l);
		return NULL;
	}
	used += (size_t)list_add(l, &i, &keys, &slots[used],
	    sotto_ed25519_pub(c->id), c->self_name, c->fpr_str, NULL, true);
	HASH_SORT(c->members, by_id);
	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->shown)
			used += (size_t)list_add(l, &i, &keys, &slots[used], m->pub,
			    m->name, m->fpr, m->away, false);
	HASH_CLEAR(hh, keys);
	free(slots);
	*n = i;
	return l;
}

void
members_list_free(struct client_member *l, size_t n)
{
	(void)n;
	free(l);
}

/* --- sessions ------------------------------------------------------------ */

static void
rsess_free(struct client *c, struct rsess *s)
{
	HASH_DEL(c->sessions, s);
	c->n_sessions--;
	sotto_aead_free(s->dp.aead);
	free(s);
}

/* Drop the least recently used unreferenced session (bounded table). */
static void
sessions_evict(struct client *c)
{
	struct rsess *s, *tmp, *old = NULL;

	HASH_ITER(hh, c->sessions, s, tmp)
		if (s->refs == 0 && (old == NULL || s->used < old->used))
			old = s;
	if (old != NULL)
		rsess_free(c, old);
}

struct rsess *
sess_get(struct client *c, const uint8_t *pub, const uint8_t *nonce, bool create)
{
	uint8_t key[SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE];
	struct rsess *s;

	memcpy(key, pub, SOTTO_ED25519_PUB);
	memcpy(key + SOTTO_ED25519_PUB, nonce, SOTTO_JOIN_NONCE);
	HASH_FIND(hh, c->sessions, key, sizeof(key), s);
	if (s == NULL && create) {
		if (c->n_sessions >= CORE_SESS_MAX)
			sessions_evict(c);
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		memcpy(s->key, key, sizeof(key));
		/* Until a watermark or a join after ours vouches for it, a
		 * session's DATs must be signed after our own join. */
		s->dp.min_ts_ms = core_min_ts(c);
		HASH_ADD(hh, c->sessions, key, sizeof(s->key), s);
		c->n_sessions++;
	}
	if (s != NULL)
		s->used = ++c->lru;
	return s;
}

void
sess_ref(struct rsess *s, struct member *m)
{
	m->sess = s;
	s->refs++;
}

void
sess_unref(struct client *c, struct member *m)
{
	(void)c;
	if (m->sess == NULL)
		return;
	m->sess->refs--;
	m->sess = NULL;
}

void
sessions_free(struct client *c)
{
	struct rsess *s, *tmp;

	HASH_ITER(hh, c->sessions, s, tmp)
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
members_snapshot(struct client *c, struct member *m)
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
		memcpy(marks[n].id_pub, sotto_ed25519_pub(c->id), SOTTO_ED25519_PUB);
		memcpy(marks[n].session, c->nonce, SOTTO_JOIN_NONCE);
		marks[n].next = c->tx_next;
		n++;
	}
	HASH_SORT(c->sessions, by_recent);
	for (s = c->sessions; s != NULL && n < SOTTO_MARKS_MAX; s = s->hh.next) {
		if (s->dp.highest == 0)
			continue;
		memcpy(marks[n].id_pub, s->key, SOTTO_ED25519_PUB);
		memcpy(marks[n].session, s->key + SOTTO_ED25519_PUB, SOTTO_JOIN_NONCE);
		marks[n].next = s->dp.highest + 1;
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

/* SPDX-License-Identifier: ISC */
/* members.c: the room's members on this connection, by relay member id. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "hash.h"
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
	sotto_hash_oom = 0;
	HASH_ADD(hh, c->members, id, sizeof(m->id), m);
	if (sotto_hash_oom) {
		free(m);
		return NULL;
	}
	return m;
}

/* Out of the table at once; freed at the end of the loop turn, as a
 * caller up the stack may still hold m (core.h, "Re-entrancy"). */
void
members_del(struct client *c, struct member *m)
{
	if (m->dead)
		return;
	HASH_DEL(c->members, m);
	rsess_unref(m);
	if (m->known)
		dm_session_end(c, m->pub, m->nonce);
	m->dead = true;
	m->dead_next = c->dead;
	c->dead = m;
	core_defer(c);
}

void
members_reap(struct client *c)
{
	struct member *m;

	while ((m = c->dead) != NULL) {
		c->dead = m->dead_next;
		free(m->name);
		free(m->away);
		free(m->marks);
		sotto_chain_free(m->own_at_join);
		free(m);
	}
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

/* One entry per identity, with the count of its sessions. 1 when slot was
 * used for a new entry, 0 when an entry grew, -1 out of memory. */
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
	sotto_hash_oom = 0;
	HASH_ADD_KEYPTR(hh, *keys, slot->pub, SOTTO_ED25519_PUB, slot);
	if (sotto_hash_oom)
		return -1;
	l[*n].name = name;
	l[*n].fpr = fpr;
	l[*n].self = self;
	l[*n].sessions = 1;
	l[*n].away = away;
	(*n)++;
	return 1;
}

/* Self first, then the members shown to the front-end, by id; one entry
 * per identity (several sessions of one key are one member). */
struct client_member *
members_list(struct client *c, size_t *n)
{
	struct by_key *keys = NULL, *slots;
	struct client_member *l;
	struct member *m;
	size_t i = 0, used = 0;
	int r;

	*n = 0;
	if ((l = calloc(members_count(c) + 1, sizeof(*l))) == NULL)
		return NULL;
	if ((slots = calloc(members_count(c) + 1, sizeof(*slots))) == NULL) {
		free(l);
		return NULL;
	}
	r = list_add(l, &i, &keys, &slots[used], c->pub,
	    c->self_name, c->fpr_str, NULL, true);
	used += r > 0;
	HASH_SORT(c->members, by_id);
	for (m = c->members; m != NULL && r >= 0; m = m->hh.next)
		if (m->shown) {
			r = list_add(l, &i, &keys, &slots[used], m->pub, m->name,
			    m->fpr, m->away, false);
			used += r > 0;
		}
	HASH_CLEAR(hh, keys);
	free(slots);
	if (r < 0) {
		free(l);
		return NULL;
	}
	*n = i;
	return l;
}

void
members_list_free(struct client_member *l, size_t n)
{
	(void)n;
	free(l);
}

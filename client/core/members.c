/* members.c: the room's members on this connection, by relay member id. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
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

void
members_del(struct client *c, struct member *m)
{
	HASH_DEL(c->members, m);
	rsess_unref(m);
	free(m->name);
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

struct client_member *
members_list(struct client *c, size_t *n)
{
	struct client_member *l;
	struct member *m;
	size_t i = 0;

	*n = 0;
	if ((l = calloc(members_count(c) + 1, sizeof(*l))) == NULL)
		return NULL;
	l[i].name = c->self_name;
	l[i].fpr = c->fpr_str;
	l[i].self = true;
	i++;
	HASH_SORT(c->members, by_id);
	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->shown) {
			l[i].name = m->name;
			l[i].fpr = m->fpr;
			i++;
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

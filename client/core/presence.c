/* SPDX-License-Identifier: ISC */
/* presence.c: the room as people see it: one identity with several sessions is one member, untrusted readers present are tracked, key hand-overs are announced and noted (docs/protocol.md "Untrusted readers"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "hash.h"
#include "trust.h"

/* --- sessions of one identity --------------------------------------------- */

/* Other members shown with the same key as m (its other sessions). */
size_t
presence_other_sessions(const struct client *c, const struct member *m)
{
	const struct member *o;
	size_t n = 0;

	for (o = c->members; o != NULL; o = o->hh.next)
		if (o != m && o->shown &&
		    memcmp(o->pub, m->pub, SOTTO_ED25519_PUB) == 0)
			n++;
	return n;
}

/* --- untrusted readers ----------------------------------------------------- */

static struct untrusted *
untrusted_get(struct client *c, uint32_t id)
{
	struct untrusted *u;

	HASH_FIND(hh, c->untrusted, &id, sizeof(id), u);
	return u;
}

/* Member ids present with this key. */
static size_t
untrusted_sessions(const struct client *c, const uint8_t *pub)
{
	const struct untrusted *u;
	size_t n = 0;

	for (u = c->untrusted; u != NULL; u = u->hh.next)
		if (u->genuine && memcmp(u->pub, pub, SOTTO_ED25519_PUB) == 0)
			n++;
	return n;
}

static void
emit_untrusted(struct client *c, enum client_event_type type,
    const struct untrusted *u)
{
	struct client_event ev = { .type = type, .untrusted = { .fpr = u->fpr } };

	ev.untrusted.sessions = (unsigned)untrusted_sessions(c, u->pub);
	core_emit(c, &ev);
}

/* Is this untrusted INI really from its key, for our room, recent? Only
 * then is its sender worth a warning; a bad one is just dropped. */
static bool
untrusted_ini_genuine(const struct client *c, const uint8_t *body, size_t len,
    const struct sotto_ini2 *ini)
{
	if (ini->room_len != c->room_len ||
	    memcmp(ini->room, c->room, c->room_len) != 0)
		return false;
	/* signature, then ts within now +- SOTTO_INI_WINDOW_MS */
	return sotto_ini2_finish(ini, body, len, core_now_ms(), 0) == 0;
}

/* An INI refused as untrusted-key (already reported): the first from each
 * member id is checked like a trusted one and, when genuine, its sender is
 * recorded as an untrusted reader until the relay says it left. An id
 * whose first INI was not genuine is remembered too (not as a reader), so
 * a flood of bad INIs from one id costs one signature check, as before
 * this check existed frames from unknown keys cost none. */
void
presence_untrusted_ini(struct client *c, uint32_t from, const uint8_t *body,
    size_t len)
{
	struct sotto_ini2 ini;
	struct untrusted *u;
	bool first;

	if (from == 0 || from == c->self_id || untrusted_get(c, from) != NULL)
		return;
	if (c->n_untrusted >= CORE_UNTRUSTED_MAX) {
		c->untrusted_over++;
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return;
	u->id = from;
	u->genuine = sotto_ini2_parse(body, len, &ini) == 0 &&
	    untrusted_ini_genuine(c, body, len, &ini);
	if (u->genuine) {
		memcpy(u->pub, ini.id_pub, SOTTO_ED25519_PUB);
		sotto_fingerprint_str(ini.id_pub, u->fpr);
	}
	first = u->genuine && untrusted_sessions(c, u->pub) == 0;
	sotto_hash_oom = 0;
	HASH_ADD(hh, c->untrusted, id, sizeof(u->id), u);
	if (sotto_hash_oom) {
		free(u);
		return;
	}
	c->n_untrusted++;
	c->n_readers += u->genuine;
	if (first)
		emit_untrusted(c, CLIENT_EV_UNTRUSTED_JOINED, u);
}

static void
untrusted_del(struct client *c, struct untrusted *u, bool tell)
{
	HASH_DEL(c->untrusted, u);
	c->n_untrusted--;
	c->n_readers -= u->genuine;
	if (tell && u->genuine && untrusted_sessions(c, u->pub) == 0)
		emit_untrusted(c, CLIENT_EV_UNTRUSTED_LEFT, u);
	free(u);
}

/* The relay's LEFT for a member id. */
void
presence_left(struct client *c, uint32_t id)
{
	struct untrusted *u = untrusted_get(c, id);

	if (u != NULL)
		untrusted_del(c, u, true);
}

/* A reconnect (nothing is known about the new room yet), or the end. */
void
presence_clear(struct client *c, bool tell)
{
	struct untrusted *u, *tmp;

	HASH_ITER(hh, c->untrusted, u, tmp)
		untrusted_del(c, u, tell);
	c->untrusted_over = 0;
}

/* After /reload: a key now trusted is a member, not a reader. The entries
 * leave the table before anyone is told, so a front-end that reloads again
 * from inside the event finds a table it can walk. */
void
presence_retrust(struct client *c)
{
	struct untrusted *u, *tmp, *gone = NULL;

	HASH_ITER(hh, c->untrusted, u, tmp) {
		if (!u->genuine || sotto_trust_find(c->trust, u->pub) == NULL)
			continue;
		HASH_DEL(c->untrusted, u);
		c->n_untrusted--;
		c->n_readers--;
		u->hh.next = gone;
		gone = u;
	}
	while ((u = gone) != NULL) {
		struct untrusted *v;

		gone = u->hh.next;
		/* Once per key: its last session in the list tells. */
		for (v = gone; v != NULL; v = v->hh.next)
			if (memcmp(v->pub, u->pub, SOTTO_ED25519_PUB) == 0)
				break;
		if (v == NULL && untrusted_sessions(c, u->pub) == 0)
			emit_untrusted(c, CLIENT_EV_UNTRUSTED_LEFT, u);
		free(u);
	}
}

size_t
presence_untrusted_count(const struct client *c)
{
	const struct untrusted *u, *v;
	size_t n = 0;

	/* Identities, not sessions. */
	for (u = c->untrusted; u != NULL; u = u->hh.next) {
		if (!u->genuine)
			continue;
		for (v = c->untrusted; v != u; v = v->hh.next)
			if (v->genuine && memcmp(v->pub, u->pub, SOTTO_ED25519_PUB) == 0)
				break;
		n += v == u;
	}
	return n;
}

/* --- /who ------------------------------------------------------------------ */

/* One entry per untrusted identity present (strings borrowed from the
 * table: valid until the next event). NULL with *n 0 when none. */
struct client_reader *
presence_readers(struct client *c, size_t *n)
{
	struct client_reader *r;
	struct untrusted *u, *v;
	size_t k = 0, i;

	*n = 0;
	if (c->n_readers == 0 ||
	    (r = calloc(c->n_readers, sizeof(*r))) == NULL)
		return NULL;
	for (u = c->untrusted; u != NULL; u = u->hh.next) {
		if (!u->genuine)
			continue;
		for (v = c->untrusted; v != u; v = v->hh.next)
			if (v->genuine && memcmp(v->pub, u->pub, SOTTO_ED25519_PUB) == 0)
				break;
		if (v != u) {
			/* Another session of a reader listed already. */
			for (i = 0; i < k; i++)
				if (strcmp(r[i].fpr, u->fpr) == 0)
					r[i].sessions++;
			continue;
		}
		r[k].fpr = u->fpr;
		r[k].sessions = 1;
		k++;
	}
	*n = k;
	return r;
}

void
presence_readers_free(struct client_reader *r, size_t n)
{
	(void)n;
	free(r);
}

/* --- strict ---------------------------------------------------------------- */

void
client_set_strict(struct client *c, bool on)
{
	c->strict = on;
	if (!on)
		dat_pump(c);
}

bool
client_strict(const struct client *c)
{
	return c->strict;
}

size_t
client_readers(const struct client *c, char *buf, size_t len)
{
	const struct untrusted *u;
	size_t used = 0, n = presence_untrusted_count(c);
	int w;

	if (len > 0)
		buf[0] = '\0';
	for (u = c->untrusted; u != NULL && len > 0; u = u->hh.next) {
		if (!u->genuine || strstr(buf, u->fpr) != NULL)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", u->fpr);
		if (w < 0 || (size_t)w >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
	return n;
}

/* SPDX-License-Identifier: ISC */
/* room.c: rooms by name (keyed-hash uthash table) and their member lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"

/* Set before hash.h: every operation on relay->rooms lives in this file,
 * so the whole table sees the one keyed hash. */
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = room_keyed_hash((keyptr), (keylen)))

#include "conn.h"
#include "room.h"

#define ROOM_HASH_KEY  32u

static uint8_t hash_key[ROOM_HASH_KEY];

int room_hash_init(void)
{
	int r;

	if ((r = sotto_crypto_init()) != 0)
		return r;
	sotto_random(hash_key, sizeof(hash_key));
	return 0;
}

unsigned room_keyed_hash(const void *p, size_t n)
{
	uint8_t mac[SOTTO_SHA256_LEN];
	unsigned h;

	/* On failure mac is zeroed: one bucket, still correct. */
	(void)sotto_hmac_sha256(mac, hash_key, sizeof(hash_key), p, n);
	h = (unsigned)sotto_load_be32(mac);
	sotto_wipe(mac, sizeof(mac));
	return h;
}

struct room *room_get(struct relay *r, const uint8_t *name, size_t len)
{
	struct room *rm;
	unsigned hv;

	if (len < SOTTO_ROOM_MIN || len > SOTTO_ROOM_MAX)
		return NULL;
	HASH_VALUE(name, len, hv);
	HASH_FIND_BYHASHVALUE(hh, r->rooms, name, len, hv, rm);
	if (rm != NULL)
		return rm;
	if ((rm = calloc(1, sizeof(*rm))) == NULL)
		return NULL;
	TAILQ_INIT(&rm->members);
	rm->name_len = (uint8_t)len;
	memcpy(rm->name, name, len);
	sotto_hash_oom = 0;
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, r->rooms, rm->name, len, hv, rm);
	if (sotto_hash_oom) {
		free(rm);
		return NULL;
	}
	r->nrooms++;
	return rm;
}

struct room *room_find(struct relay *r, const uint8_t *name, size_t len)
{
	struct room *rm;

	if (len < SOTTO_ROOM_MIN || len > SOTTO_ROOM_MAX)
		return NULL;
	HASH_FIND(hh, r->rooms, name, len, rm);
	return rm;
}

int room_is(const struct room *rm, const uint8_t *name, size_t len)
{
	return len == rm->name_len && memcmp(rm->name, name, len) == 0;
}

void room_add(struct room *rm, struct conn *c)
{
	TAILQ_INSERT_TAIL(&rm->members, c, link);
	rm->n++;
	c->room = rm;
}

void room_remove(struct room *rm, struct conn *c)
{
	TAILQ_REMOVE(&rm->members, c, link);
	rm->n--;
	c->room = NULL;
}

void room_free(struct relay *r, struct room *rm)
{
	HASH_DELETE(hh, r->rooms, rm);
	r->nrooms--;
	free(rm);
}

void room_free_all(struct relay *r)
{
	struct room *rm, *tmp;

	HASH_ITER(hh, r->rooms, rm, tmp) {
		HASH_DELETE(hh, r->rooms, rm);
		free(rm);
	}
	r->nrooms = 0;
}

const char *room_escape(char out[static ROOM_ESC_LEN], const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 <= ROOM_ESC_LEN; i++) {
		if (p[i] >= 0x20 && p[i] != 0x7f && p[i] != '"' && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, ROOM_ESC_LEN - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
	return out;
}

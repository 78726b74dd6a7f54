/* SPDX-License-Identifier: ISC */
/* room.h: rooms by name and their members.
 *
 * Rooms live in a uthash table keyed by name with a keyed hash (HMAC-SHA256
 * under a random per-process key), so peers who choose room names cannot
 * steer them into one bucket. Members are an intrusive doubly linked list
 * through struct conn, so joining and leaving are O(1).
 */
#ifndef SOTTO_RELAY_ROOM_H
#define SOTTO_RELAY_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "relay.h"
#include "wire.h"

struct room {
	UT_hash_handle   hh;       /* relay->rooms */
	struct conn_list members;  /* join order */
	uint32_t         n;        /* members, closing ones included */
	uint8_t          name_len;
	uint8_t          name[SOTTO_ROOM_MAX];
};

/* Room names escaped for a quoted field of a log line: `"`, `\` and ASCII
 * controls become \xNN; sotto_log escapes what remains unsafe (invalid
 * UTF-8, C1 controls, bidi overrides), so names stay readable and cannot
 * forge or garble lines. */
#define ROOM_ESC_LEN  (4u * SOTTO_ROOM_MAX + 1u)

/* Pick the hash key. 0 or a negative sotto_err. */
int room_hash_init(void);
/* The room of that name, created empty when missing; NULL when out of memory. */
struct room *room_get(struct relay *r, const uint8_t *name, size_t len);
/* The room of that name, or NULL (never creates one). */
struct room *room_find(struct relay *r, const uint8_t *name, size_t len);
/* The keyed hash of room names, for other tables keyed by them. */
unsigned room_keyed_hash(const void *p, size_t n);
/* Whether rm is the room of that name. */
int room_is(const struct room *rm, const uint8_t *name, size_t len);
void room_add(struct room *rm, struct conn *c);
void room_remove(struct room *rm, struct conn *c);
/* Free an empty room. */
void room_free(struct relay *r, struct room *rm);
/* Free every room (shutdown; members are freed by the caller). */
void room_free_all(struct relay *r);
const char *room_escape(char out[static ROOM_ESC_LEN], const uint8_t *p, size_t n);

#endif

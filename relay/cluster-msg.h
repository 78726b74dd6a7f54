/* SPDX-License-Identifier: ISC */
/* cluster-msg.h: the messages relays of one cluster exchange over the backplane.
 *
 * Every message: u8 version (1), u8 kind, u64 incarnation of the sending
 * relay process, u8 node_len (1..64) and the node name (A-Z a-z 0-9 . _ : -,
 * for log lines), then the kind's
 * fields. A room travels as an INI room prefix (u8 len, name) and is
 * checked as strictly as a client's. A FRAME carries one whole wire-v1
 * frame, `from` already set to the sender's member id.
 *
 *   HB        u32 highest member id this relay has handed out or seen
 *   JOIN      room, u32 id, [frame] a member joined on the sender; the
 *                                   frame, when present, is its first INI
 *   LEAVE     room, u32 id          it left
 *   FRAME     room, frame           forward to the room's members
 *   DEAD      u64 incarnation       "I declared that relay gone"
 *   HELLO     (nothing)             "announce your members to me"
 *   ANNOUNCE  u32 count, count * (room, u32 id): all members of the sender
 *   BYE       (nothing)             the sender is shutting down
 */
#ifndef SOTTO_RELAY_CLUSTER_MSG_H
#define SOTTO_RELAY_CLUSTER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "wire.h"

enum clm_kind {
	CLM_HB = 1, CLM_JOIN, CLM_LEAVE, CLM_FRAME, CLM_DEAD, CLM_HELLO,
	CLM_ANNOUNCE, CLM_BYE,
};

struct clm {
	uint8_t        kind;
	uint64_t       inc;
	const uint8_t *node;       /* borrowed from the message */
	size_t         node_len;
	const uint8_t *room;       /* JOIN, LEAVE, FRAME */
	size_t         room_len;
	uint32_t       id;         /* JOIN, LEAVE: the member; HB: highest id */
	uint64_t       dead;       /* DEAD */
	const uint8_t *frame;      /* FRAME, JOIN: the whole frame, len field
	                            * included (NULL in a JOIN without one) */
	size_t         frame_len;
	struct sotto_rd members;   /* ANNOUNCE: the entries, for clm_next_member */
	uint32_t       count;      /* ANNOUNCE */
};

/* Parse and check a whole message; max_frame bounds a FRAME's len field.
 * 0, or a negative sotto_err naming what was wrong; *m is cleared first. */
int clm_parse(struct clm *m, const uint8_t *p, size_t n, uint32_t max_frame);
/* The next ANNOUNCE entry of a message clm_parse accepted: 1 and the
 * fields set, or 0 after the last. */
int clm_next_member(struct clm *m, const uint8_t **room, size_t *room_len,
    uint32_t *id);

/* Encoders append to out: 0 or SOTTO_E_ALLOC/SOTTO_E_TOOLONG. */
int clm_put_head(struct sotto_wbuf *out, uint8_t kind, uint64_t inc,
    const char *node);
int clm_put_room(struct sotto_wbuf *out, const uint8_t *room, size_t room_len);
/* A short name for logs. */
const char *clm_kind_name(uint8_t kind);

#endif

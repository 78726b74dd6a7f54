/* SPDX-License-Identifier: ISC */
/* fuzz_clm.c: the relays' backplane messages (relay/cluster-msg.c): whatever parses re-encodes to the same bytes.
 *
 * Input: one message as Redis would hand it to a relay. A message that
 * parses is built again from the parsed fields with the encoders; the
 * bytes must be identical, every room a valid prefix, every id non-zero,
 * a frame's len field its own length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster-msg.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)
#define MAX_FRAME 4096u

static void check_room(const uint8_t *room, size_t n)
{
	const uint8_t *name;
	size_t name_len, prefix_len;
	uint8_t prefix[1 + SOTTO_ROOM_MAX];

	REQUIRE(n >= SOTTO_ROOM_MIN && n <= SOTTO_ROOM_MAX);
	prefix[0] = (uint8_t)n;
	memcpy(prefix + 1, room, n);
	REQUIRE(sotto_room_parse(prefix, 1 + n, &name, &name_len, &prefix_len) == 0);
}

static void check_frame(const uint8_t *f, size_t n)
{
	REQUIRE(n >= SOTTO_FRAME_HDR && n - SOTTO_LEN_FIELD <= MAX_FRAME);
	REQUIRE(sotto_load_be32(f) == n - SOTTO_LEN_FIELD);
	REQUIRE(sotto_load_be32(f + SOTTO_LEN_FIELD + 2) != 0);
}

static void rebuild(struct clm *m, struct sotto_wbuf *out)
{
	char node[SOTTO_CLM_NODE_MAX + 1];
	const uint8_t *room;
	size_t room_len, at;
	uint32_t id;

	memcpy(node, m->node, m->node_len);
	node[m->node_len] = '\0';
	REQUIRE(strlen(node) == m->node_len);      /* no NUL gets through */
	REQUIRE(clm_put_head(out, m->kind, m->inc, node) == 0);
	switch (m->kind) {
	case CLM_HB:
		REQUIRE(sotto_wbuf_u32(out, m->id) == 0);
		break;
	case CLM_JOIN:
	case CLM_LEAVE:
	case CLM_FRAME:
		check_room(m->room, m->room_len);
		REQUIRE(clm_put_room(out, m->room, m->room_len) == 0);
		if (m->kind != CLM_FRAME) {
			REQUIRE(m->id != 0);
			REQUIRE(sotto_wbuf_u32(out, m->id) == 0);
		}
		if (m->frame != NULL) {
			check_frame(m->frame, m->frame_len);
			REQUIRE(sotto_wbuf_put(out, m->frame, m->frame_len) == 0);
		}
		REQUIRE(m->kind != CLM_FRAME || m->frame != NULL);
		break;
	case CLM_DEAD:
		REQUIRE(sotto_wbuf_u64(out, m->dead) == 0);
		break;
	case CLM_ANNOUNCE:
		at = out->len;
		REQUIRE(sotto_wbuf_u32(out, m->count) == 0);
		while (clm_next_member(m, &room, &room_len, &id)) {
			check_room(room, room_len);
			REQUIRE(id != 0);
			REQUIRE(clm_put_room(out, room, room_len) == 0);
			REQUIRE(sotto_wbuf_u32(out, id) == 0);
		}
		(void)at;
		break;
	case CLM_HELLO:
	case CLM_BYE:
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotto_wbuf out;
	struct clm m;
	uint32_t count;

	if (clm_parse(&m, data, size, MAX_FRAME) != 0) {
		REQUIRE(m.kind == 0 && m.node == NULL && m.frame == NULL);
		return 0;
	}
	REQUIRE(m.node_len >= 1 && m.node_len <= SOTTO_CLM_NODE_MAX);
	count = m.count;
	sotto_wbuf_init(&out, 0);
	rebuild(&m, &out);
	if (out.len > 0) {
		REQUIRE(out.len == size && memcmp(out.p, data, size) == 0);
		REQUIRE(m.kind != CLM_ANNOUNCE || m.count == 0);
	}
	(void)count;
	sotto_wbuf_free(&out);
	return 0;
}

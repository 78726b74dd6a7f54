/* SPDX-License-Identifier: ISC */
/* cluster-msg.c: parse and build the relays' backplane messages (cluster-msg.h). */
#include <string.h>

#include "cluster-msg.h"
#include "err.h"
#include "frame.h"

const char *clm_kind_name(uint8_t kind)
{
	switch (kind) {
	case CLM_HB:       return "HB";
	case CLM_JOIN:     return "JOIN";
	case CLM_LEAVE:    return "LEAVE";
	case CLM_FRAME:    return "FRAME";
	case CLM_DEAD:     return "DEAD";
	case CLM_HELLO:    return "HELLO";
	case CLM_ANNOUNCE: return "ANNOUNCE";
	case CLM_BYE:      return "BYE";
	default:           return "?";
	}
}

/* An INI-style room prefix, checked like a client's. */
static int get_room(struct sotto_rd *rd, const uint8_t **room, size_t *room_len)
{
	size_t prefix_len;
	int r;

	*room = NULL;
	*room_len = 0;
	if ((r = sotto_room_parse(rd->p, rd->len, room, room_len, &prefix_len)) != 0)
		return r;
	return sotto_rd_skip(rd, prefix_len);
}

static int get_member(struct sotto_rd *rd, const uint8_t **room, size_t *room_len,
    uint32_t *id)
{
	int r;

	*id = 0;
	if ((r = get_room(rd, room, room_len)) != 0 ||
	    (r = sotto_rd_u32(rd, id)) != 0)
		return r;
	return *id == SOTTO_ID_RELAY ? SOTTO_E_FORMAT : 0;
}

/* A whole wire-v1 frame from a member: the rest of the message. */
static int get_frame(struct sotto_rd *rd, struct clm *m, uint32_t max_frame)
{
	struct sotto_frame_hdr h;
	int r;

	if (sotto_rd_left(rd) < SOTTO_FRAME_HDR)
		return SOTTO_E_SHORT;
	sotto_frame_parse_hdr(rd->p, &h);
	if ((r = sotto_frame_check_hdr(&h, max_frame, SOTTO_DEC_CLIENT_TYPES)) != 0)
		return r;
	if ((size_t)h.len != sotto_rd_left(rd) - SOTTO_LEN_FIELD)
		return SOTTO_E_LEN;
	if (h.from == SOTTO_ID_RELAY)
		return SOTTO_E_FORMAT;
	m->frame_len = sotto_rd_left(rd);
	return sotto_rd_ptr(rd, &m->frame, m->frame_len);
}

static int get_announce(struct sotto_rd *rd, struct clm *m)
{
	struct sotto_rd walk;
	const uint8_t *room;
	size_t room_len;
	uint32_t i, id;
	int r;

	if ((r = sotto_rd_u32(rd, &m->count)) != 0)
		return r;
	m->members = *rd;
	walk = *rd;
	for (i = 0; i < m->count; i++)
		if ((r = get_member(&walk, &room, &room_len, &id)) != 0)
			return r;
	*rd = walk;
	return 0;
}

static int get_body(struct sotto_rd *rd, struct clm *m, uint32_t max_frame)
{
	switch (m->kind) {
	case CLM_HB:
		return sotto_rd_u32(rd, &m->id);
	case CLM_JOIN: {
		int r;
		if ((r = get_member(rd, &m->room, &m->room_len, &m->id)) != 0 ||
		    sotto_rd_left(rd) == 0)
			return r;
		if ((r = get_frame(rd, m, max_frame)) != 0)
			return r;
		/* The joiner's own first INI, nothing else. */
		return m->frame[SOTTO_LEN_FIELD + 1] == SOTTO_T_INI &&
		    sotto_load_be32(m->frame + SOTTO_LEN_FIELD + 2) == m->id ?
		    0 : SOTTO_E_FORMAT;
	}
	case CLM_LEAVE:
		return get_member(rd, &m->room, &m->room_len, &m->id);
	case CLM_FRAME: {
		int r;
		if ((r = get_room(rd, &m->room, &m->room_len)) != 0)
			return r;
		return get_frame(rd, m, max_frame);
	}
	case CLM_DEAD:
		return sotto_rd_u64(rd, &m->dead);
	case CLM_HELLO:
	case CLM_BYE:
		return 0;
	case CLM_ANNOUNCE:
		return get_announce(rd, m);
	default:
		return SOTTO_E_TYPE;
	}
}

/* Node names are for log lines: letters, digits and . _ : - only. */
static int node_ok(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '_' ||
		    p[i] == ':' || p[i] == '-'))
			return 0;
	return 1;
}

int clm_parse(struct clm *m, const uint8_t *p, size_t n, uint32_t max_frame)
{
	struct sotto_rd rd;
	uint8_t ver, node_len;
	int r;

	memset(m, 0, sizeof(*m));
	sotto_rd_init(&rd, p, n);
	if ((r = sotto_rd_u8(&rd, &ver)) != 0 ||
	    (r = sotto_rd_u8(&rd, &m->kind)) != 0 ||
	    (r = sotto_rd_u64(&rd, &m->inc)) != 0 ||
	    (r = sotto_rd_u8(&rd, &node_len)) != 0)
		goto fail;
	if (ver != SOTTO_CLM_VERSION) {
		r = SOTTO_E_VERSION;
		goto fail;
	}
	if (node_len == 0 || node_len > SOTTO_CLM_NODE_MAX) {
		r = SOTTO_E_TOOLONG;
		goto fail;
	}
	m->node_len = node_len;
	if ((r = sotto_rd_ptr(&rd, &m->node, node_len)) != 0)
		goto fail;
	if (!node_ok(m->node, node_len)) {
		r = SOTTO_E_FORMAT;
		goto fail;
	}
	if ((r = get_body(&rd, m, max_frame)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		goto fail;
	return 0;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

int clm_next_member(struct clm *m, const uint8_t **room, size_t *room_len,
    uint32_t *id)
{
	*room = NULL;
	*room_len = 0;
	*id = 0;
	if (m->count == 0)
		return 0;
	/* clm_parse walked these entries already: they cannot fail now. */
	if (get_member(&m->members, room, room_len, id) != 0)
		return 0;
	m->count--;
	return 1;
}

int clm_put_head(struct sotto_wbuf *out, uint8_t kind, uint64_t inc,
    const char *node)
{
	size_t node_len = strlen(node);
	int r;

	if (node_len == 0 || node_len > SOTTO_CLM_NODE_MAX)
		return SOTTO_E_TOOLONG;
	if ((r = sotto_wbuf_u8(out, SOTTO_CLM_VERSION)) != 0 ||
	    (r = sotto_wbuf_u8(out, kind)) != 0 ||
	    (r = sotto_wbuf_u64(out, inc)) != 0 ||
	    (r = sotto_wbuf_u8(out, (uint8_t)node_len)) != 0)
		return r;
	return sotto_wbuf_put(out, node, node_len);
}

int clm_put_room(struct sotto_wbuf *out, const uint8_t *room, size_t room_len)
{
	int r;

	if (room_len < SOTTO_ROOM_MIN || room_len > SOTTO_ROOM_MAX)
		return SOTTO_E_TOOLONG;
	if ((r = sotto_wbuf_u8(out, (uint8_t)room_len)) != 0)
		return r;
	return sotto_wbuf_put(out, room, room_len);
}

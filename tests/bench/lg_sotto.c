/* SPDX-License-Identifier: ISC */
/* lg_sotto.c: the load generator speaking wire-v1 to sotto-relay: INI join, DAT to the room, frame parsing. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lg.h"

/* The relay reads only the room prefix of an INI; nothing after it. */
int lg_sotto_join(struct lg_member *m)
{
	struct sotto_wbuf *out = lg_conn_out(&m->conn);
	uint8_t body[1 + LG_ROOM_NAME];

	if (out == NULL)
		return -1;
	body[0] = (uint8_t)m->room->name_len;
	memcpy(body + 1, m->room->name, m->room->name_len);
	return sotto_frame_encode(out, SOTTO_T_INI, 0, SOTTO_TO_ROOM, body,
	    1 + m->room->name_len) == 0 ? 0 : -1;
}

int lg_sotto_publish(struct lg_sender *s, const uint8_t *payload, size_t n)
{
	struct sotto_wbuf *out = lg_conn_out(s->pub);

	if (out == NULL)
		return -1;
	return sotto_frame_encode(out, SOTTO_T_DAT, 0, SOTTO_TO_ROOM, payload,
	    n) == 0 ? 0 : -1;
}

/* The relay's answer to our first INI: from 0, our room's prefix, then
 * u32 count and that many member ids. Seeing it means we have joined. */
static int sotto_roster(struct lg_member *m, const struct sotto_frame *f)
{
	const uint8_t *room;
	size_t room_len, prefix_len;
	struct sotto_rd rd;
	uint32_t count, id;
	int r;

	if ((r = sotto_room_parse(f->body, f->body_len, &room, &room_len,
	    &prefix_len)) != 0)
		return r;
	if (room_len != m->room->name_len ||
	    memcmp(room, m->room->name, room_len) != 0)
		return SOTTO_E_ROOM;
	sotto_rd_init(&rd, f->body, f->body_len);
	if ((r = sotto_rd_skip(&rd, prefix_len)) != 0 ||
	    (r = sotto_rd_u32(&rd, &count)) != 0)
		return r;
	while (count-- > 0)
		if ((r = sotto_rd_u32(&rd, &id)) != 0)
			return r;
	if ((r = sotto_rd_end(&rd)) != 0)
		return r;
	lg_member_joined(&m->conn);
	return 0;
}

static int sotto_frame_in(struct lg_member *m, const struct sotto_frame *f,
    uint64_t now)
{
	switch (f->hdr.type) {
	case SOTTO_T_DAT:
		lg_deliver(m, f->body, f->body_len, now);
		return 0;
	case SOTTO_T_INI:
		/* Other members' INIs announce them; only the relay's matters. */
		if (f->hdr.from == SOTTO_ID_RELAY && m->conn.state == LG_JOINING)
			return sotto_roster(m, f);
		return 0;
	default:
		return 0;   /* KEY, LEFT: not part of this benchmark's traffic */
	}
}

int lg_sotto_readable(struct lg_conn *c)
{
	struct lg_member *m = container_of(c, struct lg_member, conn);
	struct sotto_frame f;
	uint8_t *space;
	size_t avail;
	ssize_t n;
	uint64_t now;
	int r;

	if ((space = sotto_dec_space(&c->dec, LG_READ_CHUNK, &avail)) == NULL)
		return -1;
	n = read(c->fd, space, avail);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	sotto_dec_commit(&c->dec, (size_t)n);
	now = lg_now_ns();
	while ((r = sotto_dec_next(&c->dec, &f)) == 1)
		if (sotto_frame_in(m, &f, now) != 0)
			return -1;
	return r < 0 ? -1 : 0;
}

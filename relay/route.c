/* SPDX-License-Identifier: ISC */
/* route.c: what the relay does with each frame: join, check, forward, answer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admit.h"
#include "buf.h"
#include "cluster.h"
#include "conn.h"
#include "err.h"
#include "log.h"
#include "room.h"
#include "route.h"
#include "utf8.h"
#include "wire.h"

static const char *type_name(uint8_t type)
{
	switch (type) {
	case SOTTO_T_INI:  return "INI";
	case SOTTO_T_KEY:  return "KEY";
	case SOTTO_T_DAT:  return "DAT";
	case SOTTO_T_LEFT: return "LEFT";
	default:           return "?";
	}
}

/* A frame made by the relay itself (`from` 0): header written, body to
 * be filled by the caller at data + SOTTO_FRAME_HDR. */
static struct fb *relay_frame(uint8_t type, uint32_t to, size_t body_len)
{
	struct fb *f;

	if (body_len > UINT32_MAX - SOTTO_HDR_AFTER_LEN)
		return NULL;
	if ((f = fb_new(SOTTO_FRAME_HDR + body_len)) == NULL)
		return NULL;
	sotto_store_be32(f->data, (uint32_t)(SOTTO_HDR_AFTER_LEN + body_len));
	f->data[SOTTO_LEN_FIELD] = SOTTO_WIRE_VERSION;
	f->data[SOTTO_LEN_FIELD + 1] = type;
	sotto_store_be32(f->data + SOTTO_LEN_FIELD + 2, SOTTO_ID_RELAY);
	sotto_store_be32(f->data + SOTTO_LEN_FIELD + 6, to);
	return f;
}

/* Why a room prefix that sotto_room_parse refused is bad, for the log. */
static void room_problem(const uint8_t *body, size_t body_len, char *out, size_t out_len)
{
	char esc[ROOM_ESC_LEN];
	struct sotto_rd rd, name;
	const uint8_t *p;
	uint32_t cp;
	uint8_t n;

	sotto_rd_init(&rd, body, body_len);
	if (sotto_rd_u8(&rd, &n) != 0) {
		snprintf(out, out_len, "INI body has no room prefix");
		return;
	}
	if (n < SOTTO_ROOM_MIN || n > SOTTO_ROOM_MAX) {
		snprintf(out, out_len, "room_len %u outside %u..%u", n,
		    SOTTO_ROOM_MIN, SOTTO_ROOM_MAX);
		return;
	}
	if (sotto_rd_ptr(&rd, &p, n) != 0) {
		snprintf(out, out_len, "room_len %u but only %zu bytes follow", n,
		    sotto_rd_left(&rd));
		return;
	}
	room_escape(esc, p, n);
	sotto_rd_init(&name, p, n);
	while (sotto_rd_left(&name) > 0) {
		if (sotto_utf8_next(&name, &cp) != 0) {
			snprintf(out, out_len, "room \"%s\" is not valid UTF-8", esc);
			return;
		}
		if (sotto_unicode_is_cc(cp)) {
			snprintf(out, out_len, "room \"%s\" holds %s U+%04X", esc,
			    cp == 0 ? "NUL" : "control character", cp);
			return;
		}
	}
	snprintf(out, out_len, "room \"%s\" refused", esc);
}

/* The room an INI names, or a violation that closes c. */
static int ini_room(struct conn *c, const struct sotto_frame *f,
    const uint8_t **name, size_t *name_len)
{
	char why[320];
	size_t prefix_len;

	if (sotto_room_parse(f->body, f->body_len, name, name_len, &prefix_len) == 0)
		return 0;
	room_problem(f->body, f->body_len, why, sizeof(why));
	conn_violation(c, "bad room prefix: %s", why);
	return -1;
}

static void drop(struct conn *c, const struct sotto_frame *f, const char *why)
{
	c->dropped++;
	c->relay->dropped++;
	if (sotto_log_level() >= SOTTO_LOG_DEBUG)
		sotto_log(SOTTO_LOG_DEBUG, "drop %s from=%u to=%u len=%u: %s",
		    type_name(f->hdr.type), c->id, f->hdr.to, f->hdr.len, why);
}

void route_drop(struct conn *c, const struct sotto_frame *f, const char *why)
{
	drop(c, f, why);
}

/* The frame as it leaves the relay: a copy with `from` set to the sender. */
static struct fb *outgoing(const struct conn *c, const struct sotto_frame *f)
{
	struct fb *out;

	if ((out = fb_copy(f->raw, f->raw_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "out of memory copying a frame from id=%u", c->id);
		return NULL;
	}
	sotto_frame_set_from(out->data, c->id);
	fb_set_src(out, c->src);
	return out;
}

static void log_routed(const struct conn *c, const struct sotto_frame *f)
{
	if (sotto_log_level() >= SOTTO_LOG_DEBUG)
		sotto_log(SOTTO_LOG_DEBUG, "route %s from=%u to=%u len=%u",
		    type_name(f->hdr.type), c->id, f->hdr.to, f->hdr.len);
}

/* To every other member that is not on its way out. Recipients that pass
 * their bound are only marked closing here, so the list stays intact. */
static void broadcast(struct conn *c, const struct sotto_frame *f)
{
	struct conn *m;
	struct fb *out = NULL;

	log_routed(c, f);
	TAILQ_FOREACH(m, &c->room->members, link) {
		if (m == c || m->closing)
			continue;
		if (out == NULL && (out = outgoing(c, f)) == NULL)
			return;
		(void)conn_send(m, out);
	}
	fb_unref(out);
	cluster_broadcast(c->relay->cluster, c->room, c->id, f);
}

static void unicast(struct conn *c, const struct sotto_frame *f)
{
	struct conn *dst = relay_conn_by_id(c->relay, f->hdr.to);
	struct fb *out;

	if (dst == c) {
		drop(c, f, "to is the sender");
		return;
	}
	if (dst == NULL && cluster_unicast(c->relay->cluster, c->room, c->id, f) == 0) {
		log_routed(c, f);
		return;
	}
	if (dst == NULL || dst->room != c->room || dst->closing) {
		drop(c, f, "to is not a member of the sender's room");
		return;
	}
	log_routed(c, f);
	if ((out = outgoing(c, f)) == NULL)
		return;
	(void)conn_send(dst, out);
	fb_unref(out);
}

static void forward(struct conn *c, const struct sotto_frame *f)
{
	if (f->hdr.to == SOTTO_TO_ROOM)
		broadcast(c, f);
	else
		unicast(c, f);
}

/* The relay's INI to a joiner: its room prefix, then u32 count and the
 * ids of the other members. The only way a client learns its own id. */
static void answer_join(struct conn *c)
{
	struct room *rm = c->room;
	struct cluster *cl = c->relay->cluster;
	uint32_t count = cl != NULL ? cluster_count(cl, rm) : rm->n - 1;
	size_t body_len = 1 + (size_t)rm->name_len + 4 + 4 * (size_t)count;
	uint8_t *p;
	struct conn *m;
	struct fb *out;

	if ((out = relay_frame(SOTTO_T_INI, c->id, body_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "id=%u: out of memory answering its INI", c->id);
		conn_close(c, "out of memory", 0);
		return;
	}
	p = out->data + SOTTO_FRAME_HDR;
	p[0] = rm->name_len;
	memcpy(p + 1, rm->name, rm->name_len);
	p += 1 + rm->name_len;
	sotto_store_be32(p, count);
	if (cl != NULL)         /* every relay's members, c not yet among them */
		(void)cluster_put_ids(cl, rm, p + 4);
	else
		TAILQ_FOREACH(m, &rm->members, link) {
			if (m == c)
				continue;
			p += 4;
			sotto_store_be32(p, m->id);
		}
	if (sotto_log_level() >= SOTTO_LOG_DEBUG)
		sotto_log(SOTTO_LOG_DEBUG, "route INI from=0 to=%u len=%u (members %u)",
		    c->id, out->len - SOTTO_LEN_FIELD, count);
	(void)conn_send(c, out);
	fb_unref(out);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* With --trusted: whether c's first INI admits it. A refusal closes c
 * before it joins, so it learns nothing of the room and sends nothing
 * into it. */
static int admitted(struct conn *c, const struct sotto_frame *f)
{
	char addr[CONN_ADDR_LEN], why[256];

	if (c->relay->admit == NULL ||
	    admit_check(c->relay->admit, f->body, f->body_len, wall_ms(),
	    why, sizeof(why)) == 0)
		return 1;
	sotto_log(SOTTO_LOG_WARN, "not admitted id=%u addr=%s: %s; closing",
	    c->id, conn_addr(c, addr), why);
	conn_close(c, "not admitted", 0);
	return 0;
}

static void join(struct conn *c, const struct sotto_frame *f)
{
	const uint8_t *name;
	size_t name_len;
	struct room *rm;

	if (f->hdr.type != SOTTO_T_INI) {
		conn_violation(c, "first frame is %s (type %u), not INI",
		    type_name(f->hdr.type), f->hdr.type);
		return;
	}
	if (ini_room(c, f, &name, &name_len) != 0 || !admitted(c, f))
		return;
	if ((rm = room_get(c->relay, name, name_len)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "id=%u: out of memory creating a room", c->id);
		conn_close(c, "out of memory", 0);
		return;
	}
	joinwait_remove(c->relay, c);
	if (cluster_join(c->relay->cluster, c, name, name_len, f)) {
		if (rm->n == 0)
			room_free(c->relay, rm);  /* made again when the join is ordered */
		return;
	}
	route_join_commit(c, rm, f);
}

void route_join_commit(struct conn *c, struct room *rm, const struct sotto_frame *f)
{
	char esc[ROOM_ESC_LEN];

	room_add(rm, c);
	sotto_log(SOTTO_LOG_INFO, "join id=%u room=\"%s\" members=%u rooms=%u",
	    c->id, room_escape(esc, rm->name, rm->name_len), rm->n,
	    c->relay->nrooms);
	if (f != NULL)
		forward(c, f);
	answer_join(c);
	cluster_joined(c->relay->cluster, rm, c->id);
}

void route_frame(struct conn *c, const struct sotto_frame *f)
{
	char have[ROOM_ESC_LEN], got[ROOM_ESC_LEN];
	const uint8_t *name;
	size_t name_len;

	if (c->room == NULL) {
		if (!cluster_holding(c->relay->cluster, c, f))
			join(c, f);
		return;
	}
	if (f->hdr.type == SOTTO_T_INI) {
		if (ini_room(c, f, &name, &name_len) != 0)
			return;
		if (!room_is(c->room, name, name_len)) {
			conn_violation(c, "INI for room \"%s\" while in room \"%s\"",
			    room_escape(got, name, name_len),
			    room_escape(have, c->room->name, c->room->name_len));
			return;
		}
	}
	forward(c, f);
}

void route_left(struct room *rm, uint32_t id)
{
	struct conn *m;
	struct fb *out;

	if ((out = relay_frame(SOTTO_T_LEFT, SOTTO_TO_ROOM, 4)) == NULL) {
		sotto_log(SOTTO_LOG_ERR, "out of memory telling a room that id=%u left", id);
		return;
	}
	sotto_store_be32(out->data + SOTTO_FRAME_HDR, id);
	if (sotto_log_level() >= SOTTO_LOG_DEBUG)
		sotto_log(SOTTO_LOG_DEBUG, "route LEFT from=0 to=0 len=%u (id %u)",
		    out->len - SOTTO_LEN_FIELD, id);
	TAILQ_FOREACH(m, &rm->members, link)
		if (!m->closing)
			(void)conn_send(m, out);
	fb_unref(out);
}

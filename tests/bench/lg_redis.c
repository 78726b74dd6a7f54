/* SPDX-License-Identifier: ISC */
/* lg_redis.c: the same topology over RESP: members SUBSCRIBE to the room's channel, senders PUBLISH. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lg.h"

#define RESP_NUM_MAX   20u      /* digits in a length or integer */
#define RESP_LINE_MAX  512u     /* +OK / -ERR lines */
#define RESP_ITEMS     3u       /* the longest array we expect: message, channel, payload */

struct resp_item {
	uint8_t        type;    /* '$' bulk, ':' integer, '+' status, '-' error */
	const uint8_t *p;       /* borrowed from the input buffer */
	size_t         n;
	long long      v;
};

struct resp_msg {
	unsigned         n;     /* items; a scalar reply is one item */
	int              array;
	struct resp_item item[RESP_ITEMS];
};

static int resp_crlf(struct sotto_rd *rd)
{
	uint8_t cr, lf;
	int r;

	if ((r = sotto_rd_u8(rd, &cr)) != 0 || (r = sotto_rd_u8(rd, &lf)) != 0)
		return r;
	return cr == '\r' && lf == '\n' ? 0 : SOTTO_E_FORMAT;
}

/* A signed decimal up to CRLF. Scans a borrowed window of at most
 * RESP_NUM_MAX + 2 bytes instead of one sotto_rd_u8 per digit: this is the
 * generator's hottest path and its CPU competes with the server's. */
static int resp_num(struct sotto_rd *rd, long long *v)
{
	struct sotto_rd peek = *rd;
	const uint8_t *p;
	size_t n = sotto_rd_left(rd), i = 0;
	int neg = 0, r;

	*v = 0;
	if (n > RESP_NUM_MAX + 2)
		n = RESP_NUM_MAX + 2;
	if ((r = sotto_rd_ptr(&peek, &p, n)) != 0)
		return r;
	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i - (size_t)neg >= RESP_NUM_MAX - 2)
			return SOTTO_E_FORMAT;    /* would overflow */
		*v = *v * 10 + (p[i] - '0');
	}
	if (i + 2 > n)
		return n == RESP_NUM_MAX + 2 ? SOTTO_E_FORMAT : SOTTO_E_SHORT;
	if (i == (size_t)neg || p[i] != '\r' || p[i + 1] != '\n')
		return SOTTO_E_FORMAT;
	if (neg)
		*v = -*v;
	return sotto_rd_skip(rd, i + 2);
}

static int resp_line(struct sotto_rd *rd, struct resp_item *it)
{
	struct sotto_rd start = *rd;
	uint8_t ch;
	size_t n = 0;
	int r;

	for (;;) {
		if ((r = sotto_rd_u8(rd, &ch)) != 0)
			return r;
		if (ch == '\r')
			break;
		if (++n > RESP_LINE_MAX)
			return SOTTO_E_TOOLONG;
	}
	*rd = start;
	if ((r = sotto_rd_ptr(rd, &it->p, n)) != 0)
		return r;
	it->n = n;
	return resp_crlf(rd);
}

static int resp_item(struct sotto_rd *rd, struct resp_item *it)
{
	int r;

	memset(it, 0, sizeof(*it));
	if ((r = sotto_rd_u8(rd, &it->type)) != 0)
		return r;
	switch (it->type) {
	case '$':
		if ((r = resp_num(rd, &it->v)) != 0)
			return r;
		if (it->v < 0 || it->v > (long long)LG_MAX_FRAME)
			return SOTTO_E_LEN;
		it->n = (size_t)it->v;
		if ((r = sotto_rd_ptr(rd, &it->p, it->n)) != 0)
			return r;
		return resp_crlf(rd);
	case ':':
		return resp_num(rd, &it->v);
	case '+':
	case '-':
		return resp_line(rd, it);
	default:
		return SOTTO_E_FORMAT;
	}
}

/* One whole reply or push message; SOTTO_E_SHORT when more bytes are needed. */
static int resp_msg(struct sotto_rd *rd, struct resp_msg *msg)
{
	struct sotto_rd peek = *rd;
	long long count;
	uint8_t type;
	unsigned i;
	int r;

	memset(msg, 0, sizeof(*msg));
	if ((r = sotto_rd_u8(&peek, &type)) != 0)
		return r;
	if (type != '*') {
		msg->n = 1;
		return resp_item(rd, &msg->item[0]);
	}
	if ((r = sotto_rd_u8(rd, &type)) != 0 || (r = resp_num(rd, &count)) != 0)
		return r;
	if (count < 1 || count > (long long)RESP_ITEMS)
		return SOTTO_E_FORMAT;
	msg->array = 1;
	msg->n = (unsigned)count;
	for (i = 0; i < msg->n; i++)
		if ((r = resp_item(rd, &msg->item[i])) != 0)
			return r;
	return 0;
}

static int resp_is(const struct resp_item *it, const char *word)
{
	size_t n = strlen(word);

	return it->type == '$' && it->n == n && memcmp(it->p, word, n) == 0;
}

static int resp_bulk_header(struct sotto_wbuf *out, size_t n)
{
	char hdr[32];
	int len = snprintf(hdr, sizeof(hdr), "$%zu\r\n", n);

	return sotto_wbuf_put(out, hdr, (size_t)len);
}

int lg_redis_join(struct lg_member *m)
{
	struct sotto_wbuf *out = lg_conn_out(&m->conn);
	static const char cmd[] = "*2\r\n$9\r\nSUBSCRIBE\r\n";

	if (out == NULL)
		return -1;
	return sotto_wbuf_put(out, cmd, sizeof(cmd) - 1) != 0 ||
	    resp_bulk_header(out, m->room->name_len) != 0 ||
	    sotto_wbuf_put(out, m->room->name, m->room->name_len) != 0 ||
	    sotto_wbuf_put(out, "\r\n", 2) != 0 ? -1 : 0;
}

int lg_redis_publish(struct lg_sender *s, const uint8_t *payload, size_t n)
{
	struct sotto_wbuf *out = lg_conn_out(s->pub);
	static const char cmd[] = "*3\r\n$7\r\nPUBLISH\r\n";
	const struct lg_room *room = s->member->room;

	if (out == NULL)
		return -1;
	if (sotto_wbuf_put(out, cmd, sizeof(cmd) - 1) != 0 ||
	    resp_bulk_header(out, room->name_len) != 0 ||
	    sotto_wbuf_put(out, room->name, room->name_len) != 0 ||
	    sotto_wbuf_put(out, "\r\n", 2) != 0 ||
	    resp_bulk_header(out, n) != 0 ||
	    sotto_wbuf_put(out, payload, n) != 0 ||
	    sotto_wbuf_put(out, "\r\n", 2) != 0)
		return -1;
	s->pub_replies++;
	return 0;
}

/* A subscriber sees its subscribe confirmation, then message pushes. */
static int redis_member_msg(struct lg_member *m, const struct resp_msg *msg,
    uint64_t now)
{
	if (!msg->array || msg->n != 3)
		return -1;
	if (resp_is(&msg->item[0], "message")) {
		lg_deliver(m, msg->item[2].p, msg->item[2].n, now);
		return 0;
	}
	if (resp_is(&msg->item[0], "subscribe") && m->conn.state == LG_JOINING) {
		lg_member_joined(&m->conn);
		return 0;
	}
	return -1;
}

/* A publisher sees one integer per PUBLISH: the subscribers reached,
 * which must be the whole room (the sender's own subscriber included). */
static int redis_pub_msg(struct lg_sender *s, const struct resp_msg *msg)
{
	struct lg_run *run = s->pub->run;

	if (msg->array || msg->item[0].type != ':' || s->pub_replies == 0)
		return -1;
	s->pub_replies--;
	run->c.pub_replies++;
	if (msg->item[0].v != (long long)run->o->members)
		run->c.pub_mismatch++;
	return 0;
}

int lg_redis_readable(struct lg_conn *c)
{
	struct resp_msg msg;
	struct sotto_rd rd, before;
	ssize_t n;
	uint64_t now;
	int r = 0;

	if (sotto_wbuf_reserve(&c->in, LG_READ_CHUNK) != 0)
		return -1;
	n = read(c->fd, c->in.p + c->in.len, LG_READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->in.len += (size_t)n;
	now = lg_now_ns();
	sotto_rd_init(&rd, c->in.p, c->in.len);
	for (;;) {
		before = rd;
		if ((r = resp_msg(&rd, &msg)) != 0)
			break;
		if (c->kind == LG_MEMBER)
			r = redis_member_msg(container_of(c, struct lg_member, conn),
			    &msg, now);
		else
			r = redis_pub_msg(container_of(c, struct lg_sender, pub_conn),
			    &msg);
		if (r != 0)
			return -1;
	}
	if (r != SOTTO_E_SHORT)
		return -1;
	sotto_wbuf_consume(&c->in, c->in.len - sotto_rd_left(&before));
	return 0;
}

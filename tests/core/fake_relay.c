/* SPDX-License-Identifier: ISC */
/* fake_relay.c: an in-process wire-v1 §2 relay over socketpairs: ids from 1, roster answer, forwarding with `from` set, LEFT on close; and the core's connection seam, which connects to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"
#include "core.h"
#include "fake_relay.h"
#include "frame.h"
#include "proto.h"
#include "wire.h"

struct fconn {
	ev_io              rio, wio;
	int                fd;
	uint32_t           id;
	bool               joined;
	uint8_t            room[SOTTO_ROOM_MAX];
	size_t             room_len;
	struct sotto_dec   dec;
	struct sotto_wbuf  out;
	struct fake_relay *r;
	struct fconn      *next;
};

struct fake_relay {
	struct ev_loop *loop;
	struct fconn   *conns;
	uint32_t        next_id;
	unsigned        sent[5];
};

struct fake_relay *fake_relay_current;

static void fconn_close(struct fconn *fc);

static void
on_fwrite(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fconn *fc = container_of(w, struct fconn, wio);
	ssize_t n;

	(void)loop;
	(void)revents;
	while (fc->out.len > 0) {
		n = send(fc->fd, fc->out.p, fc->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			fconn_close(fc);
			return;
		}
		sotto_wbuf_consume(&fc->out, (size_t)n);
	}
	ev_io_stop(fc->r->loop, &fc->wio);
}

static void
put(struct fconn *to, uint8_t type, uint32_t from, uint32_t dst,
    const uint8_t *body, size_t len)
{
	if (sotto_frame_encode(&to->out, type, from, dst, body, len) != 0)
		abort();
	to->r->sent[type]++;
	ev_io_start(to->r->loop, &to->wio);
}

static bool
same_room(const struct fconn *a, const struct fconn *b)
{
	return a != b && b->joined && a->room_len == b->room_len &&
	    memcmp(a->room, b->room, a->room_len) == 0;
}

static void
forward(struct fconn *src, const struct sotto_frame *f)
{
	struct fconn *o;

	for (o = src->r->conns; o != NULL; o = o->next)
		if (same_room(src, o) && (f->hdr.to == 0 || f->hdr.to == o->id))
			put(o, f->hdr.type, src->id, f->hdr.to, f->body, f->body_len);
}

static void
join(struct fconn *fc, const struct sotto_frame *f)
{
	const uint8_t *room;
	size_t room_len, prefix_len, n = 0;
	uint32_t ids[64];
	struct sotto_wbuf b;
	struct fconn *o;

	if (f->hdr.type != SOTTO_T_INI ||
	    sotto_room_parse(f->body, f->body_len, &room, &room_len, &prefix_len) != 0) {
		fconn_close(fc);
		return;
	}
	memcpy(fc->room, room, room_len);
	fc->room_len = room_len;
	for (o = fc->r->conns; o != NULL && n < 64; o = o->next)
		if (same_room(fc, o))
			ids[n++] = o->id;
	fc->joined = true;
	forward(fc, f);
	sotto_wbuf_init(&b, 0);
	if (sotto_roster_build(&b, fc->room, fc->room_len, ids, (uint32_t)n) != 0)
		abort();
	put(fc, SOTTO_T_INI, 0, fc->id, b.p, b.len);
	sotto_wbuf_free(&b);
}

static void
on_fread(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fconn *fc = container_of(w, struct fconn, rio);
	struct sotto_frame f;
	uint8_t buf[65536];
	ssize_t n;
	int r;

	(void)loop;
	(void)revents;
	n = recv(fc->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0 || sotto_dec_feed(&fc->dec, buf, (size_t)n) != 0) {
		fconn_close(fc);
		return;
	}
	while ((r = sotto_dec_next(&fc->dec, &f)) == 1) {
		if (!fc->joined) {
			join(fc, &f);
			if (!fc->joined)
				return;      /* closed */
			continue;
		}
		forward(fc, &f);
	}
	if (r < 0)
		fconn_close(fc);
}

static void
fconn_close(struct fconn *fc)
{
	struct fake_relay *r = fc->r;
	struct fconn **pp, *o;
	uint8_t body[4];

	for (pp = &r->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == fc) {
			*pp = fc->next;
			break;
		}
	ev_io_stop(r->loop, &fc->rio);
	ev_io_stop(r->loop, &fc->wio);
	close(fc->fd);
	if (fc->joined) {
		sotto_store_be32(body, fc->id);
		for (o = r->conns; o != NULL; o = o->next)
			if (same_room(fc, o))
				put(o, SOTTO_T_LEFT, 0, 0, body, sizeof(body));
	}
	sotto_dec_free(&fc->dec);
	sotto_wbuf_free(&fc->out);
	free(fc);
}

struct fake_relay *
fake_relay_new(struct ev_loop *loop)
{
	struct fake_relay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->loop = loop;
	r->next_id = 1;
	return r;
}

int
fake_relay_connect(struct fake_relay *r)
{
	struct fconn *fc;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	fc->fd = sv[1];
	fc->id = r->next_id++;
	fc->r = r;
	sotto_dec_init(&fc->dec, 0, SOTTO_DEC_CLIENT_TYPES);
	sotto_wbuf_init(&fc->out, 0);
	ev_io_init(&fc->rio, on_fread, fc->fd, EV_READ);
	ev_io_init(&fc->wio, on_fwrite, fc->fd, EV_WRITE);
	ev_io_start(r->loop, &fc->rio);
	fc->next = r->conns;
	r->conns = fc;
	return sv[0];
}

void
fake_relay_drop_all(struct fake_relay *r)
{
	struct fconn *fc;

	/* A restarted relay sends no LEFT: forget the rooms first. */
	for (fc = r->conns; fc != NULL; fc = fc->next)
		fc->joined = false;
	while (r->conns != NULL)
		fconn_close(r->conns);
}

void
fake_relay_free(struct fake_relay *r)
{
	if (r == NULL)
		return;
	fake_relay_drop_all(r);
	free(r);
}

unsigned
fake_relay_sent(const struct fake_relay *r, uint8_t type)
{
	return type < 5 ? r->sent[type] : 0;
}

size_t
fake_relay_conns(const struct fake_relay *r)
{
	size_t n = 0;

	for (const struct fconn *fc = r->conns; fc != NULL; fc = fc->next)
		n++;
	return n;
}

/* The core's connection seam: the tests' library has this file instead of
 * client/core/connect.c. */
int
core_connect(const char *relay, char *err, size_t err_len)
{
	int fd;

	if (fake_relay_current == NULL) {
		snprintf(err, err_len, "%s: no relay in this test", relay);
		return -1;
	}
	if ((fd = fake_relay_connect(fake_relay_current)) < 0)
		snprintf(err, err_len, "socketpair: %s", strerror(errno));
	return fd;
}

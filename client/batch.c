/* batch.c: sotto --batch: UTF-8 lines on stdin, one JSON event per line on stdout (wire-v1 §5, docs/batch.md). */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "err.h"
#include "frontend.h"
#include "history.h"
#include "json.h"
#include "utf8.h"

#ifndef container_of
#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))
#endif

/* --- stdin lines --------------------------------------------------------- */

void
batch_in_init(struct batch_in *in)
{
	in->len = 0;
	in->skipping = false;
}

enum batch_kind
batch_classify(const uint8_t *line, size_t len)
{
	if (len > SOTTO_TEXT_MAX)
		return BATCH_TOO_LONG;
	if (len == 0)
		return BATCH_EMPTY;
	if (line[0] == '/') {
		if (len == 4 && memcmp(line, "/who", 4) == 0)
			return BATCH_WHO;
		if (len == 5 && memcmp(line, "/quit", 5) == 0)
			return BATCH_QUIT;
		if (len == 7 && memcmp(line, "/reload", 7) == 0)
			return BATCH_RELOAD;
		if (len == 7 && memcmp(line, "/forget", 7) == 0)
			return BATCH_FORGET;
		if ((len == 8 || (len > 9 && line[8] == ' ')) &&
		    memcmp(line, "/history", 8) == 0)
			return BATCH_HISTORY;
		if (len > 8 && memcmp(line, "/search ", 8) == 0 &&
		    sotto_utf8_valid(line, len) == 0)
			return BATCH_SEARCH;
		return BATCH_UNKNOWN;
	}
	if (sotto_utf8_valid(line, len) != 0)
		return BATCH_BAD_UTF8;
	return BATCH_MESSAGE;
}

static void
line_done(struct batch_in *in, batch_line_fn fn, void *ctx)
{
	size_t len = in->len;

	if (len > 0 && in->buf[len - 1] == '\r')
		len--;
	fn(ctx, batch_classify(in->buf, len), in->buf, len);
	sotto_wipe(in->buf, in->len);
	in->len = 0;
}

void
batch_in_feed(struct batch_in *in, const uint8_t *p, size_t n,
    batch_line_fn fn, void *ctx)
{
	const uint8_t *nl;
	size_t seg;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		seg = nl ? (size_t)(nl - p) : n;
		if (!in->skipping && seg > sizeof(in->buf) - in->len) {
			/* Longer than any message may be: drop the rest of it. */
			sotto_wipe(in->buf, in->len);
			in->len = 0;
			in->skipping = true;
		}
		if (!in->skipping) {
			memcpy(in->buf + in->len, p, seg);
			in->len += seg;
		}
		if (nl == NULL)
			return;
		if (in->skipping) {
			in->skipping = false;
			fn(ctx, BATCH_TOO_LONG, NULL, 0);
		} else {
			line_done(in, fn, ctx);
		}
		p = nl + 1;
		n -= seg + 1;
	}
}

void
batch_in_eof(struct batch_in *in, batch_line_fn fn, void *ctx)
{
	if (in->skipping) {
		in->skipping = false;
		fn(ctx, BATCH_TOO_LONG, NULL, 0);
	} else if (in->len > 0) {
		line_done(in, fn, ctx);
	}
}

/* --- JSON events --------------------------------------------------------- */

static int
put_s(struct sotto_wbuf *o, const char *key, const char *s)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	if (s == NULL)
		return sotto_wbuf_put(o, "null", 4);
	return sotto_json_str(o, s, strlen(s));
}

static int
put_u(struct sotto_wbuf *o, const char *key, uint64_t v)
{
	char num[24];
	int r, n;

	n = snprintf(num, sizeof(num), "%" PRIu64, v);
	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_wbuf_put(o, num, (size_t)n);
}

static int
put_members(struct sotto_wbuf *o, const struct client_member *m, size_t n)
{
	size_t i;
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "members")) != 0 ||
	    (r = sotto_wbuf_u8(o, '[')) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (r = sotto_wbuf_u8(o, ',')) != 0) ||
		    (r = sotto_wbuf_u8(o, '{')) != 0 ||
		    (r = sotto_json_key(o, "name")) != 0 ||
		    (r = sotto_json_str(o, m[i].name, strlen(m[i].name))) != 0 ||
		    (r = put_s(o, "fingerprint", m[i].fpr)) != 0 ||
		    (r = sotto_wbuf_u8(o, '}')) != 0)
			return r;
	}
	return sotto_wbuf_u8(o, ']');
}

static int
open_event(struct sotto_wbuf *o, const char *name)
{
	int r;

	if ((r = sotto_wbuf_u8(o, '{')) != 0 ||
	    (r = sotto_json_key(o, "event")) != 0)
		return r;
	return sotto_json_str(o, name, strlen(name));
}

static const char *
history_kind_word(int kind)
{
	switch (kind) {
	case HISTORY_MSG:   return "message";
	case HISTORY_JOIN:  return "joined";
	case HISTORY_LEAVE: return "left";
	case HISTORY_DM:    return "dm";
	case HISTORY_NOTE:  return "notice";
	}
	return "unknown";
}

/* {"event":"history","origin":...,"kind":...,"self":...,"name":...,
 *  "fingerprint":...,"text":...,"ts":...}; no text for joined/left. */
static int
history_body(struct sotto_wbuf *o, const struct client_event *ev)
{
	int r;

	if ((r = open_event(o, "history")) != 0 ||
	    (r = put_s(o, "origin", ev->state ? ev->state : "history")) != 0 ||
	    (r = put_s(o, "kind", history_kind_word(ev->hist_kind))) != 0 ||
	    (r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "self")) != 0 ||
	    (r = sotto_wbuf_put(o, ev->self ? "true" : "false", ev->self ? 4 : 5)) != 0 ||
	    (r = put_s(o, "name", ev->name)) != 0 ||
	    (r = put_s(o, "fingerprint", ev->fpr)) != 0)
		return r;
	if (ev->hist_kind == HISTORY_MSG || ev->hist_kind == HISTORY_DM ||
	    ev->hist_kind == HISTORY_NOTE) {
		if ((r = sotto_wbuf_u8(o, ',')) != 0 ||
		    (r = sotto_json_key(o, "text")) != 0 ||
		    (r = sotto_json_str(o, ev->text ? ev->text : "", ev->text_len)) != 0)
			return r;
	}
	return put_u(o, "ts", ev->ts);
}

static int
event_body(struct sotto_wbuf *o, const struct client_event *ev)
{
	int r;

	switch (ev->type) {
	case CLIENT_EV_CONNECTED:
		if ((r = open_event(o, "connected")) != 0 ||
		    (r = put_s(o, "relay", ev->relay)) != 0)
			return r;
		return put_s(o, "room", ev->room);
	case CLIENT_EV_READY:
		if ((r = open_event(o, "ready")) != 0 ||
		    (r = put_s(o, "room", ev->room)) != 0 ||
		    (r = put_u(o, "epoch", ev->epoch)) != 0 ||
		    (r = sotto_wbuf_u8(o, ',')) != 0 ||
		    (r = sotto_json_key(o, "first")) != 0 ||
		    (r = sotto_wbuf_put(o, ev->first ? "true" : "false",
		        ev->first ? 4 : 5)) != 0)
			return r;
		return put_members(o, ev->members, ev->n_members);
	case CLIENT_EV_JOINED:
	case CLIENT_EV_LEFT:
		if ((r = open_event(o, ev->type == CLIENT_EV_JOINED ? "joined" :
		    "left")) != 0 || (r = put_s(o, "name", ev->name)) != 0)
			return r;
		return put_s(o, "fingerprint", ev->fpr);
	case CLIENT_EV_MESSAGE:
		if ((r = open_event(o, "message")) != 0 ||
		    (r = put_s(o, "name", ev->name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0 ||
		    (r = sotto_wbuf_u8(o, ',')) != 0 ||
		    (r = sotto_json_key(o, "text")) != 0 ||
		    (r = sotto_json_str(o, ev->text, ev->text_len)) != 0)
			return r;
		return put_u(o, "ts", ev->ts);
	case CLIENT_EV_MEMBERS:
		if ((r = open_event(o, "members")) != 0)
			return r;
		return put_members(o, ev->members, ev->n_members);
	case CLIENT_EV_REJECTED:
	case CLIENT_EV_ERROR:
		if ((r = open_event(o, ev->type == CLIENT_EV_ERROR ? "error" :
		    "rejected")) != 0 || (r = put_s(o, "reason", ev->reason)) != 0)
			return r;
		return put_s(o, "detail", ev->detail ? ev->detail : "");
	case CLIENT_EV_DISCONNECTED:
		if ((r = open_event(o, "disconnected")) != 0)
			return r;
		return put_s(o, "reason", ev->reason);
	case CLIENT_EV_HISTORY:
		return history_body(o, ev);
	case CLIENT_EV_STATUS:
		/* Only a failed SIGHUP reload and notices are news to a bot. */
		if (ev->state == NULL || (strcmp(ev->state, "reload-failed") != 0 &&
		    strcmp(ev->state, "notice") != 0))
			return 1;
		if (strcmp(ev->state, "notice") == 0) {
			if ((r = open_event(o, "notice")) != 0 ||
			    (r = put_s(o, "reason", ev->reason ? ev->reason : "")) != 0)
				return r;
			return put_s(o, "detail", ev->detail ? ev->detail : "");
		}
		if ((r = open_event(o, "notice")) != 0 ||
		    (r = put_s(o, "reason", "reload-failed")) != 0)
			return r;
		return put_s(o, "detail", ev->detail ? ev->detail : "");
	}
	return 1;
}

int
batch_event_json(struct sotto_wbuf *out, const struct client_event *ev)
{
	size_t start = out->len;
	int r;

	if ((r = event_body(out, ev)) != 0 ||
	    (r = sotto_wbuf_put(out, "}\n", 2)) != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
batch_notice_json(struct sotto_wbuf *out, const char *reason,
    const char *detail, size_t detail_len)
{
	size_t start = out->len;
	int r;

	if ((r = open_event(out, "notice")) != 0 ||
	    (r = put_s(out, "reason", reason)) != 0 ||
	    (r = sotto_wbuf_u8(out, ',')) != 0 ||
	    (r = sotto_json_key(out, "detail")) != 0 ||
	    (r = sotto_json_str(out, detail, detail_len)) != 0 ||
	    (r = sotto_wbuf_put(out, "}\n", 2)) != 0)
		out->len = start;
	return r;
}

/* --- the front-end ------------------------------------------------------- */

#define BATCH_HISTORY_DEFAULT 20u
#define BATCH_HISTORY_MAX     100000u
#define BATCH_SEARCH_HITS     200u
#define BATCH_SEARCH_SCAN     100000u

struct batch {
	struct ev_loop   *loop;
	struct client    *client;
	struct batch_in   in;
	struct sotto_wbuf json;
	ev_io             in_w;
	ev_prepare        quit_w;   /* /quit or EOF: leave once drained */
	ev_signal         int_w, term_w;
	bool              quitting;
	bool              started;
	int               status;
	int               stdin_flags;
};

static void
emit(struct batch *b)
{
	if (b->json.len == 0)
		return;
	fwrite(b->json.p, 1, b->json.len, stdout);
	fflush(stdout);
	sotto_wipe(b->json.p, b->json.len);
	sotto_wbuf_reset(&b->json);
}

static void
stop_watchers(struct batch *b)
{
	if (!b->started)
		return;
	ev_io_stop(b->loop, &b->in_w);
	ev_prepare_stop(b->loop, &b->quit_w);
	ev_signal_stop(b->loop, &b->int_w);
	ev_signal_stop(b->loop, &b->term_w);
}

static void
on_event(const struct client_event *ev, void *ctx)
{
	struct batch *b = ctx;

	if (batch_event_json(&b->json, ev) == 0)
		emit(b);
	if (ev->type == CLIENT_EV_ERROR) {
		fprintf(stderr, "sotto: %s\n", ev->detail ? ev->detail : ev->reason);
		b->status = 1;
		stop_watchers(b);
	}
}

static void
notice(struct batch *b, const char *reason, const char *detail)
{
	if (batch_notice_json(&b->json, reason, detail, strlen(detail)) == 0)
		emit(b);
}

static void
start_quit(struct batch *b)
{
	b->quitting = true;
	ev_io_stop(b->loop, &b->in_w);
	ev_prepare_start(b->loop, &b->quit_w);
}

/* /history [N]: the last N (default 20) stored records. */
static void
batch_history(struct batch *b, const uint8_t *line, size_t len)
{
	char num[16];
	unsigned long n = BATCH_HISTORY_DEFAULT;
	char *end;

	if (len > 9) {
		if (len - 9 >= sizeof(num)) {
			notice(b, "bad-command", "/history N: N is a count of lines");
			return;
		}
		memcpy(num, line + 9, len - 9);
		num[len - 9] = '\0';
		n = strtoul(num, &end, 10);
		if (end == num || *end != '\0' || n > BATCH_HISTORY_MAX) {
			notice(b, "bad-command", "/history N: N is a count of lines "
			    "up to 100000");
			return;
		}
	}
	(void)client_history_replay(b->client, n, "history");
}

/* /search TEXT: matches among the newest BATCH_SEARCH_SCAN records, then
 * one notice with the count. */
static void
batch_search(struct batch *b, const uint8_t *needle, size_t len)
{
	char text[SOTTO_TEXT_MAX + 1], done[128];
	bool all;
	int n;

	memcpy(text, needle, len);
	text[len] = '\0';
	if ((n = client_history_search(b->client, text, BATCH_SEARCH_HITS,
	    BATCH_SEARCH_SCAN, &all)) < 0)
		return;
	snprintf(done, sizeof(done), "%d match%s%s", n, n == 1 ? "" : "es",
	    all ? "" : " (not all of the history was searched)");
	notice(b, "search-done", done);
}

static void
on_line(void *ctx, enum batch_kind kind, const uint8_t *line, size_t len)
{
	struct batch *b = ctx;
	char err[512];

	if (b->quitting)
		return;     /* nothing after /quit counts */
	switch (kind) {
	case BATCH_MESSAGE:
		if (client_send_text(b->client, (const char *)line, len) != 0)
			notice(b, "not-sent", "the message could not be queued");
		break;
	case BATCH_WHO:
		client_who(b->client);
		break;
	case BATCH_QUIT:
		start_quit(b);
		break;
	case BATCH_RELOAD:
		if (client_reload(b->client, err, sizeof(err)) != 0)
			notice(b, "reload-failed", err);
		break;
	case BATCH_HISTORY:
		batch_history(b, line, len);
		break;
	case BATCH_SEARCH:
		batch_search(b, line + 8, len - 8);
		break;
	case BATCH_FORGET:
		if (client_history_forget(b->client) == 0)
			notice(b, "forgotten", "this room's history is wiped");
		break;
	case BATCH_UNKNOWN:
		if (batch_notice_json(&b->json, "unknown-command", (const char *)line,
		    len) == 0)
			emit(b);
		break;
	case BATCH_TOO_LONG:
		notice(b, "line-too-long", "lines longer than 16384 bytes are dropped");
		break;
	case BATCH_BAD_UTF8:
		notice(b, "invalid-utf8", "the line is not valid UTF-8; dropped");
		break;
	case BATCH_EMPTY:
		break;
	}
}

static void
on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
	struct batch *b = container_of(w, struct batch, in_w);
	uint8_t buf[16384];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* End of input (or an unreadable stdin) means /quit. */
		batch_in_eof(&b->in, on_line, b);
		if (!b->quitting)
			start_quit(b);
		return;
	}
	batch_in_feed(&b->in, buf, (size_t)n, on_line, b);
	sotto_wipe(buf, (size_t)n);
}

static void
on_quit_check(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct batch *b = container_of(w, struct batch, quit_w);

	(void)loop;
	(void)revents;
	if (!client_drained(b->client))
		return;
	client_shutdown(b->client);
	stop_watchers(b);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct batch *b = w->signum == SIGINT ?
	    container_of(w, struct batch, int_w) : container_of(w, struct batch, term_w);

	(void)loop;
	(void)revents;
	/* Leave at once; lines not yet sent are dropped. */
	b->status = 128 + w->signum;
	client_shutdown(b->client);
	stop_watchers(b);
}

static void
stdin_nonblock(struct batch *b)
{
	struct stat st;

	b->stdin_flags = -1;
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return;
	if ((b->stdin_flags = fcntl(STDIN_FILENO, F_GETFL)) >= 0)
		(void)fcntl(STDIN_FILENO, F_SETFL, b->stdin_flags | O_NONBLOCK);
}

int
batch_main(struct ev_loop *loop, const struct client_config *cfg)
{
	struct batch b;
	char err[512];

	memset(&b, 0, sizeof(b));
	b.loop = loop;
	batch_in_init(&b.in);
	sotto_wbuf_init(&b.json, 0);
	b.client = client_new(loop, cfg, on_event, &b, err, sizeof(err));
	if (b.client == NULL) {
		struct client_event ev = { .type = CLIENT_EV_ERROR,
		    .reason = "startup", .detail = err };

		on_event(&ev, &b);
		sotto_wbuf_free(&b.json);
		return 1;
	}
	/* Stored lines (--history N), and the one line when the history
	 * cannot be used, all before `connected`: the loop has not run. */
	if (b.status == 0)
		(void)client_history_start(b.client);
	if (b.status == 0) {
		stdin_nonblock(&b);
		ev_io_init(&b.in_w, on_stdin, STDIN_FILENO, EV_READ);
		ev_prepare_init(&b.quit_w, on_quit_check);
		ev_signal_init(&b.int_w, on_signal, SIGINT);
		ev_signal_init(&b.term_w, on_signal, SIGTERM);
		ev_io_start(loop, &b.in_w);
		ev_signal_start(loop, &b.int_w);
		ev_signal_start(loop, &b.term_w);
		b.started = true;
		ev_run(loop, 0);
		stop_watchers(&b);
		if (b.stdin_flags >= 0)
			(void)fcntl(STDIN_FILENO, F_SETFL, b.stdin_flags);
	}
	client_free(b.client);
	sotto_wbuf_free(&b.json);
	sotto_wipe(b.in.buf, sizeof(b.in.buf));
	return b.status;
}

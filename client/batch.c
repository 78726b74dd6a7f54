/* batch.c: sotto --batch: UTF-8 lines on stdin, one JSON event per line on stdout (wire-v1 §5, docs/batch.md). */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "err.h"
#include "frontend.h"
#include "json.h"
#include "pad.h"
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

/* line is "/word" alone (args 0), or "/word " and something (args 1). */
static bool
is_cmd(const uint8_t *line, size_t len, const char *word, int args)
{
	size_t n = strlen(word);

	if (len < n || memcmp(line, word, n) != 0)
		return false;
	if (len == n)
		return args == 0;
	return args == 1 && line[n] == ' ' && len > n + 1;
}

size_t
batch_arg(const uint8_t *line, size_t len, const uint8_t **arg)
{
	const uint8_t *sp = memchr(line, ' ', len);

	*arg = NULL;
	if (sp == NULL)
		return 0;
	*arg = sp + 1;
	return len - (size_t)(sp + 1 - line);
}

enum batch_kind
batch_classify(const uint8_t *line, size_t len)
{
	if (len > SOTTO_TEXT_MAX)
		return BATCH_TOO_LONG;
	if (len == 0)
		return BATCH_EMPTY;
	if (line[0] == '/') {
		if (is_cmd(line, len, "/who", 0))
			return BATCH_WHO;
		if (is_cmd(line, len, "/quit", 0) || is_cmd(line, len, "/quit", 1))
			return BATCH_QUIT;
		if (is_cmd(line, len, "/reload", 0))
			return BATCH_RELOAD;
		if (is_cmd(line, len, "/me", 1))
			return BATCH_ME;
		if (is_cmd(line, len, "/away", 0) || is_cmd(line, len, "/away", 1))
			return BATCH_AWAY;
		if (is_cmd(line, len, "/strict", 0) ||
		    (len == 10 && memcmp(line, "/strict on", 10) == 0) ||
		    (len == 11 && memcmp(line, "/strict off", 11) == 0))
			return BATCH_STRICT;
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
put_bool(struct sotto_wbuf *o, const char *key, bool v)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_wbuf_put(o, v ? "true" : "false", v ? 4 : 5);
}

static int
put_text(struct sotto_wbuf *o, const char *key, const char *s, size_t n)
{
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 || (r = sotto_json_key(o, key)) != 0)
		return r;
	return sotto_json_str(o, s != NULL ? s : "", s != NULL ? n : 0);
}

static int
put_readers(struct sotto_wbuf *o, const struct client_reader *u, size_t n)
{
	size_t i, k;
	int r;

	if ((r = sotto_wbuf_u8(o, ',')) != 0 ||
	    (r = sotto_json_key(o, "untrusted")) != 0 ||
	    (r = sotto_wbuf_u8(o, '[')) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (r = sotto_wbuf_u8(o, ',')) != 0) ||
		    (r = sotto_wbuf_u8(o, '{')) != 0 ||
		    (r = sotto_json_key(o, "fingerprint")) != 0 ||
		    (r = sotto_json_str(o, u[i].fpr, strlen(u[i].fpr))) != 0 ||
		    (r = put_u(o, "sessions", u[i].sessions)) != 0 ||
		    (r = sotto_wbuf_u8(o, ',')) != 0 ||
		    (r = sotto_json_key(o, "key_from")) != 0 ||
		    (r = sotto_wbuf_u8(o, '[')) != 0)
			return r;
		for (k = 0; k < u[i].n_key_from; k++)
			if ((k > 0 && (r = sotto_wbuf_u8(o, ',')) != 0) ||
			    (r = sotto_json_str(o, u[i].key_from[k],
			        strlen(u[i].key_from[k]))) != 0)
				return r;
		if ((r = sotto_wbuf_put(o, "]}", 2)) != 0)
			return r;
	}
	return sotto_wbuf_u8(o, ']');
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
		    (r = put_u(o, "sessions", m[i].sessions ? m[i].sessions : 1)) != 0 ||
		    (m[i].away != NULL && (r = put_s(o, "away", m[i].away)) != 0) ||
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
		if ((r = open_event(o, "members")) != 0 ||
		    (r = put_members(o, ev->members, ev->n_members)) != 0)
			return r;
		return put_readers(o, ev->readers, ev->n_readers);
	case CLIENT_EV_REJECTED:
	case CLIENT_EV_ERROR:
		if ((r = open_event(o, ev->type == CLIENT_EV_ERROR ? "error" :
		    "rejected")) != 0 || (r = put_s(o, "reason", ev->reason)) != 0 ||
		    (ev->type == CLIENT_EV_REJECTED && ev->fpr != NULL &&
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0))
			return r;
		return put_s(o, "detail", ev->detail ? ev->detail : "");
	case CLIENT_EV_ACTION:
	case CLIENT_EV_QUIT_MESSAGE:
		if ((r = open_event(o, ev->type == CLIENT_EV_ACTION ? "action" :
		    "quit-message")) != 0 ||
		    (r = put_s(o, "name", ev->name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0 ||
		    (r = put_text(o, "text", ev->text, ev->text_len)) != 0)
			return r;
		return put_u(o, "ts", ev->ts);
	case CLIENT_EV_AWAY:
		if ((r = open_event(o, "away")) != 0 ||
		    (r = put_s(o, "name", ev->name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0 ||
		    (r = put_bool(o, "away", ev->away)) != 0 ||
		    (r = put_text(o, "reason", ev->text, ev->text_len)) != 0)
			return r;
		return put_u(o, "ts", ev->ts);
	case CLIENT_EV_UNTRUSTED_JOINED:
		if ((r = open_event(o, "untrusted-joined")) != 0 ||
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0)
			return r;
		return put_u(o, "sessions", ev->sessions);
	case CLIENT_EV_UNTRUSTED_LEFT:
		if ((r = open_event(o, "untrusted-left")) != 0)
			return r;
		return put_s(o, "fingerprint", ev->fpr);
	case CLIENT_EV_KEY_HANDED:
		if ((r = open_event(o, "key-handed")) != 0 ||
		    (r = put_s(o, "name", ev->name)) != 0 ||
		    (r = put_s(o, "fingerprint", ev->fpr)) != 0)
			return r;
		return put_s(o, "to", ev->to);
	case CLIENT_EV_WAITING_KEY:
		if ((r = open_event(o, "waiting-key")) != 0 ||
		    (r = put_s(o, "asked", ev->name)) != 0 ||
		    (r = put_s(o, "asked_fingerprint", ev->to)) != 0)
			return r;
		return put_s(o, "fingerprint", ev->fpr);
	case CLIENT_EV_NOTICE:
		if ((r = open_event(o, "notice")) != 0 ||
		    (r = put_s(o, "reason", ev->reason)) != 0)
			return r;
		return put_s(o, "detail", ev->detail ? ev->detail : "");
	case CLIENT_EV_DISCONNECTED:
		if ((r = open_event(o, "disconnected")) != 0)
			return r;
		return put_s(o, "reason", ev->reason);
	case CLIENT_EV_STATUS:
		/* Only a failed SIGHUP reload is news to a bot. */
		if (ev->state == NULL || strcmp(ev->state, "reload-failed") != 0)
			return 1;
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

/* Queue a line of one content type; a notice when it cannot be. */
static int
send_kind(struct batch *b, uint8_t ctype, const uint8_t *text, size_t len)
{
	char readers[512], detail[640];
	int r;

	if (text == NULL)
		text = (const uint8_t *)"";
	r = client_send(b->client, ctype, (const char *)text, len);
	if (r == CLIENT_E_STRICT) {
		size_t n = client_readers(b->client, readers, sizeof(readers));

		snprintf(detail, sizeof(detail), "not sent: strict mode, %zu untrusted "
		    "reader%s in the room: %s", n, n == 1 ? "" : "s", readers);
		notice(b, "strict", detail);
	} else if (r == SOTTO_E_TOOLONG) {
		notice(b, ctype == SOTTO_CT_TEXT || ctype == SOTTO_CT_ACTION ?
		    "line-too-long" : "away-too-long", ctype == SOTTO_CT_TEXT ||
		    ctype == SOTTO_CT_ACTION ? "lines longer than 16384 bytes are dropped" :
		    "away reasons and quit messages are at most 256 bytes; not sent");
	} else if (r == SOTTO_E_FORMAT) {
		notice(b, "invalid-utf8", "the line is not valid UTF-8; dropped");
	} else if (r != 0) {
		notice(b, "not-sent", "the message could not be queued");
	}
	return r;
}

static void
start_quit(struct batch *b)
{
	b->quitting = true;
	ev_io_stop(b->loop, &b->in_w);
	ev_prepare_start(b->loop, &b->quit_w);
}

static void
on_line(void *ctx, enum batch_kind kind, const uint8_t *line, size_t len)
{
	struct batch *b = ctx;
	const uint8_t *arg;
	size_t alen;
	char err[512];

	if (b->quitting)
		return;     /* nothing after /quit counts */
	switch (kind) {
	case BATCH_MESSAGE:
		(void)send_kind(b, SOTTO_CT_TEXT, line, len);
		break;
	case BATCH_WHO:
		client_who(b->client);
		break;
	case BATCH_QUIT:
		if ((alen = batch_arg(line, len, &arg)) > 0 &&
		    send_kind(b, SOTTO_CT_QUIT, arg, alen) != 0)
			break;      /* not sent: say why, stay */
		start_quit(b);
		break;
	case BATCH_ME:
		alen = batch_arg(line, len, &arg);
		(void)send_kind(b, SOTTO_CT_ACTION, arg, alen);
		break;
	case BATCH_AWAY:
		alen = batch_arg(line, len, &arg);
		(void)send_kind(b, SOTTO_CT_AWAY, arg, alen);
		break;
	case BATCH_STRICT:
		client_set_strict(b->client, len != 11);
		notice(b, len != 11 ? "strict-on" : "strict-off", len != 11 ?
		    "nothing is sent while an untrusted reader is in the room" :
		    "lines are sent whoever is in the room");
		break;
	case BATCH_RELOAD:
		if (client_reload(b->client, err, sizeof(err)) != 0)
			notice(b, "reload-failed", err);
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

/* SPDX-License-Identifier: ISC */
/* batch.c: sotto --batch: UTF-8 lines on stdin, one JSON event per line on stdout (wire-v1 §5, docs/batch.md). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "cmd.h"
#include "container.h"
#include "err.h"
#include "frontend.h"
#include "pad.h"
#include "trust.h"

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
		fprintf(stderr, "sotto: %s\n", ev->error.detail ? ev->error.detail :
		    ev->error.reason);
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

#define BATCH_HISTORY_DEFAULT 20u
#define BATCH_HISTORY_MAX     100000u
#define BATCH_SEARCH_HITS     200u
#define BATCH_SEARCH_SCAN     100000u

/* The words after a command, without leading spaces, NUL-terminated in
 * buf; false when they do not fit. */
static bool
words(const char *rest, size_t rest_len, char *buf, size_t cap)
{
	while (rest_len > 0 && *rest == ' ') {
		rest++;
		rest_len--;
	}
	if (rest_len >= cap)
		return false;
	if (rest_len > 0)
		memcpy(buf, rest, rest_len);
	buf[rest_len] = '\0';
	return true;
}

/* /history [N]: the last N (default 20) stored records of the room;
 * /history NAME [N]: of the direct messages with trusted member NAME. One
 * word of digits is a count (a member whose name is digits: give N too). */
static void
cmd_history(struct batch *b, const char *rest, size_t rest_len)
{
	unsigned long n = BATCH_HISTORY_DEFAULT;
	char buf[SOTTO_PEER_NAME_MAX + 16], *name = NULL, *num = buf, *sp, *end;

	if (!words(rest, rest_len, buf, sizeof(buf)))
		goto bad;
	if ((sp = strchr(buf, ' ')) != NULL ||
	    (buf[0] != '\0' && (buf[0] < '0' || buf[0] > '9'))) {
		name = buf;
		num = "";
		if (sp != NULL) {
			*sp++ = '\0';
			num = sp;
		}
	}
	if (num[0] != '\0' && ((n = strtoul(num, &end, 10)) > BATCH_HISTORY_MAX ||
	    num[0] < '0' || num[0] > '9' || *end != '\0'))
		goto bad;
	if (name != NULL && !client_trusts_name(b->client, name)) {
		notice(b, "bad-command", "/history NAME [N]: NAME is not a name in "
		    "the trusted folder");
		return;
	}
	if (name != NULL)
		(void)client_history_dm_replay(b->client, name, n, "history");
	else
		(void)client_history_replay(b->client, n, "history");
	return;
bad:
	notice(b, "bad-command", "/history [NAME] [N]: N is a count of lines up "
	    "to 100000");
}

/* /search TEXT: matches among the newest BATCH_SEARCH_SCAN records, then
 * one notice with the count. */
static void
cmd_search(struct batch *b, const char *rest, size_t rest_len)
{
	char text[SOTTO_TEXT_MAX + 1], done[128];
	bool all;
	int n;

	if (!words(rest, rest_len, text, sizeof(text)) || text[0] == '\0') {
		notice(b, "bad-command", "/search TEXT: TEXT to look for");
		return;
	}
	if ((n = client_history_search(b->client, text, BATCH_SEARCH_HITS,
	    BATCH_SEARCH_SCAN, &all)) < 0)
		return;
	snprintf(done, sizeof(done), "%d match%s%s", n, n == 1 ? "" : "es",
	    all ? "" : " (not all of the history was searched)");
	notice(b, "search-done", done);
}

/* Queue a line of one content type; a notice when it cannot be. */
static int
send_kind(struct batch *b, uint8_t ctype, const char *text, size_t len)
{
	char readers[512], detail[640];
	bool text_like = ctype == SOTTO_CT_TEXT || ctype == SOTTO_CT_ACTION;
	int r;

	r = client_send(b->client, ctype, text, len);
	if (r == CLIENT_E_STRICT) {
		size_t n = client_readers(b->client, readers, sizeof(readers));

		snprintf(detail, sizeof(detail), "not sent: strict mode, %zu untrusted "
		    "reader%s in the room: %s", n, n == 1 ? "" : "s", readers);
		notice(b, "strict", detail);
	} else if (r == SOTTO_E_TOOLONG) {
		notice(b, text_like ? "line-too-long" : "away-too-long", text_like ?
		    "lines longer than 16384 bytes are dropped" :
		    "away reasons and quit messages are at most 256 bytes; not sent");
	} else if (r == SOTTO_E_FORMAT) {
		notice(b, "invalid-utf8", "the line is not valid UTF-8; dropped");
	} else if (r != 0) {
		notice(b, "not-sent", "the message could not be queued");
	}
	return r;
}

/* /msg NAME TEXT: sent now, or one notice saying why not. */
static void
send_dm(struct batch *b, const char *arg, size_t n)
{
	char name[SOTTO_PEER_NAME_MAX + 1], why[512];
	const char *text, *reason;
	size_t len;

	if (!fe_cmd_name_text(arg, n, name, sizeof(name), &text, &len) ||
	    len == 0) {
		notice(b, "bad-command", "/msg NAME TEXT: a member's name, then the text");
		return;
	}
	if (client_send_dm(b->client, name, text, len, why, sizeof(why),
	    &reason) != 0)
		notice(b, reason, why);
}

/* N of /accept N, /cancel N. */
static bool
transfer_number(const char *arg, size_t n, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return false;
	for (i = 0; i < n; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(arg[i] - '0');
	}
	*out = (unsigned)v;
	return v > 0;
}

/* /send PATH or /send NAME PATH: the whole argument when it names a file
 * that exists (paths may hold spaces), else NAME is the first word. When
 * both readings hold (a file "alice report.pdf" and a trusted alice with a
 * file report.pdf) it is refused as ambiguous: file-system state must not
 * turn a DM file into a room file. */
/* arg also reads as NAME PATH: a trusted name, then an existing file. */
static bool
dm_reading(struct batch *b, const char *arg, size_t n)
{
	char name[SOTTO_PEER_NAME_MAX + 1], path[4096];
	const char *rest;
	size_t rest_len;
	struct stat st;

	if (memchr(arg, ' ', n) == NULL ||
	    !fe_cmd_name_text(arg, n, name, sizeof(name), &rest, &rest_len) ||
	    rest_len == 0 || rest_len >= sizeof(path) ||
	    !client_trusts_name(b->client, name))
		return false;
	memcpy(path, rest, rest_len);
	path[rest_len] = '\0';
	return stat(path, &st) == 0;
}

static void
send_file(struct batch *b, const char *arg, size_t n)
{
	char path[4096], name[SOTTO_PEER_NAME_MAX + 1], why[640];
	const char *reason, *rest;
	struct stat st;
	size_t rest_len;

	if (n >= sizeof(path)) {
		notice(b, "bad-command", "/send: the path is too long");
		return;
	}
	memcpy(path, arg, n);
	path[n] = '\0';
	if (stat(path, &st) == 0 && dm_reading(b, arg, n)) {
		snprintf(why, sizeof(why), "/send: \"%.400s\" is a file, and so is "
		    "what follows the member name; nothing sent: say ./PATH for "
		    "the room file, or NAME ./PATH for the member", path);
		notice(b, "ambiguous", why);
		return;
	}
	if (stat(path, &st) != 0 && memchr(arg, ' ', n) != NULL) {
		if (!fe_cmd_name_text(arg, n, name, sizeof(name), &rest, &rest_len) ||
		    rest_len == 0) {
			notice(b, "bad-command", "/send [NAME] PATH: a file, to the room "
			    "or to one member");
			return;
		}
		memcpy(path, rest, rest_len);
		path[rest_len] = '\0';
		if (client_send_file(b->client, name, path, why, sizeof(why),
		    &reason) != 0)
			notice(b, reason, why);
		return;
	}
	if (client_send_file(b->client, NULL, path, why, sizeof(why), &reason) != 0)
		notice(b, reason, why);
}

static void
file_command(struct batch *b, enum batch_file_cmd fc, const char *arg, size_t n)
{
	char why[512];
	unsigned num;
	int r;

	if (fc == BATCH_FILE_SEND) {
		send_file(b, arg, n);
		return;
	}
	if (!transfer_number(arg, n, &num)) {
		notice(b, "bad-command", fc == BATCH_FILE_ACCEPT ? "/accept N: the "
		    "number of a file offer" : "/cancel N: the number of a transfer");
		return;
	}
	r = fc == BATCH_FILE_ACCEPT ? client_accept_file(b->client, num, why,
	    sizeof(why)) : client_cancel_file(b->client, num, why, sizeof(why));
	/* Other failures were a file-failed event already. */
	if (r == SOTTO_E_NOTFOUND || r == SOTTO_E_INVAL)
		notice(b, r == SOTTO_E_NOTFOUND ? "no-such-transfer" : "not-waiting",
		    why);
}

static void
strict(struct batch *b, const char *arg, size_t n)
{
	bool on = !(n == 3 && memcmp(arg, "off", 3) == 0);

	if (n > 0 && on && !(n == 2 && memcmp(arg, "on", 2) == 0)) {
		notice(b, "unknown-command", "/strict takes on or off");
		return;
	}
	client_set_strict(b->client, on);
	notice(b, on ? "strict-on" : "strict-off", on ?
	    "nothing is sent while an untrusted reader is in the room" :
	    "lines are sent whoever is in the room");
}

static void
command(struct batch *b, const char *line, size_t len)
{
	const struct fe_cmd *cmd;
	const char *rest, *arg;
	size_t rest_len, alen;
	enum batch_file_cmd fc;
	char err[512];

	if ((cmd = fe_cmd_parse(line, len, &rest, &rest_len)) == NULL) {
		fc = batch_file_cmd((const uint8_t *)line, len, &rest, &rest_len);
		arg = fe_cmd_arg(rest, rest_len, &alen);
		if (fc != BATCH_FILE_NONE)
			file_command(b, fc, arg, alen);
		return;     /* batch_classify said it is one */
	}
	arg = fe_cmd_arg(rest, rest_len, &alen);
	switch (cmd->id) {
	case FE_CMD_WHO:
		client_who(b->client);
		break;
	case FE_CMD_FINGERPRINT:
		if (batch_fingerprint_json(&b->json, client_fingerprint(b->client)) == 0)
			emit(b);
		break;
	case FE_CMD_RELOAD:
		if (client_reload(b->client, err, sizeof(err)) != 0)
			notice(b, "reload-failed", err);
		break;
	case FE_CMD_HELP:
		if (batch_help_json(&b->json) == 0)
			emit(b);
		break;
	case FE_CMD_QUIT:
		if (alen > 0 && send_kind(b, SOTTO_CT_QUIT, arg, alen) != 0)
			break;      /* not sent: said why, and stays */
		start_quit(b);
		break;
	case FE_CMD_HISTORY:
		cmd_history(b, rest, rest_len);
		break;
	case FE_CMD_SEARCH:
		cmd_search(b, rest, rest_len);
		break;
	case FE_CMD_FORGET:
		if (client_history_forget(b->client) == 0)
			notice(b, "forgotten", "this room's history is wiped, its "
			    "private messages too");
		break;
	case FE_CMD_ME:
		(void)send_kind(b, SOTTO_CT_ACTION, arg, alen);
		break;
	case FE_CMD_AWAY:
		(void)send_kind(b, SOTTO_CT_AWAY, arg, alen);
		break;
	case FE_CMD_STRICT:
		strict(b, arg, alen);
		break;
	case FE_CMD_MSG:
		send_dm(b, arg, alen);
		break;
	case FE_CMD_QUERY:
	case FE_CMD_CLOSE:
	case FE_CMD_JOIN:
	case FE_CMD_WINDOW:
	case FE_CMD_CLEAR:
		break;      /* interactive only: batch_classify refuses them */
	}
}

static void
on_line(void *ctx, enum batch_kind kind, const uint8_t *line, size_t len)
{
	struct batch *b = ctx;

	if (b->quitting)
		return;     /* nothing after /quit counts */
	switch (kind) {
	case BATCH_MESSAGE:
		(void)send_kind(b, SOTTO_CT_TEXT, (const char *)line, len);
		break;
	case BATCH_COMMAND:
		command(b, (const char *)line, len);
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
	/* A signed LEAVE first; then wait for it to be written too. */
	if (client_leave(b->client))
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

/* Trusted-folder files skipped at start: one notice each (the count
 * when more were skipped than lines were kept). */
static void
trust_notices(struct batch *b)
{
	const char *const *warn;
	size_t n_warn, i, n = client_trust_skipped(b->client, &warn, &n_warn);
	char more[96];

	for (i = 0; i < n_warn; i++)
		notice(b, "trust-skipped", warn[i]);
	if (n > n_warn) {
		snprintf(more, sizeof(more), "%zu more files skipped", n - n_warn);
		notice(b, "trust-skipped", more);
	}
}

int
batch_startup_error(const char *detail)
{
	struct client_event ev = { .type = CLIENT_EV_ERROR,
	    .error = { .reason = "startup", .detail = detail } };
	struct batch b;

	memset(&b, 0, sizeof(b));
	sotto_wbuf_init(&b.json, 0);
	on_event(&ev, &b);
	sotto_wbuf_free(&b.json);
	return 1;
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
		    .error = { .reason = "startup", .detail = err } };

		on_event(&ev, &b);
		sotto_wbuf_free(&b.json);
		return 1;
	}
	trust_notices(&b);
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

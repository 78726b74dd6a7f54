/* SPDX-License-Identifier: ISC */
/* agent.c: ssh-agent client: REQUEST_IDENTITIES and SIGN_REQUEST over a unix socket, blocking or event-driven. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

/* Message numbers (draft-miller-ssh-agent §5.1). */
#define AGENT_FAILURE            5
#define AGENTC_REQUEST_IDS       11
#define AGENT_IDS_ANSWER         12
#define AGENTC_SIGN_REQUEST      13
#define AGENT_SIGN_RESPONSE      14
/* Also failures, as OpenSSH treats them. */
#define AGENT2_FAILURE           30
#define COM_AGENT2_FAILURE       102

#define SIG_TYPE                 "ssh-ed25519"
#define SIG_BLOB_MAX             128u    /* string type, string sig */
#define COMMENT_READ_MAX         4096u
#define READ_CHUNK               4096u

struct sotto_agent {
	int               fd;
	struct sotto_wbuf out;       /* requests not yet written */
	struct sotto_wbuf in;        /* answers not yet taken */
	size_t            pending;   /* requests without a taken answer */
};

static int aerr(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
aerr(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

int
sotto_agent_open(const char *path, struct sotto_agent **out, char *err,
    size_t err_len)
{
	struct sockaddr_un sun;
	struct sotto_agent *a;
	int fd;

	*out = NULL;
	if (path == NULL)
		path = getenv("SSH_AUTH_SOCK");
	if (path == NULL || *path == '\0')
		return aerr(err, err_len, SOTTO_E_NOTFOUND, "no ssh-agent: "
		    "SSH_AUTH_SOCK is not set");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return aerr(err, err_len, SOTTO_E_TOOLONG, "ssh-agent socket "
		    "path is too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return aerr(err, err_len, SOTTO_E_IO, "ssh-agent: socket: %s",
		    strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		close(fd);
		return aerr(err, err_len, SOTTO_E_IO, "cannot reach ssh-agent "
		    "at %s: %s", path, strerror(e));
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return aerr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	}
	a->fd = fd;
	sotto_wbuf_init(&a->out, 0);
	sotto_wbuf_init(&a->in, 0);
	*out = a;
	return 0;
}

int
sotto_agent_from_fd(int fd, struct sotto_agent **out)
{
	struct sotto_agent *a;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return SOTTO_E_ALLOC;
	a->fd = fd;
	sotto_wbuf_init(&a->out, 0);
	sotto_wbuf_init(&a->in, 0);
	*out = a;
	return 0;
}

void
sotto_agent_free(struct sotto_agent *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	sotto_wbuf_free(&a->out);
	sotto_wbuf_free(&a->in);
	free(a);
}

int
sotto_agent_fd(const struct sotto_agent *a)
{
	return a->fd;
}

int
sotto_agent_nonblock(struct sotto_agent *a)
{
	int fl = fcntl(a->fd, F_GETFL);

	if (fl < 0 || fcntl(a->fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return SOTTO_E_IO;
	return 0;
}

size_t
sotto_agent_pending(const struct sotto_agent *a)
{
	return a->pending;
}

int
sotto_agent_want_write(const struct sotto_agent *a)
{
	return a->out.len > 0;
}

/* Queue one message: u32 length, then type and body. */
static int
queue_msg(struct sotto_agent *a, const struct sotto_wbuf *body)
{
	int r;

	if (body->len > SOTTO_AGENT_MSG_MAX)
		return SOTTO_E_TOOLONG;
	if ((r = sotto_wbuf_u32(&a->out, (uint32_t)body->len)) != 0 ||
	    (r = sotto_wbuf_put(&a->out, body->p, body->len)) != 0)
		return r;
	a->pending++;
	return 0;
}

int
sotto_agent_sign_queue(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], const void *msg, size_t n)
{
	uint8_t blob[SOTTO_SSH_BLOB_LEN], buf[SOTTO_PREHASH_MSG_LEN];
	struct sotto_wbuf b;
	const void *m;
	size_t mn;
	int r;

	/* The agent signs what the key file would (crypto.h). */
	sotto_ed25519_message(msg, n, buf, &m, &mn);
	sotto_ssh_blob(pub, blob);
	sotto_wbuf_init(&b, SOTTO_AGENT_MSG_MAX);
	if ((r = sotto_wbuf_u8(&b, AGENTC_SIGN_REQUEST)) == 0 &&
	    (r = sotto_wbuf_string32(&b, blob, sizeof(blob))) == 0 &&
	    (r = sotto_wbuf_string32(&b, m, mn)) == 0 &&
	    (r = sotto_wbuf_u32(&b, 0)) == 0)   /* flags */
		r = queue_msg(a, &b);
	sotto_wbuf_free(&b);
	return r;
}

int
sotto_agent_flush(struct sotto_agent *a, char *err, size_t err_len)
{
	ssize_t w;

	while (a->out.len > 0) {
		w = send(a->fd, a->out.p, a->out.len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w < 0)
			return aerr(err, err_len, SOTTO_E_IO, "ssh-agent: write "
			    "failed: %s", strerror(errno));
		sotto_wbuf_consume(&a->out, (size_t)w);
	}
	return 0;
}

int
sotto_agent_read(struct sotto_agent *a, char *err, size_t err_len)
{
	ssize_t got;
	int r;

	for (;;) {
		/* Never hold more than one maximal answer plus a chunk. */
		if (a->in.len > SOTTO_AGENT_MSG_MAX + 4u)
			return 0;
		if ((r = sotto_wbuf_reserve(&a->in, READ_CHUNK)) != 0)
			return aerr(err, err_len, r, "ssh-agent: out of memory");
		got = recv(a->fd, a->in.p + a->in.len, READ_CHUNK, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (got < 0)
			return aerr(err, err_len, SOTTO_E_IO, "ssh-agent: read "
			    "failed: %s", strerror(errno));
		if (got == 0)
			return aerr(err, err_len, SOTTO_E_IO, "ssh-agent closed "
			    "the connection");
		a->in.len += (size_t)got;
		if ((size_t)got < READ_CHUNK)
			return 0;
	}
}

/* The next whole answer: *type and a reader over its body, borrowed from
 * a->in until take_msg. SOTTO_E_AGAIN when incomplete. */
static int
peek_msg(struct sotto_agent *a, uint8_t *type, struct sotto_rd *body,
    size_t *total, char *err, size_t err_len)
{
	struct sotto_rd rd;
	uint32_t len;
	const uint8_t *p;

	*type = 0;
	*total = 0;
	sotto_rd_init(body, NULL, 0);
	sotto_rd_init(&rd, a->in.p, a->in.len);
	if (sotto_rd_u32(&rd, &len) != 0)
		return SOTTO_E_AGAIN;
	if (len == 0 || len > SOTTO_AGENT_MSG_MAX)
		return aerr(err, err_len, SOTTO_E_LEN, "ssh-agent sent a message "
		    "of %u bytes (1..%u allowed)", len, SOTTO_AGENT_MSG_MAX);
	if (sotto_rd_ptr(&rd, &p, len) != 0)
		return SOTTO_E_AGAIN;
	*type = p[0];
	sotto_rd_init(body, p + 1, len - 1);
	*total = 4u + len;
	return 0;
}

static void
take_msg(struct sotto_agent *a, size_t total)
{
	sotto_wbuf_consume(&a->in, total);
	if (a->pending > 0)
		a->pending--;
}

static int
is_failure(uint8_t type)
{
	return type == AGENT_FAILURE || type == AGENT2_FAILURE ||
	    type == COM_AGENT2_FAILURE;
}

/* SIGN_RESPONSE body: string signature = string "ssh-ed25519", string sig. */
static int
sig_parse(struct sotto_rd *body, uint8_t sig[static SOTTO_ED25519_SIG],
    char *err, size_t err_len)
{
	struct sotto_rd rd;
	const uint8_t *blob, *type, *s;
	size_t blob_len, type_len, s_len;
	int r;

	memset(sig, 0, SOTTO_ED25519_SIG);
	if ((r = sotto_rd_string32(body, &blob, &blob_len, SIG_BLOB_MAX)) != 0 ||
	    (r = sotto_rd_end(body)) != 0)
		return aerr(err, err_len, r, "ssh-agent sent a malformed "
		    "signature answer");
	sotto_rd_init(&rd, blob, blob_len);
	if ((r = sotto_rd_string32(&rd, &type, &type_len, SIG_BLOB_MAX)) != 0 ||
	    type_len != strlen(SIG_TYPE) || memcmp(type, SIG_TYPE, type_len) != 0)
		return aerr(err, err_len, r ? r : SOTTO_E_KEYTYPE, "ssh-agent "
		    "answered with a signature that is not ssh-ed25519");
	if ((r = sotto_rd_string32(&rd, &s, &s_len, SOTTO_ED25519_SIG)) != 0 ||
	    s_len != SOTTO_ED25519_SIG || (r = sotto_rd_end(&rd)) != 0)
		return aerr(err, err_len, r ? r : SOTTO_E_FORMAT, "ssh-agent "
		    "sent an ssh-ed25519 signature of the wrong size");
	memcpy(sig, s, SOTTO_ED25519_SIG);
	return 0;
}

int
sotto_agent_sign_next(struct sotto_agent *a,
    uint8_t sig[static SOTTO_ED25519_SIG], char *err, size_t err_len)
{
	struct sotto_rd body;
	size_t total;
	uint8_t type;
	int r;

	memset(sig, 0, SOTTO_ED25519_SIG);
	if ((r = peek_msg(a, &type, &body, &total, err, err_len)) != 0)
		return r;
	if (is_failure(type)) {
		take_msg(a, total);
		return aerr(err, err_len, SOTTO_E_AGENT, "ssh-agent refused to "
		    "sign (key removed, or confirmation denied?)");
	}
	if (type != AGENT_SIGN_RESPONSE)
		return aerr(err, err_len, SOTTO_E_TYPE, "ssh-agent answered a "
		    "signature request with message type %u", type);
	r = sig_parse(&body, sig, err, err_len);
	take_msg(a, total);
	return r;
}

/* --- blocking use ---------------------------------------------------------------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write everything queued and read until one whole answer is there. */
static int
roundtrip(struct sotto_agent *a, int timeout_ms, char *err, size_t err_len)
{
	long long end = now_ms() + timeout_ms;
	struct pollfd pfd;
	uint8_t type;
	struct sotto_rd body;
	size_t total;
	int r, left;

	for (;;) {
		if (a->out.len == 0 &&
		    peek_msg(a, &type, &body, &total, NULL, 0) != SOTTO_E_AGAIN)
			return 0;
		left = timeout_ms > 0 ? (int)(end - now_ms()) : -1;
		if (timeout_ms > 0 && left <= 0)
			return aerr(err, err_len, SOTTO_E_IO, "ssh-agent did not "
			    "answer within %d ms", timeout_ms);
		pfd.fd = a->fd;
		pfd.events = a->out.len > 0 ? POLLOUT : POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return aerr(err, err_len, SOTTO_E_IO, "ssh-agent: poll: %s",
			    strerror(errno));
		if (a->out.len > 0 && (r = sotto_agent_flush(a, err, err_len)) != 0)
			return r;
		if (a->out.len == 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (r = sotto_agent_read(a, err, err_len)) != 0)
			return r;
	}
}

int
sotto_agent_sign(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], const void *msg, size_t n,
    uint8_t sig[static SOTTO_ED25519_SIG], int timeout_ms, char *err,
    size_t err_len)
{
	int r;

	memset(sig, 0, SOTTO_ED25519_SIG);
	if (a->pending != 0)
		return aerr(err, err_len, SOTTO_E_INVAL, "ssh-agent: requests "
		    "are in flight");
	if ((r = sotto_agent_sign_queue(a, pub, msg, n)) != 0)
		return aerr(err, err_len, r, "ssh-agent: cannot build the "
		    "request: %s", sotto_strerror(r));
	if ((r = roundtrip(a, timeout_ms, err, err_len)) != 0 ||
	    (r = sotto_agent_sign_next(a, sig, err, err_len)) != 0)
		return r;
	if (sotto_ed25519_verify(pub, msg, n, sig) != 0) {
		memset(sig, 0, SOTTO_ED25519_SIG);
		return aerr(err, err_len, SOTTO_E_SIG, "ssh-agent returned a "
		    "signature that does not verify");
	}
	return 0;
}

/* IDENTITIES_ANSWER: u32 n, n * (string blob, string comment). */
static int
ids_find(struct sotto_rd *body, const uint8_t pub[static SOTTO_ED25519_PUB],
    char *err, size_t err_len)
{
	uint8_t want[SOTTO_SSH_BLOB_LEN];
	const uint8_t *blob, *comment;
	size_t blob_len, comment_len;
	uint32_t n, i;
	int r, found = 0;

	sotto_ssh_blob(pub, want);
	if ((r = sotto_rd_u32(body, &n)) != 0)
		return aerr(err, err_len, r, "ssh-agent sent a malformed "
		    "identity list");
	for (i = 0; i < n && i < SOTTO_AGENT_KEYS_MAX; i++) {
		if ((r = sotto_rd_string32(body, &blob, &blob_len,
		    SOTTO_AGENT_MSG_MAX)) != 0 ||
		    (r = sotto_rd_string32(body, &comment, &comment_len,
		    COMMENT_READ_MAX)) != 0)
			return aerr(err, err_len, r, "ssh-agent sent a malformed "
			    "identity list");
		if (blob_len == sizeof(want) && memcmp(blob, want, blob_len) == 0)
			found = 1;
	}
	if (found)
		return 0;
	return aerr(err, err_len, SOTTO_E_NOTFOUND, "the key is not in "
	    "ssh-agent (add it with ssh-add)");
}

int
sotto_agent_find(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], int timeout_ms, char *err,
    size_t err_len)
{
	struct sotto_wbuf b;
	struct sotto_rd body;
	size_t total;
	uint8_t type;
	int r;

	if (a->pending != 0)
		return aerr(err, err_len, SOTTO_E_INVAL, "ssh-agent: requests "
		    "are in flight");
	sotto_wbuf_init(&b, 1);
	r = sotto_wbuf_u8(&b, AGENTC_REQUEST_IDS);
	if (r == 0)
		r = queue_msg(a, &b);
	sotto_wbuf_free(&b);
	if (r != 0)
		return aerr(err, err_len, r, "ssh-agent: out of memory");
	if ((r = roundtrip(a, timeout_ms, err, err_len)) != 0 ||
	    (r = peek_msg(a, &type, &body, &total, err, err_len)) != 0)
		return r;
	if (is_failure(type))
		r = aerr(err, err_len, SOTTO_E_AGENT, "ssh-agent refused to "
		    "list its keys");
	else if (type != AGENT_IDS_ANSWER)
		r = aerr(err, err_len, SOTTO_E_TYPE, "ssh-agent answered the "
		    "identity request with message type %u", type);
	else
		r = ids_find(&body, pub, err, err_len);
	take_msg(a, total);
	return r;
}

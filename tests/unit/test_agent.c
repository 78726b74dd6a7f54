/* SPDX-License-Identifier: ISC */
/* test_agent.c: the ssh-agent client against a scripted fake agent: good, refused, malformed, split and silent answers. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

/* How the fake agent answers each request. */
enum mode {
	GOOD,          /* a real signature / a list holding our key */
	OTHER_LIST,    /* a list without our key */
	FAILURE,       /* SSH_AGENT_FAILURE */
	BAD_SIG,       /* a signature with one bit flipped */
	RSA_SIG,       /* "ssh-rsa" signature type */
	SHORT_SIG,     /* 63-byte signature */
	WRONG_TYPE,    /* message type 99 */
	HUGE_LEN,      /* length over the maximum */
	SHORT_LIST,    /* claims 5 keys, holds 1 */
	SPLIT,         /* good answers, written one byte at a time */
	SILENT,        /* never answers */
	HANGUP,        /* closes the connection */
};

static char sock_path[108];
static struct sotto_ed25519 *key;     /* the agent's (and our) key */
static struct sotto_ed25519 *other;

static void
send_all(int fd, const uint8_t *p, size_t n, int split)
{
	while (n > 0) {
		ssize_t w = write(fd, p, split ? 1 : n);
		if (w <= 0)
			_exit(3);
		p += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, struct sotto_wbuf *body, int split)
{
	uint8_t len[4];

	sotto_store_be32(len, (uint32_t)body->len);
	send_all(fd, len, 4, split);
	send_all(fd, body->p, body->len, split);
}

/* Read one request: type, and for SIGN_REQUEST its data. */
static int
read_request(int fd, uint8_t *type, uint8_t *data, size_t *data_len)
{
	uint8_t hdr[4], msg[4096];
	struct sotto_rd rd;
	const uint8_t *blob, *d;
	size_t blob_len, n, got = 0;
	uint32_t len;

	for (got = 0; got < 4; ) {
		ssize_t r = read(fd, hdr + got, 4 - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	len = sotto_load_be32(hdr);
	if (len == 0 || len > sizeof(msg))
		return -1;
	for (got = 0; got < len; ) {
		ssize_t r = read(fd, msg + got, len - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	*type = msg[0];
	*data_len = 0;
	if (*type != 13)
		return 0;
	sotto_rd_init(&rd, msg + 1, len - 1);
	if (sotto_rd_string32(&rd, &blob, &blob_len, 1024) != 0 ||
	    sotto_rd_string32(&rd, &d, &n, 2048) != 0)
		return -1;
	memcpy(data, d, n);
	*data_len = n;
	return 0;
}

static void
put_sig(struct sotto_wbuf *b, const char *type, const uint8_t *sig, size_t n)
{
	struct sotto_wbuf s;

	sotto_wbuf_init(&s, 0);
	sotto_wbuf_string32(&s, type, strlen(type));
	sotto_wbuf_string32(&s, sig, n);
	sotto_wbuf_u8(b, 14);
	sotto_wbuf_string32(b, s.p, s.len);
	sotto_wbuf_free(&s);
}

static void
put_list(struct sotto_wbuf *b, int with_ours, uint32_t claim)
{
	uint8_t blob[SOTTO_SSH_BLOB_LEN];

	sotto_wbuf_u8(b, 12);
	sotto_wbuf_u32(b, claim);
	sotto_ssh_blob(sotto_ed25519_pub(other), blob);
	sotto_wbuf_string32(b, blob, sizeof(blob));
	sotto_wbuf_string32(b, "other", 5);
	if (with_ours) {
		sotto_ssh_blob(sotto_ed25519_pub(key), blob);
		sotto_wbuf_string32(b, blob, sizeof(blob));
		sotto_wbuf_string32(b, "ours", 4);
	}
}

static void
answer(int fd, enum mode m, uint8_t type, const uint8_t *data, size_t n)
{
	struct sotto_wbuf b;
	uint8_t sig[64];

	sotto_wbuf_init(&b, 0);
	if (m == SILENT)
		pause();
	if (m == HANGUP)
		_exit(0);
	if (type == 11 && (m == GOOD || m == SPLIT))
		put_list(&b, 1, 2);
	else if (type == 11 && m == OTHER_LIST)
		put_list(&b, 0, 1);
	else if (type == 11 && m == SHORT_LIST)
		put_list(&b, 0, 5);
	else if (m == FAILURE)
		sotto_wbuf_u8(&b, 5);
	else if (m == WRONG_TYPE)
		sotto_wbuf_u8(&b, 99);
	else if (m == HUGE_LEN) {
		uint8_t len[4];
		sotto_store_be32(len, SOTTO_AGENT_MSG_MAX + 1);
		send_all(fd, len, 4, 0);
		return;
	} else {
		sotto_ed25519_sign(key, data, n, sig);
		if (m == BAD_SIG)
			sig[10] ^= 1;
		put_sig(&b, m == RSA_SIG ? "ssh-rsa" : "ssh-ed25519", sig,
		    m == SHORT_SIG ? 63 : 64);
	}
	reply(fd, &b, m == SPLIT);
	sotto_wbuf_free(&b);
}

/* A fake agent serving one connection in a child; its pid. */
static pid_t
fake_agent(enum mode m)
{
	struct sockaddr_un sun;
	int ls, fd;
	pid_t pid;

	unlink(sock_path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock_path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(ls, 1) != 0)
		return -1;
	if ((pid = fork()) != 0) {
		close(ls);
		return pid;
	}
	fd = accept(ls, NULL, NULL);
	for (;;) {
		uint8_t type, data[2048];
		size_t n;
		if (read_request(fd, &type, data, &n) != 0)
			_exit(0);
		answer(fd, m, type, data, n);
	}
}

static void
reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static struct sotto_agent *
connect_to(enum mode m, pid_t *pid)
{
	struct sotto_agent *a = NULL;
	char err[256];

	*pid = fake_agent(m);
	CHECK(*pid > 0);
	CHECK_EQ(sotto_agent_open(sock_path, &a, err, sizeof(err)), 0);
	return a;
}

static void
test_find(void)
{
	static const struct { enum mode m; int want; const char *in; } t[] = {
		{ GOOD, 0, "" },
		{ OTHER_LIST, SOTTO_E_NOTFOUND, "not in ssh-agent" },
		{ FAILURE, SOTTO_E_AGENT, "refused to list" },
		{ SHORT_LIST, SOTTO_E_SHORT, "malformed identity list" },
		{ WRONG_TYPE, SOTTO_E_TYPE, "message type 99" },
		{ HUGE_LEN, SOTTO_E_LEN, "262145 bytes" },
		{ HANGUP, SOTTO_E_IO, "closed the connection" },
	};
	const uint8_t *pub = sotto_ed25519_pub(key);
	char err[256];
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sotto_agent *a = connect_to(t[i].m, &pid);
		if (a == NULL)
			continue;
		err[0] = '\0';
		CHECK_EQ(sotto_agent_find(a, pub, 5000, err, sizeof(err)), t[i].want);
		CHECK(strstr(err, t[i].in) != NULL);
		CHECK(strchr(err, '\n') == NULL);
		sotto_agent_free(a);
		reap(pid);
	}
}

static void
test_sign(void)
{
	static const struct { enum mode m; int want; const char *in; } t[] = {
		{ GOOD, 0, "" },
		{ SPLIT, 0, "" },
		{ FAILURE, SOTTO_E_AGENT, "refused to sign" },
		{ BAD_SIG, SOTTO_E_SIG, "does not verify" },
		{ RSA_SIG, SOTTO_E_KEYTYPE, "not ssh-ed25519" },
		{ SHORT_SIG, SOTTO_E_FORMAT, "wrong size" },
		{ WRONG_TYPE, SOTTO_E_TYPE, "message type 99" },
		{ HANGUP, SOTTO_E_IO, "closed the connection" },
	};
	const uint8_t *pub = sotto_ed25519_pub(key);
	uint8_t sig[64], zero[64] = { 0 };
	char err[256];
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sotto_agent *a = connect_to(t[i].m, &pid);
		if (a == NULL)
			continue;
		err[0] = '\0';
		memset(sig, 0xaa, sizeof(sig));
		CHECK_EQ(sotto_agent_sign(a, pub, "hello", 5, sig, 5000, err,
		    sizeof(err)), t[i].want);
		CHECK(strstr(err, t[i].in) != NULL);
		if (t[i].want == 0)
			CHECK_EQ(sotto_ed25519_verify(pub, "hello", 5, sig), 0);
		else
			CHECK_MEM(sig, zero, 64);   /* nothing half-filled */
		sotto_agent_free(a);
		reap(pid);
	}
	/* An agent that never answers: the deadline ends the wait. */
	{
		struct sotto_agent *a = connect_to(SILENT, &pid);
		if (a != NULL) {
			CHECK_EQ(sotto_agent_sign(a, pub, "x", 1, sig, 200, err,
			    sizeof(err)), SOTTO_E_IO);
			CHECK(strstr(err, "did not answer within 200 ms") != NULL);
			sotto_agent_free(a);
		}
		reap(pid);
	}
	/* No agent set, or nothing listening. */
	{
		struct sotto_agent *a;
		char *old = getenv("SSH_AUTH_SOCK");
		char saved[256] = "";
		if (old)
			snprintf(saved, sizeof(saved), "%s", old);
		unsetenv("SSH_AUTH_SOCK");
		CHECK_EQ(sotto_agent_open(NULL, &a, err, sizeof(err)), SOTTO_E_NOTFOUND);
		CHECK(strstr(err, "SSH_AUTH_SOCK is not set") != NULL);
		if (old)
			setenv("SSH_AUTH_SOCK", saved, 1);
		unlink(sock_path);
		CHECK_EQ(sotto_agent_open(sock_path, &a, err, sizeof(err)), SOTTO_E_IO);
		CHECK(strstr(err, "cannot reach ssh-agent") != NULL);
	}
}

/* Event-loop use: several requests in flight, answers taken in order as
 * their bytes trickle in; a refused one in the middle does not stop the
 * rest. */
static void
test_pipelined(enum mode m)
{
	const uint8_t *pub = sotto_ed25519_pub(key);
	const char *msgs[3] = { "one", "two", "three" };
	struct sotto_agent *a;
	struct pollfd pfd;
	uint8_t sig[64];
	char err[256];
	int got = 0, again = 0, i, r;
	pid_t pid;

	if ((a = connect_to(m, &pid)) == NULL)
		return;
	CHECK_EQ(sotto_agent_nonblock(a), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(sotto_agent_sign_queue(a, pub, msgs[i], strlen(msgs[i])), 0);
	CHECK_EQ(sotto_agent_pending(a), 3);
	CHECK(sotto_agent_want_write(a));
	CHECK_EQ(sotto_agent_sign_next(a, sig, err, sizeof(err)), SOTTO_E_AGAIN);
	while (got < 3) {
		pfd.fd = sotto_agent_fd(a);
		pfd.events = sotto_agent_want_write(a) ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if (sotto_agent_want_write(a))
			CHECK_EQ(sotto_agent_flush(a, err, sizeof(err)), 0);
		else if (sotto_agent_read(a, err, sizeof(err)) != 0)
			break;
		while ((r = sotto_agent_sign_next(a, sig, err, sizeof(err))) !=
		    SOTTO_E_AGAIN) {
			CHECK_EQ(r, m == FAILURE ? SOTTO_E_AGENT : 0);
			if (r == 0)
				CHECK_EQ(sotto_ed25519_verify(pub, msgs[got],
				    strlen(msgs[got]), sig), 0);
			got++;
		}
		again++;
	}
	CHECK_EQ(got, 3);
	CHECK(again >= 1);
	CHECK_EQ(sotto_agent_pending(a), 0);
	sotto_agent_free(a);
	reap(pid);
}

/* An answer arriving in pieces, under the test's control: nothing is
 * taken until the last byte is there, then exactly one answer. */
static void
test_partial(void)
{
	const uint8_t *pub = sotto_ed25519_pub(key);
	struct sotto_agent *a;
	struct sotto_wbuf b, w;
	uint8_t sig[64], good[64], len[4];
	char err[256];
	int sv[2];
	size_t i;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(sotto_agent_from_fd(sv[0], &a), 0);
	CHECK_EQ(sotto_agent_nonblock(a), 0);
	CHECK_EQ(sotto_agent_sign_queue(a, pub, "abc", 3), 0);
	CHECK_EQ(sotto_agent_flush(a, err, sizeof(err)), 0);
	sotto_ed25519_sign(key, "abc", 3, good);
	sotto_wbuf_init(&b, 0);
	sotto_wbuf_init(&w, 0);
	put_sig(&b, "ssh-ed25519", good, 64);
	sotto_store_be32(len, (uint32_t)b.len);
	sotto_wbuf_put(&w, len, 4);
	sotto_wbuf_put(&w, b.p, b.len);
	for (i = 0; i + 1 < w.len; i++) {
		CHECK_EQ(write(sv[1], w.p + i, 1), 1);
		CHECK_EQ(sotto_agent_read(a, err, sizeof(err)), 0);
		if (sotto_agent_sign_next(a, sig, err, sizeof(err)) != SOTTO_E_AGAIN)
			break;
	}
	CHECK_EQ(i, w.len - 1);
	CHECK_EQ(write(sv[1], w.p + i, 1), 1);
	CHECK_EQ(sotto_agent_read(a, err, sizeof(err)), 0);
	CHECK_EQ(sotto_agent_sign_next(a, sig, err, sizeof(err)), 0);
	CHECK_MEM(sig, good, 64);
	CHECK_EQ(sotto_agent_sign_next(a, sig, err, sizeof(err)), SOTTO_E_AGAIN);
	/* The agent end closing (having read our request): the next read
	 * says so, clearly. */
	{
		uint8_t drain[512];
		CHECK(read(sv[1], drain, sizeof(drain)) > 0);
	}
	close(sv[1]);
	CHECK_EQ(sotto_agent_read(a, err, sizeof(err)), SOTTO_E_IO);
	CHECK(strstr(err, "ssh-agent closed the connection") != NULL);
	sotto_wbuf_free(&b);
	sotto_wbuf_free(&w);
	sotto_agent_free(a);
}

int
main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/sotto-agent-test-%d", (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	if (sotto_crypto_init() != 0 || sotto_ed25519_generate(&key) != 0 ||
	    sotto_ed25519_generate(&other) != 0)
		return 1;
	test_find();
	test_sign();
	test_pipelined(GOOD);
	test_pipelined(SPLIT);
	test_pipelined(FAILURE);
	test_partial();
	unlink(sock_path);
	sotto_ed25519_free(key);
	sotto_ed25519_free(other);
	return check_summary();
}

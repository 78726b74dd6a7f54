/* SPDX-License-Identifier: ISC */
/* test_net.c: HOST:PORT splitting, listen/connect on loopback, error messages, socket options. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "net.h"

struct split_case {
	const char *in;
	const char *host;   /* NULL: must fail */
	const char *port;
};

static void
test_split(void)
{
	static const struct split_case cases[] = {
		{ "127.0.0.1:7700", "127.0.0.1", "7700" },
		{ "0.0.0.0:0", "0.0.0.0", "0" },
		{ "localhost:65535", "localhost", "65535" },
		{ "[::1]:7700", "::1", "7700" },
		{ "[::]:1", "::", "1" },
		{ "[fe80::1%lo]:22", "fe80::1%lo", "22" },
		{ "relay.example.org:443", "relay.example.org", "443" },
		{ "127.0.0.1", NULL, NULL },            /* no port */
		{ "127.0.0.1:", NULL, NULL },
		{ ":7700", NULL, NULL },                /* no host */
		{ "[]:7700", NULL, NULL },
		{ "::1:7700", NULL, NULL },             /* v6 without brackets */
		{ "[::1]7700", NULL, NULL },
		{ "[::1:7700", NULL, NULL },
		{ "host:65536", NULL, NULL },
		{ "host:123456", NULL, NULL },
		{ "host:-1", NULL, NULL },
		{ "host:+80", NULL, NULL },
		{ "host:80 ", NULL, NULL },
		{ "host:http", NULL, NULL },
		{ "", NULL, NULL },
	};
	char host[64], port[8], err[SOTTO_NET_ERR_LEN];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		r = sotto_net_split(cases[i].in, host, sizeof(host), port, sizeof(port),
		    err, sizeof(err));
		if (cases[i].host != NULL) {
			CHECK_EQ(r, 0);
			CHECK_STR(host, cases[i].host);
			CHECK_STR(port, cases[i].port);
		} else {
			CHECK(r < 0);
			/* The message quotes the bad input. */
			CHECK(strstr(err, "bad address \"") == err);
			CHECK(strstr(err, cases[i].in) != NULL);
		}
	}
	CHECK(sotto_net_split(NULL, host, sizeof(host), port, sizeof(port), err,
	    sizeof(err)) < 0);
	/* A host longer than the caller's buffer is an error, not a cut. */
	CHECK_EQ(sotto_net_split("averyveryverylonghostname:1", host, 8, port,
	    sizeof(port), err, sizeof(err)), SOTTO_E_TOOLONG);
	CHECK(strstr(err, "too long") != NULL);
}

static int
opt_on(int fd, int level, int name)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) == 0 && v != 0;
}

static int
is_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Wait for events on fd, up to 5 s. */
static int
wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 5000) == 1 ? p.revents : 0;
}

static void
test_listen_connect(void)
{
	char addr[64], err[SOTTO_NET_ERR_LEN], want[128];
	int lfd, lfd2, cfd, afd, port, soerr = -1;
	socklen_t len = sizeof(soerr);

	lfd = sotto_net_listen("127.0.0.1:0", 16, err, sizeof(err));
	CHECK(lfd >= 0);
	if (lfd < 0) {
		fprintf(stderr, "listen: %s\n", err);
		return;
	}
	CHECK(is_nonblock(lfd));
	CHECK(opt_on(lfd, SOL_SOCKET, SO_REUSEADDR));
	port = local_port(lfd);
	CHECK(port > 0);

	/* The same port twice: a clear error naming the address. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	lfd2 = sotto_net_listen(addr, 16, err, sizeof(err));
	CHECK_EQ(lfd2, -1);
	snprintf(want, sizeof(want), "listen %s: Address already in use", addr);
	CHECK_STR(err, want);

	cfd = sotto_net_connect(addr, err, sizeof(err));
	CHECK(cfd >= 0);
	if (cfd < 0) {
		close(lfd);
		return;
	}
	CHECK(is_nonblock(cfd));
	CHECK(opt_on(cfd, IPPROTO_TCP, TCP_NODELAY));
	CHECK(opt_on(cfd, SOL_SOCKET, SO_KEEPALIVE));
	CHECK(wait_fd(lfd, POLLIN) & POLLIN);
	afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0);
	CHECK(wait_fd(cfd, POLLOUT) & POLLOUT);
	CHECK_EQ(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
	CHECK_EQ(soerr, 0);
	/* Bytes flow both ways. */
	CHECK_EQ(write(cfd, "ping", 4), 4);
	if (afd >= 0) {
		char buf[8];
		CHECK(!opt_on(afd, IPPROTO_TCP, TCP_NODELAY));
		CHECK_EQ(sotto_net_tune(afd), 0);
		CHECK(opt_on(afd, IPPROTO_TCP, TCP_NODELAY));
		CHECK(opt_on(afd, SOL_SOCKET, SO_KEEPALIVE));
		CHECK_EQ(sotto_net_nonblock(afd), 0);
		CHECK(is_nonblock(afd));
		CHECK(wait_fd(afd, POLLIN) & POLLIN);
		CHECK_EQ(read(afd, buf, sizeof(buf)), 4);
		CHECK_MEM(buf, "ping", 4);
		close(afd);
	}
	close(cfd);
	close(lfd);

	/* Nothing listens there now: refused, at once or once connected. */
	cfd = sotto_net_connect(addr, err, sizeof(err));
	if (cfd < 0) {
		snprintf(want, sizeof(want), "connect %s: Connection refused", addr);
		CHECK_STR(err, want);
	} else {
		CHECK(wait_fd(cfd, POLLOUT) != 0);
		len = sizeof(soerr);
		CHECK_EQ(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
		CHECK_EQ(soerr, ECONNREFUSED);
		close(cfd);
	}
}

static void
test_listen_errors(void)
{
	char err[SOTTO_NET_ERR_LEN];
	int fd;

	/* TEST-NET-1 is never a local address. */
	CHECK_EQ(sotto_net_listen("192.0.2.1:7700", 16, err, sizeof(err)), -1);
	CHECK_STR(err, "listen 192.0.2.1:7700: Cannot assign requested address");
	CHECK_EQ(sotto_net_listen("127.0.0.1", 16, err, sizeof(err)), -1);
	CHECK(strstr(err, "\"127.0.0.1\"") != NULL);
	CHECK_EQ(sotto_net_connect("127.0.0.1:99999", err, sizeof(err)), -1);
	CHECK(strstr(err, "127.0.0.1:99999") != NULL);
	/* A tiny error buffer is cut, never overrun. */
	CHECK_EQ(sotto_net_listen("192.0.2.1:7700", 16, err, 8), -1);
	CHECK_STR(err, "listen ");
	CHECK_EQ(sotto_net_listen("192.0.2.1:7700", 16, NULL, 0), -1);
	/* Socket calls on what is not a socket fail cleanly. */
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(sotto_net_tune(fd) < 0);
	CHECK_EQ(sotto_net_nonblock(fd), 0);
	close(fd);
	CHECK(sotto_net_nonblock(-1) < 0);
}

/* IPv6 loopback, where the kernel has it (some containers do not). */
static void
test_ipv6(void)
{
	char err[SOTTO_NET_ERR_LEN];
	int probe = socket(AF_INET6, SOCK_STREAM, 0), fd;

	if (probe < 0) {
		fprintf(stderr, "net: no IPv6 in this kernel, [::1] listen not tried\n");
		return;
	}
	close(probe);
	fd = sotto_net_listen("[::1]:0", 16, err, sizeof(err));
	if (fd < 0 && strstr(err, "Cannot assign requested address") != NULL) {
		fprintf(stderr, "net: IPv6 without ::1 here: %s\n", err);
		return;
	}
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(local_port(fd) > 0);
		CHECK(is_nonblock(fd));
		close(fd);
	}
}

int
main(void)
{
	test_split();
	test_listen_connect();
	test_listen_errors();
	test_ipv6();
	return check_summary();
}

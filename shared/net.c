/* SPDX-License-Identifier: ISC */
/* net.c: listening and connecting TCP sockets, non-blocking, errors in the caller's buffer (after Redis anet). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "net.h"

#define PORT_DIGITS_MAX 5

static void
net_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
net_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Copy n bytes of s into a NUL-terminated buffer; -1 when it does not fit. */
static int
copy_part(char *dst, size_t dst_len, const char *s, size_t n)
{
	if (dst_len == 0 || n >= dst_len)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* 1..5 decimal digits naming 0..65535 (0 asks the kernel for a port). */
static int
port_valid(const char *p)
{
	size_t n = strlen(p), i;
	long v = 0;

	if (n == 0 || n > PORT_DIGITS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v <= 65535;
}

int
sotto_net_split(const char *hostport, char *host, size_t host_len,
    char *port, size_t port_len, char *err, size_t err_len)
{
	const char *colon, *h;
	size_t hn;

	if (hostport == NULL) {
		net_err(err, err_len, "missing address");
		return SOTTO_E_INVAL;
	}
	if (hostport[0] == '[') {
		/* [v6]:PORT */
		const char *close = strchr(hostport, ']');
		if (close == NULL || close[1] != ':') {
			net_err(err, err_len, "bad address \"%s\": expected [HOST]:PORT", hostport);
			return SOTTO_E_INVAL;
		}
		h = hostport + 1;
		hn = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (colon == NULL) {
			net_err(err, err_len, "bad address \"%s\": expected HOST:PORT", hostport);
			return SOTTO_E_INVAL;
		}
		if (strchr(hostport, ':') != colon) {
			net_err(err, err_len, "bad address \"%s\": write IPv6 addresses as [HOST]:PORT", hostport);
			return SOTTO_E_INVAL;
		}
		h = hostport;
		hn = (size_t)(colon - h);
	}
	if (hn == 0) {
		net_err(err, err_len, "bad address \"%s\": empty host", hostport);
		return SOTTO_E_INVAL;
	}
	if (!port_valid(colon + 1)) {
		net_err(err, err_len, "bad address \"%s\": port must be 0..65535", hostport);
		return SOTTO_E_INVAL;
	}
	if (copy_part(host, host_len, h, hn) != 0 ||
	    copy_part(port, port_len, colon + 1, strlen(colon + 1)) != 0) {
		net_err(err, err_len, "bad address \"%s\": too long", hostport);
		return SOTTO_E_TOOLONG;
	}
	return 0;
}

int
sotto_net_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return SOTTO_E_IO;
	return 0;
}

int
sotto_net_tune(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
		return SOTTO_E_IO;
	return 0;
}

/* Resolve numerically for the port, any family; NULL and err filled on failure. */
static struct addrinfo *
net_resolve(const char *what, const char *hostport, int passive, char *err,
    size_t err_len)
{
	char host[NI_MAXHOST], port[PORT_DIGITS_MAX + 1];
	struct addrinfo hints, *res = NULL;
	int r;

	if (sotto_net_split(hostport, host, sizeof(host), port, sizeof(port),
	    err, err_len) != 0)
		return NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		net_err(err, err_len, "%s %s: %s", what, hostport,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return NULL;
	}
	return res;
}

/* Close fd after a failed call without losing that call's errno. */
static int
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

static int
net_socket(const struct addrinfo *ai)
{
	return socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
}

static int
listen_one(const struct addrinfo *ai, int backlog)
{
	int on = 1, fd = net_socket(ai);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, backlog) < 0)
		return close_keep_errno(fd);
	return fd;
}

static int
connect_one(const struct addrinfo *ai)
{
	int fd = net_socket(ai);

	if (fd < 0)
		return -1;
	(void)sotto_net_tune(fd);       /* best effort: a fine link without it */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		return close_keep_errno(fd);
	return fd;
}

/* Resolve hostport and try its addresses in turn; the first that works
 * wins, else the last failure is reported against the address. */
static int
net_open(const char *what, const char *hostport, int listening, int backlog,
    char *err, size_t err_len)
{
	struct addrinfo *res, *ai;
	int fd = -1, saved = 0;

	if ((res = net_resolve(what, hostport, listening, err, err_len)) == NULL)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		if ((fd = listening ? listen_one(ai, backlog) : connect_one(ai)) < 0)
			saved = errno;
	freeaddrinfo(res);
	if (fd < 0)
		net_err(err, err_len, "%s %s: %s", what, hostport, strerror(saved));
	return fd;
}

int
sotto_net_listen(const char *hostport, int backlog, char *err, size_t err_len)
{
	return net_open("listen", hostport, 1, backlog, err, err_len);
}

int
sotto_net_connect(const char *hostport, char *err, size_t err_len)
{
	return net_open("connect", hostport, 0, 0, err, err_len);
}

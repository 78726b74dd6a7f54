/* SPDX-License-Identifier: ISC */
/* net.h: socket helpers in the manner of Redis anet: errors go into the caller's buffer. */
#ifndef SOTTO_NET_H
#define SOTTO_NET_H

#include <stddef.h>

#define SOTTO_NET_ERR_LEN 256

/* Split "HOST:PORT" ("[v6]:PORT" too). */
int sotto_net_split(const char *hostport, char *host, size_t host_len,
    char *port, size_t port_len, char *err, size_t err_len);
/* Bound, listening, non-blocking socket; -1 and err filled on failure. */
int sotto_net_listen(const char *hostport, int backlog, char *err, size_t err_len);
/* Non-blocking connect started (may be in progress); -1 on failure. */
int sotto_net_connect(const char *hostport, char *err, size_t err_len);
int sotto_net_nonblock(int fd);
/* TCP_NODELAY and keepalive. */
int sotto_net_tune(int fd);

#endif

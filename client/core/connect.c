/* SPDX-License-Identifier: ISC */
/* connect.c: the core's one way out to the network: a non-blocking TCP connect to the relay (the in-process core tests link a socketpair to their fake relay in its place). */
#include "core.h"
#include "net.h"

int
core_connect(const char *relay, char *err, size_t err_len)
{
	return sotto_net_connect(relay, err, err_len);
}

/* SPDX-License-Identifier: ISC */
/* relay-addr.h: the relay address on sotto's command line: HOST means HOST:7700, in a list too. */
#ifndef SOTTO_RELAY_ADDR_H
#define SOTTO_RELAY_ADDR_H

#include <stddef.h>

/* HOST, HOST:PORT, [V6], [V6]:PORT or a bare IPv6 address (two or more
 * colons, no brackets) into HOST:PORT form, with SOTTO_DEFAULT_PORT when
 * none is given. Port 1..65535. 0, or SOTTO_E_INVAL with err filled (one
 * line naming what is wrong). */
int relay_addr_parse(const char *in, char *out, size_t cap, char *err,
    size_t err_len);

/* A comma-separated list of such addresses (the relays of one cluster,
 * tried in order), each filled in as relay_addr_parse does, into out.
 * An empty address is an error. */
#define RELAY_ADDR_MAX    300   /* bytes of one address (core: CORE_RELAY_ADDR_MAX) */
#define RELAY_LIST_COUNT  16    /* addresses (core: CORE_RELAYS_MAX) */
#define RELAY_LIST_MAX    (RELAY_LIST_COUNT * (RELAY_ADDR_MAX + 1))
int relay_list_parse(const char *in, char *out, size_t cap, char *err,
    size_t err_len);

#endif

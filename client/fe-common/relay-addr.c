/* SPDX-License-Identifier: ISC */
/* relay-addr.c: the relay address given on the command line, with the default port filled in. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "relay-addr.h"
#include "wire.h"


static size_t colons(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == ':';
	return n;
}

int relay_addr_parse(const char *in, char *out, size_t cap, char *err,
    size_t err_len)
{
	char host[256], port[8];
	const char *close;
	int n;

	if (in[0] == '[' && (close = strchr(in, ']')) != NULL && close[1] == '\0')
		n = snprintf(out, cap, "%s:%d", in, SOTTO_DEFAULT_PORT);
	else if (in[0] != '[' && colons(in) == 0)
		n = snprintf(out, cap, "%s:%d", in, SOTTO_DEFAULT_PORT);
	else if (in[0] != '[' && colons(in) >= 2)
		n = snprintf(out, cap, "[%s]:%d", in, SOTTO_DEFAULT_PORT);
	else
		n = snprintf(out, cap, "%s", in);
	if (n < 0 || (size_t)n >= cap) {
		snprintf(err, err_len, "relay address \"%s\": too long", in);
		return SOTTO_E_INVAL;
	}
	if (sotto_net_split(out, host, sizeof(host), port, sizeof(port), err,
	    err_len) != 0)
		return SOTTO_E_INVAL;
	if (strcmp(port, "0") == 0 || strspn(port, "0") == strlen(port)) {
		snprintf(err, err_len, "relay address \"%s\": port must be 1..65535", in);
		return SOTTO_E_INVAL;
	}
	return 0;
}

int relay_list_parse(const char *in, char *out, size_t cap, char *err,
    size_t err_len)
{
	char one[RELAY_ADDR_MAX + 1], full[RELAY_ADDR_MAX + 1];
	const char *p = in, *comma;
	size_t n, used = 0, flen, count = 0;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(one)) {
			snprintf(err, err_len, "relay list: an address is empty or "
			    "longer than %zu bytes (expected HOST:PORT[,HOST:PORT...], "
			    "the port %d when left out)", sizeof(one) - 1,
			    SOTTO_DEFAULT_PORT);
			return SOTTO_E_INVAL;
		}
		if (++count > RELAY_LIST_COUNT) {
			snprintf(err, err_len, "relay list: more than %d addresses",
			    RELAY_LIST_COUNT);
			return SOTTO_E_INVAL;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (relay_addr_parse(one, full, sizeof(full), err, err_len) != 0)
			return SOTTO_E_INVAL;
		flen = strlen(full);
		/* A comma (or the NUL) after it must fit too. */
		if (flen + 1 > cap - used) {
			snprintf(err, err_len, "relay list: longer than %zu bytes",
			    cap - 1);
			return SOTTO_E_INVAL;
		}
		memcpy(out + used, full, flen);
		used += flen;
		out[used] = '\0';
		if (comma == NULL)
			return 0;
		out[used++] = ',';
		p = comma + 1;
	}
}

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

/* SPDX-License-Identifier: ISC */
/* relays.c: the relay address list `HOST:PORT[,HOST:PORT...]`, parsed once and tried in order. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "err.h"

void
relays_free(struct client *c)
{
	size_t i;

	for (i = 0; i < c->nrelays; i++)
		free(c->relays[i]);
	free(c->relays);
	c->relays = NULL;
	c->nrelays = 0;
}

/* Split spec at commas into c->relays. Each address is checked when it is
 * dialled (sotto_net_connect names what is wrong); here only its shape:
 * not empty, not longer than CORE_RELAY_ADDR_MAX, at most CORE_RELAYS_MAX. */
int
relays_parse(struct client *c, const char *spec)
{
	const char *p = spec, *comma;
	size_t n;

	relays_free(c);
	if ((c->relays = calloc(CORE_RELAYS_MAX, sizeof(*c->relays))) == NULL)
		return SOTTO_E_ALLOC;
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n > CORE_RELAY_ADDR_MAX || c->nrelays == CORE_RELAYS_MAX) {
			relays_free(c);
			return n == 0 || n > CORE_RELAY_ADDR_MAX ? SOTTO_E_FORMAT :
			    SOTTO_E_TOOLONG;
		}
		if ((c->relays[c->nrelays] = strndup(p, n)) == NULL) {
			relays_free(c);
			return SOTTO_E_ALLOC;
		}
		c->nrelays++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

const char *
relays_current(const struct client *c)
{
	return c->relays[c->relay_at];
}

/* After a failure: the next address, wrapping around. */
void
relays_next(struct client *c)
{
	c->relay_at = (c->relay_at + 1) % c->nrelays;
}

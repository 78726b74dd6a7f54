/* SPDX-License-Identifier: ISC */
/* fast_rsagen.c: the core tests' key source: rsagen.c's interface, handing out the fixed RSA-4096 key of fixed_rsa.h on the next loop turn instead of making one in a thread (never linked into a program). */
#include <stdlib.h>

#include "container.h"
#include "core.h"
#include "crypto.h"
#include "fixed_rsa.h"

struct rsagen {
	ev_async        async;      /* as rsagen.c: the key arrives via the loop */
	struct ev_loop *loop;
	rsagen_fn       fn;
	void           *ctx;
	struct sotto_rsa *key;
	bool            asked;
};

unsigned fast_rsagen_made;      /* keys handed out, for the tests */

static void
on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct rsagen *g = container_of(w, struct rsagen, async);

	(void)loop;
	(void)revents;
	if (!g->asked)
		return;
	g->asked = false;
	if (sotto_rsa_import(&g->key, fixed_rsa_sexp, sizeof(fixed_rsa_sexp) - 1) != 0)
		abort();        /* the fixture itself is broken */
	fast_rsagen_made++;
	g->fn(g->ctx);
}

struct rsagen *
rsagen_new(struct ev_loop *loop, rsagen_fn fn, void *ctx)
{
	struct rsagen *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->loop = loop;
	g->fn = fn;
	g->ctx = ctx;
	ev_async_init(&g->async, on_async);
	ev_async_start(loop, &g->async);
	return g;
}

void
rsagen_request(struct rsagen *g)
{
	if (g->key != NULL || g->asked)
		return;
	g->asked = true;
	ev_async_send(g->loop, &g->async);
}

struct sotto_rsa *
rsagen_take(struct rsagen *g)
{
	struct sotto_rsa *key = g->key;

	g->key = NULL;
	return key;
}

void
rsagen_stop(struct rsagen *g)
{
	if (g != NULL)
		ev_async_stop(g->loop, &g->async);
}

void
rsagen_free(struct rsagen *g)
{
	if (g == NULL)
		return;
	ev_async_stop(g->loop, &g->async);
	sotto_rsa_free(g->key);
	free(g);
}

/* SPDX-License-Identifier: ISC */
/* rsagen.c: RSA-4096 session keys generated in a worker thread and handed to the event loop by ev_async.
 *
 * Generating an RSA-4096 key takes seconds, so the first one starts at
 * launch, in parallel with connecting, and after every join the next one is
 * made in the background so a reconnect finds it ready. The worker runs at
 * the loop's own priority on purpose: libgcrypt's random pool has one lock
 * per process, and a niced worker preempted while holding it stalled the
 * event loop (padding, OAEP) for seconds on a busy machine, long enough
 * for newcomers to give up on a keyholder. One worker thread at a time;
 * the shared job sits behind a mutex. When the client is freed
 * while a key is being made, the worker is detached and frees the job
 * itself when it finishes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core.h"
#include "crypto.h"

struct rsajob {
	pthread_mutex_t   mu;
	struct sotto_rsa *key;        /* ready key, owned by the job */
	bool              running;    /* worker thread alive */
	bool              joinable;   /* a finished thread not yet joined */
	bool              abandoned;  /* owner gone: worker frees the job */
	bool              failed;     /* the last generation failed */
	pthread_t         thread;
	struct ev_loop   *loop;
	ev_async         *async;      /* valid while not abandoned */
};

struct rsagen {
	ev_async        async;
	struct ev_loop *loop;
	rsagen_fn       fn;
	void           *ctx;
	struct rsajob  *job;
};

static void
job_free(struct rsajob *j)
{
	sotto_rsa_free(j->key);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *
worker(void *arg)
{
	struct rsajob *j = arg;
	struct sotto_rsa *key = NULL;
	bool abandoned;

	if ((key = rsapool_take()) == NULL &&
	    sotto_rsa_generate(&key, SOTTO_RSA_BITS) != 0)
		key = NULL;
	pthread_mutex_lock(&j->mu);
	j->running = false;
	abandoned = j->abandoned;
	if (!abandoned) {
		j->key = key;
		j->failed = key == NULL;
		j->joinable = true;
		ev_async_send(j->loop, j->async);
	}
	pthread_mutex_unlock(&j->mu);
	if (abandoned) {
		sotto_rsa_free(key);
		job_free(j);
	}
	return NULL;
}

static void
on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct rsagen *g = container_of(w, struct rsagen, async);
	bool failed;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&g->job->mu);
	if (g->job->joinable) {
		pthread_join(g->job->thread, NULL);
		g->job->joinable = false;
	}
	failed = g->job->failed;
	g->job->failed = false;
	pthread_mutex_unlock(&g->job->mu);
	/* A failed generation (libgcrypt refused) is retried at once: the
	 * client cannot join without a session key. */
	if (failed)
		rsagen_request(g);
	else
		g->fn(g->ctx);
}

struct rsagen *
rsagen_new(struct ev_loop *loop, rsagen_fn fn, void *ctx)
{
	struct rsagen *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if ((g->job = calloc(1, sizeof(*g->job))) == NULL) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->job->mu, NULL);
	g->loop = loop;
	g->fn = fn;
	g->ctx = ctx;
	g->job->loop = loop;
	g->job->async = &g->async;
	ev_async_init(&g->async, on_async);
	ev_async_start(loop, &g->async);
	return g;
}

void
rsagen_request(struct rsagen *g)
{
	struct rsajob *j = g->job;

	pthread_mutex_lock(&j->mu);
	if (j->key != NULL || j->running) {
		pthread_mutex_unlock(&j->mu);
		return;
	}
	if (j->joinable) {
		pthread_join(j->thread, NULL);
		j->joinable = false;
	}
	j->running = pthread_create(&j->thread, NULL, worker, j) == 0;
	pthread_mutex_unlock(&j->mu);
}

struct sotto_rsa *
rsagen_take(struct rsagen *g)
{
	struct sotto_rsa *key;

	pthread_mutex_lock(&g->job->mu);
	key = g->job->key;
	g->job->key = NULL;
	pthread_mutex_unlock(&g->job->mu);
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
	struct rsajob *j;
	bool running;

	if (g == NULL)
		return;
	j = g->job;
	ev_async_stop(g->loop, &g->async);
	pthread_mutex_lock(&j->mu);
	running = j->running;
	if (running) {
		/* Cannot interrupt libgcrypt mid-prime: let the worker finish
		 * on its own and free the job. */
		j->abandoned = true;
		j->async = NULL;
		pthread_detach(j->thread);
	}
	pthread_mutex_unlock(&j->mu);
	if (!running) {
		if (j->joinable)
			pthread_join(j->thread, NULL);
		job_free(j);
	}
	free(g);
}

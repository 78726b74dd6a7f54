/* SPDX-License-Identifier: ISC */
/* backplane.h: the seam between the relay's cluster logic and a message engine.
 *
 * cluster.c decides what relays tell each other (cluster-msg.h); an engine
 * (cluster-redis.c today; NATS could be another) only moves opaque
 * messages on named channels, allocates member ids from a shared counter,
 * and reports its link going up and down. Everything runs in the relay's
 * one libev loop; no engine call blocks, except ops->free, which may wait
 * a bounded moment to flush what was already published.
 *
 * Delivery contract an engine must keep: messages one relay publishes
 * reach each subscriber in publish order, across channels; a message
 * published while a subscription is confirmed reaches that subscriber;
 * nothing is promised across a link loss (cluster.c repairs membership
 * after it, frames in flight are lost).
 */
#ifndef SOTTO_RELAY_BACKPLANE_H
#define SOTTO_RELAY_BACKPLANE_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

struct backplane;

/* What an engine reports; arg is the one given to open. */
struct backplane_events {
	/* Connected, control channel subscribed: publishing works. */
	void (*up)(void *arg);
	/* The link is gone (why: one line for the log); the engine retries
	 * on its own with backoff. Subscriptions are forgotten. */
	void (*down)(void *arg, const char *why);
	void (*message)(void *arg, const uint8_t *chan, size_t chan_len,
	    const uint8_t *p, size_t n);
	/* A subscribe (on 1) or unsubscribe (on 0) was confirmed. */
	void (*subscribed)(void *arg, const uint8_t *chan, size_t chan_len, int on);
	/* A member id from take_id (0 when the engine could not get one:
	 * link lost or the counter past UINT32_MAX, with why). */
	void (*id)(void *arg, uint64_t id, const char *why);
	/* A publish made with ack set reached the engine's server. */
	void (*acked)(void *arg);
	/* Answer to ops->peers: relays subscribed to the control channel,
	 * this one included (0 when unknown). */
	void (*peers)(void *arg, unsigned n);
};

struct backplane_ops {
	const char *scheme;     /* "redis" in redis://... */
	/* Parse url, start connecting. NULL and err set on a bad url. */
	struct backplane *(*open)(struct ev_loop *loop, const char *url,
	    const char *ctl_chan, const struct backplane_events *ev, void *arg,
	    char *err, size_t err_len);
	/* Flush (bounded wait) and close. */
	void (*free)(struct backplane *bp);
	/* 0, or -1 when the link is down (nothing queued). */
	int (*publish)(struct backplane *bp, const uint8_t *chan, size_t chan_len,
	    const uint8_t *p, size_t n, int ack);
	int (*subscribe)(struct backplane *bp, const uint8_t *chan, size_t chan_len,
	    int on);
	/* Ask for the next member id of the cluster-wide counter, raised to at
	 * least floor first (ids live relays know of survive a server that lost
	 * its counter) and to restart_floor when the counter was missing.
	 * Answers come through ev->id in request order. */
	int (*take_id)(struct backplane *bp, uint64_t floor, uint64_t restart_floor);
	/* Ask how many relays listen on the control channel (ev->peers). */
	int (*peers)(struct backplane *bp);
	/* Give up the link now (the server stopped answering); reported
	 * through ev->down like any loss. */
	void (*drop)(struct backplane *bp, const char *why);
	/* Bytes published but not yet written to the server. */
	size_t (*backlog)(const struct backplane *bp);
	/* "host:port/db" for log lines. */
	const char *(*where)(const struct backplane *bp);
};

extern const struct backplane_ops backplane_redis;

/* The engine for url's scheme, or NULL. */
const struct backplane_ops *backplane_for(const char *url);

#endif

/* SPDX-License-Identifier: ISC */
/* cluster-redis.c: the Redis backplane engine (hiredis 0.14 + its libev adapter).
 *
 * Two connections: one for commands (PUBLISH, the id counter), one in
 * subscribe mode. Channels are namespaced "sotto:<db>:" because Redis
 * pub/sub ignores the selected database. A lost link is reported once,
 * then retried with doubling backoff; pending id requests are answered 0
 * in order, so the caller's queue of waiting connections stays aligned.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "backplane.h"
#include "relay.h"

#define REDIS_PORT_DEFAULT  6379
#define REDIS_HOST_MAX      255
#define REDIS_SECRET_MAX    255
#define REDIS_CHAN_MAX      (32u + 1u + 64u + 8u)   /* prefix + logical name */
#define REDIS_RETRY_FIRST   0.05    /* seconds; doubles per failed attempt */
#define REDIS_RETRY_MAX     1.0     /* well inside the presence timeout */
#define REDIS_CONNECT_TIMEOUT 2.0
#define REDIS_FLUSH_MS      500     /* bounded wait for a final flush */
#define REDIS_IDS_KEY       "sotto:ids"

/* Raise the counter to the restart floor when it is missing (the server
 * lost it), to the live floor when below it, then take the next id. */
static const char id_script[] =
    "if not redis.call('EXISTS', KEYS[1]) or "
    "redis.call('EXISTS', KEYS[1]) == 0 then "
    "redis.call('SET', KEYS[1], ARGV[1]) end "
    "if tonumber(redis.call('GET', KEYS[1])) < tonumber(ARGV[2]) then "
    "redis.call('SET', KEYS[1], ARGV[2]) end "
    "return redis.call('INCR', KEYS[1])";

struct backplane {
	struct ev_loop *loop;
	const struct backplane_events *ev;
	void *arg;
	char host[REDIS_HOST_MAX + 1];
	int port;
	unsigned db;
	char user[REDIS_SECRET_MAX + 1];
	char pass[REDIS_SECRET_MAX + 1];
	char where[REDIS_HOST_MAX + 32];
	char prefix[32];           /* "sotto:<db>:" */
	size_t prefix_len;
	char ctl[REDIS_CHAN_MAX];  /* logical control channel */
	redisAsyncContext *pub;
	redisAsyncContext *sub;
	int pub_ready;             /* AUTH and SELECT answered */
	int sub_ready;             /* control channel subscribed */
	int up;                    /* both ready, up reported */
	int down_reported;         /* one down line per outage */
	ev_timer retry_w;
	ev_timer connect_w;
	double backoff;
};

static void link_lost(struct backplane *bp, const char *why);
static void link_start(struct backplane *bp);

/* Which setup command a reply answers. */
static int tag_auth, tag_select;

/* --- url ----------------------------------------------------------------- */

static int copy_part(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int parse_num(const char *p, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* user:pass@ (either may be empty) before the host. */
static int parse_userinfo(struct backplane *bp, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);

	if (colon == NULL)
		return copy_part(bp->pass, sizeof(bp->pass), p, n);
	if (copy_part(bp->user, sizeof(bp->user), p, (size_t)(colon - p)) != 0)
		return -1;
	return copy_part(bp->pass, sizeof(bp->pass), colon + 1,
	    n - (size_t)(colon - p) - 1);
}

/* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; HOST may be [v6]. */
static int parse_url(struct backplane *bp, const char *url, char *err, size_t err_len)
{
	const char *p = url + strlen("redis://"), *at, *slash, *hend, *colon;
	unsigned long v;

	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	at = memchr(p, '@', (size_t)(slash - p));
	if (at != NULL) {
		if (parse_userinfo(bp, p, (size_t)(at - p)) != 0)
			goto bad;
		p = at + 1;
	}
	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(slash - p))) == NULL ||
		    copy_part(bp->host, sizeof(bp->host), p + 1, (size_t)(hend - p - 1)) != 0)
			goto bad;
		colon = hend + 1 < slash && hend[1] == ':' ? hend + 1 : NULL;
		if (colon == NULL && hend + 1 != slash)
			goto bad;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hend = colon != NULL ? colon : slash;
		if (copy_part(bp->host, sizeof(bp->host), p, (size_t)(hend - p)) != 0)
			goto bad;
	}
	if (bp->host[0] == '\0')
		goto bad;
	bp->port = REDIS_PORT_DEFAULT;
	if (colon != NULL) {
		if (parse_num(colon + 1, (size_t)(slash - colon - 1), 65535, &v) != 0 || v == 0)
			goto bad;
		bp->port = (int)v;
	}
	if (*slash == '/' && slash[1] != '\0') {
		if (parse_num(slash + 1, strlen(slash + 1), 65535, &v) != 0)
			goto bad;
		bp->db = (unsigned)v;
	}
	return 0;
bad:
	snprintf(err, err_len, "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]");
	return -1;
}

/* --- replies ------------------------------------------------------------- */

static int reply_ok(const redisReply *rep)
{
	return rep != NULL && rep->type != REDIS_REPLY_ERROR;
}

static void maybe_up(struct backplane *bp)
{
	if (bp->up || !bp->pub_ready || !bp->sub_ready)
		return;
	bp->up = 1;
	bp->down_reported = 0;
	bp->backoff = REDIS_RETRY_FIRST;
	ev_timer_stop(bp->loop, &bp->connect_w);
	bp->ev->up(bp->arg);
}

/* AUTH and SELECT on the command link; the last one marks it ready. */
static void on_setup(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = ac->data;
	const redisReply *rep = r;
	char why[160];

	if (bp == NULL || ac != bp->pub)
		return;
	if (!reply_ok(rep)) {
		snprintf(why, sizeof(why), "redis refused %s: %s",
		    privdata == &tag_select ? "SELECT" : "AUTH",
		    rep != NULL ? rep->str : "no reply");
		link_lost(bp, why);
		return;
	}
	if (privdata == &tag_select) {
		bp->pub_ready = 1;
		maybe_up(bp);
	}
}

/* Strip our namespace; NULL for a channel that is not ours. */
static const uint8_t *logical(const struct backplane *bp, const redisReply *chan,
    size_t *len)
{
	if (chan->type != REDIS_REPLY_STRING || chan->len < bp->prefix_len ||
	    memcmp(chan->str, bp->prefix, bp->prefix_len) != 0)
		return NULL;
	*len = chan->len - bp->prefix_len;
	return (const uint8_t *)chan->str + bp->prefix_len;
}

static void on_sub(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = ac->data;
	const redisReply *rep = r;
	const uint8_t *chan;
	size_t chan_len;
	const char *kind;

	(void)privdata;
	if (bp == NULL || ac != bp->sub || rep == NULL)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		link_lost(bp, rep->str);
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING)
		return;
	kind = rep->element[0]->str;
	if ((chan = logical(bp, rep->element[1], &chan_len)) == NULL)
		return;
	if (strcmp(kind, "message") == 0) {
		if (rep->element[2]->type == REDIS_REPLY_STRING)
			bp->ev->message(bp->arg, chan, chan_len,
			    (const uint8_t *)rep->element[2]->str, rep->element[2]->len);
	} else if (strcmp(kind, "subscribe") == 0) {
		if (!bp->sub_ready && chan_len == strlen(bp->ctl) &&
		    memcmp(chan, bp->ctl, chan_len) == 0) {
			bp->sub_ready = 1;
			maybe_up(bp);
		} else {
			bp->ev->subscribed(bp->arg, chan, chan_len, 1);
		}
	} else if (strcmp(kind, "unsubscribe") == 0) {
		bp->ev->subscribed(bp->arg, chan, chan_len, 0);
	}
}

static void on_sub_auth(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = ac->data;
	const redisReply *rep = r;
	char why[160];

	(void)privdata;
	if (bp == NULL || ac != bp->sub || reply_ok(rep))
		return;
	snprintf(why, sizeof(why), "redis refused AUTH: %s",
	    rep != NULL ? rep->str : "no reply");
	link_lost(bp, why);
}

static void on_id(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = privdata;
	const redisReply *rep = r;

	(void)ac;
	if (bp->ev == NULL)
		return;         /* shutting down */
	if (rep == NULL) {
		bp->ev->id(bp->arg, 0, "the link to redis was lost");
		return;
	}
	if (rep->type != REDIS_REPLY_INTEGER || rep->integer <= 0) {
		bp->ev->id(bp->arg, 0, rep->type == REDIS_REPLY_ERROR ?
		    rep->str : "redis answered the id counter with a non-integer");
		return;
	}
	if ((unsigned long long)rep->integer > UINT32_MAX) {
		bp->ev->id(bp->arg, 0, "every member id has been used");
		return;
	}
	bp->ev->id(bp->arg, (uint64_t)rep->integer, NULL);
}

static void on_numsub(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = privdata;
	const redisReply *rep = r;
	unsigned n = 0;

	if (bp->ev == NULL || ac != bp->pub)
		return;
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->integer > 0 && rep->element[1]->integer < 1000000)
		n = (unsigned)rep->element[1]->integer;
	bp->ev->peers(bp->arg, n);
}

static void on_ack(redisAsyncContext *ac, void *r, void *privdata)
{
	struct backplane *bp = privdata;

	if (bp->ev != NULL && ac == bp->pub && reply_ok(r))
		bp->ev->acked(bp->arg);
}

/* --- link ---------------------------------------------------------------- */

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct backplane *bp = ac->data;
	char why[160];

	if (bp == NULL || (ac != bp->pub && ac != bp->sub) || status == REDIS_OK)
		return;
	snprintf(why, sizeof(why), "cannot connect: %s", ac->errstr);
	/* hiredis frees ac after this returns. */
	if (ac == bp->pub)
		bp->pub = NULL;
	else
		bp->sub = NULL;
	link_lost(bp, why);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct backplane *bp = ac->data;
	char why[160];

	if (bp == NULL || (ac != bp->pub && ac != bp->sub))
		return;
	if (status == REDIS_OK)
		snprintf(why, sizeof(why), "redis closed the connection");
	else
		snprintf(why, sizeof(why), "%s", ac->errstr);
	if (ac == bp->pub)
		bp->pub = NULL;
	else
		bp->sub = NULL;
	link_lost(bp, why);
}

static redisAsyncContext *ctx_open(struct backplane *bp, char *why, size_t why_len)
{
	redisAsyncContext *ac = redisAsyncConnect(bp->host, bp->port);

	if (ac == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	if (ac->err) {
		snprintf(why, why_len, "cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = bp;
	(void)redisEnableKeepAlive(&ac->c);
	redisLibevAttach(bp->loop, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	return ac;
}

static void send_auth(struct backplane *bp, redisAsyncContext *ac,
    redisCallbackFn *fn, void *privdata)
{
	if (bp->pass[0] == '\0')
		return;
	if (bp->user[0] != '\0')
		redisAsyncCommand(ac, fn, privdata, "AUTH %s %s", bp->user, bp->pass);
	else
		redisAsyncCommand(ac, fn, privdata, "AUTH %s", bp->pass);
}

static void link_start(struct backplane *bp)
{
	char why[160];

	bp->pub_ready = bp->sub_ready = 0;
	if ((bp->pub = ctx_open(bp, why, sizeof(why))) == NULL ||
	    (bp->sub = ctx_open(bp, why, sizeof(why))) == NULL) {
		link_lost(bp, why);
		return;
	}
	send_auth(bp, bp->pub, on_setup, &tag_auth);
	redisAsyncCommand(bp->pub, on_setup, &tag_select, "SELECT %u", bp->db);
	send_auth(bp, bp->sub, on_sub_auth, NULL);
	redisAsyncCommand(bp->sub, on_sub, NULL, "SUBSCRIBE %s%s", bp->prefix, bp->ctl);
	ev_timer_set(&bp->connect_w, REDIS_CONNECT_TIMEOUT, 0.);
	ev_timer_start(bp->loop, &bp->connect_w);
}

/* Drop both connections (each may already be gone). */
static void link_close(struct backplane *bp)
{
	redisAsyncContext *pub = bp->pub, *sub = bp->sub;

	bp->pub = bp->sub = NULL;
	if (pub != NULL)
		redisAsyncFree(pub);    /* answers pending id requests with 0 */
	if (sub != NULL)
		redisAsyncFree(sub);
}

static void link_lost(struct backplane *bp, const char *why)
{
	bp->up = bp->pub_ready = bp->sub_ready = 0;
	ev_timer_stop(bp->loop, &bp->connect_w);
	link_close(bp);
	if (!bp->down_reported) {
		bp->down_reported = 1;
		bp->ev->down(bp->arg, why);
	}
	if (!ev_is_active(&bp->retry_w)) {
		ev_timer_set(&bp->retry_w, bp->backoff, 0.);
		ev_timer_start(bp->loop, &bp->retry_w);
		bp->backoff *= 2;
		if (bp->backoff > REDIS_RETRY_MAX)
			bp->backoff = REDIS_RETRY_MAX;
	}
}

static void redis_drop(struct backplane *bp, const char *why)
{
	if (bp->up)
		link_lost(bp, why);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct backplane *bp = container_of(w, struct backplane, retry_w);

	(void)loop;
	(void)revents;
	link_start(bp);
}

static void connect_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct backplane *bp = container_of(w, struct backplane, connect_w);

	(void)loop;
	(void)revents;
	if (!bp->up)
		link_lost(bp, "connecting timed out");
}

/* --- ops ----------------------------------------------------------------- */

static struct backplane *redis_open(struct ev_loop *loop, const char *url,
    const char *ctl_chan, const struct backplane_events *ev, void *arg,
    char *err, size_t err_len)
{
	struct backplane *bp;
	const char *envpass = getenv("SOTTO_REDIS_PASSWORD");

	if ((bp = calloc(1, sizeof(*bp))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (parse_url(bp, url, err, err_len) != 0 ||
	    copy_part(bp->ctl, sizeof(bp->ctl), ctl_chan, strlen(ctl_chan)) != 0) {
		free(bp);
		return NULL;
	}
	if (bp->pass[0] == '\0' && envpass != NULL &&
	    copy_part(bp->pass, sizeof(bp->pass), envpass, strlen(envpass)) != 0) {
		snprintf(err, err_len, "SOTTO_REDIS_PASSWORD is too long");
		free(bp);
		return NULL;
	}
	bp->loop = loop;
	bp->ev = ev;
	bp->arg = arg;
	bp->backoff = REDIS_RETRY_FIRST;
	snprintf(bp->prefix, sizeof(bp->prefix), "sotto:%u:", bp->db);
	bp->prefix_len = strlen(bp->prefix);
	snprintf(bp->where, sizeof(bp->where), strchr(bp->host, ':') != NULL ?
	    "[%s]:%d/%u" : "%s:%d/%u", bp->host, bp->port, bp->db);
	ev_timer_init(&bp->retry_w, retry_cb, 0., 0.);
	ev_timer_init(&bp->connect_w, connect_timeout_cb, 0., 0.);
	link_start(bp);
	return bp;
}

/* Write what was published before we go, waiting at most REDIS_FLUSH_MS. */
static void flush_pub(redisAsyncContext *ac)
{
	struct pollfd pfd = { .fd = ac->c.fd, .events = POLLOUT };
	int done = 0, i;

	if (!(ac->c.flags & REDIS_CONNECTED))
		return;
	for (i = 0; i < REDIS_FLUSH_MS / 10 && !done; i++) {
		if (redisBufferWrite(&ac->c, &done) != REDIS_OK)
			return;
		if (!done && poll(&pfd, 1, 10) < 0 && errno != EINTR)
			return;
	}
}

static void redis_free(struct backplane *bp)
{
	if (bp == NULL)
		return;
	ev_timer_stop(bp->loop, &bp->retry_w);
	ev_timer_stop(bp->loop, &bp->connect_w);
	bp->ev = NULL;
	if (bp->pub != NULL)
		flush_pub(bp->pub);
	/* Callbacks run during the frees find bp->pub/sub NULL and stay quiet. */
	if (bp->pub != NULL)
		bp->pub->data = NULL;
	if (bp->sub != NULL)
		bp->sub->data = NULL;
	link_close(bp);
	explicit_bzero(bp->pass, sizeof(bp->pass));
	free(bp);
}

static int chan_name(const struct backplane *bp, char out[static REDIS_CHAN_MAX + 32],
    const uint8_t *chan, size_t chan_len, size_t *len)
{
	if (chan_len > REDIS_CHAN_MAX)
		return -1;
	memcpy(out, bp->prefix, bp->prefix_len);
	memcpy(out + bp->prefix_len, chan, chan_len);
	*len = bp->prefix_len + chan_len;
	return 0;
}

static int redis_publish(struct backplane *bp, const uint8_t *chan, size_t chan_len,
    const uint8_t *p, size_t n, int ack)
{
	char name[REDIS_CHAN_MAX + 32];
	size_t len;

	if (!bp->up || chan_name(bp, name, chan, chan_len, &len) != 0)
		return -1;
	return redisAsyncCommand(bp->pub, ack ? on_ack : NULL, bp, "PUBLISH %b %b",
	    name, len, p, n) == REDIS_OK ? 0 : -1;
}

static int redis_subscribe(struct backplane *bp, const uint8_t *chan, size_t chan_len,
    int on)
{
	char name[REDIS_CHAN_MAX + 32];
	size_t len;

	if (!bp->up || chan_name(bp, name, chan, chan_len, &len) != 0)
		return -1;
	return redisAsyncCommand(bp->sub, on_sub, NULL, on ? "SUBSCRIBE %b" :
	    "UNSUBSCRIBE %b", name, len) == REDIS_OK ? 0 : -1;
}

static int redis_take_id(struct backplane *bp, uint64_t floor, uint64_t restart_floor)
{
	if (!bp->up)
		return -1;
	return redisAsyncCommand(bp->pub, on_id, bp, "EVAL %s 1 %s %llu %llu",
	    id_script, REDIS_IDS_KEY, (unsigned long long)restart_floor,
	    (unsigned long long)floor) == REDIS_OK ? 0 : -1;
}

static int redis_peers(struct backplane *bp)
{
	if (!bp->up)
		return -1;
	return redisAsyncCommand(bp->pub, on_numsub, bp, "PUBSUB NUMSUB %s%s",
	    bp->prefix, bp->ctl) == REDIS_OK ? 0 : -1;
}

static size_t redis_backlog(const struct backplane *bp)
{
	return bp->pub != NULL ? sdslen(bp->pub->c.obuf) : 0;
}

static const char *redis_where(const struct backplane *bp)
{
	return bp->where;
}

const struct backplane_ops backplane_redis = {
	.scheme = "redis",
	.open = redis_open,
	.free = redis_free,
	.publish = redis_publish,
	.subscribe = redis_subscribe,
	.take_id = redis_take_id,
	.peers = redis_peers,
	.drop = redis_drop,
	.backlog = redis_backlog,
	.where = redis_where,
};

const struct backplane_ops *backplane_for(const char *url)
{
	if (strncmp(url, "redis://", 8) == 0)
		return &backplane_redis;
	return NULL;
}

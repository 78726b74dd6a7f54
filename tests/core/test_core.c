/* SPDX-License-Identifier: ISC */
/* test_core.c: the protocol core in one process: real cores through the fake relay, the fixed RSA key, milliseconds per test.
 *
 * Each test builds identities in a temporary folder, starts cores with
 * client_new against the fake relay (tests/core/fake_relay.c, reached
 * through the core_connect seam) and runs the loop until a condition holds
 * or a deadline passes (scaled by SOTTO_TIME_SCALE). Only the core's public
 * header is used, as a front-end would.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "client.h"
#include "crypto.h"
#include "fake_relay.h"
#include "sshkey.h"

#define MAX_EVENTS 256
#define TEXT_MAX   64

extern unsigned fast_rsagen_made;

static struct ev_loop *loop;
static const char *room = "core";     /* each test its own room */
static char tmpdir[] = "/tmp/sotto-core-test.XXXXXX";

/* What one core told its front-end. */
struct fe {
	const char *name;
	struct client *c;
	unsigned    n[32];                   /* per event type (room for new ones) */
	unsigned    after_shutdown;          /* events after client_shutdown */
	bool        shut;
	bool        ready_first;
	uint32_t    ready_epoch;
	size_t      ready_members;
	char        texts[8][TEXT_MAX];
	size_t      n_texts;
	char        joined[TEXT_MAX];
	char        reject[TEXT_MAX];
	char        rekeyed[TEXT_MAX];       /* the last rekeyed's reason */
	uint32_t    rekeyed_epoch;
	/* What to do from inside a callback (the re-entrancy tests). */
	void      (*hook)(struct fe *fe, const struct client_event *ev);
};

/* --- set-up -------------------------------------------------------------- */

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || fchmod(fd, mode) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* NAME (private key, 0600) and NAME.pub in the temporary folder. */
static void
make_identity(const char *name)
{
	struct sotto_ed25519 *k;
	struct sotto_wbuf priv, pub;
	char path[512];

	sotto_wbuf_init_secure(&priv, 0);
	sotto_wbuf_init(&pub, 0);
	if (sotto_ed25519_generate(&k) != 0 ||
	    sotto_sshpriv_format(&priv, k, name) != 0 ||
	    sotto_sshpub_format(&pub, sotto_ed25519_pub(k), name) != 0) {
		fprintf(stderr, "cannot make the identity %s\n", name);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, priv.p, priv.len, 0600);
	snprintf(path, sizeof(path), "%s/%s.pub", tmpdir, name);
	write_file(path, pub.p, pub.len, 0644);
	sotto_ed25519_free(k);
	sotto_wbuf_free(&priv);
	sotto_wbuf_free(&pub);
}

/* A trusted folder DIR holding NAME.pub for each name (NULL-terminated). */
static void
make_trusted(const char *dir, const char *const *names)
{
	char path[512], src[512], line[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, dir);
	(void)mkdir(path, 0700);
	/* Start empty: a reload test shrinks a folder. */
	for (const char *const *p = (const char *const[]){ "alice", "bob", "carol", NULL };
	    *p != NULL; p++) {
		snprintf(path, sizeof(path), "%s/%s/%s.pub", tmpdir, dir, *p);
		(void)unlink(path);
	}
	for (; *names != NULL; names++) {
		snprintf(src, sizeof(src), "%s/%s.pub", tmpdir, *names);
		if ((f = fopen(src, "r")) == NULL || (n = fread(line, 1, sizeof(line), f)) == 0) {
			perror(src);
			exit(2);
		}
		fclose(f);
		snprintf(path, sizeof(path), "%s/%s/%s.pub", tmpdir, dir, *names);
		write_file(path, line, n, 0644);
	}
}

static void
on_event(const struct client_event *ev, void *ctx)
{
	struct fe *fe = ctx;

	if (fe->shut)
		fe->after_shutdown++;
	if ((size_t)ev->type < sizeof(fe->n) / sizeof(fe->n[0]))
		fe->n[ev->type]++;
	switch (ev->type) {
	case CLIENT_EV_READY:
		fe->ready_first = ev->ready.first;
		fe->ready_epoch = ev->ready.epoch;
		fe->ready_members = ev->ready.n_members;
		break;
	case CLIENT_EV_MESSAGE:
		if (fe->n_texts < 8)
			snprintf(fe->texts[fe->n_texts++], TEXT_MAX, "%s: %.*s",
			    ev->message.name, (int)ev->message.text_len, ev->message.text);
		break;
	case CLIENT_EV_REKEYED:
		snprintf(fe->rekeyed, sizeof(fe->rekeyed), "%s", ev->rekeyed.reason);
		fe->rekeyed_epoch = ev->rekeyed.epoch;
		break;
	case CLIENT_EV_JOINED:
		snprintf(fe->joined, sizeof(fe->joined), "%s", ev->joined.name);
		break;
	case CLIENT_EV_REJECTED:
		snprintf(fe->reject, sizeof(fe->reject), "%s", ev->rejected.reason);
		break;
	default:
		break;
	}
	if (fe->hook != NULL)
		fe->hook(fe, ev);
}

static uint64_t rotate_messages;      /* --rotate-messages of start() */

static void
start(struct fe *fe, const char *name, const char *trusted)
{
	char id[512], tr[512], err[256] = "";
	/* No local history: nothing of a test goes to $XDG_DATA_HOME. */
	struct client_config cfg = { .room = room, .relay = "fake:1",
	    .clock_skew = 30, .no_history = true,
	    .rotate_messages = rotate_messages };

	snprintf(id, sizeof(id), "%s/%s", tmpdir, name);
	snprintf(tr, sizeof(tr), "%s/%s", tmpdir, trusted);
	cfg.identity = id;
	cfg.trusted = tr;
	fe->name = name;
	fe->c = client_new(loop, &cfg, on_event, fe, err, sizeof(err));
	if (fe->c == NULL) {
		fprintf(stderr, "client_new %s: %s\n", name, err);
		exit(2);
	}
}

static void
stop(struct fe *fe)
{
	client_free(fe->c);
	memset(fe, 0, sizeof(*fe));
}

/* --- running the loop ------------------------------------------------------ */

static double
scale(void)
{
	const char *s = getenv("SOTTO_TIME_SCALE");

	return s != NULL && atof(s) > 0 ? atof(s) : 1.0;
}

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

/* Run the loop until cond() holds: true, or false after `seconds` (scaled). */
static bool
run_until(bool (*cond)(void *), void *arg, double seconds)
{
	struct timespec t0, t;
	ev_timer tick;
	bool ok;

	ev_timer_init(&tick, on_tick, 0.005, 0.005);
	ev_timer_start(loop, &tick);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((ok = cond(arg)))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >
		    seconds * scale())
			break;
		ev_run(loop, EVRUN_ONCE);
	}
	ev_timer_stop(loop, &tick);
	return ok;
}

static bool
is_ready(void *arg)
{
	struct fe *fe = arg;

	return fe->n[CLIENT_EV_READY] > 0;
}

static bool
both_ready(void *arg)
{
	struct fe **f = arg;

	return f[0]->n[CLIENT_EV_READY] > 0 && f[1]->n[CLIENT_EV_READY] > 0;
}

static bool
has_text(void *arg)
{
	struct fe *fe = arg;

	return fe->n_texts > 0;
}

static bool
has_joined(void *arg)
{
	struct fe *fe = arg;

	return fe->n[CLIENT_EV_JOINED] > 0;
}

/* --- tests ----------------------------------------------------------------- */

/* Alone in the room: the core makes the group key and says so. */
static void
test_first_alone(void)
{
	struct fe a = { 0 };
	unsigned made = fast_rsagen_made;

	room = "first";
	start(&a, "alice", "trusted");
	CHECK(run_until(is_ready, &a, 5));
	CHECK_EQ(a.n[CLIENT_EV_CONNECTED], 1);
	CHECK(a.ready_first);
	CHECK_EQ(a.ready_epoch, 1);
	CHECK_EQ(a.ready_members, 1);             /* self */
	CHECK(fast_rsagen_made > made);           /* the fixed key, not a thread */
	CHECK_EQ(a.n[CLIENT_EV_ERROR], 0);
	stop(&a);
}

/* A second member gets the key from the first; text flows both ways. */
static void
test_join_and_talk(void)
{
	struct fe a = { 0 }, b = { 0 };
	struct fe *both[2] = { &a, &b };

	room = "talk";
	start(&a, "alice", "trusted");
	CHECK(run_until(is_ready, &a, 5));
	start(&b, "bob", "trusted");
	CHECK(run_until(both_ready, both, 5));
	CHECK(!b.ready_first);
	CHECK_EQ(b.ready_epoch, a.ready_epoch);
	CHECK_EQ(b.ready_members, 2);
	CHECK(run_until(has_joined, &a, 5));
	CHECK_STR(a.joined, "bob");
	CHECK_EQ(client_send_text(b.c, "hello from bob", 14), 0);
	CHECK(run_until(has_text, &a, 5));
	CHECK_STR(a.texts[0], "bob: hello from bob");
	CHECK_EQ(client_send_text(a.c, "hi bob", 6), 0);
	CHECK(run_until(has_text, &b, 5));
	CHECK_STR(b.texts[0], "alice: hi bob");
	CHECK_EQ(a.n[CLIENT_EV_REJECTED] + b.n[CLIENT_EV_REJECTED], 0);
	stop(&b);
	stop(&a);
}

static bool
reconnected(void *arg)
{
	struct fe **f = arg;

	return f[0]->n[CLIENT_EV_READY] >= 2 && f[1]->n[CLIENT_EV_READY] >= 2;
}

/* The relay drops everyone: both report it once, come back, and talk. */
static void
test_relay_restart(void)
{
	struct fe a = { 0 }, b = { 0 };
	struct fe *both[2] = { &a, &b };

	room = "restart";
	start(&a, "alice", "trusted");
	CHECK(run_until(is_ready, &a, 5));
	start(&b, "bob", "trusted");
	CHECK(run_until(both_ready, both, 5));
	fake_relay_drop_all(fake_relay_current);
	CHECK(run_until(reconnected, both, 10));
	CHECK_EQ(a.n[CLIENT_EV_DISCONNECTED], 1);
	CHECK_EQ(b.n[CLIENT_EV_DISCONNECTED], 1);
	a.n_texts = b.n_texts = 0;
	CHECK_EQ(client_send_text(b.c, "back", 4), 0);
	CHECK(run_until(has_text, &a, 5));
	CHECK_STR(a.texts[0], "bob: back");
	stop(&b);
	stop(&a);
}

static struct {
	uint8_t  type;
	unsigned count;
} wait_sent;

static bool
relay_sent(void *arg)
{
	(void)arg;
	return fake_relay_sent(fake_relay_current, wait_sent.type) >= wait_sent.count;
}

static bool
relay_conns_le(void *arg)
{
	return fake_relay_conns(fake_relay_current) <= *(size_t *)arg;
}

/* Re-entrancy: the front-end re-reads a trusted folder that no longer holds
 * the member it is being told about, from inside that `joined` event. The
 * core must not touch the member it just forgot (ASan: use after free) and
 * must not hand it the group key. */
static void
reload_in_joined(struct fe *fe, const struct client_event *ev)
{
	char err[256];

	if (ev->type != CLIENT_EV_JOINED)
		return;
	make_trusted("shrinking", (const char *const[]){ "alice", NULL });
	CHECK_EQ(client_reload(fe->c, err, sizeof(err)), 0);
}

static void
test_reload_inside_joined(void)
{
	struct fe a = { 0 }, b = { 0 };
	unsigned keys, inis;

	room = "reload";
	make_trusted("shrinking", (const char *const[]){ "alice", "bob", NULL });
	start(&a, "alice", "shrinking");
	a.hook = reload_in_joined;
	CHECK(run_until(is_ready, &a, 5));
	keys = fake_relay_sent(fake_relay_current, 2);
	inis = fake_relay_sent(fake_relay_current, 1);
	start(&b, "bob", "trusted");
	CHECK(run_until(has_joined, &a, 5));
	CHECK_EQ(a.n[CLIENT_EV_LEFT], 1);         /* bob forgotten at once */
	/* alice answers bob's INI with her own at once: once that reply is
	 * through the relay (roster, bob's INI, the reply), anything else
	 * she queued with it is too. No KEY: bob is no longer trusted. */
	wait_sent.type = 1;
	wait_sent.count = inis + 3;
	CHECK(run_until(relay_sent, &wait_sent, 5));
	CHECK_EQ(fake_relay_sent(fake_relay_current, 2), keys);
	CHECK_EQ(b.n[CLIENT_EV_READY], 0);
	stop(&b);
	stop(&a);
}

/* Re-entrancy: the front-end shuts the core down from inside a message
 * event while more frames sit in the same read. No event may follow, and
 * the loop must end on its own. */
static void
shutdown_in_message(struct fe *fe, const struct client_event *ev)
{
	if (ev->type != CLIENT_EV_MESSAGE || fe->shut)
		return;
	client_shutdown(fe->c);
	fe->shut = true;
}

static void
test_shutdown_inside_message(void)
{
	struct fe a = { 0 }, b = { 0 };
	struct fe *both[2] = { &a, &b };
	size_t one = 1;

	room = "shutdown";
	start(&a, "alice", "trusted");
	CHECK(run_until(is_ready, &a, 5));
	start(&b, "bob", "trusted");
	CHECK(run_until(both_ready, both, 5));
	a.hook = shutdown_in_message;
	/* Queued together, so they arrive in one read at alice. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(client_send_text(b.c, "burst", 5), 0);
	CHECK(run_until(has_text, &a, 5));
	/* The relay sees alice's socket close: her core is done with it. */
	CHECK(run_until(relay_conns_le, &one, 5));
	CHECK(a.shut);
	CHECK_EQ(a.n_texts, 1);
	CHECK_EQ(a.after_shutdown, 0);
	CHECK_EQ(a.n[CLIENT_EV_DISCONNECTED], 0);
	stop(&b);
	stop(&a);
}

/* The core refuses a rotation interval out of range (main checks the
 * flag; a front-end of its own gets the same rule). */
static void
test_periodic_config(void)
{
	static const double bad[] = { 0.5, -1.0, 366.0 * 86400.0 + 1.0 };
	char id[512], tr[512], err[256];
	struct client_config cfg = { .room = "cfg", .relay = "fake:1",
	    .clock_skew = 30, .no_history = true };
	struct fe fe = { 0 };
	size_t i;

	snprintf(id, sizeof(id), "%s/alice", tmpdir);
	snprintf(tr, sizeof(tr), "%s/trusted", tmpdir);
	cfg.identity = id;
	cfg.trusted = tr;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cfg.rotate_interval = bad[i];
		CHECK(client_new(loop, &cfg, on_event, &fe, err, sizeof(err)) == NULL);
		CHECK(strstr(err, "rotation interval") != NULL);
	}
}

static bool
both_rekeyed(void *arg)
{
	struct fe **f = arg;

	return f[0]->n[CLIENT_EV_REKEYED] > 0 && f[1]->n[CLIENT_EV_REKEYED] > 0;
}

static bool
has_texts(void *arg)
{
	struct fe *fe = arg;

	return fe->n_texts >= 3;   /* two, three, four */
}

/* Rotation by count (rotperiod.c): at 3 room messages (one of its own,
 * two received) both members move to one new epoch, reason count, once. */
static void
test_count_rotation(void)
{
	struct fe a = { 0 }, b = { 0 };
	struct fe *both[2] = { &a, &b };

	room = "count";
	rotate_messages = 3;
	start(&a, "alice", "trusted");
	CHECK(run_until(is_ready, &a, 5));
	start(&b, "bob", "trusted");
	CHECK(run_until(both_ready, both, 5));
	CHECK_EQ(client_send_text(a.c, "one", 3), 0);
	CHECK_EQ(client_send_text(b.c, "two", 3), 0);
	CHECK_EQ(client_send_text(b.c, "three", 5), 0);
	CHECK(run_until(both_rekeyed, both, 5));
	CHECK_EQ(strcmp(a.rekeyed, "count"), 0);
	CHECK_EQ(strcmp(b.rekeyed, "count"), 0);
	CHECK_EQ(a.rekeyed_epoch, a.ready_epoch + 1);
	CHECK_EQ(b.rekeyed_epoch, a.rekeyed_epoch);
	/* The count restarts with the new key: one more line, no rotation. */
	CHECK_EQ(client_send_text(b.c, "four", 4), 0);
	CHECK(run_until(has_texts, &a, 5));
	CHECK_EQ(a.n[CLIENT_EV_REKEYED], 1);
	CHECK_EQ(b.n[CLIENT_EV_REKEYED], 1);
	rotate_messages = 0;
	stop(&b);
	stop(&a);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL || sotto_crypto_init() != 0) {
		perror("set-up");
		return 2;
	}
	loop = ev_default_loop(0);
	fake_relay_current = fake_relay_new(loop);
	make_identity("alice");
	make_identity("bob");
	make_trusted("trusted", (const char *const[]){ "alice", "bob", NULL });

	test_first_alone();
	test_join_and_talk();
	test_relay_restart();
	test_reload_inside_joined();
	test_shutdown_inside_message();
	test_periodic_config();
	test_count_rotation();

	fake_relay_free(fake_relay_current);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		(void)system(cmd);
	}
	return check_summary();
}

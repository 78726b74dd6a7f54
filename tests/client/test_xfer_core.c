/* SPDX-License-Identifier: ISC */
/* test_xfer_core.c: the receiving side of file transfer in the core (client/core/xfer*.c) without a relay: a front-end that cancels or accepts a transfer from inside its own FILE_OFFER, FILE_PROGRESS or FILE_RECEIVED event leaves the core with nothing freed under it (run under ASan). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core.h"
#include "crypto.h"
#include "err.h"
#include "filebody.h"
#include "xfer.h"
#include "trust.h"

/* What the front-end does from inside an event. */
enum act { ACT_NONE, ACT_CANCEL_ON_OFFER, ACT_CANCEL_ON_PROGRESS,
	ACT_CANCEL_ON_RECEIVED, ACT_ACCEPT_ON_OFFER };

struct seen {
	struct client *c;
	enum act act;
	int      acted;          /* the API's answer from inside the event */
	bool     did_act;
	size_t   offers, progress, received, failed, rejected;
	char     reason[32];
};

static void on_event(const struct client_event *ev, void *ctx)
{
	struct seen *s = ctx;
	char why[256];
	bool mine = false;

	switch (ev->type) {
	case CLIENT_EV_FILE_OFFER:
		s->offers++;
		mine = s->act == ACT_CANCEL_ON_OFFER || s->act == ACT_ACCEPT_ON_OFFER;
		break;
	case CLIENT_EV_FILE_PROGRESS:
		s->progress++;
		mine = s->act == ACT_CANCEL_ON_PROGRESS;
		break;
	case CLIENT_EV_FILE_RECEIVED:
		s->received++;
		mine = s->act == ACT_CANCEL_ON_RECEIVED;
		break;
	case CLIENT_EV_REJECTED:
		s->rejected++;
		break;
	case CLIENT_EV_FILE_FAILED:
		s->failed++;
		snprintf(s->reason, sizeof(s->reason), "%s", ev->file.reason);
		break;
	default:
		break;
	}
	if (!mine || s->did_act)
		return;
	s->did_act = true;
	if (s->act == ACT_ACCEPT_ON_OFFER)
		s->acted = client_accept_file(s->c, ev->file.n, why, sizeof(why));
	else
		s->acted = client_cancel_file(s->c, ev->file.n, why, sizeof(why));
}

static void on_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	core_reap(container_of(w, struct client, reap));
}

static uint8_t a_pub[32], a_sess[32];

static int deliver(struct client *c, uint8_t ctype, const struct sotto_wbuf *b)
{
	struct sotto_peer peer = { .name = "alice" };
	const char *why;

	strcpy(peer.fpr_str, "SHA256:alice");
	memcpy(peer.pub, a_pub, 32);
	return xfer_deliver(c, &peer, a_pub, a_sess, ctype, b->p, b->len, false,
	    &why);
}

/* Files published in dir (temp files not counted). */
static size_t published(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static size_t any_files(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* alice offers a one-chunk file and sends its chunk; the front-end does
 * `act` from inside an event. */
static void run(struct client *c, struct seen *s, enum act act, bool auto_acc,
    const char *dir)
{
	static const char data[] = "hello, file";
	struct sotto_wbuf b;
	uint8_t id[SOTTO_XFER_ID], sha[SOTTO_SHA256_LEN];

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->act = act;
	c->xf->accept_all = auto_acc;
	sotto_random(id, sizeof(id));
	gcry_md_hash_buffer(GCRY_MD_SHA256, sha, data, sizeof(data) - 1);
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_foffer_build(&b, id, sizeof(data) - 1, SOTTO_FILE_CHUNK, sha,
	    0, (const uint8_t *)"hello.txt", 9), 0);
	CHECK_EQ(deliver(c, SOTTO_CT_FOFFER, &b), 0);
	ev_invoke_pending(c->loop);
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_fchunk_build(&b, id, 0, data, sizeof(data) - 1), 0);
	CHECK_EQ(deliver(c, SOTTO_CT_FCHUNK, &b), 0);
	ev_invoke_pending(c->loop);
	sotto_wbuf_free(&b);
	(void)dir;
}

int main(void)
{
	struct client_config cfg;
	struct client c;
	struct seen s;
	char dir[] = "/tmp/sotto-xfer-core.XXXXXX";
	size_t before;

	CHECK_EQ(sotto_crypto_init(), 0);
	CHECK(mkdtemp(dir) != NULL);
	memset(&c, 0, sizeof(c));
	memset(&cfg, 0, sizeof(cfg));
	c.loop = ev_loop_new(EVFLAG_AUTO);
	c.fn = on_event;
	c.ctx = &s;
	c.st = CS_READY;
	c.fd = -1;
	c.self_name = "bob";
	ev_prepare_init(&c.reap, on_reap);
	sotto_random(a_pub, 32);
	sotto_random(a_sess, 32);
	cfg.download_dir = dir;
	CHECK_EQ(xfer_new(&c, &cfg), 0);

	/* Cancelled from its own FILE_OFFER (auto-accepted): no accept on
	 * the freed transfer, nothing on disk, the chunk is dropped. */
	run(&c, &s, ACT_CANCEL_ON_OFFER, true, dir);
	CHECK(s.did_act);
	CHECK_EQ(s.acted, 0);
	CHECK_EQ(s.failed, 1);
	CHECK_STR(s.reason, "cancelled");
	CHECK_EQ(s.received, 0);
	CHECK_EQ(any_files(dir), 0);
	CHECK(c.xf->list == NULL);

	/* Cancelled from FILE_PROGRESS at 100 %: not published after. */
	run(&c, &s, ACT_CANCEL_ON_PROGRESS, true, dir);
	CHECK(s.did_act);
	CHECK_EQ(s.acted, 0);
	CHECK_EQ(s.failed, 1);
	CHECK_EQ(s.received, 0);
	CHECK_EQ(any_files(dir), 0);
	CHECK(c.xf->list == NULL);

	/* Cancelled from FILE_RECEIVED: it is over already (no transfer n),
	 * the file stays published, no FAILED after RECEIVED. */
	run(&c, &s, ACT_CANCEL_ON_RECEIVED, true, dir);
	CHECK(s.did_act);
	CHECK_EQ(s.acted, SOTTO_E_NOTFOUND);
	CHECK_EQ(s.received, 1);
	CHECK_EQ(s.failed, 0);
	CHECK_EQ(published(dir), 1);
	CHECK(c.xf->list == NULL);

	/* Accepted from its own FILE_OFFER (5 MiB: waiting for /accept):
	 * taken once (not accepted again after the event), running. */
	{
		struct sotto_wbuf b;
		uint8_t id[SOTTO_XFER_ID], sha[SOTTO_SHA256_LEN];
		struct xfer *x;
		char why[256];

		memset(&s, 0, sizeof(s));
		s.c = &c;
		s.act = ACT_ACCEPT_ON_OFFER;
		c.xf->accept_all = false;
		sotto_random(id, sizeof(id));
		sotto_random(sha, sizeof(sha));
		sotto_wbuf_init(&b, 0);
		CHECK_EQ(sotto_foffer_build(&b, id, 5u << 20, SOTTO_FILE_CHUNK, sha,
		    0, (const uint8_t *)"big.bin", 7), 0);
		CHECK_EQ(deliver(&c, SOTTO_CT_FOFFER, &b), 0);
		ev_invoke_pending(c.loop);
		sotto_wbuf_free(&b);
		CHECK(s.did_act);
		CHECK_EQ(s.acted, 0);
		CHECK_EQ(s.failed, 0);
		CHECK((x = c.xf->list) != NULL && x->accepted && !x->waiting &&
		    !x->auto_acc);
		CHECK_EQ(any_files(dir), published(dir) + 1);   /* its temp file */
		before = published(dir);
		CHECK_EQ(client_cancel_file(&c, x->n, why, sizeof(why)), 0);
		ev_invoke_pending(c.loop);
		CHECK(c.xf->list == NULL);
		CHECK_EQ(any_files(dir), before);
	}

	/* Auto-accept is bounded in files, not only in bytes: empty files
	 * from one sender are taken XFER_AUTO_FILES_MAX times a window, then
	 * the next one waits for /accept (they were free before). */
	{
		struct sotto_wbuf b;
		uint8_t id[SOTTO_XFER_ID], sha[SOTTO_SHA256_LEN];
		unsigned i;

		memset(&s, 0, sizeof(s));
		s.c = &c;
		c.xf->accept_all = false;
		sotto_random(a_pub, 32);        /* a sender with a fresh window */
		gcry_md_hash_buffer(GCRY_MD_SHA256, sha, "", 0);
		sotto_wbuf_init(&b, 0);
		for (i = 0; i <= XFER_AUTO_FILES_MAX; i++) {
			sotto_random(id, sizeof(id));
			sotto_wbuf_reset(&b);
			CHECK_EQ(sotto_foffer_build(&b, id, 0, SOTTO_FILE_CHUNK, sha, 0,
			    (const uint8_t *)"e", 1), 0);
			CHECK_EQ(deliver(&c, SOTTO_CT_FOFFER, &b), 0);
			ev_invoke_pending(c.loop);
		}
		sotto_wbuf_free(&b);
		CHECK_EQ(s.received, XFER_AUTO_FILES_MAX);
		CHECK_EQ(s.offers, XFER_AUTO_FILES_MAX + 1);
		CHECK(c.xf->list != NULL && c.xf->list->waiting &&
		    !c.xf->list->auto_acc);
	}

#ifdef SOTTO_TEST_HOOKS
	/* DATs held before the key are bounded in bytes too: 256 file-chunk
	 * sized DATs would have been 16 MB; at most CORE_PENDING_BYTES stay,
	 * the oldest go, one rejected each. */
	{
		static uint8_t body[62 * 1024];
		size_t i, held = 0;

		memset(&s, 0, sizeof(s));
		c.st = CS_CONNECTING;
		for (i = 0; i < 200; i++) {
			body[0] = (uint8_t)i;
			dat_test_hold(&c, body, sizeof(body));
		}
		for (i = 0; i < c.pend_n; i++)
			held += c.pend[(c.pend_head + i) % CORE_PENDING_MAX].len;
		CHECK(held <= CORE_PENDING_BYTES);
		CHECK(held + sizeof(body) > CORE_PENDING_BYTES);  /* no more gone */
		CHECK_EQ(s.rejected, 200 - c.pend_n);
		/* The newest stayed. */
		CHECK_EQ(c.pend[(c.pend_head + c.pend_n - 1) % CORE_PENDING_MAX].body[0],
		    199);
		/* Small DATs: still at most CORE_PENDING_MAX of them. */
		dat_drop_pending(&c, NULL);
		for (i = 0; i < CORE_PENDING_MAX + 10; i++)
			dat_test_hold(&c, body, 100);
		CHECK_EQ(c.pend_n, CORE_PENDING_MAX);
		dat_drop_pending(&c, NULL);
		c.st = CS_READY;
	}
#endif

	xfer_free(&c);
	ev_loop_destroy(c.loop);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_EQ(system(cmd), 0);
	}
	return check_summary();
}

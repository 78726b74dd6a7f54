/* SPDX-License-Identifier: ISC */
/* signer.c: every signature the core makes: with the identity's own key at once, or by ssh-agent without ever blocking the loop.
 *
 * Builders hand over a frame whose body still lacks its signature, with
 * the signature input (the proto *_unsigned functions). With a key file
 * the signature is made and the frame sent on the spot. With ssh-agent the
 * request is queued on the agent connection and the frame waits in a FIFO;
 * the agent answers in order, so frames leave in the order they were made
 * (DAT counters stay in order). A frame made for an older relay connection
 * (conn_gen) is dropped when its signature arrives. Each agent signature is
 * checked against our key before the frame goes out.
 *
 * When the agent fails (gone, refusing, answering nonsense) it is reported
 * once, every waiting frame is dropped, typed lines go back to pending, and
 * sending stops until the next typed line (or the next INI or KEY the
 * protocol needs) retries the agent with one new connection.
 *
 * A DAT carries one typed line: for the room (the in-order path), or, for
 * a line held through a relay outage, addressed to one member from before
 * (outage.c; `bit` names that member). The line's bookkeeping follows the
 * frame: `taken` / `signing` while the agent signs, encoded / `sending`
 * with the output byte that ends it once the frame is in the output
 * buffer (outbox.c), so a line is crossed off only for frames that really
 * went out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "core.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"

struct signer_req {
	struct signer_req *next;
	uint8_t            type;
	uint32_t           to;
	unsigned           gen;          /* conn_gen the frame was made for */
	struct line       *line;         /* the typed line a DAT carries */
	uint64_t           bit;          /* held line: the member it is for */
	uint8_t           *frame;        /* body, then room for the signature */
	size_t             body_len;
	uint8_t           *msg;          /* the signature input */
	size_t             msg_len;
};

static void
req_free(struct signer_req *q)
{
	if (q == NULL)
		return;
	free(q->frame);
	free(q->msg);
	free(q);
}

static void
agent_watch(struct client *c)
{
	struct sotto_agent *a = c->ident->agent;
	int want;

	if (a == NULL) {
		ev_io_stop(c->loop, &c->agent_io);
		return;
	}
	want = (sotto_agent_pending(a) > 0 ? EV_READ : 0) |
	    (sotto_agent_want_write(a) ? EV_WRITE : 0);
	if (ev_is_active(&c->agent_io) && (c->agent_io.events & (EV_READ | EV_WRITE)) ==
	    want)
		return;
	ev_io_stop(c->loop, &c->agent_io);
	if (want != 0) {
		ev_io_set(&c->agent_io, sotto_agent_fd(a), want);
		ev_io_start(c->loop, &c->agent_io);
	}
}

/* Sign and send one frame now; 0 or an error (nothing sent). */
static int
send_signed(struct client *c, uint8_t type, uint32_t to, uint8_t *frame,
    size_t body_len, struct line *l, uint64_t bit)
{
	int r;

	if ((r = conn_send(c, type, to, frame, body_len + SOTTO_ED25519_SIG)) != 0)
		return r;
	if (l != NULL && bit != 0)
		outbox_sent_held(l, bit, c->out_queued);
	else if (l != NULL)
		outbox_sent(&c->ob, l, c->out_queued);
	return 0;
}

/* A held line's DAT is for one member from before the outage: whether
 * that member (same id, known, with a session) is still in the room. */
static bool
held_target_here(struct client *c, const struct signer_req *q)
{
	struct member *m = members_get(c, q->to, false);

	return m != NULL && m->known && m->rsess != NULL;
}

/* The agent failed: say so once, drop what waits, lines back to pending. */
static void
agent_failed(struct client *c, const char *why)
{
	struct client_event ev = { .type = CLIENT_EV_STATUS,
	    .status = { .state = "agent-failed", .reason = "agent-failed",
	    .detail = why } };
	struct signer_req *q, *next;
	bool lost_join = false;

	ev_io_stop(c->loop, &c->agent_io);
	sotto_agent_free(c->ident->agent);
	c->ident->agent = NULL;
	for (q = c->sig_head; q != NULL; q = next) {
		next = q->next;
		if (q->gen == c->conn_gen && q->type == SOTTO_T_INI)
			lost_join = true;
		req_free(q);
	}
	c->sig_head = NULL;
	c->sig_tail = &c->sig_head;
	c->sig_n = 0;
	outbox_unsent_again(&c->ob);
	if (!c->agent_down)
		core_emit(c, &ev);
	c->agent_down = true;
	/* Without our INI the relay never lets us in: start over later. */
	if (lost_join && c->st == CS_JOINING)
		conn_close(c, "our join could not be signed (ssh-agent failed)");
}

/* Take every answer that has arrived, oldest first. */
static void
take_answers(struct client *c)
{
	uint8_t sig[SOTTO_ED25519_SIG];
	struct signer_req *q;
	char err[256];
	int r;

	while ((q = c->sig_head) != NULL) {
		r = sotto_agent_sign_next(c->ident->agent, sig, err, sizeof(err));
		if (r == SOTTO_E_AGAIN)
			return;
		c->sig_head = q->next;
		if (c->sig_head == NULL)
			c->sig_tail = &c->sig_head;
		c->sig_n--;
		if (r == 0 && sotto_ed25519_verify(c->pub, q->msg, q->msg_len,
		    sig) != 0) {
			snprintf(err, sizeof(err), "ssh-agent returned a signature "
			    "that does not verify");
			r = SOTTO_E_SIG;
		}
		if (r != 0) {
			req_free(q);
			agent_failed(c, err);
			return;
		}
		c->agent_down = false;
		if (q->gen == c->conn_gen && q->bit != 0 && !held_target_here(c, q)) {
			/* The member left while the agent signed: not sent, so
			 * not crossed off; it gets the line if it comes back. */
			q->line->signing &= ~q->bit;
		} else if (q->gen == c->conn_gen) {
			memcpy(q->frame + q->body_len, sig, sizeof(sig));
			/* Unsent (the connection is closing): the line's
			 * marks go when it is reaped (outbox_rewind). */
			(void)send_signed(c, q->type, q->to, q->frame, q->body_len,
			    q->line, q->bit);
		}
		req_free(q);
	}
}

static void
on_agent_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, agent_io);
	char err[256];

	(void)loop;
	if ((revents & EV_WRITE) &&
	    sotto_agent_flush(c->ident->agent, err, sizeof(err)) != 0) {
		agent_failed(c, err);
		return;
	}
	if ((revents & EV_READ) &&
	    sotto_agent_read(c->ident->agent, err, sizeof(err)) != 0) {
		/* What arrived before the end still counts. */
		take_answers(c);
		if (c->ident->agent != NULL)
			agent_failed(c, err);
		return;
	}
	take_answers(c);
	if (c->ident->agent != NULL)
		agent_watch(c);
	dat_pump(c);
}

/* One new connection to the agent after a failure (no blocking lookup:
 * a key no longer in it shows as a refused signature). */
static int
agent_reopen(struct client *c)
{
	struct sotto_agent *a;
	char err[256];

	if (c->ident->agent != NULL)
		return 0;
	if (sotto_agent_open(NULL, &a, err, sizeof(err)) != 0)
		return SOTTO_E_AGENT;
	if (sotto_agent_nonblock(a) != 0) {
		sotto_agent_free(a);
		return SOTTO_E_AGENT;
	}
	c->ident->agent = a;
	return 0;
}

void
signer_init(struct client *c)
{
	c->sig_head = NULL;
	c->sig_tail = &c->sig_head;
	c->sig_n = 0;
	ev_init(&c->agent_io, on_agent_io);
	if (c->ident->agent != NULL)
		(void)sotto_agent_nonblock(c->ident->agent);
}

void
signer_stop(struct client *c)
{
	struct signer_req *q, *next;

	ev_io_stop(c->loop, &c->agent_io);
	for (q = c->sig_head; q != NULL; q = next) {
		next = q->next;
		req_free(q);
	}
	c->sig_head = NULL;
	c->sig_tail = &c->sig_head;
	c->sig_n = 0;
}

bool
signer_agent(const struct client *c)
{
	return c->ident->key == NULL;
}

bool
signer_full(const struct client *c)
{
	return c->sig_n >= SIGNER_INFLIGHT_MAX ||
	    (signer_agent(c) && c->ident->agent == NULL);
}

void
signer_retry(struct client *c)
{
	if (signer_agent(c) && c->ident->agent == NULL)
		(void)agent_reopen(c);
}

static int
submit(struct client *c, uint8_t type, uint32_t to, const uint8_t *body,
    size_t body_len, const uint8_t *msg, size_t msg_len, struct line *l,
    uint64_t bit)
{
	struct signer_req *q;
	uint8_t *frame;
	int r;

	if ((frame = malloc(body_len + SOTTO_ED25519_SIG)) == NULL)
		return SOTTO_E_ALLOC;
	memcpy(frame, body, body_len);
	if (!signer_agent(c)) {
		r = sotto_ed25519_sign(c->ident->key, msg, msg_len, frame + body_len);
		if (r == 0)
			r = send_signed(c, type, to, frame, body_len, l, bit);
		free(frame);
		return r;
	}
	/* After a failure: one cheap reconnection attempt per frame made
	 * (typed lines wait in the outbox meanwhile, see signer_full). */
	if (c->ident->agent == NULL && agent_reopen(c) != 0) {
		free(frame);
		return SOTTO_E_AGENT;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->msg = malloc(msg_len ? msg_len : 1)) == NULL) {
		free(q);
		free(frame);
		return SOTTO_E_ALLOC;
	}
	memcpy(q->msg, msg, msg_len);
	q->msg_len = msg_len;
	q->frame = frame;
	q->body_len = body_len;
	q->type = type;
	q->to = to;
	q->gen = c->conn_gen;
	q->line = l;
	q->bit = bit;
	if ((r = sotto_agent_sign_queue(c->ident->agent, c->pub, msg,
	    msg_len)) != 0) {
		req_free(q);
		return r;
	}
	*c->sig_tail = q;
	c->sig_tail = &q->next;
	c->sig_n++;
	if (l != NULL && bit != 0)
		outbox_taken_held(l, bit);
	else if (l != NULL)
		outbox_taken(&c->ob, l);
	agent_watch(c);
	return 0;
}

int
signer_send(struct client *c, uint8_t type, uint32_t to, const uint8_t *body,
    size_t body_len, const uint8_t *msg, size_t msg_len, struct line *l)
{
	return submit(c, type, to, body, body_len, msg, msg_len, l, 0);
}

int
signer_send_held(struct client *c, uint32_t to, const uint8_t *body,
    size_t body_len, const uint8_t *msg, size_t msg_len, struct line *l,
    uint64_t bit)
{
	if (l == NULL || bit == 0)
		return SOTTO_E_INVAL;
	return submit(c, SOTTO_T_DAT, to, body, body_len, msg, msg_len, l, bit);
}

int
signer_sign_now(struct client *c, const void *msg, size_t msg_len,
    uint8_t sig[static SOTTO_ED25519_SIG], int timeout_ms, char *err,
    size_t err_len)
{
	int r;

	if (!signer_agent(c)) {
		if ((r = sotto_ed25519_sign(c->ident->key, msg, msg_len, sig)) != 0)
			snprintf(err, err_len, "%s", sotto_strerror(r));
		return r;
	}
	if (c->sig_n != 0) {
		snprintf(err, err_len, "ssh-agent: requests are in flight");
		return SOTTO_E_INVAL;
	}
	if (c->ident->agent == NULL && (r = agent_reopen(c)) != 0) {
		snprintf(err, err_len, "ssh-agent cannot be reached");
		return r;
	}
	r = sotto_agent_sign(c->ident->agent, c->pub, msg, msg_len, sig,
	    timeout_ms, err, err_len);
	/* An answer that may still come (a timeout) would be taken for the
	 * next frame's: start the next request on a fresh connection. */
	if (r != 0 && sotto_agent_pending(c->ident->agent) != 0) {
		sotto_agent_free(c->ident->agent);
		c->ident->agent = NULL;
		(void)agent_reopen(c);
	}
	return r;
}

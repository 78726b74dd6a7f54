/* SPDX-License-Identifier: ISC */
/* test_outbox.c: the outbox's held lines (typed during an outage): skipped by the in-order path, crossed off per member once written, freed only when they owe nobody, released to the room or dropped at the bound; with ssh-agent signing (taken / signing), never handed out twice nor freed while a signature is awaited. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "pad.h"

static struct line *
push(struct outbox *ob, const char *text)
{
	CHECK_EQ(outbox_push(ob, SOTTO_CT_TEXT, text, strlen(text)), 0);
	return outbox_last(ob);
}

static void
test_held_skipped_and_crossed_off(void)
{
	struct outbox ob;
	struct line *a, *b, *c;

	outbox_init(&ob);
	a = push(&ob, "a");
	b = push(&ob, "b");
	outbox_hold(&ob, a, 0x3);
	outbox_hold(&ob, b, 0x1);
	c = push(&ob, "c");
	CHECK_EQ(ob.n_held, 2);
	/* the in-order path sees only c */
	CHECK(outbox_next(&ob) == c);
	outbox_encoded(&ob, c, 10);
	CHECK(outbox_next(&ob) == NULL);
	outbox_written(&ob, 10);
	CHECK_EQ(ob.n, 3);                  /* a still owes two members */
	/* a's copy to member 0 is written: crossed off, a stays */
	a->sending = 0x1;
	a->end = 20;
	outbox_written(&ob, 19);
	CHECK_EQ(a->owed, 0x3);
	outbox_written(&ob, 20);
	CHECK_EQ(a->owed, 0x2);
	CHECK(a->delivered);
	CHECK_EQ(ob.n, 3);
	/* a connection lost with a copy in flight: it is owed again */
	a->sending = 0x2;
	a->end = 30;
	outbox_rewind(&ob);
	CHECK_EQ(a->sending, 0);
	outbox_written(&ob, 30);
	CHECK_EQ(a->owed, 0x2);
	/* sent again and written: a owes nobody and leaves; b is at the head */
	a->sending = 0x2;
	a->end = 40;
	outbox_written(&ob, 40);
	CHECK_EQ(ob.n, 2);
	CHECK(ob.head == b);
	CHECK_EQ(ob.n_held, 1);
	/* the bound: b reached nobody else and is dropped for the rest */
	outbox_unhold(&ob, b, false);
	CHECK_EQ(ob.n_held, 0);
	CHECK(ob.head == c);
	c->encoded = true;
	c->end = 10;
	outbox_written(&ob, 40);
	CHECK(outbox_empty(&ob));
	outbox_free(&ob);
}

static void
test_released_to_room(void)
{
	struct outbox ob;
	struct line *d, *e;

	outbox_init(&ob);
	d = push(&ob, "d");
	outbox_hold(&ob, d, 0x4);
	e = push(&ob, "e");
	CHECK(outbox_next(&ob) == e);
	outbox_encoded(&ob, e, 5);
	CHECK(outbox_next(&ob) == NULL);
	/* reached nobody within the bound: goes to the room after all */
	outbox_unhold(&ob, d, true);
	CHECK_EQ(ob.n_held, 0);
	CHECK(outbox_next(&ob) == d);
	outbox_encoded(&ob, d, 9);
	outbox_written(&ob, 9);
	CHECK(outbox_empty(&ob));
	/* the tail is right after removals: a new line is found */
	CHECK(push(&ob, "f") == ob.head);
	CHECK(outbox_next(&ob) == ob.head);
	outbox_free(&ob);
}

static void
test_remove_last_keeps_tail(void)
{
	struct outbox ob;
	struct line *g, *h;

	outbox_init(&ob);
	g = push(&ob, "g");
	h = push(&ob, "h");
	outbox_hold(&ob, h, 0x1);
	outbox_unhold(&ob, h, false);       /* the last line goes */
	CHECK(outbox_last(&ob) == g);
	CHECK(push(&ob, "i") == g->next);
	CHECK_EQ(ob.n, 2);
	outbox_free(&ob);
}

/* ssh-agent signs a held line's copy for member 0: nothing is crossed
 * off until the signed frame is in the output buffer and written, the line
 * is not freed meanwhile, and an agent failure makes the copy owed again. */
static void
test_held_copy_signed_by_agent(void)
{
	struct outbox ob;
	struct line *a;

	outbox_init(&ob);
	a = push(&ob, "a");
	outbox_hold(&ob, a, 0x1);
	outbox_taken_held(a, 0x1);
	CHECK_EQ(a->signing, 0x1);
	outbox_written(&ob, 100);
	CHECK_EQ(a->owed, 0x1);
	CHECK_EQ(ob.n, 1);
	/* the agent failed: owed again, nothing in flight */
	outbox_unsent_again(&ob);
	CHECK_EQ(a->signing, 0);
	CHECK_EQ(a->owed, 0x1);
	/* signed again; the frame reaches the output buffer, ends at 120 */
	outbox_taken_held(a, 0x1);
	outbox_sent_held(a, 0x1, 120);
	CHECK_EQ(a->signing, 0);
	CHECK_EQ(a->sending, 0x1);
	outbox_written(&ob, 119);
	CHECK_EQ(ob.n, 1);
	outbox_written(&ob, 120);
	CHECK(outbox_empty(&ob));
	outbox_free(&ob);
}

/* A line whose room DAT is with ssh-agent (taken) must not be handed out
 * again when a held line before it is released to the room and moves
 * next_unsent back: that would send it twice. */
static void
test_taken_not_handed_out_twice(void)
{
	struct outbox ob;
	struct line *h, *l;

	outbox_init(&ob);
	h = push(&ob, "held");
	outbox_hold(&ob, h, 0x1);
	l = push(&ob, "live");
	CHECK(outbox_next(&ob) == l);
	outbox_taken(&ob, l);               /* its DAT waits for the agent */
	CHECK(outbox_next(&ob) == NULL);
	outbox_unhold(&ob, h, true);        /* the bound: h to the room */
	CHECK(outbox_next(&ob) == h);
	outbox_taken(&ob, h);
	CHECK(outbox_next(&ob) == NULL);    /* not l again */
	/* both signed and written, in the order they were taken */
	outbox_sent(&ob, l, 10);
	outbox_sent(&ob, h, 20);
	outbox_written(&ob, 20);
	CHECK(outbox_empty(&ob));
	/* a connection lost with a line taken: it is unsent again */
	l = push(&ob, "again");
	outbox_taken(&ob, l);
	outbox_rewind(&ob);
	CHECK(!l->taken);
	CHECK(outbox_next(&ob) == l);
	outbox_free(&ob);
}

int
main(void)
{
	test_held_skipped_and_crossed_off();
	test_released_to_room();
	test_remove_last_keeps_tail();
	test_held_copy_signed_by_agent();
	test_taken_not_handed_out_twice();
	return check_summary();
}

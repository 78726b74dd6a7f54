/* SPDX-License-Identifier: ISC */
/* outbox.c: typed lines in order; a line leaves only once its DAT was written to the relay socket.
 *
 * A line is encoded (sealed into a DAT in the output buffer) only while the
 * client holds the group key. It stays in the outbox, marked with the
 * output byte count that ends its frame, until the socket has taken that
 * many bytes; when the connection drops first, outbox_rewind makes every
 * remaining line unsent again, to be sealed anew (new session, new
 * counter) after the next join. Texts are wiped when freed.
 *
 * A held line (typed during a relay outage, see outage.c) is skipped by
 * the in-order path: outage.c seals it once per member it still owes, as
 * DATs addressed to that member; when the socket has taken them, those
 * members are crossed off, and the line leaves once it owes nobody.
 *
 * Every DAT is signed by signer.c, at once with a key file or later by
 * ssh-agent: a line whose DAT waits for the agent is `taken` (in-order
 * path) or has the member's bit in `signing` (held path), and becomes
 * encoded / `sending` only when the signed frame reaches the output
 * buffer. A line is never freed while a signature for it is awaited on
 * the current connection (line_done, and outage.c's bound, wait for
 * `signing` to clear).
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "err.h"

void
outbox_init(struct outbox *ob)
{
	memset(ob, 0, sizeof(*ob));
	ob->tail = &ob->head;
}

int
outbox_push(struct outbox *ob, uint8_t ctype, const char *text, size_t len)
{
	struct line *l;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->text = malloc(len ? len : 1)) == NULL) {
		free(l);
		return SOTTO_E_ALLOC;
	}
	memcpy(l->text, text, len);
	l->len = len;
	l->ctype = ctype;
	*ob->tail = l;
	ob->tail = &l->next;
	if (ob->next_unsent == NULL)
		ob->next_unsent = l;
	ob->n++;
	return 0;
}

struct line *
outbox_next(struct outbox *ob)
{
	/* Past held lines, and past lines already encoded or being signed: a
	 * held line released to the room (outbox_unhold) puts next_unsent
	 * back before lines sent meanwhile. */
	while (ob->next_unsent != NULL && (ob->next_unsent->held ||
	    ob->next_unsent->encoded || ob->next_unsent->taken))
		ob->next_unsent = ob->next_unsent->next;
	return ob->next_unsent;
}

struct line *
outbox_last(struct outbox *ob)
{
	/* tail points at the last line's next field, its first member. */
	return ob->head == NULL ? NULL :
	    container_of(ob->tail, struct line, next);
}

void
outbox_hold(struct outbox *ob, struct line *l, uint64_t owed)
{
	if (!l->held)
		ob->n_held++;
	l->held = true;
	l->owed = owed;
	l->sending = l->signing = 0;
	l->encoded = l->taken = false;
}

static void line_free(struct line *l);

static void
outbox_remove(struct outbox *ob, struct line *l)
{
	struct line **pp;

	for (pp = &ob->head; *pp != NULL && *pp != l; pp = &(*pp)->next)
		;
	if (*pp == NULL)
		return;
	*pp = l->next;
	if (ob->tail == &l->next)
		ob->tail = pp;
	if (ob->next_unsent == l)
		ob->next_unsent = l->next;
	ob->n--;
	line_free(l);
}

/* The line no longer waits for anyone: it leaves (send_to_room false) or
 * goes to the room like any other line, from its place in the order. */
void
outbox_unhold(struct outbox *ob, struct line *l, bool send_to_room)
{
	struct line *p;

	if (!l->held)
		return;
	ob->n_held--;
	l->held = false;
	l->owed = l->sending = l->signing = 0;
	if (!send_to_room) {
		outbox_remove(ob, l);
		return;
	}
	l->encoded = false;
	for (p = ob->head; p != NULL && p != l; p = p->next)
		if (p == ob->next_unsent)
			return;         /* next_unsent is before l: it will get there */
	ob->next_unsent = l;
}

void
outbox_encoded(struct outbox *ob, struct line *l, uint64_t end)
{
	l->encoded = true;
	l->end = end;
	ob->next_unsent = l->next;
}

/* ssh-agent signs l's DAT: the next line may be sealed meanwhile. */
void
outbox_taken(struct outbox *ob, struct line *l)
{
	l->taken = true;
	if (ob->next_unsent == l)
		ob->next_unsent = l->next;
}

/* l's DAT is in the output buffer now, ending at output byte `end`. */
void
outbox_sent(struct outbox *ob, struct line *l, uint64_t end)
{
	l->encoded = true;
	l->taken = false;
	l->end = end;
	if (ob->next_unsent == l)
		ob->next_unsent = l->next;
}

/* ssh-agent signs a held line's DAT for the member `bit`. */
void
outbox_taken_held(struct line *l, uint64_t bit)
{
	l->signing |= bit;
}

/* That DAT is in the output buffer now, ending at output byte `end`. */
void
outbox_sent_held(struct line *l, uint64_t bit, uint64_t end)
{
	l->signing &= ~bit;
	l->sending |= bit;
	l->end = end;
}

/* Signatures lost (ssh-agent failed): lines not in the output buffer are
 * unsent again (in-order lines go out in order, so they are the tail), and
 * held lines owe again the members whose DATs were waiting. */
void
outbox_unsent_again(struct outbox *ob)
{
	struct line *l;

	for (l = ob->head; l != NULL; l = l->next) {
		l->signing = 0;
		l->taken = false;
	}
	l = ob->head;
	while (l != NULL && l->encoded)
		l = l->next;
	ob->next_unsent = l;
}

static void
line_free(struct line *l)
{
	sotto_wipe(l->text, l->len);
	free(l->text);
	free(l);
}

/* Members whose addressed DATs the socket has taken are crossed off. */
static void
settle_held(struct outbox *ob, uint64_t written)
{
	struct line *l;

	for (l = ob->head; l != NULL; l = l->next)
		if (l->held && l->sending != 0 && l->end <= written) {
			l->owed &= ~l->sending;
			l->sending = 0;
			l->delivered = true;
		}
}

static bool
line_done(const struct line *l, uint64_t written)
{
	if (l->held)
		return l->owed == 0 && l->sending == 0 && l->signing == 0;
	return l->encoded && l->end <= written;
}

void
outbox_written(struct outbox *ob, uint64_t written)
{
	struct line *l;

	if (ob->n_held > 0)
		settle_held(ob, written);
	while ((l = ob->head) != NULL && line_done(l, written)) {
		if (l->held)
			ob->n_held--;
		if (ob->next_unsent == l)
			ob->next_unsent = l->next;
		ob->head = l->next;
		if (ob->head == NULL)
			ob->tail = &ob->head;
		ob->n--;
		line_free(l);
	}
}

void
outbox_rewind(struct outbox *ob)
{
	struct line *l;

	for (l = ob->head; l != NULL; l = l->next) {
		l->encoded = l->taken = false;
		l->sending = l->signing = 0;
	}
	ob->next_unsent = ob->head;
}

bool
outbox_empty(const struct outbox *ob)
{
	return ob->head == NULL;
}

void
outbox_free(struct outbox *ob)
{
	struct line *l, *next;

	for (l = ob->head; l != NULL; l = next) {
		next = l->next;
		line_free(l);
	}
	outbox_init(ob);
}

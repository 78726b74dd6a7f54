/* outbox.c: typed lines in order; a line leaves only once its DAT was written to the relay socket.
 *
 * A line is encoded (sealed into a DAT in the output buffer) only while the
 * client holds the group key. It stays in the outbox, marked with the
 * output byte count that ends its frame, until the socket has taken that
 * many bytes; when the connection drops first, outbox_rewind makes every
 * remaining line unsent again, to be sealed anew (new session, new
 * counter) after the next join. Texts are wiped when freed.
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
	return ob->next_unsent;
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
	if (ob->next_unsent == l)
		ob->next_unsent = l->next;
}

/* l's DAT is in the output buffer now, ending at output byte `end`. */
void
outbox_sent(struct outbox *ob, struct line *l, uint64_t end)
{
	l->encoded = true;
	l->end = end;
	if (ob->next_unsent == l)
		ob->next_unsent = l->next;
}

/* Signatures lost (ssh-agent failed): lines not in the output buffer are
 * unsent again. Lines go out in order, so they are the tail. */
void
outbox_unsent_again(struct outbox *ob)
{
	struct line *l = ob->head;

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

void
outbox_written(struct outbox *ob, uint64_t written)
{
	struct line *l;

	while ((l = ob->head) != NULL && l->encoded && l->end <= written) {
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

	for (l = ob->head; l != NULL; l = l->next)
		l->encoded = false;
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

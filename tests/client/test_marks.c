/* SPDX-License-Identifier: ISC */
/* test_marks.c: the watermarks a keyholder hands a newcomer carry the floors it was given itself (client/core/rsess.c), so an old DAT replayed to a third member is stale there too. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "crypto.h"

static const struct sotto_mark *
mark_of(const struct member *m, uint8_t who)
{
	size_t i;

	for (i = 0; i < m->n_marks; i++)
		if (m->marks[i].id_pub[0] == who)
			return &m->marks[i];
	return NULL;
}

int
main(void)
{
	struct client *c = calloc(1, sizeof(*c));
	struct member *m = calloc(1, sizeof(*m));
	uint8_t own[32], pub_a[32], pub_b[32], pub_c[32], sess[32];
	const struct sotto_mark *ma, *mb;
	struct rsess *s;

	CHECK_EQ(sotto_crypto_init(), 0);
	CHECK(c != NULL && m != NULL);
	if (c == NULL || m == NULL)
		return check_summary();
	memset(own, 0x1, sizeof(own));
	c->pub = own;                       /* our identity (an ssh-agent's or a file's) */
	c->tx_next = 1;                     /* we sent nothing ourselves */
	memset(pub_a, 0xa, sizeof(pub_a));
	memset(pub_b, 0xb, sizeof(pub_b));
	memset(pub_c, 0xc, sizeof(pub_c));
	memset(sess, 0x5, sizeof(sess));
	/* A: we never heard from it, but our own keyholder gave us a floor. */
	CHECK((s = rsess_get(c, pub_a, sess, true)) != NULL);
	if (s != NULL)
		s->rp.floor = 7;
	/* B: we accepted up to 4, with a lower floor. */
	CHECK((s = rsess_get(c, pub_b, sess, true)) != NULL);
	if (s != NULL) {
		s->rp.highest = 4;
		s->rp.floor = 2;
	}
	/* C: nothing known: nothing to pass on. */
	CHECK(rsess_get(c, pub_c, sess, true) != NULL);
	CHECK_EQ(rsess_marks(c, m), 0);
	CHECK_EQ(m->n_marks, 2);
	ma = mark_of(m, 0xa);
	mb = mark_of(m, 0xb);
	CHECK(ma != NULL && ma->next == 7);
	CHECK(mb != NULL && mb->next == 5);
	CHECK(mark_of(m, 0xc) == NULL);
	free(m->marks);
	free(m);
	rsess_free_all(c);
	free(c);
	return check_summary();
}

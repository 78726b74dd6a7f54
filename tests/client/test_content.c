/* SPDX-License-Identifier: ISC */
/* test_content.c: DAT content types on the receiving side (core/content.c): each known type becomes its event, a broken body is malformed, an unknown type from a newer client is one notice and never a rejection. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "err.h"
#include "pad.h"
#include "trust.h"

struct seen {
	enum client_event_type type[8];
	char detail[8][300];
	char text[8][64];
	bool away[8];
	size_t n;
};

static void on_event(const struct client_event *ev, void *ctx)
{
	struct seen *s = ctx;

	if (s->n == 8)
		return;
	s->type[s->n] = ev->type;
	if (ev->type == CLIENT_EV_NOTICE)
		snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s|%s",
		    ev->notice.reason, ev->notice.text);
	if (ev->type == CLIENT_EV_MESSAGE || ev->type == CLIENT_EV_ACTION ||
	    ev->type == CLIENT_EV_QUIT_MESSAGE)
		snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s",
		    (int)ev->message.text_len, ev->message.text);
	if (ev->type == CLIENT_EV_AWAY) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s",
		    (int)ev->away.reason_len, ev->away.reason);
		s->away[s->n] = ev->away.away;
	}
	s->n++;
}

static int deliver(struct client *c, struct rsess *rs, uint8_t ctype, const char *body,
    size_t len, const char **why)
{
	static uint8_t pub[SOTTO_ED25519_PUB];
	struct sotto_peer peer = { .name = "bob" };
	struct sotto_dat d = { .id_pub = pub, .counter = 7, .ts_ms = 1700000000000ull };

	strcpy(peer.fpr_str, "SHA256:bob");
	return content_deliver(c, &d, &peer, rs, ctype, (const uint8_t *)body, len, why);
}

int main(void)
{
	struct client c;
	struct rsess rs;
	struct member *m;
	struct seen s;
	const char *why;
	char long_reason[300];

	memset(&c, 0, sizeof(c));
	memset(&rs, 0, sizeof(rs));
	memset(&s, 0, sizeof(s));
	c.fn = on_event;
	c.ctx = &s;
	c.room_str[0] = 'r';
	/* The sender's member record, to keep its away reason on. */
	CHECK((m = calloc(1, sizeof(*m))) != NULL);
	m->id = 2;
	m->rsess = &rs;
	HASH_ADD(hh, c.members, id, sizeof(m->id), m);

	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_TEXT, "hello", 5, &why), 0);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_ACTION, "waves", 5, &why), 0);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_AWAY, "lunch", 5, &why), 0);
	CHECK(m->away != NULL && strcmp(m->away, "lunch") == 0);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_AWAY, "", 0, &why), 0);
	CHECK(m->away == NULL);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_QUIT, "bye all", 7, &why), 0);
	/* A newer client's type: accepted, one notice naming sender and number. */
	CHECK_EQ(deliver(&c, &rs, 42, "\x01\x02", 2, &why), 0);
	CHECK_EQ(s.n, 6);
	CHECK_EQ(s.type[0], CLIENT_EV_MESSAGE);
	CHECK_STR(s.text[0], "hello");
	CHECK_EQ(s.type[1], CLIENT_EV_ACTION);
	CHECK_STR(s.text[1], "waves");
	CHECK_EQ(s.type[2], CLIENT_EV_AWAY);
	CHECK(s.away[2] && strcmp(s.text[2], "lunch") == 0);
	CHECK_EQ(s.type[3], CLIENT_EV_AWAY);
	CHECK(!s.away[3]);
	CHECK_EQ(s.type[4], CLIENT_EV_QUIT_MESSAGE);
	CHECK_STR(s.text[4], "bye all");
	CHECK_EQ(s.type[5], CLIENT_EV_NOTICE);
	CHECK(strncmp(s.detail[5], "unknown-content|", 16) == 0);
	CHECK(strstr(s.detail[5], "bob") != NULL && strstr(s.detail[5], "42") != NULL);
	/* The same type again from that session: counted silently (one notice
	 * per sender session and type); accepted, never a rejection. */
	CHECK_EQ(deliver(&c, &rs, 42, "\x03", 1, &why), 0);
	CHECK_EQ(s.n, 6);

	/* A known type whose body breaks its rule: malformed, nothing shown. */
	memset(long_reason, 'x', sizeof(long_reason));
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_AWAY, long_reason, sizeof(long_reason), &why),
	    SOTTO_V_MALFORMED);
	CHECK(why != NULL);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_QUIT, "\xff", 1, &why), SOTTO_V_MALFORMED);
	CHECK_EQ(deliver(&c, &rs, SOTTO_CT_ACTION, "\xc3", 1, &why), SOTTO_V_MALFORMED);
	CHECK_EQ(s.n, 6);
	/* And on the sending side the same rules. */
	CHECK_EQ(content_check(SOTTO_CT_AWAY, (const uint8_t *)long_reason, 256, &why), 0);
	CHECK_EQ(content_check(SOTTO_CT_AWAY, (const uint8_t *)long_reason, 257, &why),
	    SOTTO_V_MALFORMED);
	CHECK_EQ(content_check(99, (const uint8_t *)"", 0, &why), SOTTO_E_UNSUPPORTED);

	/* Another type from it, or type 42 from another session: news. */
	CHECK_EQ(deliver(&c, &rs, 43, "", 0, &why), 0);
	CHECK_EQ(s.n, 7);
	CHECK(strstr(s.detail[6], "43") != NULL);
	{
		struct rsess rs2;

		memset(&rs2, 0, sizeof(rs2));
		CHECK_EQ(deliver(&c, &rs2, 42, "", 0, &why), 0);
		CHECK_EQ(s.n, 8);
		CHECK(strncmp(s.detail[7], "unknown-content|", 16) == 0);
	}

	HASH_DEL(c.members, m);
	free(m->away);
	free(m);
	return check_summary();
}

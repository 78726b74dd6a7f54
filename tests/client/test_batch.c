/* test_batch.c: the batch front-end without a relay: stdin line splitting and classification, JSON form of every event. */
#include <string.h>

#include "check.h"
#include "batch.h"
#include "buf.h"

struct seen {
	enum batch_kind kind[16];
	char            text[16][64];
	size_t          len[16];
	size_t          n;
};

static void
record(void *ctx, enum batch_kind kind, const uint8_t *line, size_t len)
{
	struct seen *s = ctx;

	if (s->n >= 16)
		return;
	s->kind[s->n] = kind;
	s->len[s->n] = len;
	if (line != NULL && len < sizeof(s->text[0]))
		memcpy(s->text[s->n], line, len);
	s->n++;
}

static void
test_split(void)
{
	struct batch_in in;
	struct seen s;
	const char *a = "hello\r\n/who\n\n/quit\n/reload\n/nope x\nhal";
	size_t i;

	memset(&s, 0, sizeof(s));
	batch_in_init(&in);
	/* Byte by byte: chunking does not matter. */
	for (i = 0; i < strlen(a); i++)
		batch_in_feed(&in, (const uint8_t *)a + i, 1, record, &s);
	CHECK_EQ(s.n, 6);
	batch_in_feed(&in, (const uint8_t *)"f", 1, record, &s);
	batch_in_eof(&in, record, &s);
	CHECK_EQ(s.n, 7);
	CHECK_EQ(s.kind[0], BATCH_MESSAGE);
	CHECK_EQ(s.len[0], 5);                      /* \r dropped */
	CHECK_MEM(s.text[0], "hello", 5);
	CHECK_EQ(s.kind[1], BATCH_WHO);
	CHECK_EQ(s.kind[2], BATCH_EMPTY);
	CHECK_EQ(s.kind[3], BATCH_QUIT);
	CHECK_EQ(s.kind[4], BATCH_RELOAD);
	CHECK_EQ(s.kind[5], BATCH_UNKNOWN);
	CHECK_MEM(s.text[5], "/nope x", 7);
	CHECK_EQ(s.kind[6], BATCH_MESSAGE);         /* last line without \n */
	CHECK_MEM(s.text[6], "half", 4);
	batch_in_eof(&in, record, &s);
	CHECK_EQ(s.n, 7);                           /* nothing left over */
}

static void
test_limits(void)
{
	static uint8_t big[SOTTO_TEXT_MAX + 2];
	struct batch_in in;
	struct seen s;

	memset(&s, 0, sizeof(s));
	batch_in_init(&in);
	/* Exactly the limit is a message; one more byte is too long, once,
	 * and the next line is unaffected. */
	memset(big, 'a', sizeof(big));
	batch_in_feed(&in, big, SOTTO_TEXT_MAX, record, &s);
	batch_in_feed(&in, (const uint8_t *)"\n", 1, record, &s);
	batch_in_feed(&in, big, SOTTO_TEXT_MAX + 1, record, &s);
	batch_in_feed(&in, big, SOTTO_TEXT_MAX + 1, record, &s);
	batch_in_feed(&in, (const uint8_t *)"\nok\n", 4, record, &s);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.kind[0], BATCH_MESSAGE);
	CHECK_EQ(s.len[0], SOTTO_TEXT_MAX);
	CHECK_EQ(s.kind[1], BATCH_TOO_LONG);
	CHECK_EQ(s.kind[2], BATCH_MESSAGE);
	CHECK_MEM(s.text[2], "ok", 2);
	/* limit + '\r' is still the limit */
	big[SOTTO_TEXT_MAX] = '\r';
	batch_in_feed(&in, big, SOTTO_TEXT_MAX + 1, record, &s);
	batch_in_feed(&in, (const uint8_t *)"\n", 1, record, &s);
	CHECK_EQ(s.kind[3], BATCH_MESSAGE);
	CHECK_EQ(s.len[3], SOTTO_TEXT_MAX);
	/* an over-long line cut by end of input */
	batch_in_feed(&in, big, SOTTO_TEXT_MAX + 2, record, &s);
	batch_in_eof(&in, record, &s);
	CHECK_EQ(s.kind[4], BATCH_TOO_LONG);
	CHECK_EQ(s.n, 5);

	CHECK_EQ(batch_classify((const uint8_t *)"\xc3\x28", 2), BATCH_BAD_UTF8);
	CHECK_EQ(batch_classify((const uint8_t *)"caf\xc3\xa9", 5), BATCH_MESSAGE);
	CHECK_EQ(batch_classify((const uint8_t *)"/who ", 5), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/", 1), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"", 0), BATCH_EMPTY);
#define KIND(s) batch_classify((const uint8_t *)(s), strlen(s))
	CHECK_EQ(KIND("/me waves"), BATCH_ME);
	CHECK_EQ(KIND("/me"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/me "), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/meet"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/away"), BATCH_AWAY);
	CHECK_EQ(KIND("/away lunch"), BATCH_AWAY);
	CHECK_EQ(KIND("/quit bye all"), BATCH_QUIT);
	CHECK_EQ(KIND("/quitx"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/strict"), BATCH_STRICT);
	CHECK_EQ(KIND("/strict on"), BATCH_STRICT);
	CHECK_EQ(KIND("/strict off"), BATCH_STRICT);
	CHECK_EQ(KIND("/strict maybe"), BATCH_UNKNOWN);
	{
		const uint8_t *arg;
		const char *l = "/away gone to lunch";

		CHECK_EQ(batch_arg((const uint8_t *)l, strlen(l), &arg), 13);
		CHECK(arg != NULL && memcmp(arg, "gone to lunch", 13) == 0);
		CHECK_EQ(batch_arg((const uint8_t *)"/away", 5, &arg), 0);
	}
}

static void
expect_json(const struct client_event *ev, const char *want)
{
	struct sotto_wbuf o;

	sotto_wbuf_init(&o, 0);
	CHECK_EQ(batch_event_json(&o, ev), 0);
	CHECK_EQ(o.len, strlen(want));
	if (o.len == strlen(want))
		CHECK_MEM(o.p, want, o.len);
	else
		fprintf(stderr, "got: %.*s", (int)o.len, o.p);
	sotto_wbuf_free(&o);
}

static void
test_json(void)
{
	struct client_member m[2] = {
		{ "alice", "SHA256:a", true, 1, NULL },
		{ "b\"o\\b", "SHA256:b", false, 2, "lunch" },
	};
	struct client_event ev;
	struct sotto_wbuf o;

	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_CONNECTED;
	ev.relay = "127.0.0.1:7700";
	ev.room = "lobby";
	expect_json(&ev, "{\"event\":\"connected\",\"relay\":\"127.0.0.1:7700\",\"room\":\"lobby\"}\n");
	ev.type = CLIENT_EV_READY;
	ev.epoch = 4000000000u;
	ev.first = true;
	ev.members = m;
	ev.n_members = 2;
	expect_json(&ev, "{\"event\":\"ready\",\"room\":\"lobby\",\"epoch\":4000000000,"
	    "\"first\":true,\"members\":[{\"name\":\"alice\",\"fingerprint\":\"SHA256:a\","
	    "\"sessions\":1},{\"name\":\"b\\\"o\\\\b\",\"fingerprint\":\"SHA256:b\","
	    "\"sessions\":2,\"away\":\"lunch\"}]}\n");
	ev.type = CLIENT_EV_MEMBERS;
	ev.n_members = 1;
	expect_json(&ev, "{\"event\":\"members\",\"members\":[{\"name\":\"alice\","
	    "\"fingerprint\":\"SHA256:a\",\"sessions\":1}],\"untrusted\":[]}\n");
	{
		const char *from[] = { "alice", "b\"b" };
		struct client_reader r = { "SHA256:u", 2, from, 2 };

		ev.readers = &r;
		ev.n_readers = 1;
		expect_json(&ev, "{\"event\":\"members\",\"members\":[{\"name\":"
		    "\"alice\",\"fingerprint\":\"SHA256:a\",\"sessions\":1}],"
		    "\"untrusted\":[{\"fingerprint\":\"SHA256:u\",\"sessions\":2,"
		    "\"key_from\":[\"alice\",\"b\\\"b\"]}]}\n");
		ev.readers = NULL;
		ev.n_readers = 0;
	}
	ev.type = CLIENT_EV_JOINED;
	ev.name = "bob";
	ev.fpr = "SHA256:b";
	expect_json(&ev, "{\"event\":\"joined\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\"}\n");
	ev.type = CLIENT_EV_LEFT;
	expect_json(&ev, "{\"event\":\"left\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\"}\n");
	ev.type = CLIENT_EV_MESSAGE;
	ev.text = "hi\n\x1b[31m\0x";    /* controls and a NUL are escaped */
	ev.text_len = 10;
	ev.ts = 1700000000;
	expect_json(&ev, "{\"event\":\"message\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\","
	    "\"text\":\"hi\\n\\u001b[31m\\u0000x\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_ACTION;
	ev.text = "waves";
	ev.text_len = 5;
	expect_json(&ev, "{\"event\":\"action\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"waves\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_QUIT_MESSAGE;
	expect_json(&ev, "{\"event\":\"quit-message\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"waves\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_AWAY;
	ev.away = true;
	expect_json(&ev, "{\"event\":\"away\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"away\":true,\"reason\":\"waves\",\"ts\":1700000000}\n");
	ev.away = false;
	ev.text = NULL;
	ev.text_len = 0;
	expect_json(&ev, "{\"event\":\"away\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"away\":false,\"reason\":\"\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_KEY_HANDED;
	ev.to = "SHA256:u";
	expect_json(&ev, "{\"event\":\"key-handed\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"to\":\"SHA256:u\"}\n");
	ev.type = CLIENT_EV_WAITING_KEY;
	expect_json(&ev, "{\"event\":\"waiting-key\",\"asked\":\"bob\","
	    "\"asked_fingerprint\":\"SHA256:u\",\"fingerprint\":\"SHA256:b\"}\n");
	ev.to = NULL;
	expect_json(&ev, "{\"event\":\"waiting-key\",\"asked\":\"bob\","
	    "\"asked_fingerprint\":null,\"fingerprint\":\"SHA256:b\"}\n");
	ev.type = CLIENT_EV_UNTRUSTED_JOINED;
	ev.fpr = "SHA256:u";
	ev.sessions = 1;
	expect_json(&ev, "{\"event\":\"untrusted-joined\",\"fingerprint\":\"SHA256:u\","
	    "\"sessions\":1}\n");
	ev.type = CLIENT_EV_UNTRUSTED_LEFT;
	expect_json(&ev, "{\"event\":\"untrusted-left\",\"fingerprint\":\"SHA256:u\"}\n");
	ev.type = CLIENT_EV_REJECTED;
	ev.reason = "untrusted-key";
	ev.detail = "DAT from SHA256:u (not in keys/trusted)";
	expect_json(&ev, "{\"event\":\"rejected\",\"reason\":\"untrusted-key\","
	    "\"fingerprint\":\"SHA256:u\",\"detail\":\"DAT from SHA256:u (not in keys/trusted)\"}\n");
	ev.type = CLIENT_EV_NOTICE;
	ev.reason = "unknown-content";
	ev.detail = "DAT 3 from bob: content type 42";
	expect_json(&ev, "{\"event\":\"notice\",\"reason\":\"unknown-content\","
	    "\"detail\":\"DAT 3 from bob: content type 42\"}\n");
	ev.fpr = "SHA256:b";
	ev.type = CLIENT_EV_REJECTED;
	ev.reason = "stale";
	ev.detail = "DAT 1 from bob";
	ev.fpr = NULL;
	expect_json(&ev, "{\"event\":\"rejected\",\"reason\":\"stale\",\"detail\":\"DAT 1 from bob\"}\n");
	ev.type = CLIENT_EV_ERROR;
	ev.reason = "startup";
	ev.detail = "keys/x: no such file";
	expect_json(&ev, "{\"event\":\"error\",\"reason\":\"startup\",\"detail\":\"keys/x: no such file\"}\n");
	ev.type = CLIENT_EV_DISCONNECTED;
	ev.reason = "relay closed the connection";
	expect_json(&ev, "{\"event\":\"disconnected\",\"reason\":\"relay closed the connection\"}\n");
	ev.type = CLIENT_EV_STATUS;
	ev.state = "reload-failed";
	ev.detail = "bad.pub: not a key";
	expect_json(&ev, "{\"event\":\"notice\",\"reason\":\"reload-failed\",\"detail\":\"bad.pub: not a key\"}\n");
	/* Other status changes are not batch events. */
	sotto_wbuf_init(&o, 0);
	ev.state = "joining";
	CHECK(batch_event_json(&o, &ev) != 0);
	CHECK_EQ(o.len, 0);
	CHECK_EQ(batch_notice_json(&o, "unknown-command", "/x", 2), 0);
	CHECK_EQ(o.len, strlen("{\"event\":\"notice\",\"reason\":\"unknown-command\",\"detail\":\"/x\"}\n"));
	sotto_wbuf_free(&o);
}

int
main(void)
{
	test_split();
	test_limits();
	test_json();
	return check_summary();
}

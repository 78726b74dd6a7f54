/* SPDX-License-Identifier: ISC */
/* test_batch.c: the batch front-end without a relay: stdin line splitting and classification, JSON form of every event. */
#include <string.h>

#include "check.h"
#include "batch.h"
#include "buf.h"
#include "cmd.h"

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

/* The command id a line names, or -1. */
static int
cmd_of(const char *line, size_t len)
{
	const struct fe_cmd *c;
	const char *rest;
	size_t rest_len;

	c = fe_cmd_parse(line, len, &rest, &rest_len);
	return c != NULL ? (int)c->id : -1;
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
	CHECK_EQ(s.kind[1], BATCH_COMMAND);
	CHECK_EQ(cmd_of(s.text[1], s.len[1]), FE_CMD_WHO);
	CHECK_EQ(s.kind[2], BATCH_EMPTY);
	CHECK_EQ(s.kind[3], BATCH_COMMAND);
	CHECK_EQ(cmd_of(s.text[3], s.len[3]), FE_CMD_QUIT);
	CHECK_EQ(s.kind[4], BATCH_COMMAND);
	CHECK_EQ(cmd_of(s.text[4], s.len[4]), FE_CMD_RELOAD);
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
	CHECK_EQ(batch_classify((const uint8_t *)"/who x", 6), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/whom", 5), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/wh", 3), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"", 0), BATCH_EMPTY);
#define KIND(s) batch_classify((const uint8_t *)(s), strlen(s))
	/* Commands with words: /me needs them, /away /quit /strict may have
	 * them, the rest take none; the windows are the UI's only. */
	CHECK_EQ(KIND("/me waves"), BATCH_COMMAND);
	CHECK_EQ(KIND("/me"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/me "), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/meet"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/away"), BATCH_COMMAND);
	CHECK_EQ(KIND("/away lunch"), BATCH_COMMAND);
	CHECK_EQ(KIND("/quit bye all"), BATCH_COMMAND);
	CHECK_EQ(KIND("/quitx"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/strict"), BATCH_COMMAND);
	CHECK_EQ(KIND("/strict off"), BATCH_COMMAND);
	CHECK_EQ(KIND("/who all"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/join other"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/window 2"), BATCH_UNKNOWN);
	CHECK_EQ(KIND("/clear"), BATCH_UNKNOWN);
	{
		const char *arg;
		size_t alen;

		arg = fe_cmd_arg(" gone to lunch", 14, &alen);
		CHECK(alen == 13 && memcmp(arg, "gone to lunch", 13) == 0);
		arg = fe_cmd_arg(NULL, 0, &alen);
		CHECK(alen == 0 && arg != NULL);
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
	ev.connected.relay = "127.0.0.1:7700";
	ev.connected.room = "lobby";
	expect_json(&ev, "{\"event\":\"connected\",\"relay\":\"127.0.0.1:7700\",\"room\":\"lobby\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_READY;
	ev.ready.room = "lobby";
	ev.ready.epoch = 4000000000u;
	ev.ready.first = true;
	ev.ready.members = m;
	ev.ready.n_members = 2;
	expect_json(&ev, "{\"event\":\"ready\",\"room\":\"lobby\",\"epoch\":4000000000,"
	    "\"first\":true,\"members\":[{\"name\":\"alice\",\"fingerprint\":\"SHA256:a\","
	    "\"sessions\":1},{\"name\":\"b\\\"o\\\\b\",\"fingerprint\":\"SHA256:b\","
	    "\"sessions\":2,\"away\":\"lunch\"}]}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_MEMBERS;
	ev.members.members = m;
	ev.members.n_members = 1;
	expect_json(&ev, "{\"event\":\"members\",\"members\":[{\"name\":\"alice\","
	    "\"fingerprint\":\"SHA256:a\",\"sessions\":1}],\"untrusted\":[]}\n");
	{
		struct client_reader r = { "SHA256:u", 2 };

		ev.members.readers = &r;
		ev.members.n_readers = 1;
		expect_json(&ev, "{\"event\":\"members\",\"members\":[{\"name\":"
		    "\"alice\",\"fingerprint\":\"SHA256:a\",\"sessions\":1}],"
		    "\"untrusted\":[{\"fingerprint\":\"SHA256:u\",\"sessions\":2}]}\n");
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_JOINED;
	ev.joined.name = "bob";
	ev.joined.fpr = "SHA256:b";
	expect_json(&ev, "{\"event\":\"joined\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_LEFT;
	ev.left.name = "bob";
	ev.left.fpr = "SHA256:b";
	expect_json(&ev, "{\"event\":\"left\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_MESSAGE;
	ev.message.name = "bob";
	ev.message.fpr = "SHA256:b";
	ev.message.text = "hi\n\x1b[31m\0x";    /* controls and a NUL are escaped */
	ev.message.text_len = 10;
	ev.message.ts = 1700000000;
	expect_json(&ev, "{\"event\":\"message\",\"name\":\"bob\",\"fingerprint\":\"SHA256:b\","
	    "\"text\":\"hi\\n\\u001b[31m\\u0000x\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_ACTION;
	ev.message.text = "waves";
	ev.message.text_len = 5;
	expect_json(&ev, "{\"event\":\"action\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"waves\",\"ts\":1700000000}\n");
	ev.type = CLIENT_EV_QUIT_MESSAGE;
	expect_json(&ev, "{\"event\":\"quit-message\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"waves\",\"ts\":1700000000}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_AWAY;
	ev.away.name = "bob";
	ev.away.fpr = "SHA256:b";
	ev.away.away = true;
	ev.away.reason = "waves";
	ev.away.reason_len = 5;
	ev.away.ts = 1700000000;
	expect_json(&ev, "{\"event\":\"away\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"away\":true,\"reason\":\"waves\",\"ts\":1700000000}\n");
	ev.away.away = false;
	ev.away.reason = NULL;
	ev.away.reason_len = 0;
	expect_json(&ev, "{\"event\":\"away\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"away\":false,\"reason\":\"\",\"ts\":1700000000}\n");
	memset(&ev, 0, sizeof(ev));
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_WAITING_KEY;
	ev.waiting_key.asked = "bob";
	ev.waiting_key.asked_fpr = "SHA256:u";
	ev.waiting_key.fpr = "SHA256:b";
	expect_json(&ev, "{\"event\":\"waiting-key\",\"asked\":\"bob\","
	    "\"asked_fingerprint\":\"SHA256:u\",\"fingerprint\":\"SHA256:b\"}\n");
	ev.waiting_key.asked_fpr = NULL;
	expect_json(&ev, "{\"event\":\"waiting-key\",\"asked\":\"bob\","
	    "\"asked_fingerprint\":null,\"fingerprint\":\"SHA256:b\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_UNTRUSTED_JOINED;
	ev.untrusted.fpr = "SHA256:u";
	ev.untrusted.sessions = 1;
	expect_json(&ev, "{\"event\":\"untrusted-joined\",\"fingerprint\":\"SHA256:u\","
	    "\"sessions\":1}\n");
	ev.type = CLIENT_EV_UNTRUSTED_LEFT;
	expect_json(&ev, "{\"event\":\"untrusted-left\",\"fingerprint\":\"SHA256:u\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_REJECTED;
	ev.rejected.reason = "untrusted-key";
	ev.rejected.fpr = "SHA256:u";
	ev.rejected.detail = "DAT from SHA256:u (not in keys/trusted)";
	expect_json(&ev, "{\"event\":\"rejected\",\"reason\":\"untrusted-key\","
	    "\"fingerprint\":\"SHA256:u\",\"detail\":\"DAT from SHA256:u (not in keys/trusted)\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_NOTICE;
	ev.notice.reason = "unknown-content";
	ev.notice.text = "DAT 3 from bob: content type 42";
	expect_json(&ev, "{\"event\":\"notice\",\"reason\":\"unknown-content\","
	    "\"detail\":\"DAT 3 from bob: content type 42\","
	    "\"text\":\"DAT 3 from bob: content type 42\"}\n");
	ev.notice.reason = NULL;
	expect_json(&ev, "{\"event\":\"notice\",\"text\":\"DAT 3 from bob: content type 42\"}\n");
	/* A direct message: the room message's fields unchanged, then
	 * private and to; a room message has neither. */
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_MESSAGE;
	ev.message.name = "bob";
	ev.message.fpr = "SHA256:b";
	ev.message.text = "psst";
	ev.message.text_len = 4;
	ev.message.ts = 7;
	expect_json(&ev, "{\"event\":\"message\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"psst\",\"ts\":7}\n");
	ev.message.dm = true;
	ev.message.to = "alice";
	expect_json(&ev, "{\"event\":\"message\",\"name\":\"bob\",\"fingerprint\":"
	    "\"SHA256:b\",\"text\":\"psst\",\"ts\":7,\"private\":true,\"to\":\"alice\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_REJECTED;
	ev.rejected.reason = "stale";
	ev.rejected.detail = "DAT 1 from bob";
	expect_json(&ev, "{\"event\":\"rejected\",\"reason\":\"stale\",\"detail\":\"DAT 1 from bob\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_ERROR;
	ev.error.reason = "startup";
	ev.error.detail = "keys/x: no such file";
	expect_json(&ev, "{\"event\":\"error\",\"reason\":\"startup\",\"detail\":\"keys/x: no such file\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_DISCONNECTED;
	ev.disconnected.reason = "relay closed the connection";
	expect_json(&ev, "{\"event\":\"disconnected\",\"reason\":\"relay closed the connection\"}\n");
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_STATUS;
	ev.status.state = "reload-failed";
	ev.status.reason = "reload-failed";
	ev.status.detail = "bad.pub: not a key";
	expect_json(&ev, "{\"event\":\"notice\",\"reason\":\"reload-failed\",\"detail\":\"bad.pub: not a key\"}\n");
	/* Other status changes are not batch events. */
	sotto_wbuf_init(&o, 0);
	ev.status.state = "joining";
	ev.status.reason = ev.status.detail = NULL;
	CHECK(batch_event_json(&o, &ev) != 0);
	CHECK_EQ(o.len, 0);
	CHECK_EQ(batch_notice_json(&o, "unknown-command", "/x", 2), 0);
	CHECK_EQ(o.len, strlen("{\"event\":\"notice\",\"reason\":\"unknown-command\",\"detail\":\"/x\"}\n"));
	sotto_wbuf_free(&o);
}

static bool
has(const struct sotto_wbuf *o, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= o->len; i++)
		if (memcmp(o->p + i, s, n) == 0)
			return true;
	return false;
}

/* One table for both front-ends: every name in any ASCII case, nothing
 * else; what follows the name is handed back (batch refuses it). */
static void
test_commands(void)
{
	struct sotto_wbuf o;
	const char *rest;
	size_t rest_len;

	CHECK_EQ(cmd_of("/who", 4), FE_CMD_WHO);
	CHECK_EQ(cmd_of("/WHO", 4), FE_CMD_WHO);
	CHECK_EQ(cmd_of("/Fingerprint", 12), FE_CMD_FINGERPRINT);
	CHECK_EQ(cmd_of("/HeLp", 5), FE_CMD_HELP);
	CHECK_EQ(cmd_of("/ReLoAd", 7), FE_CMD_RELOAD);
	CHECK_EQ(cmd_of("/QUIT", 5), FE_CMD_QUIT);
	CHECK_EQ(cmd_of("/qui", 4), -1);
	CHECK_EQ(cmd_of("who", 3), -1);
	CHECK_EQ(cmd_of("/w\xc3\xb6", 4), -1);
	CHECK(fe_cmd_parse("/who", 4, &rest, &rest_len) != NULL);
	CHECK(rest == NULL && rest_len == 0);
	CHECK(fe_cmd_parse("/who all", 8, &rest, &rest_len) != NULL);
	CHECK_EQ(rest_len, 4);
	CHECK_MEM(rest, " all", 4);
	/* Batch: the whole line is the command, in any case. */
	CHECK_EQ(batch_classify((const uint8_t *)"/Who", 4), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/FINGERPRINT", 12), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/help", 5), BATCH_COMMAND);

	sotto_wbuf_init(&o, 0);
	CHECK_EQ(batch_fingerprint_json(&o, "SHA256:a\"b"), 0);
	CHECK_EQ(o.len, strlen("{\"event\":\"fingerprint\",\"fingerprint\":\"SHA256:a\\\"b\"}\n"));
	CHECK_MEM(o.p, "{\"event\":\"fingerprint\",\"fingerprint\":\"SHA256:a\\\"b\"}\n", o.len);
	sotto_wbuf_reset(&o);
	CHECK_EQ(batch_help_json(&o), 0);
	CHECK(o.len > 0 && o.p[o.len - 1] == '\n');
	CHECK(has(&o, "{\"event\":\"help\",\"commands\":[{\"command\":\"/who\",\"help\":"));
	for (size_t i = 0; i < fe_cmds_n; i++) {
		char want[64];

		snprintf(want, sizeof(want), "{\"command\":\"/%s\",", fe_cmds[i].name);
		CHECK(has(&o, want) == !fe_cmds[i].ui_only);
	}
	sotto_wbuf_free(&o);
}

/* The file commands are batch's own: they need words, any ASCII case. */
static void
test_file_commands(void)
{
	struct client_event ev = { .type = CLIENT_EV_FILE_OFFER };
	const char *rest;
	struct sotto_wbuf o;
	size_t rest_len;

	CHECK_EQ(batch_classify((const uint8_t *)"/send a.txt", 11), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/SEND bob a b", 13), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/accept 3", 9), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/cancel 3", 9), BATCH_COMMAND);
	CHECK_EQ(batch_classify((const uint8_t *)"/send", 5), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/send ", 6), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/sendx y", 8), BATCH_UNKNOWN);
	CHECK_EQ(batch_classify((const uint8_t *)"/send \xff", 7), BATCH_UNKNOWN);
	CHECK_EQ(batch_file_cmd((const uint8_t *)"/Accept 12", 10, &rest, &rest_len),
	    BATCH_FILE_ACCEPT);
	CHECK(rest_len == 3 && memcmp(rest, " 12", 3) == 0);
	CHECK_EQ(batch_file_cmd((const uint8_t *)"/who", 4, &rest, &rest_len),
	    BATCH_FILE_NONE);
	CHECK(rest == NULL && rest_len == 0);

	ev.file.n = 3;
	ev.file.name = "alice";
	ev.file.fpr = "SHA256:x";
	ev.file.file_name = "a\"b.png";
	ev.file.size = 2411724;
	ev.file.sha256 = "00ff";
	ev.file.media = 1;
	ev.file.auto_accepted = true;
	sotto_wbuf_init(&o, 0);
	CHECK_EQ(batch_event_json(&o, &ev), 0);
	CHECK(has(&o, "{\"event\":\"file-offer\",\"n\":3,\"name\":\"alice\","));
	CHECK(has(&o, "\"file\":\"a\\\"b.png\",\"size\":2411724,"));
	CHECK(has(&o, "\"media\":\"image/png\",\"private\":false,\"outgoing\":false,"
	    "\"auto\":true,\"waiting\":false}\n"));
	sotto_wbuf_reset(&o);
	ev.type = CLIENT_EV_FILE_PROGRESS;
	ev.file.done = 100;
	ev.file.rate = 2048.4;
	ev.file.eta = -1;
	CHECK_EQ(batch_event_json(&o, &ev), 0);
	CHECK(has(&o, "\"done\":100,\"size\":2411724,\"rate\":2048,\"eta\":-1.0}"));
	sotto_wbuf_reset(&o);
	ev.type = CLIENT_EV_FILE_FAILED;
	ev.file.reason = "too-large";
	ev.file.detail = NULL;
	CHECK_EQ(batch_event_json(&o, &ev), 0);
	CHECK(has(&o, "\"reason\":\"too-large\",\"detail\":\"\"}"));
	sotto_wbuf_reset(&o);
	CHECK_EQ(batch_help_json(&o), 0);
	CHECK(has(&o, "{\"command\":\"/send\","));
	CHECK(has(&o, "{\"command\":\"/cancel\","));
	sotto_wbuf_free(&o);
}

int
main(void)
{
	test_split();
	test_limits();
	test_json();
	test_commands();
	test_file_commands();
	return check_summary();
}

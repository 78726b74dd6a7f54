/* SPDX-License-Identifier: ISC */
/* fuzz_content.c: the plaintext of a DAT that opened, by content type (client/core/content.c): the verdict equals a model of docs/protocol.md "Content types", a good body becomes exactly one event carrying exactly its bytes, a bad one none, an unknown type one notice.
 *
 * Input: byte 0 is the content type, the rest the body. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "err.h"
#include "pad.h"
#include "trust.h"
#include "wire-files.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent strict UTF-8 check (no overlongs, surrogates, > U+10FFFF). */
static int
ref_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0, len, k;
	uint8_t b, lo, hi;

	while (i < n) {
		b = p[i];
		lo = 0x80;
		hi = 0xbf;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2;
		else if (b >= 0xe0 && b <= 0xef)
			len = 3;
		else if (b >= 0xf0 && b <= 0xf4)
			len = 4;
		else
			return 0;
		if (b == 0xe0) lo = 0xa0;
		if (b == 0xed) hi = 0x9f;
		if (b == 0xf0) lo = 0x90;
		if (b == 0xf4) hi = 0x8f;
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/* The documented rule: 0 shown, 1 malformed, 2 unknown (a notice). */
static int
ref_verdict(uint8_t ctype, const uint8_t *p, size_t n)
{
	size_t max;

	switch (ctype) {
	case SOTTO_CT_TEXT: case SOTTO_CT_ACTION: max = SOTTO_TEXT_MAX; break;
	case SOTTO_CT_AWAY: case SOTTO_CT_QUIT: max = SOTTO_AWAY_MAX; break;
	default: return 2;
	}
	return n <= max && ref_utf8_valid(p, n) ? 0 : 1;
}

struct seen {
	size_t                 n;
	enum client_event_type type;
	const uint8_t         *body;
	size_t                 len;
	int                    same;   /* the event carried exactly the body */
};

static void
on_event(const struct client_event *ev, void *ctx)
{
	struct seen *s = ctx;
	const char *t = NULL;
	size_t n = 0;

	s->n++;
	s->type = ev->type;
	switch (ev->type) {
	case CLIENT_EV_MESSAGE: case CLIENT_EV_ACTION: case CLIENT_EV_QUIT_MESSAGE:
		t = ev->message.text;
		n = ev->message.text_len;
		break;
	case CLIENT_EV_AWAY:
		t = ev->away.reason;
		n = ev->away.reason_len;
		REQUIRE(ev->away.away == (s->len > 0));
		break;
	case CLIENT_EV_NOTICE:
		REQUIRE(ev->notice.reason != NULL &&
		    strcmp(ev->notice.reason, "unknown-content") == 0);
		s->same = 1;
		return;
	default:
		abort();
	}
	s->same = n == s->len && (n == 0 || memcmp(t, s->body, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pub[SOTTO_ED25519_PUB];
	static const enum client_event_type want_type[] = {
		[SOTTO_CT_TEXT] = CLIENT_EV_MESSAGE,
		[SOTTO_CT_ACTION] = CLIENT_EV_ACTION,
		[SOTTO_CT_AWAY] = CLIENT_EV_AWAY,
		[SOTTO_CT_QUIT] = CLIENT_EV_QUIT_MESSAGE,
	};
	struct sotto_peer peer = { .name = "bob" };
	struct sotto_dat d = { .id_pub = pub, .counter = 1, .ts_ms = 1 };
	struct client c;
	struct rsess rs;
	struct seen s;
	const char *why;
	uint8_t ctype;
	int r, want;

	if (size == 0)
		return 0;
	ctype = data[0];
	if (ctype == 0)
		return 0;       /* sotto_unpad refuses it before content.c */
	/* Direct-message types go to dm.c, which needs a session (keys, our
	 * RSA key): their bodies are fuzz_dmbody's, the path client.dm.*'s.
	 * File types go to xfer.c: fuzz_filebody's, client.files.*'s. */
	if (ctype == SOTTO_CT_DMKEY || ctype == SOTTO_CT_DM || ctype == SOTTO_CT_DMNOKEY ||
	    ctype == SOTTO_CT_FOFFER || ctype == SOTTO_CT_FCHUNK || ctype == SOTTO_CT_FCTL)
		return 0;
	memset(&c, 0, sizeof(c));
	memset(&rs, 0, sizeof(rs));
	memset(&s, 0, sizeof(s));
	c.fn = on_event;
	c.ctx = &s;
	s.body = data + 1;
	s.len = size - 1;
	want = ref_verdict(ctype, data + 1, size - 1);
	r = content_deliver(&c, &d, &peer, &rs, ctype, data + 1, size - 1, &why);
	if (want == 1) {
		REQUIRE(r == SOTTO_V_MALFORMED && why != NULL && s.n == 0);
		return 0;
	}
	REQUIRE(r == 0 && s.n == 1 && s.same);
	REQUIRE(want == 2 ? s.type == CLIENT_EV_NOTICE : s.type == want_type[ctype]);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* fuzz_batch.c: the batch front-end's stdin line handler and its JSON output, against independent models.
 *
 * Input: byte 0 seeds the chunking, the rest is what arrives on stdin.
 *   1. The stream is fed to batch_in whole, byte by byte (its first 4 KiB),
 *      and in chunks
 *      sized by the input itself, then ended (batch_in_eof): all three
 *      must give the same lines, and those must equal a model of
 *      docs/batch.md: split at '\n', one trailing '\r' dropped, a line
 *      over SOTTO_TEXT_MAX bytes dropped as too long, `/who` `/quit`
 *      `/reload` `/fingerprint` `/help` commands in any ASCII case, other `/...` unknown, an empty line ignored,
 *      invalid UTF-8 refused, anything else a message.
 *   2. Every line (as many as fit in 8 KiB), valid or not, is also printed
 *      as the text of a received
 *      `message` (peers' text is untrusted) and as an unknown-command
 *      notice: the output must be exactly one line of valid JSON (checked
 *      by a parser written here), and its text must decode to the input
 *      with each invalid UTF-8 byte replaced by U+FFFD (json.h), and
 *      nothing else changed; so must every other event type with the
 *      line in its string fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "client.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)
#define JSON_CHECK_BYTES 8192
#define BYTEWISE_MAX 4096
#define MAX_LINES 100000     /* a 70000-byte input has at most 70001 lines */

struct line {
	enum batch_kind kind;
	uint8_t        *p;          /* NULL for a dropped over-long line */
	size_t          len;
};

struct lines {
	struct line l[MAX_LINES];
	size_t      n;
};

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->l[i].p);
	ls->n = 0;
}

static void
on_line(void *ctx, enum batch_kind kind, const uint8_t *p, size_t len)
{
	struct lines *ls = ctx;
	struct line *l;

	REQUIRE(ls->n < MAX_LINES);
	l = &ls->l[ls->n++];
	l->kind = kind;
	l->len = len;
	l->p = NULL;
	if (p != NULL) {
		REQUIRE((l->p = malloc(len ? len : 1)) != NULL);
		memcpy(l->p, p, len);
	} else {
		REQUIRE(kind == BATCH_TOO_LONG && len == 0);
	}
}

/* --- independent UTF-8 (Unicode Table 3-7) -------------------------------- */

/* Length of the well-formed sequence at p, 0 when ill-formed. */
static size_t
ref_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (b < 0x80) {
		*cp = b;
		return 1;
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
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	*cp = b & (0xff >> (len + 1));
	for (k = 1; k < len; k++) {
		if (k > 1 && (p[k] < 0x80 || p[k] > 0xbf))
			return 0;
		*cp = (*cp << 6) | (p[k] & 0x3f);
	}
	return len;
}

static int
ref_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = ref_seq(p + i, n - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static void
put_utf8(struct sotto_wbuf *b, uint32_t cp)
{
	uint8_t s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (uint8_t)(0xc0 | cp >> 6);
		s[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (uint8_t)(0xe0 | cp >> 12);
		s[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (uint8_t)(0xf0 | cp >> 18);
		s[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	REQUIRE(sotto_wbuf_put(b, s, n) == 0);
}

/* The input as json.h promises to show it: invalid bytes -> U+FFFD each. */
static void
ref_replaced(struct sotto_wbuf *out, const uint8_t *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = ref_seq(p + i, n - i, &cp)) == 0) {
			put_utf8(out, 0xfffd);
			i++;
		} else {
			REQUIRE(sotto_wbuf_put(out, p + i, k) == 0);
			i += k;
		}
	}
}

/* --- a strict JSON reader (RFC 8259), enough for one event object ---------- */

struct js {
	const uint8_t *p;
	size_t         n, i;
};

static void
js_ws(struct js *j)
{
	while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' ||
	    j->p[j->i] == '\r' || j->p[j->i] == '\n'))
		j->i++;
}

static int
js_hex4(struct js *j, uint32_t *v)
{
	size_t k;

	*v = 0;
	if (j->n - j->i < 4)
		return 0;
	for (k = 0; k < 4; k++) {
		uint8_t c = j->p[j->i++];
		*v <<= 4;
		if (c >= '0' && c <= '9') *v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f') *v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') *v |= (uint32_t)(c - 'A' + 10);
		else return 0;
	}
	return 1;
}

/* A string; decoded into out when out != NULL. 1 when well-formed. */
static int
js_string(struct js *j, struct sotto_wbuf *out)
{
	uint32_t cp, lo;
	size_t k;

	if (j->i >= j->n || j->p[j->i++] != '"')
		return 0;
	while (j->i < j->n) {
		uint8_t c = j->p[j->i];
		if (c == '"') {
			j->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;               /* raw control character */
		if (c != '\\') {
			if ((k = ref_seq(j->p + j->i, j->n - j->i, &cp)) == 0)
				return 0;       /* JSON text must be UTF-8 */
			if (out)
				REQUIRE(sotto_wbuf_put(out, j->p + j->i, k) == 0);
			j->i += k;
			continue;
		}
		if (++j->i >= j->n)
			return 0;
		switch (j->p[j->i++]) {
		case '"':  cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/':  cp = '/'; break;
		case 'b':  cp = '\b'; break;
		case 'f':  cp = '\f'; break;
		case 'n':  cp = '\n'; break;
		case 'r':  cp = '\r'; break;
		case 't':  cp = '\t'; break;
		case 'u':
			if (!js_hex4(j, &cp))
				return 0;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return 0;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->n - j->i < 6 || j->p[j->i] != '\\' ||
				    j->p[j->i + 1] != 'u')
					return 0;
				j->i += 2;
				if (!js_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return 0;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			break;
		default:
			return 0;
		}
		if (out)
			put_utf8(out, cp);
	}
	return 0;
}

static int js_value(struct js *j, int depth, const char *want,
    struct sotto_wbuf *out);

static int
js_number(struct js *j)
{
	size_t start = j->i;

	if (j->i < j->n && j->p[j->i] == '-')
		j->i++;
	if (j->i >= j->n || j->p[j->i] < '0' || j->p[j->i] > '9')
		return 0;
	if (j->p[j->i] == '0')
		j->i++;
	else
		while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
			j->i++;
	/* A fraction (file-progress's eta): '.' and at least one digit. */
	if (j->i < j->n && j->p[j->i] == '.') {
		j->i++;
		if (j->i >= j->n || j->p[j->i] < '0' || j->p[j->i] > '9')
			return 0;
		while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
			j->i++;
	}
	return j->i > start;
}

/* An object; the string value of member `want` (top level) into out. */
static int
js_object(struct js *j, int depth, const char *want, struct sotto_wbuf *out)
{
	struct sotto_wbuf key;
	int ok = 0, first = 1, match;

	if (depth > 4 || j->p[j->i++] != '{')
		return 0;
	sotto_wbuf_init(&key, 0);
	for (;;) {
		js_ws(j);
		if (j->i < j->n && j->p[j->i] == '}' && first) {
			j->i++;
			ok = 1;
			break;
		}
		sotto_wbuf_reset(&key);
		if (!js_string(j, &key))
			break;
		js_ws(j);
		if (j->i >= j->n || j->p[j->i++] != ':')
			break;
		js_ws(j);
		match = want != NULL && key.len == strlen(want) &&
		    memcmp(key.p, want, key.len) == 0;
		if (!js_value(j, depth + 1, NULL, match ? out : NULL))
			break;
		js_ws(j);
		first = 0;
		if (j->i < j->n && j->p[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->p[j->i] == '}') {
			j->i++;
			ok = 1;
		}
		break;
	}
	sotto_wbuf_free(&key);
	return ok;
}

static int
js_value(struct js *j, int depth, const char *want, struct sotto_wbuf *out)
{
	if (j->i >= j->n)
		return 0;
	switch (j->p[j->i]) {
	case '"':
		return js_string(j, out);
	case '{':
		return js_object(j, depth, want, out);
	case '[':
		j->i++;
		js_ws(j);
		if (j->i < j->n && j->p[j->i] == ']') {
			j->i++;
			return 1;
		}
		for (;;) {
			js_ws(j);
			if (!js_value(j, depth + 1, NULL, NULL))
				return 0;
			js_ws(j);
			if (j->i < j->n && j->p[j->i] == ',') {
				j->i++;
				continue;
			}
			return j->i < j->n && j->p[j->i++] == ']';
		}
	case 't':
		if (j->n - j->i >= 4 && memcmp(j->p + j->i, "true", 4) == 0) {
			j->i += 4;
			return 1;
		}
		return 0;
	case 'f':
		if (j->n - j->i >= 5 && memcmp(j->p + j->i, "false", 5) == 0) {
			j->i += 5;
			return 1;
		}
		return 0;
	case 'n':
		if (j->n - j->i >= 4 && memcmp(j->p + j->i, "null", 4) == 0) {
			j->i += 4;
			return 1;
		}
		return 0;
	default:
		return js_number(j);
	}
}

/* out is one JSON object and a single '\n'; member `want`'s string is
 * decoded into got. */
static void
check_json_line(const struct sotto_wbuf *out, const char *want,
    struct sotto_wbuf *got)
{
	struct js j = { out->p, out->len, 0 };

	REQUIRE(out->len >= 3 && out->p[out->len - 1] == '\n');
	REQUIRE(memchr(out->p, '\n', out->len - 1) == NULL);
	j.n = out->len - 1;
	REQUIRE(js_object(&j, 0, want, got));
	REQUIRE(j.i == j.n);
}

/* --- the model of the line splitter --------------------------------------- */

/* p[0..n) equals the lower-case ASCII s, ignoring ASCII case. */
static int
ref_caseeq(const uint8_t *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] | (p[i] >= 'A' && p[i] <= 'Z' ? 0x20 : 0)) != (uint8_t)s[i])
			return 0;
	return 1;
}

static enum batch_kind
ref_kind(const uint8_t *p, size_t len)
{
	if (len > SOTTO_TEXT_MAX)
		return BATCH_TOO_LONG;
	if (len == 0)
		return BATCH_EMPTY;
	if (p[0] == '/') {
		/* The commands a bot may send: with no words, with optional
		 * words, with words required (docs/batch.md); words only as
		 * part of a line that is UTF-8. */
		static const char *const none[] = { "/who", "/reload", "/fingerprint", "/help", "/forget" };
		static const char *const optional[] = { "/quit", "/away", "/strict", "/history" };
		static const char *const required[] = { "/me", "/search", "/msg",
		    "/send", "/accept", "/cancel" };
		const uint8_t *sp = memchr(p, ' ', len);
		size_t n = sp != NULL ? (size_t)(sp - p) : len;
		int words = sp != NULL && len > n + 1;

		for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
			if (n == strlen(none[i]) && ref_caseeq(p, none[i], n) && sp == NULL)
				return BATCH_COMMAND;
		for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
			if (n == strlen(optional[i]) && ref_caseeq(p, optional[i], n) &&
			    (sp == NULL || (words && ref_utf8_valid(p, len))))
				return BATCH_COMMAND;
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (n == strlen(required[i]) && ref_caseeq(p, required[i], n) && words &&
			    ref_utf8_valid(p, len))
				return BATCH_COMMAND;
		return BATCH_UNKNOWN;
	}
	return ref_utf8_valid(p, len) ? BATCH_MESSAGE : BATCH_BAD_UTF8;
}

static void
ref_lines(const uint8_t *p, size_t n, struct lines *ls)
{
	size_t start = 0, i, len;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		if (i == n && i == start)
			break;                  /* nothing after the last '\n' */
		len = i - start;
		if (len > SOTTO_TEXT_MAX + 1) {
			on_line(ls, BATCH_TOO_LONG, NULL, 0);
		} else {
			if (len > 0 && p[start + len - 1] == '\r')
				len--;
			on_line(ls, ref_kind(p + start, len), p + start, len);
		}
		start = i + 1;
	}
}

static void
same_lines(const struct lines *a, const struct lines *b)
{
	size_t i;

	REQUIRE(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		REQUIRE(a->l[i].kind == b->l[i].kind);
		REQUIRE(a->l[i].len == b->l[i].len);
		REQUIRE((a->l[i].p == NULL) == (b->l[i].p == NULL));
		if (a->l[i].p != NULL)
			REQUIRE(memcmp(a->l[i].p, b->l[i].p, a->l[i].len) == 0);
	}
}

/* --- JSON of untrusted text ------------------------------------------------- */

static int
same_buf(const struct sotto_wbuf *a, const struct sotto_wbuf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* ev of the given type with every string field set to cs. */
static void
fill_event(struct client_event *ev, enum client_event_type type, const char *cs,
    const struct client_member members[2])
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	switch (type) {
	case CLIENT_EV_CONNECTED:
		ev->connected.relay = ev->connected.room = cs;
		break;
	case CLIENT_EV_READY:
		ev->ready.room = cs;
		ev->ready.epoch = 7;
		ev->ready.members = members;
		ev->ready.n_members = 2;
		break;
	case CLIENT_EV_JOINED:
		ev->joined.name = ev->joined.fpr = cs;
		break;
	case CLIENT_EV_LEFT:
		ev->left.name = ev->left.fpr = cs;
		break;
	case CLIENT_EV_MESSAGE:
		ev->message.name = ev->message.fpr = ev->message.text = cs;
		ev->message.text_len = strlen(cs);
		break;
	case CLIENT_EV_MEMBERS:
		ev->members.members = members;
		ev->members.n_members = 2;
		break;
	case CLIENT_EV_REJECTED:
		ev->rejected.reason = ev->rejected.detail = cs;
		break;
	case CLIENT_EV_ERROR:
		ev->error.reason = ev->error.detail = cs;
		break;
	case CLIENT_EV_DISCONNECTED:
		ev->disconnected.reason = cs;
		break;
	case CLIENT_EV_STATUS:
		ev->status.state = "reload-failed";
		ev->status.reason = ev->status.detail = cs;
		break;
	case CLIENT_EV_REKEYED:
		ev->rekeyed.epoch = 9;
		ev->rekeyed.reason = cs;
		break;
	case CLIENT_EV_HISTORY:
		ev->history.origin = ev->history.name = ev->history.fpr = cs;
		ev->history.kind = CLIENT_HIST_MESSAGE;
		ev->history.text = cs;
		ev->history.text_len = strlen(cs);
		break;
	case CLIENT_EV_ACTION:
	case CLIENT_EV_QUIT_MESSAGE:
		ev->message.name = ev->message.fpr = ev->message.text = cs;
		ev->message.text_len = strlen(cs);
		break;
	case CLIENT_EV_AWAY:
		ev->away.name = ev->away.fpr = ev->away.reason = cs;
		ev->away.reason_len = strlen(cs);
		ev->away.away = true;
		break;
	case CLIENT_EV_UNTRUSTED_JOINED:
	case CLIENT_EV_UNTRUSTED_LEFT:
		ev->untrusted.fpr = cs;
		ev->untrusted.sessions = 2;
		break;
	case CLIENT_EV_WAITING_KEY:
		ev->waiting_key.asked = ev->waiting_key.asked_fpr = ev->waiting_key.fpr = cs;
		break;
	case CLIENT_EV_NOTICE:
		ev->notice.reason = ev->notice.text = cs;
		break;
	case CLIENT_EV_FILE_OFFER:
	case CLIENT_EV_FILE_PROGRESS:
	case CLIENT_EV_FILE_RECEIVED:
	case CLIENT_EV_FILE_SENT:
	case CLIENT_EV_FILE_FAILED:
	case CLIENT_EV_FILE_INTERRUPTED:
	case CLIENT_EV_FILE_HASHING:
		ev->file.name = ev->file.fpr = ev->file.file_name = cs;
		ev->file.path = ev->file.sha256 = ev->file.reason = cs;
		ev->file.detail = cs;
		ev->file.n = 3;
		ev->file.size = 1000;
		ev->file.done = 500;
		ev->file.rate = 1e300;      /* out of range: written as -1 */
		ev->file.eta = 0.5;
		ev->file.media = 2;
		break;
	}
}

/* Every other event type, with the line (up to its first NUL, as a C
 * string field holds it) in its string fields: one line of valid JSON,
 * and the top-level field decodes to the replaced input. */
static void
other_events(const struct line *l, struct sotto_wbuf *out,
    struct sotto_wbuf *got, struct sotto_wbuf *want)
{
	static const struct { enum client_event_type type; const char *field; } evs[] = {
		{ CLIENT_EV_CONNECTED, "relay" },
		{ CLIENT_EV_READY, "room" },
		{ CLIENT_EV_JOINED, "name" },
		{ CLIENT_EV_LEFT, "fingerprint" },
		{ CLIENT_EV_MEMBERS, NULL },
		{ CLIENT_EV_REJECTED, "detail" },
		{ CLIENT_EV_ERROR, "reason" },
		{ CLIENT_EV_DISCONNECTED, "reason" },
		{ CLIENT_EV_STATUS, "detail" },
		{ CLIENT_EV_REKEYED, "reason" },
		{ CLIENT_EV_HISTORY, "text" },
		{ CLIENT_EV_ACTION, "text" },
		{ CLIENT_EV_QUIT_MESSAGE, "text" },
		{ CLIENT_EV_AWAY, "reason" },
		{ CLIENT_EV_UNTRUSTED_JOINED, "fingerprint" },
		{ CLIENT_EV_UNTRUSTED_LEFT, "fingerprint" },
		{ CLIENT_EV_WAITING_KEY, "asked" },
		{ CLIENT_EV_NOTICE, "text" },
		{ CLIENT_EV_FILE_OFFER, "file" },
		{ CLIENT_EV_FILE_PROGRESS, NULL },
		{ CLIENT_EV_FILE_RECEIVED, "path" },
		{ CLIENT_EV_FILE_SENT, "name" },
		{ CLIENT_EV_FILE_FAILED, "detail" },
		{ CLIENT_EV_FILE_INTERRUPTED, "detail" },
		{ CLIENT_EV_FILE_HASHING, "file" },
	};
	struct client_member members[2];
	struct client_event ev;
	size_t n, k;
	char *cs;

	n = l->p ? strnlen((const char *)l->p, l->len) : 0;
	REQUIRE((cs = malloc(n + 1)) != NULL);
	if (n)
		memcpy(cs, l->p, n);
	cs[n] = '\0';
	members[0].name = cs;
	members[0].fpr = cs;
	members[0].self = true;
	members[0].sessions = 1;
	members[0].away = cs;
	members[1].name = "bob";
	members[1].sessions = 3;
	members[1].away = NULL;
	members[1].fpr = cs;
	members[1].self = false;
	for (k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
		memset(&ev, 0, sizeof(ev));
		fill_event(&ev, evs[k].type, cs, members);
		sotto_wbuf_reset(out);
		sotto_wbuf_reset(got);
		sotto_wbuf_reset(want);
		REQUIRE(batch_event_json(out, &ev) == 0);
		check_json_line(out, evs[k].field, got);
		if (evs[k].field != NULL) {
			ref_replaced(want, (const uint8_t *)cs, n);
			REQUIRE(same_buf(got, want));
		}
	}
	free(cs);
}

static void
check_output(const struct line *l, int all_events)
{
	struct sotto_wbuf out, got, want;
	struct client_event ev;
	char name[32];
	size_t k, n;

	if (l->p == NULL)
		return;
	/* A name as a trusted file might have it: up to 31 bytes, no NUL. */
	for (n = 0; n < l->len && n < sizeof(name) - 1 && l->p[n] != 0; n++)
		name[n] = (char)l->p[n];
	name[n] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.type = CLIENT_EV_MESSAGE;
	ev.message.name = name;
	ev.message.fpr = "SHA256:AAAA";
	ev.message.text = (const char *)l->p;
	ev.message.text_len = l->len;
	ev.message.ts = 1700000000;
	sotto_wbuf_init(&out, 0);
	sotto_wbuf_init(&got, 0);
	sotto_wbuf_init(&want, 0);
	REQUIRE(batch_event_json(&out, &ev) == 0);
	check_json_line(&out, "text", &got);
	ref_replaced(&want, l->p, l->len);
	REQUIRE(same_buf(&got, &want));
	/* The same for a notice quoting the line, and for the name. */
	for (k = 0; k < 2; k++) {
		sotto_wbuf_reset(&out);
		sotto_wbuf_reset(&got);
		sotto_wbuf_reset(&want);
		if (k == 0) {
			REQUIRE(batch_notice_json(&out, "unknown-command",
			    (const char *)l->p, l->len) == 0);
			check_json_line(&out, "detail", &got);
			ref_replaced(&want, l->p, l->len);
		} else {
			sotto_wbuf_reset(&out);
			REQUIRE(batch_event_json(&out, &ev) == 0);
			check_json_line(&out, "name", &got);
			ref_replaced(&want, (const uint8_t *)name, n);
		}
		REQUIRE(same_buf(&got, &want));
	}
	if (all_events)
		other_events(l, &out, &got, &want);
	sotto_wbuf_free(&out);
	sotto_wbuf_free(&got);
	sotto_wbuf_free(&want);
}

static struct lines whole, bytes, chunks, model;
static struct batch_in in;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t n, i, step;
	uint8_t seed;

	if (size < 1)
		return 0;
	seed = data[0];
	p = data + 1;
	n = size - 1;

	batch_in_init(&in);
	batch_in_feed(&in, p, n, on_line, &whole);
	batch_in_eof(&in, on_line, &whole);

	/* Byte by byte on the first 4 KiB (every 1-byte boundary there); the
	 * input-sized chunks below cover boundaries everywhere. */
	batch_in_init(&in);
	for (i = 0; i < n && i < BYTEWISE_MAX; i++)
		batch_in_feed(&in, p + i, 1, on_line, &bytes);
	if (n > BYTEWISE_MAX)
		batch_in_feed(&in, p + BYTEWISE_MAX, n - BYTEWISE_MAX, on_line,
		    &bytes);
	batch_in_eof(&in, on_line, &bytes);

	batch_in_init(&in);
	for (i = 0; i < n; i += step) {
		step = 1 + (size_t)((p[i] ^ seed) % 97u) * (seed & 0x0f);
		if (step > n - i)
			step = n - i;
		batch_in_feed(&in, p + i, step, on_line, &chunks);
	}
	batch_in_eof(&in, on_line, &chunks);

	ref_lines(p, n, &model);
	same_lines(&whole, &model);
	same_lines(&bytes, &model);
	same_lines(&chunks, &model);
	/* The JSON checks cost per byte: lines up to 8 KiB in all per input
	 * (escaping is per character; the splitter above sees every byte). */
	for (i = 0, step = 0; i < model.n; i++) {
		if (model.l[i].len > JSON_CHECK_BYTES - step)
			continue;
		/* Every event type for the first few short lines only: the
		 * escaping is the same code, the fields are what differ. */
		check_output(&model.l[i], i < 4 && model.l[i].len <= 512);
		step += model.l[i].len;
	}
	lines_free(&whole);
	lines_free(&bytes);
	lines_free(&chunks);
	lines_free(&model);
	return 0;
}

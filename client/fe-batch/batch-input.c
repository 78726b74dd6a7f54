/* SPDX-License-Identifier: ISC */
/* batch-input.c: stdin cut into lines (at most one message long) and each line classified: message, command, or why it is dropped. */
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "cmd.h"
#include "utf8.h"

void
batch_in_init(struct batch_in *in)
{
	in->len = 0;
	in->skipping = false;
}

static bool
word_is(const uint8_t *p, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++)
		if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) != (uint8_t)name[i])
			return false;
	return true;
}

enum batch_file_cmd
batch_file_cmd(const uint8_t *line, size_t len, const char **rest,
    size_t *rest_len)
{
	static const struct { const char *name; enum batch_file_cmd id; } t[] = {
		{ "send", BATCH_FILE_SEND },
		{ "accept", BATCH_FILE_ACCEPT },
		{ "cancel", BATCH_FILE_CANCEL },
	};
	const uint8_t *sp;
	size_t n, i;

	*rest = NULL;
	*rest_len = 0;
	if (len == 0 || line[0] != '/')
		return BATCH_FILE_NONE;
	sp = memchr(line + 1, ' ', len - 1);
	n = sp != NULL ? (size_t)(sp - (line + 1)) : len - 1;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (word_is(line + 1, n, t[i].name)) {
			if (sp != NULL) {
				*rest = (const char *)sp;
				*rest_len = len - 1 - n;
			}
			return t[i].id;
		}
	return BATCH_FILE_NONE;
}

enum batch_kind
batch_classify(const uint8_t *line, size_t len)
{
	const struct fe_cmd *cmd;
	const char *rest;
	size_t rest_len;

	if (len > SOTTO_TEXT_MAX)
		return BATCH_TOO_LONG;
	if (len == 0)
		return BATCH_EMPTY;
	if (line[0] == '/') {
		/* A known command with the words it takes, those in UTF-8; the
		 * windows of the interactive UI mean nothing to a bot. */
		if ((cmd = fe_cmd_parse((const char *)line, len, &rest, &rest_len)) != NULL &&
		    !cmd->ui_only && fe_cmd_args_ok(cmd, rest, rest_len) &&
		    (rest == NULL || sotto_utf8_valid(line, len) == 0))
			return BATCH_COMMAND;
		/* The file commands all take words. */
		if (cmd == NULL && batch_file_cmd(line, len, &rest, &rest_len) !=
		    BATCH_FILE_NONE && rest_len > 1 && sotto_utf8_valid(line, len) == 0)
			return BATCH_COMMAND;
		return BATCH_UNKNOWN;
	}
	if (sotto_utf8_valid(line, len) != 0)
		return BATCH_BAD_UTF8;
	return BATCH_MESSAGE;
}

static void
line_done(struct batch_in *in, batch_line_fn fn, void *ctx)
{
	size_t len = in->len;

	if (len > 0 && in->buf[len - 1] == '\r')
		len--;
	fn(ctx, batch_classify(in->buf, len), in->buf, len);
	sotto_wipe(in->buf, in->len);
	in->len = 0;
}

void
batch_in_feed(struct batch_in *in, const uint8_t *p, size_t n,
    batch_line_fn fn, void *ctx)
{
	const uint8_t *nl;
	size_t seg;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		seg = nl ? (size_t)(nl - p) : n;
		if (!in->skipping && seg > sizeof(in->buf) - in->len) {
			/* Longer than any message may be: drop the rest of it. */
			sotto_wipe(in->buf, in->len);
			in->len = 0;
			in->skipping = true;
		}
		if (!in->skipping) {
			memcpy(in->buf + in->len, p, seg);
			in->len += seg;
		}
		if (nl == NULL)
			return;
		if (in->skipping) {
			in->skipping = false;
			fn(ctx, BATCH_TOO_LONG, NULL, 0);
		} else {
			line_done(in, fn, ctx);
		}
		p = nl + 1;
		n -= seg + 1;
	}
}

void
batch_in_eof(struct batch_in *in, batch_line_fn fn, void *ctx)
{
	if (in->skipping) {
		in->skipping = false;
		fn(ctx, BATCH_TOO_LONG, NULL, 0);
	} else if (in->len > 0) {
		line_done(in, fn, ctx);
	}
}

/* SPDX-License-Identifier: ISC */
/* batch.h: the batch front-end's parts that need no relay: the stdin line splitter and classifier (batch-input.c), and the JSON form of every event (batch-json.c); fuzz and unit targets call these. */
#ifndef SOTTO_BATCH_H
#define SOTTO_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "wire.h"

/* What one stdin line asks for. */
enum batch_kind {
	BATCH_MESSAGE,      /* text to the room */
	BATCH_COMMAND,      /* exactly a /command of fe-common/cmd.h's table */
	BATCH_UNKNOWN,      /* another /line: a `notice` */
	BATCH_EMPTY,        /* an empty line: ignored */
	BATCH_TOO_LONG,     /* over SOTTO_TEXT_MAX bytes: a `notice`, dropped */
	BATCH_BAD_UTF8,     /* not UTF-8: a `notice`, dropped */
};

/* Lines are split at '\n'; one '\r' before it is dropped. */
struct batch_in {
	uint8_t buf[SOTTO_TEXT_MAX + 1];
	size_t  len;
	bool    skipping;   /* inside an over-long line: drop until '\n' */
};

typedef void (*batch_line_fn)(void *ctx, enum batch_kind kind,
    const uint8_t *line, size_t len);

/* The file commands of batch mode (docs/batch.md "Files"): /send, /accept,
 * /cancel, each with words. Which one a line names (ASCII case-insensitive
 * as fe-common's table), *rest as fe_cmd_parse gives it. */
enum batch_file_cmd {
	BATCH_FILE_NONE,
	BATCH_FILE_SEND,     /* /send PATH, /send NAME PATH */
	BATCH_FILE_ACCEPT,   /* /accept N */
	BATCH_FILE_CANCEL,   /* /cancel N */
};
enum batch_file_cmd batch_file_cmd(const uint8_t *line, size_t len,
    const char **rest, size_t *rest_len);

void batch_in_init(struct batch_in *in);
/* Feed raw stdin bytes: fn is called once per complete line. */
void batch_in_feed(struct batch_in *in, const uint8_t *p, size_t n,
    batch_line_fn fn, void *ctx);
/* End of input: a last line without '\n' still counts. */
void batch_in_eof(struct batch_in *in, batch_line_fn fn, void *ctx);
enum batch_kind batch_classify(const uint8_t *line, size_t len);

struct sotto_wbuf;
/* One event as a JSON object and '\n' (docs/batch.md); 0, or nonzero when
 * the event has no batch form (e.g. most status changes). */
int batch_event_json(struct sotto_wbuf *out, const struct client_event *ev);
/* A batch-only event: {"event":"notice","reason":...,"detail":...}. */
int batch_notice_json(struct sotto_wbuf *out, const char *reason,
    const char *detail, size_t detail_len);
/* Answer to /fingerprint: {"event":"fingerprint","fingerprint":...}. */
int batch_fingerprint_json(struct sotto_wbuf *out, const char *fpr);
/* Answer to /help: {"event":"help","commands":[{"command","help"}...]}. */
int batch_help_json(struct sotto_wbuf *out);

#endif

/* batch.h: the pieces of the batch front-end that need no relay: the stdin line splitter and classifier, and the JSON form of every event (fuzz and unit targets call these). */
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
	BATCH_WHO,          /* /who */
	BATCH_QUIT,         /* /quit or /quit MESSAGE */
	BATCH_ME,           /* /me TEXT */
	BATCH_AWAY,         /* /away or /away REASON */
	BATCH_STRICT,       /* /strict, /strict on, /strict off */
	BATCH_RELOAD,       /* /reload */
	BATCH_UNKNOWN,      /* another /command: a `notice` */
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

void batch_in_init(struct batch_in *in);
/* Feed raw stdin bytes: fn is called once per complete line. */
void batch_in_feed(struct batch_in *in, const uint8_t *p, size_t n,
    batch_line_fn fn, void *ctx);
/* End of input: a last line without '\n' still counts. */
void batch_in_eof(struct batch_in *in, batch_line_fn fn, void *ctx);
enum batch_kind batch_classify(const uint8_t *line, size_t len);
/* The argument of a command line ("/away lunch" -> "lunch"): where it
 * starts in line, and its length; 0 when there is none. */
size_t batch_arg(const uint8_t *line, size_t len, const uint8_t **arg);

struct sotto_wbuf;
/* One event as a JSON object and '\n' (docs/batch.md); 0, or nonzero when
 * the event has no batch form (e.g. most status changes). */
int batch_event_json(struct sotto_wbuf *out, const struct client_event *ev);
/* A batch-only event: {"event":"notice","reason":...,"detail":...}. */
int batch_notice_json(struct sotto_wbuf *out, const char *reason,
    const char *detail, size_t detail_len);

#endif

/* SPDX-License-Identifier: ISC */
/* ui-paste.h: bracketed paste: what arrives between the terminal's paste markers, and how a paste is cut into messages. */
#ifndef SOTTO_UI_PASTE_H
#define SOTTO_UI_PASTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PASTE_MAX_BYTES  (1024u * 1024u)  /* a larger paste is cut, with a notice */
#define PASTE_ASK_LINES  5u               /* more lines than this: ask first */

struct paste {
	bool              on;        /* between ESC[200~ and ESC[201~ */
	bool              last_cr;   /* a LF right after a CR is the same line end */
	bool              cut;       /* more than PASTE_MAX_BYTES arrived */
	size_t            dropped;   /* control characters left out */
	struct sotto_wbuf text;      /* UTF-8; line ends are '\n' */
};

void paste_init(struct paste *p);
void paste_free(struct paste *p);
void paste_begin(struct paste *p);
/* One key of the paste: CR and LF end a line, TAB stays, every other code
 * point the screen would neutralise is left out (counted). */
void paste_key(struct paste *p, uint32_t cp);
/* The markers closed: drops one trailing line end. */
void paste_end(struct paste *p);
/* Lines in the text (1 for text without '\n'); 0 for an empty paste. */
size_t paste_lines(const struct paste *p);

/* Length of the next message cut from s[0..len): all of it when len <= max,
 * else up to and including the last '\n' or ' ' within max bytes, else the
 * longest whole UTF-8 prefix that fits. The pieces put back together are
 * exactly s. */
size_t paste_part(const char *s, size_t len, size_t max);
size_t paste_parts(const char *s, size_t len, size_t max);

#endif

/* SPDX-License-Identifier: ISC */
/* ui-complete.h: Tab completion of member names and /commands in the input line. */
#ifndef SOTTO_UI_COMPLETE_H
#define SOTTO_UI_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui-input.h"

/* What a Tab press completed, so the next Tab can replace it with the next
 * candidate (irssi/WeeChat cycle). Any other key calls complete_reset. */
struct complete {
	bool     active;
	size_t   start;        /* first code point of the word being completed */
	size_t   end;          /* end of what the last Tab inserted */
	size_t   index;        /* the candidate shown */
	uint32_t prefix[64];   /* the word as typed, before the first Tab */
	size_t   prefix_len;
};

void complete_reset(struct complete *st);

/* Complete the word before the cursor: a /command when the line starts with
 * '/' and the word is the first one (candidates are the names without '/'),
 * else a name (": " after it at the start of the line, " " elsewhere).
 * Candidates match the typed prefix case-insensitively (ASCII); repeated
 * Tabs cycle through them in the given order. False when nothing matched. */
bool complete_tab(struct complete *st, struct input *in,
    const char *const *names, size_t n_names,
    const char *const *cmds, size_t n_cmds);

#endif

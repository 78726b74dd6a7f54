/* SPDX-License-Identifier: ISC */
/* ui-complete.c: Tab completion of member names and /commands over the line editor's code points. */
#include <string.h>

#include "ui-complete.h"
#include "utf8.h"

void complete_reset(struct complete *st)
{
	memset(st, 0, sizeof(*st));
}

static uint32_t fold(uint32_t cp)
{
	return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
}

/* Does UTF-8 s start with the code points p[0..n), ASCII case folded? */
static bool has_prefix(const char *s, const uint32_t *p, size_t n)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t len = strlen(s), off = 0, k;
	uint32_t cp;

	for (size_t i = 0; i < n; i++) {
		if (off >= len || (k = sotto_utf8_decode(b + off, len - off, &cp)) == 0)
			return false;
		off += k;
		if (fold(cp) != fold(p[i]))
			return false;
	}
	return true;
}

/* Insert UTF-8 s at the cursor; false when the line is full. */
static bool insert_utf8(struct input *in, const char *s)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t len = strlen(s), off = 0, k;
	uint32_t cp;

	while (off < len) {
		if ((k = sotto_utf8_decode(b + off, len - off, &cp)) == 0 ||
		    !input_insert(in, cp))
			return false;
		off += k;
	}
	return true;
}

/* The word before the cursor: from the last space (or the start) to it. */
static size_t word_start(const struct input *in)
{
	size_t i = in->cur;

	while (i > 0 && in->cp[i - 1] != ' ')
		i--;
	return i;
}

bool complete_tab(struct complete *st, struct input *in,
    const char *const *names, size_t n_names,
    const char *const *cmds, size_t n_cmds)
{
	const char *const *cand;
	size_t n, i, tries, start;
	bool command;

	if (!st->active || st->end != in->cur) {
		complete_reset(st);
		start = word_start(in);
		if (in->cur - start > sizeof(st->prefix) / sizeof(st->prefix[0]))
			return false;
		st->start = start;
		st->prefix_len = in->cur - start;
		memcpy(st->prefix, in->cp + start, st->prefix_len * sizeof(uint32_t));
		st->index = (size_t)-1;
	}
	command = st->start == 0 && st->prefix_len > 0 && st->prefix[0] == '/';
	cand = command ? cmds : names;
	n = command ? n_cmds : n_names;
	for (tries = 0, i = st->index; tries < n; tries++) {
		i = i + 1 >= n ? 0 : i + 1;
		if (has_prefix(cand[i], st->prefix + command, st->prefix_len - command))
			break;
	}
	if (tries == n)
		return false;
	/* Replace the word (or the last completion) with candidate i. */
	input_cut(in, st->start, in->cur);
	if ((command && !input_insert(in, '/')) || !insert_utf8(in, cand[i]) ||
	    !insert_utf8(in, command || st->start > 0 ? " " : ": ")) {
		complete_reset(st);
		return false;
	}
	st->active = true;
	st->index = i;
	st->end = in->cur;
	return true;
}

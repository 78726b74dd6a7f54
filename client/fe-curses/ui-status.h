/* ui-status.h: the status line between scrollback and input. */
#ifndef SOTTO_UI_STATUS_H
#define SOTTO_UI_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui-curses.h"

struct ui_status {
	const char *name;       /* own display name, NULL until known */
	short       name_pair;
	const char *room, *relay;
	const char *state;      /* "connecting", "joining", "ready", ... */
	uint32_t    epoch;      /* 0: no group key yet */
	size_t      members;    /* self included */
	size_t      pending;    /* own lines waiting for the group key */
	bool        more;       /* scrolled up and new lines arrived */
};

/* Everything passes through the sanitizer: names and room come from files
 * and the command line, the state from the core. */
void status_draw(WINDOW *w, const struct ui_status *st);

#endif

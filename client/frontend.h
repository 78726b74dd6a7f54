/* SPDX-License-Identifier: ISC */
/* frontend.h: the two ways to drive a client: batch (JSON lines) and the ncurses UI. */
#ifndef SOTTO_FRONTEND_H
#define SOTTO_FRONTEND_H

#include <ev.h>
#include "client.h"

/* Each creates its client with client_new, runs the loop until /quit, end
 * of input or a fatal error, frees everything and returns the exit code. */
int batch_main(struct ev_loop *loop, const struct client_config *cfg);
/* A start-up failure before any client exists (e.g. the identity): the
 * error event and its stderr line, as batch_main reports its own; 1. */
int batch_startup_error(const char *detail);
/* The same for the UI: one neutralised line on stderr (file names in it
 * are untrusted); 1. */
int ui_startup_error(const char *detail);

/* What only the interactive UI takes from the command line. */
struct ui_options {
	const char *ts_format;   /* strftime format of the time column, "%H:%M" */
};
int ui_main(struct ev_loop *loop, const struct client_config *cfg,
    const struct ui_options *opt);

#endif

/* frontend.h: the two ways to drive a client: batch (JSON lines) and the ncurses UI. */
#ifndef SOTTO_FRONTEND_H
#define SOTTO_FRONTEND_H

#include <ev.h>
#include "client.h"

/* Each creates its client with client_new, runs the loop until /quit, end
 * of input or a fatal error, frees everything and returns the exit code. */
int batch_main(struct ev_loop *loop, const struct client_config *cfg);

/* What only the interactive UI takes from the command line. */
struct ui_options {
	const char *ts_format;   /* strftime format of the time column, "%H:%M" */
};
int ui_main(struct ev_loop *loop, const struct client_config *cfg,
    const struct ui_options *opt);

#endif

/* SPDX-License-Identifier: ISC */
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
	size_t      skipped;    /* trusted-folder files not trusted (bad) */
	bool        more;       /* scrolled up and new lines arrived */
	const char *asked;      /* waiting-key: whom we asked */
	size_t      untrusted;  /* untrusted readers present: a warning */
	uint64_t    dropped;    /* frames from untrusted keys this connection */
	int         win;        /* the window shown, 1..9 */
	size_t      n_win;
	int         act[9];     /* windows with news: n, or -n for a mention */
	unsigned    act_unread[9];  /* their unread lines */
	const char *act_peer[9];    /* a private view's member, else NULL */
	size_t      n_act;
	const char *peer;       /* the window shown is a private view with peer */
	char        xfers[160]; /* transfers under way (ui_files_status) */
};

/* Everything passes through the sanitizer: names and room come from files
 * and the command line, the state from the core. */
void status_draw(WINDOW *w, const struct ui_status *st);

#endif

/* SPDX-License-Identifier: ISC */
/* ui-colour.h: colour pairs: one stable colour per member, and the UI's own roles. */
#ifndef SOTTO_UI_COLOUR_H
#define SOTTO_UI_COLOUR_H

enum ui_role {
	UI_ROLE_STATUS = 1,  /* status line */
	UI_ROLE_STATUS_OK,   /* "ready" on the status line */
	UI_ROLE_STATUS_WAIT, /* other states, pending lines, on the status line */
	UI_ROLE_MORE,        /* "-- more --" on the status line */
	UI_ROLE_OK,          /* state "ready", joins */
	UI_ROLE_WAIT,        /* connecting, joining, pending */
	UI_ROLE_WARN,        /* dropped frames, disconnects */
	UI_ROLE_ERROR,       /* errors */
	UI_ROLE_INFO,        /* system lines */
	UI_ROLE_COUNT
};

/* After initscr: set up the pairs the terminal can show (none without colour). */
void ui_colour_init(void);
/* Pair of a role; 0 (default colours) on a monochrome terminal. */
short ui_colour_role(enum ui_role role);
/* Pair of a member, from a hash of the fingerprint: the same member gets the
 * same colour in every run on the same kind of terminal. */
short ui_colour_member(const char *fpr);

#endif

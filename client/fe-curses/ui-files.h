/* SPDX-License-Identifier: ISC */
/* ui-files.h: file transfers in the UI: offer, progress, received and failed lines, /send /accept /cancel /view, the status line's transfers and inline picture previews. */
#ifndef SOTTO_UI_FILES_H
#define SOTTO_UI_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Transfers a room window remembers (pictures for /view included); the
 * oldest finished ones are forgotten first. */
#define UI_XFER_MAX        256
/* Transfers the status line names; more are counted ("+2"). */
#define UI_XFER_STATUS_MAX 3

struct ui;
struct ui_win;

/* One transfer of a room window's client, by its number n. */
struct ui_xfer {
	unsigned  n;
	bool      outgoing;
	bool      active;       /* under way: on the status line */
	bool      waiting;      /* an offer waiting for /accept n */
	bool      picture;      /* received, and its bytes say picture */
	bool      preview_due;  /* a preview to make at the end of this loop turn */
	char     *file_name;    /* sanitised by the core, shown sanitised again */
	char     *peer;         /* the other side; NULL: the room */
	char     *path;         /* received: where it is */
	bool      private_;
	uint64_t  size, done;
	double    rate, eta;
};

struct ui_xfers {
	struct ui_xfer *x;
	size_t          n;
};

void ui_xfers_free(struct ui_xfers *xs);

/* ui-event.c hands every CLIENT_EV_FILE_* here (w: the room window). */
void ui_files_event(struct ui_win *w, const struct client_event *ev);
/* End of a loop turn (ui.c): previews of pictures just received. */
void ui_files_work(struct ui *ui);
/* The status line's transfers of room window w: "3v43% 2.4M/s 0:12". */
void ui_files_status(const struct ui_win *w, char *buf, size_t len);

/* Commands (arg: the words after the name). */
void ui_cmd_send(struct ui *ui, const char *arg, size_t n);
void ui_cmd_accept(struct ui *ui, const char *arg, size_t n);
void ui_cmd_cancel(struct ui *ui, const char *arg, size_t n);
void ui_cmd_view(struct ui *ui, const char *arg, size_t n);

/* Sizes for people: "812 B", "2.3 MiB". */
void ui_size_human(uint64_t bytes, char *buf, size_t len);

/* ui-view.c: /view outside curses. */
int ui_view_open(struct ui *ui, const char *path, const char *what,
    char *err, size_t err_len);
/* A key while the view is up: back to the UI. */
void ui_view_close(struct ui *ui);

#endif

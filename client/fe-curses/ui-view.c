/* SPDX-License-Identifier: ISC */
/* ui-view.c: /view N: a received picture as large as the terminal, drawn outside curses (kitty, sixels or symbols, as chafa detects the terminal) until a key brings the UI back. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "decode.h"
#include "err.h"
#include "sanitize.h"
#include "ui-files.h"
#include "ui.h"
#include "view.h"

extern char **environ;

static void put_cap(const char *cap)
{
	char *s = tigetstr(cap);

	if (s != NULL && s != (char *)-1)
		fputs(s, stdout);
}

/* Cells and pixels per cell of the terminal; the prompt's row is kept. */
static void view_size(unsigned *cols, unsigned *rows, unsigned *cw, unsigned *ch)
{
	struct winsize ws;

	*cols = COLS > 0 ? (unsigned)COLS : 80;
	*rows = LINES > 1 ? (unsigned)LINES : 24;
	*cw = *ch = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
		*cw = ws.ws_xpixel / ws.ws_col;
		*ch = ws.ws_ypixel / ws.ws_row;
	}
	*rows = *rows > 1 ? *rows - 1 : 1;
}

/* Decode and render for this terminal; a pixel mode whose output fails
 * its check falls back to symbols (which pass sotto_preview_check). */
static int view_render(const char *path, char **out, size_t *len,
    char *err, size_t err_len)
{
	struct sotto_picture pic;
	enum sotto_view_mode mode = sotto_view_detect(environ);
	unsigned cols, rows, cw, ch;
	int r;

	view_size(&cols, &rows, &cw, &ch);
	if ((r = sotto_picture_load(path, cols * 8u, &pic)) != 0) {
		snprintf(err, err_len, "%s", r == SOTTO_E_TOOLONG ? "too large to show" :
		    r == SOTTO_E_IO ? "the file cannot be read" :
		    "damaged, or a kind of picture sotto cannot read");
		return r;
	}
	r = sotto_view_render(mode, pic.rgba, pic.width, pic.height,
	    (size_t)pic.width * 4u, cols, rows, cw, ch, environ, out, len);
	if (r == SOTTO_E_FORMAT && mode != SOTTO_VIEW_SYMBOLS)
		r = sotto_view_render(SOTTO_VIEW_SYMBOLS, pic.rgba, pic.width,
		    pic.height, (size_t)pic.width * 4u, cols, rows, cw, ch, environ,
		    out, len);
	sotto_picture_free(&pic);
	if (r != 0)
		snprintf(err, err_len, "cannot render it (%s)", sotto_strerror(r));
	return r;
}

/*
 * Curses steps aside (def_prog_mode, endwin), the alternate screen is
 * taken back and cleared, the checked picture and one plain line are
 * written, and the terminal reads keys one by one without echo. The loop
 * goes on meanwhile (the connection is served); the next key calls
 * ui_view_close. ui_draw draws nothing while the view is up.
 */
int ui_view_open(struct ui *ui, const char *path, const char *what,
    char *err, size_t err_len)
{
	struct termios tio;
	char safe[256];
	char *out = NULL;
	size_t len = 0;

	if (!ui->curses_on || ui->viewing) {
		snprintf(err, err_len, "not now");
		return SOTTO_E_INVAL;
	}
	if (view_render(path, &out, &len, err, err_len) != 0)
		return SOTTO_E_FORMAT;
	sanitize_str(what, strlen(what), safe, sizeof(safe), SAN_TAB_SPACE);
	def_prog_mode();
	endwin();
	put_cap("smcup");
	put_cap("clear");
	fwrite(out, 1, len, stdout);
	printf("\r\n%s: press any key to go back", safe);
	fflush(stdout);
	free(out);
	if (tcgetattr(STDIN_FILENO, &tio) == 0) {
		tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &tio);
	}
	ui->viewing = true;
	return 0;
}

void ui_view_close(struct ui *ui)
{
	char buf[256];

	/* Whatever the key sent (an escape sequence, a paste) is dropped. */
	ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));

	(void)k;
	ui->viewing = false;
	reset_prog_mode();
	clearok(curscr, TRUE);
	ui->repaint = ui->dirty = true;
	ui_draw(ui);
}

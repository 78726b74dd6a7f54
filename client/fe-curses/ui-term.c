/* SPDX-License-Identifier: ISC */
/* ui-term.c: the terminal: curses set-up, window layout, resize, and restoring the terminal on every way out. */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ui-colour.h"
#include "ui-picture.h"
#include "ui.h"

#define ESC_DELAY_MS 25   /* a lone ESC is a key after this long */

/* What a fatal signal handler needs to give the terminal back: only
 * async-signal-safe calls use it (tcsetattr, write, sigaction, raise). */
static struct {
	struct termios   tio;
	bool             have_tio;
	char             reset[128];   /* rmcup, cnorm, sgr0, rmkx as the terminal spells them */
	size_t           reset_len;
	struct sigaction old[32];
} saved;

static SCREEN *screen;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static void reset_append(const char *cap)
{
	char *s = tigetstr(cap);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (n < sizeof(saved.reset) - saved.reset_len) {
		memcpy(saved.reset + saved.reset_len, s, n);
		saved.reset_len += n;
	}
}

static void restore_from_signal(void)
{
	ssize_t r;

	if (saved.have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved.tio);
	r = write(STDOUT_FILENO, saved.reset, saved.reset_len);
	(void)r;
}

/* Give the terminal back, then let the previous handler (default, or a
 * sanitizer's reporter) have the signal: re-raised when it was sent, or
 * re-triggered by returning to the faulting instruction. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	restore_from_signal();
	sigaction(sig, &saved.old[sig], NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

static void fatal_handlers(bool install)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		int sig = fatal_signals[i];

		if (install)
			sigaction(sig, &sa, &saved.old[sig]);
		else
			sigaction(sig, &saved.old[sig], NULL);
	}
}

/* exit() from anywhere while curses is on still restores the terminal. */
static void at_exit(void)
{
	if (screen != NULL && !isendwin())
		endwin();
}

static int ctrl_end_key(void)
{
	char *s = tigetstr("kEND5");
	int code;

	if (s == NULL || s == (char *)-1)
		return 0;
	code = key_defined(s);
	return code > 0 ? code : 0;
}

static void modes_set(void)
{
	raw();              /* Ctrl-C, Ctrl-Z, Ctrl-S arrive as keys */
	noecho();
	nonl();
	set_escdelay(ESC_DELAY_MS);
}

/* A terminfo string, or the xterm one when the entry has none. */
static const char *cap_or(const char *cap, const char *dflt)
{
	char *s = tigetstr(cap);

	return s == NULL || s == (char *)-1 ? dflt : s;
}

/* Bracketed paste (xterm's mode 2004): a paste arrives between ESC[200~
 * and ESC[201~, so its line ends are not Enter and a '/' in it is text. */
static void paste_mode(bool on)
{
	if (on) {
		define_key(cap_or("PS", "\033[200~"), KEY_PASTE_BEGIN);
		define_key(cap_or("PE", "\033[201~"), KEY_PASTE_END);
	}
	putp(on ? cap_or("BE", "\033[?2004h") : cap_or("BD", "\033[?2004l"));
	fflush(stdout);
}

/* The window title (a mention calls the user), or back to plain. Only on
 * terminals that say how (tsl/fsl); the room name is checked, and the
 * title is our own text. */
void term_title(struct ui *ui, const char *title)
{
	char *tsl = tigetstr("tsl"), *fsl = tigetstr("fsl");
	char plain[96];

	if (!ui->curses_on || tsl == NULL || tsl == (char *)-1 || fsl == NULL ||
	    fsl == (char *)-1)
		return;
	if (title == NULL) {
		snprintf(plain, sizeof(plain), "sotto #%.64s", ui->w->room);
		title = plain;
	}
	putp(tsl);
	for (const char *p = title; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			putchar(*p);
	putp(fsl);
	fflush(stdout);
	ui->title_set = title != plain;
}

int term_start(struct ui *ui, char *err, size_t err_len)
{
	static bool registered;

	saved.have_tio = tcgetattr(STDIN_FILENO, &saved.tio) == 0;
	if ((screen = newterm(NULL, stdout, stdin)) == NULL) {
		snprintf(err, err_len, "cannot start the terminal UI (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "unset");
		return -1;
	}
	if (!registered && atexit(at_exit) == 0)
		registered = true;
	saved.reset_len = 0;
	reset_append("rmcup");
	reset_append("cnorm");
	reset_append("sgr0");
	reset_append("rmkx");
	reset_append("BD");
	fatal_handlers(true);
	ui->curses_on = true;
	modes_set();
	ui_colour_init();
	ui_pic_colours_init();
	term_layout(ui);
	/* After keypad(): the key table is built then. */
	ui->key_ctrl_end = ctrl_end_key();
	paste_mode(true);
	return 0;
}

static void windows_free(struct ui *ui)
{
	WINDOW **w[] = { &ui->sb_win, &ui->status_win, &ui->input_win };

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (*w[i] != NULL) {
			delwin(*w[i]);
			*w[i] = NULL;
		}
}

/* Scrollback on top, then the status line, the input line at the bottom.
 * A terminal too short for all three keeps the input line first. */
void term_layout(struct ui *ui)
{
	int rows = LINES, cols = COLS > 0 ? COLS : 1;

	windows_free(ui);
	if (rows >= 1)
		ui->input_win = newwin(1, cols, rows - 1, 0);
	if (rows >= 2)
		ui->status_win = newwin(1, cols, rows - 2, 0);
	if (rows >= 3)
		ui->sb_win = newwin(rows - 2, cols, 0, 0);
	if (ui->input_win != NULL) {
		keypad(ui->input_win, TRUE);
		nodelay(ui->input_win, TRUE);
	}
	if (ui->status_win != NULL)
		leaveok(ui->status_win, TRUE);
	if (ui->sb_win != NULL)
		leaveok(ui->sb_win, TRUE);
	for (size_t i = 0; i < ui->n_win; i++)
		sb_resize(&ui->win[i]->sb, cols, rows >= 3 ? rows - 2 : 0);
	ui->dirty = ui->repaint = true;
}

/* SIGWINCH: ask the kernel for the new size; curses learns it from us. */
void term_resize(struct ui *ui)
{
	struct winsize ws;

	if (!ui->curses_on)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	term_layout(ui);
}

void term_stop(struct ui *ui)
{
	if (!ui->curses_on)
		return;
	windows_free(ui);
	paste_mode(false);
	if (ui->title_set)
		term_title(ui, NULL);
	endwin();
	delscreen(screen);
	screen = NULL;
	fatal_handlers(false);
	ui->curses_on = false;
}

/* ui.c: ui_main: the interactive client's loop: keys, signals, redraws and the way out. */
#define _XOPEN_SOURCE 700
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "frontend.h"
#include "sanitize.h"
#include "ui-status.h"
#include "ui.h"

#define KEY_CTRL(c)        ((c) & 0x1f)
#define DRAIN_POLL         0.02
/* Wakeups with nothing to read: stdin is at end (the terminal went away). */
#define EMPTY_WAKEUPS_MAX  50
/* Keys handled per wakeup: a paste is taken in slices, the screen keeps up. */
#define KEYS_PER_WAKEUP    4096

void ui_set_str(char **dst, const char *src)
{
	char *copy = src != NULL ? strdup(src) : NULL;

	if (src != NULL && copy == NULL)
		return;     /* keep the old value rather than lose it */
	free(*dst);
	*dst = copy;
}

void ui_line(struct ui *ui, enum sb_kind kind, const char *fmt, ...)
{
	struct sb_line *l;
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l = sb_add(&ui->sb, kind, time(NULL));
	ui_text_add(&l->text, buf, strlen(buf), SAN_TAB_SPACE, UI_MSG_MAX_CELLS);
	sb_commit(&ui->sb, l);
	ui->dirty = true;
}

/* --- drawing ------------------------------------------------------------ */

static void status_fill(const struct ui *ui, struct ui_status *st)
{
	memset(st, 0, sizeof(*st));
	st->name = ui->self_name;
	st->room = ui->room != NULL ? ui->room : "";
	st->relay = ui->relay != NULL ? ui->relay : "";
	st->state = ui->state != NULL ? ui->state : "starting";
	st->epoch = ui->epoch;
	st->members = ui->n_members;
	st->pending = sb_pending(&ui->sb);
	st->more = ui->sb.more;
}

void ui_draw(struct ui *ui)
{
	struct ui_status st;
	char prompt[96];
	int x = 0;

	if (!ui->curses_on)
		return;
	if (ui->repaint)
		clearok(curscr, TRUE);
	if (ui->sb_win != NULL) {
		sb_draw(&ui->sb, ui->sb_win);
		wnoutrefresh(ui->sb_win);
	}
	if (ui->status_win != NULL) {
		status_fill(ui, &st);
		status_draw(ui->status_win, &st);
		wnoutrefresh(ui->status_win);
	}
	if (ui->input_win != NULL) {
		snprintf(prompt, sizeof(prompt), "[#%.64s] ", ui->room ? ui->room : "");
		input_draw(&ui->in, ui->input_win, prompt, &x);
		wmove(ui->input_win, 0, x);
		wnoutrefresh(ui->input_win);   /* last: the cursor stays in the input */
	}
	doupdate();
	ui->dirty = ui->repaint = false;
}

/* --- keys ---------------------------------------------------------------- */

static void submit(struct ui *ui)
{
	size_t n;
	char *line = input_take(&ui->in, &n);

	if (line == NULL) {
		ui_line(ui, SB_ERROR, "out of memory: line not sent");
		return;
	}
	ui_submit(ui, line, n);
	free(line);
}

static void suspend(struct ui *ui)
{
	endwin();
	raise(SIGTSTP);     /* back here on SIGCONT */
	ui->repaint = true;
}

static void key_char(struct ui *ui, wint_t ch)
{
	struct input *in = &ui->in;

	switch (ch) {
	case KEY_CTRL('c'): ui_quit(ui, false); break;
	case KEY_CTRL('d'):
		if (input_empty(in))
			ui_quit(ui, false);
		else
			input_delete(in);
		break;
	case KEY_CTRL('a'): input_home(in); break;
	case KEY_CTRL('e'): input_end(in); break;
	case KEY_CTRL('b'): input_left(in); break;
	case KEY_CTRL('f'): input_right(in); break;
	case KEY_CTRL('h'): case 0x7f: input_backspace(in); break;
	case KEY_CTRL('k'): input_kill_end(in); break;
	case KEY_CTRL('u'): input_kill_start(in); break;
	case KEY_CTRL('w'): input_kill_word(in); break;
	case KEY_CTRL('p'): input_hist_prev(in); break;
	case KEY_CTRL('n'): input_hist_next(in); break;
	case KEY_CTRL('l'): ui->repaint = true; break;
	case KEY_CTRL('z'): suspend(ui); break;
	case '\r': case '\n': submit(ui); break;
	default: input_insert(in, (uint32_t)ch); break;   /* refuses controls */
	}
}

static void key_special(struct ui *ui, wint_t k)
{
	struct input *in = &ui->in;

	if (ui->key_ctrl_end != 0 && k == (wint_t)ui->key_ctrl_end) {
		sb_live(&ui->sb);
		return;
	}
	switch (k) {
	case KEY_LEFT: input_left(in); break;
	case KEY_RIGHT: input_right(in); break;
	case KEY_HOME: input_home(in); break;
	case KEY_END: input_end(in); sb_live(&ui->sb); break;
	case KEY_BACKSPACE: input_backspace(in); break;
	case KEY_DC: input_delete(in); break;
	case KEY_UP: input_hist_prev(in); break;
	case KEY_DOWN: input_hist_next(in); break;
	case KEY_PPAGE: sb_page(&ui->sb, 1); break;
	case KEY_NPAGE: sb_page(&ui->sb, -1); break;
	case KEY_ENTER: submit(ui); break;
	case KEY_RESIZE: term_layout(ui); break;   /* curses knows the size already */
	default: break;
	}
}

static void on_keys(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ui *ui = container_of(w, struct ui, key_w);
	unsigned got = 0;
	wint_t ch;
	int r;

	(void)loop;
	(void)revents;
	while (!ui->stop && ui->input_win != NULL && got < KEYS_PER_WAKEUP &&
	    (r = wget_wch(ui->input_win, &ch)) != ERR) {
		got++;
		if (r == KEY_CODE_YES)
			key_special(ui, ch);
		else
			key_char(ui, ch);
		ui->dirty = true;
	}
	/* A hung-up terminal stays readable and yields nothing: leave. */
	ui->empty_wakeups = got > 0 ? 0 : ui->empty_wakeups + 1;
	if (ui->empty_wakeups > EMPTY_WAKEUPS_MAX)
		ui_quit(ui, false);
}

/* --- signals, redraw, the way out --------------------------------------- */

static void on_winch(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	term_resize(container_of(w, struct ui, winch_w));
}

static void on_quit_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	ui_quit((struct ui *)w->data, false);
}

static void on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ui *ui = container_of(w, struct ui, drain_w);

	(void)revents;
	if (client_drained(ui->client) || ev_now(loop) >= ui->drain_until) {
		ev_timer_stop(loop, w);
		ui->stop = true;
	}
}

void ui_quit(struct ui *ui, bool drain)
{
	if (drain && ui->ready && !client_drained(ui->client)) {
		ui_line(ui, SB_INFO, "sending what is queued, then leaving");
		ui->drain_until = ev_now(ui->loop) + UI_DRAIN_SECONDS;
		ev_timer_start(ui->loop, &ui->drain_w);
		return;
	}
	ui->stop = true;
}

static void watchers_stop(struct ui *ui)
{
	ev_io_stop(ui->loop, &ui->key_w);
	ev_signal_stop(ui->loop, &ui->winch_w);
	ev_signal_stop(ui->loop, &ui->term_w);
	ev_signal_stop(ui->loop, &ui->int_w);
	ev_timer_stop(ui->loop, &ui->drain_w);
	ev_prepare_stop(ui->loop, &ui->draw_w);
}

/* Runs before the loop sleeps: deferred work first (never done inside the
 * core's callback), then at most one redraw for any number of changes. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ui *ui = container_of(w, struct ui, draw_w);

	(void)revents;
	if (ui->want_who && !ui->stop) {
		ui->want_who = false;
		ui->quiet_who++;
		client_who(ui->client);
	}
	if (ui->stop) {
		watchers_stop(ui);
		client_shutdown(ui->client);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (ui->dirty || ui->repaint)
		ui_draw(ui);
}

static void watchers_start(struct ui *ui)
{
	ev_io_init(&ui->key_w, on_keys, STDIN_FILENO, EV_READ);
	ev_signal_init(&ui->winch_w, on_winch, SIGWINCH);
	ev_signal_init(&ui->term_w, on_quit_signal, SIGTERM);
	ev_signal_init(&ui->int_w, on_quit_signal, SIGINT);
	ui->term_w.data = ui->int_w.data = ui;
	ev_timer_init(&ui->drain_w, on_drain, DRAIN_POLL, DRAIN_POLL);
	ev_prepare_init(&ui->draw_w, on_prepare);
	ev_io_start(ui->loop, &ui->key_w);
	ev_signal_start(ui->loop, &ui->winch_w);
	ev_signal_start(ui->loop, &ui->term_w);
	ev_signal_start(ui->loop, &ui->int_w);
	ev_prepare_start(ui->loop, &ui->draw_w);
}

/* --- ui_main --------------------------------------------------------------- */

/* Wide characters need the user's locale; a terminal whose locale is not
 * UTF-8 gets ASCII only, everything else as a visible "\u{...}". */
static void locale_init(void)
{
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	ui_text_set_utf8(cs != NULL && strcmp(cs, "UTF-8") == 0);
}

static int model_init(struct ui *ui, struct ev_loop *loop,
    const struct client_config *cfg)
{
	memset(ui, 0, sizeof(*ui));
	ui->loop = loop;
	ui_set_str(&ui->room, cfg->room != NULL ? cfg->room : "lobby");
	ui_set_str(&ui->relay, cfg->relay != NULL ? cfg->relay : "127.0.0.1:7700");
	ui_set_str(&ui->state, "starting");
	if (ui->room == NULL || ui->relay == NULL || ui->state == NULL ||
	    sb_init(&ui->sb, UI_SCROLLBACK_LINES) != 0 || input_init(&ui->in) != 0)
		return -1;
	return 0;
}

static void model_free(struct ui *ui)
{
	sb_free(&ui->sb);
	input_free(&ui->in);
	ui_members_free(ui);
	free(ui->room);
	free(ui->relay);
	free(ui->state);
	free(ui->self_name);
}

/* After endwin, on stderr, which is usually the same terminal: a file name
 * in the core's message is untrusted too. */
static void print_error(const char *msg)
{
	char safe[1024];

	sanitize_str(msg, strlen(msg), safe, sizeof(safe), SAN_TAB_SPACE);
	fprintf(stderr, "sotto: %s\n", safe);
}

static int ui_run(struct ui *ui, const struct client_config *cfg)
{
	char err[512];

	if ((ui->client = client_new(ui->loop, cfg, ui_on_event, ui, err,
	    sizeof(err))) == NULL) {
		print_error(err);
		return 1;
	}
	if (term_start(ui, err, sizeof(err)) != 0) {
		client_free(ui->client);
		print_error(err);
		return 1;
	}
	watchers_start(ui);
	ui->want_who = true;      /* our own name, before the first line is typed */
	ui_line(ui, SB_INFO, "sotto: type /help for commands; PgUp/PgDn scroll, Ctrl-D quits");
	ev_run(ui->loop, 0);
	watchers_stop(ui);
	client_free(ui->client);
	term_stop(ui);
	if (ui->fatal[0] != '\0')
		print_error(ui->fatal);
	return ui->exit_code;
}

int ui_main(struct ev_loop *loop, const struct client_config *cfg)
{
	struct ui *ui = malloc(sizeof(*ui));
	int rc = 1;

	if (ui == NULL) {
		fprintf(stderr, "sotto: out of memory\n");
		return 1;
	}
	locale_init();
	if (model_init(ui, loop, cfg) == 0)
		rc = ui_run(ui, cfg);
	else
		fprintf(stderr, "sotto: out of memory\n");
	model_free(ui);
	free(ui);
	return rc;
}

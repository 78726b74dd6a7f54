/* SPDX-License-Identifier: ISC */
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
#include "identity.h"
#include "sanitize.h"
#include "ui-histfile.h"
#include "ui-picture.h"
#include "ui-status.h"
#include "ui.h"

#define KEY_CTRL(c)        ((c) & 0x1f)
#define KEY_ESC            0x1b
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

static void win_vline(struct ui_win *w, enum sb_kind kind, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void win_vline(struct ui_win *w, enum sb_kind kind, const char *fmt,
    va_list ap)
{
	struct sb_line *l;
	char buf[2048];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	l = sb_add(&w->sb, kind, time(NULL));
	ui_text_add(&l->text, buf, strlen(buf), SAN_TAB_SPACE, UI_MSG_MAX_CELLS);
	sb_commit(&w->sb, l);
	w->ui->dirty = true;
}

void win_line(struct ui_win *w, enum sb_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	win_vline(w, kind, fmt, ap);
	va_end(ap);
}

/* A line in the window shown. */
void ui_line(struct ui *ui, enum sb_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (ui->w == NULL)
		return;
	va_start(ap, fmt);
	win_vline(ui->w, kind, fmt, ap);
	va_end(ap);
}

/* --- drawing ------------------------------------------------------------ */

static void status_fill(const struct ui *ui, struct ui_status *st)
{
	const struct ui_win *w = ui->w->room_win != NULL ? ui->w->room_win : ui->w;
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	st->peer = ui->w->peer;
	st->name = w->self_name;
	st->room = w->room != NULL ? w->room : "";
	st->relay = w->relay != NULL ? w->relay : "";
	st->state = w->state != NULL ? w->state : "starting";
	st->asked = w->asked;
	st->epoch = w->epoch;
	st->members = w->n_members;
	st->pending = sb_pending(&ui->w->sb);
	st->skipped = w->client != NULL ?
	    client_trust_skipped(w->client, NULL, NULL) : 0;
	st->more = ui->w->sb.more;
	st->untrusted = w->untrusted;
	st->dropped = w->dropped;
	ui_files_status(w, st->xfers, sizeof(st->xfers));
	st->win = ui->w->num;
	st->n_win = ui->n_win;
	for (size_t i = 0; i < ui->n_win && n < UI_WIN_MAX; i++)
		if (ui->win[i] != ui->w && ui->win[i]->activity > 0) {
			st->act_unread[n] = ui->win[i]->unread;
			st->act_peer[n] = ui->win[i]->peer;
			st->act[n++] = ui->win[i]->num * (ui->win[i]->activity > 1 ? -1 : 1);
		}
	st->n_act = n;
}

void ui_draw(struct ui *ui)
{
	struct ui_status st;
	char prompt[160];
	int x = 0;

	if (!ui->curses_on || ui->w == NULL || ui->viewing)
		return;
	if (ui->repaint)
		clearok(curscr, TRUE);
	if (ui->sb_win != NULL) {
		ui_pic_frame();
		sb_draw(&ui->w->sb, ui->sb_win);
		wnoutrefresh(ui->sb_win);
	}
	if (ui->status_win != NULL) {
		status_fill(ui, &st);
		status_draw(ui->status_win, &st);
		wnoutrefresh(ui->status_win);
	}
	if (ui->input_win != NULL) {
		if (ui->held != NULL)
			snprintf(prompt, sizeof(prompt), "[#%.64s] [paste held: Enter "
			    "sends, Esc drops] ", ui->w->room);
		else
			snprintf(prompt, sizeof(prompt), ui->w->peer != NULL ?
			    "[%.64s] " : "[#%.64s] ", ui->w->peer != NULL ?
			    ui->w->peer : ui->w->room);
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
	bool pasted = ui->in_pasted;
	size_t n;
	char *line = input_take(&ui->in, &n);

	ui->in_pasted = false;
	if (line == NULL) {
		ui_line(ui, SB_ERROR, "out of memory: line not sent");
		return;
	}
	ui_submit(ui, line, n, pasted);
	free(line);
}

static void suspend(struct ui *ui)
{
	endwin();
	raise(SIGTSTP);     /* back here on SIGCONT */
	ui->repaint = true;
}

/* irssi and WeeChat users press Ctrl-C for colours: it never quits. */
static void ctrl_c(struct ui *ui)
{
	ev_tstamp now = ev_now(ui->loop);

	if (ui->ctrlc_hint != 0 && now - ui->ctrlc_hint < UI_CTRLC_HINT_GAP)
		return;
	ui->ctrlc_hint = now;
	ui_line(ui, SB_INFO, "Ctrl-C does not quit sotto: type /quit, or Ctrl-D on "
	    "an empty line");
}

/* Tab: complete a member name of the window shown, or a command. */
static void tab(struct ui *ui)
{
	const char *names[256];
	size_t n = 0, nc;
	const char *const *cmds = ui_cmd_names(&nc);

	for (size_t i = 0; i < ui->w->n_members && n < 256; i++)
		if (!ui->w->members[i].self)
			names[n++] = ui->w->members[i].name;
	for (size_t i = 1; i < n; i++)     /* sorted: the same order every time */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	if (!complete_tab(&ui->comp, &ui->in, names, n, cmds, nc))
		beep();
}

static void key_char(struct ui *ui, wint_t ch)
{
	struct input *in = &ui->in;

	if (ch != '\t')
		complete_reset(&ui->comp);
	if (ui->esc) {
		ui->esc = false;
		if (ch >= '1' && ch <= '9') {       /* Alt-N */
			win_show(ui, (int)(ch - '0'));
			return;
		}
	}
	switch (ch) {
	case KEY_ESC: ui->esc = true; break;
	case KEY_CTRL('c'): ctrl_c(ui); break;
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
	case KEY_CTRL('u'): input_kill_start(in); ui->in_pasted = false; break;
	case KEY_CTRL('w'): input_kill_word(in); break;
	case KEY_CTRL('p'): input_hist_prev(in); break;
	case KEY_CTRL('n'): input_hist_next(in); break;
	case KEY_CTRL('l'): ui->repaint = true; break;
	case KEY_CTRL('z'): suspend(ui); break;
	case '\t': tab(ui); break;
	case '\r': case '\n': submit(ui); break;
	default: input_insert(in, (uint32_t)ch); break;   /* refuses controls */
	}
	if (input_empty(in))
		ui->in_pasted = false;
}

static void key_special(struct ui *ui, wint_t k)
{
	struct input *in = &ui->in;

	complete_reset(&ui->comp);
	ui->esc = false;
	if (ui->key_ctrl_end != 0 && k == (wint_t)ui->key_ctrl_end) {
		sb_live(&ui->w->sb);
		return;
	}
	switch (k) {
	case KEY_LEFT: input_left(in); break;
	case KEY_RIGHT: input_right(in); break;
	case KEY_HOME: input_home(in); break;
	case KEY_END: input_end(in); sb_live(&ui->w->sb); break;
	case KEY_BACKSPACE: input_backspace(in); break;
	case KEY_DC: input_delete(in); break;
	case KEY_UP: input_hist_prev(in); break;
	case KEY_DOWN: input_hist_next(in); break;
	case KEY_PPAGE: sb_page(&ui->w->sb, 1); break;
	case KEY_NPAGE: sb_page(&ui->w->sb, -1); break;
	case KEY_ENTER: submit(ui); break;
	case KEY_RESIZE: term_layout(ui); break;   /* curses knows the size already */
	default: break;
	}
}

/* One key: to the paste being collected, to a held paste, or the editor. */
static void key(struct ui *ui, int r, wint_t ch)
{
	if (r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN) {
		paste_begin(&ui->paste);
		return;
	}
	if (ui->paste.on) {
		if (r == KEY_CODE_YES && ch == KEY_PASTE_END) {
			paste_end(&ui->paste);
			ui_paste_done(ui);
		} else if (r == KEY_CODE_YES) {
			ui->paste.dropped++;        /* a pasted escape sequence */
		} else {
			paste_key(&ui->paste, (uint32_t)ch);
		}
		return;
	}
	if (ui->held != NULL && ui_held_key(ui, r, ch))
		return;
	if (ui->title_set) {
		/* The user is here: the title no longer needs to call. */
		term_title(ui, NULL);
	}
	if (r == KEY_CODE_YES)
		key_special(ui, ch);
	else
		key_char(ui, ch);
}

static void on_keys(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ui *ui = container_of(w, struct ui, key_w);
	unsigned got = 0;
	wint_t ch;
	int r;

	(void)loop;
	(void)revents;
	if (ui->viewing) {
		ui_view_close(ui);      /* any key: back from /view */
		return;
	}
	/* Not past a /view: curses is off until its key (wget_wch would
	 * refresh the screen over the picture). */
	while (!ui->stop && !ui->viewing && ui->input_win != NULL &&
	    got < KEYS_PER_WAKEUP &&
	    (r = wget_wch(ui->input_win, &ch)) != ERR) {
		got++;
		key(ui, r, ch);
		ui->dirty = true;
	}
	/* Alt-N is ESC and N in one read; an ESC alone is not kept for later. */
	ui->esc = false;
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
	struct ui *ui = w->data;

	(void)loop;
	(void)revents;
	ui->quit_asked = true;      /* a signal leaves at once */
	ui->stop = true;
}

static bool all_drained(const struct ui *ui)
{
	for (size_t i = 0; i < ui->n_win; i++)
		if (!client_drained(ui->win[i]->client))
			return false;
	return true;
}

static size_t all_unsent(const struct ui *ui)
{
	size_t n = 0;

	for (size_t i = 0; i < ui->n_win; i++)
		n += win_unsent(ui->win[i]);
	return n;
}

/* Each room's signed LEAVE (docs/protocol.md "v2: INI"): members rotate at
 * once instead of waiting for the relay's LEFT. True when one was sent. */
static bool all_leave(struct ui *ui)
{
	bool sent = false;

	for (size_t i = 0; i < ui->n_win; i++)
		if (ui->win[i]->room_win == NULL && client_leave(ui->win[i]->client))
			sent = true;
	return sent;
}

/* The way out, as batch mode's: what is queued reaches the relay, then the
 * signed LEAVE, then that is written too; all within UI_DRAIN_SECONDS. */
static void on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ui *ui = container_of(w, struct ui, drain_w);
	bool drained = all_drained(ui);

	(void)revents;
	if (drained && !ui->leave_sent) {
		ui->leave_sent = true;
		if (all_leave(ui))
			return;     /* wait until it is written */
	}
	if ((drained && ui->leave_sent) || ev_now(loop) >= ui->drain_until) {
		ev_timer_stop(loop, w);
		ui->stop = true;
	}
}

/* Leave: lines still waiting for the key are never dropped silently; the
 * first try says so and the second leaves (printing them after the UI). */
void ui_quit(struct ui *ui, bool drain)
{
	size_t unsent = all_unsent(ui);

	if (unsent > 0 && !ui->quit_asked) {
		ui->quit_asked = true;
		ui_line(ui, SB_WARN, "%zu line%s not sent yet (no group key): they "
		    "are sent once the key comes; /quit or Ctrl-D again leaves without "
		    "them (they are printed on the way out)", unsent,
		    unsent == 1 ? "" : "s");
		return;
	}
	if (unsent == 0 && (drain || !ui->quit_asked)) {
		if (ev_is_active(&ui->drain_w))
			return;     /* already on the way out */
		if (!all_drained(ui))
			ui_line(ui, SB_INFO, "sending what is queued, then leaving");
		ui->quit_asked = true;
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
	for (size_t i = 0; i < ui->n_win && !ui->stop; i++)
		if (ui->win[i]->want_who) {
			ui->win[i]->want_who = false;
			ui->win[i]->quiet_who++;
			client_who(ui->win[i]->client);
		}
	if (ui->stop) {
		watchers_stop(ui);
		for (size_t i = 0; i < ui->n_win; i++)
			client_shutdown(ui->win[i]->client);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ui_files_work(ui);
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

/* --- history across runs ---------------------------------------------------- */

static void hist_line(void *ctx, const char *line, size_t len)
{
	input_hist_add_utf8(ctx, line, len);
}

static void hist_load(struct ui *ui)
{
	char path[4096];

	if (histfile_path(path, sizeof(path)) != 0 ||
	    (ui->hist_path = strdup(path)) == NULL)
		return;
	(void)histfile_load(ui->hist_path, hist_line, &ui->in);
}

static void hist_save(struct ui *ui)
{
	char *lines[INPUT_HIST_MAX] = { NULL }, err[512];
	size_t lens[INPUT_HIST_MAX] = { 0 }, n = 0;

	if (ui->hist_path == NULL)
		return;
	for (size_t i = 0; i < ui->in.hist_n && n < INPUT_HIST_MAX; i++)
		if ((lines[n] = input_hist_utf8(&ui->in, i, &lens[n])) != NULL)
			n++;
	if (histfile_save(ui->hist_path, lines, lens, n, err, sizeof(err)) != 0) {
		char safe[600];

		sanitize_str(err, strlen(err), safe, sizeof(safe), SAN_TAB_SPACE);
		fprintf(stderr, "sotto: input history not saved: %s\n", safe);
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
}

/* --- ui_main --------------------------------------------------------------- */

/* Wide characters need the user's locale; a terminal whose locale is not
 * UTF-8 gets ASCII only, everything else as a visible "\u{...}". */
static const char *locale_init(void)
{
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	ui_text_set_utf8(cs != NULL && strcmp(cs, "UTF-8") == 0);
	return ui_text_utf8() ? NULL : cs != NULL ? cs : "unknown";
}

static int model_init(struct ui *ui, struct ev_loop *loop,
    const struct client_config *cfg, const struct ui_options *opt)
{
	memset(ui, 0, sizeof(*ui));
	ui->loop = loop;
	ui->cfg = *cfg;
	ui->ts_format = opt != NULL && opt->ts_format != NULL ? opt->ts_format : "%H:%M";
	paste_init(&ui->paste);
	complete_reset(&ui->comp);
	return input_init(&ui->in);
}

static void model_free(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_win; i++)
		win_free(ui->win[i]);
	input_free(&ui->in);
	paste_free(&ui->paste);
	free(ui->held);
	free(ui->hist_path);
	sotto_identity_free(ui->cfg.ident);   /* windows sign with copies */
	ui->cfg.ident = NULL;
}

/* After endwin, on stderr, which is usually the same terminal: a file name
 * in the core's message is untrusted too. */
static void print_error(const char *msg)
{
	char safe[1024];

	sanitize_str(msg, strlen(msg), safe, sizeof(safe), SAN_TAB_SPACE);
	fprintf(stderr, "sotto: %s\n", safe);
}

/* Trusted-folder files skipped at start: one warning line each; the
 * status line keeps the count. */
static void trust_warnings(struct ui *ui)
{
	const char *const *warn;
	size_t n_warn, i, n = client_trust_skipped(ui->w->client, &warn, &n_warn);

	for (i = 0; i < n_warn; i++)
		ui_line(ui, SB_WARN, "not trusted: %s", warn[i]);
	if (n > n_warn)
		ui_line(ui, SB_WARN, "not trusted: %zu more files", n - n_warn);
}

int ui_startup_error(const char *detail)
{
	print_error(detail);
	return 1;
}

/* Lines typed but never sent: printed after the UI, never lost silently. */
static void print_unsent(const struct ui *ui)
{
	static char text[UI_MSG_MAX_CELLS * 4 + 1];

	for (size_t i = 0; i < ui->n_win; i++) {
		const struct scrollback *sb = &ui->win[i]->sb;
		size_t n = win_unsent(ui->win[i]);

		if (n == 0 && client_drained(ui->win[i]->client))
			continue;
		if (n == 0) {
			fprintf(stderr, "sotto: #%s: the last lines may not have reached "
			    "the relay\n", ui->win[i]->room);
			continue;
		}
		fprintf(stderr, "sotto: #%s: %zu line%s not sent:\n", ui->win[i]->room,
		    n, n == 1 ? "" : "s");
		for (size_t k = 0; k < sb->n; k++) {
			const struct sb_line *l = &sb->line[(sb->first + k) % sb->cap];

			if (!l->pending)
				continue;
			ui_cells_utf8(l->text.cell, l->text.n, text, sizeof(text));
			fprintf(stderr, "  %s\n", text);
		}
	}
}

static int ui_run(struct ui *ui, const char *bad_locale)
{
	char err[512];

	if (win_open(ui, ui->cfg.room != NULL ? ui->cfg.room : "lobby", err,
	    sizeof(err)) == NULL) {
		print_error(err);
		return 1;
	}
	ui->w = ui->win[0];
	if (term_start(ui, err, sizeof(err)) != 0) {
		print_error(err);
		return 1;
	}
	hist_load(ui);
	watchers_start(ui);
	/* The room's last lines from the local history, before connecting. */
	(void)client_history_start(ui->w->client);
	if (ui->hist_shown > 0)
		ui_line(ui, SB_INFO, "%zu line%s above from the local history",
		    ui->hist_shown, ui->hist_shown == 1 ? "" : "s");
	ui_line(ui, SB_INFO, "sotto: type /help for commands; PgUp/PgDn scroll, "
	    "Ctrl-D quits");
	trust_warnings(ui);
	if (client_uses_agent(ui->w->client))
		ui_line(ui, SB_INFO, "signing with ssh-agent");
	if (bad_locale != NULL)
		ui_line(ui, SB_WARN, "the locale's character set is %s, not UTF-8: "
		    "text past ASCII shows as \\u{...} and cannot be typed; start sotto "
		    "with a UTF-8 locale (e.g. LANG=C.UTF-8)", bad_locale);
	ev_run(ui->loop, 0);
	watchers_stop(ui);
	for (size_t i = 0; i < ui->n_win; i++)
		client_shutdown(ui->win[i]->client);
	term_stop(ui);
	hist_save(ui);
	print_unsent(ui);
	if (ui->fatal[0] != '\0')
		print_error(ui->fatal);
	return ui->exit_code;
}

int ui_main(struct ev_loop *loop, const struct client_config *cfg,
    const struct ui_options *opt)
{
	struct ui *ui = malloc(sizeof(*ui));
	const char *bad_locale;
	int rc = 1;

	if (ui == NULL) {
		fprintf(stderr, "sotto: out of memory\n");
		sotto_identity_free(cfg->ident);
		return 1;
	}
	bad_locale = locale_init();
	if (model_init(ui, loop, cfg, opt) == 0)
		rc = ui_run(ui, bad_locale);
	else
		fprintf(stderr, "sotto: out of memory\n");
	model_free(ui);
	free(ui);
	return rc;
}

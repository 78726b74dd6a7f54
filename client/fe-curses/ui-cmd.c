/* SPDX-License-Identifier: ISC */
/* ui-cmd.c: a typed line is a message to the room of the window shown, or a /command (fe-common/cmd.c's table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "err.h"
#include "pad.h"
#include "sanitize.h"
#include "trust.h"
#include "ui-colour.h"
#include "ui.h"
#include "wire.h"

static void cmd_who(struct ui *ui, const char *arg, size_t n)
{
	(void)arg;
	(void)n;
	client_who(ui->w->client);
}

static void cmd_fingerprint(struct ui *ui, const char *arg, size_t n)
{
	const char *fpr = client_fingerprint(ui->w->client);

	(void)arg;
	(void)n;
	ui_line(ui, SB_INFO, "your fingerprint: %s", fpr != NULL ? fpr : "?");
}

static void cmd_reload(struct ui *ui, const char *arg, size_t n)
{
	char err[256] = "";
	int r = 0;

	(void)arg;
	(void)n;
	for (size_t i = 0; i < ui->n_win && r == 0; i++)
		if (ui->win[i]->room_win == NULL)
			r = client_reload(ui->win[i]->client, err, sizeof(err));
	if (r != 0) {
		ui_line(ui, SB_WARN, "reload failed: %s", err[0] ? err : sotto_strerror(r));
		return;
	}
	ui_line(ui, SB_INFO, "re-read the trusted folder");
	for (size_t i = 0; i < ui->n_win; i++)
		ui->win[i]->want_who = true;
}

/* /quit [MESSAGE]: the message goes to every room first. */
static void cmd_quit(struct ui *ui, const char *arg, size_t n)
{
	int r;

	if (n > 0 && !ui->quit_asked)
		for (size_t i = 0; i < ui->n_win; i++)
			if (ui->win[i]->room_win == NULL &&
			    (r = client_send(ui->win[i]->client, SOTTO_CT_QUIT, arg, n)) != 0) {
				ui_line(ui, SB_WARN, "quit message not sent to #%s: %s",
				    ui->win[i]->room, r == SOTTO_E_TOOLONG ?
				    "longer than 256 bytes" : r == CLIENT_E_STRICT ?
				    "strict mode, an untrusted reader is present" :
				    sotto_strerror(r));
				return;
			}
	ui_quit(ui, true);
}

static void cmd_me(struct ui *ui, const char *arg, size_t n)
{
	if (n == 0) {
		ui_line(ui, SB_INFO, "usage: /me TEXT");
		return;
	}
	ui_say(ui, SOTTO_CT_ACTION, arg, n);
}

/* /away [REASON]: to every room; without a reason, back. */
static void cmd_away(struct ui *ui, const char *arg, size_t n)
{
	int r;

	for (size_t i = 0; i < ui->n_win; i++)
		if (ui->win[i]->room_win == NULL &&
		    (r = client_send(ui->win[i]->client, SOTTO_CT_AWAY, arg, n)) != 0) {
			ui_line(ui, SB_WARN, "away not sent to #%s: %s", ui->win[i]->room,
			    r == SOTTO_E_TOOLONG ? "reasons are at most 256 bytes" :
			    r == CLIENT_E_STRICT ? "strict mode, an untrusted reader is "
			    "present" : sotto_strerror(r));
			return;
		}
	ui->away = n > 0;
	if (n > 0)
		ui_line(ui, SB_INFO, "you are away: %.*s", (int)n, arg);
	else
		ui_line(ui, SB_INFO, "you are back");
}

static void cmd_clear(struct ui *ui, const char *arg, size_t n)
{
	(void)arg;
	(void)n;
	sb_clear(&ui->w->sb);
	ui->repaint = true;
}

static void cmd_strict(struct ui *ui, const char *arg, size_t n)
{
	bool on = !(n == 3 && memcmp(arg, "off", 3) == 0);

	if (n > 0 && !(n == 2 && memcmp(arg, "on", 2) == 0) && on) {
		ui_line(ui, SB_INFO, "usage: /strict [on|off]");
		return;
	}
	if (n == 0)
		on = !client_strict(ui->w->client);
	for (size_t i = 0; i < ui->n_win; i++)
		client_set_strict(ui->win[i]->client, on);
	ui->cfg.strict = on;
	ui_line(ui, SB_INFO, on ? "strict: on: nothing is sent while someone you do "
	    "not trust can read the room" : "strict: off");
}

static void cmd_join(struct ui *ui, const char *arg, size_t n)
{
	char room[80], err[256];
	struct ui_win *w;

	if (n == 0 || n >= sizeof(room)) {
		ui_line(ui, SB_INFO, "usage: /join ROOM");
		return;
	}
	memcpy(room, arg[0] == '#' ? arg + 1 : arg, arg[0] == '#' ? n - 1 : n);
	room[arg[0] == '#' ? n - 1 : n] = '\0';
	if ((w = win_open(ui, room, err, sizeof(err))) == NULL) {
		ui_line(ui, SB_WARN, "/join: %s", err);
		return;
	}
	win_show(ui, w->num);
	ui_line(ui, SB_INFO, "window %d: #%s on %s (Alt-%d or /window %d)", w->num,
	    w->room, w->relay, w->num, w->num);
}

/* The room window of the window shown (itself, or a private view's room). */
static struct ui_win *room_of(struct ui_win *w)
{
	return w->room_win != NULL ? w->room_win : w;
}

/* A direct message to name in the room of the window shown; the core's
 * echo shows it (in the private view with name). */
static void dm_send(struct ui *ui, const char *name, const char *text, size_t n)
{
	const char *reason;
	char why[512];

	if (client_send_dm(room_of(ui->w)->client, name, text, n, why, sizeof(why),
	    &reason) != 0)
		ui_line(ui, SB_WARN, "not sent: %s", why);
	ui->dirty = true;
}

/* /msg NAME TEXT */
static void cmd_msg(struct ui *ui, const char *arg, size_t n)
{
	char name[SOTTO_PEER_NAME_MAX + 1];
	const char *text;
	size_t len;

	if (!fe_cmd_name_text(arg, n, name, sizeof(name), &text, &len) || len == 0) {
		ui_line(ui, SB_INFO, "usage: /msg NAME TEXT");
		return;
	}
	dm_send(ui, name, text, len);
}

/* /query NAME: the private view with NAME in this room, shown. */
static void cmd_query(struct ui *ui, const char *arg, size_t n)
{
	char name[SOTTO_PEER_NAME_MAX + 1], err[128];
	struct ui_win *w;
	const char *text;
	size_t len;

	if (!fe_cmd_name_text(arg, n, name, sizeof(name), &text, &len) || len > 0) {
		ui_line(ui, SB_INFO, "usage: /query NAME");
		return;
	}
	if ((w = query_open(ui, room_of(ui->w), name, err, sizeof(err))) == NULL) {
		ui_line(ui, SB_WARN, "/query: %s", err);
		return;
	}
	win_show(ui, w->num);
}

/* /close: the private view shown goes (a room window stays until /quit:
 * closing it would leave the room, which /quit does for all of them). */
static void cmd_close(struct ui *ui, const char *arg, size_t n)
{
	struct ui_win *w = ui->w;
	char peer[SOTTO_PEER_NAME_MAX + 1];

	(void)arg;
	(void)n;
	if (w->peer == NULL) {
		ui_line(ui, SB_INFO, "window %d is the room #%s: /close closes private "
		    "views only (/quit leaves)", w->num, w->room);
		return;
	}
	snprintf(peer, sizeof(peer), "%s", w->peer);
	query_close(ui, w);
	ui_line(ui, SB_INFO, "closed the private view with %s (a DM from %s opens "
	    "it again; /query %s too)", peer, peer, peer);
}

static void cmd_window(struct ui *ui, const char *arg, size_t n)
{
	if (n != 1 || arg[0] < '1' || arg[0] > '9') {
		ui_line(ui, SB_INFO, "usage: /window N (1..%zu)", ui->n_win);
		return;
	}
	win_show(ui, arg[0] - '0');
}

/* The file commands (ui-files.c). Batch mode parses /send, /accept and
 * /cancel itself (fe-batch); fe-common's table does not hold them, so the
 * UI has its own rows, matched before that table. */
struct ui_file_cmd {
	const char *name, *usage, *help;
	void      (*fn)(struct ui *, const char *, size_t);
};

static const struct ui_file_cmd file_cmds[] = {
	{ "send", " [NAME] PATH", "offer a file to the room (to NAME only: a "
	  "private file)", ui_cmd_send },
	{ "accept", " N", "take file offer N", ui_cmd_accept },
	{ "cancel", " N", "stop transfer N, either way", ui_cmd_cancel },
	{ "view", " N", "received picture N as large as the terminal (a key "
	  "comes back)", ui_cmd_view },
};
#define FILE_CMDS_N (sizeof(file_cmds) / sizeof(file_cmds[0]))

/* The file command line names (ASCII case ignored), else NULL. */
static const struct ui_file_cmd *file_cmd(const char *line, size_t n)
{
	size_t len = 1;

	while (len < n && line[len] != ' ')
		len++;
	for (size_t i = 0; i < FILE_CMDS_N; i++) {
		size_t k = strlen(file_cmds[i].name);
		size_t j = 0;

		if (len - 1 != k)
			continue;
		while (j < k && (line[1 + j] | 0x20) == file_cmds[i].name[j])
			j++;
		if (j == k)
			return &file_cmds[i];
	}
	return NULL;
}

/* Tab completes these (and the names of the members). */
const char *const *ui_cmd_names(size_t *n)
{
	static const char *names[40];
	size_t k = 0;

	for (size_t i = 0; i < fe_cmds_n && k < 40; i++)
		names[k++] = fe_cmds[i].name;
	for (size_t i = 0; i < FILE_CMDS_N && k < 40; i++)
		names[k++] = file_cmds[i].name;
	*n = k;
	return names;
}

#define UI_HISTORY_DEFAULT 50u
#define UI_HISTORY_MAX     100000u
#define UI_SEARCH_HITS     200u
#define UI_SEARCH_SCAN     100000u

/* /history [N]: the last N stored lines of the window's conversation (the
 * room's, or in a private view the DMs with its peer). arg is
 * NUL-terminated. */
static void cmd_history(struct ui *ui, const char *arg)
{
	unsigned long n = UI_HISTORY_DEFAULT;
	char *end;

	if (*arg != '\0') {
		n = strtoul(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end != '\0' || n > UI_HISTORY_MAX) {
			ui_line(ui, SB_INFO, "usage: /history [N], N up to %u", UI_HISTORY_MAX);
			return;
		}
	}
	ui->hist_shown = 0;
	if ((ui->w->peer != NULL ? client_history_dm_replay(ui->w->client,
	    ui->w->peer, n, "history") : client_history_replay(ui->w->client, n,
	    "history")) == 0)
		ui_line(ui, SB_INFO, "%zu stored line%s above", ui->hist_shown,
		    ui->hist_shown == 1 ? "" : "s");
}

/* /search TEXT: the window's conversation (as /history) decrypted newest
 * first, in batches, up to UI_SEARCH_SCAN lines (docs/ui.md "History"). */
static void cmd_search(struct ui *ui, const char *arg)
{
	bool all;
	int n;

	if (*arg == '\0') {
		ui_line(ui, SB_INFO, "usage: /search TEXT");
		return;
	}
	ui->hist_shown = 0;
	if ((n = ui->w->peer != NULL ? client_history_dm_search(ui->w->client,
	    ui->w->peer, arg, UI_SEARCH_HITS, UI_SEARCH_SCAN, &all) :
	    client_history_search(ui->w->client, arg, UI_SEARCH_HITS,
	    UI_SEARCH_SCAN, &all)) < 0)
		return;
	ui_line(ui, SB_INFO, "%d match%s for \"%s\"%s", n, n == 1 ? "" : "es", arg,
	    all ? "" : " (stopped before the oldest stored lines)");
}

/* /forget: in a room window the room's stored lines with its DMs; in a
 * private view that conversation only. */
static void cmd_forget(struct ui *ui, const char *arg, size_t n)
{
	(void)arg;
	(void)n;
	if (ui->w->peer != NULL) {
		if (client_history_dm_forget(ui->w->client, ui->w->peer) == 0)
			ui_line(ui, SB_INFO, "the local history of your private "
			    "messages with %s in #%s is wiped", ui->w->peer, ui->w->room);
	} else if (client_history_forget(ui->w->client) == 0)
		ui_line(ui, SB_INFO, "this room's local history is wiped, its "
		    "private messages too");
}

/* The words after a command, leading spaces dropped, NUL-terminated. */
static bool cmd_words(const char *rest, size_t rest_len, char *buf, size_t cap)
{
	while (rest != NULL && rest_len > 0 && *rest == ' ') {
		rest++;
		rest_len--;
	}
	if (rest_len >= cap)
		return false;
	if (rest_len > 0)
		memcpy(buf, rest, rest_len);
	buf[rest_len] = '\0';
	return true;
}

static void cmd_help(struct ui *ui, const char *arg, size_t n)
{
	char head[32];

	(void)arg;
	(void)n;
	ui_line(ui, SB_INFO, "commands:");
	for (size_t i = 0; i < fe_cmds_n; i++) {
		snprintf(head, sizeof(head), "/%s%s", fe_cmds[i].name, fe_cmds[i].usage);
		ui_line(ui, SB_INFO, "  %-20s %s", head, fe_cmds[i].help);
	}
	for (size_t i = 0; i < FILE_CMDS_N; i++) {
		snprintf(head, sizeof(head), "/%s%s", file_cmds[i].name,
		    file_cmds[i].usage);
		ui_line(ui, SB_INFO, "  %-20s %s", head, file_cmds[i].help);
	}
	ui_line(ui, SB_INFO, "  //text               send a line that starts with /");
	ui_line(ui, SB_INFO, "keys: PgUp/PgDn scroll, End or Ctrl-End back to live, "
	    "Up/Down history, Tab completes, Ctrl-A/E/U/K/W edit, Alt-1..9 windows, "
	    "Ctrl-L redraw, Ctrl-D quits (Ctrl-C does not)");
}

static void command(struct ui *ui, const char *line, size_t n)
{
	const struct fe_cmd *cmd;
	const char *rest, *arg;
	size_t rest_len, alen;
	char words[SOTTO_TEXT_MAX + 1];
	const struct ui_file_cmd *fc;

	if ((fc = file_cmd(line, n)) != NULL) {
		size_t k = 1 + strlen(fc->name);

		while (k < n && line[k] == ' ')
			k++;
		fc->fn(ui, line + k, n - k);
		return;
	}
	if ((cmd = fe_cmd_parse(line, n, &rest, &rest_len)) == NULL) {
		size_t len = strcspn(line + 1, " ");

		ui_line(ui, SB_INFO, "unknown command %.*s: type /help for the list",
		    (int)(len + 1 < n ? len + 1 : n), line);
		return;
	}
	arg = fe_cmd_arg(rest, rest_len, &alen);
	switch (cmd->id) {
	case FE_CMD_WHO:         cmd_who(ui, arg, alen); break;
	case FE_CMD_FINGERPRINT: cmd_fingerprint(ui, arg, alen); break;
	case FE_CMD_RELOAD:      cmd_reload(ui, arg, alen); break;
	case FE_CMD_HELP:        cmd_help(ui, arg, alen); break;
	case FE_CMD_QUIT:        cmd_quit(ui, arg, alen); break;
	case FE_CMD_ME:          cmd_me(ui, arg, alen); break;
	case FE_CMD_AWAY:        cmd_away(ui, arg, alen); break;
	case FE_CMD_STRICT:      cmd_strict(ui, arg, alen); break;
	case FE_CMD_JOIN:        cmd_join(ui, arg, alen); break;
	case FE_CMD_WINDOW:      cmd_window(ui, arg, alen); break;
	case FE_CMD_CLEAR:       cmd_clear(ui, arg, alen); break;
	case FE_CMD_FORGET:      cmd_forget(ui, arg, alen); break;
	case FE_CMD_MSG:         cmd_msg(ui, arg, alen); break;
	case FE_CMD_QUERY:       cmd_query(ui, arg, alen); break;
	case FE_CMD_CLOSE:       cmd_close(ui, arg, alen); break;
	case FE_CMD_HISTORY:
	case FE_CMD_SEARCH:
		if (!cmd_words(rest, rest_len, words, sizeof(words))) {
			ui_line(ui, SB_INFO, "/%s: too long", cmd->name);
			return;
		}
		if (cmd->id == FE_CMD_HISTORY)
			cmd_history(ui, words);
		else
			cmd_search(ui, words);
		break;
	}
}

/* Our own line in the window shown, then to the core; pending until ready. */
void ui_say(struct ui *ui, uint8_t ctype, const char *text, size_t n)
{
	struct ui_win *w = ui->w;
	const char *name = w->self_name != NULL ? w->self_name : "me";
	char readers[512];
	struct sb_line *l;
	size_t k;
	int r;

	if (w->peer != NULL) {
		if (ctype != SOTTO_CT_TEXT)
			ui_line(ui, SB_INFO, "/me is for rooms; not sent");
		else
			dm_send(ui, w->peer, text, n);
		return;
	}
	if ((r = client_send(w->client, ctype, text, n)) != 0) {
		if (r == CLIENT_E_STRICT) {
			k = client_readers(w->client, readers, sizeof(readers));
			ui_line(ui, SB_WARN, "not sent (strict): %zu untrusted reader%s in "
			    "#%s: %s (/strict off to send anyway)", k, k == 1 ? "" : "s",
			    w->room, readers);
		} else {
			ui_line(ui, SB_WARN, "not sent: %s", sotto_strerror(r));
		}
		return;
	}
	l = sb_add(&w->sb, ctype == SOTTO_CT_ACTION ? SB_ACTION : SB_OWN, time(NULL));
	l->pending = !w->ready;
	l->pair = ui_colour_member(client_fingerprint(w->client));
	if (ctype == SOTTO_CT_ACTION) {
		ui_text_add(&l->text, name, strlen(name), 0, UI_NAME_MAX_CELLS);
		ui_text_add(&l->text, " ", 1, 0, 1);
	} else {
		ui_text_add(&l->name, name, strlen(name), 0, UI_NAME_MAX_CELLS);
	}
	ui_text_add(&l->text, text, n, SAN_TAB_SPACE | UI_TEXT_LINES, UI_MSG_MAX_CELLS);
	sb_commit(&w->sb, l);
	/* What we say, we want to see: back to the live end. */
	sb_live(&w->sb);
	ui->dirty = true;
}

void ui_submit(struct ui *ui, const char *line, size_t n, bool pasted)
{
	if (n == 0)
		return;
	if (pasted)
		ui_say(ui, SOTTO_CT_TEXT, line, n);    /* a paste is never a command */
	else if (line[0] == '/' && (n == 1 || line[1] != '/'))
		command(ui, line, n);
	else
		ui_say(ui, SOTTO_CT_TEXT, line[0] == '/' ? line + 1 : line,
		    line[0] == '/' ? n - 1 : n);
}

/* ui-cmd.c: a typed line is a message to the room or a /command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "ui-colour.h"
#include "ui.h"

struct ui_cmd {
	const char *name;
	void      (*fn)(struct ui *ui, const char *arg);
	const char *help;
};

#define UI_HISTORY_DEFAULT 50u
#define UI_HISTORY_MAX     100000u
#define UI_SEARCH_HITS     200u
#define UI_SEARCH_SCAN     100000u

static void cmd_who(struct ui *ui, const char *arg)
{
	(void)arg;
	client_who(ui->client);
}

static void cmd_fingerprint(struct ui *ui, const char *arg)
{
	(void)arg;
	const char *fpr = client_fingerprint(ui->client);

	ui_line(ui, SB_INFO, "your fingerprint: %s", fpr != NULL ? fpr : "?");
}

static void cmd_reload(struct ui *ui, const char *arg)
{
	(void)arg;
	char err[256] = "";
	int r = client_reload(ui->client, err, sizeof(err));

	if (r != 0) {
		ui_line(ui, SB_WARN, "reload failed: %s", err[0] ? err : sotto_strerror(r));
		return;
	}
	ui_line(ui, SB_INFO, "re-read the trusted folder");
	ui->want_who = true;
}

static void cmd_quit(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_quit(ui, true);
}

static void cmd_help(struct ui *ui, const char *arg);

/* /history [N]: the room's last N stored lines. */
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
	if (client_history_replay(ui->client, n, "history") == 0)
		ui_line(ui, SB_INFO, "%zu stored line%s above", ui->hist_shown,
		    ui->hist_shown == 1 ? "" : "s");
}

/* /search TEXT: decrypts the room's history newest first, in batches,
 * up to UI_SEARCH_SCAN lines (docs/ui.md "History"). */
static void cmd_search(struct ui *ui, const char *arg)
{
	bool all;
	int n;

	if (*arg == '\0') {
		ui_line(ui, SB_INFO, "usage: /search TEXT");
		return;
	}
	if ((n = client_history_search(ui->client, arg, UI_SEARCH_HITS,
	    UI_SEARCH_SCAN, &all)) < 0)
		return;
	ui_line(ui, SB_INFO, "%d match%s%s", n, n == 1 ? "" : "es",
	    all ? "" : " (stopped before the oldest stored lines)");
}

static void cmd_forget(struct ui *ui, const char *arg)
{
	(void)arg;
	if (client_history_forget(ui->client) == 0)
		ui_line(ui, SB_INFO, "this room's local history is wiped");
}

static const struct ui_cmd cmds[] = {
	{ "who",         cmd_who,         "members of the room with their fingerprints" },
	{ "fingerprint", cmd_fingerprint, "your own fingerprint, to compare with others" },
	{ "reload",      cmd_reload,      "re-read the trusted folder" },
	{ "history",     cmd_history,     "[N] the room's last N stored lines (default 50)" },
	{ "search",      cmd_search,      "TEXT: stored lines of the room containing TEXT" },
	{ "forget",      cmd_forget,      "wipe the room's local history" },
	{ "help",        cmd_help,        "this list" },
	{ "quit",        cmd_quit,        "send what is queued, then leave" },
};

static void cmd_help(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_line(ui, SB_INFO, "commands:");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ui_line(ui, SB_INFO, "  /%-12s %s", cmds[i].name, cmds[i].help);
	ui_line(ui, SB_INFO, "  //text        send a line that starts with /");
	ui_line(ui, SB_INFO, "keys: PgUp/PgDn scroll, End or Ctrl-End back to live, "
	    "Up/Down history, Ctrl-A/E/U/K/W edit, Ctrl-L redraw, Ctrl-D or Ctrl-C quit");
}

static void command(struct ui *ui, const char *line, size_t n)
{
	size_t len = strcspn(line + 1, " ");

	const char *arg = line + 1 + len;

	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == len && strncmp(cmds[i].name, line + 1, len) == 0) {
			cmds[i].fn(ui, arg);
			return;
		}
	ui_line(ui, SB_INFO, "unknown command %.*s: type /help for the list",
	    (int)(len + 1 < n ? len + 1 : n), line);
}

static void say(struct ui *ui, const char *text, size_t n)
{
	const char *name = ui->self_name != NULL ? ui->self_name : "me";
	struct sb_line *l;
	int r;

	if ((r = client_send_text(ui->client, text, n)) != 0) {
		ui_line(ui, SB_WARN, "not sent: %s", sotto_strerror(r));
		return;
	}
	l = sb_add(&ui->sb, SB_OWN, time(NULL));
	l->pending = !ui->ready;
	l->pair = ui_colour_member(client_fingerprint(ui->client));
	ui_text_add(&l->name, name, strlen(name), 0, UI_NAME_MAX_CELLS);
	ui_text_add(&l->text, text, n, 0, UI_MSG_MAX_CELLS);
	sb_commit(&ui->sb, l);
	/* What we say, we want to see: back to the live end. */
	sb_live(&ui->sb);
	ui->dirty = true;
}

void ui_submit(struct ui *ui, const char *line, size_t n)
{
	if (n == 0)
		return;
	if (line[0] == '/' && (n == 1 || line[1] != '/'))
		command(ui, line, n);
	else
		say(ui, line[0] == '/' ? line + 1 : line, line[0] == '/' ? n - 1 : n);
}

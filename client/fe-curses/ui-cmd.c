/* ui-cmd.c: a typed line is a message to the room or a /command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "err.h"
#include "ui-colour.h"
#include "ui.h"

static void cmd_who(struct ui *ui)
{
	client_who(ui->client);
}

static void cmd_fingerprint(struct ui *ui)
{
	const char *fpr = client_fingerprint(ui->client);

	ui_line(ui, SB_INFO, "your fingerprint: %s", fpr != NULL ? fpr : "?");
}

static void cmd_reload(struct ui *ui)
{
	char err[256] = "";
	int r = client_reload(ui->client, err, sizeof(err));

	if (r != 0) {
		ui_line(ui, SB_WARN, "reload failed: %s", err[0] ? err : sotto_strerror(r));
		return;
	}
	ui_line(ui, SB_INFO, "re-read the trusted folder");
	ui->want_who = true;
}

static void cmd_quit(struct ui *ui)
{
	ui_quit(ui, true);
}

static void cmd_help(struct ui *ui)
{
	ui_line(ui, SB_INFO, "commands:");
	for (size_t i = 0; i < fe_cmds_n; i++)
		ui_line(ui, SB_INFO, "  /%-12s %s", fe_cmds[i].name, fe_cmds[i].help);
	ui_line(ui, SB_INFO, "  //text        send a line that starts with /");
	ui_line(ui, SB_INFO, "keys: PgUp/PgDn scroll, End or Ctrl-End back to live, "
	    "Up/Down history, Ctrl-A/E/U/K/W edit, Ctrl-L redraw, Ctrl-D or Ctrl-C quit");
}

/* Words after a command's name are ignored: no command takes any. */
static void command(struct ui *ui, const char *line, size_t n)
{
	const struct fe_cmd *cmd;
	const char *rest;
	size_t rest_len;

	if ((cmd = fe_cmd_parse(line, n, &rest, &rest_len)) == NULL) {
		size_t len = strcspn(line + 1, " ");

		ui_line(ui, SB_INFO, "unknown command %.*s: type /help for the list",
		    (int)(len + 1 < n ? len + 1 : n), line);
		return;
	}
	switch (cmd->id) {
	case FE_CMD_WHO:         cmd_who(ui); break;
	case FE_CMD_FINGERPRINT: cmd_fingerprint(ui); break;
	case FE_CMD_RELOAD:      cmd_reload(ui); break;
	case FE_CMD_HELP:        cmd_help(ui); break;
	case FE_CMD_QUIT:        cmd_quit(ui); break;
	}
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

/* SPDX-License-Identifier: ISC */
/* cmd.c: the slash-command table both front-ends use, and the parser of a typed /command. */
#include <string.h>

#include "cmd.h"

const struct fe_cmd fe_cmds[] = {
	{ FE_CMD_WHO,         "who",         FE_ARGS_NONE,     "",          false,
	  "members of the room with their fingerprints; untrusted readers" },
	{ FE_CMD_FINGERPRINT, "fingerprint", FE_ARGS_NONE,     "",          false,
	  "your own fingerprint, to compare with others" },
	{ FE_CMD_ME,          "me",          FE_ARGS_REQUIRED, " TEXT",     false,
	  "an action: * you TEXT" },
	{ FE_CMD_MSG,         "msg",         FE_ARGS_REQUIRED, " NAME TEXT", false,
	  "a private message only NAME's current session can read" },
	{ FE_CMD_QUERY,       "query",       FE_ARGS_REQUIRED, " NAME",     true,
	  "a window of private messages with NAME (typed lines go to NAME)" },
	{ FE_CMD_CLOSE,       "close",       FE_ARGS_NONE,     "",          true,
	  "close this private view (its number goes; a later DM opens it again)" },
	{ FE_CMD_AWAY,        "away",        FE_ARGS_OPTIONAL, " [REASON]", false,
	  "away with a reason (shown to the others), or back without one" },
	{ FE_CMD_STRICT,      "strict",      FE_ARGS_OPTIONAL, " [on|off]", false,
	  "send nothing while someone you do not trust can read the room" },
	{ FE_CMD_JOIN,        "join",        FE_ARGS_REQUIRED, " ROOM",     true,
	  "another room on the same relay, in a new window" },
	{ FE_CMD_WINDOW,      "window",      FE_ARGS_REQUIRED, " N",        true,
	  "show window N (also Alt-N)" },
	{ FE_CMD_CLEAR,       "clear",       FE_ARGS_NONE,     "",          true,
	  "empty this window's scrollback" },
	{ FE_CMD_RELOAD,      "reload",      FE_ARGS_NONE,     "",          false,
	  "re-read the trusted folder" },
	{ FE_CMD_HISTORY,     "history",     FE_ARGS_OPTIONAL, " [N]",      false,
	  "the last N stored lines of the room, or of a private view's DMs" },
	{ FE_CMD_SEARCH,      "search",      FE_ARGS_REQUIRED, " TEXT",     false,
	  "stored lines of the room, or of a private view's DMs, containing TEXT" },
	{ FE_CMD_FORGET,      "forget",      FE_ARGS_NONE,     "",          false,
	  "wipe the room's stored lines and DMs, or one private view's DMs" },
	{ FE_CMD_HELP,        "help",        FE_ARGS_NONE,     "",          false,
	  "this list" },
	{ FE_CMD_QUIT,        "quit",        FE_ARGS_OPTIONAL, " [MESSAGE]", false,
	  "send what is queued (and MESSAGE to the others), then leave" },
};
const size_t fe_cmds_n = sizeof(fe_cmds) / sizeof(fe_cmds[0]);

/* ASCII only, whatever the locale (tolower() would follow it); the
 * table's names are lower-case ASCII. */
static int
name_is(const char *name, const char *p, size_t n)
{
	size_t i;
	char ch;

	if (strlen(name) != n)
		return 0;
	for (i = 0; i < n; i++) {
		ch = p[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != name[i])
			return 0;
	}
	return 1;
}

const struct fe_cmd *
fe_cmd_parse(const char *line, size_t len, const char **rest, size_t *rest_len)
{
	const char *sp;
	size_t n, i;

	*rest = NULL;
	*rest_len = 0;
	if (len == 0 || line[0] != '/')
		return NULL;
	sp = memchr(line + 1, ' ', len - 1);
	n = sp != NULL ? (size_t)(sp - (line + 1)) : len - 1;
	for (i = 0; i < fe_cmds_n; i++)
		if (name_is(fe_cmds[i].name, line + 1, n)) {
			if (sp != NULL) {
				*rest = sp;
				*rest_len = len - 1 - n;
			}
			return &fe_cmds[i];
		}
	return NULL;
}

bool
fe_cmd_args_ok(const struct fe_cmd *cmd, const char *rest, size_t rest_len)
{
	bool words = rest != NULL && rest_len > 1;

	switch (cmd->args) {
	case FE_ARGS_NONE:     return rest == NULL;
	case FE_ARGS_OPTIONAL: return rest == NULL || words;
	case FE_ARGS_REQUIRED: return words;
	}
	return false;
}

const char *
fe_cmd_arg(const char *rest, size_t rest_len, size_t *len)
{
	*len = 0;
	if (rest == NULL || rest_len < 1)
		return "";
	*len = rest_len - 1;
	return rest + 1;
}

bool
fe_cmd_name_text(const char *arg, size_t len, char *name, size_t name_cap,
    const char **text, size_t *text_len)
{
	const char *sp = memchr(arg, ' ', len);
	size_t n = sp != NULL ? (size_t)(sp - arg) : len;

	*text = NULL;
	*text_len = 0;
	if (name_cap > 0)
		name[0] = '\0';
	if (n == 0 || n >= name_cap)
		return false;
	memcpy(name, arg, n);
	name[n] = '\0';
	if (sp != NULL) {
		*text = sp + 1;
		*text_len = len - n - 1;
	}
	return true;
}

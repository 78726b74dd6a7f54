/* cmd.c: the slash-command table both front-ends use, and the parser of a typed /command. */
#include <string.h>

#include "cmd.h"

const struct fe_cmd fe_cmds[] = {
	{ FE_CMD_WHO,         "who",         "members of the room with their fingerprints" },
	{ FE_CMD_FINGERPRINT, "fingerprint", "your own fingerprint, to compare with others" },
	{ FE_CMD_RELOAD,      "reload",      "re-read the trusted folder" },
	{ FE_CMD_HELP,        "help",        "this list" },
	{ FE_CMD_QUIT,        "quit",        "send what is queued, then leave" },
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

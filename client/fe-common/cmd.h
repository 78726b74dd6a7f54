/* SPDX-License-Identifier: ISC */
/* cmd.h: the slash commands of both front-ends: one table, names matched without regard to ASCII case. */
#ifndef SOTTO_FE_CMD_H
#define SOTTO_FE_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* Every front-end handles every id (a switch without default: the
 * compiler's -Wswitch names a front-end that forgot a new one). */
enum fe_cmd_id {
	FE_CMD_WHO,
	FE_CMD_FINGERPRINT,
	FE_CMD_RELOAD,
	FE_CMD_HELP,
	FE_CMD_QUIT,
	FE_CMD_HISTORY,
	FE_CMD_SEARCH,
	FE_CMD_FORGET,
	FE_CMD_ME,
	FE_CMD_AWAY,
	FE_CMD_STRICT,
	FE_CMD_JOIN,
	FE_CMD_WINDOW,
	FE_CMD_CLEAR,
	FE_CMD_MSG,
	FE_CMD_QUERY,
	FE_CMD_CLOSE,
};

/* What follows the name. */
enum fe_cmd_args {
	FE_ARGS_NONE,             /* the name alone */
	FE_ARGS_OPTIONAL,         /* "/away" or "/away REASON" */
	FE_ARGS_REQUIRED,         /* "/me TEXT" */
};

struct fe_cmd {
	enum fe_cmd_id   id;
	const char      *name;    /* without the '/', lower case */
	enum fe_cmd_args args;
	const char      *usage;   /* the words after the name, for /help */
	bool             ui_only; /* windows and scrollback: not in batch mode */
	const char      *help;    /* one line for /help */
};

/* The table, in /help order. */
extern const struct fe_cmd fe_cmds[];
extern const size_t fe_cmds_n;

/* The command a typed line names. line[0] must be '/'; the name runs to
 * the first space or the end of the line and matches without regard to
 * ASCII case. *rest is what follows the name (the space included), NULL
 * when nothing does. Returns NULL for an unknown name. */
const struct fe_cmd *fe_cmd_parse(const char *line, size_t len,
    const char **rest, size_t *rest_len);
/* Does what follows the name (rest as fe_cmd_parse gave it) suit the
 * command? A single space with nothing after it counts as no words. */
bool fe_cmd_args_ok(const struct fe_cmd *cmd, const char *rest, size_t rest_len);
/* The words after the command's name: rest without its leading space. */
const char *fe_cmd_arg(const char *rest, size_t rest_len, size_t *len);
/* /msg's argument: NAME (the first word, a member's display name) and the
 * text after the single space that ends it. False when there is no name
 * or the name is longer than name_cap - 1; name is NUL-terminated. */
bool fe_cmd_name_text(const char *arg, size_t len, char *name, size_t name_cap,
    const char **text, size_t *text_len);

#endif

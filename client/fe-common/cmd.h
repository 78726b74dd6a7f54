/* cmd.h: the slash commands of both front-ends: one table, names matched without regard to ASCII case. */
#ifndef SOTTO_FE_CMD_H
#define SOTTO_FE_CMD_H

#include <stddef.h>

/* Every front-end handles every id (a switch without default: the
 * compiler's -Wswitch names a front-end that forgot a new one). */
enum fe_cmd_id {
	FE_CMD_WHO,
	FE_CMD_FINGERPRINT,
	FE_CMD_RELOAD,
	FE_CMD_HELP,
	FE_CMD_QUIT,
};

struct fe_cmd {
	enum fe_cmd_id id;
	const char    *name;      /* without the '/', lower case */
	const char    *help;      /* one line for /help */
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

#endif

/* SPDX-License-Identifier: ISC */
/* config.h: the per-user config file (`key = value`, keys are long flags) merged into argv.
 *
 * A program's config file holds its long flags without the dashes, one per
 * line; `#` starts a comment line. sotto_config_apply() reads the file and
 * hands main() a new argv: argv[0], then one `--key=value` (or `--key`) per
 * setting, then the command line's own arguments. getopt_long() sees the
 * file's settings first, so a flag given on the command line wins.
 *
 * The command line also controls the file itself (these are consumed here
 * and never reach main's getopt):
 *   --config FILE   read FILE instead of the default (it must exist)
 *   --no-config     read no file
 *   --no-FLAG       cancel a `FLAG = yes` from the file (FLAG takes no value)
 *
 * The file is untrusted text: it is read through the bounds-checked reader,
 * must be UTF-8 without control characters (tab allowed), and every error is
 * one line "FILE:LINE: what is wrong".
 */
#ifndef SOTTO_CONFIG_H
#define SOTTO_CONFIG_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#define SOTTO_CONFIG_FILE_MAX  (64u * 1024u)  /* larger files are refused */
#define SOTTO_CONFIG_LINE_MAX  4096u          /* bytes per line, without \n */
#define SOTTO_CONFIG_KEY_MAX   64u            /* bytes in a setting's name */
#define SOTTO_CONFIG_REL_PATH  "sotto/config" /* under $XDG_CONFIG_HOME */

struct sotto_config_entry {
	char     *key;     /* owned: a long option's name */
	char     *value;   /* owned: its value; NULL for a flag that is off */
	int       on;      /* a no_argument flag set to yes */
	unsigned  line;
};

struct sotto_config {
	struct sotto_config_entry *e;   /* owned, in file order */
	size_t                     n;
};

/* argv for getopt_long: argv[1 .. 1+owned) were made from the file. */
struct sotto_args {
	int     argc;
	char  **argv;    /* owned array, NULL-terminated */
	size_t  owned;
};

/* Parse the file's bytes p[0..len). `file` names it in errors. Allowed
 * keys: the long names in opts (getopt_long's table, ended by a NULL name)
 * except help, version, config and no-config. A key may appear once. A
 * value starting with `~/` (or `~` alone) has $HOME put in its place. */
int sotto_config_parse(const uint8_t *p, size_t len, const char *file,
    const struct option *opts, struct sotto_config **out, char *err,
    size_t err_len);
/* Read and parse the file at path: SOTTO_E_NOTFOUND when it is missing. */
int sotto_config_load(const char *path, const struct option *opts,
    struct sotto_config **out, char *err, size_t err_len);
void sotto_config_free(struct sotto_config *c);

/* The default file: $XDG_CONFIG_HOME/sotto/config, where XDG_CONFIG_HOME
 * defaults to $HOME/.config (a relative XDG_CONFIG_HOME is ignored, as the
 * XDG spec says). SOTTO_E_NOTFOUND when neither variable is usable. */
int sotto_config_default_path(char *out, size_t out_len);

/* Build out from c (may be NULL) and the command line, dropping the
 * command line's --config FILE, --no-config and --no-FLAG (which cancels
 * FLAG from c). optstring is getopt's, so values of short options are
 * skipped like getopt does. */
int sotto_config_merge(const struct sotto_config *c, const struct option *opts,
    const char *optstring, int argc, char **argv, struct sotto_args *out,
    char *err, size_t err_len);
/* What a main() calls: pick the file from argv (default, --config or
 * --no-config), load it (a missing default file is no error) and merge.
 * With --help or --version (or a short flag that stands for them in opts)
 * no file is read, so they answer even when the file is broken. */
int sotto_config_apply(const struct option *opts, const char *optstring,
    int argc, char **argv, struct sotto_args *out, char *err, size_t err_len);
void sotto_args_free(struct sotto_args *a);

#endif

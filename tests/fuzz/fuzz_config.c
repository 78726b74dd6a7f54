/* SPDX-License-Identifier: ISC */
/* fuzz_config.c: the config file parser and the merge into argv on any file bytes.
 * Input: the file's bytes. Checks: an error is one "fuzz:LINE: ..." line (or
 * the size bound) and leaves no result; a success holds only known,
 * settable keys, each once, with values free of control characters, and
 * merges into exactly argv[0] + its settings that are on + the command line. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct option OPTS[] = {
	{ "identity",   required_argument, NULL, 'i' },
	{ "room",       required_argument, NULL, 'r' },
	{ "batch",      no_argument,       NULL, 'b' },
	{ "colour",     optional_argument, NULL, 'c' },
	{ "help",       no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("HOME", "/home/fuzz", 1);
	return 0;
}

static int known(const char *key)
{
	const struct option *o;

	for (o = OPTS; o->name != NULL; o++)
		if (strcmp(o->name, key) == 0)
			return strcmp(key, "help") != 0;
	return 0;
}

static int clean(const char *v)
{
	size_t i, n = strlen(v), len;
	uint32_t cp;

	for (i = 0; i < n; i += len)
		if ((len = sotto_utf8_decode((const uint8_t *)v + i, n - i, &cp)) == 0 ||
		    (cp != '\t' && sotto_unicode_is_cc(cp)))
			return 0;
	return 1;
}

static void check_success(const struct sotto_config *c)
{
	static char *argv[] = { "sotto", "--no-batch", "relay", NULL };
	struct sotto_args a;
	size_t i, j, on = 0;
	char err[512];

	for (i = 0; i < c->n; i++) {
		const struct sotto_config_entry *e = &c->e[i];

		if (!known(e->key) || e->line == 0 ||
		    (e->value != NULL && (e->on || !clean(e->value))) ||
		    (strcmp(e->key, "batch") == 0) != (e->value == NULL) ||
		    (strcmp(e->key, "room") == 0 && e->value[0] == '\0'))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->e[j].key, e->key) == 0 || c->e[j].line >= e->line)
				abort();
		/* --no-batch on the command line cancels the file's batch. */
		on += e->value != NULL;
	}
	if (sotto_config_merge(c, OPTS, "hi:", 3, argv, &a, err, sizeof(err)) != 0)
		abort();
	if ((size_t)a.argc != 1 + on + 1 || a.owned != on ||
	    strcmp(a.argv[a.argc - 1], "relay") != 0 || a.argv[a.argc] != NULL)
		abort();
	for (i = 1; i <= on; i++)
		if (strncmp(a.argv[i], "--", 2) != 0 || strncmp(a.argv[i], "--batch", 7) == 0)
			abort();
	sotto_args_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotto_config *c = (struct sotto_config *)&c;
	char err[512];
	int r;

	r = sotto_config_parse(data, size, "fuzz", OPTS, &c, err, sizeof(err));
	if (r != 0) {
		if (c != NULL || r > 0 || strchr(err, '\n') != NULL ||
		    (strncmp(err, "fuzz:", 5) != 0) ||
		    (size <= SOTTO_CONFIG_FILE_MAX && (err[5] < '1' || err[5] > '9')))
			abort();
		return 0;
	}
	if (c == NULL)
		abort();
	check_success(c);
	sotto_config_free(c);
	return 0;
}

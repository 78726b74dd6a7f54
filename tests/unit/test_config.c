/* SPDX-License-Identifier: ISC */
/* test_config.c: the config file parser, its one-line errors, and the merge into argv. */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "err.h"

/* A table like the client's. */
static const struct option OPTS[] = {
	{ "identity",   required_argument, NULL, 'i' },
	{ "room",       required_argument, NULL, 'r' },
	{ "batch",      no_argument,       NULL, 'b' },
	{ "strict",     no_argument,       NULL, 's' },
	{ "colour",     optional_argument, NULL, 'c' },
	{ "help",       no_argument,       NULL, 'h' },
	{ "version",    no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};
static const char OPTSTRING[] = "hi:";

static char root[64];

static int parse(const char *text, struct sotto_config **c, char *err, size_t n)
{
	return sotto_config_parse((const uint8_t *)text, strlen(text), "cfg",
	    OPTS, c, err, n);
}

static const struct sotto_config_entry *entry(const struct sotto_config *c,
    const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

static void test_good_file(void)
{
	struct sotto_config *c = NULL;
	const struct sotto_config_entry *e;
	char err[256];

	setenv("HOME", "/home/alice", 1);
	CHECK_EQ(parse(
	    "# my sotto\n"
	    "\n"
	    "   \t\n"
	    "  room\t=  #ops on call  \r\n"
	    "identity=~/keys/id ed25519\n"
	    "batch = yes\n"
	    "strict = no\n"
	    "colour =\n"
	    "\t# indented comment", &c, err, sizeof(err)), 0);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_EQ(c->n, 5);
	/* The value is the rest of the line: '#' inside it is kept. */
	CHECK((e = entry(c, "room")) != NULL && strcmp(e->value, "#ops on call") == 0);
	CHECK(e != NULL && e->line == 4);
	CHECK((e = entry(c, "identity")) != NULL &&
	    strcmp(e->value, "/home/alice/keys/id ed25519") == 0);
	CHECK((e = entry(c, "batch")) != NULL && e->on && e->value == NULL);
	CHECK((e = entry(c, "strict")) != NULL && !e->on && e->value == NULL);
	CHECK((e = entry(c, "colour")) != NULL && strcmp(e->value, "") == 0);
	sotto_config_free(c);

	/* Empty and comment-only files are fine; ~ inside a value is not expanded. */
	CHECK_EQ(parse("", &c, err, sizeof(err)), 0);
	CHECK(c != NULL && c->n == 0);
	sotto_config_free(c);
	CHECK_EQ(parse("room = a~/b\nidentity = ~x\n", &c, err, sizeof(err)), 0);
	CHECK(c != NULL && strcmp(entry(c, "room")->value, "a~/b") == 0 &&
	    strcmp(entry(c, "identity")->value, "~x") == 0);
	sotto_config_free(c);
	CHECK_EQ(parse("identity = ~\n", &c, err, sizeof(err)), 0);
	CHECK(c != NULL && strcmp(entry(c, "identity")->value, "/home/alice") == 0);
	sotto_config_free(c);
}

struct bad {
	const char *text;
	int         r;
	const char *err;
};

static void test_errors(void)
{
	static char longline[SOTTO_CONFIG_LINE_MAX + 16], longkey[200];
	const struct bad cases[] = {
		{ "room = a\nrom = b\n", SOTTO_E_FORMAT, "cfg:2: unknown setting \"rom\"" },
		{ "--room = a\n", SOTTO_E_FORMAT, "cfg:1: write settings without the leading -- (\"room = lobby\")" },
		{ "room lobby\n", SOTTO_E_FORMAT, "cfg:1: expected \"=\" after \"room\"" },
		{ "room\n", SOTTO_E_FORMAT, "cfg:1: expected \"=\" after \"room\"" },
		{ "= x\n", SOTTO_E_FORMAT, "cfg:1: expected \"setting = value\"" },
		{ "room =   \n", SOTTO_E_FORMAT, "cfg:1: \"room\" needs a value" },
		{ "batch = maybe\n", SOTTO_E_FORMAT, "cfg:1: \"batch\" takes yes or no" },
		{ "batch =\n", SOTTO_E_FORMAT, "cfg:1: \"batch\" takes yes or no" },
		{ "\n# c\nroom = a\nroom = b\n", SOTTO_E_EXISTS, "cfg:4: \"room\" already set on line 3" },
		{ "help = yes\n", SOTTO_E_FORMAT, "cfg:1: \"help\" cannot be set in a config file" },
		{ "version = yes\n", SOTTO_E_FORMAT, "cfg:1: \"version\" cannot be set in a config file" },
		{ "config = x\n", SOTTO_E_FORMAT, "cfg:1: unknown setting \"config\"" },
		{ "room = caf\xc3\n", SOTTO_E_FORMAT, "cfg:1: not valid UTF-8" },
		{ "room = \xc0\xaf\n", SOTTO_E_FORMAT, "cfg:1: not valid UTF-8" },
		{ "room = a\x1b[31m\n", SOTTO_E_FORMAT, "cfg:1: control character U+001B" },
		{ "room = a\rb\n", SOTTO_E_FORMAT, "cfg:1: control character U+000D" },
		{ "room = \xc2\x9b" "1m\n", SOTTO_E_FORMAT, "cfg:1: control character U+009B" },
		{ "Room = a\n", SOTTO_E_FORMAT, "cfg:1: unknown setting \"Room\"" },
		{ "ro om = a\n", SOTTO_E_FORMAT, "cfg:1: expected \"=\" after \"ro\"" },
		{ longline, SOTTO_E_TOOLONG, "cfg:2: line longer than 4096 bytes" },
		{ longkey, SOTTO_E_TOOLONG, "cfg:1: setting name longer than 64 bytes" },
	};
	struct sotto_config *c;
	char err[256];
	size_t i;

	memset(longline, 'x', sizeof(longline) - 1);
	memcpy(longline, "#\n# ", 4);
	memset(longkey, 'k', sizeof(longkey) - 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = (struct sotto_config *)&c;   /* must be cleared */
		CHECK_EQ(parse(cases[i].text, &c, err, sizeof(err)), cases[i].r);
		CHECK(c == NULL);
		if (strcmp(err, cases[i].err) != 0)
			fprintf(stderr, "case %zu: got \"%s\"\n", i, err);
		CHECK_STR(err, cases[i].err);
		CHECK(strchr(err, '\n') == NULL);
	}
	/* A NUL byte is a control character too (strlen-based parse() cannot say it). */
	c = NULL;
	CHECK_EQ(sotto_config_parse((const uint8_t *)"room = a\0b\n", 11, "cfg", OPTS,
	    &c, err, sizeof(err)), SOTTO_E_FORMAT);
	CHECK_STR(err, "cfg:1: control character U+0000");
	/* ~ with no $HOME to put there. */
	unsetenv("HOME");
	CHECK_EQ(parse("identity = ~/id\n", &c, err, sizeof(err)), SOTTO_E_INVAL);
	CHECK_STR(err, "cfg:1: \"identity\" starts with ~ but $HOME is not set");
	setenv("HOME", "/home/alice", 1);
	/* A file at the size bound parses; one byte more is refused whole. */
	{
		size_t n = SOTTO_CONFIG_FILE_MAX;
		uint8_t *big = malloc(n + 1);

		CHECK(big != NULL);
		memset(big, '\n', n + 1);
		CHECK_EQ(sotto_config_parse(big, n, "cfg", OPTS, &c, err, sizeof(err)), 0);
		sotto_config_free(c);
		CHECK_EQ(sotto_config_parse(big, n + 1, "cfg", OPTS, &c, err,
		    sizeof(err)), SOTTO_E_TOOLONG);
		CHECK_STR(err, "cfg: larger than 65536 bytes");
		free(big);
	}
}

/* getopt_long over merged args, as a main would: the last value wins. */
struct seen {
	const char *room, *identity, *operand;
	int batch, strict;
};

static int run_getopt(struct sotto_args *a, struct seen *s)
{
	int ch;

	memset(s, 0, sizeof(*s));
	optind = 0;   /* glibc: full reinitialisation */
	opterr = 0;
	while ((ch = getopt_long(a->argc, a->argv, OPTSTRING, OPTS, NULL)) != -1) {
		switch (ch) {
		case 'r': s->room = optarg; break;
		case 'i': s->identity = optarg; break;
		case 'b': s->batch = 1; break;
		case 's': s->strict = 1; break;
		case 'c': break;
		default: return -1;
		}
	}
	if (optind < a->argc)
		s->operand = a->argv[optind];
	return 0;
}

static int merge(const char *text, int argc, char **argv, struct sotto_args *a,
    char *err, size_t n)
{
	struct sotto_config *c = NULL;
	int r;

	if (text != NULL && parse(text, &c, err, n) != 0)
		return -100;
	r = sotto_config_merge(c, OPTS, OPTSTRING, argc, argv, a, err, n);
	sotto_config_free(c);
	return r;
}

static void test_merge(void)
{
	static const char file[] = "room = ops\nidentity = /k/id\nbatch = yes\nstrict = yes\n";
	struct sotto_args a;
	struct seen s;
	char err[256];

	/* Nothing on the command line: the file's values. */
	{
		char *argv[] = { "sotto", NULL };

		CHECK_EQ(merge(file, 1, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(a.argc, 5);
		CHECK_EQ(a.owned, 4);
		CHECK_STR(a.argv[0], "sotto");
		CHECK_STR(a.argv[1], "--room=ops");
		CHECK_STR(a.argv[3], "--batch");
		CHECK(a.argv[a.argc] == NULL);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "ops") == 0);
		CHECK(s.batch && s.strict);
		sotto_args_free(&a);
	}
	/* Flags override; --no-FLAG cancels the file's yes and is consumed. */
	{
		char *argv[] = { "sotto", "--room", "dev", "-i", "/other", "--no-strict",
			"relay:7700", NULL };

		CHECK_EQ(merge(file, 7, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "dev") == 0);
		CHECK(s.identity != NULL && strcmp(s.identity, "/other") == 0);
		CHECK(s.batch && !s.strict);
		CHECK(s.operand != NULL && strcmp(s.operand, "relay:7700") == 0);
		sotto_args_free(&a);
	}
	/* Values that look like our flags stay values; after -- nothing is ours. */
	{
		char *argv[] = { "sotto", "--room", "--no-batch", "-i", "--config",
			"--", "--no-strict", NULL };

		CHECK_EQ(merge(file, 7, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(a.argc, 1 + 4 + 6);
		CHECK_STR(a.argv[5], "--room");
		CHECK_STR(a.argv[6], "--no-batch");
		CHECK_STR(a.argv[8], "--config");
		CHECK_STR(a.argv[10], "--no-strict");
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "--no-batch") == 0);
		CHECK(s.batch && s.strict);
		sotto_args_free(&a);
	}
	/* An abbreviated long option still swallows its value. */
	{
		char *argv[] = { "sotto", "--ro", "--no-batch", NULL };

		CHECK_EQ(merge(file, 3, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "--no-batch") == 0 && s.batch);
		sotto_args_free(&a);
	}
	/* No file: argv unchanged, except --no-FLAG, --config and --no-config. */
	{
		char *argv[] = { "sotto", "--no-batch", "--config", "x", "--no-config",
			"--config=y", "--batch", NULL };

		CHECK_EQ(merge(NULL, 7, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(a.argc, 2);
		CHECK_EQ(a.owned, 0);
		CHECK_STR(a.argv[1], "--batch");
		sotto_args_free(&a);
	}
	/* --no-help, --no-room: not cancellations; getopt rejects them. */
	{
		char *argv[] = { "sotto", "--no-room", NULL };

		CHECK_EQ(merge(file, 2, argv, &a, err, sizeof(err)), 0);
		CHECK_EQ(a.argc, 6);
		CHECK_EQ(run_getopt(&a, &s), -1);
		sotto_args_free(&a);
	}
	{
		char *argv[] = { "sotto", "--config", NULL };

		CHECK_EQ(merge(NULL, 2, argv, &a, err, sizeof(err)), SOTTO_E_INVAL);
		CHECK_STR(err, "--config needs a file");
		CHECK(a.argv == NULL);
	}
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static void test_apply(void)
{
	char xdg[128], path[256], other[256], dir[192], err[512];
	struct sotto_args a;
	struct seen s;

	snprintf(xdg, sizeof(xdg), "%s/xdg", root);
	snprintf(dir, sizeof(dir), "%s/sotto", xdg);
	snprintf(path, sizeof(path), "%s/config", dir);
	snprintf(other, sizeof(other), "%s/other", root);
	CHECK_EQ(mkdir(xdg, 0700), 0);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	CHECK_EQ(sotto_config_default_path(err, sizeof(err)), 0);
	CHECK_STR(err, path);

	/* No file yet: fine, nothing added. */
	{
		char *argv[] = { "sotto", "--room", "x", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 3, argv, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(a.argc, 3);
		sotto_args_free(&a);
	}
	CHECK_EQ(mkdir(dir, 0700), 0);
	put(path, "room = fromfile\n");
	put(other, "room = fromother\n");
	{
		char *argv[] = { "sotto", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 1, argv, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "fromfile") == 0);
		sotto_args_free(&a);
	}
	{
		char *argv[] = { "sotto", "--config", other, NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 3, argv, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room != NULL && strcmp(s.room, "fromother") == 0);
		sotto_args_free(&a);
	}
	{
		char *argv[] = { "sotto", "--config", other, "--no-config", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 4, argv, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(run_getopt(&a, &s), 0);
		CHECK(s.room == NULL);
		sotto_args_free(&a);
	}
	/* A named file must exist; a bad default file is an error too. */
	{
		char *argv[] = { "sotto", "--config=/nonexistent/cfg", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 2, argv, &a, err,
		    sizeof(err)), SOTTO_E_NOTFOUND);
		CHECK_STR(err, "/nonexistent/cfg: cannot open: No such file or directory");
	}
	put(path, "room = ok\nbogus = 1\n");
	{
		char *argv[] = { "sotto", NULL }, want[320];

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 1, argv, &a, err,
		    sizeof(err)), SOTTO_E_FORMAT);
		snprintf(want, sizeof(want), "%s:2: unknown setting \"bogus\"", path);
		CHECK_STR(err, want);
		CHECK(a.argv == NULL);
	}
	/* --help and --version answer even with a broken file, which is not read. */
	{
		char *argv[] = { "sotto", "--room", "-h", "-h", NULL };
		char *argv2[] = { "sotto", "--vers", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 4, argv, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(a.argc, 4);
		CHECK_EQ(a.owned, 0);
		sotto_args_free(&a);
		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 2, argv2, &a, err,
		    sizeof(err)), 0);
		CHECK_EQ(a.argc, 2);
		sotto_args_free(&a);
	}
	/* -h as the value of --room is no help: the file is read. */
	{
		char *argv[] = { "sotto", "--room", "-h", NULL };

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 3, argv, &a, err,
		    sizeof(err)), SOTTO_E_FORMAT);
	}
	/* Not a regular file: a folder, and a FIFO (which must not hang us). */
	{
		char *argv[] = { "sotto", "--config", dir, NULL }, fifo[256];

		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 3, argv, &a, err,
		    sizeof(err)), SOTTO_E_IO);
		CHECK(strstr(err, ": not a regular file") != NULL);
		snprintf(fifo, sizeof(fifo), "%s/fifo", root);
		CHECK_EQ(mkfifo(fifo, 0600), 0);
		argv[2] = fifo;
		CHECK_EQ(sotto_config_apply(OPTS, OPTSTRING, 3, argv, &a, err,
		    sizeof(err)), SOTTO_E_IO);
		unlink(fifo);
	}
	/* XDG_CONFIG_HOME relative or unset: $HOME/.config. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/bob", 1);
	CHECK_EQ(sotto_config_default_path(err, sizeof(err)), 0);
	CHECK_STR(err, "/home/bob/.config/sotto/config");
	unsetenv("XDG_CONFIG_HOME");
	CHECK_EQ(sotto_config_default_path(err, sizeof(err)), 0);
	CHECK_STR(err, "/home/bob/.config/sotto/config");
	unsetenv("HOME");
	CHECK_EQ(sotto_config_default_path(err, sizeof(err)), SOTTO_E_NOTFOUND);
	unlink(path);
	unlink(other);
	rmdir(dir);
	rmdir(xdg);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/sotto-config.XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	test_good_file();
	test_errors();
	test_merge();
	test_apply();
	rmdir(root);
	return check_summary();
}

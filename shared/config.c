/* SPDX-License-Identifier: ISC */
/* config.c: parse the per-user config file and merge its settings in front of argv. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "utf8.h"

/* Flags about the file itself or that only make sense once: never settings. */
static const char *const NOT_SETTINGS[] = { "help", "version", "config", "no-config" };

struct line_ctx {
	const char          *file;
	unsigned             line;
	const struct option *opts;
	struct sotto_config *c;
	char                *err;
	size_t               err_len;
};

static int failf(char *err, size_t err_len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int line_fail(const struct line_ctx *l, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(char *err, size_t err_len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int
is_key_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static const struct option *
find_exact(const struct option *opts, const char *name, size_t n)
{
	for (; opts->name != NULL; opts++)
		if (strlen(opts->name) == n && memcmp(opts->name, name, n) == 0)
			return opts;
	return NULL;
}

static int
is_setting(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(NOT_SETTINGS) / sizeof(NOT_SETTINGS[0]); i++)
		if (strcmp(name, NOT_SETTINGS[i]) == 0)
			return 0;
	return 1;
}

void
sotto_config_free(struct sotto_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c);
}

/* --- parsing ------------------------------------------------------------------ */



static int
line_fail(const struct line_ctx *l, int r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return failf(l->err, l->err_len, r, "%s:%u: %s", l->file, l->line, what);
}

/* UTF-8 without control characters other than tab. */
static int
check_text(const struct line_ctx *l, const uint8_t *p, size_t n)
{
	struct sotto_rd rd;
	uint32_t cp;
	int r;

	sotto_rd_init(&rd, p, n);
	while (sotto_rd_left(&rd) > 0) {
		if ((r = sotto_utf8_next(&rd, &cp)) != 0)
			return line_fail(l, SOTTO_E_FORMAT, "not valid UTF-8");
		if (cp != '\t' && sotto_unicode_is_cc(cp))
			return line_fail(l, SOTTO_E_FORMAT, "control character "
			    "U+%04X", (unsigned)cp);
	}
	return 0;
}

/* The value as main will see it: `~` or `~/...` start with $HOME. */
static int
expand_value(const struct line_ctx *l, const char *key, const uint8_t *v,
    size_t n, char **out)
{
	const char *home = "";
	size_t hn = 0;

	*out = NULL;
	if (n > 0 && v[0] == '~' && (n == 1 || v[1] == '/')) {
		home = getenv("HOME");
		if (home == NULL || home[0] == '\0')
			return line_fail(l, SOTTO_E_INVAL, "\"%s\" starts with ~ "
			    "but $HOME is not set", key);
		hn = strlen(home);
		v++;
		n--;
	}
	if (hn > SIZE_MAX - n - 1 || (*out = malloc(hn + n + 1)) == NULL)
		return line_fail(l, SOTTO_E_ALLOC, "out of memory");
	memcpy(*out, home, hn);
	if (n > 0)
		memcpy(*out + hn, v, n);
	(*out)[hn + n] = '\0';
	return 0;
}

/* yes/no for a flag that takes no value. */
static int
parse_switch(const struct line_ctx *l, const char *key, const uint8_t *v,
    size_t n, int *on)
{
	static const char *const yes[] = { "yes", "true", "on" };
	static const char *const no[] = { "no", "false", "off" };
	size_t i;

	*on = 0;
	for (i = 0; i < 3; i++) {
		if (n == strlen(yes[i]) && memcmp(v, yes[i], n) == 0) {
			*on = 1;
			return 0;
		}
		if (n == strlen(no[i]) && memcmp(v, no[i], n) == 0)
			return 0;
	}
	return line_fail(l, SOTTO_E_FORMAT, "\"%s\" takes yes or no", key);
}

static int
add_entry(const struct line_ctx *l, const struct option *o, const uint8_t *v,
    size_t vn)
{
	struct sotto_config *c = l->c;
	struct sotto_config_entry e = { NULL, NULL, 0, l->line }, *grown;
	size_t i;
	int r;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, o->name) == 0)
			return line_fail(l, SOTTO_E_EXISTS, "\"%s\" already set "
			    "on line %u", o->name, c->e[i].line);
	if (o->has_arg == no_argument) {
		if ((r = parse_switch(l, o->name, v, vn, &e.on)) != 0)
			return r;
	} else if (o->has_arg == required_argument && vn == 0) {
		return line_fail(l, SOTTO_E_FORMAT, "\"%s\" needs a value", o->name);
	} else if ((r = expand_value(l, o->name, v, vn, &e.value)) != 0) {
		return r;
	}
	/* n is bounded by the option table: each key appears once. */
	if ((e.key = strdup(o->name)) == NULL ||
	    (grown = realloc(c->e, (c->n + 1) * sizeof(*c->e))) == NULL) {
		free(e.key);
		free(e.value);
		return line_fail(l, SOTTO_E_ALLOC, "out of memory");
	}
	c->e = grown;
	c->e[c->n++] = e;
	return 0;
}

/* One line, without its \n: blank, a comment, or key = value. */
static int
parse_line(const struct line_ctx *l, const uint8_t *p, size_t n)
{
	const struct option *o;
	char key[SOTTO_CONFIG_KEY_MAX + 1];
	size_t i = 0, k;
	int r;

	while (n > 0 && (is_blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	if ((r = check_text(l, p, n)) != 0)
		return r;
	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	if (p[i] == '-')
		return line_fail(l, SOTTO_E_FORMAT, "write settings without the "
		    "leading -- (\"room = lobby\")");
	for (k = i; i < n && is_key_char(p[i]); i++)
		;
	if (i == k)
		return line_fail(l, SOTTO_E_FORMAT, "expected \"setting = value\"");
	if (i - k > SOTTO_CONFIG_KEY_MAX)
		return line_fail(l, SOTTO_E_TOOLONG, "setting name longer than %u "
		    "bytes", SOTTO_CONFIG_KEY_MAX);
	memcpy(key, p + k, i - k);
	key[i - k] = '\0';
	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] != '=')
		return line_fail(l, SOTTO_E_FORMAT, "expected \"=\" after \"%s\"",
		    key);
	i++;
	while (i < n && is_blank(p[i]))
		i++;
	if ((o = find_exact(l->opts, key, strlen(key))) == NULL || !is_setting(key))
		return line_fail(l, SOTTO_E_FORMAT, o == NULL ?
		    "unknown setting \"%s\"" : "\"%s\" cannot be set in a config "
		    "file", key);
	return add_entry(l, o, p + i, n - i);
}

int
sotto_config_parse(const uint8_t *p, size_t len, const char *file,
    const struct option *opts, struct sotto_config **out, char *err,
    size_t err_len)
{
	struct line_ctx l = { file, 0, opts, NULL, err, err_len };
	struct sotto_rd rd;
	const uint8_t *line, *nl;
	size_t n;
	int r = 0;

	*out = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if (len > SOTTO_CONFIG_FILE_MAX)
		return failf(err, err_len, SOTTO_E_TOOLONG, "%s: larger than %u "
		    "bytes", file, SOTTO_CONFIG_FILE_MAX);
	if ((l.c = calloc(1, sizeof(*l.c))) == NULL)
		return failf(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", file);
	sotto_rd_init(&rd, p, len);
	while (r == 0 && (n = sotto_rd_left(&rd)) > 0) {
		l.line++;
		nl = memchr(rd.p, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - rd.p);
		if (n > SOTTO_CONFIG_LINE_MAX) {
			r = line_fail(&l, SOTTO_E_TOOLONG, "line longer than %u "
			    "bytes", SOTTO_CONFIG_LINE_MAX);
			break;
		}
		if ((r = sotto_rd_ptr(&rd, &line, n)) != 0 ||
		    (nl != NULL && (r = sotto_rd_skip(&rd, 1)) != 0))
			break;
		r = parse_line(&l, line, n);
	}
	if (r != 0) {
		sotto_config_free(l.c);
		return r;
	}
	*out = l.c;
	return 0;
}

/* --- the file ------------------------------------------------------------------- */

static int
read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t err_len)
{
	size_t cap = SOTTO_CONFIG_FILE_MAX + 1, n = 0;
	struct stat st;
	uint8_t *p = NULL;
	ssize_t got;
	int fd, r;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO at the path must not hang the program. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return failf(err, err_len, errno == ENOENT ? SOTTO_E_NOTFOUND :
		    SOTTO_E_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		r = failf(err, err_len, SOTTO_E_IO, "%s: cannot stat: %s", path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		r = failf(err, err_len, SOTTO_E_IO, "%s: not a regular file", path);
	else if ((p = malloc(cap)) == NULL)
		r = failf(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", path);
	else
		r = 0;
	while (r == 0 && n < cap && (got = read(fd, p + n, cap - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = failf(err, err_len, SOTTO_E_IO, "%s: read failed: %s",
			    path, strerror(errno));
		else
			n += (size_t)got;
	}
	close(fd);
	if (r == 0 && n > SOTTO_CONFIG_FILE_MAX)
		r = failf(err, err_len, SOTTO_E_TOOLONG, "%s: larger than %u bytes",
		    path, SOTTO_CONFIG_FILE_MAX);
	if (r != 0) {
		free(p);
		return r;
	}
	*buf = p;
	*len = n;
	return 0;
}

int
sotto_config_load(const char *path, const struct option *opts,
    struct sotto_config **out, char *err, size_t err_len)
{
	uint8_t *p;
	size_t n;
	int r;

	*out = NULL;
	if ((r = read_file(path, &p, &n, err, err_len)) != 0)
		return r;
	r = sotto_config_parse(p, n, path, opts, out, err, err_len);
	free(p);
	return r;
}

int
sotto_config_default_path(char *out, size_t out_len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (out_len > 0)
		out[0] = '\0';
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, out_len, "%s/" SOTTO_CONFIG_REL_PATH, xdg);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, out_len, "%s/.config/" SOTTO_CONFIG_REL_PATH, home);
	else
		return SOTTO_E_NOTFOUND;
	if (n < 0 || (size_t)n >= out_len)
		return SOTTO_E_TOOLONG;
	return 0;
}

/* --- merging into argv -------------------------------------------------------- */

/* What the command line says about the file. */
struct cmdline {
	const char *config;      /* --config FILE */
	int         no_config;
	char      **kept;        /* argv minus what this module consumes */
	int         nkept;
	uint8_t    *cancel;      /* per opts index: --no-FLAG seen */
	int         info;        /* --help or --version: work even if the file is bad */
};

/* getopt_long's match: exact, else a unique prefix. */
static const struct option *
find_long(const struct option *opts, const char *name, size_t n)
{
	const struct option *o, *hit = NULL;

	if ((o = find_exact(opts, name, n)) != NULL)
		return o;
	for (o = opts; o->name != NULL; o++) {
		if (strncmp(o->name, name, n) != 0)
			continue;
		if (hit != NULL)
			return NULL;   /* ambiguous: getopt will say so */
		hit = o;
	}
	return hit;
}

/* Whether the short-option cluster `a` (after its '-') swallows the next
 * argument as the value of its last option. */
static int
short_takes_next(const char *optstring, const char *a)
{
	const char *s;

	for (; *a != '\0'; a++) {
		if (*a == ':' || (s = strchr(optstring, *a)) == NULL)
			continue;
		if (s[1] == ':')
			return a[1] == '\0' && s[2] != ':';
	}
	return 0;
}

static int
is_info(const struct option *o)
{
	return o != NULL && (strcmp(o->name, "help") == 0 ||
	    strcmp(o->name, "version") == 0);
}

/* The option a short flag character stands for in opts, if any. */
static const struct option *
find_short(const struct option *opts, int c)
{
	for (; opts->name != NULL; opts++)
		if (opts->flag == NULL && opts->val == c)
			return opts;
	return NULL;
}

/* --no-FLAG where FLAG takes no value and no-FLAG is not a real option. */
static const struct option *
cancelled_flag(const struct option *opts, const char *name)
{
	const struct option *o;

	if (strncmp(name, "no-", 3) != 0 || strchr(name, '=') != NULL ||
	    find_exact(opts, name, strlen(name)) != NULL)
		return NULL;
	o = find_exact(opts, name + 3, strlen(name + 3));
	return o != NULL && o->has_arg == no_argument && is_setting(o->name) ? o : NULL;
}

static int
scan_long(struct cmdline *cl, const struct option *opts, int argc, char **argv,
    int *i, char *err, size_t err_len)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '=');
	size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct option *o;

	if (n == 6 && memcmp(name, "config", 6) == 0) {
		if (eq != NULL)
			cl->config = eq + 1;
		else if (*i + 1 < argc)
			cl->config = argv[++*i];
		else
			return failf(err, err_len, SOTTO_E_INVAL, "--config needs "
			    "a file");
		if (cl->config[0] == '\0')
			return failf(err, err_len, SOTTO_E_INVAL, "--config needs "
			    "a file");
		cl->no_config = 0;   /* the last of the two wins, as with flags */
		return 0;
	}
	if (strcmp(name, "no-config") == 0) {
		cl->no_config = 1;
		cl->config = NULL;
		return 0;
	}
	if ((o = cancelled_flag(opts, name)) != NULL) {
		cl->cancel[o - opts] = 1;
		return 0;
	}
	cl->kept[cl->nkept++] = argv[*i];
	o = find_long(opts, name, n);
	cl->info |= is_info(o);
	if (o != NULL && o->has_arg == required_argument && eq == NULL &&
	    *i + 1 < argc)
		cl->kept[cl->nkept++] = argv[++*i];
	return 0;
}

/* -h (or any short flag that stands for help/version) in a cluster, up
 * to the first flag that takes a value (the rest is that value). */
static void
scan_short_info(struct cmdline *cl, const struct option *opts,
    const char *optstring, const char *a)
{
	const char *s;

	for (; *a != '\0'; a++) {
		if (*a == ':' || (s = strchr(optstring, *a)) == NULL)
			return;
		cl->info |= is_info(find_short(opts, *a));
		if (s[1] == ':')
			return;
	}
}

static int
scan_cmdline(struct cmdline *cl, const struct option *opts, const char *optstring,
    int argc, char **argv, char *err, size_t err_len)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				cl->kept[cl->nkept++] = argv[i++];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			cl->kept[cl->nkept++] = argv[i];   /* operand; getopt permutes */
			continue;
		}
		if (a[1] == '-') {
			if ((r = scan_long(cl, opts, argc, argv, &i, err, err_len)) != 0)
				return r;
			continue;
		}
		cl->kept[cl->nkept++] = argv[i];
		scan_short_info(cl, opts, optstring, a + 1);
		if (short_takes_next(optstring, a + 1) && i + 1 < argc)
			cl->kept[cl->nkept++] = argv[++i];
	}
	return 0;
}

/* "--key=value" or "--key". */
static char *
entry_arg(const struct sotto_config_entry *e)
{
	size_t n = 2 + strlen(e->key) + (e->value ? 1 + strlen(e->value) : 0) + 1;
	char *s;

	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "--%s%s%s", e->key, e->value ? "=" : "",
		    e->value ? e->value : "");
	return s;
}

static int
cancelled(const struct cmdline *cl, const struct option *opts, const char *key)
{
	const struct option *o = find_exact(opts, key, strlen(key));

	return o != NULL && cl->cancel[o - opts];
}

static int
build_args(const struct cmdline *cl, const struct sotto_config *c,
    const struct option *opts, char *argv0, struct sotto_args *out)
{
	size_t i, ncfg = c != NULL ? c->n : 0;
	int j;

	if ((out->argv = calloc(ncfg + (size_t)cl->nkept + 2, sizeof(char *))) == NULL)
		return SOTTO_E_ALLOC;
	out->argv[out->argc++] = argv0;
	for (i = 0; i < ncfg; i++) {
		const struct sotto_config_entry *e = &c->e[i];

		if ((e->value == NULL && !e->on) || cancelled(cl, opts, e->key))
			continue;
		/* argv[1 .. 1+owned) stay the file's strings, freed by _free. */
		if ((out->argv[out->argc] = entry_arg(e)) == NULL)
			return SOTTO_E_ALLOC;
		out->argc++;
		out->owned++;
	}
	for (j = 0; j < cl->nkept; j++)
		out->argv[out->argc++] = cl->kept[j];
	out->argv[out->argc] = NULL;
	return 0;
}

static void
cmdline_free(struct cmdline *cl)
{
	free(cl->kept);
	free(cl->cancel);
	memset(cl, 0, sizeof(*cl));
}

static int
cmdline_read(struct cmdline *cl, const struct option *opts, const char *optstring,
    int argc, char **argv, char *err, size_t err_len)
{
	size_t nopts = 0;
	int r;

	memset(cl, 0, sizeof(*cl));
	if (argc < 1)
		return failf(err, err_len, SOTTO_E_INVAL, "empty argument list");
	while (opts[nopts].name != NULL)
		nopts++;
	cl->kept = calloc((size_t)argc, sizeof(char *));
	cl->cancel = calloc(nopts + 1, 1);
	if (cl->kept == NULL || cl->cancel == NULL)
		r = failf(err, err_len, SOTTO_E_ALLOC, "out of memory");
	else
		r = scan_cmdline(cl, opts, optstring, argc, argv, err, err_len);
	if (r != 0)
		cmdline_free(cl);
	return r;
}

static int
cmdline_build(struct cmdline *cl, const struct sotto_config *c,
    const struct option *opts, char **argv, struct sotto_args *out, char *err,
    size_t err_len)
{
	int r;

	if ((r = build_args(cl, c, opts, argv[0], out)) != 0) {
		sotto_args_free(out);
		r = failf(err, err_len, r, "out of memory");
	}
	cmdline_free(cl);
	return r;
}

int
sotto_config_merge(const struct sotto_config *c, const struct option *opts,
    const char *optstring, int argc, char **argv, struct sotto_args *out,
    char *err, size_t err_len)
{
	struct cmdline cl;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = cmdline_read(&cl, opts, optstring, argc, argv, err, err_len)) != 0)
		return r;
	return cmdline_build(&cl, c, opts, argv, out, err, err_len);
}

int
sotto_config_apply(const struct option *opts, const char *optstring,
    int argc, char **argv, struct sotto_args *out, char *err, size_t err_len)
{
	struct sotto_config *c = NULL;
	struct cmdline cl;
	char path[4096];
	const char *file = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = cmdline_read(&cl, opts, optstring, argc, argv, err, err_len)) != 0)
		return r;
	if (cl.info)
		file = NULL;   /* --help and --version answer whatever the file holds */
	else if (cl.config != NULL)
		file = cl.config;
	else if (!cl.no_config && sotto_config_default_path(path, sizeof(path)) == 0)
		file = path;
	if (file != NULL) {
		r = sotto_config_load(file, opts, &c, err, err_len);
		if (r == SOTTO_E_NOTFOUND && cl.config == NULL)
			r = 0;   /* no default file: nothing to merge */
		if (r != 0) {
			cmdline_free(&cl);
			return r;
		}
	}
	r = cmdline_build(&cl, c, opts, argv, out, err, err_len);
	sotto_config_free(c);
	return r;
}

void
sotto_args_free(struct sotto_args *a)
{
	size_t i;

	if (a->argv != NULL)
		for (i = 0; i < a->owned; i++)
			free(a->argv[1 + i]);
	free(a->argv);
	memset(a, 0, sizeof(*a));
}

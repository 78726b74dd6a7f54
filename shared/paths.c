/* SPDX-License-Identifier: ISC */
/* paths.c: the per-user default config, identity, trusted and state paths (XDG), and mkdir -p. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "paths.h"
#include "sshkey.h"

static int perr2(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
perr2(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + 1 + strlen(b) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ?
	    pw->pw_dir : NULL;
}

/* $VAR/sotto when VAR is absolute, else HOME/fallback/sotto. */
static char *
xdg_dir(const char *var, const char *home, const char *fallback)
{
	const char *v = getenv(var);
	char *base, *s;

	if (v != NULL && v[0] == '/')
		return join(v, "sotto");
	if ((base = join(home, fallback)) == NULL)
		return NULL;
	s = join(base, "sotto");
	free(base);
	return s;
}

/* ~/.ssh/id_ed25519 counts when it exists and holds an ed25519 key
 * (its public part is readable without the passphrase). */
static int
ssh_key_usable(const char *path)
{
	struct sotto_keyinfo info;
	uint8_t *buf;
	size_t len;
	int r;

	if (sotto_keyfile_read(path, 1, &buf, &len, NULL, 0) != 0)
		return 0;
	r = sotto_identity_info(path, buf, len, &info, NULL, 0);
	sotto_keyfile_free(buf, 1);
	return r == 0;
}

void
sotto_paths_free(struct sotto_paths *p)
{
	free(p->config_dir);
	free(p->identity);
	free(p->trusted);
	free(p->state_dir);
	memset(p, 0, sizeof(*p));
}

int
sotto_paths_default(struct sotto_paths *p, char *err, size_t err_len)
{
	const char *home = home_dir();
	char *ssh_id = NULL;
	struct stat st;

	memset(p, 0, sizeof(*p));
	if (home == NULL)
		return perr2(err, err_len, SOTTO_E_NOTFOUND, "cannot find your "
		    "home folder (HOME is not set)");
	if ((p->config_dir = xdg_dir("XDG_CONFIG_HOME", home, ".config")) == NULL ||
	    (p->state_dir = xdg_dir("XDG_STATE_HOME", home, ".local/state")) == NULL ||
	    (p->trusted = join(p->config_dir, "trusted")) == NULL ||
	    (p->identity = join(p->config_dir, "id_ed25519")) == NULL ||
	    (ssh_id = join(home, ".ssh/id_ed25519")) == NULL)
		goto nomem;
	if (stat(p->identity, &st) != 0 && ssh_key_usable(ssh_id)) {
		free(p->identity);
		p->identity = ssh_id;
		p->identity_from_ssh = 1;
		ssh_id = NULL;
	}
	free(ssh_id);
	return 0;
 nomem:
	free(ssh_id);
	sotto_paths_free(p);
	return perr2(err, err_len, SOTTO_E_ALLOC, "out of memory");
}

int
sotto_mkdirs(const char *path, mode_t mode, char *err, size_t err_len)
{
	char *s = strdup(path), *q;
	int r = 0;

	if (s == NULL)
		return perr2(err, err_len, SOTTO_E_ALLOC, "out of memory");
	for (q = s + 1; ; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST) {
			r = perr2(err, err_len, SOTTO_E_IO, "%s: cannot create the "
			    "folder: %s", s, strerror(errno));
			break;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(s);
	return r;
}

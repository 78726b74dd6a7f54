/* SPDX-License-Identifier: ISC */
/* strictmodes.c: ownership and mode checks on the trusted folder, its parents and its files (as ssh's safe_path). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "strictmodes.h"

static int serr(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
serr(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int
owner_ok(const struct stat *st, uid_t uid)
{
	return st->st_uid == 0 || st->st_uid == uid;
}

/* One folder on the path: owner, and no group/other write unless it is
 * a root-owned sticky folder (others cannot rename what we own there). */
static int
dir_check(const char *path, const struct stat *st, uid_t uid, int is_target,
    char *err, size_t err_len)
{
	if (!S_ISDIR(st->st_mode))
		return serr(err, err_len, SOTTO_E_PERM, "%s: not a folder", path);
	if (!owner_ok(st, uid))
		return serr(err, err_len, SOTTO_E_PERM, "%s: bad ownership: owned "
		    "by uid %u, not by you or root", path, (unsigned)st->st_uid);
	if ((st->st_mode & 022) == 0)
		return 0;
	if (!is_target && st->st_uid == 0 && (st->st_mode & S_ISVTX))
		return 0;
	return serr(err, err_len, SOTTO_E_PERM, "%s: bad permissions: "
	    "writable by %s (mode %04o); run chmod go-w %s", path,
	    (st->st_mode & 002) ? "others" : "group",
	    (unsigned)(st->st_mode & 07777), path);
}

int
sotto_strict_dir(const char *dir, uid_t uid, char **real, char *err,
    size_t err_len)
{
	const char *home = getenv("HOME");
	char *path, *slash;
	struct stat st;
	int r = 0, first = 1;

	*real = NULL;
	if ((path = realpath(dir, NULL)) == NULL)
		return serr(err, err_len, errno == ENOENT ? SOTTO_E_NOTFOUND :
		    SOTTO_E_IO, "%s: cannot open the trusted folder: %s", dir,
		    strerror(errno));
	if ((*real = strdup(path)) == NULL) {
		free(path);
		return serr(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", dir);
	}
	/* From the folder up: stop after $HOME or at /. */
	for (;;) {
		if (stat(path, &st) != 0) {
			r = serr(err, err_len, SOTTO_E_IO, "%s: cannot stat: %s",
			    path, strerror(errno));
			break;
		}
		if ((r = dir_check(path, &st, uid, first, err, err_len)) != 0)
			break;
		first = 0;
		if (home != NULL && strcmp(path, home) == 0)
			break;
		if ((slash = strrchr(path, '/')) == NULL || slash == path) {
			if (strcmp(path, "/") != 0) {
				path[1] = '\0';
				continue;
			}
			break;
		}
		*slash = '\0';
	}
	free(path);
	if (r != 0) {
		free(*real);
		*real = NULL;
	}
	return r;
}

/* A symlinked entry: its target, which must sit inside the folder. */
static int
link_target(const char *real, const char *name, const char *label,
    char **target, char *err, size_t err_len)
{
	size_t rl = strlen(real), n = rl + 1 + strlen(name) + 1;
	char *path;

	*target = NULL;
	if ((path = malloc(n)) == NULL)
		return serr(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", label);
	snprintf(path, n, "%s/%s", real, name);
	*target = realpath(path, NULL);
	free(path);
	if (*target == NULL)
		return serr(err, err_len, SOTTO_E_IO, "%s: broken symlink: %s",
		    label, strerror(errno));
	if (strncmp(*target, real, rl) != 0 || (*target)[rl] != '/') {
		serr(err, err_len, SOTTO_E_PERM, "%s: symlink points outside "
		    "the trusted folder (to %s)", label, *target);
		free(*target);
		*target = NULL;
		return SOTTO_E_PERM;
	}
	return 0;
}

int
sotto_strict_open(const char *real, const char *name, const char *label,
    uid_t uid, int *fd, char *err, size_t err_len)
{
	char *target = NULL, *path = NULL;
	struct stat st;
	size_t n;
	int r;

	*fd = -1;
	n = strlen(real) + 1 + strlen(name) + 1;
	if ((path = malloc(n)) == NULL)
		return serr(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", label);
	snprintf(path, n, "%s/%s", real, name);
	if (lstat(path, &st) != 0) {
		r = serr(err, err_len, SOTTO_E_IO, "%s: cannot stat: %s", label,
		    strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		if ((r = link_target(real, name, label, &target, err,
		    err_len)) != 0)
			goto out;
		free(path);
		path = target;
	}
	/* O_NOFOLLOW: the path checked above is the one opened; O_NONBLOCK:
	 * a FIFO planted here must not hang us. */
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
	    O_NONBLOCK)) < 0) {
		r = serr(err, err_len, SOTTO_E_IO, "%s: cannot open: %s", label,
		    strerror(errno));
		goto out;
	}
	r = SOTTO_E_PERM;
	if (fstat(*fd, &st) != 0)
		r = serr(err, err_len, SOTTO_E_IO, "%s: cannot stat: %s", label,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		serr(err, err_len, r, "%s: not a regular file", label);
	else if (!owner_ok(&st, uid))
		serr(err, err_len, r, "%s: bad ownership: owned by uid %u, not "
		    "by you or root", label, (unsigned)st.st_uid);
	else if ((st.st_mode & 022) != 0)
		serr(err, err_len, r, "%s: bad permissions: writable by %s "
		    "(mode %04o); run chmod go-w %s", label,
		    (st.st_mode & 002) ? "others" : "group",
		    (unsigned)(st.st_mode & 07777), label);
	else
		r = 0;
	if (r != 0) {
		close(*fd);
		*fd = -1;
	}
 out:
	free(path);
	return r;
}

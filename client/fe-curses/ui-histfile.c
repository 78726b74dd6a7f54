/* SPDX-License-Identifier: ISC */
/* ui-histfile.c: input history on disk: the XDG state path, reading it back, replacing it atomically with mode 0600. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "ui-histfile.h"

int histfile_path(char *out, size_t cap)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative path in the variable is invalid, ignore it. */
	if (state != NULL && state[0] == '/')
		n = snprintf(out, cap, "%s/sotto/history", state);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, cap, "%s/.local/state/sotto/history", home);
	else
		return -1;
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int histfile_load(const char *path,
    void (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
	char *buf, *p, *nl, *end;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : SOTTO_E_IO;
	if ((buf = malloc(HISTFILE_MAX_BYTES)) == NULL) {
		close(fd);
		return SOTTO_E_ALLOC;
	}
	while (got < HISTFILE_MAX_BYTES &&
	    (r = read(fd, buf + got, HISTFILE_MAX_BYTES - got)) > 0)
		got += (size_t)r;
	close(fd);
	end = buf + got;
	for (p = buf; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;      /* a last line cut short is left out */
		fn(ctx, p, (size_t)(nl - p));
	}
	free(buf);
	return 0;
}

/* mkdir -p of path's folders, each new one 0700. */
static int make_parents(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return SOTTO_E_TOOLONG;
	memcpy(dir, path, n + 1);
	for (char *s = dir + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return SOTTO_E_IO;
		*s = '/';
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	ssize_t r;

	while (n > 0) {
		if ((r = write(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int histfile_save(const char *path, char *const *lines, const size_t *lens,
    size_t n, char *err, size_t err_len)
{
	char tmp[4096];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, err_len, "%s: path too long", path);
		return SOTTO_E_TOOLONG;
	}
	if ((r = make_parents(path)) != 0) {
		snprintf(err, err_len, "%s: cannot make its folder: %s", path, strerror(errno));
		return r;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", tmp, strerror(errno));
		return SOTTO_E_IO;
	}
	for (size_t i = 0; i < n; i++)
		if (write_all(fd, lines[i], lens[i]) != 0 || write_all(fd, "\n", 1) != 0)
			goto fail;
	if (fchmod(fd, 0600) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return SOTTO_E_IO;
	}
	return 0;
fail:
	snprintf(err, err_len, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return SOTTO_E_IO;
}

/* SPDX-License-Identifier: ISC */
/* ui-histfile.h: the input history kept across runs, in $XDG_STATE_HOME/sotto/history. */
#ifndef SOTTO_UI_HISTFILE_H
#define SOTTO_UI_HISTFILE_H

#include <stddef.h>

#define HISTFILE_MAX_BYTES (4u * 1024u * 1024u)   /* a larger file is read up to here */

/* $XDG_STATE_HOME/sotto/history, or $HOME/.local/state/sotto/history (the
 * XDG default) when XDG_STATE_HOME is unset, empty or relative. 0, or -1
 * when neither gives an absolute path or out is too small. */
int histfile_path(char *out, size_t cap);

/* Calls fn for every line of the file, oldest first (without its '\n').
 * A missing file is no error. 0, or a negative sotto_err. */
int histfile_load(const char *path,
    void (*fn)(void *ctx, const char *line, size_t len), void *ctx);

/* Replaces the file with the n lines (each without '\n'): written to a
 * temporary file (mode 0600, never through a symlink) and renamed over it;
 * the folders are made with mode 0700 when missing. 0, or a negative
 * sotto_err with err filled. */
int histfile_save(const char *path, char *const *lines, const size_t *lens,
    size_t n, char *err, size_t err_len);

#endif

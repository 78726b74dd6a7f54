/* SPDX-License-Identifier: ISC */
/* download.h: the receiving side of a file transfer: a private temp file, streamed SHA-256, verified atomic publish. */
#ifndef SOTTO_DOWNLOAD_H
#define SOTTO_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/* Final names tried: "name.ext", then "name (1).ext" .. "name (99).ext". */
#define SOTTO_DL_TRIES      100u
#define SOTTO_DL_SUBDIR     "sotto"

struct sotto_dl;    /* one file being received */

/* The download folder for these environment values (either may be NULL):
 * xdg/sotto when xdg is an absolute path (a relative one is ignored, as
 * the XDG spec says), else home/Downloads/sotto. Malloc'd into *out;
 * SOTTO_E_NOTFOUND when neither gives a path. Nothing is created. */
int sotto_dl_dir_for(const char *xdg, const char *home, char **out);
/* The folder from $XDG_DOWNLOAD_DIR / $HOME, created when missing (every
 * folder made 0700). The sotto folder itself must be a real directory
 * (not a symlink) owned by this user: SOTTO_E_PERM otherwise; group or
 * other bits on it are removed. Malloc'd into *out. */
int sotto_dl_dir(char **out);

/* Start receiving a file of exactly size bytes whose SHA-256 is sha256,
 * into dir, under the sender's name (raw bytes, sanitised here by
 * sotto_fname_sanitize: there is no way to pass an unsanitised name).
 * Creates ".sotto-<random>.part" in dir with O_CREAT|O_EXCL|O_NOFOLLOW,
 * mode 0600. */
int sotto_dl_new(struct sotto_dl **out, const char *dir, const uint8_t *name,
    size_t name_len, uint64_t size, const uint8_t sha256[static SOTTO_SHA256_LEN]);
/* Append n bytes. SOTTO_E_TOOLONG when they would pass the announced size
 * (nothing written), SOTTO_E_IO when the write fails (errno says why:
 * ENOSPC, EFBIG, ...). After any failure the download is dead: every
 * later call fails and only sotto_dl_free remains. */
int sotto_dl_write(struct sotto_dl *dl, const void *p, size_t n);
/* Bytes written so far: where a resumed transfer continues. */
uint64_t sotto_dl_written(const struct sotto_dl *dl);
/* The sanitised name the file will be published under (before any " (N)"). */
const char *sotto_dl_name(const struct sotto_dl *dl);
/* Verify and publish: SOTTO_E_SHORT when fewer bytes than announced came,
 * SOTTO_E_FORMAT when the SHA-256 differs (the temp file is removed in
 * both cases), SOTTO_E_IO when fsync or the rename fails, SOTTO_E_EXISTS
 * when all SOTTO_DL_TRIES names are taken. On success the file is fsync'd,
 * mode 0600, linked under a name that did not exist (renameat2
 * RENAME_NOREPLACE, or link+unlink where the file system lacks it: never
 * an overwrite, never through a symlink), the folder is fsync'd, and
 * *path (malloc'd) is its full path. Either way the temp file is gone.
 * Once the file is under its name the answer is 0 (it is published): a
 * failed fsync of the folder after that only clears sotto_dl_durable. */
int sotto_dl_finish(struct sotto_dl *dl, char **path);
/* After a successful sotto_dl_finish: whether the folder's fsync
 * succeeded too (false: published, but a crash now might lose the name). */
int sotto_dl_durable(const struct sotto_dl *dl);
/* Close and free; an unpublished temp file is removed. NULL is fine. */
void sotto_dl_free(struct sotto_dl *dl);

#endif

/* SPDX-License-Identifier: ISC */
/* strictmodes.h: ssh-style StrictModes checks for the trusted folder and the key files in it.
 *
 * Who can write the trusted folder decides who sotto trusts, so, as ssh
 * does for authorized_keys: the folder and every folder above it (up to
 * $HOME, or /) must be owned by the user or root and not writable by
 * group or others (a root-owned sticky folder such as /tmp is allowed
 * above it); each key file must be a regular file owned by the user or
 * root, not writable by group or others; a symlinked entry must resolve
 * inside the folder. Errors are one line naming the path.
 */
#ifndef SOTTO_STRICTMODES_H
#define SOTTO_STRICTMODES_H

#include <stddef.h>
#include <sys/types.h>

/* Check dir and its parents for user uid. On success *real is the
 * folder's resolved path (malloc'd). SOTTO_E_PERM on a failed check,
 * SOTTO_E_NOTFOUND / SOTTO_E_IO when it cannot be resolved. */
int sotto_strict_dir(const char *dir, uid_t uid, char **real, char *err,
    size_t err_len);
/* Open the entry `name` of the checked folder `real` for reading and
 * check it; *fd is open on success. `label` names it in err. */
int sotto_strict_open(const char *real, const char *name, const char *label,
    uid_t uid, int *fd, char *err, size_t err_len);

#endif

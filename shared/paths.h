/* SPDX-License-Identifier: ISC */
/* paths.h: per-user default locations (XDG base directories), as tmux and others find theirs.
 *
 *   config   $XDG_CONFIG_HOME/sotto   (else ~/.config/sotto)
 *   identity <config>/id_ed25519, else ~/.ssh/id_ed25519 when that is an
 *            ed25519 key, else <config>/id_ed25519 (to be made by --init)
 *   trusted  <config>/trusted/
 *   state    $XDG_STATE_HOME/sotto    (else ~/.local/state/sotto)
 * A relative XDG variable is ignored, as the XDG spec says.
 */
#ifndef SOTTO_PATHS_H
#define SOTTO_PATHS_H

#include <stddef.h>
#include <sys/types.h>

struct sotto_paths {
	char *config_dir;   /* all malloc'd */
	char *identity;
	char *trusted;
	char *state_dir;
	int   identity_from_ssh;   /* identity is ~/.ssh/id_ed25519 */
};

int sotto_paths_default(struct sotto_paths *p, char *err, size_t err_len);
void sotto_paths_free(struct sotto_paths *p);
/* mkdir -p with mode for every folder it creates. */
int sotto_mkdirs(const char *path, mode_t mode, char *err, size_t err_len);

#endif

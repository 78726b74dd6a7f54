/* SPDX-License-Identifier: ISC */
/* userinit.h: `sotto --init` / `sotto-keygen` with no flags: folders, an identity, trusting yourself. */
#ifndef SOTTO_USERINIT_H
#define SOTTO_USERINIT_H

#include <stddef.h>
#include <stdio.h>
#include "sshkey.h"

#define SOTTO_INIT_ROUNDS  SOTTO_KDF_ROUNDS_DEFAULT

struct sotto_init_report {
	char *identity;        /* all malloc'd */
	char *trusted_dir;
	char *state_dir;
	char *self_file;       /* trusted/NAME.pub */
	char *pub_line;        /* "ssh-ed25519 ... comment\n" */
	char  fpr[SOTTO_FPR_STR_LEN];
	int   created;         /* a new key was made */
	int   encrypted;       /* ... with a passphrase */
	int   self_added;      /* self_file was written now */
};

/* Create the per-user folders (0700), make an ed25519 key at the default
 * path when there is no identity (passphrase asked twice through
 * passphrase.h; no way to ask: unencrypted), trust it as NAME.pub (the
 * login name). identity/trusted override the defaults (NULL: default).
 * Never overwrites: an existing NAME.pub with another key is an error. */
int sotto_user_init(const char *identity, const char *trusted,
    struct sotto_init_report *rep, char *err, size_t err_len);
void sotto_init_report_free(struct sotto_init_report *rep);
/* What --init did and what to send to others, for the user to read. */
void sotto_init_print(FILE *f, const struct sotto_init_report *rep);
/* Create path afresh (O_EXCL|O_NOFOLLOW) with exactly mode and write
 * p[0..n), fsync'd; on failure nothing is left behind (errno set). */
int sotto_write_new_file(const char *path, unsigned mode, const void *p,
    size_t n);

#endif

/* SPDX-License-Identifier: ISC */
/* trust.h: the whitelist folder of *.pub files; name = file name without .pub. */
#ifndef SOTTO_TRUST_H
#define SOTTO_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"
#include "sshkey.h"

struct sotto_peer {
	char    *name;                          /* owned */
	uint8_t  pub[SOTTO_ED25519_PUB];
	uint8_t  fpr[SOTTO_FPR_LEN];
	char     fpr_str[SOTTO_FPR_STR_LEN];
};

struct sotto_trust {
	struct sotto_peer *peers;   /* owned, sorted by name */
	size_t             n;
	size_t             n_skipped; /* *.pub files not trusted (bad) */
	char             **warn;    /* owned: one line per skipped file */
	size_t             n_warn;  /* lines kept (<= SOTTO_TRUST_WARN_MAX) */
};

/* Display names: file name minus .pub, UTF-8 without control characters. */
#define SOTTO_PEER_NAME_MAX   128u
/* A folder with more *.pub files than this is refused. */
#define SOTTO_TRUST_MAX_KEYS  65536u
/* Warning lines kept about skipped files (all are counted). */
#define SOTTO_TRUST_WARN_MAX  64u

/* An empty list (sotto_trust_add fills it). NULL when out of memory. */
struct sotto_trust *sotto_trust_new(void);
/* Parse one .pub file's bytes and add the key as `name`: the function
 * sotto_trust_load calls per file (and the fuzz target calls). `label`
 * names the file in err. Refuses a bad name, a bad key, a name already
 * present and a key already present under another name. Keeps t sorted. */
int sotto_trust_add(struct sotto_trust *t, const char *name, const char *label,
    const uint8_t *data, size_t len, char *err, size_t err_len);

/* Load every *.pub in dir. The folder must pass the StrictModes checks
 * (strictmodes.h), else the load fails with one line in err. A bad file
 * (unreadable, failing StrictModes, not one ssh-ed25519 key, a name or
 * key already taken) is skipped, so its key is not trusted, and counted
 * in n_skipped with one line in warn for the front-end to show: a typo
 * never stops the client, and never goes unseen. */
int sotto_trust_load(const char *dir, struct sotto_trust **out, char *err,
    size_t err_len);
void sotto_trust_free(struct sotto_trust *t);
/* The peer with this public key, or NULL. Compares every entry in
 * constant time per entry. Borrowed: valid while t lives. */
const struct sotto_peer *sotto_trust_find(const struct sotto_trust *t,
    const uint8_t pub[static SOTTO_ED25519_PUB]);

#endif

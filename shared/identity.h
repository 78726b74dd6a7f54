/* SPDX-License-Identifier: ISC */
/* identity.h: the user's signing identity: a private key file (unlocked with its passphrase) or a key held by ssh-agent. */
#ifndef SOTTO_IDENTITY_H
#define SOTTO_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

struct sotto_ed25519;
struct sotto_agent;

#define SOTTO_PASS_TRIES  3      /* as ssh's NumberOfPasswordPrompts */
#define SOTTO_AGENT_FIND_TIMEOUT_MS 10000

enum sotto_agent_use {
	SOTTO_AGENT_AUTO,        /* the agent when it holds the key, else the file */
	SOTTO_AGENT_ONLY,        /* --agent: the agent or fail */
	SOTTO_AGENT_NEVER,       /* the private key file only */
};

struct sotto_identity {
	struct sotto_ed25519 *key;     /* file mode: the key (secure memory) */
	struct sotto_agent   *agent;   /* agent mode: signs for us */
	uint8_t               pub[SOTTO_ED25519_PUB];
	char                 *comment; /* may be NULL */
};

/* Open the identity named by path:
 *  - "X.pub" (or --agent, SOTTO_AGENT_ONLY): the key in ssh-agent with
 *    that public key (for a private file, its public part; no passphrase);
 *  - a private key file: unencrypted, loaded; encrypted, the agent is used
 *    when it holds the key (AUTO), else its passphrase is asked for
 *    (passphrase.h), at most SOTTO_PASS_TRIES times; an empty answer gives up.
 * Errors are one line starting with the path. A wrong passphrase every
 * time gives SOTTO_E_BADPASS. */
int sotto_identity_open(const char *path, enum sotto_agent_use use,
    struct sotto_identity **out, char *err, size_t err_len);
void sotto_identity_free(struct sotto_identity *id);
/* A second identity for the same key, for a second client in one process
 * (a UI window): the key copied into its own secure memory, or a new
 * connection to ssh-agent (not looked up again: a key gone from the agent
 * shows as a refused signature). Asks nothing. */
int sotto_identity_dup(const struct sotto_identity *id,
    struct sotto_identity **out, char *err, size_t err_len);

/* The private key file only, asking for its passphrase as above. */
int sotto_identity_unlock(const char *path, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len);

#endif

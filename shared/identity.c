/* SPDX-License-Identifier: ISC */
/* identity.c: open the user's identity: its private key file (asking for the passphrase) or ssh-agent. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "passphrase.h"
#include "sshkey.h"

#define PUB_SUFFIX  ".pub"
#define PROMPT_MAX  1200u

static int ierr(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ierr(char *err, size_t len, int r, const char *fmt, ...)
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
is_pub_path(const char *path)
{
	size_t n = strlen(path), s = strlen(PUB_SUFFIX);

	return n > s && strcmp(path + n - s, PUB_SUFFIX) == 0;
}

/* Up to SOTTO_PASS_TRIES passphrases for an encrypted key in buf. */
static int
unlock_tries(const char *path, const uint8_t *buf, size_t len,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len)
{
	struct sotto_keyopen o = { NULL, 0, 0 };
	char prompt[PROMPT_MAX], *pass;
	size_t pass_len;
	int i, r = SOTTO_E_BADPASS;

	for (i = 0; i < SOTTO_PASS_TRIES; i++) {
		snprintf(prompt, sizeof(prompt), i == 0 ?
		    "Enter passphrase for key '%s': " :
		    "Bad passphrase, try again for key '%s': ", path);
		if ((r = sotto_passphrase_read(prompt, &pass, &pass_len, err,
		    err_len)) != 0) {
			char line[256];
			snprintf(line, sizeof(line), "%s", err);
			return ierr(err, err_len, r, "%s: %s", path, line);
		}
		if (pass_len == 0) {
			sotto_passphrase_free(pass);
			return ierr(err, err_len, SOTTO_E_CANCELLED, "%s: no "
			    "passphrase given", path);
		}
		o.pass = (const uint8_t *)pass;
		o.pass_len = pass_len;
		r = sotto_identity_parse_pass(path, buf, len, &o, key, comment,
		    err, err_len);
		sotto_passphrase_free(pass);
		if (r != SOTTO_E_BADPASS)
			return r;
	}
	return ierr(err, err_len, SOTTO_E_BADPASS, "%s: incorrect passphrase "
	    "(%d tries)", path, SOTTO_PASS_TRIES);
}

static int
unlock_buf(const char *path, const uint8_t *buf, size_t len,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len)
{
	int r;

	r = sotto_identity_parse(path, buf, len, key, comment, err, err_len);
	if (r != SOTTO_E_NEEDPASS)
		return r;
	return unlock_tries(path, buf, len, key, comment, err, err_len);
}

int
sotto_identity_unlock(const char *path, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len)
{
	uint8_t *buf;
	size_t len;
	int r;

	*key = NULL;
	if (comment != NULL)
		*comment = NULL;
	if ((r = sotto_keyfile_read(path, 1, &buf, &len, err, err_len)) != 0)
		return r;
	r = unlock_buf(path, buf, len, key, comment, err, err_len);
	sotto_keyfile_free(buf, 1);
	return r;
}

void
sotto_identity_free(struct sotto_identity *id)
{
	if (id == NULL)
		return;
	sotto_ed25519_free(id->key);
	sotto_agent_free(id->agent);
	free(id->comment);
	free(id);
}

int
sotto_identity_dup(const struct sotto_identity *id,
    struct sotto_identity **out, char *err, size_t err_len)
{
	struct sotto_identity *n;
	char line[256];
	int r;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (id->comment != NULL && (n->comment = strdup(id->comment)) == NULL)) {
		sotto_identity_free(n);
		return ierr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	}
	memcpy(n->pub, id->pub, sizeof(n->pub));
	if (id->key != NULL)
		r = sotto_ed25519_from_seed(&n->key, sotto_ed25519_seed(id->key));
	else
		r = sotto_agent_open(NULL, &n->agent, line, sizeof(line));
	if (r != 0) {
		sotto_identity_free(n);
		return id->key != NULL ? ierr(err, err_len, r, "%s",
		    sotto_strerror(r)) : ierr(err, err_len, r, "ssh-agent: %s", line);
	}
	*out = n;
	return 0;
}

/* Agent mode: the agent must hold pub. */
static int
agent_attach(struct sotto_identity *id, const char *path, char *err,
    size_t err_len)
{
	char line[256];
	int r;

	if ((r = sotto_agent_open(NULL, &id->agent, line, sizeof(line))) != 0 ||
	    (r = sotto_agent_find(id->agent, id->pub, SOTTO_AGENT_FIND_TIMEOUT_MS,
	    line, sizeof(line))) != 0) {
		sotto_agent_free(id->agent);
		id->agent = NULL;
		return ierr(err, err_len, r, "%s: %s", path, line);
	}
	return 0;
}

/* The public key and whether the file is encrypted, from either file. */
static int
read_public(const char *path, int pub_file, const uint8_t *buf, size_t len,
    struct sotto_identity *id, int *encrypted, char *err, size_t err_len)
{
	struct sotto_keyinfo info;
	int r;

	*encrypted = 0;
	if (pub_file)
		return sotto_pubkey_parse(path, buf, len, id->pub, &id->comment,
		    err, err_len);
	if ((r = sotto_identity_info(path, buf, len, &info, err, err_len)) != 0)
		return r;
	memcpy(id->pub, info.pub, SOTTO_ED25519_PUB);
	*encrypted = info.cipher != SOTTO_KEYCIPHER_NONE;
	return 0;
}

int
sotto_identity_open(const char *path, enum sotto_agent_use use,
    struct sotto_identity **out, char *err, size_t err_len)
{
	struct sotto_identity *id;
	int pub_file = is_pub_path(path), encrypted, r;
	uint8_t *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (pub_file && use == SOTTO_AGENT_NEVER)
		return ierr(err, err_len, SOTTO_E_INVAL, "%s: a public key needs "
		    "ssh-agent to sign", path);
	if ((id = calloc(1, sizeof(*id))) == NULL)
		return ierr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	if ((r = sotto_keyfile_read(path, !pub_file, &buf, &len, err,
	    err_len)) != 0 ||
	    (r = read_public(path, pub_file, buf, len, id, &encrypted, err,
	    err_len)) != 0)
		goto out;
	if (pub_file || use == SOTTO_AGENT_ONLY) {
		r = agent_attach(id, path, err, err_len);
		goto out;
	}
	/* ssh tries the agent first too: no passphrase when it has the key. */
	if (encrypted && use == SOTTO_AGENT_AUTO &&
	    agent_attach(id, path, NULL, 0) == 0)
		goto out;
	free(id->comment);
	id->comment = NULL;
	r = unlock_buf(path, buf, len, &id->key, &id->comment, err, err_len);
 out:
	sotto_keyfile_free(buf, !pub_file);
	if (r != 0) {
		sotto_identity_free(id);
		return r;
	}
	*out = id;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* userinit.c: per-user set-up: folders, a new or found identity, its public line in the trusted folder. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "passphrase.h"
#include "paths.h"
#include "sshkey.h"
#include "trust.h"
#include "userinit.h"

#define HOST_MAX 256

static int uerr(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
uerr(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

int
sotto_write_new_file(const char *path, unsigned mode, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t off = 0;
	ssize_t w;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	while (off < n) {
		if ((w = write(fd, b + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	return close(fd);
 fail:
	saved = errno;
	close(fd);
	unlink(path);
	errno = saved;
	return -1;
}

void
sotto_init_report_free(struct sotto_init_report *rep)
{
	free(rep->identity);
	free(rep->trusted_dir);
	free(rep->state_dir);
	free(rep->self_file);
	free(rep->pub_line);
	memset(rep, 0, sizeof(*rep));
}

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = pw != NULL && pw->pw_name != NULL ? pw->pw_name :
	    getenv("USER");

	return u != NULL && *u != '\0' && strchr(u, '/') == NULL ? u : "me";
}

/* A new passphrase, asked twice; none when there is no way to ask. */
static int
new_passphrase(char **pass, size_t *len, char *err, size_t err_len)
{
	char *again = NULL;
	size_t again_len;
	int r;

	*pass = NULL;
	*len = 0;
	r = sotto_passphrase_read("Enter passphrase for the new key (empty for "
	    "no passphrase): ", pass, len, err, err_len);
	if (r == SOTTO_E_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (*len == 0)
		return 0;
	if ((r = sotto_passphrase_read("Enter same passphrase again: ", &again,
	    &again_len, err, err_len)) != 0)
		goto fail;
	if (again_len != *len || sotto_ct_memcmp(again, *pass, *len) != 0) {
		r = uerr(err, err_len, SOTTO_E_BADPASS, "passphrases do not "
		    "match; nothing written");
		goto fail;
	}
	sotto_passphrase_free(again);
	return 0;
 fail:
	sotto_passphrase_free(again);
	sotto_passphrase_free(*pass);
	*pass = NULL;
	*len = 0;
	return r;
}

/* Make and write an ed25519 key pair at path (and path.pub). */
static int
make_key(const char *path, struct sotto_init_report *rep, char *err,
    size_t err_len)
{
	struct sotto_keyseal s = { NULL, 0, SOTTO_INIT_ROUNDS,
	    SOTTO_KEYCIPHER_AES256_CTR };
	struct sotto_ed25519 *k = NULL;
	struct sotto_wbuf priv, pub;
	char host[HOST_MAX], comment[HOST_MAX + 64], *pass = NULL, *pub_path;
	size_t pass_len = 0;
	int r;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(comment, sizeof(comment), "%s@%s", login_name(), host);
	if ((pub_path = malloc(strlen(path) + 5)) == NULL)
		return uerr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	sprintf(pub_path, "%s.pub", path);
	sotto_wbuf_init_secure(&priv, SOTTO_KEYFILE_MAX);
	sotto_wbuf_init(&pub, SOTTO_KEYFILE_MAX);
	if ((r = new_passphrase(&pass, &pass_len, err, err_len)) != 0)
		goto out;
	s.pass = (const uint8_t *)pass;
	s.pass_len = pass_len;
	if ((r = sotto_ed25519_generate(&k)) != 0 ||
	    (r = sotto_sshpriv_format_sealed(&priv, k, comment, &s)) != 0 ||
	    (r = sotto_sshpub_format(&pub, sotto_ed25519_pub(k), comment)) != 0) {
		r = uerr(err, err_len, r, "%s: cannot make the key: %s", path,
		    sotto_strerror(r));
		goto out;
	}
	if (sotto_write_new_file(path, 0600, priv.p, priv.len) != 0 ||
	    sotto_write_new_file(pub_path, 0644, pub.p, pub.len) != 0) {
		r = uerr(err, err_len, SOTTO_E_IO, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rep->created = 1;
	rep->encrypted = pass_len > 0;
 out:
	sotto_passphrase_free(pass);
	sotto_wbuf_free(&priv);
	sotto_wbuf_free(&pub);
	sotto_ed25519_free(k);
	free(pub_path);
	return r;
}

/* The public key of the identity: FILE.pub when present, else the
 * private file's clear header (no passphrase needed). */
static int
identity_public(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len)
{
	struct sotto_keyinfo info;
	char *pub_path;
	uint8_t *buf;
	size_t len;
	int r;

	*comment = NULL;
	if ((pub_path = malloc(strlen(path) + 5)) == NULL)
		return uerr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	sprintf(pub_path, "%s.pub", path);
	r = sotto_pubkey_load(pub_path, pub, comment, NULL, 0);
	free(pub_path);
	if (r == 0)
		return 0;
	if ((r = sotto_keyfile_read(path, 1, &buf, &len, err, err_len)) != 0)
		return r;
	r = sotto_identity_info(path, buf, len, &info, err, err_len);
	sotto_keyfile_free(buf, 1);
	if (r == 0)
		memcpy(pub, info.pub, SOTTO_ED25519_PUB);
	return r;
}

/* trusted/NAME.pub holding pub: written, or already there. */
static int
trust_self(struct sotto_init_report *rep, const uint8_t *pub,
    const char *comment, char *err, size_t err_len)
{
	uint8_t have[SOTTO_ED25519_PUB];
	struct sotto_wbuf line;
	size_t n = strlen(rep->trusted_dir) + strlen(login_name()) + 6;
	int r;

	if ((rep->self_file = malloc(n)) == NULL)
		return uerr(err, err_len, SOTTO_E_ALLOC, "out of memory");
	snprintf(rep->self_file, n, "%s/%s.pub", rep->trusted_dir, login_name());
	sotto_wbuf_init(&line, SOTTO_KEYFILE_MAX);
	if ((r = sotto_sshpub_format(&line, pub, comment)) != 0 ||
	    (r = sotto_wbuf_u8(&line, '\0')) != 0 ||
	    (rep->pub_line = strdup((const char *)line.p)) == NULL) {
		sotto_wbuf_free(&line);
		return uerr(err, err_len, r ? r : SOTTO_E_ALLOC, "out of memory");
	}
	sotto_wbuf_free(&line);
	r = sotto_pubkey_load(rep->self_file, have, NULL, NULL, 0);
	if (r == 0 && sotto_ct_memcmp(have, pub, SOTTO_ED25519_PUB) == 0)
		return 0;
	if (r != SOTTO_E_NOTFOUND)
		return uerr(err, err_len, SOTTO_E_EXISTS, "%s already exists and "
		    "does not hold your key; not overwritten", rep->self_file);
	if (sotto_write_new_file(rep->self_file, 0644, rep->pub_line,
	    strlen(rep->pub_line)) != 0)
		return uerr(err, err_len, SOTTO_E_IO, "%s: %s", rep->self_file,
		    strerror(errno));
	rep->self_added = 1;
	return 0;
}

int
sotto_user_init(const char *identity, const char *trusted,
    struct sotto_init_report *rep, char *err, size_t err_len)
{
	struct sotto_paths p;
	struct stat st;
	uint8_t pub[SOTTO_ED25519_PUB];
	char *comment = NULL;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = sotto_paths_default(&p, err, err_len)) != 0)
		return r;
	if ((rep->identity = strdup(identity ? identity : p.identity)) == NULL ||
	    (rep->trusted_dir = strdup(trusted ? trusted : p.trusted)) == NULL ||
	    (rep->state_dir = strdup(p.state_dir)) == NULL) {
		r = uerr(err, err_len, SOTTO_E_ALLOC, "out of memory");
		goto out;
	}
	if ((r = sotto_mkdirs(p.config_dir, 0700, err, err_len)) != 0 ||
	    (r = sotto_mkdirs(rep->trusted_dir, 0700, err, err_len)) != 0 ||
	    (r = sotto_mkdirs(rep->state_dir, 0700, err, err_len)) != 0)
		goto out;
	if (stat(rep->identity, &st) != 0 &&
	    (r = make_key(rep->identity, rep, err, err_len)) != 0)
		goto out;
	if ((r = identity_public(rep->identity, pub, &comment, err,
	    err_len)) != 0 ||
	    (r = trust_self(rep, pub, comment, err, err_len)) != 0)
		goto out;
	sotto_fingerprint_str(pub, rep->fpr);
 out:
	free(comment);
	sotto_paths_free(&p);
	if (r != 0)
		sotto_init_report_free(rep);
	return r;
}

void
sotto_init_print(FILE *f, const struct sotto_init_report *rep)
{
	if (rep->created)
		fprintf(f, "Made a new identity: %s%s\n", rep->identity,
		    rep->encrypted ? " (passphrase-protected)" :
		    " (no passphrase; add one with sotto-keygen -p -f FILE)");
	else
		fprintf(f, "Your identity: %s\n", rep->identity);
	fprintf(f, "Trusted folder: %s\n", rep->trusted_dir);
	if (rep->self_added)
		fprintf(f, "Trusted yourself: %s\n", rep->self_file);
	fprintf(f, "Your fingerprint: %s\n\n", rep->fpr);
	fprintf(f, "Send this line to the others; each saves it as NAME.pub in "
	    "their trusted folder\n(NAME is how they will see you) after "
	    "comparing the fingerprint with you:\n\n%s\n", rep->pub_line);
	fprintf(f, "To trust someone, save their line as %s/THEIRNAME.pub.\n",
	    rep->trusted_dir);
}

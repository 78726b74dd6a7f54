/* SPDX-License-Identifier: ISC */
/* trust.c: the whitelist folder of *.pub files and constant-time lookup in it. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "sshkey.h"
#include "strictmodes.h"
#include "trust.h"
#include "utf8.h"

#define PUB_SUFFIX      ".pub"
#define PUB_SUFFIX_LEN  4u

static int efmt(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
efmt(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

struct sotto_trust *
sotto_trust_new(void)
{
	return calloc(1, sizeof(struct sotto_trust));
}

void
sotto_trust_free(struct sotto_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->peers[i].name);
	free(t->peers);
	for (i = 0; i < t->n_warn; i++)
		free(t->warn[i]);
	free(t->warn);
	free(t);
}

/* Names are shown in the UI and the JSON output: non-empty UTF-8 without
 * control characters, and short. */
static int
name_check(const char *name)
{
	struct sotto_rd rd;
	size_t n = strlen(name);
	uint32_t cp;

	if (n == 0 || n > SOTTO_PEER_NAME_MAX)
		return SOTTO_E_FORMAT;
	sotto_rd_init(&rd, name, n);
	while (sotto_rd_left(&rd) > 0)
		if (sotto_utf8_next(&rd, &cp) != 0 || sotto_unicode_is_cc(cp))
			return SOTTO_E_FORMAT;
	return 0;
}

/* The peer holding this key, compared against every entry so the time
 * taken does not tell which entry matched. Duplicates are refused at
 * load, so at most one entry matches. */
const struct sotto_peer *
sotto_trust_find(const struct sotto_trust *t,
    const uint8_t pub[static SOTTO_ED25519_PUB])
{
	uintptr_t hit = 0;
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++) {
		uintptr_t eq = (uintptr_t)(sotto_ct_memcmp(t->peers[i].pub, pub,
		    SOTTO_ED25519_PUB) == 0);
		hit |= (0 - eq) & (uintptr_t)&t->peers[i];
	}
	return (const struct sotto_peer *)hit;
}

static const struct sotto_peer *
trust_find_name(const struct sotto_trust *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->peers[i].name, name) == 0)
			return &t->peers[i];
	return NULL;
}

/* Insert p at its place in name order (p's storage moves into t). */
static int
trust_insert(struct sotto_trust *t, const struct sotto_peer *p)
{
	struct sotto_peer *grown;
	size_t at = 0;

	if (t->n >= SOTTO_TRUST_MAX_KEYS)
		return SOTTO_E_TOOLONG;
	if ((grown = realloc(t->peers, (t->n + 1) * sizeof(*grown))) == NULL)
		return SOTTO_E_ALLOC;
	t->peers = grown;
	while (at < t->n && strcmp(t->peers[at].name, p->name) < 0)
		at++;
	memmove(&t->peers[at + 1], &t->peers[at], (t->n - at) * sizeof(*grown));
	t->peers[at] = *p;
	t->n++;
	return 0;
}

int
sotto_trust_add(struct sotto_trust *t, const char *name, const char *label,
    const uint8_t *data, size_t len, char *err, size_t err_len)
{
	struct sotto_peer p;
	const struct sotto_peer *dup;
	int r;

	if (err_len > 0)
		err[0] = '\0';
	memset(&p, 0, sizeof(p));
	if (name_check(name) != 0)
		return efmt(err, err_len, SOTTO_E_FORMAT, "%s: the name must be "
		    "1..%u bytes of UTF-8 without control characters", label,
		    SOTTO_PEER_NAME_MAX);
	if ((r = sotto_pubkey_parse(label, data, len, p.pub, NULL, err,
	    err_len)) != 0)
		return r;
	if ((dup = trust_find_name(t, name)) != NULL)
		return efmt(err, err_len, SOTTO_E_EXISTS, "%s: the name \"%s\" "
		    "is already taken", label, name);
	/* One key under two names would let its holder speak as either. */
	if ((dup = sotto_trust_find(t, p.pub)) != NULL)
		return efmt(err, err_len, SOTTO_E_EXISTS, "%s: the same key is "
		    "already trusted as \"%s\"; remove one of the two files",
		    label, dup->name);
	sotto_fingerprint(p.pub, p.fpr);
	sotto_fingerprint_str(p.pub, p.fpr_str);
	if ((p.name = strdup(name)) == NULL)
		return efmt(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", label);
	if ((r = trust_insert(t, &p)) != 0) {
		free(p.name);
		return efmt(err, err_len, r, "%s: %s", label, r == SOTTO_E_TOOLONG ?
		    "too many trusted keys" : "out of memory");
	}
	return 0;
}

/* "name.pub" that is not a dotfile: the name, malloc'd; else NULL. */
static char *
pub_name(const char *file)
{
	size_t n = strlen(file);
	char *name;

	if (file[0] == '.' || n <= PUB_SUFFIX_LEN ||
	    strcmp(file + n - PUB_SUFFIX_LEN, PUB_SUFFIX) != 0)
		return NULL;
	if ((name = malloc(n - PUB_SUFFIX_LEN + 1)) == NULL)
		return NULL;
	memcpy(name, file, n - PUB_SUFFIX_LEN);
	name[n - PUB_SUFFIX_LEN] = '\0';
	return name;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The *.pub file names of dir, sorted so errors and order are stable. */
static int
list_pub_files(const char *dir, char ***out, size_t *count, char *err,
    size_t err_len)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **grown;
	size_t n = 0;
	int r = 0;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL)
		return efmt(err, err_len, errno == ENOENT ? SOTTO_E_NOTFOUND :
		    SOTTO_E_IO, "%s: cannot open the trusted folder: %s", dir,
		    strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *name = pub_name(de->d_name);
		if (name == NULL)
			continue;
		free(name);
		if (n >= SOTTO_TRUST_MAX_KEYS) {
			r = efmt(err, err_len, SOTTO_E_TOOLONG, "%s: more than %u "
			    ".pub files", dir, SOTTO_TRUST_MAX_KEYS);
			break;
		}
		if ((grown = realloc(v, (n + 1) * sizeof(*v))) == NULL ||
		    (v = grown, v[n] = strdup(de->d_name)) == NULL) {
			r = efmt(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", dir);
			break;
		}
		n++;
	}
	if (r == 0 && errno != 0)
		r = efmt(err, err_len, SOTTO_E_IO, "%s: cannot read the trusted "
		    "folder: %s", dir, strerror(errno));
	closedir(d);
	if (r != 0) {
		free_names(v, n);
		return r;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*count = n;
	return 0;
}

/* Keep one warning line about a skipped file (the count goes on past
 * the lines kept). */
static void
trust_warn(struct sotto_trust *t, const char *line)
{
	char **grown, *dup;

	t->n_skipped++;
	if (t->n_warn >= SOTTO_TRUST_WARN_MAX || (dup = strdup(line)) == NULL)
		return;
	if ((grown = realloc(t->warn, (t->n_warn + 1) * sizeof(*grown))) == NULL) {
		free(dup);
		return;
	}
	t->warn = grown;
	t->warn[t->n_warn++] = dup;
}

/* One *.pub file, through the StrictModes checks. */
static int
trust_load_file(struct sotto_trust *t, const char *dir, const char *real,
    const char *file, uid_t uid, char *err, size_t err_len)
{
	char *label = NULL, *name = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, llen = strlen(dir) + 1 + strlen(file) + 1;
	int fd = -1, r;

	if ((label = malloc(llen)) == NULL || (name = pub_name(file)) == NULL) {
		r = efmt(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", dir);
		goto out;
	}
	snprintf(label, llen, "%s/%s", dir, file);
	if ((r = sotto_strict_open(real, file, label, uid, &fd, err,
	    err_len)) != 0 ||
	    (r = sotto_keyfd_read(fd, label, 0, &buf, &len, err, err_len)) != 0)
		goto out;
	r = sotto_trust_add(t, name, label, buf, len, err, err_len);
 out:
	if (fd >= 0)
		close(fd);
	sotto_keyfile_free(buf, 0);
	free(name);
	free(label);
	return r;
}

int
sotto_trust_load(const char *dir, struct sotto_trust **out, char *err,
    size_t err_len)
{
	struct sotto_trust *t;
	char **files, *real = NULL, line[512];
	uid_t uid = geteuid();
	size_t n, i;
	int r;

	*out = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if ((r = sotto_strict_dir(dir, uid, &real, err, err_len)) != 0)
		return r;
	if ((r = list_pub_files(real, &files, &n, err, err_len)) != 0) {
		free(real);
		return r;
	}
	if ((t = sotto_trust_new()) == NULL) {
		free_names(files, n);
		free(real);
		return efmt(err, err_len, SOTTO_E_ALLOC, "%s: out of memory", dir);
	}
	/* A bad file is skipped: its key is not trusted (the safe side) and
	 * the caller shows the warning; the rest of the folder still loads. */
	for (i = 0; i < n && r != SOTTO_E_ALLOC; i++) {
		r = trust_load_file(t, dir, real, files[i], uid, line,
		    sizeof(line));
		if (r != 0 && r != SOTTO_E_ALLOC)
			trust_warn(t, line);
	}
	free_names(files, n);
	free(real);
	if (r == SOTTO_E_ALLOC) {
		sotto_trust_free(t);
		return efmt(err, err_len, r, "%s: out of memory", dir);
	}
	*out = t;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* history.c: the encrypted local history store on SQLite (see history.h for the key scheme and the error contract).
 *
 * The database runs in WAL mode with locking_mode=EXCLUSIVE: the first
 * write transaction (taken at open) keeps the file locked until close, so
 * a second client of the same identity is told "in use" instead of
 * interleaving writes, and no -shm file is needed. Every history_add is its
 * own transaction with synchronous=NORMAL: once it returns, the record is
 * in the WAL file in the kernel's page cache and survives the process
 * being killed (not a power cut: that needs synchronous=FULL, which costs
 * an fsync per line). secure_delete overwrites what pruning and /forget
 * free; /forget also checkpoints and truncates the WAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "history.h"
#include "wire.h"

#define LABEL_ROOT      "sotto-v1 history-root"
#define LABEL_KEK       "sotto-v1 history-kek"
#define LABEL_WRAP      "sotto-v1 history-key"
#define LABEL_ENC       "sotto-v1 history-enc"
#define LABEL_ROOM      "sotto-v1 history-room"
#define LABEL_FILE      "sotto-v1 history-file"
#define LABEL_ROW       "sotto-v1 history-row"
#define LABEL_PEER      "sotto-v1 history-peer"
#define LABEL_DMROW     "sotto-v1 history-dm-row"
#define KEY_LEN         32u
#define SALT_LEN        32u
#define TAG_LEN         16u     /* room tag: HMAC-SHA256 cut to 128 bits */
#define WRAP_LEN        (SOTTO_GCM_NONCE + KEY_LEN + SOTTO_GCM_TAG)
#define REC_VERSION     1u
#define REC_SELF        0x01u
/* version kind flags, u16 name, u16 fpr, u32 text */
#define REC_MAX         (3u + 2u + HISTORY_NAME_MAX + 2u + HISTORY_FPR_MAX + \
    4u + HISTORY_TEXT_MAX)
#define BODY_MAX        (REC_MAX + SOTTO_GCM_TAG)
/* A room row's AAD is LABEL_ROW, id, room tag, ts; a DM row's is longer
 * (its own label and the peer tag too): row_aad. */
#define AAD_MAX         (sizeof(LABEL_DMROW) - 1 + 8u + 2u * TAG_LEN + 8u)
#define DM_VERSION      3       /* the first schema with the peer column */
#define PRUNE_EVERY     256u    /* inserts between retention passes */
#define PRUNE_SLACK     10u     /* % below max_bytes a size prune goes to */
#define FILE_NAME_HEX   16u     /* bytes of the file-name tag, as hex */

struct history {
	sqlite3            *db;
	sqlite3_stmt       *ins;
	sqlite3_stmt       *ins_dm;          /* NULL below DM_VERSION */
	char               *path;
	bool                off;
	int                 version;
	struct sotto_aead  *aead;            /* under the record subkey */
	uint8_t            *room_key;        /* secure: room-tag HMAC key */
	uint8_t            *peer_key;        /* secure: peer-tag HMAC key */
	uint8_t            *pt;              /* REC_MAX scratch, wiped after use */
	uint8_t            *ct;              /* BODY_MAX scratch */
	uint64_t            bytes;           /* sealed bytes stored */
	int64_t             next_id;
	unsigned            since_prune;
	int                 step_errno;      /* errno right after a failed insert */
	struct history_opts o;
	char                err[HISTORY_ERR_LEN];
};

/* Each step moves the schema from version i to i + 1, inside the one
 * exclusive transaction of the open. Never edit a step: add one. */
static const char *const migrations[] = {
	/* 0 -> 1: meta holds the wrapped key; msg the sealed records. */
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
	"CREATE TABLE msg(id INTEGER PRIMARY KEY, room BLOB NOT NULL,"
	" ts INTEGER NOT NULL, nonce BLOB NOT NULL, body BLOB NOT NULL);",
	/* 1 -> 2: v1 scanned the whole table for a room's last lines and for
	 * age retention. */
	"CREATE INDEX msg_room_id ON msg(room, id);"
	"CREATE INDEX msg_ts ON msg(ts);",
	/* 2 -> 3: direct messages. peer is the tag of the other member's
	 * fingerprint on a DM row, NULL on the room's own rows (so every row
	 * a v2 file holds is a room row, sealed as before). The new index
	 * serves both kinds of reads, and /forget by its room prefix. */
	"ALTER TABLE msg ADD COLUMN peer BLOB;"
	"CREATE INDEX msg_room_peer_id ON msg(room, peer, id);"
	"DROP INDEX msg_room_id;",
};

/* --- errors -------------------------------------------------------------- */

/* One line into a caller's buffer (truncated, never overrun). */
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

#define herr(h, ...) set_err((h)->err, sizeof((h)->err), __VA_ARGS__)

static bool
errno_full(int e)
{
	return e == ENOSPC || e == EFBIG || e == EDQUOT;
}

static void
close_db(struct history *h)
{
	if (h->ins != NULL) {
		sqlite3_finalize(h->ins);
		h->ins = NULL;
	}
	if (h->ins_dm != NULL) {
		sqlite3_finalize(h->ins_dm);
		h->ins_dm = NULL;
	}
	if (h->db != NULL) {
		sqlite3_close_v2(h->db);
		h->db = NULL;
	}
}

/* Rename the database and its WAL aside, never delete them. */
static void
move_aside(struct history *h, char *dst, size_t dst_len)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char from[4096], to[4200];
	size_t i;

	snprintf(dst, dst_len, "%s.corrupt-%lld", h->path, (long long)time(NULL));
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", h->path, sfx[i]);
		snprintf(to, sizeof(to), "%s%s", dst, sfx[i]);
		if (rename(from, to) != 0 && i == 0 && errno != ENOENT)
			snprintf(dst, dst_len, "(could not move it: %s)", strerror(errno));
	}
}

/* Map a failed SQLite call to a history_err, write the user's line and
 * switch the store off. */
static int
fail(struct history *h, int rc, const char *doing)
{
	int prim = rc & 0xff, sys = h->db ? sqlite3_system_errno(h->db) : 0;

	/* SQLite's own record of errno is lost when its rollback after a
	 * failed WAL write makes further calls; the step's errno is not. */
	if (sys == 0)
		sys = h->step_errno;
	char aside[4200], what[512];
	int r;

	snprintf(what, sizeof(what), "%s: %s (%d, errno %d)", doing,
	    h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc), rc, sys);
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
		close_db(h);
		move_aside(h, aside, sizeof(aside));
		herr(h, "history %s is damaged (%s); "
		    "moved aside to %s; chatting without history", h->path, what, aside);
		r = HISTORY_E_CORRUPT;
	} else if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		herr(h, "history %s is in use by another "
		    "sotto of this identity; chatting without history", h->path);
		r = HISTORY_E_LOCKED;
	} else if (prim == SQLITE_FULL || (prim == SQLITE_IOERR && errno_full(sys))) {
		herr(h, "history %s: disk full (%s); "
		    "earlier lines kept, new ones not stored", h->path,
		    sys ? strerror(sys) : "no space");
		r = HISTORY_E_FULL;
	} else if (prim == SQLITE_CANTOPEN || prim == SQLITE_PERM ||
	    prim == SQLITE_READONLY || prim == SQLITE_AUTH) {
		herr(h, "cannot use history %s (%s); "
		    "chatting without history", h->path, sys ? strerror(sys) : what);
		r = HISTORY_E_OPEN;
	} else {
		herr(h, "history %s: %s; chatting without "
		    "history", h->path, what);
		r = HISTORY_E_IO;
	}
	h->off = true;
	close_db(h);
	return r;
}

static int
fail_msg(struct history *h, int r, const char *msg)
{
	herr(h, "history %s: %s; chatting without history",
	    h->path, msg);
	h->off = true;
	close_db(h);
	return r;
}

/* --- keys ---------------------------------------------------------------- */

void
history_root_from_sig(uint8_t root[static HISTORY_ROOT_LEN],
    const uint8_t sig[static 64])
{
	uint8_t in[sizeof(LABEL_ROOT) - 1 + 64];

	memcpy(in, LABEL_ROOT, sizeof(LABEL_ROOT) - 1);
	memcpy(in + sizeof(LABEL_ROOT) - 1, sig, 64);
	sotto_sha256(root, in, sizeof(in));
	sotto_wipe(in, sizeof(in));
}

/* out = HMAC(key, label || extra) */
static int
derive(uint8_t out[static KEY_LEN], const uint8_t *key, const char *label,
    const uint8_t *extra, size_t extra_len)
{
	uint8_t in[64 + SALT_LEN];
	size_t ll = strlen(label);
	int r;

	if (ll + extra_len > sizeof(in))
		return SOTTO_E_INVAL;
	memcpy(in, label, ll);
	if (extra_len)
		memcpy(in + ll, extra, extra_len);
	r = sotto_hmac_sha256(out, key, KEY_LEN, in, ll + extra_len);
	sotto_wipe(in, sizeof(in));
	return r;
}

/* Seal or open the data key under the identity's root. */
static int
wrap_dek(const uint8_t root[static KEY_LEN], const uint8_t salt[static SALT_LEN],
    uint8_t *dek, uint8_t wrap[static WRAP_LEN], bool seal)
{
	uint8_t aad[sizeof(LABEL_WRAP) - 1 + SALT_LEN];
	uint8_t *kek = sotto_secure_alloc(KEY_LEN);
	struct sotto_aead *a = NULL;
	int r;

	if (kek == NULL)
		return SOTTO_E_ALLOC;
	memcpy(aad, LABEL_WRAP, sizeof(LABEL_WRAP) - 1);
	memcpy(aad + sizeof(LABEL_WRAP) - 1, salt, SALT_LEN);
	if ((r = derive(kek, root, LABEL_KEK, salt, SALT_LEN)) == 0 &&
	    (r = sotto_aead_new(&a, kek)) == 0) {
		if (seal) {
			sotto_random_nonce(wrap, SOTTO_GCM_NONCE);
			r = sotto_aead_seal(a, wrap, aad, sizeof(aad), dek, KEY_LEN,
			    wrap + SOTTO_GCM_NONCE, wrap + SOTTO_GCM_NONCE + KEY_LEN);
		} else
			r = sotto_aead_open(a, wrap, aad, sizeof(aad),
			    wrap + SOTTO_GCM_NONCE, KEY_LEN,
			    wrap + SOTTO_GCM_NONCE + KEY_LEN, dek);
	}
	sotto_aead_free(a);
	sotto_secure_free(kek, KEY_LEN);
	return r;
}

/* From the data key: the record cipher, the room-tag and peer-tag keys. */
static int
load_subkeys(struct history *h, const uint8_t *dek)
{
	uint8_t *k = sotto_secure_alloc(KEY_LEN);
	int r;

	if (k == NULL || (h->room_key = sotto_secure_alloc(KEY_LEN)) == NULL ||
	    (h->peer_key = sotto_secure_alloc(KEY_LEN)) == NULL) {
		sotto_secure_free(k, KEY_LEN);
		return SOTTO_E_ALLOC;
	}
	if ((r = derive(k, dek, LABEL_ENC, NULL, 0)) == 0 &&
	    (r = sotto_aead_new(&h->aead, k)) == 0 &&
	    (r = derive(h->room_key, dek, LABEL_ROOM, NULL, 0)) == 0)
		r = derive(h->peer_key, dek, LABEL_PEER, NULL, 0);
	sotto_secure_free(k, KEY_LEN);
	return r;
}

/* A tag: HMAC-SHA256 of s under key, cut to TAG_LEN; s is 1..max bytes. */
static int
name_tag(const uint8_t *key, const char *s, size_t max, uint8_t tag[static TAG_LEN])
{
	uint8_t mac[SOTTO_SHA256_LEN];
	size_t n = strlen(s);

	if (n < 1 || n > max)
		return HISTORY_E_INVAL;
	if (sotto_hmac_sha256(mac, key, KEY_LEN, s, n) != 0)
		return HISTORY_E_CRYPTO;
	memcpy(tag, mac, TAG_LEN);
	return 0;
}

static int
room_tag(struct history *h, const char *room, uint8_t tag[static TAG_LEN])
{
	return name_tag(h->room_key, room, HISTORY_ROOM_MAX, tag);
}

/* The tag of a DM row's other member: an HMAC of its fingerprint string
 * under a key of its own, so it never equals a room tag. */
static int
peer_tag(struct history *h, const char *peer, uint8_t tag[static TAG_LEN])
{
	return name_tag(h->peer_key, peer, HISTORY_FPR_MAX, tag);
}

/* --- path ---------------------------------------------------------------- */

static int
mkdirs(char *p)
{
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int
history_default_path(char *out, size_t out_len,
    const uint8_t root[static HISTORY_ROOT_LEN], char *err, size_t err_len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	uint8_t tag[KEY_LEN];
	char dir[4096], hex[2 * FILE_NAME_HEX + 1];
	size_t i;
	int n;

	if (out_len > 0)
		out[0] = '\0';
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(dir, sizeof(dir), "%s/sotto", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(dir, sizeof(dir), "%s/.local/share/sotto", home);
	else {
		set_err(err, err_len, "no history folder: neither XDG_DATA_HOME "
		    "nor HOME is an absolute path");
		return HISTORY_E_INVAL;
	}
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		set_err(err, err_len, "history folder path too long");
		return HISTORY_E_INVAL;
	}
	if (mkdirs(dir) != 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", strerror(errno));
		set_err(err, err_len, "cannot create history folder %s: %s", dir, why);
		return HISTORY_E_OPEN;
	}
	if (derive(tag, root, LABEL_FILE, NULL, 0) != 0)
		return HISTORY_E_CRYPTO;
	for (i = 0; i < FILE_NAME_HEX; i++)
		snprintf(hex + 2 * i, 3, "%02x", tag[i]);
	n = snprintf(out, out_len, "%s/%s.db", dir, hex);
	if (n < 0 || (size_t)n >= out_len) {
		set_err(err, err_len, "history path too long");
		return HISTORY_E_INVAL;
	}
	return 0;
}

/* --- open ---------------------------------------------------------------- */

static int
exec(struct history *h, const char *sql)
{
	return sqlite3_exec(h->db, sql, NULL, NULL, NULL);
}

static int
pragma_int(struct history *h, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

static int
meta_get(struct history *h, const char *k, uint8_t *v, size_t n, bool *found)
{
	sqlite3_stmt *st;
	int rc;

	*found = false;
	if ((rc = sqlite3_prepare_v2(h->db, "SELECT v FROM meta WHERE k = ?",
	    -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 0) == n) {
			memcpy(v, sqlite3_column_blob(st, 0), n);
			*found = true;
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

static int
meta_put(struct history *h, const char *k, const uint8_t *v, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(h->db, "INSERT INTO meta(k, v) VALUES(?, ?)",
	    -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, v, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run the migration steps from version `from` up to `to`. */
static int
migrate(struct history *h, int from, int to)
{
	char sql[64];
	int v, rc;

	for (v = from; v < to; v++) {
		if ((rc = exec(h, migrations[v])) != SQLITE_OK)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec(h, sql)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* A new file: a fresh data key, wrapped under the root. */
static int
create_key(struct history *h, const uint8_t root[static KEY_LEN], uint8_t *dek)
{
	uint8_t salt[SALT_LEN], wrap[WRAP_LEN];
	int rc;

	sotto_random(dek, KEY_LEN);
	sotto_random_nonce(salt, SALT_LEN);
	if (wrap_dek(root, salt, dek, wrap, true) != 0)
		return fail_msg(h, HISTORY_E_CRYPTO, "cannot seal the history key");
	if ((rc = meta_put(h, "salt", salt, SALT_LEN)) != SQLITE_OK ||
	    (rc = meta_put(h, "key", wrap, WRAP_LEN)) != SQLITE_OK)
		return fail(h, rc, "storing the history key");
	return 0;
}

static int
unwrap_key(struct history *h, const uint8_t root[static KEY_LEN], uint8_t *dek)
{
	uint8_t salt[SALT_LEN], wrap[WRAP_LEN];
	bool have_salt, have_key;
	int rc;

	if ((rc = meta_get(h, "salt", salt, SALT_LEN, &have_salt)) != SQLITE_OK ||
	    (rc = meta_get(h, "key", wrap, WRAP_LEN, &have_key)) != SQLITE_OK)
		return fail(h, rc, "reading the history key");
	if (!have_salt || !have_key)
		return fail(h, SQLITE_CORRUPT, "the key block is missing");
	if (wrap_dek(root, salt, dek, wrap, false) != 0) {
		herr(h, "history %s belongs to another "
		    "identity (or its key block was altered); refused, file left "
		    "as it is; chatting without history", h->path);
		h->off = true;
		close_db(h);
		return HISTORY_E_IDENTITY;
	}
	return 0;
}

/* Settings, lock, schema, key; the caller commits. */
static int
open_schema(struct history *h, const uint8_t root[static KEY_LEN], int target)
{
	uint8_t *dek;
	int64_t v;
	int rc, r;

	/* Exclusive locking before WAL: no shared-memory index, and the lock
	 * taken by BEGIN EXCLUSIVE below is kept until close. */
	if ((rc = exec(h, "PRAGMA locking_mode = EXCLUSIVE")) != SQLITE_OK ||
	    (rc = pragma_int(h, "PRAGMA page_count", &v)) != SQLITE_OK ||
	    /* only a new file: on an old one it rewrites the header */
	    (v == 0 && (rc = exec(h, "PRAGMA auto_vacuum = INCREMENTAL")) != SQLITE_OK) ||
	    (rc = exec(h, "PRAGMA journal_mode = WAL")) != SQLITE_OK ||
	    (rc = exec(h, "PRAGMA synchronous = NORMAL")) != SQLITE_OK ||
	    (rc = exec(h, "PRAGMA secure_delete = ON")) != SQLITE_OK ||
	    (rc = exec(h, "PRAGMA temp_store = MEMORY")) != SQLITE_OK ||
	    (rc = exec(h, "BEGIN EXCLUSIVE")) != SQLITE_OK ||
	    (rc = pragma_int(h, "PRAGMA user_version", &v)) != SQLITE_OK)
		return fail(h, rc, "opening");
	if (v > HISTORY_SCHEMA_VERSION) {
		herr(h, "history %s has schema version "
		    "%lld, newer than this sotto knows (%d); left as it is; chatting "
		    "without history", h->path, (long long)v, HISTORY_SCHEMA_VERSION);
		h->off = true;
		close_db(h);
		return HISTORY_E_NEWER;
	}
	if ((dek = sotto_secure_alloc(KEY_LEN)) == NULL)
		return fail_msg(h, HISTORY_E_ALLOC, "out of secure memory");
	if (v == 0) {
		if ((rc = migrate(h, 0, target)) != SQLITE_OK)
			r = fail(h, rc, "creating the schema");
		else
			r = create_key(h, root, dek);
	} else {
		if ((r = unwrap_key(h, root, dek)) == 0 && v < target &&
		    (rc = migrate(h, (int)v, target)) != SQLITE_OK)
			r = fail(h, rc, "migrating the schema");
	}
	if (r == 0 && load_subkeys(h, dek) != 0)
		r = fail_msg(h, HISTORY_E_CRYPTO, "cannot derive the history keys");
	sotto_secure_free(dek, KEY_LEN);
	h->version = v > target ? (int)v : target;
	return r;
}

/* Make the file ourselves so it is 0600 whatever the umask (SQLite gives
 * its WAL the database file's mode). */
static int
precreate(struct history *h)
{
	int fd = open(h->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		herr(h, "cannot open history %s (%s); "
		    "chatting without history", h->path, strerror(errno));
		h->off = true;
		return HISTORY_E_OPEN;
	}
	close(fd);
	return 0;
}

static int
load_state(struct history *h)
{
	int64_t v;
	int rc;

	if ((rc = pragma_int(h, "SELECT coalesce(sum(length(body)), 0) FROM msg",
	    &v)) != SQLITE_OK)
		return fail(h, rc, "reading its size");
	h->bytes = (uint64_t)v;
	if ((rc = pragma_int(h, "SELECT coalesce(max(id), 0) FROM msg", &v)) != SQLITE_OK)
		return fail(h, rc, "reading its last row");
	h->next_id = v + 1;
	if ((rc = sqlite3_prepare_v3(h->db, "INSERT INTO msg(id, room, ts, nonce, body)"
	    " VALUES(?, ?, ?, ?, ?)", -1, SQLITE_PREPARE_PERSISTENT, &h->ins,
	    NULL)) != SQLITE_OK ||
	    (h->version >= DM_VERSION && (rc = sqlite3_prepare_v3(h->db,
	    "INSERT INTO msg(id, room, ts, nonce, body, peer) VALUES(?, ?, ?, ?, ?, ?)",
	    -1, SQLITE_PREPARE_PERSISTENT, &h->ins_dm, NULL)) != SQLITE_OK))
		return fail(h, rc, "preparing");
	return 0;
}

int
history_open_at_version(struct history **out, const char *path,
    const uint8_t root[static HISTORY_ROOT_LEN], const struct history_opts *o,
    int version, char *err, size_t err_len)
{
	struct history *h;
	int rc, r;

	*out = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if (path == NULL || version < 1 || version > HISTORY_SCHEMA_VERSION) {
		set_err(err, err_len, "history: invalid arguments");
		return HISTORY_E_INVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->path = strdup(path)) == NULL ||
	    (h->pt = malloc(REC_MAX)) == NULL || (h->ct = malloc(BODY_MAX)) == NULL) {
		history_free(h);
		set_err(err, err_len, "history: out of memory");
		return HISTORY_E_ALLOC;
	}
	if (o != NULL)
		h->o = *o;
	if ((r = precreate(h)) != 0)
		goto out;
	if ((rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
		r = fail(h, rc, "opening");
		goto out;
	}
	sqlite3_extended_result_codes(h->db, 1);
	if ((r = open_schema(h, root, version)) != 0)
		goto out;
	if ((rc = exec(h, "COMMIT")) != SQLITE_OK) {
		r = fail(h, rc, "committing the schema");
		goto out;
	}
	if ((r = load_state(h)) != 0)
		goto out;
	r = history_prune(h, (uint64_t)time(NULL) * 1000u);
out:
	if (r != 0) {
		set_err(err, err_len, "%s", h->err);
		history_free(h);
		return r;
	}
	*out = h;
	return 0;
}

int
history_open(struct history **out, const char *path,
    const uint8_t root[static HISTORY_ROOT_LEN], const struct history_opts *o,
    char *err, size_t err_len)
{
	return history_open_at_version(out, path, root, o, HISTORY_SCHEMA_VERSION,
	    err, err_len);
}

void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	close_db(h);
	sotto_aead_free(h->aead);
	sotto_secure_free(h->room_key, KEY_LEN);
	sotto_secure_free(h->peer_key, KEY_LEN);
	if (h->pt != NULL) {
		sotto_wipe(h->pt, REC_MAX);
		free(h->pt);
	}
	free(h->ct);
	free(h->path);
	free(h);
}

bool
history_on(const struct history *h)
{
	return h != NULL && !h->off && h->db != NULL;
}

const char *
history_errmsg(const struct history *h)
{
	if (h == NULL)
		return "history is off";
	return h->err[0] ? h->err : "no error";
}

int
history_version(const struct history *h)
{
	return h != NULL ? h->version : 0;
}

uint64_t
history_bytes(const struct history *h)
{
	return h != NULL ? h->bytes : 0;
}

/* --- records ------------------------------------------------------------- */

/* A room row: LABEL_ROW || id || room tag || ts (as every version wrote
 * it). A DM row: LABEL_DMROW || id || room tag || peer tag || ts, so a row
 * opens only as the kind of row, in the room and with the peer, it was
 * sealed for. Returns the AAD's length. */
static size_t
row_aad(uint8_t aad[static AAD_MAX], int64_t id, const uint8_t tag[static TAG_LEN],
    const uint8_t *peer, uint64_t ts)
{
	const char *label = peer != NULL ? LABEL_DMROW : LABEL_ROW;
	size_t o = strlen(label);
	int i;

	memcpy(aad, label, o);
	for (i = 0; i < 8; i++)
		aad[o + (size_t)i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
	o += 8;
	memcpy(aad + o, tag, TAG_LEN);
	o += TAG_LEN;
	if (peer != NULL) {
		memcpy(aad + o, peer, TAG_LEN);
		o += TAG_LEN;
	}
	for (i = 0; i < 8; i++)
		aad[o + (size_t)i] = (uint8_t)(ts >> (56 - 8 * i));
	return o + 8;
}

/* Serialise e into h->pt; *n gets its length. */
static int
rec_encode(struct history *h, const struct history_entry *e, size_t *n)
{
	size_t nl = e->name ? strlen(e->name) : 0, fl = e->fpr ? strlen(e->fpr) : 0;
	uint8_t *p = h->pt;

	if (nl > HISTORY_NAME_MAX || fl > HISTORY_FPR_MAX ||
	    e->text_len > HISTORY_TEXT_MAX || (e->text_len && e->text == NULL) ||
	    e->kind < HISTORY_MSG || e->kind > HISTORY_NOTE)
		return HISTORY_E_INVAL;
	*p++ = REC_VERSION;
	*p++ = (uint8_t)e->kind;
	*p++ = e->self ? REC_SELF : 0;
	*p++ = (uint8_t)(nl >> 8); *p++ = (uint8_t)nl;
	memcpy(p, e->name ? e->name : "", nl); p += nl;
	*p++ = (uint8_t)(fl >> 8); *p++ = (uint8_t)fl;
	memcpy(p, e->fpr ? e->fpr : "", fl); p += fl;
	sotto_store_be32(p, (uint32_t)e->text_len); p += 4;
	if (e->text_len)
		memcpy(p, e->text, e->text_len);
	p += e->text_len;
	*n = (size_t)(p - h->pt);
	return 0;
}

/* The room tag, and the peer tag when peer is not NULL (then the file
 * must know DM rows). */
static int
conv_tags(struct history *h, const char *room, const char *peer,
    uint8_t tag[static TAG_LEN], uint8_t ptag[static TAG_LEN])
{
	if (room == NULL || room_tag(h, room, tag) != 0)
		return HISTORY_E_INVAL;
	if (peer != NULL && (h->version < DM_VERSION || peer_tag(h, peer, ptag) != 0))
		return HISTORY_E_INVAL;
	return 0;
}

/* Seal e as a row of room (peer NULL) or of the DM conversation with peer
 * in room, and insert it. */
static int
add_row(struct history *h, const char *room, const char *peer,
    const struct history_entry *e, int64_t *id)
{
	uint8_t tag[TAG_LEN], ptag[TAG_LEN], nonce[SOTTO_GCM_NONCE], aad[AAD_MAX];
	sqlite3_stmt *ins;
	size_t n, al;
	int r, rc;

	if (id != NULL)
		*id = 0;
	if (!history_on(h))
		return HISTORY_E_OFF;
	/* A DM row is always HISTORY_DM and a room row never is: the room's
	 * reads cannot return a private line by construction. */
	if (e == NULL || (peer != NULL) != (e->kind == HISTORY_DM) ||
	    conv_tags(h, room, peer, tag, ptag) != 0 || rec_encode(h, e, &n) != 0)
		return HISTORY_E_INVAL;
	ins = peer != NULL ? h->ins_dm : h->ins;
	sotto_random_nonce(nonce, sizeof(nonce));
	al = row_aad(aad, h->next_id, tag, peer != NULL ? ptag : NULL, e->ts_ms);
	r = sotto_aead_seal(h->aead, nonce, aad, al, h->pt, n, h->ct, h->ct + n);
	sotto_wipe(h->pt, n);
	if (r != 0)
		return fail_msg(h, HISTORY_E_CRYPTO, "sealing failed");
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, h->next_id);
	sqlite3_bind_blob(ins, 2, tag, TAG_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, (int64_t)e->ts_ms);
	sqlite3_bind_blob(ins, 4, nonce, sizeof(nonce), SQLITE_STATIC);
	sqlite3_bind_blob(ins, 5, h->ct, (int)(n + SOTTO_GCM_TAG), SQLITE_STATIC);
	if (peer != NULL)
		sqlite3_bind_blob(ins, 6, ptag, TAG_LEN, SQLITE_STATIC);
	errno = 0;
	if ((rc = sqlite3_step(ins)) != SQLITE_DONE) {
		h->step_errno = errno;
		return fail(h, rc, "storing a line");
	}
	sqlite3_reset(ins);
	if (id != NULL)
		*id = h->next_id;
	h->next_id++;
	h->bytes += n + SOTTO_GCM_TAG;
	if (++h->since_prune >= PRUNE_EVERY ||
	    (h->o.max_bytes && h->bytes > h->o.max_bytes))
		return history_prune(h, e->ts_ms);
	return 0;
}

int
history_add(struct history *h, const char *room, const struct history_entry *e)
{
	return add_row(h, room, NULL, e, NULL);
}

int
history_add_dm(struct history *h, const char *room, const char *peer,
    const struct history_entry *e, int64_t *id)
{
	if (peer == NULL)
		return HISTORY_E_INVAL;
	return add_row(h, room, peer, e, id);
}

static void
entry_clear(struct history_entry *e)
{
	if (e->text != NULL)
		sotto_wipe(e->text, e->text_len);
	free(e->text);
	free(e->name);
	free(e->fpr);
	memset(e, 0, sizeof(*e));
}

void
history_list_free(struct history_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		entry_clear(&l->e[i]);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static char *
dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* Parse an opened record (authenticated, but read with the bounds-checked
 * reader all the same). */
static int
rec_decode(const uint8_t *p, size_t len, struct history_entry *e)
{
	struct sotto_rd rd;
	const uint8_t *name, *fpr, *text;
	size_t nl, fl, tl;
	uint8_t ver, kind, flags;
	int r;

	sotto_rd_init(&rd, p, len);
	if ((r = sotto_rd_u8(&rd, &ver)) != 0 || (r = sotto_rd_u8(&rd, &kind)) != 0 ||
	    (r = sotto_rd_u8(&rd, &flags)) != 0 ||
	    (r = sotto_rd_string16(&rd, &name, &nl, HISTORY_NAME_MAX)) != 0 ||
	    (r = sotto_rd_string16(&rd, &fpr, &fl, HISTORY_FPR_MAX)) != 0 ||
	    (r = sotto_rd_string32(&rd, &text, &tl, HISTORY_TEXT_MAX)) != 0 ||
	    (r = sotto_rd_end(&rd)) != 0)
		return r;
	if (ver != REC_VERSION || kind < HISTORY_MSG || kind > HISTORY_NOTE)
		return SOTTO_E_FORMAT;
	e->kind = kind;
	e->self = (flags & REC_SELF) != 0;
	e->text_len = tl;
	if ((e->name = dup_n(name, nl)) == NULL || (e->fpr = dup_n(fpr, fl)) == NULL ||
	    (e->text = dup_n(text, tl)) == NULL)
		return SOTTO_E_ALLOC;
	return 0;
}

/* Open one row (id, ts, nonce, body) of room `tag` (and of the DM
 * conversation `peer` when not NULL): 0, or refused. */
static int
row_open(struct history *h, sqlite3_stmt *st, const uint8_t tag[static TAG_LEN],
    const uint8_t *peer, struct history_entry *e)
{
	uint8_t aad[AAD_MAX];
	size_t al;
	const uint8_t *nonce = sqlite3_column_blob(st, 2), *body;
	int64_t id = sqlite3_column_int64(st, 0), ts = sqlite3_column_int64(st, 1);
	size_t nn = (size_t)sqlite3_column_bytes(st, 2), bl, n;
	int r;

	body = sqlite3_column_blob(st, 3);
	bl = (size_t)sqlite3_column_bytes(st, 3);
	memset(e, 0, sizeof(*e));
	if (nonce == NULL || nn != SOTTO_GCM_NONCE || body == NULL ||
	    bl < SOTTO_GCM_TAG || bl > BODY_MAX || ts < 0)
		return SOTTO_E_FORMAT;
	n = bl - SOTTO_GCM_TAG;
	al = row_aad(aad, id, tag, peer, (uint64_t)ts);
	if ((r = sotto_aead_open(h->aead, nonce, aad, al, body, n,
	    body + n, h->pt)) != 0)
		return r;
	r = rec_decode(h->pt, n, e);
	sotto_wipe(h->pt, n);
	/* Authenticated, so sealed by us as this kind of row; checked all
	 * the same. */
	if (r == 0 && (peer != NULL) != (e->kind == HISTORY_DM))
		r = SOTTO_E_FORMAT;
	if (r != 0) {
		entry_clear(e);
		return r;
	}
	e->id = id;
	e->ts_ms = (uint64_t)ts;
	return 0;
}

static int
list_push(struct history_list *l, size_t *cap, struct history_entry *e)
{
	struct history_entry *ne;

	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;

		if ((ne = realloc(l->e, nc * sizeof(*ne))) == NULL)
			return HISTORY_E_ALLOC;
		l->e = ne;
		*cap = nc;
	}
	l->e[l->n++] = *e;
	return 0;
}

/* The rows of one conversation: the room's own (peer NULL; a file from
 * before DM_VERSION has no other kind), or the DMs with one peer. */
static const char *
conv_select(const struct history *h, bool dm)
{
	if (dm)
		return "SELECT id, ts, nonce, body FROM msg WHERE room = ? AND "
		    "peer = ? AND id < ? ORDER BY id DESC LIMIT ?";
	if (h->version >= DM_VERSION)
		return "SELECT id, ts, nonce, body FROM msg WHERE room = ? AND "
		    "peer IS NULL AND id < ? ORDER BY id DESC LIMIT ?";
	return "SELECT id, ts, nonce, body FROM msg WHERE room = ? AND id < ? "
	    "ORDER BY id DESC LIMIT ?";
}

/* Read up to `limit` rows of room (of its DMs with `peer` when not NULL)
 * with id < before, newest first; match (when non-NULL) filters by text.
 * *rows gets the rows looked at and *last the smallest id seen. */
static int
read_batch(struct history *h, const uint8_t tag[static TAG_LEN],
    const uint8_t *peer, int64_t before,
    size_t limit, bool (*match)(const struct history_entry *, const void *),
    const void *arg, struct history_list *out, size_t *cap, size_t max_hits,
    size_t *rows, int64_t *last)
{
	struct history_entry e;
	sqlite3_stmt *st;
	int rc, r = 0, k = 1;

	*rows = 0;
	if ((rc = sqlite3_prepare_v2(h->db, conv_select(h, peer != NULL), -1, &st,
	    NULL)) != SQLITE_OK)
		return fail(h, rc, "reading");
	sqlite3_bind_blob(st, k++, tag, TAG_LEN, SQLITE_STATIC);
	if (peer != NULL)
		sqlite3_bind_blob(st, k++, peer, TAG_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, k++, before);
	sqlite3_bind_int64(st, k, (int64_t)limit);
	while (r == 0 && out->n < max_hits && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		*last = sqlite3_column_int64(st, 0);
		if (row_open(h, st, tag, peer, &e) != 0) {
			out->refused++;
			continue;
		}
		if (match != NULL && !match(&e, arg)) {
			entry_clear(&e);
			continue;
		}
		if ((r = list_push(out, cap, &e)) != 0)
			entry_clear(&e);
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(h, rc, "reading");
	return r;
}

static int
last_rows(struct history *h, const char *room, const char *peer, int64_t before,
    size_t n, struct history_list *out)
{
	uint8_t tag[TAG_LEN], ptag[TAG_LEN];
	size_t cap = 0, rows, i;
	int64_t last = INT64_MAX;
	int r;

	memset(out, 0, sizeof(*out));
	if (!history_on(h))
		return HISTORY_E_OFF;
	if (conv_tags(h, room, peer, tag, ptag) != 0)
		return HISTORY_E_INVAL;
	if (n == 0)
		return 0;
	if ((r = read_batch(h, tag, peer != NULL ? ptag : NULL, before, n, NULL,
	    NULL, out, &cap, n, &rows, &last)) != 0) {
		history_list_free(out);
		return r;
	}
	for (i = 0; i < out->n / 2; i++) {      /* newest first -> oldest first */
		struct history_entry t = out->e[i];

		out->e[i] = out->e[out->n - 1 - i];
		out->e[out->n - 1 - i] = t;
	}
	return 0;
}

int
history_last(struct history *h, const char *room, size_t n, struct history_list *out)
{
	return last_rows(h, room, NULL, INT64_MAX, n, out);
}

int
history_last_dm(struct history *h, const char *room, const char *peer,
    int64_t before, size_t n, struct history_list *out)
{
	if (peer == NULL) {
		memset(out, 0, sizeof(*out));
		return HISTORY_E_INVAL;
	}
	return last_rows(h, room, peer, before, n, out);
}

static bool
text_contains(const struct history_entry *e, const void *arg)
{
	const char *needle = arg;
	size_t nl = strlen(needle), i, j;

	if (nl == 0)
		return true;
	for (i = 0; i + nl <= e->text_len; i++) {
		for (j = 0; j < nl; j++) {
			unsigned char a = (unsigned char)e->text[i + j];
			unsigned char b = (unsigned char)needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == nl)
			return true;
	}
	return false;
}

static int
search_rows(struct history *h, const char *room, const char *peer,
    const char *needle, size_t max_hits, size_t max_scan,
    struct history_list *out, bool *scanned_all)
{
	uint8_t tag[TAG_LEN], ptag[TAG_LEN];
	size_t cap = 0, rows, scanned = 0, want;
	int64_t before = INT64_MAX;
	int r;

	memset(out, 0, sizeof(*out));
	*scanned_all = false;
	if (!history_on(h))
		return HISTORY_E_OFF;
	if (needle == NULL || conv_tags(h, room, peer, tag, ptag) != 0)
		return HISTORY_E_INVAL;
	while (out->n < max_hits && scanned < max_scan) {
		want = max_scan - scanned;
		if (want > HISTORY_SEARCH_BATCH)
			want = HISTORY_SEARCH_BATCH;
		if ((r = read_batch(h, tag, peer != NULL ? ptag : NULL, before, want,
		    text_contains, needle, out, &cap, max_hits, &rows, &before)) != 0) {
			history_list_free(out);
			return r;
		}
		scanned += rows;
		if (rows < want && out->n < max_hits) {
			*scanned_all = true;
			break;
		}
	}
	return 0;
}

int
history_search(struct history *h, const char *room, const char *needle,
    size_t max_hits, size_t max_scan, struct history_list *out, bool *scanned_all)
{
	return search_rows(h, room, NULL, needle, max_hits, max_scan, out,
	    scanned_all);
}

int
history_search_dm(struct history *h, const char *room, const char *peer,
    const char *needle, size_t max_hits, size_t max_scan,
    struct history_list *out, bool *scanned_all)
{
	if (peer == NULL) {
		memset(out, 0, sizeof(*out));
		*scanned_all = false;
		return HISTORY_E_INVAL;
	}
	return search_rows(h, room, peer, needle, max_hits, max_scan, out,
	    scanned_all);
}

int
history_count(struct history *h, const char *room, uint64_t *n)
{
	uint8_t tag[TAG_LEN];
	sqlite3_stmt *st;
	int rc, r;

	*n = 0;
	if (!history_on(h))
		return HISTORY_E_OFF;
	if (room != NULL && (r = room_tag(h, room, tag)) != 0)
		return r;
	if ((rc = sqlite3_prepare_v2(h->db, room ? "SELECT count(*) FROM msg WHERE "
	    "room = ?" : "SELECT count(*) FROM msg", -1, &st, NULL)) != SQLITE_OK)
		return fail(h, rc, "counting");
	if (room)
		sqlite3_bind_blob(st, 1, tag, TAG_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(h, rc, "counting");
	return 0;
}

/* --- deleting ------------------------------------------------------------ */

/* Run a DELETE with one bound value: blob (when non-NULL, and blob2 as a
 * second when non-NULL), else v. */
static int
delete_where(struct history *h, const char *sql, const void *blob,
    const void *blob2, size_t bl, int64_t v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	if (blob != NULL) {
		sqlite3_bind_blob(st, 1, blob, (int)bl, SQLITE_STATIC);
		if (blob2 != NULL)
			sqlite3_bind_blob(st, 2, blob2, (int)bl, SQLITE_STATIC);
	} else
		sqlite3_bind_int64(st, 1, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The id up to which the oldest rows go so the rest fit PRUNE_SLACK %
 * under max_bytes. */
static int
size_cutoff(struct history *h, int64_t *cut, uint64_t *freed)
{
	uint64_t goal = h->o.max_bytes - h->o.max_bytes / 100u * PRUNE_SLACK;
	sqlite3_stmt *st;
	int rc;

	*cut = 0;
	*freed = 0;
	if ((rc = sqlite3_prepare_v2(h->db, "SELECT id, length(body) FROM msg "
	    "ORDER BY id", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	while (h->bytes - *freed > goal && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*cut = sqlite3_column_int64(st, 0);
		*freed += (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_OK : rc;
}

static int
recount(struct history *h)
{
	int64_t v;
	int rc;

	if ((rc = pragma_int(h, "SELECT coalesce(sum(length(body)), 0) FROM msg",
	    &v)) != SQLITE_OK)
		return rc;
	h->bytes = (uint64_t)v;
	return SQLITE_OK;
}

int
history_prune(struct history *h, uint64_t now_ms)
{
	uint64_t freed;
	int64_t cut;
	int rc = SQLITE_OK;

	if (!history_on(h))
		return HISTORY_E_OFF;
	h->since_prune = 0;
	if (h->o.max_age_ms && now_ms > h->o.max_age_ms &&
	    ((rc = delete_where(h, "DELETE FROM msg WHERE ts < ?", NULL, NULL, 0,
	    (int64_t)(now_ms - h->o.max_age_ms))) != SQLITE_OK ||
	    (rc = recount(h)) != SQLITE_OK))
		return fail(h, rc, "applying retention");
	if (h->o.max_bytes && h->bytes > h->o.max_bytes) {
		if ((rc = size_cutoff(h, &cut, &freed)) != SQLITE_OK ||
		    (rc = delete_where(h, "DELETE FROM msg WHERE id <= ?", NULL, NULL, 0,
		    cut)) != SQLITE_OK || (rc = recount(h)) != SQLITE_OK)
			return fail(h, rc, "applying retention");
	}
	return 0;
}

/* Every row of room (its DMs too) when peer is NULL, else only the DMs
 * with peer in room; the space is reclaimed and the WAL truncated. */
static int
forget_rows(struct history *h, const char *room, const char *peer)
{
	uint8_t tag[TAG_LEN], ptag[TAG_LEN];
	int rc;

	if (!history_on(h))
		return HISTORY_E_OFF;
	if (conv_tags(h, room, peer, tag, ptag) != 0)
		return HISTORY_E_INVAL;
	if ((rc = delete_where(h, peer != NULL ? "DELETE FROM msg WHERE room = ? "
	    "AND peer = ?" : "DELETE FROM msg WHERE room = ?", tag,
	    peer != NULL ? ptag : NULL, TAG_LEN, 0)) != SQLITE_OK ||
	    (rc = exec(h, "PRAGMA incremental_vacuum")) != SQLITE_OK ||
	    (rc = exec(h, "PRAGMA wal_checkpoint(TRUNCATE)")) != SQLITE_OK ||
	    (rc = recount(h)) != SQLITE_OK)
		return fail(h, rc, "forgetting");
	return 0;
}

int
history_forget(struct history *h, const char *room)
{
	return forget_rows(h, room, NULL);
}

int
history_forget_dm(struct history *h, const char *room, const char *peer)
{
	if (peer == NULL)
		return HISTORY_E_INVAL;
	return forget_rows(h, room, peer);
}

/* SPDX-License-Identifier: ISC */
/* history.h: the encrypted local history store: one SQLite database per identity, every record sealed with AES-256-GCM.
 *
 * Key input. The store never sees the identity's private key. It takes a
 * 32-byte "history root secret" from the identity layer:
 *
 *   root = SHA-256("sotto-v1 history-root" || sig)
 *   sig  = Ed25519 signature by the identity over HISTORY_ROOT_CHALLENGE
 *
 * Ed25519 signatures are deterministic (RFC 8032), so a key held in a file
 * (with or without a passphrase, once unlocked) and the same key held by
 * ssh-agent give the same root: with the agent, the history key is a key
 * wrapped under a signature the agent makes over a fixed challenge.
 * history_root_from_sig() does the hashing; the caller makes the
 * signature however its key is held.
 *
 * On creation each database gets a random 32-byte data key (DEK), stored
 * only wrapped (AES-256-GCM) under HMAC-SHA256(root, label || salt). A
 * database made by another identity does not unwrap and is refused. Every
 * row is (id, room tag, ts, nonce, sealed record): the room tag is an
 * HMAC of the room name, the record (kind, sender name, fingerprint,
 * text) is sealed with AAD binding the row id, room tag and timestamp, so
 * the file alone reveals timing and sizes only, and a row that was
 * altered, moved or swapped fails to open and is refused.
 *
 * Direct messages (schema 3 on) are rows of their room with a second tag,
 * peer: an HMAC (under a key of its own) of the other member's
 * fingerprint. A DM row's AAD binds the peer tag too, under another
 * label, so a DM row moved to another peer, another room or among the
 * room's own rows (and a room row made a DM) fails to open. The room's
 * reads (history_last, history_search) never return DM rows; the _dm
 * readers return one conversation's only. history_forget wipes a room
 * with its DMs; retention counts every row alike.
 *
 * Errors. No function prints. Each returns 0 or a negative history_err
 * and leaves one line for the user in history_errmsg(). A failure that
 * means the file can no longer be used (corrupt, full disk, locked,
 * unreadable, another identity) switches the store off for the rest of the
 * process: later calls return HISTORY_E_OFF at once and the caller keeps
 * chatting without history. The file is never deleted; a corrupt one is
 * renamed aside (path + ".corrupt-<unix time>").
 */
#ifndef SOTTO_HISTORY_H
#define SOTTO_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_ROOT_LEN        32u
/* The fixed challenge the identity signs to make the root (never a frame:
 * every sotto frame signature covers a "sotto-v1 XXX" label of 12 bytes
 * first, this one is longer and differs at byte 9). */
#define HISTORY_ROOT_CHALLENGE  "sotto-v1 history-root challenge: sign only to unlock local history"
/* 1: rows; 2: indexes; 3: the peer column (DM rows). A file of a newer
 * version is refused (one line, no history); an older one is migrated at
 * open, its rows kept as they are (they are all room rows). */
#define HISTORY_SCHEMA_VERSION  3
#define HISTORY_TEXT_MAX        16384u  /* = SOTTO_TEXT_MAX */
#define HISTORY_NAME_MAX        255u
#define HISTORY_FPR_MAX         64u     /* "SHA256:" + base64 */
#define HISTORY_ROOM_MAX        64u     /* = SOTTO_ROOM_MAX */
#define HISTORY_ERR_LEN         384u
#define HISTORY_SEARCH_BATCH    512u    /* rows decrypted per step of a search */

enum history_err {
	HISTORY_OK          = 0,
	HISTORY_E_OFF       = -1,   /* store switched off earlier (or never opened) */
	HISTORY_E_CORRUPT   = -2,   /* not a database / damaged: moved aside */
	HISTORY_E_LOCKED    = -3,   /* another process holds it */
	HISTORY_E_FULL      = -4,   /* disk or file-size limit reached */
	HISTORY_E_OPEN      = -5,   /* cannot open or create (permissions, path) */
	HISTORY_E_IDENTITY  = -6,   /* made by another identity (key does not unwrap) */
	HISTORY_E_NEWER     = -7,   /* schema newer than this program knows */
	HISTORY_E_IO        = -8,   /* any other SQLite failure */
	HISTORY_E_INVAL     = -9,   /* bad argument (too long, NULL) */
	HISTORY_E_ALLOC     = -10,
	HISTORY_E_CRYPTO    = -11,
};

enum history_kind {
	HISTORY_MSG   = 1,   /* a room message (ours or another member's) */
	HISTORY_JOIN  = 2,
	HISTORY_LEAVE = 3,
	HISTORY_DM    = 4,   /* a direct message (ours or the peer's): _dm only */
	HISTORY_NOTE  = 5,   /* a notice the user saw (e.g. "sent to nobody") */
};

struct history_opts {
	uint64_t max_age_ms;   /* drop records older than this; 0 keeps forever */
	uint64_t max_bytes;    /* drop the oldest records above this many sealed bytes; 0 no bound */
};

/* One record as handed to history_add and back from the readers. */
struct history_entry {
	int64_t  id;           /* row id, increasing in insertion order */
	uint64_t ts_ms;        /* ms since the Unix epoch */
	int      kind;         /* enum history_kind */
	bool     self;         /* we sent it */
	char    *name;         /* NUL-terminated */
	char    *fpr;          /* NUL-terminated, may be "" */
	char    *text;         /* text_len bytes plus a NUL */
	size_t   text_len;
};

/* A batch of entries, oldest first. */
struct history_list {
	struct history_entry *e;
	size_t                n;
	size_t                refused;   /* rows that failed authentication: skipped */
};

struct history;

/* root = SHA-256("sotto-v1 history-root" || sig). */
void history_root_from_sig(uint8_t root[static HISTORY_ROOT_LEN],
    const uint8_t sig[static 64]);

/* "$XDG_DATA_HOME/sotto/<tag>.db" (or ~/.local/share/sotto/...), tag an
 * HMAC of the root so the name does not reveal the public key. Creates the
 * folder (0700). 0, or HISTORY_E_INVAL/HISTORY_E_OPEN with err filled. */
int history_default_path(char *out, size_t out_len,
    const uint8_t root[static HISTORY_ROOT_LEN], char *err, size_t err_len);

/* Open or create the database at path for the identity whose root is
 * given, migrate its schema, take the exclusive lock and apply retention.
 * On failure *out is NULL and err holds the one line for the user. */
int history_open(struct history **out, const char *path,
    const uint8_t root[static HISTORY_ROOT_LEN], const struct history_opts *o,
    char *err, size_t err_len);
/* Tests only: create/open at an older schema version (no migration past
 * it), so migrations can be tested from a file exactly as that version
 * wrote it. */
int history_open_at_version(struct history **out, const char *path,
    const uint8_t root[static HISTORY_ROOT_LEN], const struct history_opts *o,
    int version, char *err, size_t err_len);
void history_free(struct history *h);

/* Whether the store is usable (opened and not switched off). */
bool history_on(const struct history *h);
/* The last error line (never NULL). */
const char *history_errmsg(const struct history *h);
/* The schema version of the open file. */
int history_version(const struct history *h);

/* Store one record of a room; committed (in the WAL, durable against the
 * process being killed) when this returns 0. Applies retention every
 * so many inserts. HISTORY_E_INVAL for a HISTORY_DM record. */
int history_add(struct history *h, const char *room,
    const struct history_entry *e);
/* Store a direct message (kind HISTORY_DM, else HISTORY_E_INVAL) of the
 * conversation in room with the member whose fingerprint string is peer
 * ("SHA256:..."), as history_add; *id (may be NULL) gets its row id.
 * HISTORY_E_INVAL on a file opened below version 3. */
int history_add_dm(struct history *h, const char *room, const char *peer,
    const struct history_entry *e, int64_t *id);

/* The last n records of room, oldest first (never its DMs). */
int history_last(struct history *h, const char *room, size_t n,
    struct history_list *out);
/* The last n DMs with peer in room among the rows with id < before
 * (INT64_MAX: all), oldest first. */
int history_last_dm(struct history *h, const char *room, const char *peer,
    int64_t before, size_t n, struct history_list *out);
/* Records of room whose text contains needle (ASCII case-insensitive),
 * newest first, at most max_hits, looking at no more than max_scan rows
 * (decrypted HISTORY_SEARCH_BATCH at a time). *scanned_all is true when
 * the whole room was looked at. */
int history_search(struct history *h, const char *room, const char *needle,
    size_t max_hits, size_t max_scan, struct history_list *out,
    bool *scanned_all);
/* The same over the DMs with peer in room only. */
int history_search_dm(struct history *h, const char *room, const char *peer,
    const char *needle, size_t max_hits, size_t max_scan,
    struct history_list *out, bool *scanned_all);
/* Wipe every record of room, its DMs included (and reclaim the space). */
int history_forget(struct history *h, const char *room);
/* Wipe the DMs with peer in room only. */
int history_forget_dm(struct history *h, const char *room, const char *peer);
/* Apply retention now (age against now_ms, then size). */
int history_prune(struct history *h, uint64_t now_ms);
/* Records in room, its DMs included (all rooms when room is NULL). */
int history_count(struct history *h, const char *room, uint64_t *n);
/* Sealed bytes stored (what max_bytes bounds). */
uint64_t history_bytes(const struct history *h);

void history_list_free(struct history_list *l);

#endif

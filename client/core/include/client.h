/* SPDX-License-Identifier: ISC */
/* client.h: the protocol core of sotto (join, keys, messages, reconnect) and
 * the event interface its front-ends (fe-batch/, fe-curses/) consume. The
 * one header of client/core/ a front-end sees.
 *
 * The core owns the relay connection and all keys; it never prints. It
 * reports everything through one callback with a struct client_event (a
 * tagged union) whose pointers are borrowed for the duration of the call.
 */
#ifndef SOTTO_CLIENT_H
#define SOTTO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

enum client_event_type {
	CLIENT_EV_CONNECTED,     /* .connected */
	CLIENT_EV_READY,         /* .ready */
	CLIENT_EV_JOINED,        /* .joined */
	CLIENT_EV_LEFT,          /* .left */
	CLIENT_EV_MESSAGE,       /* .message */
	CLIENT_EV_MEMBERS,       /* .members: answer to client_who */
	CLIENT_EV_REJECTED,      /* .rejected: one dropped frame */
	CLIENT_EV_ERROR,         /* .error: fatal, the front-end exits non-zero;
	                          * the core has stopped all its watchers already */
	CLIENT_EV_DISCONNECTED,  /* .disconnected; the core reconnects by itself */
	CLIENT_EV_STATUS,        /* .status: state changed (UI status line) */
	CLIENT_EV_REKEYED,       /* .rekeyed: we switched to a new group key */
	CLIENT_EV_HISTORY,       /* .history: a stored record (client_history_*) */
	CLIENT_EV_ACTION,        /* .message: a /me line */
	CLIENT_EV_AWAY,          /* .away */
	CLIENT_EV_QUIT_MESSAGE,  /* .message: the line a member left with */
	CLIENT_EV_UNTRUSTED_JOINED, /* .untrusted: an untrusted reader is present */
	CLIENT_EV_UNTRUSTED_LEFT,   /* .untrusted: its last session left */
	CLIENT_EV_WAITING_KEY,   /* .waiting_key: we asked a member for the key */
	CLIENT_EV_NOTICE,        /* .notice: news that is not an error
	                          * (unknown-content, no-key-yet) */
	/* File transfer (docs/protocol.md "Files", core/xfer.c): all .file. */
	CLIENT_EV_FILE_OFFER,    /* an offer made to us (outgoing false) or by
	                          * us (true); once per transfer */
	CLIENT_EV_FILE_PROGRESS, /* at most 4 per second per transfer, and at 100 % */
	CLIENT_EV_FILE_RECEIVED, /* verified and published at .path; .sha256 hex */
	CLIENT_EV_FILE_SENT,     /* the receiver said DONE (our side) */
	CLIENT_EV_FILE_FAILED,   /* .reason word + .detail line; temp file gone */
	CLIENT_EV_FILE_INTERRUPTED, /* cut by a disconnect: kept for the resume
	                          * window (.detail), then resumes (PROGRESS goes
	                          * on) or FAILED (sender-gone, timeout) */
	CLIENT_EV_FILE_HASHING,  /* our /send of a file larger than one hashing
	                          * slice (1 MiB): it is hashed a slice per loop
	                          * turn; FILE_OFFER (outgoing) when done, or
	                          * FILE_FAILED (read-failed, cancelled, ...) */
};

struct client_member {
	const char *name;
	const char *fpr;         /* "SHA256:..." */
	bool        self;
	unsigned    sessions;    /* connections with this key, >= 1 */
	const char *away;        /* its away reason, NULL when not away */
};

/* An identity not in our trusted folder that is in the room
 * (docs/protocol.md "Untrusted readers"). */
struct client_reader {
	const char        *fpr;
	unsigned           sessions;
};

/* One struct per event kind; a new kind adds a struct and a union member,
 * and grows no other event. */
struct client_ev_connected {
	const char *relay, *room;
};

struct client_ev_ready {
	const char *room;
	uint32_t    epoch;
	bool        first;       /* we generated the group key */
	const struct client_member *members;   /* self included */
	size_t      n_members;
};

struct client_ev_joined {
	const char *name, *fpr;
};

struct client_ev_left {
	const char *name, *fpr;
};

struct client_ev_message {
	const char *name, *fpr;
	const char *text;        /* valid UTF-8, not NUL-terminated */
	size_t      text_len;
	uint64_t    ts;          /* sender's signed time, Unix seconds */
	uint64_t    ts_ms;       /* the same in milliseconds */
	/* A direct message (docs/protocol.md "Direct messages"): ours to
	 * `to` (the echo of client_send_dm: name is ours), or name's to us
	 * (`to` is our own name). false and NULL for room messages. */
	bool        dm;
	const char *to;
	const char *to_fpr;      /* `to`'s fingerprint (a DM; else NULL) */
};

struct client_ev_members {
	const struct client_member *members;   /* self first, one per identity */
	size_t      n_members;
	const struct client_reader *readers;   /* untrusted readers present */
	size_t      n_readers;
};

struct client_ev_away {
	const char *name, *fpr;
	bool        away;        /* false: back */
	const char *reason;      /* UTF-8, not NUL-terminated; empty when back */
	size_t      reason_len;
	uint64_t    ts;
};

struct client_ev_untrusted {
	const char *fpr;
	unsigned    sessions;    /* its connections in the room now */
};

struct client_ev_waiting_key {
	const char *asked;       /* its name, or "member N" when it is unknown */
	const char *asked_fpr;   /* NULL when unknown */
	const char *fpr;         /* ours, to send to whoever should trust us */
};

struct client_ev_notice {
	const char *text;        /* one line for people */
	const char *reason;      /* a word for programs (unknown-content,
	                          * no-key-yet); NULL when there is none */
};

struct client_ev_rejected {
	const char *reason;      /* one of the wire-v1 §5 words */
	const char *detail;
	const char *name, *fpr;  /* the sender when known, else NULL */
	bool        quiet;       /* from a relay id cut off after a flood of bad
	                          * frames (one notice said so): a UI need not
	                          * show each; batch still reports it */
};

/* One file transfer (FILE_* events). Pointers borrowed for the call. */
struct client_ev_file {
	unsigned    n;            /* per-client transfer number, for /accept N,
	                           * /cancel N */
	bool        outgoing;     /* we send it */
	bool        private_;     /* a DM file */
	const char *name, *fpr;   /* the other side (the sender when incoming;
	                           * for a room offer we send, name is NULL,
	                           * except in FILE_SENT/FAILED: the receiver) */
	const char *file_name;    /* sanitised (incoming) or our basename (outgoing) */
	uint64_t    size, done;   /* bytes */
	double      rate;         /* bytes/s over the last seconds, 0 unknown */
	double      eta;          /* s, -1 unknown */
	bool        auto_accepted;/* incoming: no /accept needed */
	bool        waiting;      /* incoming: waits for /accept n */
	int         media;        /* enum sotto_mediatype: sniffed from the
	                           * published file for RECEIVED, the sender's
	                           * claim for OFFER */
	const char *path;         /* RECEIVED: full path of the published file */
	const char *sha256;       /* RECEIVED/OFFER: 64 hex chars */
	const char *reason;       /* FAILED: a word (docs/batch.md "Files") */
	const char *detail;       /* FAILED, INTERRUPTED: one line for people */
};

struct client_ev_error {
	const char *reason, *detail;
};

struct client_ev_disconnected {
	const char *reason;
};

struct client_ev_status {
	const char *state;       /* "connecting", "joining", "ready", ... */
	/* A notice, not a state, when reason != NULL: then state == reason
	 * (front-ends key on reason) and detail is one line for the user:
	 * "reload-failed": a SIGHUP reload of the trusted folder failed; the
	 *   old set stays in force;
	 * "trust-skipped": at a reload, one trusted-folder file was skipped
	 *   (not trusted); one per file (at start: client_trust_skipped);
	 * "agent-failed": ssh-agent failed; typed lines stay pending until a
	 *   later line finds it working again. Once per failure;
	 * "history": the local history cannot be used (once), or stored rows
	 *   were refused (their count);
	 * "held-lines": lines typed during a relay outage did not reach every
	 *   member from before (docs/protocol.md "Lines typed during an
	 *   outage").
	 * A state change (UI status line) has reason == NULL. */
	const char *reason, *detail;
};

struct client_ev_rekeyed {
	uint32_t    epoch;
	const char *reason;      /* "left", "removed", "timer", "count", "conflict" */
};

/* Kinds of stored records (the values of history.h's enum history_kind). */
enum client_history_kind {
	CLIENT_HIST_MESSAGE = 1,
	CLIENT_HIST_JOINED  = 2,
	CLIENT_HIST_LEFT    = 3,
	CLIENT_HIST_DM      = 4,
	CLIENT_HIST_NOTICE  = 5,
};

struct client_ev_history {
	const char *origin;      /* "restore" (at start), "history", "search" */
	int         kind;        /* enum client_history_kind */
	bool        self;        /* a line we sent */
	const char *name, *fpr;
	const char *text;        /* MESSAGE, DM, NOTICE; UTF-8 as stored */
	size_t      text_len;
	uint64_t    ts;          /* when it was sent (messages) or stored, s */
	uint64_t    ts_ms;
	/* A DM of client_history_dm_*: the name the conversation was asked
	 * for (the other member, whoever sent the line); NULL otherwise. */
	const char *peer;
};

/* Pointers are borrowed for the duration of the callback only. */
struct client_event {
	enum client_event_type type;
	union {
		struct client_ev_connected    connected;
		struct client_ev_ready        ready;
		struct client_ev_joined       joined;
		struct client_ev_left         left;
		struct client_ev_message      message;
		struct client_ev_members      members;
		struct client_ev_rejected     rejected;
		struct client_ev_error        error;
		struct client_ev_disconnected disconnected;
		struct client_ev_status       status;
		struct client_ev_rekeyed      rekeyed;
		struct client_ev_history      history;
		struct client_ev_away         away;
		struct client_ev_untrusted    untrusted;
		struct client_ev_waiting_key  waiting_key;
		struct client_ev_notice       notice;
		struct client_ev_file         file;
	};
};

typedef void (*client_event_fn)(const struct client_event *ev, void *ctx);

struct sotto_identity;

struct client_config {
	const char *identity;    /* the identity's path (for messages) */
	/* The identity main opened (passphrase asked before the UI, or
	 * ssh-agent); the core owns it from client_new on, even when that
	 * fails. NULL: the core opens `identity` itself. */
	struct sotto_identity *ident;
	const char *trusted;     /* folder of trusted *.pub keys */
	const char *room;        /* default lobby */
	const char *relay;       /* default 127.0.0.1:7700 */
	double      clock_skew;  /* seconds of skew allowed on DAT timestamps */
	double      hold_lines;  /* s lines typed during an outage wait, once we are
	                          * back, for the members from before (0: 120) */
	/* Encrypted local history (docs/ui.md "History"). */
	bool        no_history;  /* keep nothing, open nothing */
	const char *history_path; /* NULL: $XDG_DATA_HOME/sotto/<tag>.db */
	size_t      history_restore;   /* lines client_history_start replays */
	double      history_days;      /* retention by age; 0 keeps forever */
	uint64_t    history_max_bytes; /* retention by size; 0 no bound */
	bool        strict;      /* send nothing while an untrusted reader is present */
	bool        retry;       /* relay not up at start: keep trying, not fatal */
	/* Periodic rotation (docs/protocol.md "v2: periodic rotation"): a new
	 * group key after this many seconds or room messages under one key;
	 * 0 turns each off (a zeroed config: no periodic rotation; sotto's
	 * defaults are CLIENT_ROTATE_*). */
	double      rotate_interval; /* 0 or CLIENT_ROTATE_INTERVAL_MIN..MAX */
	uint64_t    rotate_messages;
	/* Files (docs/batch.md "Files"). */
	bool        accept_files; /* accept every offer under max_file */
	uint64_t    max_file;     /* bytes; 0: SOTTO_FILE_MAX_DEFAULT (100 MiB) */
	const char *download_dir; /* NULL: sotto_dl_dir() */
	double      file_resume;  /* s a cut transfer waits; 0: SOTTO_FILE_RESUME_S */
	/* Chunks a second a sender sends at most; 0: SOTTO_FILE_RATE. With
	 * file_unpaced, no clock: only the unsent output bounds the sender
	 * (for a relay run without a budget: docs/design-dm-files.md). */
	unsigned    file_rate;    /* 0 or 1..CLIENT_FILE_RATE_MAX */
	bool        file_unpaced;
};

#define CLIENT_FILE_RATE_MAX        1000u    /* --file-rate's bound */

#define CLIENT_ROTATE_INTERVAL      3600.0   /* s: sotto's default */
#define CLIENT_ROTATE_MESSAGES      10000u   /* sotto's default */
#define CLIENT_ROTATE_INTERVAL_MIN  1.0
#define CLIENT_ROTATE_INTERVAL_MAX  (366.0 * 86400.0)

struct client;

/* Loads identity and trusted folder; on failure returns NULL with one line
 * in err. Starts RSA generation at once (in a thread) and connecting. */
struct client *client_new(struct ev_loop *loop, const struct client_config *cfg,
    client_event_fn fn, void *ctx, char *err, size_t err_len);
void client_free(struct client *c);

/* Queue a message; sent in order once the client holds the group key. */
int client_send_text(struct client *c, const char *text, size_t len);
/* The same for any content type a user sends (SOTTO_CT_TEXT, _ACTION,
 * _AWAY, _QUIT of shared/pad.h): SOTTO_E_TOOLONG or SOTTO_E_FORMAT when the
 * body breaks its rule, CLIENT_E_STRICT in strict mode while an untrusted
 * reader is present. */
#define CLIENT_E_STRICT (-200)
int client_send(struct client *c, uint8_t ctype, const char *text, size_t len);
/* A direct message to the one current session of trusted member `name`
 * (docs/protocol.md "Direct messages"), sealed and sent now. 0: sent, and
 * its echo (CLIENT_EV_MESSAGE, dm true) was emitted. Otherwise nothing
 * was sent: why holds one line for people and *reason a word for programs
 * (docs/batch.md: no-such-member, not-in-room, member-left, two-sessions,
 * dm-self, not-ready, line-too-long, invalid-utf8, not-sent). Strict mode
 * does not hold DMs: an untrusted reader cannot open them. */
#define CLIENT_E_DM_TARGET   (-201)
#define CLIENT_E_DM_NOTREADY (-202)
int client_send_dm(struct client *c, const char *name, const char *text,
    size_t len, char *why, size_t why_len, const char **reason);
/* Offer a file: to the room (to_name NULL) or to one member (inside a
 * DM). 0: offered, and CLIENT_EV_FILE_OFFER with outgoing=true was
 * emitted. Otherwise why/ *reason as client_send_dm (reasons: no-such-file,
 * not-a-file, too-large, read-failed, too-many-files, plus the DM target
 * reasons). */
int client_send_file(struct client *c, const char *to_name, const char *path,
    char *why, size_t why_len, const char **reason);
/* Accept offer n (the number in its CLIENT_EV_FILE_OFFER); cancel a
 * transfer either way. 0, or why holds one line. Both may be called from
 * inside any event callback, including one about transfer n itself: a
 * transfer is over (no longer found by n) before its FILE_RECEIVED,
 * FILE_SENT or FILE_FAILED is emitted, and its memory is freed only at
 * the end of the loop turn. */
int client_accept_file(struct client *c, unsigned n, char *why, size_t why_len);
int client_cancel_file(struct client *c, unsigned n, char *why, size_t why_len);
/* Strict mode: nothing is sent while an untrusted reader is present. */
void client_set_strict(struct client *c, bool on);
bool client_strict(const struct client *c);
/* Untrusted identities present now; their fingerprints, comma-separated,
 * into buf (cut to fit). */
size_t client_readers(const struct client *c, char *buf, size_t len);
/* Emits CLIENT_EV_MEMBERS. */
void client_who(struct client *c);
/* Re-read the trusted folder; 0 or an error with err filled. */
int client_reload(struct client *c, char *err, size_t err_len);
/* Whether name is the name of a key in the trusted folder (a front-end
 * splitting "/send NAME PATH" refuses what could be either). */
bool client_trusts_name(const struct client *c, const char *name);
/* Trusted-folder files skipped at the last load (bad, or failing the
 * StrictModes checks): their count, and up to *n_warn one-line warnings
 * (borrowed until the next reload). warn and n_warn may be NULL. */
size_t client_trust_skipped(const struct client *c, const char *const **warn,
    size_t *n_warn);
/* Whether signatures are made by ssh-agent. */
bool client_uses_agent(const struct client *c);
/* Own fingerprint "SHA256:..." (borrowed). */
const char *client_fingerprint(const struct client *c);
/* True when every queued message has been written to the relay socket. */
bool client_drained(const struct client *c);
/* Before a clean exit, once drained: send the room our signed LEAVE
 * (members rotate at once); true when one was sent (wait until drained
 * again), false when there is nothing to say (not in the room). */
bool client_leave(struct client *c);
/* History (core/histlog.c). Each emits CLIENT_EV_HISTORY events
 * synchronously; a store that is off emits its one error line (a STATUS
 * notice, reason "history") the first time and returns a negative
 * value. */
/* At start, before the loop runs: config's history_restore lines. */
int client_history_start(struct client *c);
/* The last n records of the room; origin says why ("history"). */
int client_history_replay(struct client *c, size_t n, const char *origin);
/* Matches of needle (ASCII case-insensitive), oldest first; returns the
 * count. Looks at no more than max_scan of the newest records. */
int client_history_search(struct client *c, const char *needle,
    size_t max_hits, size_t max_scan, bool *scanned_all);
/* Wipe the room's history, its direct messages included. */
int client_history_forget(struct client *c);
/* The same three for the direct messages with trusted member `name` in
 * this room only (CLIENT_HIST_DM events whose peer is name); the room's
 * calls above never show a DM. A DM whose CLIENT_EV_MESSAGE is being
 * delivered (called from inside that callback, e.g. to fill the view it
 * opens) is not replayed: it is on its way to the screen. A name not in
 * the trusted folder has no stored DMs: 0, nothing emitted. */
int client_history_dm_replay(struct client *c, const char *name, size_t n,
    const char *origin);
int client_history_dm_search(struct client *c, const char *name,
    const char *needle, size_t max_hits, size_t max_scan, bool *scanned_all);
int client_history_dm_forget(struct client *c, const char *name);
bool client_history_on(const struct client *c);

/* Close the connection and stop all watchers; the loop then ends. */
void client_shutdown(struct client *c);

#endif

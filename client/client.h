/* client.h: the protocol core of sotto (join, keys, messages, reconnect) and
 * the event interface its two front-ends (batch.c, ui.c) consume.
 *
 * The core owns the relay connection and all keys; it never prints. It
 * reports everything through one callback with a struct client_event whose
 * pointers are borrowed for the duration of the call only.
 */
#ifndef SOTTO_CLIENT_H
#define SOTTO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

enum client_event_type {
	CLIENT_EV_CONNECTED,     /* relay, room */
	CLIENT_EV_READY,         /* room, epoch, first, members */
	CLIENT_EV_JOINED,        /* name, fpr */
	CLIENT_EV_LEFT,          /* name, fpr */
	CLIENT_EV_MESSAGE,       /* name, fpr, text/text_len, ts (Unix seconds) */
	CLIENT_EV_MEMBERS,       /* members (self included): answer to /who */
	CLIENT_EV_REJECTED,      /* reason (one of the §5 words), detail */
	CLIENT_EV_ERROR,         /* reason, detail: fatal, the front-end exits non-zero;
	                          * the core has stopped all its watchers already */
	CLIENT_EV_DISCONNECTED,  /* reason; the core reconnects by itself */
	CLIENT_EV_HISTORY,       /* a stored record (client_history_*): hist_kind, self,
	                          * name, fpr, text/text_len, ts, ts_ms; state is the
	                          * origin: "restore", "history" or "search" */
	CLIENT_EV_STATUS,        /* state changed (connecting, joining, ...): UI status line.
	                          * state "reload-failed" (reason, detail): a SIGHUP
	                          * reload of the trusted folder failed; the old set
	                          * stays in force. */
};

struct client_member {
	const char *name;
	const char *fpr;         /* "SHA256:..." */
	bool        self;
};

struct client_event {
	enum client_event_type type;
	const char *relay, *room;
	uint32_t    epoch;
	bool        first;
	const struct client_member *members;
	size_t      n_members;
	const char *name, *fpr;
	const char *text;
	size_t      text_len;
	uint64_t    ts;
	uint64_t    ts_ms;       /* MESSAGE, HISTORY: the same time in ms */
	int         hist_kind;   /* HISTORY: enum history_kind (history.h) */
	bool        self;        /* HISTORY: a line we sent */
	const char *reason, *detail;
	const char *state;       /* CLIENT_EV_STATUS: "connecting", "joining", "ready", ... */
};

typedef void (*client_event_fn)(const struct client_event *ev, void *ctx);

struct client_config {
	const char *identity;    /* default keys/id_ed25519 */
	const char *trusted;     /* default keys/trusted */
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
};

struct client;

/* Loads identity and trusted folder; on failure returns NULL with one line
 * in err. Starts RSA generation at once (in a thread) and connecting. */
struct client *client_new(struct ev_loop *loop, const struct client_config *cfg,
    client_event_fn fn, void *ctx, char *err, size_t err_len);
void client_free(struct client *c);

/* Queue a message; sent in order once the client holds the group key. */
int client_send_text(struct client *c, const char *text, size_t len);
/* Emits CLIENT_EV_MEMBERS. */
void client_who(struct client *c);
/* Re-read the trusted folder; 0 or an error with err filled. */
int client_reload(struct client *c, char *err, size_t err_len);
/* Own fingerprint "SHA256:..." (borrowed). */
const char *client_fingerprint(const struct client *c);
/* True when every queued message has been written to the relay socket. */
bool client_drained(const struct client *c);
/* History (histlog.c). Each emits CLIENT_EV_HISTORY events synchronously;
 * a store that is off emits its one error line (a STATUS "notice" with
 * reason "history") the first time and returns a negative value. */
/* At start, before the loop runs: config's history_restore lines. */
int client_history_start(struct client *c);
/* The last n records of the room; origin names why ("history"). */
int client_history_replay(struct client *c, size_t n, const char *origin);
/* Matches of needle (ASCII case-insensitive), oldest first: the count. */
int client_history_search(struct client *c, const char *needle,
    size_t max_hits, size_t max_scan, bool *scanned_all);
/* Wipe the room's history. */
int client_history_forget(struct client *c);
bool client_history_on(const struct client *c);

/* Close the connection and stop all watchers; the loop then ends. */
void client_shutdown(struct client *c);

#endif

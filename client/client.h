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
	CLIENT_EV_STATUS,        /* state changed (connecting, joining, ...): UI status line.
	                          * state "reload-failed" (reason, detail): a SIGHUP
	                          * reload of the trusted folder failed; the old set
	                          * stays in force. */
	CLIENT_EV_ACTION,        /* name, fpr, text/text_len, ts: a /me line */
	CLIENT_EV_AWAY,          /* name, fpr, away, text/text_len (reason), ts */
	CLIENT_EV_QUIT_MESSAGE,  /* name, fpr, text/text_len, ts */
	CLIENT_EV_UNTRUSTED_JOINED, /* fpr, sessions: an untrusted reader is present */
	CLIENT_EV_UNTRUSTED_LEFT,   /* fpr: its last session left */
	CLIENT_EV_KEY_HANDED,    /* name, fpr (the giver), to (fingerprint, untrusted by us) */
	CLIENT_EV_WAITING_KEY,   /* name (asked), to (its fingerprint or NULL), fpr (ours) */
	CLIENT_EV_NOTICE,        /* reason, detail: news that is not an error
	                          * (unknown-content, no-key-yet) */
};

struct client_member {
	const char *name;
	const char *fpr;         /* "SHA256:..." */
	bool        self;
	unsigned    sessions;    /* connections with this key, >= 1 */
	const char *away;        /* away reason, NULL when not away */
};

/* An identity not in our trusted folder that is in the room. */
struct client_reader {
	const char        *fpr;
	unsigned           sessions;
	const char *const *key_from;   /* names of members that handed it the key */
	size_t             n_key_from;
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
	const char *reason, *detail;
	const char *state;       /* CLIENT_EV_STATUS: "connecting", "joining", "ready", ... */
	const struct client_reader *readers;   /* CLIENT_EV_MEMBERS: untrusted readers */
	size_t      n_readers;
	unsigned    sessions;
	bool        away;
	const char *to;
};

typedef void (*client_event_fn)(const struct client_event *ev, void *ctx);

struct client_config {
	const char *identity;    /* default keys/id_ed25519 */
	const char *trusted;     /* default keys/trusted */
	const char *room;        /* default lobby */
	const char *relay;       /* default 127.0.0.1:7700 */
	double      clock_skew;  /* seconds of skew allowed on DAT timestamps */
	bool        strict;      /* send nothing while an untrusted reader is present */
	bool        retry;       /* relay not up at start: keep trying, not fatal */
};

struct client;

/* Loads identity and trusted folder; on failure returns NULL with one line
 * in err. Starts RSA generation at once (in a thread) and connecting. */
struct client *client_new(struct ev_loop *loop, const struct client_config *cfg,
    client_event_fn fn, void *ctx, char *err, size_t err_len);
void client_free(struct client *c);

/* Queue a message; sent in order once the client holds the group key. */
int client_send_text(struct client *c, const char *text, size_t len);
/* The same for any content type we send (SOTTO_CT_TEXT, _ACTION, _AWAY,
 * _QUIT); SOTTO_E_TOOLONG or SOTTO_E_FORMAT when the body breaks its rule,
 * CLIENT_E_STRICT in strict mode while an untrusted reader is present. */
#define CLIENT_E_STRICT (-200)
int client_send(struct client *c, uint8_t ctype, const char *text, size_t len);
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
/* Own fingerprint "SHA256:..." (borrowed). */
const char *client_fingerprint(const struct client *c);
/* True when every queued message has been written to the relay socket. */
bool client_drained(const struct client *c);
/* Close the connection and stop all watchers; the loop then ends. */
void client_shutdown(struct client *c);

#endif

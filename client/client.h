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
/* Close the connection and stop all watchers; the loop then ends. */
void client_shutdown(struct client *c);

#endif

/* SPDX-License-Identifier: ISC */
/* core.h: the protocol core's private state, shared by its files (client.c, conn.c, connect.c, relays.c, session.c, dat.c, dm.c, xfer*.c, members.c, rsess.c, outbox.c, outage.c, histlog.c, signer.c, rsagen.c); never included by a front-end. */
#ifndef SOTTO_CLIENT_CORE_H
#define SOTTO_CLIENT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "buf.h"
#include "client.h"
#include "container.h"
#include "frame.h"
#include "hash.h"
#include "history.h"
#include "keyring.h"
#include "proto.h"
#include "proto2.h"
#include "ratchet.h"
#include "sshkey.h"
#include "wire.h"

struct sotto_identity;

/* Timing and bounds (docs/protocol.md "Limits"). */
#define CORE_KEY_TIMEOUT     3.0      /* s to wait for the asked keyholder */
#define CORE_RECHECK         0.05     /* s: read waiting input, then decide */
#define CORE_FIRST_MAX       12.0     /* s: the longest wait before becoming first */
#define CORE_ROTATE_DELAY    0.25     /* s before rotating: triggers close together make one */
#define CORE_ROTATE_STEP     3.0      /* s more per rank for the fallback rotators */
#define CORE_SWEEP           1.0      /* s between wipes of keys whose grace is over */
#define CORE_BAD_FRAMES      32u      /* bad frames before a relay id is cut off */
#define CORE_CONNECT_TIMEOUT 10.0     /* s for one TCP connect */
#define CORE_BACKOFF_MIN     0.25     /* s, doubled per failure ... */
#define CORE_BACKOFF_MAX     8.0      /* ... up to this, with jitter */
#define CORE_OUT_MAX         (16u * 1024u * 1024u)  /* hard bound on unsent bytes */
#define CORE_OUT_HIGH        (256u * 1024u)  /* stop encoding lines above this */
#define CORE_PENDING_MAX     256u     /* DATs held until the key arrives */
#define CORE_PENDING_BYTES   (4u * 1024u * 1024u)  /* and their bytes: a file
                                        * chunk's DAT is ~62 KB, so 256 of them
                                        * would be 16 MB */
#define CORE_RSESS_MAX       4096u    /* remote sessions remembered */
#define CORE_ROSTER_MAX      4096u    /* roster ids considered as keyholders */
#define CORE_READ_CHUNK      65536u
#define CORE_KEY_DIGESTS     64u      /* KEYs remembered per session (replays) */
#define CORE_UNTRUSTED_MAX   256u     /* untrusted member ids tracked as readers */
#define CORE_REMOVED_MAX     64u      /* removals awaiting their rotation */

enum core_state {
	CS_IDLE,        /* not connected: waiting to (re)connect */
	CS_CONNECTING,  /* TCP connect in progress */
	CS_WAIT_RSA,    /* connected, session RSA key not ready yet */
	CS_JOINING,     /* INI sent, waiting for the relay's roster */
	CS_KEYWAIT,     /* asking keyholders for the group key */
	CS_READY,       /* holding the group key */
	CS_CLOSED,      /* shut down */
};

/* A remote sender session (id_pub || session nonce): its replay state (its
 * chain keys live in the keyring, c->kr). Outlives connections so replays of old sessions stay
 * refused; bounded by CORE_RSESS_MAX (the least recently used ended or
 * unreferenced ones go first). */
struct rsess {
	uint8_t               key[SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE];
	struct sotto_replay   rp;
	uint64_t              last_ini_ts;  /* INIs at or below this are replays */
	uint64_t              used;         /* LRU stamp */
	unsigned              refs;         /* members pointing here */
	uint8_t               told_ct[32];  /* content types noticed as unknown (bits) */
	uint8_t               told_dm_ct[32]; /* the same for a DM's inner types */
	uint32_t              dm_epoch;     /* DMKEY unwraps counted in this epoch */
	unsigned              dm_unwraps;   /* (dm.c: at most SOTTO_DM_UNWRAPS_MAX) */
	unsigned              dm_nokeys;    /* no-key answers, the same bound */
	bool                  dm_told_flood;
	bool                  ended;        /* its member left */
	bool                  vouched;      /* joined after us: no timestamp check */
	UT_hash_handle        hh;
};

/* A member of our room on this connection, keyed by relay member id. */
struct member {
	uint32_t           id;
	struct rsess      *rsess;           /* NULL until its INI was accepted */
	bool               in_roster;       /* present when we joined: a key candidate */
	bool               tried;           /* asked in this round */
	bool               known;           /* a valid trusted INI seen */
	bool               proven;          /* an INI of it signed after our join:
	                                     * listed, announced, asked for the key */
	bool               shown;           /* front-end told (joined/ready) */
	bool               key_wanted;      /* asked us before we were READY */
	bool               dead;            /* out of the table, freed at the end of the turn */
	struct member     *dead_next;
	unsigned           told_gen;        /* our winning key advertised to it */
	char              *name;
	char               fpr[SOTTO_FPR_STR_LEN];
	uint8_t            pub[SOTTO_ED25519_PUB];
	uint8_t            nonce[SOTTO_JOIN_NONCE];
	uint8_t            rsa_n[SOTTO_RSA_MOD];
	uint32_t           epoch;           /* advertised in its last INI */
	uint32_t           gen;             /* generation advertised with it */
	bool               acked;           /* we ACKed its REPLY (presence proof) */
	/* The epoch whose start it was listed for (we rotated to it, or
	 * adopted its ROTATION, while it was here, and it was not in the
	 * removed-list): if it missed that ROTATION KEY and asks, it gets
	 * the same generation 0 again, not a HANDOVER (rotate.c). */
	uint32_t           entitled_epoch;
	bool               told_newer;      /* its newer-version frame noticed */
	unsigned           bad;             /* frames from this id refused as bad */
	bool               cut_off;         /* refused unread until it rejoins */
	uint8_t            key_id[SOTTO_KEY_ID];
	struct sotto_mark *marks;           /* watermarks for its KEY */
	/* Our own sending chain where it stood when its join arrived (the
	 * same moment as the watermarks): its HANDOVER carries this, so it
	 * reads everything we sealed after its join, even before we served
	 * it (lines to it from an outage, say), and nothing before. Secure
	 * memory; dropped once used or after CORE_FIRST_MAX. */
	struct sotto_chain *own_at_join;
	double             own_at_join_t;   /* ev_now when taken */
	size_t             n_marks;
	char              *away;            /* its away reason, NULL when here */
	UT_hash_handle     hh;
};

/* A member id whose signed INI came from a key we do not trust: someone who
 * can read the room if any member hands it the key (presence.c). */
struct untrusted {
	uint32_t           id;
	uint8_t            pub[SOTTO_ED25519_PUB];
	char               fpr[SOTTO_FPR_STR_LEN];
	bool               genuine;         /* its INI verified: a reader, shown */
	UT_hash_handle     hh;
};

struct line {                           /* a typed message, in order */
	struct line *next;
	char        *text;
	size_t       len;
	uint8_t      ctype;                 /* SOTTO_CT_* */
	bool         encoded;               /* its DAT is in the output buffer */
	bool         taken;                 /* its DAT waits for ssh-agent */
	uint64_t     end;                   /* out_queued after its DAT(s) */
	/* Typed during an outage (outage.c): sent to each member from before
	 * the outage, one DAT addressed to it, as it comes back. Bits index
	 * c->og.ids. */
	bool         held;
	bool         delivered;             /* reached at least one of them */
	uint64_t     owed;                  /* members it has not reached yet */
	uint64_t     sending;               /* their DATs in the output buffer */
	uint64_t     signing;               /* their DATs waiting for ssh-agent */
};

struct outbox {
	struct line  *head, **tail;
	struct line  *next_unsent;          /* first line not yet encoded */
	size_t        n;
	size_t        n_held;               /* lines with held set */
};

/* Members present before an outage, by identity, and the bound on how
 * long lines typed during it wait for them (outage.c). */
#define CORE_HOLD_IDS        64u      /* identities tracked (bits of a u64) */
#define CORE_HOLD_MAX        120.0    /* s held lines wait for them, once we are back */

struct outage_id {
	uint8_t pub[SOTTO_ED25519_PUB];
	char    name[64];
};

struct outage {
	struct outage_id ids[CORE_HOLD_IDS];
	size_t           n_ids;
	bool             active;            /* lines typed now are held */
	uint64_t         mask;              /* whom lines typed now wait for */
	double           hold;              /* CORE_HOLD_MAX unless configured */
	ev_timer         timer;             /* the bound */
};

struct pending {                        /* a verified DAT held until the key */
	uint8_t *body;
	size_t   len;
};

struct rsagen;

struct client {
	struct ev_loop         *loop;
	client_event_fn         fn;
	void                   *ctx;
	char                   *identity_path, *trusted_path, *relay;
	uint8_t                 room[SOTTO_ROOM_MAX];
	size_t                  room_len;
	char                    room_str[SOTTO_ROOM_MAX + 1];
	double                  skew;

	struct sotto_identity  *ident;        /* key file or ssh-agent */
	const uint8_t          *pub;          /* ident->pub */
	uint8_t                 fpr[SOTTO_FPR_LEN];
	char                    fpr_str[SOTTO_FPR_STR_LEN];
	char                   *self_name;
	const char             *comment;      /* ident's, may be NULL */
	struct sotto_trust     *trust;

	/* connection */
	enum core_state         st;
	int                     fd;
	ev_io                   rio, wio;
	ev_timer                conn_timer;   /* connect timeout, then backoff */
	struct sotto_dec        dec;
	struct sotto_wbuf       out;
	uint64_t                out_queued, out_written;
	/* Re-entrancy (the relay's rule): a connection closed, or a member
	 * deleted, from inside a callback chain is only marked; core_reap
	 * frees it once that chain has returned (the `reap` watcher is fed,
	 * so it runs right after the current callback). Until then every
	 * pointer stays valid; sends are refused and events not delivered. */
	unsigned                conn_gen;     /* bumped per closed socket: an ssh-agent
	                                       * answer for an older one is dropped */
	bool                    closing;      /* connection teardown pending */
	char                    close_why[160];
	ev_prepare              reap;         /* fed, never started */
	struct member          *dead;         /* deleted members, not yet freed */
	bool                    ever_connected;
	bool                    dial_on_key;  /* conn_start waits for the session key */
	double                  backoff;
	char                  **relays;       /* the addresses, tried in order */
	size_t                  nrelays;
	size_t                  relay_at;     /* the one dialled now */
	size_t                  first_fails;  /* before ever connecting */

	/* session */
	uint8_t                 nonce[SOTTO_JOIN_NONCE];
	struct sotto_rsa       *rsa;
	uint8_t                 rsa_n[SOTTO_RSA_MOD];
	uint32_t                self_id;
	uint64_t                join_ts, last_ini_ts;
	/* SHA-256 of the signed bytes of the KEYs accepted this session */
	uint8_t                 key_digests[CORE_KEY_DIGESTS][SOTTO_SHA256_LEN];
	size_t                  n_key_digests;
	ev_timer                key_timer;
	uint32_t                asked;        /* member asked for the key, 0 none */
	double                  keywait_roster; /* ev_now when the roster came */
	double                  keywait_since; /* the key timeout counts from here */
	bool                    round_wait;   /* key_timer is a backoff between rounds */
	double                  round_backoff;
	uint32_t                adopting;     /* conflict: winner asked, 0 none */
	uint64_t                tx_next;      /* next DAT counter of this session */

	/* rejections (cutoff.c) */
	unsigned                n_rejects;    /* rejected events so far */
	int                     last_verdict; /* of the last one */
	bool                    quiet_rejects;
	bool                    told_memlock; /* the unlocked-memory notice given */

	/* rotation (rotate.c) */
	ev_timer                rot_timer;    /* our turn to rotate */
	ev_timer                sweep_timer;  /* wipes keys whose grace is over */
	uint32_t                held_epoch;   /* the current epoch, as last seen */
	uint32_t                old_epoch;    /* the previous one, 0 once wiped */
	double                  old_since;    /* ev_now when it was replaced */
	bool                    rot_pending;  /* a trigger seen, no newer key yet */
	const char             *rot_reason;   /* "left", "removed", "timer", "count" */
	uint32_t                rot_epoch;    /* our epoch at the trigger */
	/* Keys we removed from the trusted folder that no rotation has
	 * excluded yet (ours, or one whose removed-list names them): only
	 * such a rotation ends a removal's wait (docs/protocol.md "v2:
	 * rotation", Removal). Kept across connections. */
	uint8_t                 rm_fpr[CORE_REMOVED_MAX][SOTTO_FPR_LEN];
	size_t                  n_rm;
	bool                    rm_overflow;  /* more than fit: rotate ourselves */

	/* periodic rotation (rotperiod.c) */
	ev_timer                period_timer; /* the interval of the key held */
	double                  period_interval; /* s, 0 off */
	uint64_t                period_limit; /* DATs, 0 off */
	uint64_t                period_count; /* room DATs under the key held */
	double                  period_since; /* ev_now when it began to be held */
	unsigned                period_gen;   /* key_gen the count and clock are for */

	/* keys (v2: epochs, generations, sender chains; kept across
	 * connections, so a room survives a relay restart) */
	struct sotto_keyring   *kr;
	unsigned                key_gen;      /* bumped per epoch key adopted */
	struct sotto_dat2_tx   *tx;           /* our session's sender (counter) */
	struct sotto_dat2_rx   *rx;

	struct member          *members;
	struct rsess           *rsess;        /* remote sender sessions */
	size_t                  n_rsess;
	uint64_t                lru;
	struct pending          pend[CORE_PENDING_MAX];
	size_t                  pend_head, pend_n;
	struct outbox           ob;
	struct outage           og;
	struct history         *hist;         /* NULL: off (see hist_err) */
	char                    hist_err[HISTORY_ERR_LEN];
	bool                    hist_err_told;
	size_t                  hist_restore;
	/* The row id of the DM whose CLIENT_EV_MESSAGE is being delivered
	 * (stored, not yet on the screen): a DM replay from inside that
	 * callback stops before it. 0 when none. */
	int64_t                 hist_dm_showing;
	struct rsagen          *rsagen;
	ev_signal               sighup;

	/* signatures (signer.c) */
	struct signer_req      *sig_head, **sig_tail;  /* waiting for ssh-agent */
	size_t                  sig_n;
	ev_io                   agent_io;
	bool                    agent_down;   /* failure reported; retried on a send */

	/* presence.c */
	struct untrusted       *untrusted;
	size_t                  n_untrusted;      /* member ids in the table */
	size_t                  n_readers;        /* of them genuine: readers */
	size_t                  untrusted_over;   /* ids past CORE_UNTRUSTED_MAX */
	bool                    strict;
	bool                    retry;
	bool                    told_nokey;       /* no-key-yet said this connection */
	bool                    left_sent;        /* our signed LEAVE is out: quitting */

	struct dm              *dm;               /* direct messages (dm.c) */
	struct xfer_state      *xf;               /* file transfers (xfer.c) */
};

/* signer.c: signatures, by the key file at once or by ssh-agent later */
#define SIGNER_INFLIGHT_MAX  64u   /* agent requests in flight */
void signer_init(struct client *c);
void signer_stop(struct client *c);
/* Sign body (msg is its signature input) and send the frame, now or when
 * ssh-agent answers; l is the outbox line a DAT carries (else NULL). */
int signer_send(struct client *c, uint8_t type, uint32_t to,
    const uint8_t *body, size_t body_len, const uint8_t *msg, size_t msg_len,
    struct line *l);
/* The same for a held line's DAT addressed to one member from before an
 * outage (outage.c): `bit` is that member's bit in l->owed. l->signing
 * carries it while ssh-agent signs, l->sending (and l->end) once the frame
 * is in the output buffer. */
int signer_send_held(struct client *c, uint32_t to, const uint8_t *body,
    size_t body_len, const uint8_t *msg, size_t msg_len, struct line *l,
    uint64_t bit);
/* A blocking signature over msg, only while no request is in flight (at
 * start: the history root, histlog.c); the agent gets timeout_ms. 0 or an
 * error with err filled. */
int signer_sign_now(struct client *c, const void *msg, size_t msg_len,
    uint8_t sig[static SOTTO_ED25519_SIG], int timeout_ms, char *err,
    size_t err_len);
bool signer_agent(const struct client *c);
/* No more requests now (too many in flight, or the agent is down). */
bool signer_full(const struct client *c);
/* After an agent failure: one new connection attempt. */
void signer_retry(struct client *c);

/* client.c: events, time, trust, the end of a loop turn */
uint64_t core_now_ms(void);
void core_emit(struct client *c, const struct client_event *ev);
void core_emit_status(struct client *c, const char *state);
void core_reject(struct client *c, int verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void core_reject_key(struct client *c, const uint8_t *pub, const char *what);
void core_fatal(struct client *c, const char *reason, const char *detail);
/* Have core_reap run once the current callback returns. */
void core_defer(struct client *c);
/* Free what was marked: the closed connection, deleted members. */
void core_reap(struct client *c);
void core_notice(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same with a reason word for programs (batch `reason`). */
void core_notice_reason(struct client *c, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t core_min_ts(const struct client *c);

/* connect.c: a connected (or connecting) non-blocking socket to the
 * relay, or -1 with err set. The seam the core tests replace. */
int core_connect(const char *relay, char *err, size_t err_len);
/* relays.c: the relay address list (`A:7700,B:7700`), failed over in order */
#define CORE_RELAYS_MAX      16
#define CORE_RELAY_ADDR_MAX  300
int relays_parse(struct client *c, const char *spec);
void relays_free(struct client *c);
const char *relays_current(const struct client *c);
void relays_next(struct client *c);

/* conn.c: the relay connection */
void conn_start(struct client *c);
/* Mark the established connection closed (its watchers stop now); torn
 * down, reported and retried by conn_reap at the end of the turn. */
void conn_close(struct client *c, const char *reason);
void conn_reap(struct client *c);
void conn_stop(struct client *c);
int conn_send(struct client *c, uint8_t type, uint32_t to, const void *body,
    size_t len);
void conn_init(struct client *c);
/* Bytes from the relay are waiting to be read (a timer that fires after a
 * stall decides only once they are). */
bool conn_input_waiting(const struct client *c);

/* session.c: join state machine, keyholder choice, conflicts */
void sess_rsa_ready(struct client *c);
void sess_on_frame(struct client *c, const struct sotto_frame *f);
void sess_reset(struct client *c);
void sess_init(struct client *c);
/* An INI: to (0 the room), ask (0 none), flags SOTTO_INI2_*, to_nonce the
 * recipient's session (NULL: a broadcast). */
int sess_send_ini(struct client *c, uint32_t to, uint32_t ask, uint8_t flags,
    const uint8_t *to_nonce);
/* The epoch held (0 none) and its name. */
uint32_t sess_epoch(const struct client *c);
const uint8_t *sess_key_id(const struct client *c);
/* At shutdown: a signed LEAVE while ready (best effort). */
void sess_leave(struct client *c);
/* Wipe join snapshots of our chain older than CORE_FIRST_MAX. */
void sess_sweep(struct client *c);

/* dat.c: messages in and out */
void dat_on_frame(struct client *c, uint32_t from, const uint8_t *body, size_t len);
void dat_flush_pending(struct client *c);
#ifdef SOTTO_TEST_HOOKS
/* The pending queue's push, for tests of its bounds. */
void dat_test_hold(struct client *c, const uint8_t *body, size_t len);
#endif
void dat_drop_pending(struct client *c, const char *why);
void dat_pump(struct client *c);
/* The single DAT sealing entry point: line l for `to` (the room or one
 * member id), sealed and handed to signer_send (see dat.c). */
int dat_send_line(struct client *c, struct line *l, uint32_t to,
    uint64_t held_bit);
bool dat_may_send(const struct client *c);
/* A body that is not an outbox line (dm.c: DMKEY, DM, DMNOKEY), sealed
 * at ts_ms for `to` under the current key and sent like a line's. */
int dat_send_body(struct client *c, uint8_t ctype, const void *body,
    size_t len, uint32_t to, uint64_t ts_ms);
/* The counter the next sealed DAT gets (a DM's inner seal is bound to it). */
uint64_t dat_next_counter(const struct client *c);
int dat_new_key(struct client *c);

/* members.c: the member table (this connection) */
struct member *members_get(struct client *c, uint32_t id, bool create);
void members_del(struct client *c, struct member *m);
void members_clear(struct client *c);
void members_reap(struct client *c);
size_t members_count(const struct client *c);
struct client_member *members_list(struct client *c, size_t *n);
void members_list_free(struct client_member *l, size_t n);
int members_set_peer(struct member *m, const struct sotto_peer *p);

/* rsess.c: the remote session table (kept across connections) */
struct rsess *rsess_get(struct client *c, const uint8_t *pub,
    const uint8_t *nonce, bool create);
void rsess_ref(struct rsess *s, struct member *m);
void rsess_unref(struct member *m);
void rsess_free_all(struct client *c);
int rsess_marks(struct client *c, struct member *m);

/* presence.c: sessions of one identity, untrusted readers, key hand-overs */
size_t presence_other_sessions(const struct client *c, const struct member *m);
void presence_untrusted_ini(struct client *c, uint32_t from, const uint8_t *body,
    size_t len);
void presence_left(struct client *c, uint32_t id);
void presence_clear(struct client *c, bool tell);
void presence_retrust(struct client *c);
size_t presence_untrusted_count(const struct client *c);
struct client_reader *presence_readers(struct client *c, size_t *n);
void presence_readers_free(struct client_reader *r, size_t n);

/* content.c: DAT content types */
int content_check(uint8_t ctype, const uint8_t *body, size_t len, const char **why);
int content_deliver(struct client *c, const struct sotto_dat *d,
    const struct sotto_peer *peer, struct rsess *s, uint8_t ctype,
    const uint8_t *body, size_t len, const char **why);

/* outbox.c: typed lines, in order, never lost across reconnects */
void outbox_init(struct outbox *ob);
int outbox_push(struct outbox *ob, uint8_t ctype, const char *text, size_t len);
struct line *outbox_next(struct outbox *ob);
void outbox_encoded(struct outbox *ob, struct line *l, uint64_t end);
void outbox_taken(struct outbox *ob, struct line *l);
void outbox_sent(struct outbox *ob, struct line *l, uint64_t end);
void outbox_taken_held(struct line *l, uint64_t bit);
void outbox_sent_held(struct line *l, uint64_t bit, uint64_t end);
void outbox_unsent_again(struct outbox *ob);
void outbox_written(struct outbox *ob, uint64_t written);
void outbox_rewind(struct outbox *ob);
bool outbox_empty(const struct outbox *ob);
void outbox_free(struct outbox *ob);
struct line *outbox_last(struct outbox *ob);
void outbox_hold(struct outbox *ob, struct line *l, uint64_t owed);
void outbox_unhold(struct outbox *ob, struct line *l, bool send_to_room);

/* histlog.c: the history store, fed before the front-end sees events */
void histlog_open(struct client *c, const struct client_config *cfg);
void histlog_free(struct client *c);
void histlog_event(struct client *c, const struct client_event *ev);
/* From core_emit, after the front-end has seen the event. */
void histlog_shown(struct client *c, const struct client_event *ev);
void histlog_sent(struct client *c, const char *text, size_t len);
void histlog_file_sent(struct client *c, bool private_, const char *file_name,
    uint64_t bytes, const char *to_name, const char *to_fpr);
void histlog_add(struct client *c, int kind, bool self, const char *name,
    const char *fpr, const char *text, size_t len, uint64_t ts_ms);

/* outage.c: lines typed during a relay outage reach the members from before */
void outage_init(struct client *c);
void outage_begin(struct client *c);
void outage_typed(struct client *c, struct line *l);
bool outage_pump(struct client *c);
void outage_settled(struct client *c);
void outage_after_frame(struct client *c);
void outage_stop(struct client *c);

/* rotate.c: new epochs on leave, removal, timer and count */
void rot_init(struct client *c);
void rot_reset(struct client *c);
/* THE rotation hook: a trigger with its reason, "left" (a member we listed
 * left), "removed" (we removed a key; self: we rotate at once rather than
 * at our rank's turn), "timer" or "count" (periodic rotation: call with
 * self false, so the deterministic rotator acts and the others fall back
 * by rank). The reason travels in the ROTATION KEY (docs/protocol.md
 * "v2: KEY"), so every receiver's `rekeyed` names it. reason must be a
 * string literal (it is kept); a later "removed" overrides a pending one,
 * and lines are held until the new epoch, as for a leave. */
void rot_trigger(struct client *c, const char *reason, bool self);
/* The keyring has just switched to a newer epoch (a ROTATION or recovery
 * HANDOVER, or our own rotation): emits rekeyed with reason. The caller
 * resumes sending (dat_pump) when it is safe to. */
void rot_switched(struct client *c, const char *reason);
bool rot_holding(const struct client *c);
/* A key we removed (client_reload): our wait for a rotation that
 * excludes it starts; rot_trigger("removed") follows. */
void rot_removed(struct client *c, const uint8_t fpr[static SOTTO_FPR_LEN]);
/* A ROTATION KEY's removed-list, read before the KEY is adopted: the
 * removals it names are done. */
void rot_removed_seen(struct client *c, const uint8_t (*fprs)[SOTTO_FPR_LEN],
    size_t n);
/* Removals still waiting for their rotation (at READY: trigger again). */
bool rot_removal_waiting(const struct client *c);
/* Epoch `epoch` begins now (our rotation, or a ROTATION KEY about to be
 * adopted): every member listed now, except the removed ones, may have
 * its generation 0 again if it missed its KEY. */
void rot_entitle(struct client *c, uint32_t epoch,
    const uint8_t (*removed)[SOTTO_FPR_LEN], size_t n_removed);
/* Serving m's ask: the epoch's ROTATION again when m is entitled to it
 * and generation 0 is still held; false when a HANDOVER must serve. */
bool rot_resend(struct client *c, struct member *m);
/* The KEY's reason code for a trigger word, and back ("conflict" for FIRST). */
uint8_t rot_reason_code(const char *reason);
const char *rot_reason_word(uint8_t code);
/* Keys held changed: wipe what is past its grace, log (test builds). */
void rot_keys_changed(struct client *c);
/* Whether DATs of `epoch` still open: the current epoch, or the previous
 * one during its grace. */
bool rot_epoch_open(const struct client *c, uint32_t epoch);

/* rotperiod.c: rotation by time and by message count. -1 when interval
 * is out of range. */
int period_init(struct client *c, double interval, uint64_t limit);
void period_stop(struct client *c);
/* We hold a key (READY or a new one): a new key restarts count and clock. */
void period_key_held(struct client *c);
/* A room DAT sealed or opened under the key held. */
void period_dat(struct client *c);

/* cutoff.c: a relay id that floods bad frames is cut off until it rejoins */
bool cutoff_refuse(struct client *c, const struct sotto_frame *f);
void cutoff_count(struct client *c, const struct sotto_frame *f, unsigned before);

/* dm.c: direct messages (content types 32, 33, 37) */
int dm_new(struct client *c);
void dm_free(struct client *c);
/* Wipe the pairwise keys of a session that ended (member gone). */
void dm_session_end(struct client *c, const uint8_t *pub, const uint8_t *session);
/* Wipe keys of epochs no longer open and of our previous sessions. */
void dm_purge(struct client *c);
void dm_on_event(struct client *c, const struct client_event *ev);
int dm_deliver(struct client *c, const struct sotto_dat *d,
    const struct sotto_peer *peer, struct rsess *s, uint8_t ctype,
    const uint8_t *body, size_t len, const char **why);

/* dm.c, for xfer.c: the one current session of trusted member `name`
 * (else NULL with why and *reason as client_send_dm), and an inner body
 * sealed to member m and sent now */
struct member *dm_member_for(struct client *c, const char *name, char *why,
    size_t why_len, const char **reason);
int dm_send_inner(struct client *c, struct member *m, uint8_t inner_type,
    const void *body, size_t n);

/* xfer.c: file transfer (content types 34..36, alone or inside a DM) */
int xfer_new(struct client *c, const struct client_config *cfg);
void xfer_free(struct client *c);
void xfer_stop(struct client *c);
/* Free the transfers ended during the last callback chain (core_reap). */
void xfer_reap(struct client *c);
/* From dat_pump, once lines are sealed: at most one chunk. */
void xfer_pump(struct client *c);
void xfer_on_event(struct client *c, const struct client_event *ev);
int xfer_deliver(struct client *c, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, uint8_t ctype,
    const uint8_t *body, size_t len, bool private_, const char **why);

/* keylog.c: test builds only (SOTTO_TEST_KEYLOG appends every key held at
 * each change, SOTTO_TEST_KEYDUMP is rewritten with the keys held now: a
 * memory dump); a no-op otherwise */
void core_keylog(const struct client *c, bool changed);
/* ... the pairwise key of a direct message, "epoch <u32> dmkey <hex>" */
void core_keylog_dm(uint32_t epoch, const uint8_t key[static 32]);
/* ... and the line "wiped epoch <u32> after <s> s" when the previous epoch
 * is wiped, `held` seconds after it stopped being the current one. */
void core_keylog_wiped(uint32_t epoch, double held);

/* session.c: ask member m for the winning key it advertised (recovery) */
void sess_ask_winner(struct client *c, struct member *m);
/* session.c: presence proven by a DAT of m's session we opened */
void sess_prove(struct client *c, struct member *m);

/* rsagen.c: RSA-4096 session keys made off the loop */
typedef void (*rsagen_fn)(void *ctx);
struct rsagen *rsagen_new(struct ev_loop *loop, rsagen_fn fn, void *ctx);
/* Start making a key unless one is ready or being made. */
void rsagen_request(struct rsagen *g);
/* A ready key (caller owns it), or NULL. */
struct sotto_rsa *rsagen_take(struct rsagen *g);
void rsagen_stop(struct rsagen *g);
void rsagen_free(struct rsagen *g);

/* rsapool.c: test builds only (SOTTO_TEST_HOOKS): a ready-made session key
 * claimed from $SOTTO_TEST_RSA_POOL (caller owns it), or NULL: no pool,
 * an empty one, or a build without the hooks. Thread-safe (rsagen's
 * worker calls it). */
struct sotto_rsa *rsapool_take(void);

#endif

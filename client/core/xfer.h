/* SPDX-License-Identifier: ISC */
/* xfer.h: file transfer state shared by xfer.c (table, timers, API, dispatch), xfer-send.c (the sending side) and xfer-recv.c (the receiving side); private to client/core. */
#ifndef SOTTO_CLIENT_XFER_H
#define SOTTO_CLIENT_XFER_H

#include <stdbool.h>
#include <stdint.h>
#include <gcrypt.h>

#include "core.h"
#include "download.h"
#include "filebody.h"
#include "fname.h"
#include "mediatype.h"
#include "wire-files.h"

/* Bounds (docs/protocol.md "Files: limits"). */
#define XFER_OUT_MAX        16u     /* our own offers open at once */
#define XFER_IN_MAX         32u     /* incoming transfers (waiting or running) */
#define XFER_IN_PER_SENDER  8u      /* of them from one identity */
#define XFER_PEERS_MAX      32u     /* accepters of one room offer */
#define XFER_QUOTAS         64u     /* senders whose auto-accepted bytes we count */
#define XFER_UNSENT_MAX     (2u * SOTTO_FILE_CHUNK) /* ours + the kernel's, before a chunk */
#define XFER_DRAIN_POLL     0.005   /* s between looks at a full kernel buffer */
#define XFER_TICK           0.5     /* s between checks for cuts, stalls, timeouts */
#define XFER_STALL          5.0     /* s without a chunk before ACCEPT is sent again */
#define XFER_QUIET_MAX      60.0    /* s without a chunk from a present sender: timeout */
#define XFER_CONFIRM_MAX    120.0   /* s a sender waits for DONE or FAIL after the
                                     * last chunk (the resume window if shorter) */
#define XFER_PROGRESS_GAP   0.25    /* s: at most 4 progress events per second */
#define XFER_RATE_WINDOW    2.0     /* s over which the shown rate is measured */
#define XFER_NAME_MAX       64u     /* bytes of a peer's display name kept */
#define XFER_CTL_PENDING    32u     /* controls waiting to be sent */
/* Bytes of a file /send hashes per loop turn (the first slice at once,
 * the rest from hash_w): the loop keeps serving the network and the
 * screen between slices, however large or slow the file. */
#define XFER_HASH_SLICE     (1024u * 1024u)
/* Members of the room whose end of one of our room offers (refused,
 * cancelled, failed, done) was reported: a repeat of it is dropped, not
 * reported again. Past this many, further ends are counted, not named. */
#define XFER_TOLD_MAX       XFER_PEERS_MAX
/* ACCEPTs with an index behind what an accepter was sent, allowed between
 * its cuts: a receiver re-requests a gap at most SOTTO_FILE_REREQ_MAX
 * times, plus one for a lost tail; past that it is cancelled (busy). */
#define XFER_BACK_MAX       (SOTTO_FILE_REREQ_MAX + 1u)
/* Chunks in a row that failed to be sent for another reason than a full
 * output or a held key (sealing, a DM key): the accepter is given up. */
#define XFER_SEND_ERRORS_MAX 3u

/* One receiver of an offer we made (the sending side). */
struct xpeer {
	uint8_t   pub[SOTTO_ED25519_PUB];
	uint8_t   session[SOTTO_JOIN_NONCE];  /* the session that accepted last */
	char      name[XFER_NAME_MAX];
	char      fpr[SOTTO_FPR_STR_LEN];
	uint32_t  next;            /* next chunk to send it */
	bool      active;          /* accepted: chunks are owed */
	bool      reoffer;         /* we reconnected: re-send the manifest */
	double    cut_at;          /* ev_now when it went away, 0 present */
	bool      told_cut;        /* file-interrupted emitted for this cut */
	uint64_t  served;          /* xs->serve_seq when last sent a chunk */
	double    sent_all;        /* ev_now when next reached chunks, 0 not */
	bool      from_start;      /* its first ACCEPT was at chunk 0 */
	bool      sent_file;       /* from_start, and we sent the last chunk:
	                            * it was sent the whole file */
	unsigned  back;            /* ACCEPTs going back since its last cut */
};

struct xfer_rate {
	double    t0;              /* start of the measuring window */
	uint64_t  b0;              /* bytes done then */
	double    rate;            /* bytes/s of the last full window */
	double    last_emit;       /* ev_now of the last progress event */
};

struct xfer {
	struct xfer   *next;
	unsigned       n;          /* for /accept N, /cancel N */
	bool           dead;       /* ended: skipped by every lookup, freed by
	                            * xfer_reap once the callback chain returns */
	bool           outgoing;
	bool           private_;   /* a DM file: every body inside a DM */
	uint8_t        id[SOTTO_XFER_ID];
	uint64_t       size;
	uint32_t       cs;         /* chunk size */
	uint32_t       chunks;     /* sotto_file_chunks(size, cs) */
	uint8_t        sha[SOTTO_SHA256_LEN];
	char           sha_hex[2 * SOTTO_SHA256_LEN + 1];
	uint8_t        media;      /* claimed (incoming) or sniffed (outgoing) */
	uint8_t       *wire_name;  /* the manifest's name bytes */
	size_t         wire_name_len;
	char           file_name[SOTTO_FNAME_MAX + 1];
	struct xfer_rate rt;
	double         touched;    /* ev_now of the last activity */

	/* sending */
	int            fd;
	unsigned       send_errors;  /* in a row, see XFER_SEND_ERRORS_MAX */
	struct xpeer   peers[XFER_PEERS_MAX];
	size_t         n_peers;
	uint8_t        to_pub[SOTTO_ED25519_PUB];  /* a DM offer: the recipient */
	char          *to_name;    /* a DM offer: the name /send was given */
	/* Hashing before the offer: a slice per loop turn (xfer-send.c). */
	struct client *owner;      /* for hash_w's callback */
	ev_timer       hash_w;     /* the next slice: stopped before x is freed */
	gcry_md_hd_t   md;         /* SHA-256 under way, NULL when none */
	uint64_t       hashed;     /* bytes hashed so far */
	bool           hashing;    /* not hashed yet: nothing offered */
	bool           offer_due;  /* hashed, the offer waits to be sendable */
	uint8_t        told[XFER_TOLD_MAX][SOTTO_ED25519_PUB];  /* ends reported */
	size_t         n_told;
	uint64_t       ends_unsaid;  /* ends not reported: repeats, or past the list */
	bool           hist_stored;  /* its file-sent line is in the history */

	/* receiving */
	uint8_t        from_pub[SOTTO_ED25519_PUB];
	uint8_t        from_session[SOTTO_JOIN_NONCE];  /* where chunks come from now */
	char           from_name[XFER_NAME_MAX];
	char           from_fpr[SOTTO_FPR_STR_LEN];
	struct sotto_dl *dl;       /* NULL until accepted */
	bool           waiting;    /* for /accept N */
	bool           auto_acc;
	bool           accepted;
	bool           resume;     /* we reconnected: send ACCEPT expected */
	bool           asked;      /* a re-request for `expected` is out */
	uint32_t       ahead;      /* highest chunk index seen past `expected`
	                            * since that re-request */
	uint32_t       expected;   /* next chunk to write */
	unsigned       rereq;      /* re-requests made */
	double         cut_at;     /* ev_now when the sender went, 0 present */
	double         last_chunk; /* ev_now of the last chunk written (or accept) */
	double         last_ask;   /* ev_now of the last ACCEPT sent */
	uint8_t        head[SOTTO_MT_SNIFF_LEN];  /* the file's first bytes */
	size_t         head_len;
};

/* A control that could not go when it was made (no key, a full output,
 * strict mode holding room bodies, the other side away): retried from
 * the tick until `until`. room: to the whole room (a sender's CANCEL). */
struct xctl {
	uint8_t   pub[SOTTO_ED25519_PUB];
	uint8_t   session[SOTTO_JOIN_NONCE];
	uint8_t   id[SOTTO_XFER_ID];
	bool      room;
	bool      private_;
	uint8_t   op;
	uint8_t   reason;
	uint32_t  index;
	double    until;
};

/* An incoming transfer that ended (kept for the resume window): a
 * re-offer or chunk of it is answered with how it ended (op DONE, CANCEL
 * or FAIL with reason; op 0: the sender ended it, nothing to say), never
 * taken as a new transfer. */
#define XFER_ENDED_MAX      64u
struct xended {
	uint8_t   pub[SOTTO_ED25519_PUB];
	uint8_t   id[SOTTO_XFER_ID];
	bool      private_;
	bool      answered_chunk;  /* one answer to its chunks */
	uint8_t   op, reason;
	uint32_t  index;
	double    at;
};

/* Files a sender may have auto-accepted per window (SOTTO_FILE_AUTO_WINDOW_S),
 * beside the bytes: each file costs a temp file, fsyncs and a name in the
 * download folder however small it is. */
#define XFER_AUTO_FILES_MAX 64u

/* What a sender had auto-accepted in its current window. */
struct xquota {
	uint8_t   pub[SOTTO_ED25519_PUB];
	double    start;
	uint64_t  bytes;           /* each file counted as at least one chunk */
	unsigned  files;
};

struct xfer_state {
	struct client    *owner;           /* for the timers' callbacks */
	struct xfer      *list;
	unsigned          next_n;
	size_t            n_out, n_in;
	bool              accept_all;
	uint64_t          max_file;
	double            resume;          /* s */
	char             *dir;             /* the download folder, once resolved */
	char             *dir_cfg;         /* --download-dir */
	struct xquota     quota[XFER_QUOTAS];
	size_t            n_quota;
	ev_timer          tick;            /* cuts, stalls, timeouts, resumes */
	ev_timer          pace;            /* the next chunk's earliest time */
	double            gap;             /* s between chunks; 0: unpaced */
	double            last_chunk;      /* ev_now of the last chunk sent */
	unsigned          rr;              /* round robin: n served last */
	uint64_t          serve_seq;       /* chunks sent, for the accepters' turns */
	uint8_t          *chunk;           /* SOTTO_FILE_CHUNK_MAX bytes read */
	struct sotto_wbuf body;            /* a body being built */
	uint8_t           told_busy[XFER_IN_MAX][SOTTO_ED25519_PUB];
	size_t            n_told_busy;
	struct xctl       ctl[XFER_CTL_PENDING];
	size_t            n_ctl;
	struct xended     ended[XFER_ENDED_MAX];   /* a ring */
	size_t            n_ended, ended_at;
};

/* xfer.c */
struct xfer *xfer_alloc(struct client *c, bool outgoing);
/* End x: its file and temp file go now, the struct at the end of the
 * loop turn (a front-end may cancel from inside an event about x). */
void xfer_drop(struct client *c, struct xfer *x);
struct xfer *xfer_by_n(struct client *c, unsigned n);
struct xfer *xfer_out_by_id(struct client *c, const uint8_t *id);
struct xfer *xfer_in_by_id(struct client *c, const uint8_t *pub, const uint8_t *id);
void xfer_fill_ev(const struct xfer *x, struct client_ev_file *f);
void xfer_emit(struct client *c, enum client_event_type t, const struct xfer *x,
    const char *name, const char *fpr, const char *reason, const char *detail);
void xfer_progress(struct client *c, struct xfer *x, uint64_t done, bool force);
/* A member of this connection with identity pub, preferring session
 * (NULL: any); NULL when none is in the room now. */
struct member *xfer_member(struct client *c, const uint8_t *pub,
    const uint8_t *session);
/* Send a body of a file kind to member m: inside a DM when private. */
int xfer_send_body(struct client *c, struct member *m, bool private_,
    uint8_t ctype, const void *body, size_t len);
int xfer_send_ctl(struct client *c, struct member *m, bool private_,
    const uint8_t *id, uint8_t op, uint32_t index, uint8_t reason);
/* A room body may go now: dat_may_send, and strict mode does not hold
 * room bodies (an untrusted reader present). DM bodies need only
 * dat_may_send. */
bool xfer_room_held(const struct client *c);
bool xfer_may_send_room(const struct client *c);
/* A control that must arrive (DONE, FAIL, CANCEL): sent now when it can
 * be, else kept and retried from the tick for the resume window. pub
 * NULL: to the room. */
void xfer_ctl_later(struct client *c, const uint8_t *pub,
    const uint8_t *session, bool private_, const uint8_t *id, uint8_t op,
    uint32_t index, uint8_t reason);
void xfer_kick(struct client *c);      /* run the tick soon */
const char *xfer_reason_word(uint8_t reason);
void xfer_human(uint64_t n, char *buf, size_t len);

/* xfer-send.c */
int xsend_offer(struct client *c, const char *to_name, const char *path,
    char *why, size_t why_len, const char **reason);
void xsend_pump(struct client *c);
void xsend_ctl(struct client *c, struct xfer *x, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, const struct sotto_fctl *fc,
    bool private_);
void xsend_tick(struct client *c, struct xfer *x, double now);
void xsend_cancel(struct client *c, struct xfer *x, const char *reason,
    const char *detail);
void xsend_disconnected(struct xfer *x, double now);
/* x's hashing ends here (done, or dropped): watcher and digest go, and
 * the next file waiting to be hashed starts. */
void xsend_hash_stop(struct client *c, struct xfer *x);
/* The same without starting another (x is freed with the client). */
void xsend_hash_free(struct client *c, struct xfer *x);

/* xfer-recv.c */
int xrecv_offer(struct client *c, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *session, const uint8_t *body,
    size_t len, bool private_, const char **why);
int xrecv_chunk(struct client *c, const struct sotto_peer *peer,
    const uint8_t *pub, const uint8_t *body, size_t len, bool private_,
    const char **why);
void xrecv_ctl(struct client *c, struct xfer *x, const struct sotto_fctl *fc);
int xrecv_accept(struct client *c, struct xfer *x, char *why, size_t why_len);
void xrecv_fail(struct client *c, struct xfer *x, const char *reason,
    uint8_t wire_reason, const char *detail);
void xrecv_tick(struct client *c, struct xfer *x, double now);
void xrecv_sweep_parts(const char *dir, double max_age);

#endif

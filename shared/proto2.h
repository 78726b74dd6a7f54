/* SPDX-License-Identifier: ISC */
/* proto2.h: the v2 INI, KEY and DAT bodies of docs/protocol.md "Protocol v2": build, parse, sign, verify, seal, open.
 *
 * Pure functions, as in proto.h (v1, still used by the client until it
 * moves to v2). Receive-side functions come in two halves so that the
 * caller can refuse a replay between them, before any signature or RSA
 * work:
 *
 *   *_check:  parse -> trusted? -> addressed to us? (no signature yet;
 *             KEY: also the digest of its signed bytes for deduplication)
 *   caller:   seen before? (INI: session ended or ts not newer; KEY: digest
 *             seen; DAT: counter at or below the highest, or below floor)
 *   *_finish: signature -> fresh -> unwrap / decrypt
 *
 * Return values: 0, an enum sotto_verdict (SOTTO_V_NEWER: a newer peer's
 * frame from a trusted key, shown as one notice), or a plain sotto_err.
 */
#ifndef SOTTO_PROTO2_H
#define SOTTO_PROTO2_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "proto.h"
#include "wire.h"

struct sotto_genkey;
struct sotto_chain;

/* --- INI v2 ---------------------------------------------------------------- */

struct sotto_ini2 {
	const uint8_t *room;
	size_t         room_len;
	uint8_t        version;      /* 2 (parse: also a newer one) */
	uint8_t        flags;        /* SOTTO_INI2_REPLY | ACK | LEAVE */
	const uint8_t *id_pub;       /* [SOTTO_ED25519_PUB] */
	uint32_t       ask;          /* member asked for the key, 0 none */
	const uint8_t *nonce;        /* [SOTTO_JOIN_NONCE]: the sender's session */
	const uint8_t *to_nonce;     /* the recipient's session; NULL = zeros (broadcast) */
	uint64_t       ts_ms;
	uint32_t       epoch;        /* epoch key held, 0 none */
	const uint8_t *key_id;       /* NULL when building = zeros */
	uint32_t       gen;          /* generation held; 0 when epoch is 0 */
	const uint8_t *rsa_n;        /* [SOTTO_RSA_MOD] */
	const uint8_t *sig;
	size_t         signed_len;
};

int sotto_ini2_build(struct sotto_wbuf *out, const struct sotto_ini2 *f,
    const struct sotto_ed25519 *id);
/* Split signing (ssh-agent; the client signs every frame through its
 * signer): append the body without its signature to out and the exact
 * signature input to msg; append sign(msg) to the body to finish it. The
 * same bytes sotto_ini2_build signs. */
int sotto_ini2_build_unsigned(struct sotto_wbuf *out, const struct sotto_ini2 *f,
    const uint8_t pub[static SOTTO_ED25519_PUB], struct sotto_wbuf *msg);
/* 0; SOTTO_V_NEWER (ini->id_pub set) for a version above 2 or unknown
 * flags; SOTTO_V_MALFORMED otherwise (a v1 INI included). */
int sotto_ini2_parse(const uint8_t *body, size_t len, struct sotto_ini2 *ini);
/* parse -> trusted (NEWER only from a trusted key) -> room (not-for-me). */
int sotto_ini2_check(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t, struct sotto_ini2 *ini,
    const struct sotto_peer **peer);
/* signature -> fresh (ts within now +- SOTTO_INI_WINDOW_MS, not below min). */
int sotto_ini2_finish(const struct sotto_ini2 *ini, const uint8_t *body,
    size_t len, uint64_t now_ms, uint64_t min_ts_ms);
/* Whether the INI is bound to our session: to_nonce equals own_nonce
 * (REPLY to our join, ACK of our REPLY, an ask for our key). */
int sotto_ini2_for_session(const struct sotto_ini2 *ini,
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE]);

/* --- KEY v2 ---------------------------------------------------------------- */

/* Where an epoch came from; every KEY carries it for its epoch. */
struct sotto_epoch_origin {
	uint8_t        reason;       /* SOTTO_REASON_* */
	uint32_t       prev_epoch;   /* the epoch it replaced, 0 for FIRST */
	const uint8_t *prev_key_id;  /* NULL = zeros (FIRST) */
};

/* What a keyholder hands over (build side). */
struct sotto_key2_src {
	uint8_t                          kind;     /* SOTTO_KEY2_HANDOVER / ROTATION */
	const struct sotto_genkey       *gk;       /* epoch, gen and key handed */
	const uint8_t                   *key_id;   /* names the epoch key */
	struct sotto_epoch_origin        origin;
	const struct sotto_chain *const *chains;   /* HANDOVER: current sender chains */
	size_t                           n_chains;
	const struct sotto_mark         *marks;    /* HANDOVER: watermarks */
	size_t                           n_marks;
	const uint8_t (*removed)[SOTTO_FPR_LEN];   /* ROTATION: identities it excluded */
	size_t                           n_removed;
};

struct sotto_key2 {
	uint8_t        version, kind;
	const uint8_t *id_pub, *to_fpr, *to_nonce;
	uint64_t       ts_ms;
	uint32_t       epoch;
	const uint8_t *key_id;
	uint32_t       gen;
	uint32_t       prev_epoch;
	const uint8_t *prev_key_id;
	uint8_t        reason;
	const uint8_t *wrapped;      /* [SOTTO_RSA_MOD] */
	uint16_t       n_marks;
	const uint8_t *marks;        /* read with sotto_key2_mark */
	const uint8_t *sealed;
	size_t         sealed_len;
	size_t         aad_len;      /* body bytes before sealed_len */
	const uint8_t *tag;
	const uint8_t *sig;
	size_t         signed_len;
};

/* What a KEY hands over, in secure memory. */
struct sotto_key2_secret {
	struct sotto_genkey  *gk;
	struct sotto_chain  **chains;     /* HANDOVER */
	size_t                n_chains;
	uint8_t             (*removed)[SOTTO_FPR_LEN];  /* ROTATION */
	size_t                n_removed;
};

int sotto_key2_build(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *id,
    const struct sotto_key2_src *src, const struct sotto_key_to *to,
    uint64_t ts_ms);
/* Split signing, as sotto_ini2_build_unsigned: body without signature
 * to out, signature input to msg (the transport key is fresh per call and
 * wiped before return; only the wrapped and sealed forms are in either). */
int sotto_key2_build_unsigned(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_key2_src *src, const struct sotto_key_to *to,
    uint64_t ts_ms, struct sotto_wbuf *msg);
int sotto_key2_parse(const uint8_t *body, size_t len, struct sotto_key2 *k);
int sotto_key2_mark(const struct sotto_key2 *k, size_t i, struct sotto_mark *m);
/* parse -> trusted -> to_fpr/to_nonce ours (not-for-me) -> digest of
 * "sotto-v2 KEY" || P || signed bytes into digest. */
int sotto_key2_check(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t,
    const uint8_t own_fpr[static SOTTO_FPR_LEN],
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE], struct sotto_key2 *k,
    const struct sotto_peer **peer, uint8_t digest[static SOTTO_SHA256_LEN]);
/* signature -> fresh -> RSA unwrap and AEAD open with our session key
 * (decrypt-failed, also when the wrap's epoch/gen differ from the signed
 * ones or the sealed part breaks a rule of its kind). */
int sotto_key2_finish(const struct sotto_key2 *k, const uint8_t *body,
    size_t len, const uint8_t *room, size_t room_len,
    const struct sotto_rsa *rsa, uint64_t now_ms, uint64_t min_ts_ms,
    struct sotto_key2_secret *out);
void sotto_key2_secret_free(struct sotto_key2_secret *s);

/* --- DAT v2 ---------------------------------------------------------------- */

struct sotto_dat2 {
	uint8_t        version, kind;
	const uint8_t *id_pub;
	const uint8_t *session;
	uint32_t       epoch;
	uint32_t       gen;
	uint32_t       index;        /* position in the (session, epoch, gen) chain */
	uint64_t       counter;      /* per session, across epochs: replay order */
	uint64_t       ts_ms;
	const uint8_t *ct;
	size_t         ct_len;
	const uint8_t *tag;
	const uint8_t *sig;
	size_t         signed_len;
};

/* Replay state a receiver keeps per sender session (as v1). */
struct sotto_replay {
	uint64_t highest;            /* highest counter accepted, 0 none */
	uint64_t floor;              /* watermark: counters below are stale, 0 none */
	uint64_t min_ts_ms;          /* with no floor: timestamps below are stale */
};

/* 0; SOTTO_V_NEWER (d->id_pub set) for a newer version or unknown kind. */
int sotto_dat2_parse(const uint8_t *body, size_t len, struct sotto_dat2 *d);
/* Counter and staleness only (no crypto): call before the signature. */
int sotto_dat2_check(const struct sotto_dat2 *d, const struct sotto_replay *p);

struct sotto_dat2_tx;
/* Borrows id. */
int sotto_dat2_tx_new(struct sotto_dat2_tx **out, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *id,
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter);
/* A sender whose signatures the caller makes (ssh-agent): only
 * sotto_dat2_seal_unsigned works on it. */
int sotto_dat2_tx_new_pub(struct sotto_dat2_tx **out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter);
void sotto_dat2_tx_free(struct sotto_dat2_tx *tx);
uint64_t sotto_dat2_tx_next(const struct sotto_dat2_tx *tx);
/* The largest body (before padding) a DAT of content type ctype holds:
 * SOTTO_TEXT_MAX below type 32 (text, /me, away, quit: the v1 bound, also
 * checked at unpad on receipt), else up to SOTTO_DAT2_PT_MAX with its pad
 * (DMs and file chunks, shared/wire-files.h). */
size_t sotto_dat2_body_max(uint8_t ctype);
/* Pad, encrypt under the next key of our own chain (which steps and
 * forgets it) and sign; n <= sotto_dat2_body_max(ctype); *body borrowed until the next seal or free. */
int sotto_dat2_seal(struct sotto_dat2_tx *tx, struct sotto_chain *chain,
    uint64_t ts_ms, uint8_t ctype, const void *text, size_t n,
    const uint8_t **body, size_t *body_len);
/* The same without the signature: *msg (the signature input) and *body
 * (the body so far; append the signature to a copy) are borrowed from tx
 * until the next seal or free. The chain steps and the message key is
 * wiped here, before any signature exists. */
int sotto_dat2_seal_unsigned(struct sotto_dat2_tx *tx, struct sotto_chain *chain,
    uint64_t ts_ms, uint8_t ctype, const void *text, size_t n,
    const uint8_t **msg, size_t *msg_len, const uint8_t **body,
    size_t *body_len);

struct sotto_dat2_rx;
int sotto_dat2_rx_new(struct sotto_dat2_rx **out, const uint8_t *room,
    size_t room_len);
void sotto_dat2_rx_free(struct sotto_dat2_rx *rx);
int sotto_dat2_verify(struct sotto_dat2_rx *rx, const struct sotto_dat2 *d,
    const uint8_t *body, size_t len);
/* After sotto_dat2_verify on this body, with the chain of (id_pub,
 * session, epoch, gen): index already passed (replay), too far ahead
 * (decrypt-failed), AES-GCM (decrypt-failed), unpad (malformed). On
 * success the chain has moved past the index (its key is gone), p->highest
 * moves, and *text borrows from rx. The content type is the caller's to
 * judge (unknown ones are SOTTO_V_NEWER notices). */
int sotto_dat2_open(struct sotto_dat2_rx *rx, const struct sotto_dat2 *d,
    const uint8_t *body, size_t len, struct sotto_chain *chain,
    struct sotto_replay *p, uint8_t *ctype, const uint8_t **text,
    size_t *text_len);

#endif

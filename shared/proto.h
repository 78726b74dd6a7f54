/* SPDX-License-Identifier: ISC */
/* proto.h: the INI, KEY and DAT bodies of docs/protocol.md: build, parse, sign, verify, seal, open.
 *
 * Pure functions on buffers and keys: no I/O, no clock, no global state.
 * Callers pass the time (now_ms) and the policy (the oldest timestamp they
 * accept); parsed structs hold pointers borrowed from the body they came
 * from. Every receive-side function returns 0, one of the verdicts below
 * (each names exactly one wire-v1 §5 `rejected` reason), or, for a local
 * failure such as out-of-memory, a plain sotto_err.
 *
 * Receive order for every frame (docs/protocol.md "Verification order"):
 * parse -> trusted? -> signature -> addressed to us? -> fresh? -> decrypt.
 * An untrusted key is refused before any signature work.
 */
#ifndef SOTTO_PROTO_H
#define SOTTO_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "wire.h"

struct sotto_ed25519;
struct sotto_rsa;
struct sotto_aead;
struct sotto_trust;
struct sotto_peer;

/* Why a frame was dropped; each maps 1:1 onto a §5 `rejected` reason. */
enum sotto_verdict {
	SOTTO_V_UNTRUSTED = -101,   /* untrusted-key */
	SOTTO_V_BADSIG    = -102,   /* bad-signature */
	SOTTO_V_REPLAY    = -103,   /* replay */
	SOTTO_V_STALE     = -104,   /* stale */
	SOTTO_V_DECRYPT   = -105,   /* decrypt-failed */
	SOTTO_V_MALFORMED = -106,   /* malformed */
	SOTTO_V_NOTFORME  = -107,   /* not-for-me */
	/* Not a rejection: a body version, frame kind, INI flag or content
	 * type from a newer protocol, from a trusted key. The client shows
	 * one `notice` (per sender and kind), never `malformed`. */
	SOTTO_V_NEWER     = -108,
};

/* The §5 reason word for a verdict, NULL for any other value (also for
 * SOTTO_V_NEWER, which is a notice, not a rejection). */
const char *sotto_verdict_word(int v);

/* --- Group key ----------------------------------------------------------- */

/* The room's AES-256 group key, its epoch and its public name. The whole
 * struct lives in libgcrypt secure memory and is wiped when freed. */
struct sotto_group {
	uint8_t  key[SOTTO_GROUP_KEY];
	uint32_t epoch;
	uint8_t  key_id[SOTTO_KEY_ID];   /* HMAC-SHA256(key, "sotto-v1 key-id")[0..8] */
};

/* A fresh key from the strong random generator (only a first joiner). */
int sotto_group_generate(struct sotto_group **out, uint32_t epoch);
int sotto_group_from(struct sotto_group **out,
    const uint8_t key[static SOTTO_GROUP_KEY], uint32_t epoch);
int sotto_group_dup(struct sotto_group **out, const struct sotto_group *g);
void sotto_group_free(struct sotto_group *g);
int sotto_key_id(const uint8_t key[static SOTTO_GROUP_KEY],
    uint8_t id[static SOTTO_KEY_ID]);
/* Conflict order (docs/protocol.md "Conflicts"): > 0 when (ea, ka) wins
 * over (eb, kb), < 0 when it loses, 0 when they name the same key.
 * Higher epoch wins, then the lower key_id. */
int sotto_group_cmp(uint32_t ea, const uint8_t ka[static SOTTO_KEY_ID],
    uint32_t eb, const uint8_t kb[static SOTTO_KEY_ID]);

/* --- INI ----------------------------------------------------------------- */

/* Parsed (or to-be-built) INI body; pointers borrow from the body. */
struct sotto_ini {
	const uint8_t *room;
	size_t         room_len;
	uint8_t        flags;        /* SOTTO_INI_REPLY */
	uint32_t       ask;          /* member asked for the key, 0 none */
	const uint8_t *id_pub;       /* [SOTTO_ED25519_PUB] */
	const uint8_t *nonce;        /* [SOTTO_JOIN_NONCE]: the session id */
	uint64_t       ts_ms;
	uint32_t       epoch;        /* key held, 0 none */
	const uint8_t *key_id;       /* [SOTTO_KEY_ID]; NULL when building = zeros */
	const uint8_t *rsa_n;        /* [SOTTO_RSA_MOD] */
	const uint8_t *sig;          /* [SOTTO_ED25519_SIG] */
	size_t         signed_len;   /* body bytes before sig */
};

/* Append a signed INI body built from f (f->id_pub, sig, signed_len are
 * ignored: they come from id). */
int sotto_ini_build(struct sotto_wbuf *out, const struct sotto_ini *f,
    const struct sotto_ed25519 *id);
/* Split signing (ssh-agent, asynchronously): append the body without
 * its signature to out and the exact signature input to msg; sign msg
 * (locally or by the agent) and append the SOTTO_ED25519_SIG bytes to out.
 * The same split exists for KEY and DAT below. */
int sotto_ini_build_unsigned(struct sotto_wbuf *out, const struct sotto_ini *f,
    const uint8_t pub[static SOTTO_ED25519_PUB], struct sotto_wbuf *msg);
/* SOTTO_V_MALFORMED unless body is a well-formed member INI. */
int sotto_ini_parse(const uint8_t *body, size_t len, struct sotto_ini *ini);
int sotto_ini_verify(const struct sotto_ini *ini, const uint8_t *body, size_t len);
/* parse -> trusted -> signature -> room (not-for-me) -> fresh: ts within
 * now_ms +- SOTTO_INI_WINDOW_MS and not below min_ts_ms (stale). */
int sotto_ini_accept(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t, uint64_t now_ms,
    uint64_t min_ts_ms, struct sotto_ini *ini, const struct sotto_peer **peer);

/* The relay's answer to a join: room prefix, u32 count, count ids. */
struct sotto_roster {
	const uint8_t  *room;
	size_t          room_len;
	uint32_t        count;
	struct sotto_rd ids;         /* count u32 ids: read with sotto_rd_u32 */
};
int sotto_roster_parse(const uint8_t *body, size_t len, struct sotto_roster *r);
int sotto_roster_build(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const uint32_t *ids, uint32_t n);
/* LEFT body: u32 id. */
int sotto_left_parse(const uint8_t *body, size_t len, uint32_t *id);

/* --- KEY ----------------------------------------------------------------- */

/* A watermark: the next counter a sender session was going to use when
 * the newcomer joined; its DATs below it are older than the join. */
struct sotto_mark {
	uint8_t  id_pub[SOTTO_ED25519_PUB];
	uint8_t  session[SOTTO_JOIN_NONCE];
	uint64_t next;
};

struct sotto_key {
	const uint8_t *id_pub;       /* keyholder */
	const uint8_t *to_fpr;       /* recipient's fingerprint (SHA-256 of its key blob) */
	const uint8_t *to_nonce;     /* recipient's INI nonce */
	uint64_t       ts_ms;
	uint32_t       epoch;
	const uint8_t *key_id;
	const uint8_t *wrapped;      /* [SOTTO_RSA_MOD] */
	uint16_t       n_marks;
	const uint8_t *marks;        /* n_marks * SOTTO_MARK_LEN: use sotto_key_mark */
	const uint8_t *sig;
	size_t         signed_len;
};

/* What a keyholder needs of the recipient (all from its verified INI). */
struct sotto_key_to {
	const uint8_t *pub;          /* identity key; the KEY carries its fingerprint */
	const uint8_t *nonce;
	const uint8_t *rsa_n;        /* [SOTTO_RSA_MOD], e = SOTTO_RSA_E */
};

int sotto_key_build(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *id, const struct sotto_group *g,
    const struct sotto_key_to *to, uint64_t ts_ms,
    const struct sotto_mark *marks, size_t n_marks);
int sotto_key_build_unsigned(struct sotto_wbuf *out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_group *g, const struct sotto_key_to *to, uint64_t ts_ms,
    const struct sotto_mark *marks, size_t n_marks, struct sotto_wbuf *msg);
int sotto_key_parse(const uint8_t *body, size_t len, struct sotto_key *k);
int sotto_key_verify(const struct sotto_key *k, const uint8_t *room,
    size_t room_len, const uint8_t *body, size_t len);
/* SHA-256 of "sotto-v1 KEY" || P || the signed bytes: what a receiver
 * remembers to refuse the same KEY twice, checked before the signature
 * and the RSA work (a signature is not a frame's identity). */
int sotto_key_digest(const struct sotto_key *k, const uint8_t *room,
    size_t room_len, const uint8_t *body, size_t len,
    uint8_t out[static SOTTO_SHA256_LEN]);
/* The i-th watermark (i < k->n_marks). */
int sotto_key_mark(const struct sotto_key *k, size_t i, struct sotto_mark *m);
/* parse -> trusted -> signature -> addressed to (own_fpr, own_nonce)
 * (not-for-me) -> fresh (stale) -> unwrap with rsa (decrypt-failed, also
 * when the wrapped epoch or the key's id differ from the signed ones).
 * *group is the new key in secure memory. */
int sotto_key_accept(const uint8_t *body, size_t len, const uint8_t *room,
    size_t room_len, const struct sotto_trust *t,
    const uint8_t own_fpr[static SOTTO_FPR_LEN],
    const uint8_t own_nonce[static SOTTO_JOIN_NONCE],
    const struct sotto_rsa *rsa, uint64_t now_ms, uint64_t min_ts_ms,
    struct sotto_key *k, const struct sotto_peer **peer,
    struct sotto_group **group);

/* --- DAT ----------------------------------------------------------------- */

struct sotto_dat {
	const uint8_t *id_pub;
	const uint8_t *session;
	uint32_t       epoch;
	uint64_t       counter;
	uint64_t       ts_ms;
	const uint8_t *ct;
	size_t         ct_len;
	const uint8_t *tag;
	const uint8_t *sig;
	size_t         signed_len;
};

int sotto_dat_parse(const uint8_t *body, size_t len, struct sotto_dat *d);
/* The AEAD handle for one sender session: key = HMAC-SHA256(group key,
 * "sotto-v1 dat-key" || u32 epoch || id_pub || session). */
int sotto_dat_subkey(struct sotto_aead **out, const struct sotto_group *g,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE]);

/* Sender: one per (own session, group key). Holds the cached subkey and
 * reused buffers, so sealing allocates nothing once warm. Borrows id. */
struct sotto_dat_tx;
int sotto_dat_tx_new(struct sotto_dat_tx **out, const uint8_t *room,
    size_t room_len, const struct sotto_ed25519 *id, const struct sotto_group *g,
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t next_counter);
/* A sender whose signatures the caller makes (ssh-agent): only
 * sotto_dat_seal_unsigned works on it. */
int sotto_dat_tx_new_pub(struct sotto_dat_tx **out, const uint8_t *room,
    size_t room_len, const uint8_t pub[static SOTTO_ED25519_PUB],
    const struct sotto_group *g, const uint8_t session[static SOTTO_JOIN_NONCE],
    uint64_t next_counter);
void sotto_dat_tx_free(struct sotto_dat_tx *tx);
uint64_t sotto_dat_tx_next(const struct sotto_dat_tx *tx);
/* Pad, encrypt and sign one message; *body is borrowed from tx until the
 * next seal or free. n <= SOTTO_TEXT_MAX. */
int sotto_dat_seal(struct sotto_dat_tx *tx, uint64_t ts_ms, uint8_t ctype,
    const void *text, size_t n, const uint8_t **body, size_t *body_len);
/* The same without the signature: *msg (the signature input) and *body
 * (the body so far; append the signature to a copy) are borrowed from tx
 * until the next seal or free. The counter moves on as with a seal. */
int sotto_dat_seal_unsigned(struct sotto_dat_tx *tx, uint64_t ts_ms,
    uint8_t ctype, const void *text, size_t n, const uint8_t **msg,
    size_t *msg_len, const uint8_t **body, size_t *body_len);

/* What a receiver keeps for one sender session (e.g. in its member table). */
struct sotto_dat_peer {
	struct sotto_aead *aead;     /* subkey for (epoch, id_pub, session) */
	uint32_t epoch;              /* epoch of the key held (and of aead) */
	uint64_t highest;            /* highest counter accepted, 0 none */
	uint64_t floor;              /* watermark: counters below are stale, 0 none */
	uint64_t min_ts_ms;          /* timestamps below are stale, 0 no check */
};

/* Receiver: per room; reused scratch for signature input and plaintext. */
struct sotto_dat_rx;
int sotto_dat_rx_new(struct sotto_dat_rx **out, const uint8_t *room,
    size_t room_len);
void sotto_dat_rx_free(struct sotto_dat_rx *rx);
int sotto_dat_verify(struct sotto_dat_rx *rx, const struct sotto_dat *d,
    const uint8_t *body, size_t len);
/* After sotto_dat_verify on the same body: epoch (stale when older,
 * decrypt-failed when newer than held) -> replay -> stale (watermark,
 * then timestamp) -> decrypt -> unpad. On success p->highest moves and
 * *text borrows from rx until the next open or free. */
int sotto_dat_open(struct sotto_dat_rx *rx, const struct sotto_dat *d,
    const uint8_t *body, size_t len, struct sotto_dat_peer *p,
    uint8_t *ctype, const uint8_t **text, size_t *text_len);
/* Only the epoch/replay/stale decision of sotto_dat_open. */
int sotto_dat_check(const struct sotto_dat *d, const struct sotto_dat_peer *p);

#endif

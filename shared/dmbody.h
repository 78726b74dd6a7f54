/* SPDX-License-Identifier: ISC */
/* dmbody.h: the bodies of direct messages inside a DAT (DMKEY, DM, DMNOKEY of docs/protocol.md "Direct messages"): build, parse, wrap, seal, open.
 *
 * Pure functions, as proto.h: no I/O, no clock. Parsers go through the
 * bounds-checked reader (buf.h) and return 0 or SOTTO_V_MALFORMED; the
 * opening functions return SOTTO_V_DECRYPT for anything that does not
 * open or is not bound to the sender that signed the outer DAT. Keys
 * (pairwise keys, unwrapped plaintext) live in caller-provided secure
 * memory and are wiped here on every path.
 */
#ifndef SOTTO_DMBODY_H
#define SOTTO_DMBODY_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "wire-files.h"

struct sotto_rsa;

/* The outer DAT a DM body rides in: what the inner seal and the key wrap
 * are bound to (signed fields of the outer DAT, whatever its version). */
struct sotto_dm_outer {
	const uint8_t *room;         /* the room (P = u8 len || room in the AAD) */
	size_t         room_len;
	const uint8_t *id_pub;       /* [SOTTO_ED25519_PUB] sender identity */
	const uint8_t *session;      /* [SOTTO_JOIN_NONCE] sender session */
	uint32_t       epoch;
	uint64_t       counter;
	uint64_t       ts_ms;
};

/* --- DMKEY (content type 32) --------------------------------------------- */

struct sotto_dmkey {
	const uint8_t *to_fpr;       /* [SOTTO_FPR_LEN] */
	const uint8_t *to_session;   /* [SOTTO_JOIN_NONCE] */
	uint32_t       epoch;
	const uint8_t *key_id;       /* [SOTTO_KEY_ID] */
	const uint8_t *wrapped;      /* [SOTTO_RSA_MOD] */
};

/* HMAC-SHA256(key, "sotto-v1 dm-key-id")[0..8). */
int sotto_dm_key_id(const uint8_t key[static SOTTO_DM_KEY],
    uint8_t id[static SOTTO_KEY_ID]);
/* Append a DMKEY body: key (with epoch and the sender's fingerprint and
 * session) wrapped with RSA-OAEP to the recipient's modulus. */
int sotto_dmkey_build(struct sotto_wbuf *out,
    const uint8_t key[static SOTTO_DM_KEY], uint32_t epoch,
    const uint8_t from_fpr[static SOTTO_FPR_LEN],
    const uint8_t from_session[static SOTTO_JOIN_NONCE],
    const uint8_t to_fpr[static SOTTO_FPR_LEN],
    const uint8_t to_session[static SOTTO_JOIN_NONCE],
    const uint8_t to_rsa_n[static SOTTO_RSA_MOD]);
int sotto_dmkey_parse(const uint8_t *body, size_t len, struct sotto_dmkey *k);
/* Unwrap with our session's RSA key and check every binding: inner
 * from_fpr = from_fpr (the outer signer's), inner from_session = outer
 * session, inner epoch = k->epoch = outer epoch, key_id names the key.
 * key is the caller's secure memory; it is wiped on failure. */
int sotto_dmkey_open(const struct sotto_dmkey *k, const struct sotto_rsa *rsa,
    const uint8_t from_fpr[static SOTTO_FPR_LEN],
    const struct sotto_dm_outer *o, uint8_t key[static SOTTO_DM_KEY]);

/* --- DM (content type 33) ------------------------------------------------ */

struct sotto_dm {
	const uint8_t *hdr;          /* body[0..SOTTO_DM_HDR): part of the AAD */
	const uint8_t *to_fpr;
	const uint8_t *to_session;
	const uint8_t *key_id;
	const uint8_t *ct;
	size_t         ct_len;
	const uint8_t *tag;
};

/* Largest inner ciphertext a DM of this version carries (text only): the
 * whole DM body stays within SOTTO_TEXT_MAX, the bound of every v1 DAT. */
#define SOTTO_DM_CT_MAX         (SOTTO_TEXT_MAX - SOTTO_DM_HDR - SOTTO_GCM_TAG)
/* Largest text a DM carries: the inner pad header and pad fit too. */
#define SOTTO_DM_TEXT_MAX       (SOTTO_DM_CT_MAX - 5u - SOTTO_PAD_MAX)
/* Largest inner body of a file kind (FOFFER, FCHUNK, FCTL): a full chunk.
 * Its ciphertext is at most SOTTO_DM_INNER_MAX, the bound a receiver
 * parses any DM with (the DAT holding it is within SOTTO_DAT2_PT_MAX). */
#define SOTTO_DM_FILE_BODY_MAX  (SOTTO_FCHUNK_HDR + SOTTO_FILE_CHUNK_MAX)

/* Append a DM body: u8 inner_type || u32 n || body || random pad, sealed
 * with AES-256-GCM under key, nonce "DM\0\0" || u64 o->counter. n is at
 * most SOTTO_DM_TEXT_MAX for text, SOTTO_DM_FILE_BODY_MAX for the file
 * kinds (SOTTO_E_TOOLONG above). */
int sotto_dm_seal(struct sotto_wbuf *out, const uint8_t key[static SOTTO_DM_KEY],
    const struct sotto_dm_outer *o, const uint8_t to_fpr[static SOTTO_FPR_LEN],
    const uint8_t to_session[static SOTTO_JOIN_NONCE], uint8_t inner_type,
    const void *body, size_t n);
int sotto_dm_parse(const uint8_t *body, size_t len, struct sotto_dm *d);
/* Open into pt (a secure wbuf the caller owns and frees); *body borrows
 * from it. SOTTO_V_DECRYPT when the tag fails, SOTTO_V_MALFORMED when the
 * inner padding is wrong. */
int sotto_dm_open(const struct sotto_dm *d, const uint8_t key[static SOTTO_DM_KEY],
    const struct sotto_dm_outer *o, struct sotto_wbuf *pt, uint8_t *inner_type,
    const uint8_t **body, size_t *n);

/* --- DMNOKEY (content type 37) ------------------------------------------- */

struct sotto_dmnokey {
	const uint8_t *key_id;       /* [SOTTO_KEY_ID] */
	uint64_t       counter;      /* the unreadable DM's outer counter */
};

int sotto_dmnokey_build(struct sotto_wbuf *out,
    const uint8_t key_id[static SOTTO_KEY_ID], uint64_t counter);
int sotto_dmnokey_parse(const uint8_t *body, size_t len, struct sotto_dmnokey *n);

#endif

/* SPDX-License-Identifier: ISC */
/* keyring.h: one member's v2 key state for a room: the current epoch (and the previous one during its grace), their generation keys and the sender chains; what a handover hands over; what is wiped when (docs/protocol.md "v2: generations in the room", "v2: rotation").
 *
 * Pure: the caller passes the time. Every key lives in libgcrypt secure
 * memory (ratchet.h) and is freed (wiped) the moment it is stepped past
 * or its grace ends (sotto_keyring_sweep).
 */
#ifndef SOTTO_KEYRING_H
#define SOTTO_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include "proto2.h"
#include "wire.h"

struct sotto_genkey;
struct sotto_chain;
struct sotto_dat2;

/* Defaults (docs/protocol.md "v2: limits"). */
#define SOTTO_GEN_STEP_MS      60000u   /* a sender steps its generation after this */
#define SOTTO_GEN_GRACE_MS     10000u   /* older generation keys / chains kept this long */
#define SOTTO_EPOCH_GRACE_MS   10000u   /* the previous epoch kept this long */

struct sotto_keyring_cfg {
	uint64_t gen_step_ms;
	uint64_t gen_grace_ms;
	uint64_t epoch_grace_ms;
};

/* A sender session the keyholder hands a chain for (present members). */
struct sotto_session_ref {
	const uint8_t *id_pub;
	const uint8_t *session;
};

struct sotto_keyring;

/* cfg NULL: the defaults. */
int sotto_keyring_new(struct sotto_keyring **out, const struct sotto_keyring_cfg *cfg);
void sotto_keyring_free(struct sotto_keyring *kr);

/* Install an epoch key at generation gk->gen (first joiner, rotation,
 * handover, conflict). The chains are always consumed (their array is
 * not); gk is taken on success and left to the caller on failure. The
 * current epoch, if any, becomes the previous one for its grace; an older
 * previous one is wiped now. An older epoch is refused (SOTTO_E_INVAL);
 * the same epoch and key only moves a
 * lower generation on and adds chains not held (gk freed); the same epoch with
 * another key is a conflict's winner (the caller compared them) and
 * replaces the loser outright. */
int sotto_keyring_set(struct sotto_keyring *kr, struct sotto_genkey *gk,
    const uint8_t key_id[static SOTTO_KEY_ID],
    const struct sotto_epoch_origin *origin, struct sotto_chain **chains,
    size_t n_chains, uint64_t now_ms);
/* Adopt what a verified KEY handed over (the secret is emptied). */
int sotto_keyring_set_secret(struct sotto_keyring *kr,
    const struct sotto_key2 *k, struct sotto_key2_secret *s, uint64_t now_ms);

/* What is held now: 0 / NULL when nothing. */
uint32_t sotto_keyring_epoch(const struct sotto_keyring *kr);
uint32_t sotto_keyring_gen(const struct sotto_keyring *kr);
const uint8_t *sotto_keyring_key_id(const struct sotto_keyring *kr);
/* Whether the previous epoch is still kept (its grace not over). */
int sotto_keyring_has_previous(const struct sotto_keyring *kr);

/* Move the current generation to `gen` (a trusted frame advertised it):
 * SOTTO_E_INVAL when lower or more than SOTTO_GEN_JUMP_MAX ahead. */
int sotto_keyring_step_to(struct sotto_keyring *kr, uint32_t gen, uint64_t now_ms);

/* Sender: our chain to seal the next DAT with, in the current epoch and
 * generation; the generation steps first when it has lasted gen_step. */
int sotto_keyring_tx(struct sotto_keyring *kr,
    const uint8_t id_pub[static SOTTO_ED25519_PUB],
    const uint8_t session[static SOTTO_JOIN_NONCE], uint64_t now_ms,
    struct sotto_chain **chain);

/* Receiver: the chain for a DAT's (id_pub, session, epoch, gen), started
 * from the generation key when first seen (stepping our generation when
 * the DAT's is higher). Verdicts: SOTTO_V_STALE (an epoch older than held
 * or past its grace), SOTTO_V_DECRYPT (a newer epoch: recover by asking;
 * a generation gone or too far ahead). Borrowed from kr. */
int sotto_keyring_rx(struct sotto_keyring *kr, const struct sotto_dat2 *d,
    uint64_t now_ms, struct sotto_chain **chain);

/* Serve a handover: step to the next generation and fill src (borrowing
 * from kr until the next call) with it, the epoch's name and origin, and
 * the chain of every sender session of the epoch below that generation,
 * plus CK_0 of the generation just left for each `present` session with
 * none (so a member that has not spoken yet is readable at once). */
int sotto_keyring_handover(struct sotto_keyring *kr,
    const struct sotto_session_ref *present, size_t n_present, uint64_t now_ms,
    struct sotto_key2_src *src);

/* The current epoch's generation 0 as a ROTATION to send again (a member
 * that was in the room when the epoch began and missed its ROTATION KEY
 * asks for it): src borrows from kr until the next call that changes it.
 * SOTTO_E_NOTFOUND once generation 0 is gone (stepped on and past its
 * grace): then only a HANDOVER can be served. */
int sotto_keyring_gen0(const struct sotto_keyring *kr, struct sotto_key2_src *src);

/* Wipe every key whose grace is over. */
void sotto_keyring_sweep(struct sotto_keyring *kr, uint64_t now_ms);

/* Chains held, in all epochs (tests, the key log). */
size_t sotto_keyring_chains(const struct sotto_keyring *kr);

/* Every key held now, for the client's test-only key log: each
 * generation key (current, and older ones kept for their grace) and each
 * chain (our own sender chain included), in both epochs. */
void sotto_keyring_visit(const struct sotto_keyring *kr,
    void (*on_gen)(void *ctx, const struct sotto_genkey *g),
    void (*on_chain)(void *ctx, const struct sotto_chain *ch), void *ctx);

#endif

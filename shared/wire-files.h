/* SPDX-License-Identifier: ISC */
/* wire-files.h: wire sizes and numbers of direct messages and file transfer (docs/design-dm-files.md); folds into wire.h when the client lands. */
#ifndef SOTTO_WIRE_FILES_H
#define SOTTO_WIRE_FILES_H

#include "wire.h"

/* DAT content types (the first plaintext byte, shared/pad.h). 16..19 are
 * the UX work's; 38..47 stay reserved for this feature. */
#define SOTTO_CT_DMKEY          32u     /* pairwise key, RSA-wrapped to one session */
#define SOTTO_CT_DM             33u     /* pairwise-sealed inner plaintext */
#define SOTTO_CT_FOFFER         34u     /* file manifest */
#define SOTTO_CT_FCHUNK         35u     /* one chunk of a file */
#define SOTTO_CT_FCTL           36u     /* accept / cancel / done / fail */
#define SOTTO_CT_DMNOKEY        37u     /* "your DM's key is unknown to me" */

#define SOTTO_LABEL_DM          "sotto-v1 DM"        /* AAD prefix of a DM's inner seal */
#define SOTTO_LABEL_DM_LEN      11u
#define SOTTO_LABEL_DM_KEY_ID   "sotto-v1 dm-key-id" /* HMAC input naming a pairwise key */
#define SOTTO_LABEL_DM_KEY_ID_LEN 18u
#define SOTTO_DM_NONCE_PREFIX   "DM\0\0"             /* || u64 outer counter */

/* DMKEY: to_fpr to_session epoch key_id wrapped_len wrapped. The wrap
 * holds K || u32 epoch || from_fpr || from_session. */
#define SOTTO_DM_KEY            32u     /* AES-256 pairwise key */
#define SOTTO_DM_WRAP_PLAIN     (SOTTO_DM_KEY + SOTTO_EPOCH_LEN + \
    SOTTO_FPR_LEN + SOTTO_JOIN_NONCE)
#define SOTTO_DMKEY_LEN         (SOTTO_FPR_LEN + SOTTO_JOIN_NONCE + \
    SOTTO_EPOCH_LEN + SOTTO_KEY_ID + 2u + SOTTO_RSA_MOD)
/* DM: to_fpr to_session key_id ct_len | ct tag. */
#define SOTTO_DM_HDR            (SOTTO_FPR_LEN + SOTTO_JOIN_NONCE + \
    SOTTO_KEY_ID + 4u)
#define SOTTO_DMNOKEY_LEN       (SOTTO_KEY_ID + SOTTO_COUNTER_LEN)
#define SOTTO_DM_KEYS_MAX       256u    /* pairwise keys a receiver caches */
#define SOTTO_DM_KEYS_PER_PEER  8u      /* of them from one identity */
#define SOTTO_DM_UNWRAPS_MAX    16u     /* DMKEYs unwrapped per sender session and epoch */

/* Files. */
#define SOTTO_XFER_ID           16u
/* 60 KiB, not 64: a DAT's signature input (label, room, header, a DM
 * envelope around the chunk, both pads) must stay within libgcrypt's
 * 65 535-byte S-expression datum (SOTTO_GCRY_DATUM_MAX, wire.h);
 * SOTTO_DAT2_SIGNED_MAX below is the check. */
#define SOTTO_FILE_CHUNK        61440u  /* chunk payload this version sends */
#define SOTTO_FILE_CHUNK_MIN    4096u   /* accepted chunk_size range */
#define SOTTO_FILE_CHUNK_MAX    61440u
#define SOTTO_FILE_NAME_WIRE_MAX 1024u  /* raw name bytes in a manifest */
/* FOFFER: xfer_id size chunk_size sha256 media name_len name. */
#define SOTTO_FOFFER_FIXED      (SOTTO_XFER_ID + 8u + 4u + SOTTO_SHA256_LEN + 1u + 2u)
/* FCHUNK: xfer_id index data. */
#define SOTTO_FCHUNK_HDR        (SOTTO_XFER_ID + 4u)
/* FCTL: xfer_id op index reason. */
#define SOTTO_FCTL_LEN          (SOTTO_XFER_ID + 1u + 4u + 1u)

/* Plaintext bound of a DAT in v2: a DM envelope around a full chunk, the
 * inner and the outer pad both at their largest. */
#define SOTTO_DM_INNER_MAX      (1u + 4u + SOTTO_FCHUNK_HDR + \
    SOTTO_FILE_CHUNK_MAX + SOTTO_PAD_MAX)
#define SOTTO_DAT2_PT_MAX       (1u + 4u + SOTTO_DM_HDR + SOTTO_DM_INNER_MAX + \
    SOTTO_GCM_TAG + SOTTO_PAD_MAX)
/* The longest DAT signature input: label, room prefix (longest room),
 * header, ct_len, the largest ciphertext and its tag. At most
 * SOTTO_GCRY_DATUM_MAX (tests/unit/test_wire_files.c). */
#define SOTTO_DAT2_SIGNED_MAX   (SOTTO_LABEL_LEN + 1u + SOTTO_ROOM_MAX + \
    SOTTO_DAT2_HDR + 4u + SOTTO_DAT2_PT_MAX + SOTTO_GCM_TAG)

/* Pacing and policy (design: "Chunk size and pacing", "Offers"). */
#define SOTTO_FILE_RATE         40u     /* chunks/s a sender sends at most */
#define SOTTO_FILE_MAX_DEFAULT  (100ull * 1024u * 1024u)
#define SOTTO_FILE_AUTO_MAX     (4ull * 1024u * 1024u)
#define SOTTO_FILE_AUTO_WINDOW_MAX (64ull * 1024u * 1024u)  /* per sender per window */
#define SOTTO_FILE_AUTO_WINDOW_S 600u
#define SOTTO_FILE_RESUME_S     600u
#define SOTTO_FILE_REREQ_MAX    3u

/* The relay's defaults the pacing is designed against (relay/main.c
 * RATE_DEFAULT, BURST_DEFAULT, RATE_BYTES_DEFAULT; docs/relay.md). */
#define SOTTO_RELAY_RATE_DEFAULT        50u
#define SOTTO_RELAY_BURST_DEFAULT       25u
#define SOTTO_RELAY_RATE_BYTES_DEFAULT  (4u * 1024u * 1024u)

#endif

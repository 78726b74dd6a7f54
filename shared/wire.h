/* SPDX-License-Identifier: ISC */
/* wire.h: every size and constant of sotto wire v1 in one place. */
#ifndef SOTTO_WIRE_H
#define SOTTO_WIRE_H

/* --- Stream frames (design card wire-v1 §1) ------------------------------ */
#define SOTTO_WIRE_VERSION      1
#define SOTTO_LEN_FIELD         4u      /* u32 len */
#define SOTTO_HDR_AFTER_LEN     10u     /* ver + type + from + to */
#define SOTTO_FRAME_HDR         14u     /* len field + the 10 bytes it counts */
#define SOTTO_LEN_MIN           10u
#define SOTTO_MAX_FRAME_DEFAULT (1024u * 1024u)

enum sotto_frame_type {
	SOTTO_T_INI  = 1,
	SOTTO_T_KEY  = 2,
	SOTTO_T_DAT  = 3,
	SOTTO_T_LEFT = 4,   /* only the relay sends it */
};

#define SOTTO_ID_RELAY          0u      /* `from` of relay-made frames */
#define SOTTO_TO_ROOM           0u      /* `to` 0: every other member */

/* Room prefix of every INI body: u8 room_len, then the name. */
#define SOTTO_ROOM_MIN          1u
#define SOTTO_ROOM_MAX          64u

/* --- Relay defaults (§2) ------------------------------------------------ */
#define SOTTO_DEFAULT_PORT          7700
#define SOTTO_MAX_QUEUE_DEFAULT     (8u * 1024u * 1024u)
#define SOTTO_MAX_CLIENTS_DEFAULT   100000u
#define SOTTO_JOIN_TIMEOUT_DEFAULT  10.0

/* --- Cryptographic sizes (bodies, docs/protocol.md) ---------------------- */
#define SOTTO_ED25519_PUB       32u
#define SOTTO_ED25519_SEC       32u     /* the seed */
#define SOTTO_ED25519_SIG       64u
#define SOTTO_SHA256_LEN        32u
#define SOTTO_FPR_LEN           SOTTO_SHA256_LEN  /* SHA-256 of the key blob */
#define SOTTO_GROUP_KEY         32u     /* AES-256 */
#define SOTTO_GCM_NONCE         12u
#define SOTTO_GCM_TAG           16u
#define SOTTO_RSA_BITS          4096u
#define SOTTO_RSA_MOD           512u    /* RSA-4096 modulus bytes */
#define SOTTO_RSA_E             65537u
#define SOTTO_JOIN_NONCE        32u     /* INI nonce, also the session id */
#define SOTTO_KEY_ID            8u      /* names a group key without revealing it */

/* The longest message sotto signs or verifies. libgcrypt (1.10) passes
 * the message inside S-expressions whose lengths it keeps in 16 bits: from
 * 65 531 bytes on, gcry_pk_sign aborts the process (crypto.c). 63.5 KiB
 * leaves a margin. */
#define SOTTO_GCRY_DATUM_MAX    65024u

/* --- Padding (§3.5) ----------------------------------------------------- */
#define SOTTO_PAD_MAX           255u    /* pad length uniform in 0..255 */

/* --- Frame bodies behind the room prefix (docs/protocol.md) ------------- */
#define SOTTO_LABEL_LEN         12u     /* every frame label below */
#define SOTTO_LABEL_INI         "sotto-v1 INI"
#define SOTTO_LABEL_KEY         "sotto-v1 KEY"
#define SOTTO_LABEL_DAT         "sotto-v1 DAT"
#define SOTTO_LABEL_KEY_ID      "sotto-v1 key-id"    /* HMAC input naming a group key */
#define SOTTO_LABEL_KEY_ID_LEN  15u
#define SOTTO_LABEL_DAT_KEY     "sotto-v1 dat-key"   /* HMAC prefix of the DAT subkey */
#define SOTTO_LABEL_DAT_KEY_LEN 16u
#define SOTTO_ID_LEN            4u      /* u32 member id */
#define SOTTO_TS_LEN            8u      /* u64 milliseconds since the Unix epoch */
#define SOTTO_EPOCH_LEN         4u      /* u32 group-key epoch */
#define SOTTO_COUNTER_LEN       8u      /* u64 DAT counter */

/* INI (after the room prefix): flags ask id_pub nonce ts epoch key_id
 * rsa_n_len rsa_n sig. */
#define SOTTO_INI_REPLY         0x01u   /* flags bit 0: answer to a join; never answered */
#define SOTTO_INI_FLAGS_KNOWN   SOTTO_INI_REPLY
#define SOTTO_INI_FIXED         (1u + SOTTO_ID_LEN + SOTTO_ED25519_PUB + \
    SOTTO_JOIN_NONCE + SOTTO_TS_LEN + SOTTO_EPOCH_LEN + SOTTO_KEY_ID + 2u + \
    SOTTO_RSA_MOD + SOTTO_ED25519_SIG)

/* KEY: id_pub to_fpr to_nonce ts epoch key_id wrapped_len wrapped
 * n_marks marks sig. The wrap holds group_key || u32 epoch. */
#define SOTTO_WRAP_PLAIN        (SOTTO_GROUP_KEY + SOTTO_EPOCH_LEN)
#define SOTTO_MARK_LEN          (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + SOTTO_COUNTER_LEN)
#define SOTTO_MARKS_MAX         1024u   /* watermarks per KEY */
#define SOTTO_KEY_FIXED         (SOTTO_ED25519_PUB + SOTTO_FPR_LEN + \
    SOTTO_JOIN_NONCE + SOTTO_TS_LEN + SOTTO_EPOCH_LEN + SOTTO_KEY_ID + 2u + \
    SOTTO_RSA_MOD + 2u + SOTTO_ED25519_SIG)

/* DAT: id_pub session epoch counter ts | ct_len ct tag sig. The part
 * before ct_len is the body's share of the AAD. */
#define SOTTO_DAT_HDR           (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + \
    SOTTO_EPOCH_LEN + SOTTO_COUNTER_LEN + SOTTO_TS_LEN)
#define SOTTO_DAT_FIXED         (SOTTO_DAT_HDR + 4u + SOTTO_GCM_TAG + SOTTO_ED25519_SIG)
#define SOTTO_TEXT_MAX          16384u  /* bytes of UTF-8 text in one message */
#define SOTTO_AWAY_MAX          256u    /* bytes of an away reason or quit message */
/* Largest plaintext: u8 type, u32 len, text, pad (shared/pad.h). */
#define SOTTO_DAT_PT_MAX        (1u + 4u + SOTTO_TEXT_MAX + SOTTO_PAD_MAX)

/* Freshness (docs/protocol.md "Replay and staleness"). */
#define SOTTO_INI_WINDOW_MS     (5u * 60u * 1000u)  /* INI/KEY ts within now +- this */
#define SOTTO_CLOCK_SKEW_DEFAULT 30.0   /* seconds; --clock-skew */

/* ssh-agent protocol (draft-miller-ssh-agent): what sotto's agent client
 * sends and accepts. Messages are u32 length, u8 type, payload. */
#define SOTTO_AGENT_MSG_MAX     (256u * 1024u)  /* as OpenSSH's agent */
#define SOTTO_AGENT_KEYS_MAX    1024u   /* identities considered per answer */
/* Cluster backplane messages between relays (relay/cluster-msg.h,
 * docs/relay.md "Cluster"): u8 version, u8 kind, u64 incarnation,
 * u8 node_len, node, then the kind's fields. */
#define SOTTO_CLM_VERSION       1u
#define SOTTO_CLM_FIXED         (1u + 1u + 8u + 1u)  /* ver kind inc node_len */
#define SOTTO_CLM_NODE_MAX      64u     /* bytes of a node name */
#define SOTTO_CLM_INC_LEN       8u      /* u64 incarnation */

/* --- Protocol v2 bodies (docs/protocol.md "Protocol v2") ---------------- */
/* Every body of version >= 2 starts (after P for an INI) with u8 version,
 * u8 flags (INI) or kind (KEY, DAT), then the sender's id_pub, so a
 * receiver can tell a newer peer's frame from a broken one and check its
 * key without knowing the rest of the layout. */
#define SOTTO_BODY_V2           2u
#define SOTTO_LABEL2_INI        "sotto-v2 INI"
#define SOTTO_LABEL2_KEY        "sotto-v2 KEY"
#define SOTTO_LABEL2_DAT        "sotto-v2 DAT"
#define SOTTO_LABEL2_KEY_ID     "sotto-v2 key-id"    /* HMAC input naming an epoch key */
#define SOTTO_LABEL2_KEY_ID_LEN 15u
#define SOTTO_LABEL2_GEN        "sotto-v2 gen"       /* generation step */
#define SOTTO_LABEL2_GEN_LEN    12u
#define SOTTO_LABEL2_CHAIN      "sotto-v2 chain"     /* a sender chain's first key */
#define SOTTO_LABEL2_CHAIN_LEN  14u
#define SOTTO_CHAIN_MSG_BYTE    0x01u   /* MK_i = HMAC(CK_i, 0x01) */
#define SOTTO_CHAIN_STEP_BYTE   0x02u   /* CK_i+1 = HMAC(CK_i, 0x02) */
#define SOTTO_CHAIN_KEY         32u
#define SOTTO_GEN_LEN           4u      /* u32 generation */
#define SOTTO_INDEX_LEN         4u      /* u32 chain index */
/* A receiver moves a chain at most this many steps for one DAT (frames
 * the relay dropped), and a generation key at most this many steps for
 * one frame: a bound on the HMAC work one signed frame can ask for. */
#define SOTTO_CHAIN_SKIP_MAX    4096u
#define SOTTO_GEN_JUMP_MAX      1024u
#define SOTTO_INDEX_MAX         0xffffffffu  /* a chain ends before this: sender moves gen */

/* INI v2: P version flags id_pub ask nonce to_nonce ts epoch key_id gen
 * rsa_n_len rsa_n sig. */
#define SOTTO_INI2_REPLY        0x01u   /* answer to a join (to_nonce = the joiner's) */
#define SOTTO_INI2_ACK          0x02u   /* a joiner's answer to a REPLY: presence proof */
#define SOTTO_INI2_LEAVE        0x04u   /* signed leave: this session ends now */
#define SOTTO_INI2_FLAGS_KNOWN  (SOTTO_INI2_REPLY | SOTTO_INI2_ACK | SOTTO_INI2_LEAVE)
#define SOTTO_INI2_FIXED        (1u + 1u + SOTTO_ED25519_PUB + SOTTO_ID_LEN + \
    SOTTO_JOIN_NONCE + SOTTO_JOIN_NONCE + SOTTO_TS_LEN + SOTTO_EPOCH_LEN + \
    SOTTO_KEY_ID + SOTTO_GEN_LEN + 2u + SOTTO_RSA_MOD + SOTTO_ED25519_SIG)

/* KEY v2: version kind id_pub to_fpr to_nonce ts epoch key_id gen
 * prev_epoch prev_key_id reason wrapped_len wrapped n_marks marks
 * sealed_len sealed tag sig. The RSA wrap holds a fresh transport key T
 * || u32 epoch || u32 gen; `sealed` is AES-256-GCM under T (nonce 0) of
 * the generation key, u16 n and n entries: chain states (handover) or
 * fingerprints of identities the rotator removed (rotation). */
#define SOTTO_KEY2_HANDOVER     1u      /* to a newcomer or a member that asked */
#define SOTTO_KEY2_ROTATION     2u      /* a new epoch to a remaining member */
#define SOTTO_REASON_FIRST      0u      /* epoch 1 of a first joiner */
#define SOTTO_REASON_LEFT       1u
#define SOTTO_REASON_REMOVED    2u
#define SOTTO_REASON_TIMER      3u
#define SOTTO_REASON_COUNT      4u
#define SOTTO_REASON_MAX        SOTTO_REASON_COUNT
#define SOTTO_KEY2_TKEY         32u     /* transport key T */
#define SOTTO_WRAP2_PLAIN       (SOTTO_KEY2_TKEY + SOTTO_EPOCH_LEN + SOTTO_GEN_LEN)
#define SOTTO_CHAIN_STATE_LEN   (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + \
    SOTTO_GEN_LEN + SOTTO_INDEX_LEN + SOTTO_CHAIN_KEY)
#define SOTTO_CHAINS_MAX        4096u   /* entries of the sealed list per KEY */
#define SOTTO_KEY2_SEALED_MAX   (SOTTO_GROUP_KEY + 2u + \
    SOTTO_CHAINS_MAX * SOTTO_CHAIN_STATE_LEN)
#define SOTTO_KEY2_FIXED        (1u + 1u + SOTTO_ED25519_PUB + SOTTO_FPR_LEN + \
    SOTTO_JOIN_NONCE + SOTTO_TS_LEN + SOTTO_EPOCH_LEN + SOTTO_KEY_ID + \
    SOTTO_GEN_LEN + SOTTO_EPOCH_LEN + SOTTO_KEY_ID + 1u + 2u + SOTTO_RSA_MOD + \
    2u + 4u + SOTTO_GCM_TAG + SOTTO_ED25519_SIG)

/* DAT v2: version kind id_pub session epoch gen index counter ts |
 * ct_len ct tag sig. The part before ct_len is the body's share of the
 * AAD. */
#define SOTTO_DAT2_MESSAGE      1u      /* kind: a message sealed under a chain key */
#define SOTTO_DAT2_HDR          (1u + 1u + SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE + \
    SOTTO_EPOCH_LEN + SOTTO_GEN_LEN + SOTTO_INDEX_LEN + SOTTO_COUNTER_LEN + \
    SOTTO_TS_LEN)
#define SOTTO_DAT2_FIXED        (SOTTO_DAT2_HDR + 4u + SOTTO_GCM_TAG + SOTTO_ED25519_SIG)
#define SOTTO_CTYPE_TEXT        1u      /* plaintext content type: UTF-8 text */

#endif

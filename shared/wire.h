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

/* --- Padding (§3.5) ----------------------------------------------------- */
#define SOTTO_PAD_MAX           255u    /* pad length uniform in 0..255 */

#endif

/* SPDX-License-Identifier: ISC */
/* err.h: the named negative error codes every libsotto function returns. */
#ifndef SOTTO_ERR_H
#define SOTTO_ERR_H

enum sotto_err {
	SOTTO_OK              = 0,
	SOTTO_E_ALLOC         = -1,   /* out of memory */
	SOTTO_E_SHORT         = -2,   /* input ends before the field does */
	SOTTO_E_TOOLONG       = -3,   /* a length exceeds its bound */
	SOTTO_E_TRAILING      = -4,   /* bytes left after the last field */
	SOTTO_E_FORMAT        = -5,   /* a field holds a value it may not */
	SOTTO_E_VERSION       = -6,   /* frame ver != 1 */
	SOTTO_E_TYPE          = -7,   /* frame type not allowed */
	SOTTO_E_LEN           = -8,   /* frame len out of bounds */
	SOTTO_E_ROOM          = -9,   /* bad room prefix */
	SOTTO_E_CRYPTO        = -10,  /* libgcrypt refused an operation */
	SOTTO_E_SIG           = -11,  /* signature does not verify */
	SOTTO_E_DECRYPT       = -12,  /* AEAD tag or RSA-OAEP check failed */
	SOTTO_E_IO            = -13,  /* read/write/open failed; see errno */
	SOTTO_E_PERM          = -14,  /* private key file readable by others */
	SOTTO_E_UNSUPPORTED   = -15,  /* e.g. an unknown key cipher */
	SOTTO_E_KEYTYPE       = -16,  /* not an ssh-ed25519 key */
	SOTTO_E_BASE64        = -17,  /* invalid base64 */
	SOTTO_E_INVAL         = -18,  /* caller passed an invalid argument */
	SOTTO_E_NOTFOUND      = -19,
	SOTTO_E_EXISTS        = -20,
	SOTTO_E_NEEDPASS      = -21,  /* the key is passphrase-protected */
	SOTTO_E_BADPASS       = -22,  /* incorrect passphrase */
	SOTTO_E_AGENT         = -23,  /* ssh-agent refused or failed */
	SOTTO_E_AGAIN         = -24,  /* would block: try when ready */
	SOTTO_E_CANCELLED     = -25,  /* the user gave up (no passphrase) */
};

/* A static, one-line description of a sotto_err value. Never NULL. */
const char *sotto_strerror(int err);

#endif

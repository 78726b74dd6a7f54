/* SPDX-License-Identifier: ISC */
/* err.c: one-line descriptions of the sotto_err codes. */
#include "err.h"

const char *
sotto_strerror(int err)
{
	switch (err) {
	case SOTTO_OK:            return "success";
	case SOTTO_E_ALLOC:       return "out of memory";
	case SOTTO_E_SHORT:       return "input ends before the field does";
	case SOTTO_E_TOOLONG:     return "length exceeds its bound";
	case SOTTO_E_TRAILING:    return "unexpected bytes after the last field";
	case SOTTO_E_FORMAT:      return "field holds an invalid value";
	case SOTTO_E_VERSION:     return "unsupported frame version";
	case SOTTO_E_TYPE:        return "frame type not allowed";
	case SOTTO_E_LEN:         return "frame length out of bounds";
	case SOTTO_E_ROOM:        return "invalid room name";
	case SOTTO_E_CRYPTO:      return "cryptographic operation failed";
	case SOTTO_E_SIG:         return "signature does not verify";
	case SOTTO_E_DECRYPT:     return "decryption failed";
	case SOTTO_E_IO:          return "input/output error";
	case SOTTO_E_PERM:        return "private key file is accessible by others";
	case SOTTO_E_UNSUPPORTED: return "unsupported format or feature";
	case SOTTO_E_KEYTYPE:     return "not an ssh-ed25519 key";
	case SOTTO_E_BASE64:      return "invalid base64";
	case SOTTO_E_INVAL:       return "invalid argument";
	case SOTTO_E_NOTFOUND:    return "not found";
	case SOTTO_E_EXISTS:      return "already exists";
	case SOTTO_E_NEEDPASS:    return "a passphrase is needed";
	case SOTTO_E_BADPASS:     return "incorrect passphrase";
	case SOTTO_E_AGENT:       return "ssh-agent refused or failed";
	case SOTTO_E_AGAIN:       return "operation would block";
	case SOTTO_E_CANCELLED:   return "cancelled";
	}
	return "unknown error";
}

/* SPDX-License-Identifier: ISC */
/* bcrypt_pbkdf.h: OpenBSD's bcrypt-pbkdf, the KDF of passphrase-protected openssh-key-v1 files. */
#ifndef SOTTO_BCRYPT_PBKDF_H
#define SOTTO_BCRYPT_PBKDF_H

#include <stddef.h>
#include <stdint.h>

#define SOTTO_BCRYPT_HASH_LEN  32u
/* Bounds OpenBSD's implementation enforces (keys up to 32 * 32 bytes). */
#define SOTTO_BCRYPT_KEY_MAX   (SOTTO_BCRYPT_HASH_LEN * SOTTO_BCRYPT_HASH_LEN)
#define SOTTO_BCRYPT_SALT_MAX  (1u << 20)

/* Derive key_len bytes into key (caller's secure memory) from the
 * passphrase and salt with `rounds` rounds. Every intermediate lives in
 * secure memory and is wiped. SOTTO_E_INVAL for a zero length, zero
 * rounds or a length over the bounds above; SOTTO_E_ALLOC when the
 * secure pool is exhausted. Costs about rounds * 2 ms per 32 bytes. */
int sotto_bcrypt_pbkdf(const uint8_t *pass, size_t pass_len,
    const uint8_t *salt, size_t salt_len, uint8_t *key, size_t key_len,
    unsigned rounds);

#endif

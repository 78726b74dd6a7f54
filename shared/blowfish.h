/* SPDX-License-Identifier: ISC */
/* blowfish.h: Blowfish with the eksblowfish ("expensive") key schedule that bcrypt-pbkdf needs.
 *
 * libgcrypt has Blowfish, but only behind gcry_cipher_setkey's standard
 * key schedule; bcrypt needs to re-key the live state with salt and key
 * in turn (expandstate/expand0state), which its API does not expose.
 * The state derives from a passphrase: keep it in secure memory.
 */
#ifndef SOTTO_BLOWFISH_H
#define SOTTO_BLOWFISH_H

#include <stddef.h>
#include <stdint.h>

#define SOTTO_BLF_ROUNDS  16
#define SOTTO_BLF_MAXKEY  56u    /* bytes the standard schedule uses */

struct sotto_blowfish {
	uint32_t p[SOTTO_BLF_ROUNDS + 2];
	uint32_t s[4][256];
};

/* The initial state: pi's digits. */
void sotto_blf_initstate(struct sotto_blowfish *c);
/* Standard key schedule (initstate first); key 1..SOTTO_BLF_MAXKEY bytes
 * are used cyclically, as every Blowfish implementation does. */
void sotto_blf_key(struct sotto_blowfish *c, const uint8_t *key, size_t n);
/* eksblowfish: mix key into P, then re-encrypt P and S with data. n > 0. */
void sotto_blf_expandstate(struct sotto_blowfish *c, const uint8_t *data,
    size_t data_len, const uint8_t *key, size_t key_len);
/* The same with no data: the standard schedule on the current state. */
void sotto_blf_expand0state(struct sotto_blowfish *c, const uint8_t *key,
    size_t key_len);
/* Encrypt one 64-bit block held as two big-endian words. */
void sotto_blf_encipher(const struct sotto_blowfish *c, uint32_t *l, uint32_t *r);

#endif

/* SPDX-License-Identifier: ISC */
/* admit.h: --trusted: a connection joins a room only with a first INI
 * signed by a key in the folder, fresh, and never admitted before.
 *
 * The checks are the clients' own (shared/proto.c sotto_ini_accept for
 * v1 bodies, shared/proto2.c sotto_ini2_check/_finish for v2 ones, told
 * apart by the byte after the room prefix: member-INI layout, key in the
 * folder, Ed25519 signature over the labelled body, timestamp within
 * +-SOTTO_INI_WINDOW_MS of the relay's clock). On top, each admitted INI's nonce is remembered for twice that
 * window, so the same signed INI replayed on another connection admits
 * nobody: docs/relay.md "Admission".
 */
#ifndef SOTTO_RELAY_ADMIT_H
#define SOTTO_RELAY_ADMIT_H

#include <stddef.h>
#include <stdint.h>

struct admit;

/* Load the folder (the clients' loader and checks). max_nonces bounds the
 * replay cache. 0, or -1 with one line in err. */
int admit_new(struct admit **out, const char *dir, size_t max_nonces,
    char *err, size_t err_len);
void admit_free(struct admit *a);
/* Keys loaded. */
size_t admit_keys(const struct admit *a);
/* 0 when the INI body admits its sender (the nonce is then remembered);
 * -1 with why filled (names the key's fingerprint, never a body byte
 * beyond it). now_ms: the relay's wall clock. */
int admit_check(struct admit *a, const uint8_t *body, size_t len,
    uint64_t now_ms, char *why, size_t why_len);

#endif

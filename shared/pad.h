/* SPDX-License-Identifier: ISC */
/* pad.h: the plaintext inside every DAT: content type, length, body, random padding (wire-v1 §3.5). */
#ifndef SOTTO_PAD_H
#define SOTTO_PAD_H

#include <stddef.h>
#include <stdint.h>

/* Content types inside the encrypted payload (room for files, pictures, DMs). */
enum sotto_content {
	SOTTO_CT_TEXT = 1,
	/* 16..31: presence and UI content (docs/protocol.md "Content types"). */
	SOTTO_CT_ACTION     = 16,   /* /me: UTF-8 text */
	SOTTO_CT_AWAY       = 17,   /* away reason, empty = back */
	SOTTO_CT_QUIT       = 18,   /* quit message, the session's last line */
};

/* Layout: u8 content_type, u32 body_len, body, pad bytes (uniform 0..255
 * of them, random). PAD_HDR is the fixed part. */
#define SOTTO_PAD_HDR 5u

struct sotto_wbuf;
/* Append the padded plaintext to out (a secure wbuf). */
int sotto_pad(struct sotto_wbuf *out, uint8_t content_type, const void *body,
    size_t body_len);
/* Parse a padded plaintext; *body is borrowed from pt. */
int sotto_unpad(const uint8_t *pt, size_t n, uint8_t *content_type,
    const uint8_t **body, size_t *body_len);

#endif

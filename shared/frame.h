/* SPDX-License-Identifier: ISC */
/* frame.h: wire-v1 §1 stream frames: incremental decoder and encoder.
 *
 * The decoder takes bytes in any chunking and yields whole frames. It
 * validates the 14-byte header as soon as it is complete, before any body
 * arrives, so an oversized or bad frame is refused without buffering it;
 * a len outside 10..max is refused as soon as its four bytes are in.
 *
 * Memory: the decoder holds heap only while a partial frame is pending.
 * Call sotto_dec_next until it returns 0 (or an error): then a decoder
 * with no partial frame owns no memory at all, which keeps idle
 * connections cheap. Storage grows with the bytes actually received and,
 * for a single frame, never beyond that frame's size.
 */
#ifndef SOTTO_FRAME_H
#define SOTTO_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

struct sotto_frame_hdr {
	uint32_t len;    /* 10 + body length */
	uint8_t  ver;
	uint8_t  type;
	uint32_t from;
	uint32_t to;
};

/* A decoded frame. `body` is borrowed from the decoder and lives until the
 * next call to sotto_dec_next/feed/space or sotto_dec_free. `raw` is the whole
 * frame (len field included), handy for forwarding without re-encoding. */
struct sotto_frame {
	struct sotto_frame_hdr hdr;
	const uint8_t *body;
	size_t         body_len;
	const uint8_t *raw;
	size_t         raw_len;
};

/* What types a decoder accepts: a relay accepts 1..3 from clients; a client
 * also accepts LEFT. */
#define SOTTO_DEC_CLIENT_TYPES  0   /* INI, KEY, DAT */
#define SOTTO_DEC_ALL_TYPES     1   /* INI, KEY, DAT, LEFT */

struct sotto_dec {
	uint8_t *buf;       /* owned; grows on demand, freed when idle */
	size_t   len;       /* bytes held */
	size_t   cap;
	size_t   off;       /* start of the next undelivered frame */
	uint32_t max_len;   /* bound on hdr.len */
	int      types;
	int      err;       /* sticky: once a frame is bad the stream is dead */
};

/* max_len 0 means SOTTO_MAX_FRAME_DEFAULT. No allocation happens here. */
void sotto_dec_init(struct sotto_dec *d, uint32_t max_len, int types);
void sotto_dec_free(struct sotto_dec *d);
/* Append received bytes. Returns 0, SOTTO_E_ALLOC, or the sticky error of
 * a stream already found bad (nothing is buffered then). */
int sotto_dec_feed(struct sotto_dec *d, const void *p, size_t n);
/* Next whole frame: 1 and *f filled, 0 when more bytes are needed, or a
 * negative error (SOTTO_E_VERSION, SOTTO_E_TYPE, SOTTO_E_LEN) that sticks.
 * On the call that first reports a header error, f->hdr holds the
 * offending header so the caller can quote the bad value; later calls
 * return the same error with *f zeroed. */
int sotto_dec_next(struct sotto_dec *d, struct sotto_frame *f);
/* Space to read straight into (avoids a copy): ensures at least `want`
 * writable bytes, returns a pointer to them and sets *avail to how many
 * there are; then sotto_dec_commit(n) with n <= *avail. NULL (and *avail
 * 0) when out of memory or the stream is dead. */
uint8_t *sotto_dec_space(struct sotto_dec *d, size_t want, size_t *avail);
void sotto_dec_commit(struct sotto_dec *d, size_t n);
/* Bytes buffered but not yet delivered (for memory accounting). */
size_t sotto_dec_pending(const struct sotto_dec *d);

/* Validate a header alone (used by the decoder; exposed for tests). */
int sotto_frame_check_hdr(const struct sotto_frame_hdr *h, uint32_t max_len, int types);
/* Parse the 14 header bytes (no validation). */
void sotto_frame_parse_hdr(const uint8_t p[static SOTTO_FRAME_HDR], struct sotto_frame_hdr *h);
/* Write a whole frame into out (appended). */
struct sotto_wbuf;
int sotto_frame_encode(struct sotto_wbuf *out, uint8_t type, uint32_t from,
    uint32_t to, const void *body, size_t body_len);
/* Patch `from` (bytes 6..9) in an encoded frame. */
void sotto_frame_set_from(uint8_t *raw, uint32_t from);

/* INI room prefix: validates length 1..64, strict UTF-8, no NUL or control
 * chars (Unicode Cc: C0, DEL, C1). Other code points, format characters
 * and U+2028/2029 included, are accepted as wire-v1 requires no more.
 * On success *room points into body (not NUL-terminated) and *room_len is
 * set; *prefix_len = 1 + room_len. Returns 0 or SOTTO_E_ROOM. */
int sotto_room_parse(const uint8_t *body, size_t body_len,
    const uint8_t **room, size_t *room_len, size_t *prefix_len);
/* Validate a room name given as a C string (for flags): 0 or SOTTO_E_ROOM. */
int sotto_room_valid(const char *name);

#endif

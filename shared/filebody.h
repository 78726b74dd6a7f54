/* SPDX-License-Identifier: ISC */
/* filebody.h: the bodies of a file transfer inside a DAT (FOFFER, FCHUNK, FCTL of docs/protocol.md "Files"): build and parse.
 *
 * Pure functions, as dmbody.h: no I/O, no clock, no keys. Parsers go
 * through the bounds-checked reader (buf.h), clear their out-struct first
 * and return 0 or SOTTO_V_MALFORMED; pointers they hand out borrow from
 * the body.
 */
#ifndef SOTTO_FILEBODY_H
#define SOTTO_FILEBODY_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "wire-files.h"

/* --- FOFFER (content type 34) ------------------------------------------- */

struct sotto_foffer {
	const uint8_t *xfer_id;      /* [SOTTO_XFER_ID] */
	uint64_t       size;         /* file bytes */
	uint32_t       chunk_size;   /* SOTTO_FILE_CHUNK_MIN..SOTTO_FILE_CHUNK_MAX */
	const uint8_t *sha256;       /* [SOTTO_SHA256_LEN] */
	uint8_t        media;        /* the sender's claim (enum sotto_mediatype;
	                              * values above SOTTO_FILE_MEDIA_MAX are
	                              * kept as sent: the receiver maps them) */
	const uint8_t *name;         /* raw, untrusted: sanitise before use */
	size_t         name_len;     /* 0..SOTTO_FILE_NAME_WIRE_MAX */
};

/* Chunks a file of size bytes has at chunk size cs (0 for an empty file). */
uint64_t sotto_file_chunks(uint64_t size, uint32_t cs);
/* Append a manifest. SOTTO_E_TOOLONG for a name above the wire bound,
 * SOTTO_E_INVAL for a chunk size out of range or a file whose chunks
 * would not fit a u32 index. */
int sotto_foffer_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint64_t size,
    uint32_t chunk_size, const uint8_t sha256[static SOTTO_SHA256_LEN],
    uint8_t media, const uint8_t *name, size_t name_len);
/* Refuses a chunk size out of range, a name above the bound, a size
 * whose chunk count does not fit a u32 index, and trailing bytes. */
int sotto_foffer_parse(const uint8_t *body, size_t len, struct sotto_foffer *o);

/* --- FCHUNK (content type 35) ------------------------------------------- */

struct sotto_fchunk {
	const uint8_t *xfer_id;      /* [SOTTO_XFER_ID] */
	uint32_t       index;
	const uint8_t *data;
	size_t         len;          /* 1..SOTTO_FILE_CHUNK_MAX */
};

int sotto_fchunk_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint32_t index,
    const void *data, size_t len);
/* The data is whatever follows the header: 1..SOTTO_FILE_CHUNK_MAX bytes
 * (a file of 0 bytes has no chunk). Whether it is the length the manifest
 * promises for that index is the receiver's check. */
int sotto_fchunk_parse(const uint8_t *body, size_t len, struct sotto_fchunk *c);

/* --- FCTL (content type 36) --------------------------------------------- */

enum sotto_fctl_op {
	SOTTO_FCTL_ACCEPT = 1,       /* receiver: send from index on */
	SOTTO_FCTL_CANCEL = 2,       /* either side: stop */
	SOTTO_FCTL_DONE   = 3,       /* receiver: verified and published */
	SOTTO_FCTL_FAIL   = 4,       /* receiver: gave up (reason) */
};
#define SOTTO_FCTL_OP_MAX      4u

enum sotto_fctl_reason {
	SOTTO_FR_NONE       = 0,
	SOTTO_FR_USER       = 1,     /* /cancel */
	SOTTO_FR_TOO_LARGE  = 2,     /* above the receiver's --max-file */
	SOTTO_FR_DISK       = 3,     /* a write failed (ENOSPC, EFBIG, ...) */
	SOTTO_FR_TIMEOUT    = 4,     /* the resume window ended */
	SOTTO_FR_HASH       = 5,     /* the SHA-256 did not match */
	SOTTO_FR_LOST       = 6,     /* too many lost chunks */
	SOTTO_FR_BUSY       = 7,     /* too many transfers or offers at once */
};

struct sotto_fctl {
	const uint8_t *xfer_id;      /* [SOTTO_XFER_ID] */
	uint8_t        op;           /* 1..SOTTO_FCTL_OP_MAX */
	uint32_t       index;
	uint8_t        reason;       /* any value: unknown ones read "other" */
};

int sotto_fctl_build(struct sotto_wbuf *out,
    const uint8_t xfer_id[static SOTTO_XFER_ID], uint8_t op, uint32_t index,
    uint8_t reason);
/* Refuses an op outside 1..SOTTO_FCTL_OP_MAX and any other length. */
int sotto_fctl_parse(const uint8_t *body, size_t len, struct sotto_fctl *c);

#endif

/* SPDX-License-Identifier: ISC */
/* buf.h: the one bounds-checked reader and growable writer for all wire bytes.
 *
 * Modelled on OpenSSH's sshbuf: every get checks the remaining length before
 * it copies (no addition that can overflow), clears its out-parameter first,
 * and returns 0 or a negative sotto_err; a failed get does not move the
 * reader. Callers chain them:
 *
 *   if ((r = sotto_rd_u8(&rd, &v)) != 0 || (r = sotto_rd_u32(&rd, &id)) != 0)
 *           return r;
 *
 * Ownership: a sotto_rd borrows the bytes it reads; pointers it hands out
 * (sotto_rd_ptr) point into that memory and live as long as it does.
 * A sotto_wbuf owns its storage; sotto_wbuf_free releases it (wiping it
 * first when created with sotto_wbuf_init_secure) and leaves it empty and
 * usable again. The queued bytes are always b->p[0 .. b->len); after
 * sotto_wbuf_reserve(b, n) the caller may write up to n bytes at
 * b->p + b->len and then add what it wrote to b->len. Any call that can
 * grow or consume the buffer may move b->p.
 */
#ifndef SOTTO_BUF_H
#define SOTTO_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sotto_rd {
	const uint8_t *p;    /* borrowed */
	size_t         len;  /* bytes left */
};

void sotto_rd_init(struct sotto_rd *rd, const void *p, size_t len);
size_t sotto_rd_left(const struct sotto_rd *rd);
int sotto_rd_u8(struct sotto_rd *rd, uint8_t *v);
int sotto_rd_u16(struct sotto_rd *rd, uint16_t *v);
int sotto_rd_u32(struct sotto_rd *rd, uint32_t *v);
int sotto_rd_u64(struct sotto_rd *rd, uint64_t *v);
/* Copy exactly n bytes into out. */
int sotto_rd_bytes(struct sotto_rd *rd, void *out, size_t n);
/* Borrow n bytes: *p points into the reader's memory. */
int sotto_rd_ptr(struct sotto_rd *rd, const uint8_t **p, size_t n);
int sotto_rd_skip(struct sotto_rd *rd, size_t n);
/* u32 length then that many bytes, borrowed; length must be <= max. */
int sotto_rd_string32(struct sotto_rd *rd, const uint8_t **p, size_t *n, size_t max);
/* u16 length then bytes, borrowed; length must be <= max. */
int sotto_rd_string16(struct sotto_rd *rd, const uint8_t **p, size_t *n, size_t max);
/* Fails with SOTTO_E_TRAILING unless every byte was consumed. */
int sotto_rd_end(const struct sotto_rd *rd);

struct sotto_wbuf {
	uint8_t *p;
	size_t   len;
	size_t   cap;     /* storage size, counted from p - off */
	size_t   max;     /* hard bound on len; 0 means SIZE_MAX/2 */
	int      secure;  /* storage from gcry_malloc_secure, wiped on free */
	size_t   off;     /* consumed bytes before p: storage starts at p - off */
};

void sotto_wbuf_init(struct sotto_wbuf *b, size_t max);
void sotto_wbuf_init_secure(struct sotto_wbuf *b, size_t max);
void sotto_wbuf_free(struct sotto_wbuf *b);
void sotto_wbuf_reset(struct sotto_wbuf *b);         /* len = 0, keeps storage */
int sotto_wbuf_reserve(struct sotto_wbuf *b, size_t n); /* room for n more */
int sotto_wbuf_put(struct sotto_wbuf *b, const void *p, size_t n);
int sotto_wbuf_u8(struct sotto_wbuf *b, uint8_t v);
int sotto_wbuf_u16(struct sotto_wbuf *b, uint16_t v);
int sotto_wbuf_u32(struct sotto_wbuf *b, uint32_t v);
int sotto_wbuf_u64(struct sotto_wbuf *b, uint64_t v);
int sotto_wbuf_string32(struct sotto_wbuf *b, const void *p, size_t n);
int sotto_wbuf_string16(struct sotto_wbuf *b, const void *p, size_t n);
/* Drop the first n bytes (consumed output); O(1), the space is reclaimed
 * by a later reserve. n larger than len empties the buffer. */
void sotto_wbuf_consume(struct sotto_wbuf *b, size_t n);

/* Big-endian helpers on caller-checked fixed buffers (no untrusted lengths). */
static inline uint32_t sotto_load_be32(const uint8_t p[static 4])
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void sotto_store_be32(uint8_t p[static 4], uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

/* Constant-time comparison: 0 when equal. */
int sotto_ct_memcmp(const void *a, const void *b, size_t n);
/* Wipe memory in a way the compiler may not drop. */
void sotto_wipe(void *p, size_t n);

#endif

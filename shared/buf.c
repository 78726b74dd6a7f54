/* SPDX-License-Identifier: ISC */
/* buf.c: the bounds-checked reader and the growable (optionally secure) writer. */
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/* --- Reader --------------------------------------------------------------- */

void
sotto_rd_init(struct sotto_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = p != NULL ? len : 0;
}

size_t
sotto_rd_left(const struct sotto_rd *rd)
{
	return rd->len;
}

/* The one place the reader moves: everything else goes through here. */
static int
rd_take(struct sotto_rd *rd, const uint8_t **p, size_t n)
{
	*p = NULL;
	if (n > rd->len)
		return SOTTO_E_SHORT;
	*p = rd->p;
	if (n > 0) {
		rd->p += n;
		rd->len -= n;
	}
	return 0;
}

int
sotto_rd_u8(struct sotto_rd *rd, uint8_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = rd_take(rd, &p, 1)) != 0)
		return r;
	*v = p[0];
	return 0;
}

int
sotto_rd_u16(struct sotto_rd *rd, uint16_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = rd_take(rd, &p, 2)) != 0)
		return r;
	*v = (uint16_t)((p[0] << 8) | p[1]);
	return 0;
}

int
sotto_rd_u32(struct sotto_rd *rd, uint32_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = rd_take(rd, &p, 4)) != 0)
		return r;
	*v = sotto_load_be32(p);
	return 0;
}

int
sotto_rd_u64(struct sotto_rd *rd, uint64_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = rd_take(rd, &p, 8)) != 0)
		return r;
	*v = ((uint64_t)sotto_load_be32(p) << 32) | sotto_load_be32(p + 4);
	return 0;
}

int
sotto_rd_bytes(struct sotto_rd *rd, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if (n > 0)
		memset(out, 0, n);
	if ((r = rd_take(rd, &p, n)) != 0)
		return r;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
sotto_rd_ptr(struct sotto_rd *rd, const uint8_t **p, size_t n)
{
	return rd_take(rd, p, n);
}

int
sotto_rd_skip(struct sotto_rd *rd, size_t n)
{
	const uint8_t *p;

	return rd_take(rd, &p, n);
}

/* Length-prefixed strings: work on a copy so a failure leaves rd alone. */
int
sotto_rd_string32(struct sotto_rd *rd, const uint8_t **p, size_t *n, size_t max)
{
	struct sotto_rd t = *rd;
	uint32_t len;
	int r;

	*p = NULL;
	*n = 0;
	if ((r = sotto_rd_u32(&t, &len)) != 0)
		return r;
	if (len > max)
		return SOTTO_E_TOOLONG;
	if ((r = rd_take(&t, p, len)) != 0)
		return r;
	*n = len;
	*rd = t;
	return 0;
}

int
sotto_rd_string16(struct sotto_rd *rd, const uint8_t **p, size_t *n, size_t max)
{
	struct sotto_rd t = *rd;
	uint16_t len;
	int r;

	*p = NULL;
	*n = 0;
	if ((r = sotto_rd_u16(&t, &len)) != 0)
		return r;
	if (len > max)
		return SOTTO_E_TOOLONG;
	if ((r = rd_take(&t, p, len)) != 0)
		return r;
	*n = len;
	*rd = t;
	return 0;
}

int
sotto_rd_end(const struct sotto_rd *rd)
{
	return rd->len == 0 ? 0 : SOTTO_E_TRAILING;
}

/* --- Writer --------------------------------------------------------------- */

#define WBUF_MIN_CAP 64u

static size_t
wbuf_max(const struct sotto_wbuf *b)
{
	return b->max != 0 && b->max < SIZE_MAX / 2 ? b->max : SIZE_MAX / 2;
}

static uint8_t *
wbuf_base(const struct sotto_wbuf *b)
{
	return b->p != NULL ? b->p - b->off : NULL;
}

static void
wbuf_setup(struct sotto_wbuf *b, size_t max, int secure)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->secure = secure;
}

void
sotto_wbuf_init(struct sotto_wbuf *b, size_t max)
{
	wbuf_setup(b, max, 0);
}

void
sotto_wbuf_init_secure(struct sotto_wbuf *b, size_t max)
{
	wbuf_setup(b, max, 1);
}

static void
storage_free(uint8_t *base, size_t cap, int secure)
{
	if (base == NULL)
		return;
	if (secure) {
		/* gcry_free wipes too, but the promise is ours to keep. */
		sotto_wipe(base, cap);
		gcry_free(base);
	} else {
		free(base);
	}
}

void
sotto_wbuf_free(struct sotto_wbuf *b)
{
	storage_free(wbuf_base(b), b->cap, b->secure);
	wbuf_setup(b, b->max, b->secure);
}

void
sotto_wbuf_reset(struct sotto_wbuf *b)
{
	if (b->p == NULL)
		return;
	if (b->secure)
		sotto_wipe(b->p, b->len);
	b->p = wbuf_base(b);
	b->off = 0;
	b->len = 0;
}

/* Move the queued bytes to the front of the storage. */
static void
wbuf_compact(struct sotto_wbuf *b)
{
	uint8_t *base = wbuf_base(b);

	if (b->off == 0)
		return;
	memmove(base, b->p, b->len);
	if (b->secure)
		sotto_wipe(base + b->len, b->off);
	b->p = base;
	b->off = 0;
}

/* Double up to the bound; need <= wbuf_max(b) is the caller's promise. */
static size_t
wbuf_new_cap(const struct sotto_wbuf *b, size_t need)
{
	size_t max = wbuf_max(b), cap = b->cap < WBUF_MIN_CAP ? WBUF_MIN_CAP : b->cap;

	while (cap < need && cap <= max / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	return cap < max ? cap : max;
}

static int
wbuf_grow(struct sotto_wbuf *b, size_t need)
{
	size_t cap = wbuf_new_cap(b, need);
	uint8_t *p = b->secure ? gcry_malloc_secure(cap) : malloc(cap);

	if (p == NULL)
		return SOTTO_E_ALLOC;
	if (b->len > 0)
		memcpy(p, b->p, b->len);
	storage_free(wbuf_base(b), b->cap, b->secure);
	b->p = p;
	b->off = 0;
	b->cap = cap;
	return 0;
}

int
sotto_wbuf_reserve(struct sotto_wbuf *b, size_t n)
{
	size_t need;

	if (n > wbuf_max(b) - b->len)
		return SOTTO_E_TOOLONG;
	need = b->len + n;
	if (need <= b->cap - b->off)
		return 0;
	/* Compacting costs len bytes of copying; it is paid for by the off
	 * bytes already consumed, so only do it when off >= len or when the
	 * storage may not grow any further. */
	if (need <= b->cap && (b->off >= b->len || b->cap >= wbuf_max(b))) {
		wbuf_compact(b);
		return 0;
	}
	return wbuf_grow(b, need);
}

int
sotto_wbuf_put(struct sotto_wbuf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = sotto_wbuf_reserve(b, n)) != 0)
		return r;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
sotto_wbuf_u8(struct sotto_wbuf *b, uint8_t v)
{
	return sotto_wbuf_put(b, &v, 1);
}

int
sotto_wbuf_u16(struct sotto_wbuf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return sotto_wbuf_put(b, p, sizeof(p));
}

int
sotto_wbuf_u32(struct sotto_wbuf *b, uint32_t v)
{
	uint8_t p[4];

	sotto_store_be32(p, v);
	return sotto_wbuf_put(b, p, sizeof(p));
}

int
sotto_wbuf_u64(struct sotto_wbuf *b, uint64_t v)
{
	uint8_t p[8];

	sotto_store_be32(p, (uint32_t)(v >> 32));
	sotto_store_be32(p + 4, (uint32_t)v);
	return sotto_wbuf_put(b, p, sizeof(p));
}

/* Length-prefixed strings: reserve the whole field first so a failure
 * writes nothing. */
int
sotto_wbuf_string32(struct sotto_wbuf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX || n > SIZE_MAX - 4)
		return SOTTO_E_TOOLONG;
	if ((r = sotto_wbuf_reserve(b, 4 + n)) != 0 ||
	    (r = sotto_wbuf_u32(b, (uint32_t)n)) != 0 ||
	    (r = sotto_wbuf_put(b, p, n)) != 0)
		return r;
	return 0;
}

int
sotto_wbuf_string16(struct sotto_wbuf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT16_MAX)
		return SOTTO_E_TOOLONG;
	if ((r = sotto_wbuf_reserve(b, 2 + n)) != 0 ||
	    (r = sotto_wbuf_u16(b, (uint16_t)n)) != 0 ||
	    (r = sotto_wbuf_put(b, p, n)) != 0)
		return r;
	return 0;
}

void
sotto_wbuf_consume(struct sotto_wbuf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	if (n == 0)
		return;
	if (n == b->len) {
		sotto_wbuf_reset(b);    /* wipes, and starts again at the front */
		return;
	}
	if (b->secure)
		sotto_wipe(b->p, n);
	b->p += n;
	b->off += n;
	b->len -= n;
}

/* --- Memory helpers ------------------------------------------------------- */

int
sotto_ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	/* 1 when any byte differed, without a data-dependent branch. */
	return (int)((acc + 0xffu) >> 8);
}

void
sotto_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

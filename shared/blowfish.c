/* SPDX-License-Identifier: ISC */
/* blowfish.c: Blowfish block function and the standard and eksblowfish key schedules. */
#include <string.h>

#include "blowfish.h"
#include "blowfish_pi.h"

static inline uint32_t
blf_f(const struct sotto_blowfish *c, uint32_t x)
{
	return ((c->s[0][x >> 24] + c->s[1][(x >> 16) & 0xff]) ^
	    c->s[2][(x >> 8) & 0xff]) + c->s[3][x & 0xff];
}

void
sotto_blf_encipher(const struct sotto_blowfish *c, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl, r = *xr, t;
	int i;

	for (i = 0; i < SOTTO_BLF_ROUNDS; i++) {
		l ^= c->p[i];
		r ^= blf_f(c, l);
		t = l, l = r, r = t;
	}
	t = l, l = r, r = t;
	r ^= c->p[SOTTO_BLF_ROUNDS];
	l ^= c->p[SOTTO_BLF_ROUNDS + 1];
	*xl = l;
	*xr = r;
}

void
sotto_blf_initstate(struct sotto_blowfish *c)
{
	memcpy(c->p, blowfish_p_init, sizeof(c->p));
	memcpy(c->s, blowfish_s_init, sizeof(c->s));
}

/* The next 4 bytes of data as a big-endian word, wrapping around. */
static uint32_t
stream2word(const uint8_t *data, size_t n, size_t *at)
{
	uint32_t w = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (*at >= n)
			*at = 0;
		w = (w << 8) | data[(*at)++];
	}
	return w;
}

static void
mix_key(struct sotto_blowfish *c, const uint8_t *key, size_t key_len)
{
	size_t at = 0;
	int i;

	for (i = 0; i < SOTTO_BLF_ROUNDS + 2; i++)
		c->p[i] ^= stream2word(key, key_len, &at);
}

/* Re-encrypt P and then S in place, feeding data (when given) into each
 * block first: data == NULL is the standard schedule. */
static void
rekey(struct sotto_blowfish *c, const uint8_t *data, size_t data_len)
{
	uint32_t l = 0, r = 0;
	size_t at = 0;
	int i, k;

	for (i = 0; i < SOTTO_BLF_ROUNDS + 2; i += 2) {
		if (data != NULL) {
			l ^= stream2word(data, data_len, &at);
			r ^= stream2word(data, data_len, &at);
		}
		sotto_blf_encipher(c, &l, &r);
		c->p[i] = l;
		c->p[i + 1] = r;
	}
	for (i = 0; i < 4; i++)
		for (k = 0; k < 256; k += 2) {
			if (data != NULL) {
				l ^= stream2word(data, data_len, &at);
				r ^= stream2word(data, data_len, &at);
			}
			sotto_blf_encipher(c, &l, &r);
			c->s[i][k] = l;
			c->s[i][k + 1] = r;
		}
}

void
sotto_blf_expandstate(struct sotto_blowfish *c, const uint8_t *data,
    size_t data_len, const uint8_t *key, size_t key_len)
{
	mix_key(c, key, key_len);
	rekey(c, data, data_len);
}

void
sotto_blf_expand0state(struct sotto_blowfish *c, const uint8_t *key,
    size_t key_len)
{
	mix_key(c, key, key_len);
	rekey(c, NULL, 0);
}

void
sotto_blf_key(struct sotto_blowfish *c, const uint8_t *key, size_t n)
{
	sotto_blf_initstate(c);
	sotto_blf_expand0state(c, key, n > SOTTO_BLF_MAXKEY ? SOTTO_BLF_MAXKEY : n);
}

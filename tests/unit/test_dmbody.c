/* SPDX-License-Identifier: ISC */
/* test_dmbody.c: direct-message bodies (shared/dmbody.c): the pairwise key wraps to one session and is bound to its sender, a DM opens only under its key and its outer DAT, malformed bodies are refused by the reader. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "pad.h"
#include "proto.h"

static struct sotto_rsa *rsa;
static uint8_t rsa_n[SOTTO_RSA_MOD];
static uint8_t a_fpr[32], a_pub[32], a_sess[32], b_fpr[32], b_sess[32], m_fpr[32];

static struct sotto_dm_outer
outer(void)
{
	return (struct sotto_dm_outer){ (const uint8_t *)"lobby", 5, a_pub, a_sess,
	    3, 41, 1700000000123ull };
}

static void
build_dmkey(struct sotto_wbuf *b, const uint8_t key[32], uint32_t epoch)
{
	sotto_wbuf_reset(b);
	CHECK_EQ(sotto_dmkey_build(b, key, epoch, a_fpr, a_sess, b_fpr, b_sess, rsa_n), 0);
	CHECK_EQ(b->len, SOTTO_DMKEY_LEN);
}

/* Opens the DMKEY in b as bob, for sender fpr and outer o. */
static int
open_dmkey(const struct sotto_wbuf *b, const uint8_t *fpr,
    const struct sotto_dm_outer *o, uint8_t *key)
{
	struct sotto_dmkey k;
	int r;

	if ((r = sotto_dmkey_parse(b->p, b->len, &k)) != 0)
		return r;
	return sotto_dmkey_open(&k, rsa, fpr, o, key);
}

static void
test_dmkey(void)
{
	struct sotto_dm_outer o = outer(), o2;
	uint8_t key[32], *got = sotto_secure_alloc(32), id[8], id2[8];
	struct sotto_dmkey k;
	struct sotto_wbuf b;

	sotto_random(key, sizeof(key));
	sotto_wbuf_init(&b, 0);
	build_dmkey(&b, key, 3);
	CHECK_EQ(sotto_dmkey_parse(b.p, b.len, &k), 0);
	CHECK_MEM(k.to_fpr, b_fpr, 32);
	CHECK_MEM(k.to_session, b_sess, 32);
	CHECK_EQ(k.epoch, 3);
	CHECK_EQ(sotto_dm_key_id(key, id), 0);
	CHECK_MEM(k.key_id, id, 8);
	CHECK_EQ(open_dmkey(&b, a_fpr, &o, got), 0);
	CHECK_MEM(got, key, 32);
	CHECK(sotto_crypto_is_secure(got));
	/* key_id names the key and nothing else. */
	key[0] ^= 1;
	CHECK_EQ(sotto_dm_key_id(key, id2), 0);
	CHECK(memcmp(id, id2, 8) != 0);
	key[0] ^= 1;

	/* Misbinding: M re-sends A's wrap as its own: not bound to M. */
	CHECK_EQ(open_dmkey(&b, m_fpr, &o, got), SOTTO_V_DECRYPT);
	CHECK_MEM(got, (uint8_t[32]){ 0 }, 32);
	/* Another session of A, another outer epoch: refused. */
	o2 = o;
	o2.session = b_sess;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o2, got), SOTTO_V_DECRYPT);
	o2 = o;
	o2.epoch = 4;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o2, got), SOTTO_V_DECRYPT);
	/* The signed epoch differs from the wrapped one. */
	b.p[67] ^= 1;
	o2 = o;
	o2.epoch = 2;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o2, got), SOTTO_V_DECRYPT);
	b.p[67] ^= 1;
	/* A key id that is not the key's. */
	b.p[68] ^= 1;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o, got), SOTTO_V_DECRYPT);
	b.p[68] ^= 1;
	/* A flipped wrap. */
	b.p[b.len - 1] ^= 1;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o, got), SOTTO_V_DECRYPT);
	b.p[b.len - 1] ^= 1;
	CHECK_EQ(open_dmkey(&b, a_fpr, &o, got), 0);

	/* Layout: one byte short or long, a wrapped_len other than 512. */
	CHECK_EQ(sotto_dmkey_parse(b.p, b.len - 1, &k), SOTTO_V_MALFORMED);
	CHECK(k.to_fpr == NULL);
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
	CHECK_EQ(sotto_dmkey_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	b.len--;
	b.p[77] ^= 1;
	CHECK_EQ(sotto_dmkey_parse(b.p, b.len, &k), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
	sotto_secure_free(got, 32);
}

static int
open_dm(const struct sotto_wbuf *b, const uint8_t key[32],
    const struct sotto_dm_outer *o, char *text, size_t cap)
{
	struct sotto_wbuf pt;
	const uint8_t *body;
	struct sotto_dm d;
	uint8_t type;
	size_t n;
	int r;

	sotto_wbuf_init_secure(&pt, SOTTO_DM_INNER_MAX);
	if ((r = sotto_dm_parse(b->p, b->len, &d)) == 0 &&
	    (r = sotto_dm_open(&d, key, o, &pt, &type, &body, &n)) == 0) {
		CHECK(sotto_crypto_is_secure(pt.p));
		CHECK_EQ(type, SOTTO_CT_TEXT);
		CHECK(n < cap);
		memcpy(text, body, n);
		text[n] = '\0';
	}
	sotto_wbuf_free(&pt);
	return r;
}

static void
test_dm(void)
{
	struct sotto_dm_outer o = outer(), o2;
	uint8_t key[32], other[32];
	static char big[SOTTO_DM_TEXT_MAX + 2], text[SOTTO_DM_TEXT_MAX + 1];
	struct sotto_wbuf b;
	struct sotto_dm d;
	size_t lens[8], k;

	sotto_random(key, sizeof(key));
	sotto_random(other, sizeof(other));
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_dm_seal(&b, key, &o, b_fpr, b_sess, SOTTO_CT_TEXT, "psst", 4), 0);
	CHECK_EQ(sotto_dm_parse(b.p, b.len, &d), 0);
	CHECK_MEM(d.to_fpr, b_fpr, 32);
	CHECK_MEM(d.to_session, b_sess, 32);
	CHECK_EQ(open_dm(&b, key, &o, text, sizeof(text)), 0);
	CHECK_STR(text, "psst");
	/* Not under another key (the group key, say), nor another outer DAT. */
	CHECK_EQ(open_dm(&b, other, &o, text, sizeof(text)), SOTTO_V_DECRYPT);
	o2 = o;
	o2.counter++;
	CHECK_EQ(open_dm(&b, key, &o2, text, sizeof(text)), SOTTO_V_DECRYPT);
	o2 = o;
	o2.ts_ms++;
	CHECK_EQ(open_dm(&b, key, &o2, text, sizeof(text)), SOTTO_V_DECRYPT);
	o2 = o;
	o2.room = (const uint8_t *)"lobbz";
	CHECK_EQ(open_dm(&b, key, &o2, text, sizeof(text)), SOTTO_V_DECRYPT);
	o2 = o;
	o2.session = b_sess;
	CHECK_EQ(open_dm(&b, key, &o2, text, sizeof(text)), SOTTO_V_DECRYPT);
	/* The recipient in the header is sealed too. */
	b.p[40] ^= 1;
	CHECK_EQ(open_dm(&b, key, &o, text, sizeof(text)), SOTTO_V_DECRYPT);
	b.p[40] ^= 1;
	b.p[b.len - 20] ^= 1;
	CHECK_EQ(open_dm(&b, key, &o, text, sizeof(text)), SOTTO_V_DECRYPT);
	b.p[b.len - 20] ^= 1;

	/* The inner pad hides the length: sizes vary for one text. */
	for (k = 0; k < 8; k++) {
		sotto_wbuf_reset(&b);
		CHECK_EQ(sotto_dm_seal(&b, key, &o, b_fpr, b_sess, SOTTO_CT_TEXT, "x", 1), 0);
		lens[k] = b.len;
	}
	for (k = 1; k < 8 && lens[k] == lens[0]; k++)
		;
	CHECK(k < 8);

	/* The largest text fits a v1 DAT; one more byte is refused. */
	memset(big, 'a', sizeof(big));
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_dm_seal(&b, key, &o, b_fpr, b_sess, SOTTO_CT_TEXT, big,
	    SOTTO_DM_TEXT_MAX), 0);
	CHECK(b.len <= SOTTO_TEXT_MAX);
	CHECK_EQ(open_dm(&b, key, &o, text, sizeof(text)), 0);
	CHECK_EQ(strlen(text), SOTTO_DM_TEXT_MAX);
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_dm_seal(&b, key, &o, b_fpr, b_sess, SOTTO_CT_TEXT, big,
	    SOTTO_DM_TEXT_MAX + 1), SOTTO_E_TOOLONG);
	CHECK_EQ(b.len, 0);

	/* Layout: ct_len beyond the body, beyond the bound, too short. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_dm_seal(&b, key, &o, b_fpr, b_sess, SOTTO_CT_TEXT, "hi", 2), 0);
	CHECK_EQ(sotto_dm_parse(b.p, b.len - 1, &d), SOTTO_V_MALFORMED);
	CHECK(d.ct == NULL);
	sotto_store_be32(b.p + 72, 0xffffffffu);
	CHECK_EQ(sotto_dm_parse(b.p, b.len, &d), SOTTO_V_MALFORMED);
	sotto_store_be32(b.p + 72, 4);
	CHECK_EQ(sotto_dm_parse(b.p, SOTTO_DM_HDR + 4 + SOTTO_GCM_TAG, &d),
	    SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
}

static void
test_dmnokey(void)
{
	struct sotto_dmnokey nk;
	struct sotto_wbuf b;
	uint8_t id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_dmnokey_build(&b, id, 0x0102030405060708ull), 0);
	CHECK_EQ(b.len, SOTTO_DMNOKEY_LEN);
	CHECK_EQ(sotto_dmnokey_parse(b.p, b.len, &nk), 0);
	CHECK_MEM(nk.key_id, id, 8);
	CHECK_EQ(nk.counter, 0x0102030405060708ull);
	CHECK_EQ(sotto_dmnokey_parse(b.p, b.len - 1, &nk), SOTTO_V_MALFORMED);
	CHECK(nk.key_id == NULL && nk.counter == 0);
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
	CHECK_EQ(sotto_dmnokey_parse(b.p, b.len, &nk), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
}

int
main(void)
{
	CHECK_EQ(sotto_crypto_init(), 0);
	CHECK_EQ(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS), 0);
	CHECK_EQ(sotto_rsa_modulus(rsa, rsa_n, sizeof(rsa_n)), 0);
	sotto_random(a_fpr, 32);
	sotto_random(a_pub, 32);
	sotto_random(a_sess, 32);
	sotto_random(b_fpr, 32);
	sotto_random(b_sess, 32);
	sotto_random(m_fpr, 32);
	test_dmkey();
	test_dm();
	test_dmnokey();
	sotto_rsa_free(rsa);
	return check_summary();
}

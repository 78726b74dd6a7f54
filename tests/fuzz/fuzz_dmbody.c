/* SPDX-License-Identifier: ISC */
/* fuzz_dmbody.c: DMKEY, DM and DMNOKEY bodies (shared/dmbody.c) from anyone: the first byte picks the parser; a body that parses is exactly its fields, one that does not leaves them cleared, and opening it never succeeds under keys it was not made with. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "dmbody.h"
#include "proto.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zero32[32];
static const struct sotto_dm_outer outer = { (const uint8_t *)"lobby", 5,
    zero32, zero32, 1, 7, 1700000000000ull };

static void
dmkey(const uint8_t *p, size_t n)
{
	static struct sotto_rsa *rsa;
	struct sotto_dmkey k;
	uint8_t *key;

	if (sotto_dmkey_parse(p, n, &k) != 0) {
		REQUIRE(k.to_fpr == NULL && k.wrapped == NULL);
		return;
	}
	REQUIRE(n == SOTTO_DMKEY_LEN && k.to_fpr == p && k.wrapped == p + n - SOTTO_RSA_MOD);
	if (rsa == NULL)
		REQUIRE(sotto_rsa_generate(&rsa, SOTTO_RSA_BITS) == 0);
	REQUIRE((key = sotto_secure_alloc(SOTTO_DM_KEY)) != NULL);
	/* Random bytes are no wrap to this key: never a key out of them. */
	REQUIRE(sotto_dmkey_open(&k, rsa, zero32, &outer, key) == SOTTO_V_DECRYPT);
	REQUIRE(memcmp(key, zero32, SOTTO_DM_KEY) == 0);
	sotto_secure_free(key, SOTTO_DM_KEY);
}

static void
dm(const uint8_t *p, size_t n)
{
	static const uint8_t key[SOTTO_DM_KEY] = { 1 };
	struct sotto_wbuf pt;
	struct sotto_dm d;
	const uint8_t *body;
	uint8_t type;
	size_t len;

	if (sotto_dm_parse(p, n, &d) != 0) {
		REQUIRE(d.ct == NULL && d.tag == NULL && d.ct_len == 0);
		return;
	}
	REQUIRE(d.ct_len <= SOTTO_DM_INNER_MAX);
	REQUIRE(n == SOTTO_DM_HDR + d.ct_len + SOTTO_GCM_TAG);
	REQUIRE(d.hdr == p && d.tag == p + n - SOTTO_GCM_TAG);
	sotto_wbuf_init_secure(&pt, SOTTO_DM_INNER_MAX);
	REQUIRE(sotto_dm_open(&d, key, &outer, &pt, &type, &body, &len) == SOTTO_V_DECRYPT);
	REQUIRE(type == 0 && body == NULL && len == 0);
	sotto_wbuf_free(&pt);
}

static void
dmnokey(const uint8_t *p, size_t n)
{
	struct sotto_dmnokey nk;
	struct sotto_wbuf b;

	if (sotto_dmnokey_parse(p, n, &nk) != 0) {
		REQUIRE(nk.key_id == NULL && nk.counter == 0);
		return;
	}
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_dmnokey_build(&b, nk.key_id, nk.counter) == 0);
	REQUIRE(b.len == n && memcmp(b.p, p, n) == 0);
	sotto_wbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		REQUIRE(sotto_crypto_init() == 0);
		init = 1;
	}
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: dmkey(data + 1, size - 1); break;
	case 1: dm(data + 1, size - 1); break;
	case 2: dmnokey(data + 1, size - 1); break;
	}
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* fuzz_dat.c: DAT bodies: parse, trust, signature, epoch/replay/stale decision, AES-GCM open, unpad.
 *
 * Input: byte 0 picks what the rest is (byte 0 % 5):
 *   0  a DAT body, taken as it comes, through the receive path the client
 *      runs (parse -> trusted -> signature -> check -> open);
 *   1  bytes 1-4 = receiver state (highest, floor, min-ts choice, epoch
 *      choice), then a DAT body that, once it parses, gets the trusted
 *      identity and is re-signed: the epoch/replay/stale verdict must be
 *      the documented one (model below); past it, fuzzed ciphertext must
 *      fail authentication (decrypt-failed) unless it is a real seed;
 *   2  bytes 1-9 = counter, time, receiver state, one byte XOR and its
 *      offset, epochs; then message text: the text is sealed for real
 *      (sotto_dat_seal), the XOR applied to one byte between the identity
 *      key and the signature, the body re-signed, and received: unchanged,
 *      it must open to exactly the text (or the model's verdict); changed,
 *      it must never open, since the AEAD binds session, epoch, counter,
 *      time and ciphertext (and ct_len, by the parse);
 *   3  a padded plaintext for sotto_unpad, against a model of the layout;
 *   4  byte 1 = counter, then any plaintext, sealed and signed by the
 *      trusted sender: it must open exactly when well padded, else be
 *      malformed (the path no mutation of a real DAT reaches).
 */
#include "proto_ctx.h"
#include "pad.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Offsets in a DAT body (docs/protocol.md). */
#define OFF_EPOCH   (SOTTO_ED25519_PUB + SOTTO_JOIN_NONCE)
#define OFF_COUNTER (OFF_EPOCH + SOTTO_EPOCH_LEN)
#define OFF_TS      (OFF_COUNTER + SOTTO_COUNTER_LEN)
#define OFF_CT_LEN  (OFF_TS + SOTTO_TS_LEN)

static struct sotto_dat_rx *rx;
static struct sotto_group *group2;     /* the same key material, epoch 2 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_init();
	REQUIRE(sotto_dat_rx_new(&rx, FZ_ROOM, FZ_ROOM_LEN) == 0);
	REQUIRE(sotto_group_from(&group2, fz.group->key, 2) == 0);
	return 0;
}

static const struct sotto_group *
group_of(unsigned epoch)
{
	return epoch == 2 ? group2 : fz.group;
}

/* docs/protocol.md "Verification order", after the signature: the epoch
 * (older: stale; newer than held: decrypt-failed), the counter against the
 * highest accepted (replay), the watermark (stale), and for sessions
 * without a watermark the timestamp against the join time (stale). */
static int
model_check(const struct sotto_dat *d, const struct sotto_dat_peer *p)
{
	if (d->epoch < p->epoch)
		return SOTTO_V_STALE;
	if (d->epoch > p->epoch)
		return SOTTO_V_DECRYPT;
	if (d->counter <= p->highest)
		return SOTTO_V_REPLAY;
	if (p->floor != 0 && d->counter < p->floor)
		return SOTTO_V_STALE;
	if (p->floor == 0 && d->ts_ms < p->min_ts_ms)
		return SOTTO_V_STALE;
	return 0;
}

static void
peer_state(struct sotto_dat_peer *p, const struct sotto_dat *d,
    uint8_t highest, uint8_t floor, uint8_t min_choice, unsigned epoch)
{
	memset(p, 0, sizeof(*p));
	p->epoch = epoch;
	p->highest = highest;
	p->floor = floor;
	p->min_ts_ms = min_choice % 3 == 0 ? 0 :
	    d->ts_ms + (min_choice % 3 == 2 && d->ts_ms != UINT64_MAX);
	REQUIRE(sotto_dat_subkey(&p->aead, group_of(epoch), d->id_pub,
	    d->session) == 0);
}

/* Open a verified body; on success the text is well-formed as pad.h says. */
static int
open_checked(const struct sotto_dat *d, const uint8_t *body, size_t len,
    struct sotto_dat_peer *p, const uint8_t **text, size_t *text_len)
{
	uint64_t before = p->highest;
	uint8_t ctype;
	int r;

	r = sotto_dat_open(rx, d, body, len, p, &ctype, text, text_len);
	fz_verdict_ok(r);
	if (r == 0) {
		REQUIRE(ctype != 0);
		REQUIRE(*text_len <= d->ct_len - SOTTO_PAD_HDR);
		REQUIRE(d->ct_len - SOTTO_PAD_HDR - *text_len <= SOTTO_PAD_MAX);
		REQUIRE(p->highest == d->counter);
	} else {
		REQUIRE(p->highest == before);
	}
	return r;
}

static void
dat_raw(const uint8_t *body, size_t len)
{
	struct sotto_dat_peer p;
	struct sotto_dat d;
	const uint8_t *text;
	size_t n;

	if (sotto_dat_parse(body, len, &d) != 0)
		return;
	REQUIRE(d.signed_len + SOTTO_ED25519_SIG == len);
	REQUIRE(d.ct_len <= SOTTO_DAT_PT_MAX && d.epoch != 0 && d.counter != 0);
	if (sotto_trust_find(&fz.trust, d.id_pub) == NULL)
		return;
	if (sotto_dat_verify(rx, &d, body, len) != 0)
		return;
	peer_state(&p, &d, 0, 0, 0, 1);
	open_checked(&d, body, len, &p, &text, &n);
	sotto_aead_free(p.aead);
}

static void
dat_resigned(const uint8_t st[static 4], uint8_t *body, size_t len)
{
	struct sotto_dat_peer p;
	struct sotto_dat d;
	const uint8_t *text;
	size_t n;
	int r, want;

	if (sotto_dat_parse(body, len, &d) != 0)
		return;
	memcpy(body, fz.peer.pub, SOTTO_ED25519_PUB);    /* id_pub is first */
	fz_resign(SOTTO_LABEL_DAT, FZ_ROOM, FZ_ROOM_LEN, body, d.signed_len);
	REQUIRE(sotto_dat_parse(body, len, &d) == 0);
	REQUIRE(sotto_dat_verify(rx, &d, body, len) == 0);
	peer_state(&p, &d, st[0], st[1], st[2], 1u + (st[3] & 1u));
	want = model_check(&d, &p);
	REQUIRE(sotto_dat_check(&d, &p) == want);
	r = open_checked(&d, body, len, &p, &text, &n);
	if (want != 0)
		REQUIRE(r == want);
	else    /* a seed sealed under the fixed key opens; mutations do not */
		REQUIRE(r == 0 || r == SOTTO_V_DECRYPT || r == SOTTO_V_MALFORMED);
	sotto_aead_free(p.aead);
}

static void
dat_sealed(const uint8_t st[static 9], const uint8_t *text, size_t n)
{
	struct sotto_dat_tx *tx = NULL;
	struct sotto_dat_peer p;
	struct sotto_dat d;
	uint8_t session[SOTTO_JOIN_NONCE], *body;
	const uint8_t *sealed, *out;
	uint64_t counter = 1u + st[0];
	uint64_t ts = FZ_NOW_MS + (uint64_t)((int64_t)(int8_t)st[1] * 1000);
	unsigned dat_epoch = 1u + (st[8] & 1u), peer_epoch = 1u + ((st[8] >> 1) & 1u);
	uint8_t xor = st[5];
	size_t len, off, out_len;
	int r, want;

	if (n > SOTTO_TEXT_MAX)
		n = SOTTO_TEXT_MAX;
	memset(session, st[0] ^ 0x77, sizeof(session));
	REQUIRE(sotto_dat_tx_new(&tx, FZ_ROOM, FZ_ROOM_LEN, fz.id,
	    group_of(dat_epoch), session, counter) == 0);
	REQUIRE(sotto_dat_seal(tx, ts, SOTTO_CT_TEXT, text, n, &sealed, &len) == 0);
	REQUIRE(sotto_dat_tx_next(tx) == counter + 1);
	body = fz_copy(sealed, len);
	sotto_dat_tx_free(tx);
	REQUIRE(sotto_dat_parse(body, len, &d) == 0);
	off = SOTTO_ED25519_PUB + ((size_t)st[6] << 8 | st[7]) %
	    (d.signed_len - SOTTO_ED25519_PUB);
	if (xor != 0) {
		body[off] ^= xor;
		fz_resign(SOTTO_LABEL_DAT, FZ_ROOM, FZ_ROOM_LEN, body, d.signed_len);
		if (sotto_dat_parse(body, len, &d) != 0) {
			/* Only a zeroed epoch or counter, or a wrong ct_len. */
			REQUIRE((off >= OFF_EPOCH && off < OFF_TS) ||
			    (off >= OFF_CT_LEN && off < OFF_CT_LEN + 4));
			free(body);
			return;
		}
	}
	REQUIRE(sotto_dat_verify(rx, &d, body, len) == 0);
	peer_state(&p, &d, st[2], st[3], st[4], peer_epoch);
	want = model_check(&d, &p);
	r = open_checked(&d, body, len, &p, &out, &out_len);
	if (xor == 0) {
		REQUIRE(d.counter == counter && d.ts_ms == ts &&
		    d.epoch == dat_epoch);
		REQUIRE(r == want);
		if (r == 0)
			REQUIRE(out_len == n && memcmp(out, text, n) == 0);
	} else {
		REQUIRE(r != 0);
		if (want != 0)
			REQUIRE(r == want);
	}
	sotto_aead_free(p.aead);
	free(body);
}

/* pad.h: u8 type (non-zero), u32 len, len bytes, at most 255 pad bytes. */
static int
pad_model(const uint8_t *pt, size_t n, size_t *want_len)
{
	*want_len = 0;
	if (n < SOTTO_PAD_HDR || pt[0] == 0)
		return 0;
	*want_len = sotto_load_be32(pt + 1);
	return *want_len <= n - SOTTO_PAD_HDR &&
	    n - SOTTO_PAD_HDR - *want_len <= SOTTO_PAD_MAX;
}

/* A trusted sender's DAT whose plaintext is any bytes at all: the body is
 * laid out by hand (docs/protocol.md), encrypted under the sender-session
 * subkey with nonce 0^4 || counter and AAD label || P || body up to
 * ct_len, and signed. It must open exactly when the plaintext is padded
 * as pad.h says, and be malformed (not shown) otherwise. */
static void
dat_any_plaintext(uint8_t counter_byte, const uint8_t *pt, size_t n)
{
	struct sotto_aead *aead;
	struct sotto_dat_peer p;
	struct sotto_dat d;
	struct sotto_wbuf b;
	uint8_t session[SOTTO_JOIN_NONCE], nonce[SOTTO_GCM_NONCE] = { 0 };
	const uint8_t *text;
	size_t text_len, want_len, domain, ct_at;
	uint64_t counter = 1u + counter_byte;
	int r, ok;

	if (n > SOTTO_DAT_PT_MAX)
		n = SOTTO_DAT_PT_MAX;
	memset(session, 0x66, sizeof(session));
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_wbuf_put(&b, SOTTO_LABEL_DAT, SOTTO_LABEL_LEN) == 0 &&
	    sotto_wbuf_u8(&b, FZ_ROOM_LEN) == 0 &&
	    sotto_wbuf_put(&b, FZ_ROOM, FZ_ROOM_LEN) == 0);
	domain = b.len;
	REQUIRE(sotto_wbuf_put(&b, fz.peer.pub, SOTTO_ED25519_PUB) == 0 &&
	    sotto_wbuf_put(&b, session, sizeof(session)) == 0 &&
	    sotto_wbuf_u32(&b, fz.group->epoch) == 0 &&
	    sotto_wbuf_u64(&b, counter) == 0 &&
	    sotto_wbuf_u64(&b, FZ_NOW_MS) == 0 &&
	    sotto_wbuf_u32(&b, (uint32_t)n) == 0 &&
	    sotto_wbuf_reserve(&b, n + SOTTO_GCM_TAG + SOTTO_ED25519_SIG) == 0);
	ct_at = b.len;
	sotto_store_be32(nonce + 4, (uint32_t)(counter >> 32));
	sotto_store_be32(nonce + 8, (uint32_t)counter);
	REQUIRE(sotto_dat_subkey(&aead, fz.group, fz.peer.pub, session) == 0);
	REQUIRE(sotto_aead_seal(aead, nonce, b.p, ct_at - 4, pt, n, b.p + ct_at,
	    b.p + ct_at + n) == 0);
	sotto_aead_free(aead);
	b.len += n + SOTTO_GCM_TAG;
	REQUIRE(sotto_ed25519_sign(fz.id, b.p, b.len, b.p + b.len) == 0);
	b.len += SOTTO_ED25519_SIG;
	REQUIRE(sotto_dat_parse(b.p + domain, b.len - domain, &d) == 0);
	REQUIRE(sotto_dat_verify(rx, &d, b.p + domain, b.len - domain) == 0);
	peer_state(&p, &d, 0, 0, 0, 1);
	r = open_checked(&d, b.p + domain, b.len - domain, &p, &text, &text_len);
	ok = pad_model(pt, n, &want_len);
	REQUIRE(r == (ok ? 0 : SOTTO_V_MALFORMED));
	if (ok)
		REQUIRE(text_len == want_len &&
		    memcmp(text, pt + SOTTO_PAD_HDR, want_len) == 0);
	sotto_aead_free(p.aead);
	sotto_wbuf_free(&b);
}

static void
unpad(const uint8_t *pt, size_t n)
{
	const uint8_t *body;
	size_t len, want_len;
	uint8_t ctype;
	int ok, r;

	ok = pad_model(pt, n, &want_len);
	r = sotto_unpad(pt, n, &ctype, &body, &len);
	REQUIRE((r == 0) == ok);
	if (ok)
		REQUIRE(ctype == pt[0] && len == want_len &&
		    body == pt + SOTTO_PAD_HDR);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body;

	if (size < 10)
		return 0;
	switch (data[0] % 5) {
	case 0:
		dat_raw(data + 1, size - 1);
		break;
	case 1:
		body = fz_copy(data + 5, size - 5);
		dat_resigned(data + 1, body, size - 5);
		free(body);
		break;
	case 2:
		dat_sealed(data + 1, data + 10, size - 10);
		break;
	case 3:
		unpad(data + 1, size - 1);
		break;
	case 4:
		dat_any_plaintext(data[1], data + 2, size - 2);
		break;
	}
	return 0;
}

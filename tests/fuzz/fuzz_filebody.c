/* SPDX-License-Identifier: ISC */
/* fuzz_filebody.c: FOFFER, FCHUNK and FCTL bodies (shared/filebody.c) from anyone: the first byte picks the parser; a body that parses is exactly its fields within their bounds (rebuilt byte for byte), one that does not leaves them cleared. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "filebody.h"
#include "proto.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const struct sotto_wbuf *b, const uint8_t *p, size_t n)
{
	REQUIRE(b->len == n && memcmp(b->p, p, n) == 0);
}

static void
offer(const uint8_t *p, size_t n)
{
	struct sotto_foffer o;
	struct sotto_wbuf b;

	if (sotto_foffer_parse(p, n, &o) != 0) {
		REQUIRE(o.xfer_id == NULL && o.sha256 == NULL && o.name == NULL &&
		    o.size == 0 && o.name_len == 0);
		return;
	}
	REQUIRE(o.chunk_size >= SOTTO_FILE_CHUNK_MIN &&
	    o.chunk_size <= SOTTO_FILE_CHUNK_MAX);
	REQUIRE(o.name_len <= SOTTO_FILE_NAME_WIRE_MAX);
	REQUIRE(sotto_file_chunks(o.size, o.chunk_size) <= UINT32_MAX);
	REQUIRE(n == SOTTO_FOFFER_FIXED + o.name_len);
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_foffer_build(&b, o.xfer_id, o.size, o.chunk_size, o.sha256,
	    o.media, o.name, o.name_len) == 0);
	same(&b, p, n);
	sotto_wbuf_free(&b);
}

static void
chunk(const uint8_t *p, size_t n)
{
	struct sotto_fchunk c;
	struct sotto_wbuf b;

	if (sotto_fchunk_parse(p, n, &c) != 0) {
		REQUIRE(c.xfer_id == NULL && c.data == NULL && c.len == 0);
		return;
	}
	REQUIRE(c.len >= 1 && c.len <= SOTTO_FILE_CHUNK_MAX);
	REQUIRE(n == SOTTO_FCHUNK_HDR + c.len && c.data == p + SOTTO_FCHUNK_HDR);
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_fchunk_build(&b, c.xfer_id, c.index, c.data, c.len) == 0);
	same(&b, p, n);
	sotto_wbuf_free(&b);
}

static void
ctl(const uint8_t *p, size_t n)
{
	struct sotto_fctl c;
	struct sotto_wbuf b;

	if (sotto_fctl_parse(p, n, &c) != 0) {
		REQUIRE(c.xfer_id == NULL && c.op == 0 && c.index == 0);
		return;
	}
	REQUIRE(n == SOTTO_FCTL_LEN && c.op >= 1 && c.op <= SOTTO_FCTL_OP_MAX);
	sotto_wbuf_init(&b, 0);
	REQUIRE(sotto_fctl_build(&b, c.xfer_id, c.op, c.index, c.reason) == 0);
	same(&b, p, n);
	sotto_wbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: offer(data + 1, size - 1); break;
	case 1: chunk(data + 1, size - 1); break;
	case 2: ctl(data + 1, size - 1); break;
	}
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* test_filebody.c: file transfer bodies (shared/filebody.c): FOFFER, FCHUNK and FCTL round-trip, and every field out of its bound is refused by the reader with the out-struct cleared. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "filebody.h"
#include "proto.h"

static const uint8_t xid[SOTTO_XFER_ID] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16 };
static uint8_t sha[SOTTO_SHA256_LEN];

static void
test_chunks(void)
{
	CHECK_EQ(sotto_file_chunks(0, 65536), 0);
	CHECK_EQ(sotto_file_chunks(1, 65536), 1);
	CHECK_EQ(sotto_file_chunks(65536, 65536), 1);
	CHECK_EQ(sotto_file_chunks(65537, 65536), 2);
	CHECK_EQ(sotto_file_chunks(300 * 1024, 65536), 5);
	CHECK_EQ(sotto_file_chunks(5, 0), 0);
}

static void
test_offer(void)
{
	static const uint8_t name[] = "report.pdf";
	static uint8_t big[SOTTO_FILE_NAME_WIRE_MAX + 1];
	struct sotto_foffer o;
	struct sotto_wbuf b;

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_foffer_build(&b, xid, 2411724, SOTTO_FILE_CHUNK, sha, 1,
	    name, sizeof(name) - 1), 0);
	CHECK_EQ(b.len, SOTTO_FOFFER_FIXED + sizeof(name) - 1);
	CHECK_EQ(sotto_foffer_parse(b.p, b.len, &o), 0);
	CHECK(o.xfer_id == b.p);
	CHECK_EQ(o.size, 2411724);
	CHECK_EQ(o.chunk_size, SOTTO_FILE_CHUNK);
	CHECK_MEM(o.sha256, sha, SOTTO_SHA256_LEN);
	CHECK_EQ(o.media, 1);
	CHECK_EQ(o.name_len, sizeof(name) - 1);
	CHECK_MEM(o.name, name, o.name_len);
	/* Truncated anywhere, or one byte too many: refused, cleared. */
	for (size_t n = 0; n < b.len; n++) {
		CHECK_EQ(sotto_foffer_parse(b.p, n, &o), SOTTO_V_MALFORMED);
		CHECK(o.xfer_id == NULL && o.name == NULL && o.size == 0);
	}
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
	CHECK_EQ(sotto_foffer_parse(b.p, b.len, &o), SOTTO_V_MALFORMED);
	/* An empty name and an empty file are fine. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_foffer_build(&b, xid, 0, SOTTO_FILE_CHUNK, sha, 0, NULL, 0), 0);
	CHECK_EQ(sotto_foffer_parse(b.p, b.len, &o), 0);
	CHECK_EQ(o.name_len, 0);
	CHECK_EQ(o.size, 0);
	/* Chunk size out of range, name too long, too many chunks. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_foffer_build(&b, xid, 1, SOTTO_FILE_CHUNK_MIN - 1, sha, 0,
	    name, 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_foffer_build(&b, xid, 1, SOTTO_FILE_CHUNK_MAX + 1, sha, 0,
	    name, 1), SOTTO_E_INVAL);
	CHECK_EQ(sotto_foffer_build(&b, xid, 1, SOTTO_FILE_CHUNK, sha, 0, big,
	    sizeof(big)), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_foffer_build(&b, xid, UINT64_MAX, SOTTO_FILE_CHUNK_MIN, sha,
	    0, name, 1), SOTTO_E_INVAL);
	CHECK_EQ(b.len, 0);
	/* The same, laid out by hand: the parser refuses each. */
	{
		struct { uint64_t size; uint32_t cs; size_t nl; } bad[] = {
			{ 1, SOTTO_FILE_CHUNK_MIN - 1, 1 },
			{ 1, SOTTO_FILE_CHUNK_MAX + 1, 1 },
			{ 1, SOTTO_FILE_CHUNK, sizeof(big) },
			{ UINT64_MAX, SOTTO_FILE_CHUNK_MIN, 1 },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			sotto_wbuf_reset(&b);
			CHECK_EQ(sotto_wbuf_put(&b, xid, SOTTO_XFER_ID), 0);
			CHECK_EQ(sotto_wbuf_u64(&b, bad[i].size), 0);
			CHECK_EQ(sotto_wbuf_u32(&b, bad[i].cs), 0);
			CHECK_EQ(sotto_wbuf_put(&b, sha, SOTTO_SHA256_LEN), 0);
			CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
			CHECK_EQ(sotto_wbuf_string16(&b, big, bad[i].nl), 0);
			CHECK_EQ(sotto_foffer_parse(b.p, b.len, &o), SOTTO_V_MALFORMED);
			CHECK(o.name == NULL && o.chunk_size == 0);
		}
	}
	sotto_wbuf_free(&b);
}

static void
test_chunk(void)
{
	static uint8_t data[SOTTO_FILE_CHUNK_MAX + 1];
	struct sotto_fchunk ch;
	struct sotto_wbuf b;

	memset(data, 0xab, sizeof(data));
	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_fchunk_build(&b, xid, 7, data, SOTTO_FILE_CHUNK_MAX), 0);
	CHECK_EQ(b.len, SOTTO_FCHUNK_HDR + SOTTO_FILE_CHUNK_MAX);
	CHECK_EQ(sotto_fchunk_parse(b.p, b.len, &ch), 0);
	CHECK_EQ(ch.index, 7);
	CHECK_EQ(ch.len, SOTTO_FILE_CHUNK_MAX);
	CHECK(ch.data == b.p + SOTTO_FCHUNK_HDR);
	/* One byte of data more than a chunk may hold, none, a short header. */
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
	CHECK_EQ(sotto_fchunk_parse(b.p, b.len, &ch), SOTTO_V_MALFORMED);
	CHECK(ch.data == NULL && ch.len == 0 && ch.xfer_id == NULL);
	CHECK_EQ(sotto_fchunk_parse(b.p, SOTTO_FCHUNK_HDR, &ch), SOTTO_V_MALFORMED);
	CHECK_EQ(sotto_fchunk_parse(b.p, SOTTO_FCHUNK_HDR - 1, &ch), SOTTO_V_MALFORMED);
	CHECK_EQ(sotto_fchunk_parse(b.p, SOTTO_FCHUNK_HDR + 1, &ch), 0);
	CHECK_EQ(ch.len, 1);
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_fchunk_build(&b, xid, 0, data, 0), SOTTO_E_INVAL);
	CHECK_EQ(sotto_fchunk_build(&b, xid, 0, data, sizeof(data)), SOTTO_E_INVAL);
	CHECK_EQ(b.len, 0);
	sotto_wbuf_free(&b);
}

static void
test_ctl(void)
{
	struct sotto_fctl fc;
	struct sotto_wbuf b;

	sotto_wbuf_init(&b, 0);
	CHECK_EQ(sotto_fctl_build(&b, xid, SOTTO_FCTL_ACCEPT, 42, SOTTO_FR_NONE), 0);
	CHECK_EQ(b.len, SOTTO_FCTL_LEN);
	CHECK_EQ(sotto_fctl_parse(b.p, b.len, &fc), 0);
	CHECK_EQ(fc.op, SOTTO_FCTL_ACCEPT);
	CHECK_EQ(fc.index, 42);
	CHECK_MEM(fc.xfer_id, xid, SOTTO_XFER_ID);
	CHECK_EQ(sotto_fctl_parse(b.p, b.len - 1, &fc), SOTTO_V_MALFORMED);
	CHECK(fc.xfer_id == NULL);
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);
	CHECK_EQ(sotto_fctl_parse(b.p, b.len, &fc), SOTTO_V_MALFORMED);
	/* Unknown ops are refused both ways; any reason byte passes. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_fctl_build(&b, xid, 0, 0, 0), SOTTO_E_INVAL);
	CHECK_EQ(sotto_fctl_build(&b, xid, SOTTO_FCTL_OP_MAX + 1, 0, 0), SOTTO_E_INVAL);
	CHECK_EQ(sotto_fctl_build(&b, xid, SOTTO_FCTL_FAIL, 3, 200), 0);
	CHECK_EQ(sotto_fctl_parse(b.p, b.len, &fc), 0);
	CHECK_EQ(fc.reason, 200);
	b.p[SOTTO_XFER_ID] = SOTTO_FCTL_OP_MAX + 1;
	CHECK_EQ(sotto_fctl_parse(b.p, b.len, &fc), SOTTO_V_MALFORMED);
	b.p[SOTTO_XFER_ID] = 0;
	CHECK_EQ(sotto_fctl_parse(b.p, b.len, &fc), SOTTO_V_MALFORMED);
	sotto_wbuf_free(&b);
}

int
main(void)
{
	memset(sha, 0x5a, sizeof(sha));
	test_chunks();
	test_offer();
	test_chunk();
	test_ctl();
	return check_summary();
}

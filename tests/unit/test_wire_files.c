/* SPDX-License-Identifier: ISC */
/* test_wire_files.c: the file/DM wire sizes add up, and a paced transfer stays inside the relay's default limits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "wire-files.h"

/* Bytes on the wire of a DAT frame whose plaintext is pt bytes:
 * u32 len, 10 header bytes, DAT_FIXED and the ciphertext. */
static uint64_t
frame_bytes(uint64_t pt)
{
	return 4u + 10u + SOTTO_DAT_FIXED + pt;
}

static void
test_layouts(void)
{
	CHECK_EQ(SOTTO_DM_WRAP_PLAIN, 100);
	CHECK_EQ(SOTTO_DMKEY_LEN, 590);
	CHECK_EQ(SOTTO_DM_HDR, 76);
	CHECK_EQ(SOTTO_FOFFER_FIXED, 63);
	CHECK_EQ(SOTTO_FCHUNK_HDR, 20);
	CHECK_EQ(SOTTO_FCTL_LEN, 22);
	CHECK_EQ(SOTTO_DAT2_PT_MAX, 62072);
	/* libgcrypt signs and verifies only messages it can hold in one
	 * S-expression datum: the largest DAT's signature input fits. */
	CHECK(SOTTO_DAT2_SIGNED_MAX <= SOTTO_GCRY_DATUM_MAX);
	CHECK_EQ(SOTTO_DAT2_SIGNED_MAX, 62263);
	CHECK_EQ(sizeof(SOTTO_LABEL_DM) - 1, SOTTO_LABEL_DM_LEN);
	CHECK_EQ(sizeof(SOTTO_LABEL_DM_KEY_ID) - 1, SOTTO_LABEL_DM_KEY_ID_LEN);
	CHECK_EQ(sizeof(SOTTO_DM_NONCE_PREFIX) - 1 + SOTTO_COUNTER_LEN, SOTTO_GCM_NONCE);
	/* RSA-OAEP with SHA-256 holds at most mod - 2*32 - 2 bytes. */
	CHECK(SOTTO_DM_WRAP_PLAIN <= SOTTO_RSA_MOD - 2u * SOTTO_SHA256_LEN - 2u);
	/* Content types: clear of text (1) and of 16..19. */
	CHECK(SOTTO_CT_DMKEY >= 32 && SOTTO_CT_DMNOKEY < 48);
	/* A largest manifest fits a v1-sized DAT (so it can go to everyone). */
	CHECK(1u + 4u + SOTTO_FOFFER_FIXED + SOTTO_FILE_NAME_WIRE_MAX + SOTTO_PAD_MAX <=
	    SOTTO_DAT_PT_MAX);
}

/* The design's promise: a full chunk frame fits the relay's default frame
 * limit, and 40 of them a second stay under the frame budget with 10
 * frames/s to spare and under 80 % of the byte budget. */
static void
test_pacing(void)
{
	uint64_t chunk = frame_bytes(SOTTO_DAT2_PT_MAX);

	CHECK(chunk <= SOTTO_MAX_FRAME_DEFAULT);
	CHECK(SOTTO_FILE_RATE + 10u <= SOTTO_RELAY_RATE_DEFAULT);
	CHECK(SOTTO_FILE_RATE * chunk * 5u <= SOTTO_RELAY_RATE_BYTES_DEFAULT * 4u);
	/* The auto-accept threshold moves in under 2 s at the paced rate. */
	CHECK((SOTTO_FILE_AUTO_MAX / SOTTO_FILE_CHUNK) <= 2u * SOTTO_FILE_RATE);
	/* 100 MiB: 1707 chunks, 43 s. */
	CHECK_EQ((SOTTO_FILE_MAX_DEFAULT + SOTTO_FILE_CHUNK - 1) / SOTTO_FILE_CHUNK, 1707);
	printf("chunk frame %llu bytes, %.2f MiB/s at %u chunks/s\n",
	    (unsigned long long)chunk,
	    (double)chunk * SOTTO_FILE_RATE / (1024.0 * 1024.0), SOTTO_FILE_RATE);
}

/* The copies of the relay's defaults match relay/main.c (read as text:
 * the relay keeps them private). */
static void
test_relay_defaults(void)
{
	FILE *f = fopen("../../relay/main.c", "r");
	char line[256];
	int rate = 0, burst = 0, bytes = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		rate += strstr(line, "#define RATE_DEFAULT") != NULL &&
		    strstr(line, "50.0") != NULL;
		burst += strstr(line, "#define BURST_DEFAULT") != NULL &&
		    strstr(line, "25.0") != NULL;
		bytes += strstr(line, "#define RATE_BYTES_DEFAULT") != NULL &&
		    strstr(line, "(4.0 * 1024 * 1024)") != NULL;
	}
	fclose(f);
	CHECK_EQ(rate, 1);
	CHECK_EQ(burst, 1);
	CHECK_EQ(bytes, 1);
	CHECK_EQ(SOTTO_RELAY_RATE_DEFAULT, 50);
	CHECK_EQ(SOTTO_RELAY_BURST_DEFAULT, 25);
	CHECK_EQ(SOTTO_RELAY_RATE_BYTES_DEFAULT, 4 * 1024 * 1024);
}

int
main(void)
{
	test_layouts();
	test_pacing();
	test_relay_defaults();
	return check_summary();
}

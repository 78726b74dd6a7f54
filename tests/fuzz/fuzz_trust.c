/* SPDX-License-Identifier: ISC */
/* fuzz_trust.c: the per-file step of loading the trusted folder (sotto_trust_add, what sotto_trust_load calls) on any name and bytes.
 * Input: u8 name length, the name, then the .pub file's bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "trust.h"

#define NAME_CAP 255

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Already trusted before the fuzzed file, so duplicates are reachable
 * (the seed corpus holds its key under another name). */
static const char FIXED[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICNJFDRCoEHltwTBo4Z12KdWnHEiWTrJ5DZ0otFbyw4/\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sotto_crypto_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotto_trust *t = sotto_trust_new();
	struct sotto_rd rd;
	const struct sotto_peer *p;
	const uint8_t *name_bytes, *file;
	char name[NAME_CAP + 1], err[512];
	uint8_t name_len;
	size_t file_len;
	int r;

	if (t == NULL)
		abort();
	if (sotto_trust_add(t, "fixed", "fixed.pub", (const uint8_t *)FIXED,
	    strlen(FIXED), err, sizeof(err)) != 0)
		abort();
	sotto_rd_init(&rd, data, size);
	if (sotto_rd_u8(&rd, &name_len) != 0 ||
	    sotto_rd_ptr(&rd, &name_bytes, name_len) != 0)
		goto out;
	memcpy(name, name_bytes, name_len);
	name[name_len] = '\0';
	file_len = sotto_rd_left(&rd);
	if (sotto_rd_ptr(&rd, &file, file_len) != 0)
		abort();

	r = sotto_trust_add(t, name, "fuzz.pub", file, file_len, err, sizeof(err));
	if (r != 0) {
		if (t->n != 1 || strncmp(err, "fuzz.pub: ", 10) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
		goto out;
	}
	/* Added: two entries in name order, found by key, fingerprint right. */
	if (t->n != 2 || strcmp(t->peers[0].name, t->peers[1].name) >= 0)
		abort();
	p = &t->peers[strcmp(t->peers[0].name, name) == 0 ? 0 : 1];
	if (strcmp(p->name, name) != 0 || sotto_trust_find(t, p->pub) != p ||
	    strncmp(p->fpr_str, "SHA256:", 7) != 0 || strlen(p->fpr_str) != 50)
		abort();
 out:
	sotto_trust_free(t);
	return 0;
}

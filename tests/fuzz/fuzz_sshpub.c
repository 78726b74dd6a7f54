/* SPDX-License-Identifier: ISC */
/* fuzz_sshpub.c: any .pub file bytes: a clean one-line error, or a key that formats back to a line parsing to the same key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "sshkey.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sotto_crypto_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pub[SOTTO_ED25519_PUB], again[SOTTO_ED25519_PUB];
	char err[256], *comment = (char *)1, *comment2 = NULL;
	struct sotto_wbuf line;
	int r;

	err[0] = 'x';
	r = sotto_pubkey_parse("fuzz.pub", data, size, pub, &comment, err, sizeof(err));
	if (r != 0) {
		/* One line that names the file; nothing allocated. */
		if (comment != NULL || strncmp(err, "fuzz.pub: ", 10) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	sotto_wbuf_init(&line, 0);
	if (sotto_sshpub_format(&line, pub, comment) != 0 ||
	    sotto_sshpub_parse((const char *)line.p, line.len, again, &comment2) != 0 ||
	    memcmp(pub, again, sizeof(pub)) != 0 ||
	    (comment == NULL) != (comment2 == NULL) ||
	    (comment != NULL && strcmp(comment, comment2) != 0))
		abort();
	sotto_wbuf_free(&line);
	free(comment);
	free(comment2);
	return 0;
}

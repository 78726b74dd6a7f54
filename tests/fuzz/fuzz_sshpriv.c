/* SPDX-License-Identifier: ISC */
/* fuzz_sshpriv.c: any private key file bytes: a clean one-line error, or a key whose re-encoded file parses to the same seed. */
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
	struct sotto_ed25519 *k = (struct sotto_ed25519 *)1, *k2 = NULL;
	char err[256], *comment = (char *)1, *comment2 = NULL;
	struct sotto_wbuf file;
	int r;

	r = sotto_identity_parse("fuzz_id", data, size, &k, &comment, err, sizeof(err));
	if (r != 0) {
		if (k != NULL || comment != NULL ||
		    strncmp(err, "fuzz_id: ", 9) != 0 || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (!sotto_ed25519_is_secure(k))
		abort();
	sotto_wbuf_init_secure(&file, SOTTO_KEYFILE_MAX);
	if (sotto_sshpriv_format(&file, k, comment) != 0 ||
	    sotto_sshpriv_parse(file.p, file.len, &k2, &comment2) != 0 ||
	    memcmp(sotto_ed25519_seed(k), sotto_ed25519_seed(k2), SOTTO_ED25519_SEC) != 0 ||
	    memcmp(sotto_ed25519_pub(k), sotto_ed25519_pub(k2), SOTTO_ED25519_PUB) != 0 ||
	    (comment == NULL) != (comment2 == NULL) ||
	    (comment != NULL && strcmp(comment, comment2) != 0))
		abort();
	sotto_wbuf_free(&file);
	sotto_ed25519_free(k);
	sotto_ed25519_free(k2);
	free(comment);
	free(comment2);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* fuzz_sshpriv_enc.c: any private key file opened with the passphrase "fuzz": a clean one-line error, or a key that re-encrypts and reopens to the same seed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

#define PASS       "fuzz"
#define MAX_ROUNDS 2u    /* the seeds use 1; more would only be slower */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each bcrypt run costs milliseconds (far more under ASan):
 * SOTTO_FUZZ_KDF_BUDGET caps how many inputs reach decryption in the
 * 20000-run regression; campaigns leave it unset (no cap). */
static long kdf_budget = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("SOTTO_FUZZ_KDF_BUDGET") != NULL)
		kdf_budget = atol(getenv("SOTTO_FUZZ_KDF_BUDGET"));
	return sotto_crypto_init();
}

static int
one_line(const char *err)
{
	return strncmp(err, "fuzz_id: ", 9) == 0 && strchr(err, '\n') == NULL;
}

/* Re-encrypt with the same cipher and reopen: same seed and comment. */
static void
round_trip(const struct sotto_ed25519 *k, const char *comment,
    enum sotto_keycipher cipher)
{
	struct sotto_keyseal s = { (const uint8_t *)PASS, 4, 1, cipher };
	struct sotto_keyopen o = { (const uint8_t *)PASS, 4, MAX_ROUNDS };
	struct sotto_ed25519 *k2 = NULL;
	struct sotto_wbuf file;
	char err[256], *comment2 = NULL;

	if (cipher == SOTTO_KEYCIPHER_NONE)
		s.pass_len = 0;
	sotto_wbuf_init_secure(&file, SOTTO_KEYFILE_MAX);
	if (sotto_sshpriv_format_sealed(&file, k, comment, &s) != 0 ||
	    sotto_identity_parse_pass("fuzz_id", file.p, file.len, &o, &k2,
	    &comment2, err, sizeof(err)) != 0 ||
	    memcmp(sotto_ed25519_seed(k), sotto_ed25519_seed(k2),
	    SOTTO_ED25519_SEC) != 0 ||
	    (comment == NULL) != (comment2 == NULL) ||
	    (comment != NULL && strcmp(comment, comment2) != 0))
		abort();
	sotto_wbuf_free(&file);
	sotto_ed25519_free(k2);
	free(comment2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotto_keyopen o = { (const uint8_t *)PASS, 4, MAX_ROUNDS };
	struct sotto_ed25519 *k = (struct sotto_ed25519 *)1;
	struct sotto_keyinfo info;
	char err[256], *comment = (char *)1;
	int r;

	/* The header alone: what sotto reads before asking for a passphrase. */
	r = sotto_identity_info("fuzz_id", data, size, &info, err, sizeof(err));
	if (r != 0 && !one_line(err))
		abort();
	if (r == 0 && info.cipher != SOTTO_KEYCIPHER_NONE) {
		if (kdf_budget == 0)
			return 0;
		if (kdf_budget > 0)
			kdf_budget--;
	}
	r = sotto_identity_parse_pass("fuzz_id", data, size, &o, &k, &comment,
	    err, sizeof(err));
	if (r != 0) {
		if (k != NULL || comment != NULL || !one_line(err))
			abort();
		return 0;
	}
	/* Whatever opened must have had a header that parsed the same way. */
	if (sotto_identity_info("fuzz_id", data, size, &info, err, sizeof(err)) != 0 ||
	    memcmp(info.pub, sotto_ed25519_pub(k), SOTTO_ED25519_PUB) != 0 ||
	    !sotto_ed25519_is_secure(k))
		abort();
	round_trip(k, comment, info.cipher);
	sotto_ed25519_free(k);
	free(comment);
	return 0;
}

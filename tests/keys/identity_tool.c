/* SPDX-License-Identifier: ISC */
/* identity_tool.c: libsotto's identity code on the command line, for interop checks with ssh-keygen, ssh-add and ssh-agent (tests only).
 *
 *   identity_tool open FILE          unlock (passphrase via tty/askpass) or
 *                                    attach to the agent (FILE.pub, or
 *                                    SOTTO_AGENT=only); sign and verify a
 *                                    message; print "SHA256:... file|agent"
 *   identity_tool seal IN OUT PASS ROUNDS ctr|gcm
 *                                    write IN (unencrypted) to OUT encrypted
 * Errors: one line on stderr, exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "sshkey.h"

static int
do_open(const char *path)
{
	const char *mode = getenv("SOTTO_AGENT");
	enum sotto_agent_use use = SOTTO_AGENT_AUTO;
	struct sotto_identity *id;
	char err[512], fpr[SOTTO_FPR_STR_LEN];
	uint8_t sig[SOTTO_ED25519_SIG];
	int r;

	if (mode != NULL && strcmp(mode, "only") == 0)
		use = SOTTO_AGENT_ONLY;
	if (mode != NULL && strcmp(mode, "never") == 0)
		use = SOTTO_AGENT_NEVER;
	if ((r = sotto_identity_open(path, use, &id, err, sizeof(err))) != 0) {
		fprintf(stderr, "identity_tool: %s\n", err);
		return 1;
	}
	if (id->agent != NULL)
		r = sotto_agent_sign(id->agent, id->pub, "msg", 3, sig, 10000, err,
		    sizeof(err));
	else
		r = sotto_ed25519_sign(id->key, "msg", 3, sig);
	if (r == 0 && sotto_ed25519_verify(id->pub, "msg", 3, sig) != 0)
		r = SOTTO_E_SIG;
	if (r != 0) {
		fprintf(stderr, "identity_tool: %s: %s\n", path, id->agent ? err :
		    sotto_strerror(r));
		sotto_identity_free(id);
		return 1;
	}
	sotto_fingerprint_str(id->pub, fpr);
	printf("%s %s\n", fpr, id->agent ? "agent" : "file");
	sotto_identity_free(id);
	return 0;
}

static int
do_seal(const char *in, const char *out, const char *pass, const char *rounds,
    const char *cipher)
{
	struct sotto_keyseal s = { (const uint8_t *)pass, strlen(pass),
	    (unsigned)atoi(rounds), strcmp(cipher, "gcm") == 0 ?
	    SOTTO_KEYCIPHER_AES256_GCM : SOTTO_KEYCIPHER_AES256_CTR };
	struct sotto_ed25519 *k;
	struct sotto_wbuf w;
	char err[512], *comment;
	FILE *f;
	int r;

	if ((r = sotto_identity_load(in, &k, &comment, err, sizeof(err))) != 0) {
		fprintf(stderr, "identity_tool: %s\n", err);
		return 1;
	}
	sotto_wbuf_init_secure(&w, SOTTO_KEYFILE_MAX);
	r = sotto_sshpriv_format_sealed(&w, k, comment, &s);
	if (r == 0 && ((f = fopen(out, "w")) == NULL ||
	    fwrite(w.p, 1, w.len, f) != w.len || fclose(f) != 0))
		r = SOTTO_E_IO;
	sotto_wbuf_free(&w);
	sotto_ed25519_free(k);
	free(comment);
	if (r != 0) {
		fprintf(stderr, "identity_tool: %s: %s\n", out, sotto_strerror(r));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (sotto_crypto_init() != 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return do_open(argv[2]);
	if (argc == 7 && strcmp(argv[1], "seal") == 0)
		return do_seal(argv[2], argv[3], argv[4], argv[5], argv[6]);
	fprintf(stderr, "usage: identity_tool open FILE | seal IN OUT PASS ROUNDS ctr|gcm\n");
	return 2;
}

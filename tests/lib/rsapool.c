/* SPDX-License-Identifier: ISC */
/* rsapool.c: fills a folder with ready-made RSA-4096 session keys for client/core/rsapool.c (test builds), so test stages lease keys instead of searching primes.
 *
 * usage: sotto-rsapool DIR COUNT
 * Writes COUNT files DIR/key-<pid>-<i>, each genkey's key-data as a
 * canonical s-expression; each appears whole (written under another name,
 * then renamed), so a client leasing keys while the pool fills never
 * reads half a key. Run two at once on two cores.
 */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"

static int
write_key(const char *dir, long pid, unsigned i, const char *sexp, size_t len)
{
	char tmp[4096], path[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/.new-%ld-%u", dir, pid, i) >= (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/key-%ld-%u", dir, pid, i) >= (int)sizeof(path))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	while (off < len && (n = write(fd, sexp + off, len - off)) > 0)
		off += (size_t)n;
	if (close(fd) != 0 || off != len || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	gcry_sexp_t parms = NULL, key = NULL;
	char *buf;
	size_t len;
	unsigned i, count;
	char *end;

	if (argc != 3 || (count = (unsigned)strtoul(argv[2], &end, 10), *end != '\0') ||
	    count == 0 || count > 1000) {
		fprintf(stderr, "usage: sotto-rsapool DIR COUNT (1..1000)\n");
		return 2;
	}
	/* libsotto's set-up: secure memory, and under LeakSanitizer the
	 * entropy collector made unreported (shared/crypto.c). */
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, "sotto-rsapool: libgcrypt set-up failed\n");
		return 1;
	}
	if (gcry_sexp_build(&parms, NULL, "(genkey(rsa(nbits 4:4096)(rsa-use-e 5:65537)))") != 0) {
		fprintf(stderr, "sotto-rsapool: cannot build the key parameters\n");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (gcry_pk_genkey(&key, parms) != 0) {
			fprintf(stderr, "sotto-rsapool: key generation failed\n");
			return 1;
		}
		len = gcry_sexp_sprint(key, GCRYSEXP_FMT_CANON, NULL, 0);
		if ((buf = malloc(len)) == NULL ||
		    (len = gcry_sexp_sprint(key, GCRYSEXP_FMT_CANON, buf, len)) == 0 ||
		    write_key(argv[1], (long)getpid(), i, buf, len) != 0) {
			fprintf(stderr, "sotto-rsapool: cannot write key %u into %s: %s\n",
			    i, argv[1], strerror(errno));
			return 1;
		}
		free(buf);
		gcry_sexp_release(key);
	}
	gcry_sexp_release(parms);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* oaep_tool.c: libsotto's RSA-OAEP-SHA256 on the command line, for interop checks with openssl (tests only).
 *
 *   oaep_tool wrap MODULUS_HEX MSG_HEX   print the ciphertext (hex) for (n, 65537)
 *   oaep_tool serve BITS                 make a key, print "N <modulus hex>", then
 *                                        unwrap each hex line of stdin: "OK <hex>"
 *                                        or "ERR <error>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"

#define MAX_BYTES 1024u
#define LINE_MAX_ 4096u

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits (whole string, even count) into out; -1 when malformed. */
static int
unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s), i;

	*n = 0;
	if (len % 2 != 0 || len / 2 > cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval((unsigned char)s[2 * i]);
		int lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return 0;
}

static void
puthex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int
cmd_wrap(const char *n_hex, const char *msg_hex)
{
	static uint8_t n[MAX_BYTES], msg[MAX_BYTES], ct[MAX_BYTES];
	size_t n_len, msg_len;
	int r;

	if (unhex(n_hex, n, sizeof(n), &n_len) != 0 ||
	    unhex(msg_hex, msg, sizeof(msg), &msg_len) != 0) {
		fprintf(stderr, "oaep_tool: bad hex\n");
		return 2;
	}
	if ((r = sotto_rsa_wrap(n, n_len, SOTTO_RSA_E, msg, msg_len, ct, n_len)) != 0) {
		fprintf(stderr, "oaep_tool: wrap: %s\n", sotto_strerror(r));
		return 1;
	}
	puthex(ct, n_len);
	printf("\n");
	return 0;
}

static int
cmd_serve(const char *bits_arg)
{
	static uint8_t n[MAX_BYTES], ct[MAX_BYTES];
	static char line[LINE_MAX_];
	struct sotto_rsa *k = NULL;
	unsigned bits = (unsigned)strtoul(bits_arg, NULL, 10);
	uint8_t *out = sotto_secure_alloc(MAX_BYTES);
	size_t ct_len, msg_len;
	int r;

	if (out == NULL || (r = sotto_rsa_generate(&k, bits)) != 0) {
		fprintf(stderr, "oaep_tool: cannot make a %u-bit key\n", bits);
		return 1;
	}
	sotto_rsa_modulus(k, n, bits / 8);
	printf("N ");
	puthex(n, bits / 8);
	printf("\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (unhex(line, ct, sizeof(ct), &ct_len) != 0) {
			printf("ERR bad hex\n");
		} else if ((r = sotto_rsa_unwrap(k, ct, ct_len, out, MAX_BYTES,
		    &msg_len)) != 0) {
			printf("ERR %s\n", sotto_strerror(r));
		} else {
			printf("OK ");
			puthex(out, msg_len);
			printf("\n");
		}
		fflush(stdout);
	}
	sotto_secure_free(out, MAX_BYTES);
	sotto_rsa_free(k);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sotto_crypto_init() != 0)
		return 1;
	if (argc == 4 && strcmp(argv[1], "wrap") == 0)
		return cmd_wrap(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argv[2]);
	fprintf(stderr, "usage: oaep_tool wrap MODULUS_HEX MSG_HEX | serve BITS\n");
	return 2;
}

/* SPDX-License-Identifier: ISC */
/* sshkey.h: OpenSSH key files (wire-v1 §4): ssh-ed25519 public lines,
 * openssh-key-v1 private keys (plain, or kdf bcrypt with aes256-ctr or
 * aes256-gcm@openssh.com), SHA256: fingerprints.
 *
 * Loaders take an error buffer and fill it with one line that names the file
 * and what is wrong, e.g. "keys/id: private key is accessible by group or
 * others (mode 0644); run chmod 600 keys/id".
 */
#ifndef SOTTO_SSHKEY_H
#define SOTTO_SSHKEY_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

struct sotto_ed25519;
struct sotto_wbuf;

/* "SHA256:" + 43 base64 characters + NUL */
#define SOTTO_FPR_STR_LEN  (7 + 43 + 1)
/* The key blob: string "ssh-ed25519", string key. */
#define SOTTO_SSH_BLOB_LEN (4 + 11 + 4 + SOTTO_ED25519_PUB)
#define SOTTO_KEYFILE_MAX  (64u * 1024u)   /* larger key files are refused */
/* Base64 characters of the padded blob (51 bytes). */
#define SOTTO_SSH_BLOB_B64 68
/* Key comments: UTF-8 without control characters, at most this long. */
#define SOTTO_COMMENT_MAX  1024u

void sotto_ssh_blob(const uint8_t pub[static SOTTO_ED25519_PUB],
    uint8_t blob[static SOTTO_SSH_BLOB_LEN]);
/* SHA-256 of the blob. */
void sotto_fingerprint(const uint8_t pub[static SOTTO_ED25519_PUB],
    uint8_t fpr[static SOTTO_FPR_LEN]);
/* As ssh-keygen -l prints it: "SHA256:<unpadded base64>". */
void sotto_fingerprint_str(const uint8_t pub[static SOTTO_ED25519_PUB],
    char out[static SOTTO_FPR_STR_LEN]);

/* Parse "ssh-ed25519 <base64> [comment]" (one line, trailing newline ok).
 * *comment (may be NULL when absent) is malloc'd; caller frees. */
int sotto_sshpub_parse(const char *line, size_t len,
    uint8_t pub[static SOTTO_ED25519_PUB], char **comment);
/* Append "ssh-ed25519 <base64> comment\n" to out. */
int sotto_sshpub_format(struct sotto_wbuf *out,
    const uint8_t pub[static SOTTO_ED25519_PUB], const char *comment);

/* Ciphers of private key files. */
enum sotto_keycipher {
	SOTTO_KEYCIPHER_NONE,
	SOTTO_KEYCIPHER_AES256_CTR,        /* ssh-keygen's default */
	SOTTO_KEYCIPHER_AES256_GCM,        /* aes256-gcm@openssh.com (-Z) */
};
#define SOTTO_KDF_ROUNDS_DEFAULT  16u        /* as ssh-keygen -a */
/* More rounds than this are refused (a corrupt or hostile count would
 * otherwise spin for hours); ~100000 is already minutes. */
#define SOTTO_KDF_ROUNDS_MAX      100000u
#define SOTTO_PASSPHRASE_MAX      1024u

/* How to open an encrypted key: pass == NULL gives SOTTO_E_NEEDPASS for
 * one; a wrong passphrase gives SOTTO_E_BADPASS. max_rounds 0 means
 * SOTTO_KDF_ROUNDS_MAX (fuzz targets pass a small bound). */
struct sotto_keyopen {
	const uint8_t *pass;
	size_t         pass_len;
	unsigned       max_rounds;
};
/* How to write one: pass NULL or empty writes an unencrypted key. */
struct sotto_keyseal {
	const uint8_t       *pass;
	size_t               pass_len;
	unsigned             rounds;
	enum sotto_keycipher cipher;
};
/* What a private key file says without its passphrase. */
struct sotto_keyinfo {
	uint8_t              pub[SOTTO_ED25519_PUB];
	enum sotto_keycipher cipher;
	uint32_t             rounds;       /* 0 when not encrypted */
};

/* Parse an openssh-key-v1 PEM-armoured private key. Encrypted keys give
 * SOTTO_E_NEEDPASS. *comment is malloc'd (caller frees). */
int sotto_sshpriv_parse(const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment);
/* Append the armoured private key to out (use a secure wbuf). */
int sotto_sshpriv_format(struct sotto_wbuf *out, const struct sotto_ed25519 *key,
    const char *comment);
/* The same, encrypted as s says (s NULL: unencrypted). Slow: bcrypt. */
int sotto_sshpriv_format_sealed(struct sotto_wbuf *out,
    const struct sotto_ed25519 *key, const char *comment,
    const struct sotto_keyseal *s);

/* The parsers the loaders below use on a file's bytes, with one line in
 * err that starts with `name` (fuzz targets call these too). */
int sotto_pubkey_parse(const char *name, const uint8_t *data, size_t len,
    uint8_t pub[static SOTTO_ED25519_PUB], char **comment, char *err,
    size_t err_len);
int sotto_identity_parse(const char *name, const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len);
int sotto_identity_parse_pass(const char *name, const uint8_t *data,
    size_t len, const struct sotto_keyopen *o, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len);
/* The public key and cipher of a private key file, no passphrase needed. */
int sotto_identity_info(const char *name, const uint8_t *data, size_t len,
    struct sotto_keyinfo *info, char *err, size_t err_len);

/* Read a whole key file (regular file, at most SOTTO_KEYFILE_MAX bytes).
 * private: refuses modes with any group/other bit (SOTTO_E_PERM) and
 * reads into secure memory. Free *buf with sotto_keyfile_free. */
int sotto_keyfile_read(const char *path, int private, uint8_t **buf,
    size_t *len, char *err, size_t err_len);
void sotto_keyfile_free(uint8_t *buf, int private);
/* The same on an open file; `name` labels it in err. */
int sotto_keyfd_read(int fd, const char *name, int private, uint8_t **buf,
    size_t *len, char *err, size_t err_len);

/* Load files. Private: refuses modes with any group/other bit
 * (SOTTO_E_PERM), as ssh does; both refuse files over SOTTO_KEYFILE_MAX. */
int sotto_identity_load(const char *path, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len);
int sotto_identity_load_pass(const char *path, const struct sotto_keyopen *o,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len);
int sotto_pubkey_load(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len);

#endif

/* sshkey.h: OpenSSH key files (wire-v1 §4): ssh-ed25519 public lines,
 * unencrypted openssh-key-v1 private keys, SHA256: fingerprints.
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

/* Parse an openssh-key-v1 PEM-armoured private key. Encrypted keys give
 * SOTTO_E_UNSUPPORTED. *comment is malloc'd (caller frees). */
int sotto_sshpriv_parse(const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment);
/* Append the armoured private key to out (use a secure wbuf). */
int sotto_sshpriv_format(struct sotto_wbuf *out, const struct sotto_ed25519 *key,
    const char *comment);

/* The parsers the loaders below use on a file's bytes, with one line in
 * err that starts with `name` (fuzz targets call these too). */
int sotto_pubkey_parse(const char *name, const uint8_t *data, size_t len,
    uint8_t pub[static SOTTO_ED25519_PUB], char **comment, char *err,
    size_t err_len);
int sotto_identity_parse(const char *name, const uint8_t *data, size_t len,
    struct sotto_ed25519 **key, char **comment, char *err, size_t err_len);

/* Read a whole key file (regular file, at most SOTTO_KEYFILE_MAX bytes).
 * private: refuses modes with any group/other bit (SOTTO_E_PERM) and
 * reads into secure memory. Free *buf with sotto_keyfile_free. */
int sotto_keyfile_read(const char *path, int private, uint8_t **buf,
    size_t *len, char *err, size_t err_len);
void sotto_keyfile_free(uint8_t *buf, int private);

/* Load files. Private: refuses modes with any group/other bit
 * (SOTTO_E_PERM), as ssh does; both refuse files over SOTTO_KEYFILE_MAX. */
int sotto_identity_load(const char *path, struct sotto_ed25519 **key,
    char **comment, char *err, size_t err_len);
int sotto_pubkey_load(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len);

#endif

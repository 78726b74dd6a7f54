/* SPDX-License-Identifier: ISC */
/* keygen.c: sotto-keygen, which makes, shows, fingerprints and re-protects OpenSSH ed25519 identity keys, and sets a user up. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "passphrase.h"
#include "sshkey.h"
#include "userinit.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

#define PROG           "sotto-keygen"
#define EXIT_USAGE     2
#define ERR_LEN        512
#define PEM_BEGIN      "-----BEGIN "
#define PEM_BEGIN_LEN  (sizeof(PEM_BEGIN) - 1)
#define HOST_MAX       256

enum mode { MODE_GENERATE, MODE_FINGERPRINT, MODE_PUBLIC, MODE_PASSWD,
    MODE_INIT };

struct opts {
	enum mode            mode;
	const char          *file;
	const char          *comment;
	const char          *new_pass;     /* -N, NULL: ask (or none) */
	const char          *old_pass;     /* -P, NULL: ask */
	unsigned             rounds;       /* -a */
	enum sotto_keycipher cipher;       /* -Z */
	int                  force;
	int                  quiet;        /* -q */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " -f FILE [-t ed25519] [-C COMMENT] [-N PASS] [-a ROUNDS]\n"
	    "                    [-Z CIPHER] [-q] [--force]     make an ed25519 identity\n"
	    "       " PROG " -p -f FILE [-P OLD] [-N NEW] [-a ROUNDS] [-Z CIPHER]\n"
	    "                                                  change its passphrase\n"
	    "       " PROG " -l -f FILE                      print its fingerprint\n"
	    "       " PROG " -y -f FILE [-P PASS]            print its public key line\n"
	    "       " PROG "                                 set up this user (as sotto --init)\n"
	    "       " PROG " --help | --version\n"
	    "\n"
	    "Writes FILE (OpenSSH private key, mode 0600) and FILE.pub; both work\n"
	    "with ssh-keygen and ssh-add. Without -N the passphrase is asked on the\n"
	    "terminal (empty for none; no terminal: none). -a sets the bcrypt rounds\n"
	    "(default %u), -Z the cipher: aes256-ctr (default) or\n"
	    "aes256-gcm@openssh.com. An existing key is only replaced after a yes on\n"
	    "the terminal, or with --force. The default comment is user@host.\n",
	    SOTTO_KDF_ROUNDS_DEFAULT);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One usage error: a line, the usage, exit status 2. */
static int
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return -1;
}

static int
parse_rounds(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < 1 ||
	    v > SOTTO_KDF_ROUNDS_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
parse_cipher(const char *s, enum sotto_keycipher *out)
{
	if (strcmp(s, "aes256-ctr") == 0)
		*out = SOTTO_KEYCIPHER_AES256_CTR;
	else if (strcmp(s, "aes256-gcm@openssh.com") == 0)
		*out = SOTTO_KEYCIPHER_AES256_GCM;
	else
		return -1;
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "force",   no_argument, NULL, 'F' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, l = 0, y = 0, p = 0, gen_only = 0;

	memset(o, 0, sizeof(*o));
	o->rounds = SOTTO_KDF_ROUNDS_DEFAULT;
	o->cipher = SOTTO_KEYCIPHER_AES256_CTR;
	if (argc == 1) {
		o->mode = MODE_INIT;
		return 0;
	}
	while ((c = getopt_long(argc, argv, "f:C:lypt:N:P:a:Z:qh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'C': o->comment = optarg; gen_only = 1; break;
		case 'l': l = 1; break;
		case 'y': y = 1; break;
		case 'p': p = 1; break;
		case 't':
			if (strcmp(optarg, "ed25519") != 0)
				return bad_usage("key type %s is not supported: "
				    "sotto identities are ed25519 keys (-t ed25519)",
				    optarg);
			gen_only = 1;
			break;
		case 'N': o->new_pass = optarg; break;
		case 'P': o->old_pass = optarg; break;
		case 'a':
			if (parse_rounds(optarg, &o->rounds) != 0)
				return bad_usage("-a %s: expected 1..100000 bcrypt "
				    "rounds", optarg);
			break;
		case 'Z':
			if (parse_cipher(optarg, &o->cipher) != 0)
				return bad_usage("-Z %s: expected aes256-ctr or "
				    "aes256-gcm@openssh.com", optarg);
			break;
		case 'q': o->quiet = 1; break;
		case 'F': o->force = 1; gen_only = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " SOTTO_VERSION "\n"); exit(0);
		default:  usage(stderr); return -1;
		}
	}
	if (optind != argc || o->file == NULL || l + y + p > 1 ||
	    ((l || y || p) && gen_only) || ((l || y) && o->new_pass != NULL) ||
	    (l && o->old_pass != NULL)) {
		usage(stderr);
		return -1;
	}
	o->mode = l ? MODE_FINGERPRINT : y ? MODE_PUBLIC : p ? MODE_PASSWD :
	    MODE_GENERATE;
	return 0;
}

/* --- -l and -y ---------------------------------------------------------------- */

/* Whether the file starts like an armoured private key. Reads only the
 * first bytes, so no key material is read outside secure memory. */
static int
looks_private(const char *path)
{
	char head[PEM_BEGIN_LEN];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return 0;   /* the loader reports the error */
	n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, PEM_BEGIN, PEM_BEGIN_LEN) == 0;
}

/* An encrypted key's comment is encrypted too: take it from FILE.pub
 * when that holds the same key (ssh-keygen -l does the same). */
static void
pub_comment(const char *path, const uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment)
{
	uint8_t have[SOTTO_ED25519_PUB];
	char pub_path[PATH_MAX], *c = NULL;

	if ((size_t)snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >=
	    sizeof(pub_path) ||
	    sotto_pubkey_load(pub_path, have, &c, NULL, 0) != 0)
		return;
	if (memcmp(have, pub, SOTTO_ED25519_PUB) == 0)
		*comment = c;
	else
		free(c);
}

/* The public key and comment of FILE, which may be either key file; an
 * encrypted private key's public part is read without its passphrase. */
static int
load_any(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_keyinfo info;
	uint8_t *buf;
	size_t len;
	int r;

	*comment = NULL;
	if (!looks_private(path))
		return sotto_pubkey_load(path, pub, comment, err, err_len);
	if ((r = sotto_keyfile_read(path, 1, &buf, &len, err, err_len)) != 0)
		return r;
	r = sotto_identity_parse(path, buf, len, &k, comment, err, err_len);
	if (r == 0)
		memcpy(pub, sotto_ed25519_pub(k), SOTTO_ED25519_PUB);
	else if (r == SOTTO_E_NEEDPASS &&
	    (r = sotto_identity_info(path, buf, len, &info, err, err_len)) == 0)
		memcpy(pub, info.pub, SOTTO_ED25519_PUB);
	sotto_ed25519_free(k);
	sotto_keyfile_free(buf, 1);
	if (r == 0 && *comment == NULL)
		pub_comment(path, pub, comment);
	return r;
}

static int
cmd_fingerprint(const struct opts *o)
{
	uint8_t pub[SOTTO_ED25519_PUB];
	char fpr[SOTTO_FPR_STR_LEN], err[ERR_LEN], *comment = NULL;

	if (load_any(o->file, pub, &comment, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	sotto_fingerprint_str(pub, fpr);
	/* ssh-keygen -l's layout: bits, fingerprint, comment, type. */
	printf("256 %s %s (ED25519)\n", fpr, comment ? comment : "no comment");
	free(comment);
	return 0;
}

/* The private key of FILE: -P's passphrase (one try), else asked as the
 * client asks (three tries). */
static int
load_private(const struct opts *o, struct sotto_ed25519 **k, char **comment,
    char *err, size_t err_len)
{
	struct sotto_keyopen ko = { NULL, 0, 0 };

	if (o->old_pass == NULL)
		return sotto_identity_unlock(o->file, k, comment, err, err_len);
	ko.pass = (const uint8_t *)o->old_pass;
	ko.pass_len = strlen(o->old_pass);
	if (ko.pass_len == 0)
		ko.pass = NULL;   /* -P '': the key must be unencrypted */
	return sotto_identity_load_pass(o->file, &ko, k, comment, err, err_len);
}

static int
cmd_public(const struct opts *o)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_wbuf line;
	char err[ERR_LEN], *comment = NULL;
	int r;

	if (!looks_private(o->file) && access(o->file, R_OK) == 0) {
		fprintf(stderr, PROG ": %s: this is a public key already; -y "
		    "prints the public line of a private key file\n", o->file);
		return 1;
	}
	if (load_private(o, &k, &comment, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	sotto_wbuf_init(&line, 0);
	r = sotto_sshpub_format(&line, sotto_ed25519_pub(k), comment);
	if (r == 0 && fwrite(line.p, 1, line.len, stdout) != line.len)
		r = SOTTO_E_IO;
	if (r != 0)
		fprintf(stderr, PROG ": %s: %s\n", o->file, sotto_strerror(r));
	sotto_wbuf_free(&line);
	sotto_ed25519_free(k);
	free(comment);
	return r == 0 ? 0 : 1;
}

/* --- generating ---------------------------------------------------------------- */

static char *
default_comment(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");
	char host[HOST_MAX], *out;
	size_t n;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (user == NULL || user[0] == '\0')
		user = "sotto";
	n = strlen(user) + 1 + strlen(host) + 1;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s@%s", user, host);
	return out;
}

/* y/n on the terminal, as ssh-keygen asks. */
static int
confirm_overwrite(const char *path)
{
	char answer[16];

	fprintf(stderr, "%s already exists.\nOverwrite (y/n)? ", path);
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* Refuse to replace an existing key unless told to; clear the way if so. */
static int
make_room(const struct opts *o, const char *pub_path)
{
	struct stat st;
	const char *existing = NULL;

	if (lstat(o->file, &st) == 0)
		existing = o->file;
	else if (lstat(pub_path, &st) == 0)
		existing = pub_path;
	if (existing == NULL)
		return 0;
	if (!o->force) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, PROG ": %s already exists; use --force to "
			    "overwrite it\n", existing);
			return -1;
		}
		if (!confirm_overwrite(existing)) {
			fprintf(stderr, PROG ": not overwriting %s\n", existing);
			return -1;
		}
	}
	if ((unlink(o->file) != 0 && errno != ENOENT) ||
	    (unlink(pub_path) != 0 && errno != ENOENT)) {
		fprintf(stderr, PROG ": cannot remove the old key: %s\n",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
askpass_forced(void)
{
	const char *force = getenv("SSH_ASKPASS_REQUIRE");

	return force != NULL && strcmp(force, "force") == 0;
}

/* The new passphrase: -N's, else asked twice on the terminal (as
 * ssh-keygen: only when stdin is a terminal or askpass is forced), else
 * none. *pass is secure memory or NULL. */
static int
new_passphrase(const struct opts *o, char **pass, size_t *len)
{
	char err[ERR_LEN], *again = NULL;
	size_t again_len;
	int r;

	*pass = NULL;
	*len = 0;
	if (o->new_pass != NULL) {
		*len = strlen(o->new_pass);
		if ((*pass = sotto_secure_alloc(SOTTO_PASSPHRASE_BUF)) == NULL ||
		    *len >= SOTTO_PASSPHRASE_BUF) {
			fprintf(stderr, PROG ": -N: passphrase too long\n");
			return -1;
		}
		memcpy(*pass, o->new_pass, *len);
		return 0;
	}
	if (!isatty(STDIN_FILENO) && !askpass_forced())
		return 0;
	r = sotto_passphrase_read("Enter passphrase (empty for no passphrase): ",
	    pass, len, err, sizeof(err));
	if (r == 0 && *len > 0)
		r = sotto_passphrase_read("Enter same passphrase again: ", &again,
		    &again_len, err, sizeof(err));
	if (r == 0 && again != NULL && (again_len != *len ||
	    sotto_ct_memcmp(again, *pass, *len) != 0)) {
		snprintf(err, sizeof(err), "passphrases do not match; try again");
		r = SOTTO_E_BADPASS;
	}
	sotto_passphrase_free(again);
	if (r == SOTTO_E_NOTFOUND)
		return 0;
	if (r != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		sotto_passphrase_free(*pass);
		*pass = NULL;
		*len = 0;
		return -1;
	}
	return 0;
}

/* Both files' text, made before anything on disk is touched. */
static int
encode_pair(const struct opts *o, const struct sotto_ed25519 *k,
    const char *comment, const char *pass, size_t pass_len,
    struct sotto_wbuf *priv, struct sotto_wbuf *pub)
{
	struct sotto_keyseal s = { (const uint8_t *)pass, pass_len, o->rounds,
	    o->cipher };

	if (sotto_sshpriv_format_sealed(priv, k, comment, &s) != 0 ||
	    sotto_sshpub_format(pub, sotto_ed25519_pub(k), comment) != 0) {
		fprintf(stderr, PROG ": cannot encode the key: the comment must be "
		    "UTF-8 without control characters, at most %u bytes\n",
		    SOTTO_COMMENT_MAX);
		return -1;
	}
	return 0;
}

static int
write_pair(const char *path, const char *pub_path,
    const struct sotto_wbuf *priv, const struct sotto_wbuf *pub)
{
	if (sotto_write_new_file(path, 0600, priv->p, priv->len) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (sotto_write_new_file(pub_path, 0644, pub->p, pub->len) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", pub_path, strerror(errno));
		unlink(path);   /* half a pair is no key */
		return -1;
	}
	return 0;
}

static int
cmd_generate(const struct opts *o)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_wbuf priv, pub;
	char pub_path[PATH_MAX], fpr[SOTTO_FPR_STR_LEN], *dflt = NULL;
	char *pass = NULL;
	size_t pass_len = 0;
	const char *comment = o->comment;
	int r = 1;

	sotto_wbuf_init_secure(&priv, SOTTO_KEYFILE_MAX);
	sotto_wbuf_init(&pub, SOTTO_KEYFILE_MAX);
	if ((size_t)snprintf(pub_path, sizeof(pub_path), "%s.pub", o->file) >=
	    sizeof(pub_path)) {
		fprintf(stderr, PROG ": %s: path too long\n", o->file);
		goto out;
	}
	if (comment == NULL && (comment = dflt = default_comment()) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (sotto_ed25519_generate(&k) != 0) {
		fprintf(stderr, PROG ": key generation failed\n");
		goto out;
	}
	/* Overwrite confirmed before the passphrase is asked, as ssh-keygen. */
	if (make_room(o, pub_path) != 0 ||
	    new_passphrase(o, &pass, &pass_len) != 0 ||
	    encode_pair(o, k, comment, pass, pass_len, &priv, &pub) != 0 ||
	    write_pair(o->file, pub_path, &priv, &pub) != 0)
		goto out;
	sotto_fingerprint_str(sotto_ed25519_pub(k), fpr);
	if (!o->quiet)
		printf("Your identification has been saved in %s\n"
		    "Your public key has been saved in %s\n"
		    "The key fingerprint is:\n%s %s\n", o->file, pub_path, fpr,
		    comment);
	r = 0;
 out:
	sotto_passphrase_free(pass);
	sotto_wbuf_free(&priv);   /* secure: wiped */
	sotto_wbuf_free(&pub);
	sotto_ed25519_free(k);
	free(dflt);
	return r;
}

/* -p: the same key and comment under a new passphrase, replacing FILE
 * atomically (a new file renamed over it). */
static int
cmd_passwd(const struct opts *o)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_wbuf priv, pub;
	char err[ERR_LEN], tmp[PATH_MAX], *comment = NULL, *pass = NULL;
	size_t pass_len = 0;
	int r = 1;

	sotto_wbuf_init_secure(&priv, SOTTO_KEYFILE_MAX);
	sotto_wbuf_init(&pub, SOTTO_KEYFILE_MAX);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", o->file) >= sizeof(tmp)) {
		fprintf(stderr, PROG ": %s: path too long\n", o->file);
		goto out;
	}
	if (load_private(o, &k, &comment, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	if (o->new_pass == NULL && !isatty(STDIN_FILENO) &&
	    !askpass_forced()) {
		/* Never drop a passphrase because nobody could be asked. */
		fprintf(stderr, PROG ": %s: no terminal to ask for the new "
		    "passphrase; give it with -N (-N '' for none)\n", o->file);
		goto out;
	}
	if (new_passphrase(o, &pass, &pass_len) != 0 ||
	    encode_pair(o, k, comment, pass, pass_len, &priv, &pub) != 0)
		goto out;
	unlink(tmp);
	if (sotto_write_new_file(tmp, 0600, priv.p, priv.len) != 0 ||
	    rename(tmp, o->file) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", o->file, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (!o->quiet)
		printf("Your identification has been saved with the new "
		    "passphrase.\n");
	r = 0;
 out:
	sotto_passphrase_free(pass);
	sotto_wbuf_free(&priv);
	sotto_wbuf_free(&pub);
	sotto_ed25519_free(k);
	free(comment);
	return r;
}

/* No flags: what sotto --init does. */
static int
cmd_init(void)
{
	struct sotto_init_report rep;
	char err[ERR_LEN];

	if (sotto_user_init(NULL, NULL, &rep, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	sotto_init_print(stdout, &rep);
	sotto_init_report_free(&rep);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;

	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (sotto_crypto_init() != 0) {
		fprintf(stderr, PROG ": libgcrypt initialisation failed\n");
		return 1;
	}
	switch (o.mode) {
	case MODE_FINGERPRINT: return cmd_fingerprint(&o);
	case MODE_PUBLIC:      return cmd_public(&o);
	case MODE_PASSWD:      return cmd_passwd(&o);
	case MODE_INIT:        return cmd_init();
	case MODE_GENERATE:    break;
	}
	return cmd_generate(&o);
}

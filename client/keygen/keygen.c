/* keygen.c: sotto-keygen, which makes, shows and fingerprints OpenSSH ed25519 identity keys. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "unknown"
#endif

#define PROG           "sotto-keygen"
#define EXIT_USAGE     2
#define ERR_LEN        512
#define PEM_BEGIN      "-----BEGIN "
#define PEM_BEGIN_LEN  (sizeof(PEM_BEGIN) - 1)
#define HOST_MAX       256

enum mode { MODE_GENERATE, MODE_FINGERPRINT, MODE_PUBLIC };

struct opts {
	enum mode   mode;
	const char *file;
	const char *comment;
	int         force;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " -f FILE [-C COMMENT] [--force]   make an ed25519 identity\n"
	    "       " PROG " -l -f FILE                      print its fingerprint\n"
	    "       " PROG " -y -f FILE                      print its public key line\n"
	    "       " PROG " --help | --version\n"
	    "\n"
	    "Writes FILE (OpenSSH private key, mode 0600) and FILE.pub; both work\n"
	    "with ssh-keygen. An existing key is only replaced after a yes on the\n"
	    "terminal, or with --force. The default comment is user@host.\n");
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
	int c, l = 0, y = 0;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "f:C:lyh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'C': o->comment = optarg; break;
		case 'l': l = 1; break;
		case 'y': y = 1; break;
		case 'F': o->force = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(PROG " " SOTTO_VERSION "\n"); exit(0);
		default:  usage(stderr); return -1;
		}
	}
	if (optind != argc || o->file == NULL || (l && y) ||
	    ((l || y) && (o->comment != NULL || o->force))) {
		usage(stderr);
		return -1;
	}
	o->mode = l ? MODE_FINGERPRINT : y ? MODE_PUBLIC : MODE_GENERATE;
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

/* The public key and comment of FILE, which may be either key file. */
static int
load_any(const char *path, uint8_t pub[static SOTTO_ED25519_PUB],
    char **comment, char *err, size_t err_len)
{
	struct sotto_ed25519 *k = NULL;
	int r;

	if (!looks_private(path))
		return sotto_pubkey_load(path, pub, comment, err, err_len);
	if ((r = sotto_identity_load(path, &k, comment, err, err_len)) != 0)
		return r;
	memcpy(pub, sotto_ed25519_pub(k), SOTTO_ED25519_PUB);
	sotto_ed25519_free(k);
	return 0;
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

static int
cmd_public(const struct opts *o)
{
	struct sotto_ed25519 *k = NULL;
	struct sotto_wbuf line;
	char err[ERR_LEN], *comment = NULL;
	int r;

	if (sotto_identity_load(o->file, &k, &comment, err, sizeof(err)) != 0) {
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

/* Create path afresh (O_EXCL: never through a planted symlink) with
 * exactly `mode`, whatever the umask, and write p[0..n). */
static int
write_new_file(const char *path, mode_t mode, const uint8_t *p, size_t n)
{
	size_t off = 0;
	ssize_t w;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < n) {
		if ((w = write(fd, p + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	return close(fd);
 fail:
	saved = errno;
	close(fd);
	unlink(path);
	errno = saved;
	return -1;
}

/* Both files' text, made before anything on disk is touched. */
static int
encode_pair(const struct sotto_ed25519 *k, const char *comment,
    struct sotto_wbuf *priv, struct sotto_wbuf *pub)
{
	if (sotto_sshpriv_format(priv, k, comment) != 0 ||
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
	if (write_new_file(path, 0600, priv->p, priv->len) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write_new_file(pub_path, 0644, pub->p, pub->len) != 0) {
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
	if (encode_pair(k, comment, &priv, &pub) != 0 ||
	    make_room(o, pub_path) != 0 ||
	    write_pair(o->file, pub_path, &priv, &pub) != 0)
		goto out;
	sotto_fingerprint_str(sotto_ed25519_pub(k), fpr);
	printf("Your identification has been saved in %s\n"
	    "Your public key has been saved in %s\n"
	    "The key fingerprint is:\n%s %s\n", o->file, pub_path, fpr, comment);
	r = 0;
 out:
	sotto_wbuf_free(&priv);   /* secure: wiped */
	sotto_wbuf_free(&pub);
	sotto_ed25519_free(k);
	free(dflt);
	return r;
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
	case MODE_GENERATE:    break;
	}
	return cmd_generate(&o);
}

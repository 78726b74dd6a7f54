/* SPDX-License-Identifier: ISC */
/* test_identity.c: passphrase entry through SSH_ASKPASS (and its absence), three tries, the XDG default paths, a second identity for a UI window. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "passphrase.h"
#include "paths.h"
#include "sshkey.h"
#include "trust.h"
#include "userinit.h"

static char root[64];

static char *
at(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", root, name);
	return path[i];
}

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	chmod(path, mode);
}

static int
lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* An askpass that logs its prompt and answers line N of `answers` on
 * its Nth run (an empty line when out of answers). */
static void
askpass_setup(const char *answers)
{
	char script[1024];

	snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "printf '%%s\\n' \"$1\" >> %s\n"
	    "n=$(wc -l < %s)\n"
	    "sed -n \"${n}p\" %s\n", at("prompts"), at("prompts"), at("answers"));
	put(at("askpass"), script, 0755);
	put(at("answers"), answers, 0644);
	unlink(at("prompts"));
	setenv("SSH_ASKPASS", at("askpass"), 1);
	setenv("SSH_ASKPASS", at("askpass"), 1);
	setenv("SSH_ASKPASS_REQUIRE", "force", 1);
}

static void
test_askpass(void)
{
	char *p = NULL, err[256];
	size_t n;

	askpass_setup("s3cret\n");
	CHECK_EQ(sotto_passphrase_read("Enter it: ", &p, &n, err, sizeof(err)), 0);
	CHECK(p != NULL && strcmp(p, "s3cret") == 0 && n == 6);
	CHECK(sotto_crypto_is_secure(p));
	sotto_passphrase_free(p);
	CHECK_EQ(lines(at("prompts")), 1);
	/* A cancelled askpass (non-zero exit). */
	put(at("askpass"), "#!/bin/sh\necho typed; exit 1\n", 0755);
	CHECK_EQ(sotto_passphrase_read("x", &p, &n, err, sizeof(err)),
	    SOTTO_E_CANCELLED);
	CHECK(p == NULL && strstr(err, "was cancelled") != NULL);
	/* An answer longer than the buffer. */
	put(at("askpass"), "#!/bin/sh\nhead -c 5000 /dev/zero | tr '\\0' a\n", 0755);
	CHECK_EQ(sotto_passphrase_read("x", &p, &n, err, sizeof(err)),
	    SOTTO_E_TOOLONG);
	/* A program that cannot run. */
	setenv("SSH_ASKPASS", at("no-such-askpass"), 1);
	CHECK_EQ(sotto_passphrase_read("x", &p, &n, err, sizeof(err)),
	    SOTTO_E_CANCELLED);
	CHECK(strstr(err, "could not be run") != NULL);
}

/* Without a controlling terminal (a child in its own session): askpass
 * only when allowed, else one clear error. */
static int
no_tty_case(const char *require, const char *display, int askpass)
{
	pid_t pid;
	int status;

	askpass_setup("s3cret\n");
	pid = fork();

	if (pid == 0) {
		char *p, err[256];
		size_t n;
		int r;
		setsid();
		if (require) setenv("SSH_ASKPASS_REQUIRE", require, 1);
		else unsetenv("SSH_ASKPASS_REQUIRE");
		if (display) setenv("DISPLAY", display, 1);
		else unsetenv("DISPLAY");
		unsetenv("WAYLAND_DISPLAY");
		if (!askpass)
			unsetenv("SSH_ASKPASS");   /* else askpass_setup's */
		r = sotto_passphrase_read("p: ", &p, &n, err, sizeof(err));
		if (r == 0) {
			r = strcmp(p, "s3cret") == 0 ? 0 : 99;
			sotto_passphrase_free(p);
			_exit(r);
		}
		_exit(r == SOTTO_E_NOTFOUND && strstr(err, "no terminal") ? 10 : 98);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_no_tty(void)
{
	CHECK_EQ(no_tty_case(NULL, NULL, 1), 10);     /* no display */
	CHECK_EQ(no_tty_case(NULL, ":0", 1), 0);      /* display */
	CHECK_EQ(no_tty_case("prefer", NULL, 1), 10);
	CHECK_EQ(no_tty_case("force", NULL, 1), 0);
	CHECK_EQ(no_tty_case("never", ":0", 1), 10);
	CHECK_EQ(no_tty_case("force", NULL, 0), 10);           /* unset */
}

static void
write_key(const char *path, const char *pass, struct sotto_ed25519 **k)
{
	struct sotto_keyseal s = { (const uint8_t *)pass, strlen(pass), 1,
	    SOTTO_KEYCIPHER_AES256_CTR };
	struct sotto_wbuf w;

	CHECK_EQ(sotto_ed25519_generate(k), 0);
	sotto_wbuf_init_secure(&w, SOTTO_KEYFILE_MAX);
	CHECK_EQ(sotto_sshpriv_format_sealed(&w, *k, "me", &s), 0);
	sotto_wbuf_u8(&w, 0);
	put(path, (const char *)w.p, 0600);
	sotto_wbuf_free(&w);
}

static void
test_tries(void)
{
	struct sotto_ed25519 *k, *got = NULL;
	char err[512], *comment = NULL, path[256];

	snprintf(path, sizeof(path), "%s", at("id_enc"));

	write_key(path, "right", &k);
	/* Wrong three times: one line, three prompts, the third not a fourth. */
	askpass_setup("a\nb\nc\nright\n");
	CHECK_EQ(sotto_identity_unlock(path, &got, &comment, err, sizeof(err)),
	    SOTTO_E_BADPASS);
	CHECK(got == NULL);
	CHECK_EQ(lines(at("prompts")), 3);
	CHECK(strstr(err, "incorrect passphrase (3 tries)") != NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strchr(err, '\n') == NULL);
	/* Right on the second: the retry prompt says the first was wrong. */
	askpass_setup("a\nright\n");
	CHECK_EQ(sotto_identity_unlock(path, &got, &comment, err, sizeof(err)), 0);
	CHECK(got != NULL && memcmp(sotto_ed25519_pub(got), sotto_ed25519_pub(k),
	    32) == 0);
	CHECK_STR(comment, "me");
	CHECK_EQ(lines(at("prompts")), 2);
	{
		FILE *f = fopen(at("prompts"), "r");
		char l1[300] = "", l2[300] = "";
		if (f != NULL) {
			CHECK(fgets(l1, sizeof(l1), f) && fgets(l2, sizeof(l2), f));
			fclose(f);
		}
		CHECK(strstr(l1, "Enter passphrase for key '") == l1);
		CHECK(strstr(l2, "Bad passphrase, try again") == l2);
	}
	sotto_ed25519_free(got);
	free(comment);
	/* An empty answer gives up at once. */
	askpass_setup("\nright\n");
	CHECK_EQ(sotto_identity_unlock(path, &got, NULL, err, sizeof(err)),
	    SOTTO_E_CANCELLED);
	CHECK_EQ(lines(at("prompts")), 1);
	/* Through sotto_identity_open without an agent: the same file path. */
	unsetenv("SSH_AUTH_SOCK");
	askpass_setup("right\n");
	{
		struct sotto_identity *id = NULL;
		CHECK_EQ(sotto_identity_open(path, SOTTO_AGENT_AUTO, &id, err,
		    sizeof(err)), 0);
		CHECK(id != NULL && id->key != NULL && id->agent == NULL);
		if (id != NULL)
			CHECK_MEM(id->pub, sotto_ed25519_pub(k), 32);
		sotto_identity_free(id);
		/* --agent, or a .pub, without an agent: one clear line. */
		CHECK_EQ(sotto_identity_open(path, SOTTO_AGENT_ONLY, &id, err,
		    sizeof(err)), SOTTO_E_NOTFOUND);
		CHECK(strstr(err, "SSH_AUTH_SOCK is not set") != NULL);
	}
	/* An unencrypted key never runs askpass. */
	{
		struct sotto_ed25519 *k2;
		struct sotto_wbuf w;
		CHECK_EQ(sotto_ed25519_generate(&k2), 0);
		sotto_wbuf_init_secure(&w, SOTTO_KEYFILE_MAX);
		CHECK_EQ(sotto_sshpriv_format(&w, k2, NULL), 0);
		sotto_wbuf_u8(&w, 0);
		put(at("id_plain"), (const char *)w.p, 0600);
		sotto_wbuf_free(&w);
		askpass_setup("x\n");
		CHECK_EQ(sotto_identity_unlock(at("id_plain"), &got, NULL, err,
		    sizeof(err)), 0);
		CHECK_EQ(lines(at("prompts")), 0);
		sotto_ed25519_free(got);
		sotto_ed25519_free(k2);
	}
	sotto_ed25519_free(k);
}

static void
test_paths(void)
{
	struct sotto_paths p;
	struct sotto_ed25519 *k;
	char err[256], want[512];

	setenv("HOME", at("home"), 1);
	mkdir(at("home"), 0755);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	/* No variables: ~/.config and ~/.local/state. */
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/.config/sotto", at("home"));
	CHECK_STR(p.config_dir, want);
	snprintf(want, sizeof(want), "%s/.config/sotto/trusted", at("home"));
	CHECK_STR(p.trusted, want);
	snprintf(want, sizeof(want), "%s/.config/sotto/id_ed25519", at("home"));
	CHECK_STR(p.identity, want);
	CHECK_EQ(p.identity_from_ssh, 0);
	snprintf(want, sizeof(want), "%s/.local/state/sotto", at("home"));
	CHECK_STR(p.state_dir, want);
	sotto_paths_free(&p);
	/* With them; a relative value is ignored (XDG spec). */
	setenv("XDG_CONFIG_HOME", at("cfg"), 1);
	setenv("XDG_STATE_HOME", at("st"), 1);
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/sotto/trusted", at("cfg"));
	CHECK_STR(p.trusted, want);
	snprintf(want, sizeof(want), "%s/sotto", at("st"));
	CHECK_STR(p.state_dir, want);
	sotto_paths_free(&p);
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/.config/sotto", at("home"));
	CHECK_STR(p.config_dir, want);
	sotto_paths_free(&p);
	/* ~/.ssh/id_ed25519: used when it is an ed25519 key and sotto has
	 * none of its own; encrypted is fine (its public part is clear). */
	setenv("XDG_CONFIG_HOME", at("cfg"), 1);
	CHECK_EQ(sotto_mkdirs(at("home/.ssh"), 0700, err, sizeof(err)), 0);
	put(at("home/.ssh/id_ed25519"), "not a key\n", 0600);
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	CHECK_EQ(p.identity_from_ssh, 0);
	sotto_paths_free(&p);
	write_key(at("home/.ssh/id_ed25519"), "pw", &k);
	sotto_ed25519_free(k);
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	CHECK_EQ(p.identity_from_ssh, 1);
	CHECK_STR(p.identity, at("home/.ssh/id_ed25519"));
	sotto_paths_free(&p);
	CHECK_EQ(sotto_mkdirs(at("cfg/sotto"), 0700, err, sizeof(err)), 0);
	put(at("cfg/sotto/id_ed25519"), "x", 0600);
	CHECK_EQ(sotto_paths_default(&p, err, sizeof(err)), 0);
	CHECK_EQ(p.identity_from_ssh, 0);
	snprintf(want, sizeof(want), "%s/sotto/id_ed25519", at("cfg"));
	CHECK_STR(p.identity, want);
	sotto_paths_free(&p);
	/* mkdirs: nested, modes, idempotent; a file in the way fails. */
	CHECK_EQ(sotto_mkdirs(at("a/b/c"), 0700, err, sizeof(err)), 0);
	CHECK_EQ(sotto_mkdirs(at("a/b/c"), 0700, err, sizeof(err)), 0);
	{
		struct stat st;
		CHECK(stat(at("a/b"), &st) == 0 && (st.st_mode & 0777) == 0700);
	}
	put(at("file"), "x", 0644);
	CHECK_EQ(sotto_mkdirs(at("file/sub"), 0700, err, sizeof(err)), SOTTO_E_IO);
}

/* --init: folders, a key (passphrase asked twice), yourself trusted;
 * idempotent; never overwrites. */
static void
test_init(void)
{
	struct sotto_init_report rep;
	struct sotto_trust *t = NULL;
	struct sotto_keyinfo info;
	struct stat st;
	char err[512], id[512], self[512];
	uint8_t *buf;
	size_t len;

	setenv("HOME", at("inithome"), 1);
	mkdir(at("inithome"), 0755);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	askpass_setup("pw one\npw one\n");
	CHECK_EQ(sotto_user_init(NULL, NULL, &rep, err, sizeof(err)), 0);
	CHECK_EQ(rep.created, 1);
	CHECK_EQ(rep.encrypted, 1);
	CHECK_EQ(rep.self_added, 1);
	CHECK_EQ(lines(at("prompts")), 2);
	snprintf(id, sizeof(id), "%s/.config/sotto/id_ed25519", at("inithome"));
	CHECK_STR(rep.identity, id);
	CHECK(stat(id, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(rep.trusted_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(rep.state_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(strncmp(rep.fpr, "SHA256:", 7) == 0);
	CHECK(strncmp(rep.pub_line, "ssh-ed25519 ", 12) == 0);
	snprintf(self, sizeof(self), "%s", rep.self_file);
	/* The key is encrypted and the trusted folder loads with it. */
	CHECK_EQ(sotto_keyfile_read(id, 1, &buf, &len, err, sizeof(err)), 0);
	CHECK_EQ(sotto_identity_info("id", buf, len, &info, err, sizeof(err)), 0);
	sotto_keyfile_free(buf, 1);
	CHECK_EQ(info.cipher, SOTTO_KEYCIPHER_AES256_CTR);
	CHECK_EQ(sotto_trust_load(rep.trusted_dir, &t, err, sizeof(err)), 0);
	CHECK(t != NULL && t->n == 1 && sotto_trust_find(t, info.pub) != NULL);
	sotto_trust_free(t);
	sotto_init_report_free(&rep);
	/* Again: nothing new, nothing asked. */
	askpass_setup("x\n");
	CHECK_EQ(sotto_user_init(NULL, NULL, &rep, err, sizeof(err)), 0);
	CHECK_EQ(rep.created, 0);
	CHECK_EQ(rep.self_added, 0);
	CHECK_EQ(lines(at("prompts")), 0);
	sotto_init_report_free(&rep);
	/* Your NAME.pub holding another key is never overwritten. */
	unlink(self);
	put(self, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII6x+9FcaA6fcW1mIWmS0yqTAtqWutISUxu0kuSWVD+a x\n", 0644);
	CHECK_EQ(sotto_user_init(NULL, NULL, &rep, err, sizeof(err)), SOTTO_E_EXISTS);
	CHECK(strstr(err, "does not hold your key") != NULL);
	/* Mismatched passphrases: nothing written. */
	setenv("HOME", at("inithome2"), 1);
	mkdir(at("inithome2"), 0755);
	askpass_setup("one\ntwo\n");
	CHECK_EQ(sotto_user_init(NULL, NULL, &rep, err, sizeof(err)), SOTTO_E_BADPASS);
	snprintf(id, sizeof(id), "%s/.config/sotto/id_ed25519", at("inithome2"));
	CHECK(stat(id, &st) != 0);
	/* No way to ask: an unencrypted key, flags honoured. */
	unsetenv("SSH_ASKPASS");
	{
		pid_t pid = fork();
		int status;
		if (pid == 0) {
			setsid();
			unsetenv("SSH_ASKPASS_REQUIRE");
			unsetenv("DISPLAY");
			_exit(sotto_user_init(at("flag_id"), at("flag_trusted"), &rep,
			    err, sizeof(err)) == 0 && rep.created && !rep.encrypted ?
			    0 : 1);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK(stat(at("flag_id"), &st) == 0 && stat(at("flag_id.pub"), &st) == 0);
		CHECK(stat(at("flag_trusted"), &st) == 0);
	}
}

/* A second identity for a UI window: the key in its own secure memory,
 * signing on after the first is freed; in agent mode a new connection. */
static void
test_dup(void)
{
	struct sotto_identity *id, *d = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t sig[SOTTO_ED25519_SIG];
	char err[256];
	int lfd;

	CHECK((id = calloc(1, sizeof(*id))) != NULL);
	CHECK_EQ(sotto_ed25519_generate(&id->key), 0);
	memcpy(id->pub, sotto_ed25519_pub(id->key), SOTTO_ED25519_PUB);
	CHECK((id->comment = strdup("me@laptop")) != NULL);
	CHECK_EQ(sotto_identity_dup(id, &d, err, sizeof(err)), 0);
	CHECK(d != NULL && d->key != NULL && d->key != id->key && d->agent == NULL);
	CHECK(d->comment != NULL && d->comment != id->comment &&
	    strcmp(d->comment, "me@laptop") == 0);
	CHECK(memcmp(d->pub, id->pub, SOTTO_ED25519_PUB) == 0);
	CHECK(sotto_ed25519_is_secure(d->key));
	sotto_identity_free(id);
	CHECK_EQ(sotto_ed25519_sign(d->key, "m", 1, sig), 0);
	CHECK_EQ(sotto_ed25519_verify(d->pub, "m", 1, sig), 0);

	/* Agent mode: a new connection to $SSH_AUTH_SOCK, no key copied. */
	id = d;
	d = NULL;
	sotto_ed25519_free(id->key);
	id->key = NULL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("agent.sock"));
	CHECK((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(lfd, 4), 0);
	CHECK_EQ(setenv("SSH_AUTH_SOCK", sa.sun_path, 1), 0);
	CHECK_EQ(sotto_identity_dup(id, &d, err, sizeof(err)), 0);
	CHECK(d != NULL && d->key == NULL && d->agent != NULL);
	CHECK(memcmp(d->pub, id->pub, SOTTO_ED25519_PUB) == 0);
	sotto_identity_free(d);
	d = NULL;
	close(lfd);
	CHECK_EQ(unsetenv("SSH_AUTH_SOCK"), 0);
	CHECK(sotto_identity_dup(id, &d, err, sizeof(err)) != 0);
	CHECK(d == NULL && strncmp(err, "ssh-agent: ", 11) == 0);
	sotto_identity_free(id);
}

int
main(void)
{
	char cmd[128];

	CHECK_EQ(sotto_crypto_init(), 0);
	snprintf(root, sizeof(root), "/tmp/sotto-test-identity-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	test_askpass();
	test_no_tty();
	test_tries();
	test_paths();
	test_init();
	test_dup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
	return check_summary();
}

/* SPDX-License-Identifier: ISC */
/* passphrase.c: read a passphrase from /dev/tty with echo off or from $SSH_ASKPASS, into secure memory. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "passphrase.h"

#define TTY_PATH "/dev/tty"

/* Signals that end a prompt: echo is restored before they act. */
static const int prompt_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
    SIGTTIN, SIGTTOU, SIGALRM, SIGPIPE };
#define N_PROMPT_SIGS (sizeof(prompt_sigs) / sizeof(prompt_sigs[0]))
static volatile sig_atomic_t caught_sig;

static int perr(char *err, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
perr(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

void
sotto_passphrase_free(char *p)
{
	sotto_secure_free(p, SOTTO_PASSPHRASE_BUF);
}

static int
env_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0';
}

/* --- the terminal -------------------------------------------------------------- */

static void
on_prompt_sig(int sig)
{
	caught_sig = sig;
}

static void
sigs_catch(struct sigaction old[static N_PROMPT_SIGS])
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_sig;   /* no SA_RESTART: read returns EINTR */
	sigemptyset(&sa.sa_mask);
	caught_sig = 0;
	for (i = 0; i < N_PROMPT_SIGS; i++)
		sigaction(prompt_sigs[i], &sa, &old[i]);
}

static void
sigs_restore(const struct sigaction old[static N_PROMPT_SIGS])
{
	size_t i;

	for (i = 0; i < N_PROMPT_SIGS; i++)
		sigaction(prompt_sigs[i], &old[i], NULL);
}

static void
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0 && ((w = write(fd, s, n)) > 0 || errno == EINTR))
		if (w > 0)
			s += w, n -= (size_t)w;
}

/* Read a line into buf (cap bytes with its NUL). 0, CANCELLED on EOF,
 * TOOLONG; *sig set when a signal ended it. */
static int
tty_read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int toolong = 0;
	ssize_t got;
	char c;

	for (;;) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR && caught_sig == 0)
			continue;
		if (got < 0 || caught_sig != 0)
			return SOTTO_E_IO;
		if (got == 0)
			return n == 0 ? SOTTO_E_CANCELLED : (buf[n] = '\0', *len = n, 0);
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			toolong = 1;
	}
	buf[n] = '\0';
	*len = n;
	return toolong ? SOTTO_E_TOOLONG : 0;
}

static int
tty_read(int fd, const char *prompt, char *buf, size_t *len, char *err,
    size_t err_len)
{
	struct sigaction old[N_PROMPT_SIGS];
	struct termios saved, quiet;
	int have_tio, r, sig;

	sigs_catch(old);
	have_tio = tcgetattr(fd, &saved) == 0;
	if (have_tio) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	write_all(fd, prompt, strlen(prompt));
	r = tty_read_line(fd, buf, SOTTO_PASSPHRASE_BUF, len);
	if (have_tio) {
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
		write_all(fd, "\n", 1);   /* the Enter echo did not show */
	}
	sig = caught_sig;
	sigs_restore(old);
	if (sig != 0) {
		sotto_wipe(buf, SOTTO_PASSPHRASE_BUF);
		raise(sig);   /* as it would have acted, echo now restored */
		return perr(err, err_len, SOTTO_E_CANCELLED, "passphrase "
		    "prompt interrupted");
	}
	if (r == SOTTO_E_TOOLONG)
		return perr(err, err_len, r, "passphrase is longer than %u bytes",
		    SOTTO_PASSPHRASE_BUF - 1);
	if (r == SOTTO_E_CANCELLED)
		return perr(err, err_len, r, "no passphrase given (end of input)");
	if (r != 0)
		return perr(err, err_len, r, "cannot read the passphrase from "
		    "the terminal: %s", strerror(errno));
	return 0;
}

/* --- SSH_ASKPASS ------------------------------------------------------------------ */

static int
askpass_read(const char *prog, const char *prompt, char *buf, size_t *len,
    char *err, size_t err_len)
{
	int pfd[2], status, toolong = 0;
	size_t n = 0;
	ssize_t got;
	char drain[64];
	pid_t pid;

	if (pipe(pfd) != 0)
		return perr(err, err_len, SOTTO_E_IO, "askpass: pipe: %s",
		    strerror(errno));
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return perr(err, err_len, SOTTO_E_IO, "askpass: fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execlp(prog, prog, prompt, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* Read to EOF; past the buffer, drain and remember it was too long. */
	for (;;) {
		int room = n + 1 < SOTTO_PASSPHRASE_BUF;
		got = room ? read(pfd[0], buf + n, SOTTO_PASSPHRASE_BUF - 1 - n) :
		    read(pfd[0], drain, sizeof(drain));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (room)
			n += (size_t)got;
		else
			toolong = 1;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*len = strlen(buf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sotto_wipe(buf, SOTTO_PASSPHRASE_BUF);
		return perr(err, err_len, SOTTO_E_CANCELLED, "askpass %s %s",
		    prog, WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		    "could not be run" : "was cancelled");
	}
	if (toolong) {
		sotto_wipe(buf, SOTTO_PASSPHRASE_BUF);
		return perr(err, err_len, SOTTO_E_TOOLONG, "passphrase is "
		    "longer than %u bytes", SOTTO_PASSPHRASE_BUF - 1);
	}
	return 0;
}

/* --- choosing ------------------------------------------------------------------------ */

int
sotto_passphrase_read(const char *prompt, char **out, size_t *len, char *err,
    size_t err_len)
{
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	const char *prog = getenv("SSH_ASKPASS");
	int allow = env_set("DISPLAY") || env_set("WAYLAND_DISPLAY");
	int use = 0, fd = -1, r;
	char *buf;

	*out = NULL;
	*len = 0;
	if (req != NULL && strcasecmp(req, "force") == 0)
		use = allow = 1;
	else if (req != NULL && strcasecmp(req, "prefer") == 0)
		use = allow;
	else if (req != NULL && strcasecmp(req, "never") == 0)
		allow = 0;
	if (!use && (fd = open(TTY_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		use = 1;
	if (use && (!allow || prog == NULL || *prog == '\0'))
		return perr(err, err_len, SOTTO_E_NOTFOUND, "no terminal to ask "
		    "for the passphrase; set SSH_ASKPASS (with "
		    "SSH_ASKPASS_REQUIRE=force without a display) or use ssh-agent");
	if ((buf = sotto_secure_alloc(SOTTO_PASSPHRASE_BUF)) == NULL) {
		if (fd >= 0)
			close(fd);
		return perr(err, err_len, SOTTO_E_ALLOC, "out of secure memory");
	}
	if (use)
		r = askpass_read(prog, prompt, buf, len, err, err_len);
	else
		r = tty_read(fd, prompt, buf, len, err, err_len);
	if (fd >= 0)
		close(fd);
	if (r != 0) {
		sotto_passphrase_free(buf);
		*len = 0;
		return r;
	}
	*out = buf;
	return 0;
}

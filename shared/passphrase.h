/* SPDX-License-Identifier: ISC */
/* passphrase.h: ask for a passphrase the way ssh does: the terminal with echo off, or SSH_ASKPASS.
 *
 * Which way (as OpenSSH's read_passphrase): SSH_ASKPASS_REQUIRE=force
 * always runs $SSH_ASKPASS; =prefer runs it when a display is set
 * (DISPLAY or WAYLAND_DISPLAY); =never never does. Otherwise the
 * controlling terminal (/dev/tty, never stdin, which batch mode uses) is
 * asked, and $SSH_ASKPASS only when there is none and a display is set.
 * The askpass program gets the prompt as its argument and prints the
 * passphrase on stdout; a non-zero exit is a cancel.
 */
#ifndef SOTTO_PASSPHRASE_H
#define SOTTO_PASSPHRASE_H

#include <stddef.h>

#define SOTTO_PASSPHRASE_BUF  1024u   /* longest passphrase read */

/* One passphrase into *out: secure memory, NUL-terminated, *len bytes
 * without the NUL; free with sotto_passphrase_free. SOTTO_E_CANCELLED on
 * EOF or a cancelled askpass; SOTTO_E_NOTFOUND when there is no way to
 * ask; SOTTO_E_TOOLONG when longer than SOTTO_PASSPHRASE_BUF - 1 bytes.
 * A signal during the terminal prompt restores echo and is re-raised. */
int sotto_passphrase_read(const char *prompt, char **out, size_t *len,
    char *err, size_t err_len);
void sotto_passphrase_free(char *p);

#endif

#!/bin/sh
# SPDX-License-Identifier: ISC
# encrypted.sh: sotto-keygen on ssh-keygen's passphrase-protected keys:
# -l needs no passphrase; -y takes it from -P, refuses a wrong one with one
# line, and with no way to ask says so in one line.
. "$(dirname "$0")/lib.sh" "$@"
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY WAYLAND_DISPLAY SSH_AUTH_SOCK

for z in aes256-ctr aes256-gcm@openssh.com; do
	rm -f E E.pub
	ssh-keygen -q -t ed25519 -a 3 -Z "$z" -N secret -C enc -f E
	got=$("$KEYGEN" -l -f E </dev/null) || fail "$z: -l refused the encrypted key"
	[ "$got" = "$(ssh-keygen -lf E.pub)" ] || fail "$z: -l: $got"
	got=$("$KEYGEN" -y -P secret -f E) || fail "$z: -y -P refused"
	[ "$got" = "$(cat E.pub)" ] || fail "$z: -y: $got"
	if "$KEYGEN" -y -P wrong -f E >out 2>err; then fail "$z: -y accepted a wrong -P"; fi
	[ "$(cat err)" = "sotto-keygen: E: incorrect passphrase" ] || fail "$z: $(cat err)"
	[ ! -s out ] || fail "$z: printed on stdout: $(cat out)"
done
# No -P, no terminal (own session), no askpass: one clear line, exit 1.
if setsid "$KEYGEN" -y -f E </dev/null >out 2>err; then fail "-y without a passphrase"; fi
[ "$(wc -l <err)" -eq 1 ] || fail "more than one line: $(cat err)"
grep -q "^sotto-keygen: E: no terminal to ask for the passphrase" err || fail "$(cat err)"
ok "$(cat err)"

#!/bin/sh
# encrypted.sh: a passphrase-protected key is refused with a clear message
# and a non-zero exit, by -l and -y alike.
. "$(dirname "$0")/lib.sh" "$@"

ssh-keygen -q -t ed25519 -N secret -f E
for flag in -l -y; do
	if "$KEYGEN" $flag -f E >out 2>err; then
		fail "$flag accepted an encrypted key: $(cat out)"
	fi
	grep -q "^sotto-keygen: E: passphrase-protected keys are not supported yet" err ||
		fail "$flag message: $(cat err)"
	[ ! -s out ] || fail "$flag printed on stdout: $(cat out)"
	[ "$(wc -l <err)" -eq 1 ] || fail "$flag: more than one error line"
done
ok "$(cat err)"

#!/bin/sh
# SPDX-License-Identifier: ISC
# encrypted_interop.sh: passphrase-protected keys between ssh-keygen and
# libsotto, both ways: ssh-keygen's keys (several -a rounds, aes256-ctr and
# aes256-gcm@openssh.com) open through SSH_ASKPASS with the right
# fingerprint; three wrong passphrases exit 1 with one line; truncated
# and corrupt files fail with one line; keys libsotto encrypts are read by
# ssh-keygen -y, and refused by it with a wrong passphrase.
# usage: encrypted_interop.sh SOTTO_KEYGEN IDENTITY_TOOL
. "$(dirname "$0")/lib.sh" "$@"
TOOL=${2:?usage: $0 SOTTO_KEYGEN IDENTITY_TOOL}

# An askpass answering line N of $T/answers on its Nth run.
cat >askpass <<EOS
#!/bin/sh
printf '%s\n' "\$1" >>"$T/prompts"
sed -n "\$(wc -l <"$T/prompts")p" "$T/answers"
EOS
chmod 755 askpass
export SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force
unset SSH_AUTH_SOCK
answers() { printf '%s\n' "$@" >answers; rm -f prompts; }

for cipher in aes256-ctr aes256-gcm@openssh.com; do
	for rounds in 1 8 24; do
		k="k-$rounds-${cipher%%-*}-${cipher#*-}"
		ssh-keygen -q -t ed25519 -a "$rounds" -Z "$cipher" -N "pw $rounds" \
		    -C "$k" -f "$k"
		answers "pw $rounds"
		got=$("$TOOL" open "$k") || fail "$k: did not open"
		want=$(fpr_of "$(ssh-keygen -lf "$k.pub")")
		[ "$got" = "$want file" ] || fail "$k: '$got' != '$want file'"
		[ "$(wc -l <prompts)" -eq 1 ] || fail "$k: asked more than once"
		grep -q "^Enter passphrase for key '$k': \$" prompts ||
		    fail "$k: prompt was: $(cat prompts)"
	done
done
ok "ssh-keygen's encrypted keys open (-a 1/8/24, ctr and gcm)"

# Three wrong passphrases: exit 1, one line, three prompts.
answers no nope nah "pw 1"
if "$TOOL" open k-1-aes256-ctr >out 2>err; then fail "wrong passphrases accepted"; fi
[ "$(wc -l <err)" -eq 1 ] || fail "wrong passphrases: $(cat err)"
grep -q "k-1-aes256-ctr: incorrect passphrase (3 tries)" err || fail "$(cat err)"
[ "$(wc -l <prompts)" -eq 3 ] || fail "$(wc -l <prompts) prompts, not 3"
[ "$(sed -n 2p prompts)" = "Bad passphrase, try again for key 'k-1-aes256-ctr': " ] ||
    fail "retry prompt: $(sed -n 2p prompts)"
ok "three wrong passphrases: $(cat err)"

# Truncated and corrupt files: one line each, never a crash.
for cut in 40 120 200 300 380; do
	head -c "$cut" k-1-aes256-gcm@openssh.com >cut && chmod 600 cut
	answers "pw 1"
	if "$TOOL" open cut >out 2>err; then fail "truncated at $cut accepted"; fi
	[ "$(wc -l <err)" -eq 1 ] || fail "truncated at $cut: $(cat err)"
done
# One base64 character changed inside the encrypted part of each cipher.
for k in k-1-aes256-ctr k-1-aes256-gcm@openssh.com; do
	awk 'NR==4 { $0 = substr($0, 1, 10) (substr($0, 11, 1) == "A" ? "B" : "A") substr($0, 12) } { print }' \
	    "$k" >bad && chmod 600 bad
	answers "pw 1" "pw 1" "pw 1"
	if "$TOOL" open bad >out 2>err; then fail "$k corrupted accepted"; fi
	[ "$(wc -l <err)" -eq 1 ] || fail "$k corrupted: $(cat err)"
done
ok "truncated/corrupt: $(cat err)"

# libsotto writes, ssh-keygen reads (and refuses a wrong passphrase).
ssh-keygen -q -t ed25519 -N '' -C 'plain@sotto' -f P
for c in ctr gcm; do
	"$TOOL" seal P "S$c" "our pass" 3 "$c" || fail "seal $c"
	chmod 600 "S$c"
	got=$(ssh-keygen -y -P "our pass" -f "S$c") || fail "ssh-keygen -y refused our $c key"
	[ "$(key_of "$got")" = "$(key_of "$(cat P.pub)")" ] || fail "$c: $got"
	if ssh-keygen -y -P "wrong" -f "S$c" >/dev/null 2>&1; then
		fail "ssh-keygen opened our $c key with a wrong passphrase"
	fi
	# ssh-keygen -p changes the passphrase of our file; we open the result.
	ssh-keygen -q -p -P "our pass" -N "new pass" -f "S$c" || fail "ssh-keygen -p on ours"
	answers "new pass"
	got=$("$TOOL" open "S$c") || fail "reopen after ssh-keygen -p"
	[ "$got" = "$(fpr_of "$(ssh-keygen -lf P.pub)") file" ] || fail "$got"
done
ok "libsotto's encrypted keys read by ssh-keygen (ctr, gcm) and back"

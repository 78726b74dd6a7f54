#!/bin/sh
# SPDX-License-Identifier: ISC
# keygen_interop.sh: keys sotto-keygen encrypts (-N, -a, -Z) are read by
# ssh-keygen and loaded by ssh-add into a real ssh-agent; sotto-keygen -p
# re-protects ssh-keygen's keys (and its own) and ssh-keygen reads the
# result; -t ed25519 and -N '' as ssh-keygen; -y on a public key says so
# once; bad values are usage errors (exit 2).
# usage: keygen_interop.sh SOTTO_KEYGEN
. "$(dirname "$0")/lib.sh" "$@"
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY WAYLAND_DISPLAY

# sotto-keygen writes, ssh-keygen reads.
for z in aes256-ctr aes256-gcm@openssh.com; do
	for a in 1 5; do
		k="s-$a-${z%%-*}-${z#*-}"
		"$KEYGEN" -q -t ed25519 -f "$k" -N "pw $a" -a "$a" -Z "$z" -C "$k" </dev/null ||
		    fail "$k: sotto-keygen"
		got=$(ssh-keygen -y -P "pw $a" -f "$k") || fail "$k: ssh-keygen -y refused it"
		[ "$(key_of "$got")" = "$(key_of "$(cat "$k.pub")")" ] || fail "$k: $got"
		if ssh-keygen -y -P "wrong" -f "$k" >/dev/null 2>&1; then
			fail "$k: ssh-keygen opened it with a wrong passphrase"
		fi
	done
done
ok "ssh-keygen reads sotto-keygen's encrypted keys (ctr, gcm; -a 1, 5)"

# ssh-add loads one into a real ssh-agent (passphrase through askpass).
printf '#!/bin/sh\necho "pw 5"\n' >askpass && chmod 755 askpass
SSH_AUTH_SOCK="$T/agent.sock"; export SSH_AUTH_SOCK
ssh-agent -D -a "$SSH_AUTH_SOCK" >/dev/null 2>&1 &
AGENT=$!
trap 'kill $AGENT 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
i=0; while [ ! -S "$SSH_AUTH_SOCK" ]; do
	i=$((i + 1)); [ "$i" -lt 200 ] || fail "ssh-agent did not start"; sleep 0.05
done
SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force ssh-add s-5-aes256-gcm@openssh.com \
    2>/dev/null || fail "ssh-add refused sotto-keygen's key"
ssh-add -l | grep -q "$(fpr_of "$("$KEYGEN" -l -f s-5-aes256-gcm@openssh.com.pub)")" ||
    fail "the agent does not list it"
ok "ssh-add loads sotto-keygen's encrypted key"

# ssh-keygen writes, sotto-keygen -p changes the passphrase, ssh-keygen reads.
ssh-keygen -q -t ed25519 -N old -a 2 -C theirs -f O
"$KEYGEN" -q -p -f O -P old -N new -a 3 || fail "-p on ssh-keygen's key"
got=$(ssh-keygen -y -P new -f O) || fail "ssh-keygen refused the re-protected key"
[ "$(key_of "$got")" = "$(key_of "$(cat O.pub)")" ] || fail "-p changed the key"
[ "$(mode_of O)" = 600 ] || fail "-p left mode $(mode_of O)"
ssh-keygen -y -P old -f O >/dev/null 2>&1 && fail "the old passphrase still works"
# ... to none (-N ''), and back under GCM.
"$KEYGEN" -q -p -f O -P new -N '' || fail "-p to no passphrase"
ssh-keygen -y -P '' -f O >/dev/null || fail "-N '' did not remove the passphrase"
"$KEYGEN" -q -p -f O -N again -Z aes256-gcm@openssh.com || fail "-p to gcm"
ssh-keygen -y -P again -f O >/dev/null || fail "ssh-keygen refused the gcm key"
# -p with nobody to ask for the new passphrase: refused, key unchanged.
before=$(cksum <O)
if "$KEYGEN" -p -f O -P again >out 2>err; then fail "-p without -N and without a terminal"; fi
grep -q "no terminal to ask for the new passphrase; give it with -N" err || fail "$(cat err)"
[ "$(cksum <O)" = "$before" ] || fail "-p without a new passphrase changed the key"
if "$KEYGEN" -p -f O -P wrong -N x >out 2>err; then fail "-p with a wrong -P"; fi
[ "$(cat err)" = "sotto-keygen: O: incorrect passphrase" ] || fail "$(cat err)"
ok "sotto-keygen -p on ssh-keygen's keys, read back by ssh-keygen"

# -t ed25519 and -N '' as ssh-keygen takes them.
"$KEYGEN" -q -t ed25519 -N '' -f P </dev/null || fail "-t ed25519 -N ''"
ssh-keygen -y -P '' -f P >/dev/null || fail "-N '' key needs a passphrase"
# -y on a public key: one line saying so.
if "$KEYGEN" -y -f P.pub >out 2>err; then fail "-y on a .pub succeeded"; fi
[ "$(wc -l <err)" -eq 1 ] || fail "-y on a .pub: $(cat err)"
grep -q "^sotto-keygen: P.pub: this is a public key already" err || fail "$(cat err)"
# Other key types: one line naming the type, then the usage; exit 2.
set +e
"$KEYGEN" -t rsa -f R >out 2>err; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "-t rsa exit $rc"
[ "$(head -n 1 err)" = "sotto-keygen: key type rsa is not supported: sotto identities are ed25519 keys (-t ed25519)" ] ||
    fail "-t rsa: $(head -n 1 err)"
[ ! -e R ] || fail "-t rsa wrote a key"
ok "-t, -N '', -y on a public key"

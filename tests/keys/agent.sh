#!/bin/sh
# SPDX-License-Identifier: ISC
# agent.sh: signing through a real ssh-agent started here: an encrypted
# key added with ssh-add (passphrase through SSH_ASKPASS) signs with no
# passphrase asked, from the .pub alone or from the private file; a key
# not in the agent, a removed key and a killed agent each give one line.
# usage: agent.sh SOTTO_KEYGEN IDENTITY_TOOL
. "$(dirname "$0")/lib.sh" "$@"
TOOL=${2:?usage: $0 SOTTO_KEYGEN IDENTITY_TOOL}

# Wait (bounded) for a condition instead of sleeping.
wait_for() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "timed out waiting for: $1"
		sleep 0.05
	done
}

cat >askpass <<EOS
#!/bin/sh
printf '%s\n' "\$1" >>"$T/prompts"
echo "agent pw"
EOS
chmod 755 askpass
export SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force

ssh-keygen -q -t ed25519 -a 4 -N "agent pw" -C agent@sotto -f K
ssh-keygen -q -t ed25519 -N '' -C other -f O
want=$(fpr_of "$(ssh-keygen -lf K.pub)")

SSH_AUTH_SOCK="$T/agent.sock"
export SSH_AUTH_SOCK
ssh-agent -D -a "$SSH_AUTH_SOCK" >agent.out 2>&1 &
AGENT=$!
trap 'kill $AGENT 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
wait_for '[ -S "$SSH_AUTH_SOCK" ]'
ssh-add K 2>/dev/null || fail "ssh-add K"
ssh-add -l | grep -q "$want" || fail "key not listed by ssh-add -l"
rm -f prompts

# The .pub alone, and the encrypted private file: both through the agent.
got=$("$TOOL" open K.pub) || fail "open K.pub through the agent"
[ "$got" = "$want agent" ] || fail "K.pub: $got"
got=$("$TOOL" open K) || fail "open K (agent first)"
[ "$got" = "$want agent" ] || fail "K: $got"
[ ! -e prompts ] || fail "a passphrase was asked although the agent has the key"
ok "signed through ssh-agent: $got"

# A key the agent does not hold.
if "$TOOL" open O.pub >out 2>err; then fail "O.pub signed without being in the agent"; fi
grep -q "O.pub: the key is not in ssh-agent" err || fail "$(cat err)"
[ "$(wc -l <err)" -eq 1 ] || fail "$(cat err)"
# Removed from the agent: .pub fails; the private file falls back to the passphrase.
ssh-add -d K.pub 2>/dev/null || fail "ssh-add -d"
if "$TOOL" open K.pub >out 2>err; then fail "removed key still signs"; fi
grep -q "not in ssh-agent" err || fail "$(cat err)"
got=$("$TOOL" open K) || fail "K with the agent empty: $(cat err)"
[ "$got" = "$want file" ] || fail "fallback: $got"
[ "$(wc -l <prompts)" -eq 1 ] || fail "fallback asked $(wc -l <prompts) times"
ok "not in the agent: $(cat err)"

# --agent with the agent gone: one line, exit 1.
kill "$AGENT"
wait "$AGENT" 2>/dev/null || true
if SOTTO_AGENT=only "$TOOL" open K >out 2>err; then fail "signed with the agent dead"; fi
grep -q "cannot reach ssh-agent" err || fail "$(cat err)"
[ "$(wc -l <err)" -eq 1 ] || fail "$(cat err)"
ok "agent gone: $(cat err)"

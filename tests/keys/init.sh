#!/bin/sh
# SPDX-License-Identifier: ISC
# init.sh: sotto-keygen with no arguments sets the user up under
# $XDG_CONFIG_HOME (or ~/.config): a key, the trusted folder with your own
# line in it, the state folder; again, it changes nothing.
. "$(dirname "$0")/lib.sh" "$@"
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY WAYLAND_DISPLAY XDG_STATE_HOME
HOME="$T/home"; XDG_CONFIG_HOME="$T/cfg"; export HOME XDG_CONFIG_HOME
mkdir -p "$HOME"

setsid "$KEYGEN" </dev/null >out 2>err || fail "init: $(cat err)"
id="$T/cfg/sotto/id_ed25519"
[ -f "$id" ] && [ "$(mode_of "$id")" = 600 ] || fail "no key at $id"
me=$(id -un)
[ -f "$T/cfg/sotto/trusted/$me.pub" ] || fail "not trusted: $(ls "$T/cfg/sotto/trusted")"
[ "$(key_of "$(cat "$T/cfg/sotto/trusted/$me.pub")")" = "$(key_of "$(cat "$id.pub")")" ] ||
    fail "trusted line differs"
[ -d "$HOME/.local/state/sotto" ] || fail "no state folder"
grep -q "^Your fingerprint: $(fpr_of "$(ssh-keygen -lf "$id.pub")")\$" out || fail "$(cat out)"
grep -q "^$(cat "$id.pub")\$" out || fail "public line not printed: $(cat out)"
grep -q "no passphrase" out || fail "does not say the key is unprotected: $(cat out)"
before=$(cat "$id" | cksum)
setsid "$KEYGEN" </dev/null >out2 2>err || fail "init again: $(cat err)"
[ "$(cat "$id" | cksum)" = "$before" ] || fail "second run changed the key"
grep -q "^Your identity: $id\$" out2 || fail "$(cat out2)"
ok "$(head -n 1 out)"

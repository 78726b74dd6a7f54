#!/bin/sh
# SPDX-License-Identifier: ISC
# openssh_key.sh: a key made by ssh-keygen -t ed25519 -N '' works in sotto,
# with the same fingerprint and public line.
. "$(dirname "$0")/lib.sh" "$@"

ssh-keygen -q -t ed25519 -N '' -C 'carol@openssh' -f K
want=$(ssh-keygen -lf K.pub)
got=$("$KEYGEN" -l -f K) || fail "sotto-keygen -l refused ssh-keygen's key"
[ "$got" = "$want" ] || fail "-l: '$got' != '$want'"
got=$("$KEYGEN" -y -f K) || fail "sotto-keygen -y refused ssh-keygen's key"
[ "$got" = "$(cat K.pub)" ] || fail "-y: '$got' != K.pub '$(cat K.pub)'"
# And without a comment.
ssh-keygen -q -t ed25519 -N '' -C '' -f N
got=$("$KEYGEN" -l -f N)
[ "$(fpr_of "$got")" = "$(fpr_of "$(ssh-keygen -lf N.pub)")" ] || fail "no-comment key: $got"
ok "ssh-keygen's keys load with the same fingerprint"

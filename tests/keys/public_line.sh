#!/bin/sh
# SPDX-License-Identifier: ISC
# public_line.sh: ssh-keygen -y reads sotto's private key and gives the key
# in FILE.pub; sotto-keygen -y gives the same line.
. "$(dirname "$0")/lib.sh" "$@"

"$KEYGEN" -f id -C 'bob@sotto' >/dev/null
pub=$(cat id.pub)
case $pub in "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"*" bob@sotto") ;; *) fail "id.pub: $pub" ;; esac
[ "$(wc -l <id.pub)" -eq 1 ] || fail "id.pub is not one line"
theirs=$(ssh-keygen -y -f id) || fail "ssh-keygen -y cannot read sotto's key"
[ "$(key_of "$theirs")" = "$(key_of "$pub")" ] ||
	fail "ssh-keygen -y: '$theirs' != id.pub '$pub'"
ours=$("$KEYGEN" -y -f id)
[ "$ours" = "$pub" ] || fail "sotto-keygen -y: '$ours' != id.pub '$pub'"
ok "ssh-keygen -y and sotto-keygen -y agree with id.pub"

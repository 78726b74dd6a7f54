#!/bin/sh
# SPDX-License-Identifier: ISC
# fingerprint.sh: sotto-keygen -l prints what ssh-keygen -l prints, for the
# private file and the .pub alike.
. "$(dirname "$0")/lib.sh" "$@"

"$KEYGEN" -f id -C 'alice@sotto' >/dev/null
want=$(ssh-keygen -lf id.pub)
case $want in "256 SHA256:"*" alice@sotto (ED25519)") ;; *) fail "ssh-keygen -lf said: $want" ;; esac
got_pub=$("$KEYGEN" -l -f id.pub)
got_priv=$("$KEYGEN" -l -f id)
[ "$got_pub" = "$want" ] || fail "-l -f id.pub: '$got_pub' != ssh-keygen '$want'"
[ "$got_priv" = "$want" ] || fail "-l -f id: '$got_priv' != ssh-keygen '$want'"
[ "$(fpr_of "$got_priv")" = "$(ssh-keygen -lf id | awk '{ print $2 }')" ] ||
	fail "ssh-keygen -lf on the private file disagrees"
ok "fingerprints match ssh-keygen: $(fpr_of "$want")"

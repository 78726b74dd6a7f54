#!/bin/sh
# SPDX-License-Identifier: ISC
# permissions.sh: a private key with any group/other permission is refused
# with the mode and the chmod advice; 0600 and 0400 are accepted.
. "$(dirname "$0")/lib.sh" "$@"

"$KEYGEN" -f id -C perm >/dev/null
[ "$(mode_of id)" = 600 ] || fail "id mode $(mode_of id)"
for m in 644 640 604 660 601 610; do
	chmod "$m" id
	if "$KEYGEN" -y -f id >out 2>err; then
		fail "mode $m accepted"
	fi
	grep -q "id: private key is accessible by group or others (mode 0*$(mode_of id)); run chmod 600 id" err ||
		fail "mode $m message: $(cat err)"
done
for m in 600 400; do
	chmod "$m" id
	"$KEYGEN" -y -f id >/dev/null || fail "mode $m refused"
done
ok "group/other modes refused, $(cat err)"

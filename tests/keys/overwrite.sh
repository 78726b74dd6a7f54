#!/bin/sh
# SPDX-License-Identifier: ISC
# overwrite.sh: an existing key (or .pub) is never replaced without --force
# when stdin is not a terminal; --force replaces it; modes ignore the umask.
. "$(dirname "$0")/lib.sh" "$@"

"$KEYGEN" -f id -C first >/dev/null
before=$(cat id id.pub | cksum)
if "$KEYGEN" -f id -C second </dev/null >out 2>err; then
	fail "overwrote without --force"
fi
grep -q "id already exists; use --force" err || fail "message: $(cat err)"
[ "$(cat id id.pub | cksum)" = "$before" ] || fail "files changed"

rm id
if "$KEYGEN" -f id </dev/null >/dev/null 2>err; then
	fail "overwrote a lone id.pub without --force"
fi
[ ! -e id ] || fail "wrote id next to a kept id.pub"

"$KEYGEN" -f id -C second --force </dev/null >/dev/null || fail "--force failed"
grep -q ' second$' id.pub || fail "--force did not replace id.pub"
"$KEYGEN" -y -f id | grep -q ' second$' || fail "--force did not replace id"

# Exact modes whatever the umask; never through a planted symlink.
for u in 000 022 077 277; do
	(umask "$u" && "$KEYGEN" -f "u$u" >/dev/null) || fail "umask $u"
	[ "$(mode_of "u$u")" = 600 ] || fail "umask $u: private mode $(mode_of "u$u")"
	[ "$(mode_of "u$u.pub")" = 644 ] || fail "umask $u: public mode $(mode_of "u$u.pub")"
done
ln -s "$T/victim" link
if "$KEYGEN" -f link </dev/null >/dev/null 2>&1; then
	fail "wrote through a symlink without --force"
fi
[ ! -e victim ] || fail "created the symlink's target"
ok "overwrite refused without --force, modes 0600/0644"

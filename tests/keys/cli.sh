#!/bin/sh
# SPDX-License-Identifier: ISC
# cli.sh: --help, --version and usage errors.
. "$(dirname "$0")/lib.sh" "$@"

"$KEYGEN" --help | grep -q '^usage: sotto-keygen -f FILE' || fail "--help"
v=$("$KEYGEN" --version)
case $v in "sotto-keygen "[0-9]*.[0-9]*) ;; *) fail "--version: $v" ;; esac
for args in "-l" "-l -y -f x" "-f x extra" "-y -f x -C c" "--bogus" "-t rsa -f x" "-t dsa -f x" "-a 0 -f x" "-a x -f x" "-Z aes128-ctr -f x" "-p -f x -C c" "-l -N p -f x" "-y -p -f x"; do
	set +e
	"$KEYGEN" $args >out 2>err
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "'$args' exit $rc"
	grep -q '^usage:' err || fail "'$args' gave no usage"
done
set +e
"$KEYGEN" -l -f missing >out 2>err
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "missing file exit $rc"
grep -q '^sotto-keygen: missing: cannot open: No such file' err || fail "missing: $(cat err)"
ok "$v"

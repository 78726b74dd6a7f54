#!/bin/sh
# SPDX-License-Identifier: ISC
# user_config.sh: a plain user configure (`cmake -S . -B build`, no options)
# registers no tests, looks for no python3, plans no load generator and does
# not turn warnings into errors; -DBUILD_TESTING=ON brings the tests back.
# usage: user_config.sh SOURCE_DIR CMAKE
set -eu
src=$1
cmake=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$cmake" -S "$src" -B "$tmp/user" >"$tmp/user.log" 2>&1 || { cat "$tmp/user.log"; fail "user configure failed"; }
cache="$tmp/user/CMakeCache.txt"
grep -qx 'BUILD_TESTING:BOOL=OFF' "$cache" || fail "BUILD_TESTING is not OFF by default"
grep -qx 'SOTTO_WERROR:BOOL=OFF' "$cache" || fail "SOTTO_WERROR is not OFF by default"
grep -qx 'SOTTO_TEST_HOOKS:BOOL=OFF' "$cache" || fail "a user build compiles the test hooks (key log, key pool)"
! grep -qi 'python' "$cache" || fail "a user configure looked for python: $(grep -i python "$cache" | head -n 1)"
[ ! -e "$tmp/user/tests" ] || fail "a user build has a tests/ folder"
! grep -rq 'sotto-loadgen' "$tmp/user/Makefile" "$tmp/user/CMakeFiles/Makefile2" ||
	fail "a user build would build the load generator"
! grep -rq -- '-Werror' "$tmp/user/relay/CMakeFiles/sotto-relay.dir/flags.make" ||
	fail "a user build compiles with -Werror"
grep -q 'sotto-relay' "$tmp/user/CMakeFiles/Makefile2" || fail "no relay target in a user build"

# The same tree with the tests asked for: they are there (the check above
# is not vacuous).
"$cmake" -S "$src" -B "$tmp/dev" -DBUILD_TESTING=ON -DSOTTO_WERROR=ON >"$tmp/dev.log" 2>&1 ||
	{ cat "$tmp/dev.log"; fail "configure with BUILD_TESTING=ON failed"; }
[ -e "$tmp/dev/tests" ] || fail "BUILD_TESTING=ON has no tests/ folder"
grep -q 'sotto-loadgen' "$tmp/dev/CMakeFiles/Makefile2" || fail "BUILD_TESTING=ON plans no load generator"
grep -qx 'SOTTO_TEST_HOOKS:BOOL=OFF' "$tmp/dev/CMakeCache.txt" ||
	fail "a release-type build (RelWithDebInfo) with tests compiles the test hooks by default"
"$cmake" -S "$src" -B "$tmp/hooks" -DSOTTO_TEST_HOOKS=ON >"$tmp/hooks.log" 2>&1 &&
	fail "the test hooks were accepted without BUILD_TESTING"
grep -q -- '-Werror' "$tmp/dev/relay/CMakeFiles/sotto-relay.dir/flags.make" || fail "SOTTO_WERROR=ON has no -Werror"
echo "ok: user configure without tests, python, load generator or -Werror; BUILD_TESTING=ON has them"

#!/bin/sh
# SPDX-License-Identifier: ISC
# run-all.sh: build and run every test: the whole suite under ASan+UBSan, the
# end-to-end relay and client tests again under valgrind memcheck, and each
# fuzz target under libFuzzer for a fixed number of runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
fail=0

step() { printf '\n=== %s\n' "$*"; }
# CI builds the tests and treats every warning as an error, whatever the
# build type (a plain user build has neither: CMakeLists.txt).
ci="-DBUILD_TESTING=ON -DSOTTO_WERROR=ON"

step "ASan+UBSan build, whole suite"
# Outage orders: 3 rounds each here (every round makes new RSA-4096 keys);
# the 20-round runs are `ctest -R history.outage` in a plain build.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSOTTO_SANITIZE=ON $ci \
  -DSOTTO_OUTAGE_ROUNDS=3 >/dev/null
cmake --build build-asan -j"$jobs"
# Session keys for both stages, made once (docs/testing.md "Session keys
# from a pool"): each client leases ready-made RSA-4096 keys instead of
# searching primes. 32 covers two tests side by side with eight members each
# (two keys a member); when all are leased a client makes its own.
# client.ten_at_once opts out: it is the test of key making under load.
pool=$(mktemp -d)
trap 'rm -rf "$pool"' EXIT
build-asan/tests/sotto-rsapool "$pool" 16 & p1=$!
build-asan/tests/sotto-rsapool "$pool" 16 & p2=$!
wait "$p1" && wait "$p2" || fail=1
export SOTTO_TEST_RSA_POOL="$pool"
# `churn` (20 members for 2 minutes, RUN_SERIAL: ~2.5 min alone under
# ASan with the pool) runs here too: a promise CI does not run protects
# nothing.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -LE 'bench|valgrind' -j2 || fail=1

step "valgrind memcheck: end-to-end relay and client tests"
# The same key pool: one prime search costs a minute under memcheck, and
# it is libgcrypt's code, not ours.
cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOTTO_TEST_HOOKS=ON $ci >/dev/null
cmake --build build-vg -j"$jobs"
vg="valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
SOTTO_RELAY_WRAPPER="$vg" SOTTO_CLIENT_WRAPPER="$vg" SOTTO_TIME_SCALE=10 \
  ctest --test-dir build-vg --output-on-failure -L valgrind || fail=1
unset SOTTO_TEST_RSA_POOL

step "libFuzzer (clang): every fuzz target, fixed number of runs"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOTTO_SANITIZE=ON -DSOTTO_FUZZ=ON -DSOTTO_BENCH=OFF $ci >/dev/null
cmake --build build-fuzz -j"$jobs"
# One target per core at a time: each is single-threaded.
ctest --test-dir build-fuzz --output-on-failure -L fuzz -j"$jobs" || fail=1

if [ "$fail" -ne 0 ]; then
  echo "run-all: FAILED"
  exit 1
fi
echo "run-all: all test stages passed"

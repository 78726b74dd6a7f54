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
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -LE 'bench|valgrind' -j2 || fail=1

step "valgrind memcheck: end-to-end relay and client tests"
# The clients take their RSA-4096 session keys from a pool made natively
# first (client/core/rsapool.c, a test hook): one prime search costs a
# minute under memcheck and is libgcrypt's code, not ours. The ASan stage
# above makes every key for real. An empty pool falls back to making one.
cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOTTO_TEST_HOOKS=ON $ci >/dev/null
cmake --build build-vg -j"$jobs"
pool="$top/build-vg/rsapool"
rm -rf "$pool" && mkdir -p "$pool"
build-vg/tests/sotto-rsapool "$pool" 16 & p1=$!
build-vg/tests/sotto-rsapool "$pool" 16 & p2=$!
wait "$p1" && wait "$p2" || fail=1
vg="valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
SOTTO_TEST_RSA_POOL="$pool" SOTTO_RELAY_WRAPPER="$vg" SOTTO_CLIENT_WRAPPER="$vg" SOTTO_TIME_SCALE=10 \
  ctest --test-dir build-vg --output-on-failure -L valgrind || fail=1
echo "valgrind stage: $(ls "$pool" | grep -c '^key-' || true) of 32 pooled session keys left"

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

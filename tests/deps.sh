#!/bin/sh
# SPDX-License-Identifier: ISC
# deps.sh: install, as root on Debian 12, the packages sotto needs that are missing.
# usage: tests/deps.sh [build|test|bench]   (each level includes the ones before)
set -eu
level=${1:-build}
pkgs="build-essential cmake pkg-config libgcrypt20-dev libev-dev libncurses-dev uthash-dev libhiredis-dev libsqlite3-dev"
case $level in
  build) ;;
  test)  pkgs="$pkgs openssh-client openssl python3 tmux valgrind clang libclang-rt-14-dev procps mandoc systemd redis-server" ;;
  bench) pkgs="$pkgs openssh-client openssl python3 tmux valgrind clang libclang-rt-14-dev procps mandoc systemd redis-server gnuplot-nox netcat-openbsd" ;;
  *) echo "deps.sh: unknown level '$level' (build, test or bench)" >&2; exit 2 ;;
esac
# every level: picture previews (client/preview): the renderer and the
# reference decoders (docs/design-dm-files.md "Pictures"); zlib1g-dev comes
# with libpng-dev (test_decode checks its CRCs with it).
pkgs="$pkgs libchafa-dev libglib2.0-dev libpng-dev libjpeg62-turbo-dev libgif-dev libwebp-dev zlib1g-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps.sh: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
fi

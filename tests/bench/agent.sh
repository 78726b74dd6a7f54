#!/bin/sh
# SPDX-License-Identifier: ISC
# agent.sh: start a private ssh-agent with a fresh ed25519 key and run
# sotto-agentbench against it (figures for docs/keys.md).
# usage: tests/bench/agent.sh BUILD_DIR [N]
set -eu
B=${1:?usage: $0 BUILD_DIR [N]}
T=$(mktemp -d "${TMPDIR:-/tmp}/sotto-agentbench.XXXXXX")
ssh-keygen -q -t ed25519 -N '' -f "$T/k"
SSH_AUTH_SOCK="$T/sock"; export SSH_AUTH_SOCK
ssh-agent -D -a "$SSH_AUTH_SOCK" >/dev/null 2>&1 &
AGENT=$!
trap 'kill $AGENT 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
i=0; while [ ! -S "$SSH_AUTH_SOCK" ]; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done
ssh-add -q "$T/k" 2>/dev/null
uptime
"$B/tests/bench/sotto-agentbench" "$T/k.pub" "${2:-5000}"

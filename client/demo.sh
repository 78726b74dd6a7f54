#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# demo.sh: three identities that trust each other, a relay on 127.0.0.1, and
# three clients: side by side in tmux on a terminal, else three batch clients
# that exchange a few lines and print what they saw.
# usage: client/demo.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
relay_bin="$build/relay/sotto-relay"
client_bin="$build/client/sotto"
keygen_bin="$build/client/sotto-keygen"
for b in "$relay_bin" "$client_bin" "$keygen_bin"; do
  [ -x "$b" ] || { echo "demo: $b not built (run cmake --build first)" >&2; exit 1; }
done

demo=$(mktemp -d "${TMPDIR:-/tmp}/sotto-demo.XXXXXX")
relay_pid=""
cleanup() {
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
  rm -rf "$demo"
}
trap cleanup EXIT INT TERM

names="alice bob carol"
mkdir -p "$demo/trusted"
for n in $names; do
  "$keygen_bin" -f "$demo/$n" -N "" -C "$n@demo" >/dev/null
  cp "$demo/$n.pub" "$demo/trusted/$n.pub"
done

# Start the relay on a random high port; try another if that one is taken.
start_relay() {
  local tries=0
  while [ $tries -lt 10 ]; do
    port=$(( 20000 + RANDOM % 30000 ))
    "$relay_bin" --listen "127.0.0.1:$port" 2>"$demo/relay.log" &
    relay_pid=$!
    local i=0
    while [ $i -lt 100 ]; do
      grep -q "listening" "$demo/relay.log" 2>/dev/null && return 0
      kill -0 "$relay_pid" 2>/dev/null || break
      i=$((i + 1)); sleep 0.05
    done
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
    tries=$((tries + 1))
  done
  echo "demo: could not start the relay:" >&2; cat "$demo/relay.log" >&2
  exit 1
}
start_relay
echo "demo: relay on 127.0.0.1:$port; identities and trusted folder in $demo"

client() { # name -> command line
  echo "$client_bin --identity $demo/$1 --trusted $demo/trusted --room demo 127.0.0.1:$port"
}

if command -v tmux >/dev/null 2>&1 && [ -t 0 ] && [ -t 1 ] && [ -z "${TMUX:-}" ]; then
  sock="$demo/tmux.sock"
  tmux -S "$sock" new-session -d -s sotto -x "$(tput cols)" -y "$(tput lines)" "$(client alice)"
  tmux -S "$sock" split-window -h -t sotto "$(client bob)"
  tmux -S "$sock" split-window -h -t sotto "$(client carol)"
  tmux -S "$sock" select-layout -t sotto even-horizontal
  tmux -S "$sock" set-option -t sotto status-right " sotto demo: /quit in each pane "
  tmux -S "$sock" attach -t sotto
  tmux -S "$sock" kill-server 2>/dev/null || true
  exit 0
fi

# Batch demo: each client reads lines from a fifo; we write once all are ready.
declare -A pid fd
for n in $names; do
  mkfifo "$demo/$n.in"
  $(client "$n") --batch <"$demo/$n.in" >"$demo/$n.out" 2>"$demo/$n.err" &
  pid[$n]=$!
  exec {f}>"$demo/$n.in"
  fd[$n]=$f
done

wait_for() { # file pattern count: poll until the file holds count matching lines (30 s at most)
  local i=0
  while [ "$(grep -c -E "$2" "$1" 2>/dev/null || true)" -lt "$3" ]; do
    [ $i -ge 600 ] && { echo "demo: timed out waiting for $2 in $1" >&2; cat "$1" "${1%.out}.err" >&2; exit 1; }
    i=$((i + 1)); sleep 0.05
  done
}
ev='"event": *"'
for n in $names; do wait_for "$demo/$n.out" "${ev}ready\"" 1; done
echo "hello from alice" >&"${fd[alice]}"
wait_for "$demo/bob.out" "${ev}message\"" 1
echo "hi alice, bob here" >&"${fd[bob]}"
wait_for "$demo/carol.out" "${ev}message\"" 2
echo "carol says hi to both" >&"${fd[carol]}"
for n in $names; do wait_for "$demo/$n.out" "${ev}message\"" 2; done
for n in $names; do eval "exec ${fd[$n]}>&-"; done
for n in $names; do wait "${pid[$n]}" || { echo "demo: $n exited with an error" >&2; cat "$demo/$n.err" >&2; exit 1; }; done
for n in $names; do
  echo "--- $n saw:"
  cat "$demo/$n.out"
done
echo "demo: done (three batch clients; run it in a terminal with tmux for the interactive UI)"

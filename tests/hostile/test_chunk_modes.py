#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_chunk_modes.py: the hostile relay's chunk modes on raw frames, without a client.

Two raw wire-v1 members join one room of tests/hostile/hostile_relay.py;
the first sends, to the second, a small DAT, then chunk-sized DATs (bodies
over CHUNK_BODY_MIN, `to` = the receiver) numbered 0..4 with a broadcast
chunk-sized DAT (`to` = 0, not a chunk) and a small unicast DAT between
them, then an end marker. For each mode the receiver must get exactly the
sequence the mode promises for --chunk 2 (the second chunk, number 1;
with --chunk-every 2 also the fourth), and the relay's log must record
each fault with its kind and `chunk`.
Usage: test_chunk_modes.py --relay hostile_relay.py [MODE...] | --list
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import DAT, INI, SCALE, check, check_eq, frame, read_frame, room_prefix  # noqa: E402

CHUNK_LEN = 20000          # over the relay's CHUNK_BODY_MIN (17 000)
N_CHUNKS = 5
K = 2                      # --chunk: the second chunk (number 1)
# mode -> chunk numbers the receiver gets, in order (None: the original
# sequence with one byte of chunk 1 flipped).
EXPECT = {
    "none": [0, 1, 2, 3, 4],
    "drop-chunk": [0, 2, 3, 4],
    "dup-chunk": [0, 1, 1, 2, 3, 4],
    "reorder-chunk": [0, 2, 1, 3, 4],
    "flip-chunk": [0, 1, 2, 3, 4],
}
FAULT = {"none": None, "drop-chunk": "drop", "dup-chunk": "dup",
         "reorder-chunk": "late", "flip-chunk": "flip"}
# With --chunk-every 2: the 2nd and the 4th chunk (numbers 1 and 3).
EVERY2 = {"drop-chunk": [0, 2, 4], "dup-chunk": [0, 1, 1, 2, 3, 3, 4]}
RELAY = None


def chunk_body(i):
    return bytes([0xc0, i]) + bytes((i * 7 + j) & 0xff for j in range(CHUNK_LEN - 2))


class Member:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20 * SCALE)
        self.f = self.sock.makefile("rb")
        self.sock.sendall(frame(INI, 0, room_prefix("chunks") + b"\x00" * 40))
        while True:
            fm, _ = read_frame(self.f)
            check(fm is not None, "the relay closed before the roster")
            if fm.type == INI and fm.frm == 0:
                self.id = fm.to
                return

    def frames(self, until):
        """DAT bodies until one equal to `until` (excluded)."""
        out = []
        while True:
            fm, _ = read_frame(self.f)
            check(fm is not None, "the relay closed before the end marker")
            if fm.type != DAT:
                continue
            if fm.body == until:
                return out
            out.append(fm)


def run_mode(mode, every=0):
    tmp = tempfile.mkdtemp(prefix="sotto-chunkmodes-")
    log = os.path.join(tmp, "relay.log")
    relay = subprocess.Popen([sys.executable, RELAY, "--mode", mode, "--chunk", str(K),
                              "--chunk-every", str(every), "--log", log],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = int(relay.stdout.readline())
        a = Member(port)
        b = Member(port)
        out = [frame(DAT, b.id, b"small unicast 1")]
        for i in range(N_CHUNKS):
            out.append(frame(DAT, b.id, chunk_body(i)))
            if i == 0:
                # Not chunks: a broadcast of chunk size, a small unicast.
                out.append(frame(DAT, 0, b"\xb0" * CHUNK_LEN))
                out.append(frame(DAT, b.id, b"small unicast 2"))
        out.append(frame(DAT, b.id, b"end"))
        a.sock.sendall(b"".join(out))
        got = b.frames(b"end")
        check(all(f.frm == a.id for f in got), "every DAT carries the sender's id")
        small = [f.body for f in got if len(f.body) < 100]
        check_eq(small, [b"small unicast 1", b"small unicast 2"], "small DATs untouched")
        bcast = [f for f in got if f.to == 0]
        check_eq([f.body for f in bcast], [b"\xb0" * CHUNK_LEN], "the broadcast untouched")
        chunks = [f for f in got if f.to == b.id and len(f.body) == CHUNK_LEN]
        check_eq([f.body[1] for f in chunks], EVERY2[mode] if every else EXPECT[mode],
                 "chunk numbers received")
        for f in chunks:
            want = chunk_body(f.body[1])
            diff = [i for i in range(CHUNK_LEN) if f.body[i] != want[i]]
            if mode == "flip-chunk" and f.body[1] == 1:
                check_eq(diff, [CHUNK_LEN // 2], "one byte flipped, in the middle")
                check_eq(f.body[CHUNK_LEN // 2] ^ want[CHUNK_LEN // 2], 0xff, "all its bits")
            else:
                check_eq(diff, [], "chunk %d intact" % f.body[1])
        with open(log) as fh:
            recs = [json.loads(ln) for ln in fh if ln.endswith("\n") and ln.strip()]
        faults = [r for r in recs if r["ev"] == "copy" and r["kind"] != "ok"]
        if FAULT[mode] is None:
            check_eq(faults, [], "an honest relay logs no fault")
        else:
            at = [K, K + every] if every else [K]
            check_eq([(r["kind"], r["chunk"], r["dst"], r["len"]) for r in faults],
                     [(FAULT[mode], k, b.id, CHUNK_LEN) for k in at],
                     "the faults logged, on chunk K (and K + every)")
    finally:
        relay.terminate()
        relay.wait(timeout=30)


TESTS = {m: (lambda m=m: run_mode(m)) for m in EXPECT}
TESTS.update({m + "-every2": (lambda m=m: run_mode(m, 2)) for m in EVERY2})


def main(argv):
    global RELAY
    args = list(argv[1:])
    if args == ["--list"]:
        print("\n".join(sorted(TESTS)))
        return 0
    if len(args) < 2 or args[0] != "--relay":
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    RELAY = args[1]
    failed = 0
    for name in args[2:] or sorted(TESTS):
        try:
            TESTS[name]()
            print("PASS %s" % name)
        except Exception as e:      # a TestFailure or a broken socket
            failed += 1
            print("FAIL %s: %s" % (name, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

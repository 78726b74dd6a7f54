#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""prompt.py: on a terminal, sotto-keygen asks before replacing a key;
"n" keeps the old key, "y" replaces it. Runs it on a pseudo-terminal."""
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import fail, run_main, scaled  # noqa: E402,F401
import time

KEYGEN = sys.argv[1]
DEADLINE = scaled(20.0)


def run_on_pty(args, answer, cwd):
    """Run args with a pty as stdin/stdout/stderr, answer the prompt once
    it appears; return (exit code, everything written to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                            cwd=cwd, close_fds=True)
    os.close(slave)
    out = b""
    answered = False
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:          # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"Overwrite (y/n)? " in out:
                os.write(master, answer + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    try:
        code = proc.wait(timeout=max(0.1, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("sotto-keygen did not finish on the terminal: %r" % out)
    os.close(master)
    if not answered:
        fail("no overwrite prompt appeared: %r" % out)
    return code, out.decode(errors="replace")


def main():
    tmp = tempfile.mkdtemp(prefix="sotto-keys.")
    try:
        subprocess.run([KEYGEN, "-f", "id", "-N", "", "-C", "old"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        with open(os.path.join(tmp, "id.pub")) as f:
            old = f.read()

        code, out = run_on_pty([KEYGEN, "-f", "id", "-C", "new", "-N", ""], b"n", tmp)
        if code == 0:
            fail("answer n: exit 0: %r" % out)
        with open(os.path.join(tmp, "id.pub")) as f:
            if f.read() != old:
                fail("answer n replaced the key")

        code, out = run_on_pty([KEYGEN, "-f", "id", "-C", "new", "-N", ""], b"y", tmp)
        if code != 0:
            fail("answer y: exit %d: %r" % (code, out))
        with open(os.path.join(tmp, "id.pub")) as f:
            new = f.read()
        if new == old or not new.rstrip("\n").endswith(" new"):
            fail("answer y did not replace the key: %r" % new)
        print("ok: n keeps the key, y replaces it")
    finally:
        shutil.rmtree(tmp)


run_main(main)

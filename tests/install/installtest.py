# SPDX-License-Identifier: ISC
"""installtest.py: helpers of the install and command-line tests: run a
program with a deadline, a batch client waited on event by event, a relay.

Every wait polls the real condition with a deadline multiplied by
SOTTO_TIME_SCALE; nothing sleeps in place of a condition.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "relay"))
from sottotest import SCALE, BatchClient, TestFailure, check  # noqa: E402,F401
import relaytest  # noqa: E402  (Relay: a relay on a free 127.0.0.1 port)


def run(argv, timeout=30, env=None, stdin=subprocess.DEVNULL):
    """Run argv to completion: (exit status, stdout, stderr) as text.
    argv[0] is the program's file; the program sees its base name as
    argv[0], as when it is found on PATH (getopt quotes argv[0])."""
    try:
        p = subprocess.run([os.path.basename(argv[0])] + list(argv[1:]), executable=argv[0],
                           stdin=stdin, capture_output=True, timeout=timeout * SCALE, env=env)
    except subprocess.TimeoutExpired:
        raise TestFailure("%s did not finish within %gs" % (argv, timeout * SCALE))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class Batch(BatchClient):
    """sotto --batch (sottotest.BatchClient) with its stderr kept, waits
    for one event by name, and a clean finish at end of input."""

    def __init__(self, argv, env=None):
        self.errfile = tempfile.TemporaryFile()
        super().__init__(argv, self.errfile, env=env)

    @property
    def err(self):
        self.errfile.seek(0)
        return self.errfile.read()

    def wait_event(self, name, timeout=60):
        """The first event called name; fails on a deadline or end of output."""
        def found():
            return any(e["event"] == name for e in self.events) or self.eof
        with self.cond:
            self.cond.wait_for(found, timeout * SCALE)
        got = self.all(name)
        if not got:
            raise TestFailure("no %s event within %gs; saw %s; stderr %r"
                              % (name, timeout * SCALE, self.all(), self.err))
        return got[0]

    def finish(self, timeout=30):
        """Close stdin (end of input means /quit) and return the exit status."""
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure("client did not exit after end of input")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def relay(binary, *args):
    """A relay from `binary` on 127.0.0.1:<free port> (relaytest.Relay)."""
    relaytest.RELAY_BIN = binary
    return relaytest.Relay(*args)

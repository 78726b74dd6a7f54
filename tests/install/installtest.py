"""installtest.py: helpers of the install and command-line tests: run a
program with a deadline, a batch client read event by event, free ports.

Every wait polls the real condition with a deadline multiplied by
SOTTO_TIME_SCALE; nothing sleeps in place of a condition.
"""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "relay"))
from sottotest import SCALE, TestFailure, check, die_with_parent  # noqa: E402,F401
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


class Batch:
    """sotto --batch as a child: JSON events read on a thread, with deadlines."""

    def __init__(self, argv, env=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env,
                                     preexec_fn=die_with_parent)
        self.events = queue.Queue()
        self.seen = []
        self.err = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(line)
        self.events.put(None)

    def _read_err(self):
        self.err = self.proc.stderr.read()

    def wait_event(self, name, timeout=60):
        """The first event called name; fails on a deadline or end of output."""
        deadline = time.monotonic() + timeout * SCALE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure("no %s event within %gs; saw %s" % (name, timeout * SCALE, self.seen))
            try:
                line = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise TestFailure("client ended before a %s event; saw %s; stderr %r"
                                  % (name, self.seen, self.err))
            ev = json.loads(line)
            self.seen.append(ev)
            if ev.get("event") == name:
                return ev

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
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def relay(binary, *args):
    """A relay from `binary` on 127.0.0.1:<free port> (relaytest.Relay)."""
    relaytest.RELAY_BIN = binary
    return relaytest.Relay(*args)

# SPDX-License-Identifier: ISC
"""checks: the one failure type, assertions and polling waits with deadlines."""
import sys
import time

from .timescale import SCALE


class TestFailure(Exception):
    """A test's promise did not hold; the message says which and what was seen."""


def fail(what):
    raise TestFailure(what)


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


def deadline(seconds):
    """A time.monotonic() deadline seconds (scaled) from now."""
    return time.monotonic() + seconds * SCALE


def wait_until(cond, timeout, what, step=0.02, dump=None):
    """Poll cond() until it returns something true and return that; raise
    TestFailure after timeout seconds (scaled). dump(), if given, adds
    context to the failure message. Polling is the wait for the condition,
    never a stand-in for it."""
    end = deadline(timeout)
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise TestFailure("timed out after %g s waiting for %s%s" %
                              (timeout * SCALE, what, "\n" + dump() if dump else ""))
        time.sleep(step)


class SoftChecks:
    """Counts checks that do not stop a scenario: every ok() that holds
    and every condition waited for and met (passed), every ok() that
    does not (failed, printed at once)."""

    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAILED: " + what, flush=True)
        return cond


def run_main(main):
    """Run a one-test script's main(): a TestFailure prints `FAIL: why` on
    stderr and exits 1."""
    try:
        return main()
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)

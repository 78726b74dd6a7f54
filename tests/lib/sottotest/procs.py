# SPDX-License-Identifier: ISC
"""procs: start and stop the programs under test."""
import os
import shlex
import signal
import subprocess

# Prefixes for the relay's and the client's command line (e.g. valgrind).
RELAY_WRAPPER = shlex.split(os.environ.get("SOTTO_RELAY_WRAPPER", ""))
CLIENT_WRAPPER = shlex.split(os.environ.get("SOTTO_CLIENT_WRAPPER", ""))


def die_with_parent(more=None):
    """preexec_fn: the child gets SIGKILL when the driver dies (a ctest
    timeout kills only the driver), then runs more() if given."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if more is not None:
        more()


def stop_process(proc, timeout, sig=signal.SIGTERM):
    """Send sig and wait up to timeout seconds (already scaled); SIGKILL
    after that. Returns the exit status, or None when it had to be killed."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


class BusyCores:
    """A saturated machine for a test: one busy-looping child per CPU,
    each ending by itself after at most `limit` seconds and all stopped on
    leaving the block. The clients under test then compete for the CPU as
    they do on a loaded CI machine, where a thread at a lower priority
    holding a lock the event loop needs stalls it for seconds."""

    def __init__(self, limit):
        self.limit = limit
        self.procs = []

    def __enter__(self):
        spin = "import time\nt=time.monotonic()+%f\nwhile time.monotonic()<t: pass\n" % self.limit
        for _ in range(os.cpu_count() or 2):
            self.procs.append(subprocess.Popen(["python3", "-c", spin],
                                               preexec_fn=die_with_parent))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            stop_process(p, 5, signal.SIGKILL)
        return False

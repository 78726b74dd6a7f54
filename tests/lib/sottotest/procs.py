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

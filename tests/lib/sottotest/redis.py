# SPDX-License-Identifier: ISC
"""redis: a private redis-server for cluster tests (127.0.0.1, free port, persistence off)."""
import os
import signal
import subprocess
import tempfile

from .checks import TestFailure, wait_until
from .net import free_port, listening
from .procs import die_with_parent

REDIS_BIN = os.environ.get("SOTTO_REDIS_SERVER", "redis-server")


class Redis:
    """redis-server on 127.0.0.1:<free port> with --save '' --appendonly no;
    restart() brings it back on the same port with nothing in it."""

    def __init__(self, port=None, start=True):
        self.logfile = tempfile.NamedTemporaryFile(prefix="redis-", suffix=".log", delete=False)
        self.proc = None
        self.port = port
        if not start:
            return
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise

    def start(self):
        for _ in range(5):
            port = self.port or free_port()
            self.proc = subprocess.Popen(
                [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent)
            wait_until(lambda: self.proc.poll() is not None or listening(port), 10,
                       "redis-server to listen on %d" % port)
            if self.proc.poll() is None:
                self.port = port
                return
            if self.port:
                raise TestFailure("redis-server did not restart on port %d" % port)
        raise TestFailure("redis-server did not start")

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            self.proc.send_signal(sig)
            self.proc.wait()

    def restart(self):
        self.kill()
        self.start()

    def cleanup(self):
        if self.logfile.closed:
            return
        self.kill()
        self.logfile.close()
        os.unlink(self.logfile.name)

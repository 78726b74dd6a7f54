# SPDX-License-Identifier: ISC
# servers.py: start and stop the servers under test (sotto-relay, redis-server) on free loopback ports.
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import free_port, scaled  # noqa: E402,F401  (free_port: for `run`)

START_TIMEOUT = scaled(10.0)
STOP_TIMEOUT = scaled(10.0)


class Server:
    """One server process; `with` stops it (SIGTERM, then SIGKILL)."""

    def __init__(self, kind, argv, port, log):
        self.kind, self.argv, self.port, self.log_path = kind, argv, port, log
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        self.pid = self.proc.pid
        self._wait_listening()

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s at start; see %s"
                                   % (self.argv[0], self.proc.returncode,
                                      self.log_path))
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("%s did not listen on %d within %.0f s"
                           % (self.argv[0], self.port, START_TIMEOUT))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Throughput runs measure the relay with its input budget off (wire-v1 §6
# `0` = unlimited); bench_budget compares it with the budget on.
BUDGET_OFF = ("--rate", "0", "--rate-bytes", "0")
# On, but above anything the generator sends: what the bookkeeping costs.
BUDGET_ABOVE = ("--rate", "100000000", "--rate-bytes", "900M", "--burst", "1000000")


def relay(binary, logdir, max_clients=100000, wrapper=(), quiet=True, extra=()):
    """quiet=False keeps the relay's connect/join/leave lines (jointime.py
    times joins by them). extra: more flags (the budget)."""
    port = free_port()
    argv = list(wrapper) + [binary, "--listen", "127.0.0.1:%d" % port,
                            "--max-clients", str(max_clients)] + list(extra)
    if quiet:
        argv.append("-q")
    return Server("sotto", argv, port, os.path.join(logdir, "relay.log"))


def redis(logdir, max_clients=100000, binary="redis-server"):
    """Persistence off, one loopback port, as the relay gets."""
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--maxclients", str(max_clients),
            "--loglevel", "warning", "--daemonize", "no"]
    return Server("redis", argv, port, os.path.join(logdir, "redis.log"))


def start(kind, bins, logdir, max_clients=100000, relay_flags=BUDGET_OFF):
    if kind == "sotto":
        return relay(bins["relay"], logdir, max_clients, extra=relay_flags)
    return redis(logdir, max_clients, bins.get("redis", "redis-server"))

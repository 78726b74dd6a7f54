# SPDX-License-Identifier: ISC
"""relaytest.py: drive a real sotto-relay over 127.0.0.1 from Python (stdlib only).

Relay starts the binary (prefixed by $SOTTO_RELAY_WRAPPER, e.g. valgrind) on
a free port with its stderr in a file; Client speaks wire-v1 frames. Every
wait has a deadline scaled by SOTTO_TIME_SCALE (tests/lib/sottotest).

With SOTTO_RELAY_CLUSTER=N (N >= 2) in the environment, Relay(...) is a
Cluster instead: a private redis-server and N relays joined to it with
--cluster, each given the same flags. It has the single relay's interface:
client() connects to the relays in turn (so a test's members are spread
over all of them), log() is every relay's log, stop() stops them all, so
test drivers run unchanged against it. SOTTO_RELAY_CLUSTER_PIN=1 keeps
every client on the first relay (for tests of one process's own counters,
limits and signals, with the cluster around it).
"""
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import (DAT, INI, KEY, LEFT, RELAY_WRAPPER, SCALE,  # noqa: E402,F401
                       Redis, TestFailure, check, check_eq, die_with_parent, frame,
                       free_port, listening, room_prefix, split_frame, wait_until)

RELAY_BIN = None  # set by the test runner


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        raise TestFailure("open-file hard limit %d < %d needed" % (hard, want))
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class RelayProcess:
    """A sotto-relay process on 127.0.0.1:<free port>."""

    def __init__(self, *args, wrapper=True, preexec=None):
        self.args = list(args)
        self.proc = None
        self.logfile = tempfile.NamedTemporaryFile(prefix="relay-", suffix=".log", delete=False)
        self.log_path = self.logfile.name
        try:
            self._start(wrapper, preexec)
        except BaseException:
            # No `with` body runs, so no __exit__: never leave a relay behind.
            print("--- relay log ---\n" + self.tail(60), file=sys.stderr)
            self.cleanup()
            raise

    def _start(self, wrapper, preexec):
        for attempt in range(5):
            self.port = free_port()
            cmd = (RELAY_WRAPPER if wrapper else []) + [RELAY_BIN, "--listen", "127.0.0.1:%d" % self.port] + self.args
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self.logfile, preexec_fn=lambda: die_with_parent(preexec))
            state = wait_until(self._started, 10, "the relay to listen")
            if state == "up":
                return
            # Lost the race for the free port to someone else: try another.
            self.proc.wait()
            if "in use" not in self.log():
                raise TestFailure("relay did not start:\n" + self.log())
        raise TestFailure("no free port after 5 attempts")

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        if etype is not None:
            print("--- relay log (tail) ---\n" + self.tail(60), file=sys.stderr)
        self.cleanup()
        return False

    def _started(self):
        if self.proc.poll() is not None:
            return "exited"
        return "up" if listening(self.port) else None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=5):
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log()), timeout, "log line /%s/ in:\n%s" % (pattern, self.tail()))

    def tail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def alive(self):
        return self.proc.poll() is None

    def client(self, **kw):
        return Client(self.port, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signal the relay and check it exits 0 (valgrind/ASan errors make it non-zero)."""
        check(self.alive(), "relay died before the end of the test:\n" + self.tail())
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("relay did not exit after %s" % signal.Signals(sig).name)
        if rc != 0:
            raise TestFailure("relay exited %d:\n%s" % (rc, self.tail(60)))
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        self.logfile.close()
        os.unlink(self.log_path)


CLUSTER = int(os.environ.get("SOTTO_RELAY_CLUSTER", "0") or 0)
PINNED = os.environ.get("SOTTO_RELAY_CLUSTER_PIN", "") not in ("", "0")


def presence_timeout():
    """--cluster-timeout for tests that are not about presence: long enough
    that a loaded machine or valgrind never delays a heartbeat past it."""
    return min(600, 10 * SCALE)


class Cluster:
    """n relays sharing one private Redis, behind the single relay's interface."""

    def __init__(self, *args, n=None, wrapper=True, preexec=None, redis=None):
        self.n = n or CLUSTER
        self.args = list(args)
        self.redis = None
        self.relays = []
        self.turn = 0
        try:
            self.redis = redis or Redis()
            for _ in range(self.n):
                self.add(wrapper=wrapper, preexec=preexec)
        except BaseException:
            print("--- cluster logs ---\n" + self.tail(60), file=sys.stderr)
            self.cleanup()
            raise

    def add(self, *more, wrapper=True, preexec=None, name=None):
        """One more relay in the cluster. It listens at once but accepts
        only once it has joined Redis: early clients wait in the backlog."""
        name = name or "n%d" % (len(self.relays) + 1)
        args = self.args + list(more)
        if "--cluster-timeout" not in args:
            args += ["--cluster-timeout", str(presence_timeout())]
        r = RelayProcess("--cluster", self.redis.url(), "--node-name", name,
                         *args, wrapper=wrapper, preexec=preexec)
        r.name = name
        self.relays.append(r)
        return r

    def wait_meshed(self):
        """Every running relay has heard every other one."""
        live = [r for r in self.relays if r.alive()]
        for r in live:
            for o in live:
                if o is not r:
                    r.wait_log(r"cluster: node %s \(" % re.escape(o.name), 10)

    @property
    def port(self):
        return self.relays[0].port

    @property
    def proc(self):
        return self.relays[0].proc

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        if etype is not None:
            print("--- cluster logs (tail) ---\n" + self.tail(60), file=sys.stderr)
        self.cleanup()
        return False

    def log(self):
        return "".join(r.log() for r in self.relays)

    def wait_log(self, pattern, timeout=5):
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log()), timeout,
                          "log line /%s/ in:\n%s" % (pattern, self.tail()))

    def tail(self, n=30):
        return "\n".join("[%s]\n%s" % (r.name, r.tail(n)) for r in self.relays)

    def alive(self):
        return all(r.alive() for r in self.relays)

    def client(self, **kw):
        """A connection to the next running relay in turn."""
        for _ in range(len(self.relays)):
            r = self.relays[0 if PINNED else self.turn % len(self.relays)]
            self.turn += 1
            if r.alive():
                return Client(r.port, **kw)
        raise TestFailure("no relay of the cluster is running")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        for r in self.relays:
            if r.alive() or not getattr(r, "killed", False):
                r.stop(sig, timeout)
        return 0

    def kill(self):
        for r in self.relays:
            r.kill()

    def cleanup(self):
        for r in self.relays:
            r.cleanup()
        if self.redis is not None:
            self.redis.cleanup()


def Relay(*args, **kw):
    """A relay process, or a cluster of them when SOTTO_RELAY_CLUSTER is set."""
    if CLUSTER >= 2:
        return Cluster(*args, **kw)
    return RelayProcess(*args, **kw)


class Closed(Exception):
    pass


class Client:
    """One TCP connection speaking wire-v1 frames."""

    def __init__(self, port, rcvbuf=None, connect=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.buf = b""
        self.id = None
        self.eof = False
        self.port = port
        if connect:
            self.sock.settimeout(5 * SCALE)
            self.sock.connect(("127.0.0.1", port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fileno(self):
        return self.sock.fileno()

    def send_raw(self, data):
        self.sock.settimeout(5 * SCALE)
        self.sock.sendall(data)

    def send(self, ftype, to=0, body=b"", frm=0, **kw):
        self.send_raw(frame(ftype, to, body, frm, **kw))

    def send_ini(self, room, to=0, extra=b""):
        self.send(INI, to, room_prefix(room) + extra)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise Closed()
        self.buf += data

    def recv(self, timeout=5):
        """The next frame; TestFailure on timeout or when the relay closes us."""
        deadline = time.monotonic() + timeout * SCALE
        try:
            while True:
                f, _, self.buf = split_frame(self.buf)
                if f is not None:
                    return f
                self._fill(deadline)
        except socket.timeout:
            raise TestFailure("client %s: no frame within %gs" % (self.id, timeout * SCALE))
        except Closed:
            raise TestFailure("client %s: relay closed the connection" % self.id)

    def join(self, room, to=0, extra=b""):
        """Send the first INI and read the relay's answer: (own id, other member ids)."""
        self.send_ini(room, to, extra)
        f = self.recv()
        check_eq((f.ver, f.type, f.frm), (1, INI, 0), "relay answer header")
        prefix = room_prefix(room)
        check(f.body.startswith(prefix), "answer starts with the room prefix: %r" % f.body)
        rest = f.body[len(prefix):]
        check(len(rest) >= 4, "answer has a count")
        count = struct.unpack(">I", rest[:4])[0]
        check_eq(len(rest), 4 + 4 * count, "answer length for count %d" % count)
        self.id = f.to
        check(self.id != 0, "member id is not 0")
        return self.id, list(struct.unpack(">%dI" % count, rest[4:]))

    def expect_closed(self, timeout=5):
        """Wait for EOF/reset from the relay, discarding frames before it."""
        deadline = time.monotonic() + timeout * SCALE
        try:
            while True:
                self._fill(deadline)
                self.buf = b""
        except Closed:
            return
        except socket.timeout:
            raise TestFailure("client %s: relay did not close the connection within %gs" %
                              (self.id, timeout * SCALE))

    def expect_left(self, who, timeout=5):
        f = self.recv(timeout)
        check_eq((f.type, f.frm, f.to, f.body), (LEFT, 0, 0, struct.pack(">I", who)),
                 "client %s expects LEFT of %s" % (self.id, who))

    def close(self):
        self.sock.close()


def exchange(a, b, tag=b"ping"):
    """a and b (same room, nobody else sending) trade one DAT each way."""
    body = tag + b" from a " + os.urandom(8).hex().encode()
    a.send(DAT, 0, body)
    f = b.recv()
    check_eq((f.type, f.frm, f.to, f.body), (DAT, a.id, 0, body), "DAT a->b")
    body = tag + b" from b " + os.urandom(8).hex().encode()
    b.send(DAT, a.id, body)
    f = a.recv()
    check_eq((f.type, f.frm, f.to, f.body), (DAT, b.id, a.id, body), "DAT b->a")


def run(tests, argv):
    """Entry point: --relay PATH (NAME | --list)."""
    global RELAY_BIN
    args = argv[1:]
    if args[:1] == ["--list"]:
        print(";".join(sorted(tests)))
        return 0
    if len(args) != 3 or args[0] != "--relay":
        print("usage: %s --relay PATH TEST | --list" % argv[0], file=sys.stderr)
        return 2
    RELAY_BIN = args[1]
    name = args[2]
    if name not in tests:
        print("unknown test %s" % name, file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        tests[name]()
    except TestFailure as e:
        print("FAIL %s: %s" % (name, e), file=sys.stderr)
        return 1
    print("PASS %s (%.2fs)" % (name, time.monotonic() - start))
    return 0

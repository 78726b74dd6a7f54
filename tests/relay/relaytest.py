"""relaytest.py: drive a real sotto-relay over 127.0.0.1 from Python (stdlib only).

Relay starts the binary (prefixed by $SOTTO_RELAY_WRAPPER, e.g. valgrind) on
a free port with its stderr in a file; Client speaks wire-v1 frames. Every
wait has a deadline, scaled by SLOW when a wrapper slows the relay down.

With SOTTO_RELAY_CLUSTER=N (N >= 2) in the environment, Relay(...) is a
Cluster instead: a private redis-server on a free port and N relays joined
to it with --cluster, each given the same flags. It has the single relay's
interface: client() connects to the relays in turn (so a test's members
are spread over all of them), log() is every relay's log, stop() stops
them all. Test drivers run unchanged against it. SOTTO_RELAY_CLUSTER_PIN=1
keeps every client on the first relay (for tests of one process's own
counters, limits and signals, with the cluster around it).
"""
import os
import re
import resource
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

INI, KEY, DAT, LEFT = 1, 2, 3, 4
HDR = 14

WRAPPER = shlex.split(os.environ.get("SOTTO_RELAY_WRAPPER", ""))
# Deadlines stretch under a wrapper (valgrind runs the relay ~20x slower).
SLOW = float(os.environ.get("SOTTO_RELAY_SLOW", "10" if WRAPPER else "1"))

RELAY_BIN = None  # set by the test runner

Frame = namedtuple("Frame", "ver type frm to body")


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


def frame(ftype, to=0, body=b"", frm=0, ver=1, length=None):
    """Encode one frame; `length` forces the len field (for bad frames)."""
    if length is None:
        length = 10 + len(body)
    return struct.pack(">IBBII", length, ver, ftype, frm, to) + body


def room_prefix(room):
    if isinstance(room, str):
        room = room.encode()
    return bytes([len(room)]) + room


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        raise TestFailure("open-file hard limit %d < %d needed" % (hard, want))
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def child_setup(more):
    """In the relay's child process: die with the test driver (a ctest
    timeout kills only the driver), then any test-specific setup."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if more is not None:
        more()


def listening(port):
    """Whether something listens on 127.0.0.1:port (read from /proc, so the
    check neither connects nor depends on what the relay logs)."""
    want = ":%04X" % port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def wait_until(cond, timeout, what):
    """Poll cond() until true; fail after timeout seconds (scaled)."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TestFailure("timed out waiting for " + what)
        time.sleep(0.01)


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
            cmd = (WRAPPER if wrapper else []) + [RELAY_BIN, "--listen", "127.0.0.1:%d" % self.port] + self.args
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self.logfile, preexec_fn=lambda: child_setup(preexec))
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
            rc = self.proc.wait(timeout * SLOW)
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


REDIS_BIN = os.environ.get("SOTTO_REDIS_SERVER", "redis-server")
CLUSTER = int(os.environ.get("SOTTO_RELAY_CLUSTER", "0") or 0)
# Tests of one process's own behaviour (its log counters, limits, signals,
# socket options) keep every client on the cluster's first relay.
PINNED = os.environ.get("SOTTO_RELAY_CLUSTER_PIN", "") not in ("", "0")


class Redis:
    """A private redis-server on 127.0.0.1:<free port>, persistence off."""

    def __init__(self, port=None):
        self.logfile = tempfile.NamedTemporaryFile(prefix="redis-", suffix=".log", delete=False)
        self.proc = None
        self.port = port
        self.start()

    def start(self):
        for attempt in range(5):
            port = self.port or free_port()
            self.proc = subprocess.Popen(
                [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"],
                stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
                preexec_fn=lambda: child_setup(None))
            wait_until(lambda: self.proc.poll() is not None or listening(port), 10,
                       "redis-server to listen")
            if self.proc.poll() is None:
                self.port = port
                return
            if self.port:
                raise TestFailure("redis-server did not restart on port %d" % port)
        raise TestFailure("redis-server did not start")

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait()

    def cleanup(self):
        self.kill()
        self.logfile.close()
        os.unlink(self.logfile.name)


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
            for i in range(self.n):
                self.add(wrapper=wrapper, preexec=preexec)
        except BaseException:
            print("--- cluster logs ---\n" + self.tail(60), file=sys.stderr)
            self.cleanup()
            raise

    def add(self, wrapper=True, preexec=None, name=None):
        """One more relay in the cluster, up once it has joined Redis."""
        name = name or "n%d" % (len(self.relays) + 1)
        r = RelayProcess("--cluster", self.redis.url(), "--node-name", name, *self.args,
                         wrapper=wrapper, preexec=preexec)
        r.name = name
        self.relays.append(r)
        return r

    def wait_meshed(self, relays=None):
        """Every relay has heard every other one."""
        relays = relays or [r for r in self.relays if r.alive()]
        for r in relays:
            for o in relays:
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
        return "\n".join("[%s] %s" % (r.name, r.tail(n)) for r in self.relays)

    def alive(self):
        return all(r.alive() for r in self.relays)

    def client(self, **kw):
        """The next relay in turn that is still running."""
        for _ in range(len(self.relays)):
            r = self.relays[0 if PINNED else self.turn % len(self.relays)]
            self.turn += 1
            if r.alive():
                return Client(r.port, **kw)
        raise TestFailure("no relay of the cluster is running")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        for r in self.relays:
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
            self.sock.settimeout(5 * SLOW)
            self.sock.connect(("127.0.0.1", port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fileno(self):
        return self.sock.fileno()

    def send_raw(self, data):
        self.sock.settimeout(5 * SLOW)
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
        deadline = time.monotonic() + timeout * SLOW
        try:
            while True:
                if len(self.buf) >= 4:
                    n = struct.unpack(">I", self.buf[:4])[0]
                    if len(self.buf) >= 4 + n:
                        raw, self.buf = self.buf[:4 + n], self.buf[4 + n:]
                        ver, t, frm, to = struct.unpack(">BBII", raw[4:HDR])
                        return Frame(ver, t, frm, to, raw[HDR:])
                self._fill(deadline)
        except socket.timeout:
            raise TestFailure("client %s: no frame within %gs" % (self.id, timeout * SLOW))
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
        deadline = time.monotonic() + timeout * SLOW
        try:
            while True:
                self._fill(deadline)
                self.buf = b""
        except Closed:
            return
        except socket.timeout:
            raise TestFailure("client %s: relay did not close the connection within %gs" %
                              (self.id, timeout * SLOW))

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

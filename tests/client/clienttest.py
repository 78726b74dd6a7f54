# SPDX-License-Identifier: ISC
"""clienttest.py: helpers for the sotto client suite: keys, a relay, batch clients, a frame-aware TCP proxy.

Everything talks to 127.0.0.1 only. Binaries come from the command line
(--client, --relay, --keygen); SOTTO_CLIENT_WRAPPER and SOTTO_RELAY_WRAPPER
prefix the client and relay commands (e.g. "valgrind --log-file=/tmp/vg.%p
--error-exitcode=99"), and SOTTO_TIME_SCALE multiplies every deadline
(tests/lib/sottotest: default 10 when a wrapper is set, else 1). Every wait is for an actual
event with a deadline; polling sleeps only between checks.

With SOTTO_RELAY_CLUSTER=N (N >= 2), Relay(...) is a cluster of N relays
sharing a private redis-server; each read of its .port names the next relay
in turn, so a test's clients are spread over all of them, unchanged.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import (listen_socket, CLIENT_WRAPPER, RELAY_WRAPPER, SCALE, BatchClient, BusyCores, Redis,  # noqa: E402,F401
                       TestFailure, check, check_eq, frame, free_port, read_frame,
                       stop_process, wait_until)

CLIENT_BIN = RELAY_BIN = KEYGEN_BIN = None

# RSA-4096 generation dominates the time to `ready`; on two busy cores a
# few clients at once take tens of seconds.
READY_TIMEOUT = 90.0
EVENT_TIMEOUT = 20.0


class Keys:
    """A temporary folder of identities made by sotto-keygen and trusted folders."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sotto-client-test-")
        self.dir = self.tmp.name
        self.fprs = {}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def make(self, *names):
        for name in names:
            key = self.path(name)
            subprocess.run([KEYGEN_BIN, "-f", key, "-N", "", "-C", name], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=30)
            out = subprocess.run([KEYGEN_BIN, "-l", "-f", key], check=True,
                                 capture_output=True, text=True, timeout=30).stdout
            fpr = [w for w in out.split() if w.startswith("SHA256:")]
            check(len(fpr) == 1, "sotto-keygen -l prints one fingerprint: %r" % out)
            self.fprs[name] = fpr[0]

    def trusted(self, folder, *names):
        """A trusted folder holding name.pub for each name."""
        d = self.path(folder)
        os.makedirs(d, exist_ok=True)
        for name in names:
            with open(self.path(name + ".pub")) as src, open(os.path.join(d, name + ".pub"), "w") as dst:
                dst.write(src.read())
        return d

    def cleanup(self):
        self.tmp.cleanup()


class RelayProcess:
    def __init__(self, port=None, args=()):
        self.port = port or free_port()
        self.args = list(args)
        self.proc = None
        self.errfile = None

    def start(self):
        self.errfile = tempfile.TemporaryFile()
        cmd = RELAY_WRAPPER + [RELAY_BIN, "--listen", "127.0.0.1:%d" % self.port,
                               "--join-timeout", str(int(60 * SCALE))] + self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.errfile)
        wait_until(self._listening, 20, "the relay to listen on %d" % self.port, step=0.05)
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise TestFailure("relay exited %s: %s" % (self.proc.returncode, self.log()))
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
        except OSError:
            return False
        s.close()
        return True

    def log(self):
        if self.errfile is None:
            return ""
        self.errfile.seek(0)
        return self.errfile.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc, 30 * SCALE)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


CLUSTER = int(os.environ.get("SOTTO_RELAY_CLUSTER", "0") or 0)


class ClusterRelay:
    """CLUSTER relays sharing a private Redis, used like one relay: .port is
    the next relay's port in turn; stop() also ends Redis, start() makes a
    fresh one (a cluster restarted as a whole, as a single relay would be)."""

    def __init__(self, port=None, args=(), n=None):
        self.args = list(args)
        self.redis = None
        self.relays = [RelayProcess(port if i == 0 else None) for i in range(n or CLUSTER)]
        self.turn = 0

    def start(self):
        self.redis = Redis()
        for i, r in enumerate(self.relays):
            # Presence is not what these tests are about: a timeout no
            # loaded machine or valgrind run reaches by accident.
            r.args = ["--cluster", self.redis.url(), "--node-name", "n%d" % (i + 1),
                      "--cluster-timeout", str(min(600, 10 * SCALE))] + self.args
            r.start()
        return self

    @property
    def port(self):
        r = self.relays[self.turn % len(self.relays)]
        self.turn += 1
        return r.port

    @property
    def proc(self):
        return self.relays[0].proc

    def log(self):
        return "".join(r.log() for r in self.relays)

    def stop(self):
        for r in self.relays:
            r.stop()
        if self.redis is not None:
            self.redis.cleanup()
            self.redis = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def Relay(port=None, args=()):
    """One relay, or a cluster of them when SOTTO_RELAY_CLUSTER is set."""
    if CLUSTER >= 2:
        return ClusterRelay(port, args)
    return RelayProcess(port, args)


class Client(BatchClient):
    """One `sotto --batch` process of the suite (BatchClient collects its events)."""

    def __init__(self, keys, name, trusted, port, room="lobby", extra=(), skew="0",
                 argv=None, env=None, setsid=False):
        """argv replaces the identity/trusted/room flags (the relay address
        is still appended); env replaces the environment."""
        self.name = name
        self.errfile = tempfile.TemporaryFile()
        if argv is None:
            argv = ["--identity", keys.path(name), "--trusted", trusted, "--room", room,
                    "--clock-skew", skew] + list(extra)
        addr = port if isinstance(port, str) else "127.0.0.1:%d" % port
        cmd = CLIENT_WRAPPER + [CLIENT_BIN, "--batch"] + list(argv) + [addr]
        BatchClient.__init__(self, cmd, self.errfile, env=env, setsid=setsid)

    def close_stdin(self):
        self.proc.stdin.close()

    def wait(self, kind, timeout=EVENT_TIMEOUT, count=1, **match):
        """Wait until `count` events of `kind` matching `match` arrived; return the last."""
        deadline = time.monotonic() + timeout * SCALE
        with self.cond:
            while True:
                found = [e for e in self.events if e["event"] == kind
                         and all(e.get(k) == v for k, v in match.items())]
                if len(found) >= count:
                    return found[count - 1]
                if self.proc.poll() is not None and not self.reader.is_alive():
                    raise TestFailure("%s exited (%s) before %s %r: events %r, stderr %r" % (
                        self.name, self.proc.returncode, kind, match, self.events, self.stderr()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("%s: timed out after %.0f s waiting for %s %r; events %r" % (
                        self.name, timeout * SCALE, kind, match, self.events))
                self.cond.wait(min(left, 0.5))

    def ready(self, timeout=READY_TIMEOUT):
        return self.wait("ready", timeout=timeout)

    def stderr(self):
        self.errfile.seek(0)
        return self.errfile.read().decode("utf-8", "replace")

    def stderr_lines(self):
        # Valgrind writes "==PID== ..." lines when not told --log-file.
        return [l for l in self.stderr().splitlines() if l and not l.startswith("==")]

    def wait_exit(self, timeout=30):
        try:
            rc = self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            raise TestFailure("%s did not exit within %.0f s; events %r" % (
                self.name, timeout * SCALE, self.events))
        self.reader.join(timeout=10)
        return rc

    def quit(self):
        self.send("/quit")
        return self.wait_exit()

    def no_bad_output(self):
        with self.cond:
            check(not self.bad_lines, "%s printed lines that are not JSON events: %r" % (
                self.name, self.bad_lines))

    def kill(self):
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)
                self.proc.kill()
            except OSError:
                pass
            self.proc.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass


class Proxy:
    """A TCP proxy in front of the relay for one client connection at a time.

    It forwards both ways; in the relay->client direction it cuts the
    stream into frames, records them (self.frames: (type, from, to, raw))
    and can inject extra frames between two of them: what a hostile relay
    could do.
    """

    def __init__(self, relay_port, up_frames=False):
        self.relay_port = relay_port
        self.lsock, self.port = listen_socket(4)
        self.up_frames = [] if up_frames else None  # client->relay frame sizes
        self.frames = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.client_sock = None
        self.inject_after = None      # (predicate, [raw frames]) checked per frame
        self.rewrite = None           # frame -> replacement raw bytes, or None
        self.stopped = False
        self.up_open = threading.Event()  # cleared: client->relay bytes wait
        self.up_open.set()
        self.up_bytes = 0             # client->relay bytes read from the client
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            r = socket.create_connection(("127.0.0.1", self.relay_port))
            with self.lock:
                self.client_sock = c
            up = self._up_frames if self.up_frames is not None else self._up
            threading.Thread(target=up, args=(c, r), daemon=True).start()
            threading.Thread(target=self._down, args=(c, r), daemon=True).start()

    def _up(self, c, r):
        try:
            while True:
                self.up_open.wait()
                data = c.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.up_bytes += len(data)
                r.sendall(data)
        except OSError:
            pass
        for s in (r,):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _up_frames(self, c, r):
        """_up, a whole frame at a time, its size recorded."""
        f = c.makefile("rb")
        try:
            while True:
                self.up_open.wait()
                _, raw = read_frame(f)
                if not raw:
                    break
                with self.lock:
                    self.up_bytes += len(raw)
                    self.up_frames.append(len(raw))
                r.sendall(raw)
        except OSError:
            pass
        try:
            r.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _down(self, c, r):
        f = r.makefile("rb")
        try:
            while True:
                fm, raw = read_frame(f)
                if fm is None:
                    break
                fr = (fm.type, fm.frm, fm.to, raw)
                with self.lock:
                    raw = self.rewrite(fr) if self.rewrite else None
                    c.sendall(raw if raw is not None else fr[3])
                    self.frames.append(fr[:3] + (fr[3],))
                    inj = self.inject_after
                    if inj is not None and inj[0](fr):
                        self.inject_after = None
                        for raw in inj[1]:
                            c.sendall(raw)
                    self.cond.notify_all()
        except OSError:
            pass
        try:
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hold_up(self, hold):
        """Stop (True) or go on (False) reading what the client sends: a
        relay that holds the client's input. The client's kernel then keeps
        what it writes; the proxy's own receive buffer is what the accept
        gave it (listen_socket's, below the proxy)."""
        if hold:
            self.up_open.clear()
        else:
            self.up_open.set()

    def inject(self, raws):
        """Send frames to the client now, between two relay frames."""
        with self.lock:
            for raw in raws:
                self.client_sock.sendall(raw)

    def inject_when(self, predicate, raws):
        with self.lock:
            self.inject_after = (predicate, list(raws))

    def recorded(self, ftype):
        with self.lock:
            return [f for f in self.frames if f[0] == ftype]

    def close(self):
        self.stopped = True
        self.lsock.close()


def run(tests, argv):
    """test_client.py --client BIN --relay BIN --keygen BIN NAME | --list"""
    global CLIENT_BIN, RELAY_BIN, KEYGEN_BIN
    args = list(argv[1:])
    if args == ["--list"]:
        print("\n".join(sorted(tests)))
        return 0
    names = []
    while args:
        a = args.pop(0)
        if a == "--client":
            CLIENT_BIN = args.pop(0)
        elif a == "--relay":
            RELAY_BIN = args.pop(0)
        elif a == "--keygen":
            KEYGEN_BIN = args.pop(0)
        else:
            names.append(a)
    if not (CLIENT_BIN and RELAY_BIN and KEYGEN_BIN):
        print("usage: test_client.py --client BIN --relay BIN --keygen BIN [TEST...] | --list",
              file=sys.stderr)
        return 2
    failed = 0
    for name in names or sorted(tests):
        t0 = time.monotonic()
        try:
            tests[name]()
            print("PASS %s (%.1f s)" % (name, time.monotonic() - t0))
        except TestFailure as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
    return 1 if failed else 0

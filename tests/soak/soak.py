#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""soak.py: relay endurance: churn, stalled and killed clients, garbage; then memory.

Wire-level clients (no crypto: the relay never looks past the room prefix)
in several rooms, for --seconds:
  - stable members that stay the whole run, two of them per room sending
    sequence-numbered DATs (mostly to the room, some unicast);
  - churners that join, stay a moment, check they got everything sent to
    them meanwhile, and leave (half by FIN, half by RST);
  - in room 0 a stalled reader (tiny receive buffer, never reads) and a
    bulk sender that pushes large DATs until the relay closes the stalled
    reader for passing --max-queue (room 0's readers must keep receiving);
  - a client process killed by SIGKILL half-way through a frame, and one
    that closes half-way through a header;
  - garbage connections: every violation of wire-v1 §2 once per round
    (huge len, len < 10, ver 2, type 4, a non-INI first frame, bad room
    prefixes, an INI for another room, silence past the join timeout).
Each DAT body carries (sender uid, seq) and a checkable pattern. Asserts:
  - every DAT sent to a live member reached it (counts per receiver), in
    the sender's order, once, intact and with `from` = the sender's id;
  - no connection the relay should have kept was closed; every violator
    and the stalled reader were closed (and their rooms told with LEFT);
  - afterwards, with every client gone, the relay's open fds are back to
    their idle count and its RSS (VmRSS, /proc/PID/status) is within the
    tolerance of its baseline (see RSS_TOLERANCE); SIGTERM exits 0.
The baseline is the idle RSS after a warm-up round of the same workload,
so memory the allocator keeps for reuse after the first round is not
mistaken for a leak.
"""

import argparse
import asyncio
import bisect
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import DAT as T_DAT, INI as T_INI, LEFT as T_LEFT  # noqa: E402
from sottotest import (SCALE, TestFailure, async_read_frame, deadline, frame,  # noqa: E402
                       free_port, room_prefix, split_frame)

MAGIC = b"SOAK"
PAY = struct.Struct(">4sIQI")        # magic, sender uid, seq, pattern length
BLOCK = random.Random(7).randbytes(1 << 17)
MAX_QUEUE = 1 << 20                  # relay --max-queue for the run
MAX_FRAME = 1 << 17                  # at most --max-queue - 4 (wire-v1 §6); DATs here are <= 60 kB
# The soak measures endurance and memory at full speed, not the input
# budget (tests/relay and tests/attack do): budget off.
BUDGET = ("--rate", "0", "--rate-bytes", "0")
JOIN_TIMEOUT = 1.0
# Idle RSS after the measured round may exceed the idle RSS after the
# warm-up round by at most this. Why not zero: glibc keeps freed heap pages
# (it trims only the top of the main arena, past 128 KiB), so fragments of
# the busiest moment can stay resident, and page-granular accounting moves
# RSS by a few pages. Why small: the warm-up already ran the same workload,
# so the allocator's working set is in the baseline; what is left to grow
# is state that outlives its frame or connection. The default 15 s round
# forwards ~50k DATs and ~12k joins, so 1 MiB is crossed by a leak of ~20
# bytes per DAT or ~90 bytes per join; the run prints the exact figures.
RSS_TOLERANCE = 1024 * 1024


Fail = TestFailure


def pattern(seq, n):
    off = seq % 4093
    return BLOCK[off:off + n]


def dat_body(uid, seq, n):
    return PAY.pack(MAGIC, uid, seq, n) + pattern(seq, n)


def bad_header(n, ver, ftype, hdr):
    if ver != 1 or n < 10:
        raise Fail("relay sent a bad header %r" % (hdr,))


class Stats:
    def __init__(self):
        self.sent = 0
        self.delivered = 0
        self.bytes = 0
        self.joins = 0
        self.garbage = 0
        self.stalled_after = 0


class Member:
    """A wire-level room member. Records every DAT it receives."""
    uids = 0

    def __init__(self, soak, room, role):
        Member.uids += 1
        self.uid = Member.uids
        self.soak = soak
        self.room = room
        self.role = role
        self.id = None
        self.got = {}                # sender uid -> list of seqs, in order
        self.lefts = set()
        self.closed_by_relay = False
        self.leaving = False
        self.joined_at = None
        self.task = None

    async def join(self, rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.soak.port))
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        self.writer.write(frame(T_INI, 0, room_prefix(self.room) +
                                b"soak member %d" % self.uid))
        while True:                  # others' INIs may come first
            ftype, frm, to, body = await self.read()
            if ftype == T_INI and frm == 0:
                break
        self.id = to
        self.joined_at = time.monotonic()
        self.soak.members[self.uid] = self
        self.soak.stats.joins += 1

    async def read(self):
        f = await async_read_frame(self.reader, bad_header)
        return f.type, f.frm, f.to, f.body

    def start_reading(self):
        self.task = asyncio.ensure_future(self.read_loop())

    async def read_loop(self):
        try:
            while True:
                ftype, frm, to, body = await self.read()
                if ftype == T_DAT:
                    self.on_dat(frm, to, body)
                elif ftype == T_LEFT:
                    self.lefts.add(struct.unpack(">I", body)[0])
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self.leaving:
                self.closed_by_relay = True
        except Fail as e:
            self.soak.errors.append("%s %d: %s" % (self.role, self.uid, e))

    def on_dat(self, frm, to, body):
        if len(body) < PAY.size:
            raise Fail("short DAT body (%d bytes)" % len(body))
        magic, uid, seq, n = PAY.unpack_from(body)
        if magic != MAGIC or len(body) != PAY.size + n or \
                body[PAY.size:] != pattern(seq, n):
            raise Fail("DAT body damaged (uid %d seq %d)" % (uid, seq))
        sender = self.soak.senders.get(uid)
        if sender is None or frm != sender.id:
            raise Fail("DAT from %d claims uid %d (id %s)" %
                       (frm, uid, sender and sender.id))
        if to not in (0, self.id):
            raise Fail("DAT addressed to %d delivered to %d" % (to, self.id))
        seqs = self.got.setdefault(uid, [])
        if seqs and seq <= seqs[-1]:
            raise Fail("DAT seq %d of uid %d after %d: order or duplicate" %
                       (seq, uid, seqs[-1]))
        seqs.append(seq)
        self.soak.stats.delivered += 1

    def expected(self, until):
        """(uid, seq) this member must have: sent in its room, to the room
        or to it, after it saw its roster and up to `until`."""
        want = set()
        for s in self.soak.senders.values():
            if s.room != self.room or s is self:
                continue
            lo = bisect.bisect_left(s.times, self.joined_at)
            hi = bisect.bisect_right(s.times, until)
            for seq, to in s.log[lo:hi]:
                if to in (0, self.id):
                    want.add((s.uid, seq))
        return want

    def missing(self, until):
        have = {(u, q) for u, qs in self.got.items() for q in qs}
        return self.expected(until) - have

    async def wait_complete(self, until, seconds):
        end = deadline(seconds)
        while self.missing(until):
            if self.closed_by_relay or time.monotonic() > end:
                m = sorted(self.missing(until))
                raise Fail("%s %d (id %d) lacks %d DATs sent to it, e.g. %s%s" %
                           (self.role, self.uid, self.id, len(m), m[:5],
                            " (closed by the relay)" if self.closed_by_relay else ""))
            await asyncio.sleep(0.02)

    async def leave(self, rst=False):
        self.leaving = True
        if rst:
            self.writer.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.close()
        if self.task:
            self.task.cancel()
        self.soak.members.pop(self.uid, None)


class Sender(Member):
    def __init__(self, soak, room, role="sender"):
        super().__init__(soak, room, role)
        self.seq = 0
        self.log = []                # (seq, to), in sending order
        self.times = []              # time each was sent (sorted)
        soak.senders[self.uid] = self

    def send(self, to, size):
        self.seq += 1
        self.log.append((self.seq, to))
        self.times.append(time.monotonic())
        body = dat_body(self.uid, self.seq, size)
        self.writer.write(frame(T_DAT, to, body))
        self.soak.stats.sent += 1
        self.soak.stats.bytes += len(body)


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.rooms = [b"soak-%d" % i for i in range(args.rooms)]
        self.members = {}
        self.senders = {}
        self.errors = []
        self.stats = Stats()
        self.kept = []               # members that must never be closed
        self.port = None
        self.proc = None

    # --- the relay process ---------------------------------------------------
    def start_relay(self):
        for _ in range(5):
            port = free_port()
            self.errlog = open(self.args.workdir + "/relay.stderr", "wb")
            # Under ASan, freed memory waits in a quarantine (256 MiB by
            # default) before reuse: RSS would grow with every free. This
            # run measures memory, so the quarantine is off for it (the rest
            # of the ASan suite keeps it for use-after-free detection);
            # LeakSanitizer still checks the relay at its SIGTERM exit.
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = ":".join(filter(None, (
                env.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
                "thread_local_quarantine_size_kb=0")))
            self.proc = subprocess.Popen(
                [self.args.relay, "--listen", "127.0.0.1:%d" % port, "-q",
                 "--max-queue", str(MAX_QUEUE), "--max-frame", str(MAX_FRAME),
                 "--join-timeout", str(JOIN_TIMEOUT)] + list(BUDGET),
                stderr=self.errlog, env=env)
            end = deadline(10)
            while self.proc.poll() is None and time.monotonic() < end:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    self.port = port
                    return
                except OSError:
                    time.sleep(0.05)
            self.proc.kill()
            self.proc.wait()
        raise Fail("the relay did not start listening")

    def status(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise Fail("no %s in /proc/%d/status" % (field, self.proc.pid))

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    async def idle(self, fds):
        """Wait until the relay holds no connection (its fd count is back to
        `fds`), then let it settle a moment for its RSS."""
        end = deadline(20)
        while self.nfds() > fds:
            if time.monotonic() > end:
                raise Fail("relay still holds %d fds, idle count is %d" %
                           (self.nfds(), fds))
            await asyncio.sleep(0.05)

    def alive(self):
        if self.proc.poll() is not None:
            raise Fail("the relay exited with %s" % self.proc.returncode)

    # --- one round of the workload -------------------------------------------
    async def member(self, cls, room, role, **kw):
        m = cls(self, room, role)
        await m.join(**kw)
        m.start_reading()
        return m

    async def run_round(self, seconds):
        stables, senders = [], []
        self.senders = {}
        for room in self.rooms:
            for i in range(3):
                cls = Sender if i < 2 else Member
                m = await self.member(cls, room, "stable")
                stables.append(m)
                if i < 2:
                    senders.append(m)
        end = time.monotonic() + seconds
        tasks = [asyncio.ensure_future(t) for t in (
            self.send_loop(senders, end),
            self.stalled_and_bulk(end),
            self.killed_mid_frame(),
            self.garbage(end),
        )] + [asyncio.ensure_future(self.churn(room, end)) for room in self.rooms] \
          + [asyncio.ensure_future(self.flicker(room, end)) for room in self.rooms]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
        self.alive()
        until = time.monotonic()
        for m in stables:
            await m.wait_complete(until, 20)
        for m in stables:
            if m.closed_by_relay:
                raise Fail("the relay closed stable member %d" % m.id)
            await m.leave()
        self.check_errors()

    async def send_loop(self, senders, end):
        while time.monotonic() < end:
            for s in senders:
                others = [m for m in self.members.values()
                          if m.room == s.room and m is not s and m.id and m.role != "stalled"]
                to = 0
                if others and self.rng.random() < 0.2:
                    to = self.rng.choice(others).id
                for _ in range(3):
                    s.send(to, self.rng.randrange(0, 2048))
            await asyncio.sleep(0.004)
            self.alive()

    async def churn(self, room, end):
        n = 0
        while time.monotonic() < end:
            churners = []
            for _ in range(3):
                cls = Sender if n % 2 else Member
                churners.append(await self.member(cls, room, "churner"))
                n += 1
            for c in churners:
                if isinstance(c, Sender):
                    for _ in range(self.rng.randrange(1, 5)):
                        c.send(0, self.rng.randrange(0, 512))
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))
            until = time.monotonic()
            for c in churners:
                await c.wait_complete(until, 20)
                if c.closed_by_relay:
                    raise Fail("the relay closed churner %d" % c.id)
                await c.leave(rst=self.rng.random() < 0.5)

    async def flicker(self, room, end):
        """Members that join and leave at once, as fast as the relay lets
        them: per-join state that outlives its connection shows in RSS."""
        while time.monotonic() < end:
            m = await self.member(Member, room, "flicker")
            await m.leave(rst=m.uid % 2 == 0)
            await asyncio.sleep(0.002)

    async def stalled_and_bulk(self, end):
        """The relay must close a reader that stops reading once its queue
        passes --max-queue, and keep serving the rest of the room."""
        room = self.rooms[0]
        stalled = Member(self, room, "stalled")
        await stalled.join(rcvbuf=4096)          # and never reads again
        self.members.pop(stalled.uid, None)
        bulk = await self.member(Sender, room, "bulk")
        watcher = await self.member(Member, room, "watcher")
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            wmem = int(f.read().split()[2])
        cap = 4 * (MAX_QUEUE + wmem) + (8 << 20)
        pushed = 0
        while stalled.id not in watcher.lefts:
            if pushed > cap:
                raise Fail("stalled reader still open after %d bytes to it "
                           "(max-queue %d)" % (pushed, MAX_QUEUE))
            if watcher.closed_by_relay or bulk.closed_by_relay:
                raise Fail("the relay closed a room-0 reader, not the stalled one")
            bulk.send(0, 60000)
            pushed += 60000 + PAY.size
            await bulk.writer.drain()
            await asyncio.sleep(0.002)
        self.stats.stalled_after = pushed
        until = time.monotonic()
        await watcher.wait_complete(until, 20)
        stalled.writer.close()
        while time.monotonic() < end:
            await asyncio.sleep(0.05)
        until = time.monotonic()
        await watcher.wait_complete(until, 20)
        for m in (bulk, watcher):
            if m.closed_by_relay:
                raise Fail("the relay closed %s %d" % (m.role, m.id))
            await m.leave()

    async def killed_mid_frame(self):
        """A client process that dies (SIGKILL) half-way through a frame, and
        one that closes half-way through a header: the room sees LEFT for
        each, nobody gets a partial frame."""
        room = self.rooms[1 % len(self.rooms)]
        watcher = await self.member(Member, room, "watcher")
        child = subprocess.Popen([sys.executable, __file__, "--half-frame",
                                  "--port", str(self.port), "--room", room.decode()],
                                 stdout=subprocess.PIPE)
        kid_id = int(child.stdout.readline())   # after it wrote half a frame
        child.kill()
        child.wait()
        half = await self.member(Member, room, "half-header")
        half.writer.write(frame(T_DAT, 0, dat_body(0, 0, 100))[:7])
        await half.writer.drain()
        half_id = half.id
        await half.leave()
        await self.wait(lambda: {kid_id, half_id} <= watcher.lefts, 10,
                        "LEFT for the killed and the half-header clients")
        if watcher.closed_by_relay:
            raise Fail("the relay closed a watcher")
        await watcher.leave()

    async def wait(self, cond, seconds, what):
        end = deadline(seconds)
        while not cond():
            if time.monotonic() > end:
                raise Fail("timed out waiting for " + what)
            await asyncio.sleep(0.02)

    async def garbage(self, end):
        """Every §2 violation once per pass, each on a fresh connection that
        the relay must close; a joined violator's room gets its LEFT."""
        room = self.rooms[-1]
        cases = [
            ("huge len", frame(T_DAT, length=0x7fffffff)),
            ("len < 10", frame(T_INI, length=9)),
            ("ver 2", frame(T_INI, 0, room_prefix(room), ver=2)),
            ("type 4", frame(T_LEFT, 0, b"\0\0\0\1")),
            ("type 0", frame(0, 0, room_prefix(room))),
            ("non-INI first", frame(T_DAT, 0, b"x" * 40)),
            ("room len 0", frame(T_INI, 0, b"\0")),
            ("room len 65", frame(T_INI, 0, bytes([65]) + b"r" * 65)),
            ("room len past body", frame(T_INI, 0, b"\x09room")),
            ("room NUL", frame(T_INI, 0, b"\x03a\0b")),
            ("room control", frame(T_INI, 0, b"\x03a\x1bb")),
            ("room C1", frame(T_INI, 0, b"\x04a\xc2\x85b")),
            ("room bad UTF-8", frame(T_INI, 0, b"\x03a\xffb")),
            ("room overlong", frame(T_INI, 0, b"\x03\xc0\xafb")),
            ("random bytes", random.Random(3).randbytes(300)),
            ("silence", b""),
        ]
        watcher = await self.member(Member, room, "watcher")
        while True:
            for name, data in cases:
                await self.expect_closed(name, data)
            # A member that then names another room.
            v = await self.member(Member, room, "violator")
            v.leaving = True
            v.writer.write(frame(T_INI, 0, room_prefix(b"elsewhere")))
            await self.wait(lambda: v.id in watcher.lefts and v.task.done(), 10,
                            "the relay to close an INI for another room")
            self.members.pop(v.uid, None)
            if time.monotonic() >= end:
                break
        if watcher.closed_by_relay:
            raise Fail("the relay closed a watcher")
        await watcher.leave()

    async def expect_closed(self, name, data):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        if data:
            writer.write(data)
        limit = (JOIN_TIMEOUT + 10) * SCALE
        try:
            while await asyncio.wait_for(reader.read(65536), limit):
                pass
        except asyncio.TimeoutError:
            raise Fail("garbage case '%s': the relay kept the connection" % name)
        except ConnectionError:
            pass
        writer.close()
        self.stats.garbage += 1

    def check_errors(self):
        if self.errors:
            raise Fail("; ".join(self.errors[:5]))

    # --- the whole run ---------------------------------------------------------
    async def main(self):
        self.start_relay()
        idle_fds = self.nfds()
        rss0 = self.status("VmRSS")
        warm = max(2.0, self.args.seconds / 4)
        await self.run_round(warm)
        await self.idle(idle_fds)
        base = self.status("VmRSS")
        peak_before = self.status("VmHWM")
        self.stats = Stats()
        await self.run_round(self.args.seconds)
        await self.idle(idle_fds)
        after = self.status("VmRSS")
        peak = self.status("VmHWM")
        self.alive()
        st = self.stats
        print("soak: measured round %gs: %d DATs sent (%.1f MiB), %d deliveries, "
              "%d joins, %d garbage connections closed, stalled reader closed "
              "after %.1f MiB to it" % (self.args.seconds, st.sent,
                                        st.bytes / 2**20, st.delivered, st.joins,
                                        st.garbage, st.stalled_after / 2**20))
        print("soak: the RSS tolerance is crossed by a leak of %d bytes per DAT "
              "or %d bytes per join" % (RSS_TOLERANCE // max(1, st.sent),
                                        RSS_TOLERANCE // max(1, st.joins)))
        print("soak: relay RSS start %d KiB, after warm-up %d KiB (peak %d KiB), "
              "after run %d KiB (peak %d KiB); tolerance %d KiB" % (
                  rss0 >> 10, base >> 10, peak_before >> 10, after >> 10,
                  peak >> 10, RSS_TOLERANCE >> 10))
        if after > base + RSS_TOLERANCE:
            raise Fail("relay RSS grew from %d KiB to %d KiB over the run "
                       "(tolerance %d KiB): a leak?" % (base >> 10, after >> 10,
                                                        RSS_TOLERANCE >> 10))
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10 * SCALE)
        except subprocess.TimeoutExpired:
            raise Fail("relay did not exit on SIGTERM")
        if rc != 0:
            raise Fail("relay exited %d on SIGTERM" % rc)


def half_frame(args):
    """Child for killed_mid_frame: join, write half a DAT, report, wait."""
    s = socket.create_connection(("127.0.0.1", args.port))
    room = args.room.encode()
    s.sendall(frame(T_INI, 0, room_prefix(room) + b"soak half-frame"))
    buf = b""
    while True:
        f, _, buf = split_frame(buf)
        if f is None:
            buf += s.recv(65536)
            continue
        if f.type == T_INI and f.frm == 0:
            to = f.to
            break
    f = frame(T_DAT, 0, dat_body(0, 0, 1000))
    s.sendall(f[:len(f) // 2])
    print(to, flush=True)
    time.sleep(3600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--relay", help="the sotto-relay binary")
    ap.add_argument("--seconds", type=float, default=15.0,
                    help="length of the measured round (default 15)")
    ap.add_argument("--rooms", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default="/tmp")
    ap.add_argument("--half-frame", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--room", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.half_frame:
        return half_frame(args)
    if not args.relay:
        ap.error("--relay is required")
    soak = Soak(args)
    try:
        asyncio.run(soak.main())
    except Fail as e:
        print("soak: FAILED: %s" % e)
        if soak.proc and soak.proc.poll() is None:
            soak.proc.kill()
        return 1
    print("soak: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_attack.py: sotto-relay under attack, with real `sotto --batch` members (issue 11).

An outsider joins a room (no --trusted: any INI with a room prefix joins)
and floods it with forged DATs that carry a trusted member's public key and
a garbage signature, so every member pays a signature check per frame. The
relay's input budget and fair fan-out must keep every member connected and
their own messages fast. With --trusted the outsider never gets in.

Loads are bounded in count and time (a few seconds of flood); deadlines
stretch with SOTTO_TIME_SCALE (tests/lib/sottotest), so the suite passes
on a loaded 2-core machine. Latency is measured from
the moment the test handed a line to the sending member to the moment a
receiving member printed it, and p99 is computed here.
"""
import base64
import json
import math
import os
import re
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True          # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "client"))
import clienttest as ct  # noqa: E402
from clienttest import Keys, Relay  # noqa: E402
from sottotest import DAT, INI, SCALE, check, check_eq, frame, listen_socket, room_prefix, wait_until  # noqa: E402
ROOM = "besieged"
MEMBERS = int(os.environ.get("SOTTO_ATTACK_MEMBERS", "10"))   # a smaller room only to debug
FLOOD_SECONDS = 3.0        # of flood per test; not scaled: the load stays bounded
# The p99 < 100 ms target is a speed goal: by the project's rule it is met
# in a benchmark run on a quiet machine, not asserted in CI, where ten
# sanitizer-built members share two cores with everything else (a quiet CI
# run measured p50 16-21 ms, p99 129-320 ms). Set SOTTO_ATTACK_P99_MS to
# assert it; without it the figure is printed and every other promise
# (nobody disconnected, every line delivered, the flooder throttled and
# logged) is still checked.
P99_LIMIT = float(os.environ.get("SOTTO_ATTACK_P99_MS", "0")) / 1000.0


class Member(ct.Client):
    """A batch client whose events carry the time they were printed."""

    def _read(self):
        for raw in self.proc.stdout:
            now = time.monotonic()
            try:
                ev = json.loads(raw.decode("utf-8"))
                ok = isinstance(ev, dict) and isinstance(ev.get("event"), str)
            except ValueError:
                ok = False
            with self.cond:
                if ok:
                    ev["_at"] = now
                    self.events.append(ev)
                else:
                    self.bad_lines.append(raw)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def cpu_seconds(self):
        """CPU time of the event-loop thread (the one that checks
        signatures); the background RSA session-key worker is not counted,
        since when it runs depends on the machine, not on the flood."""
        with open("/proc/%d/task/%d/stat" % (self.proc.pid, self.proc.pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pub_key(keys, name):
    """The 32-byte Ed25519 key of name.pub (ssh-ed25519 blob)."""
    with open(keys.path(name + ".pub")) as f:
        blob = base64.b64decode(f.read().split()[1])
    check_eq(blob[:15], b"\x00\x00\x00\x0bssh-ed25519", "blob type of %s.pub" % name)
    return blob[-32:]


def forged_dat(id_pub):
    """A well-formed v2 DAT body (docs/protocol.md "v2: DAT": version 2,
    kind 1, then id_pub, session, epoch, gen, index, counter, ts_ms) with a
    member's key and a garbage signature: a receiver must check the
    signature to refuse it."""
    ct_len = 16
    return (bytes([2, 1]) + id_pub + os.urandom(32)
            + struct.pack(">IIIQQ", 1, 0, 0, 1 + int.from_bytes(os.urandom(4), "big"),
                          int(time.time() * 1000))
            + struct.pack(">I", ct_len) + os.urandom(ct_len) + os.urandom(16) + os.urandom(64))


def wire(ftype, body, to=0):
    return frame(ftype, to, body)


class Outsider:
    """A raw connection that joins ROOM with a junk INI and floods forged DATs."""

    def __init__(self, port, id_pub):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10 * SCALE)
        self.sock.sendall(wire(INI, room_prefix(ROOM) + b"outsider"))
        self.id = self._read_id()
        self.frames = [wire(DAT, forged_dat(id_pub)) for _ in range(64)]
        self.sent = 0
        self.thread = None

    def _read_id(self):
        buf = b""
        while len(buf) < 14:
            data = self.sock.recv(4096)
            check(data, "relay closed the outsider before answering its INI")
            buf += data
        ftype, frm, to = struct.unpack(">xxxxxBII", buf[:14])
        check_eq((ftype, frm), (INI, 0), "relay answers the outsider's INI")
        return to

    def flood(self, rate, seconds):
        """rate frames/s (None: as fast as the socket takes them) for seconds."""
        self.thread = threading.Thread(target=self._flood, args=(rate, seconds), daemon=True)
        self.thread.start()

    def _flood(self, rate, seconds):
        start = time.monotonic()
        end = start + seconds
        self.sock.setblocking(False)
        big = b"".join(self.frames)
        per = len(self.frames[0])
        pending = b""
        written = 0
        try:
            while time.monotonic() < end:
                if not pending:
                    if rate is None:
                        pending = big
                    else:
                        due = int((time.monotonic() - start) * rate) - written // per
                        pending = (big * (due // len(self.frames) + 1))[:max(0, due) * per]
                if pending:
                    try:
                        n = self.sock.send(pending)
                    except BlockingIOError:
                        n = 0
                    written += n
                    pending = pending[n:]
                    if n == 0:
                        time.sleep(0.002)
                else:
                    time.sleep(0.005)
        except OSError:
            pass
        self.sent = written // per

    def join(self):
        self.thread.join(30 * SCALE)

    def close(self):
        self.sock.close()


class Room:
    """Keys, a relay and MEMBERS ready batch members in ROOM; everything
    stopped at the end (members must exit cleanly on SIGTERM)."""

    def __init__(self, n=MEMBERS, relay_args=(), trusted_relay=False, more=()):
        """more: identities made and trusted (by members and a --trusted
        relay) that the test starts itself."""
        self.names = ["m%d" % i for i in range(n)]
        self.keys = Keys()
        self.keys.make(*self.names, *more)
        self.trusted = self.keys.trusted("trusted", *self.names, *more)
        args = list(relay_args)
        if trusted_relay:
            args += ["--trusted", self.trusted]
        self.relay = Relay(args=args).start()
        self.members = []

    def __enter__(self):
        return self

    def start_members(self):
        for name in self.names:
            self.members.append(Member(self.keys, name, self.trusted, self.relay.port, room=ROOM))
        # All at once (one after the other would take minutes of RSA-4096
        # on two cores); every one must reach ready.
        for m in self.members:
            m.ready()
        self.settle()
        return self

    def settle(self):
        """Every member knows every other (its roster at ready plus the
        joins after it), then one line from each talker reaches everyone:
        the joins' RSA work is over before anything is measured."""
        n = len(self.members)
        for m in self.members:
            wait_until(lambda: len(m.all("ready")[0]["members"]) + len(m.all("joined")) >= n,
                          60, "%s to know all %d members" % (m.name, n))
        talk(self.members[:3], self.members, 0.01, prefix="warm")
        for m in self.members:
            others = sum(1 for t in self.members[:3] if t is not m)
            m.wait("message", count=others, timeout=60)
            m.settled_disconnects = len(m.all("disconnected"))

    def __exit__(self, etype, exc, tb):
        if etype is not None:
            print("--- relay log (tail) ---\n" + self.relay.log()[-3000:], file=sys.stderr)
        for m in self.members:
            m.kill()
        self.relay.stop()
        self.keys.cleanup()
        return False


def talk(senders, receivers, seconds, every=0.1, prefix="lat"):
    """Each sender says a numbered line every `every` seconds for `seconds`;
    returns {text: send time}."""
    sent = {}
    end = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < end:
        for s in senders:
            text = "%s %s %d" % (prefix, s.name, seq)
            sent[text] = (s.name, time.monotonic())
            s.send(text)
        seq += 1
        time.sleep(every)
    return sent


def latencies(sent, members, timeout, room_log=lambda: ""):
    """Wait until every member printed every line of another member; the
    latency of each (line, receiver) pair."""
    out = []
    for m in members:
        want = [t for t, (who, _) in sent.items() if who != m.name]
        deadline = time.monotonic() + timeout * SCALE

        def have():
            got = {e["text"]: e["_at"] for e in m.all("message") if e["text"] in sent}
            return got if all(t in got for t in want) else None
        got = None
        while got is None:
            got = have()
            if got is None:
                missing = [t for t in want if t not in {e["text"] for e in m.all("message")}]
                if time.monotonic() > deadline:
                    reasons = {}
                    for e in m.all("rejected"):
                        reasons[e["reason"]] = reasons.get(e["reason"], 0) + 1
                    odd = [e for e in m.all() if e["event"] not in ("rejected", "message")]
                    odd += [e for e in m.all("rejected") if e["reason"] != "bad-signature"][:5]
                    print("--- relay log ---\n" + "\n".join(
                        l for l in room_log().splitlines() if "route" not in l)[-4000:], file=sys.stderr)
                    check(False, "%s did not receive %d of %d lines (e.g. %r); rejected %r; "
                          "other events %r" % (m.name, len(missing), len(want), missing[:3],
                                               reasons, odd[-12:]))
                time.sleep(0.05)
        mine = [got[t] - sent[t][1] for t in want]
        if os.environ.get("SOTTO_ATTACK_DEBUG"):
            t0 = min(v[1] for v in sent.values())
            print(m.name, sorted((round(sent[t][1] - t0, 2), round(1000 * (got[t] - sent[t][1]))) for t in want
                                 if got[t] - sent[t][1] > 0.1))
            print("%s: p50 %.0f ms max %.0f ms" % (m.name, 1000 * sorted(mine)[len(mine) // 2], 1000 * max(mine)))
        out += mine
    return out


def p99(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.99 * len(xs)) - 1)]


def no_member_lost(room):
    """No member exited or was disconnected since the room settled (a
    member whose RSA-4096 key took longer than the join timeout on a busy
    machine reconnects before that; it is not what these tests judge)."""
    for m in room.members:
        check(m.proc.poll() is None, "%s exited: %r" % (m.name, m.stderr()[-500:]))
        lost = m.all("disconnected")[getattr(m, "settled_disconnects", 0):]
        check(not lost, "%s was disconnected: %r; relay log:\n%s" % (
            m.name, lost, room.relay.log()[-3000:]))
    log = room.relay.log()
    check("slow reader" not in log, "the relay closed a member as a slow reader:\n%s" % log[-3000:])


def flood_test(rate):
    with Room() as room:
        room.start_members()
        victim = pub_key(room.keys, "m0")
        out = Outsider(room.relay.port, victim)
        for m in room.members:
            m.wait("rejected")          # the outsider's INI
        cpu0 = [m.cpu_seconds() for m in room.members]
        rej0 = [len(m.all("rejected")) for m in room.members]
        out.flood(rate, FLOOD_SECONDS)
        sent = talk(room.members[:3], room.members, FLOOD_SECONDS)
        out.join()
        cpu = [m.cpu_seconds() - c for m, c in zip(room.members, cpu0)]
        rej = [len(m.all("rejected")) - r for m, r in zip(room.members, rej0)]
        print("members' CPU during the %.0f s flood: %s s (refused %s frames)" % (
            FLOOD_SECONDS, " ".join("%.2f" % c for c in cpu), " ".join(map(str, rej))))
        no_member_lost(room)
        lat = latencies(sent, room.members, 30, room.relay.log)
        no_member_lost(room)
        bad_sigs = min(len(m.all("rejected", reason="bad-signature")) for m in room.members)
        q = p99(lat)
        print("flood rate %s: outsider sent %d frames in %.0f s; members refused >= %d; "
              "%d latencies, p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
                  rate or "full", out.sent, FLOOD_SECONDS, bad_sigs, len(lat),
                  1000 * sorted(lat)[len(lat) // 2], 1000 * q, 1000 * max(lat)))
        check(bad_sigs > 0, "the forged DATs reached the members (refused as bad-signature)")
        if P99_LIMIT > 0:
            check(q < P99_LIMIT * SCALE, "p99 latency %.1f ms < %.0f ms" % (
                1000 * q, 1000 * P99_LIMIT * SCALE))
        check(re.search(r"throttle start id=%d addr=127\.0\.0\.1:\d+: over --rate 50 frames/s" % out.id,
                        room.relay.log()), "the outsider's throttle start is logged:\n" + room.relay.log()[-2000:])
        for m in room.members:
            check(m.proc.poll() is None, "%s still runs" % m.name)
        # What the outsider already wrote sits in the relay's socket buffer
        # and is still read at --rate after it hangs up (a bot's last lines
        # must not be lost), so its episode ends when the relay stops.
        out.close()
        room.relay.stop()
        check(re.search(r"throttle stop id=%d addr=127\.0\.0\.1:\d+ after [\d.]+ s \(closed\): held \d+ "
                        r"times \(rate [1-9]\d*, bytes \d+, queues \d+\); passed \d+ frames" % out.id,
                        room.relay.log()), "the outsider's throttle stop line:\n" + room.relay.log()[-2000:])


def test_flood_full_speed():
    """An outsider floods forged DATs as fast as loopback allows."""
    flood_test(None)


def test_flood_3000():
    flood_test(3000)


def test_flood_300():
    flood_test(300)


def relay_rss_kib(relay):
    with open("/proc/%d/status" % relay.proc.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


# Relay memory stated for 100 outsiders: each connection costs its struct
# and, while held, at most one 64 KiB read of unrouted bytes; what it has
# queued to others is bounded by its fair share (--max-queue / 8, unique
# bytes). With 200-byte frames at 2 frames/s that is far below the bound.
OUTSIDERS = 100
OUTSIDER_RATE = 2.0         # frames/s each: within any budget
RSS_GROWTH_KIB = 32 * 1024
MEMBER_CPU_SHARE = 0.6      # of one core, during the flood


def test_outsiders_100_within_budget():
    """100 outsiders, each within the budget, flood forged DATs together:
    no member is disconnected, members' CPU stays under MEMBER_CPU_SHARE of
    a core (measured from /proc), the relay's RSS grows less than
    RSS_GROWTH_KIB, and members still talk."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    with Room(n=3) as room:
        room.start_members()
        rss0 = relay_rss_kib(room.relay)
        victim = pub_key(room.keys, "m0")
        outs = [Outsider(room.relay.port, victim) for _ in range(OUTSIDERS)]
        for m in room.members:
            m.wait("rejected", count=OUTSIDERS, timeout=60)     # their INIs
        cpu0 = [m.cpu_seconds() for m in room.members]
        start = time.monotonic()
        sent = 0
        talk_thread = threading.Thread(target=lambda: results.update(
            sent=talk(room.members, room.members, FLOOD_SECONDS, every=0.25)), daemon=True)
        results = {}
        talk_thread.start()
        while time.monotonic() - start < FLOOD_SECONDS:
            due = int((time.monotonic() - start) * OUTSIDER_RATE) + 1
            while sent < due:
                for o in outs:
                    o.sock.sendall(o.frames[sent % len(o.frames)])
                sent += 1
            time.sleep(0.05)        # paces the flood; nothing is waited for
        talk_thread.join(30 * SCALE)
        elapsed = time.monotonic() - start
        cpu = [(m.cpu_seconds() - c) / elapsed for m, c in zip(room.members, cpu0)]
        rss = relay_rss_kib(room.relay)
        lat = latencies(results["sent"], room.members, 60, room.relay.log)
        no_member_lost(room)
        print("%d outsiders x %.0f frames/s for %.1f s: members' CPU %s of a core; relay RSS %d -> %d KiB; "
              "member p99 %.1f ms" % (OUTSIDERS, OUTSIDER_RATE, elapsed, " ".join("%.2f" % c for c in cpu),
                                     rss0, rss, 1000 * p99(lat)))
        for m, c in zip(room.members, cpu):
            check(c < MEMBER_CPU_SHARE * SCALE, "%s used %.2f of a core (bound %.2f)" % (m.name, c, MEMBER_CPU_SHARE))
        check(rss - rss0 < RSS_GROWTH_KIB, "relay RSS grew %d KiB (bound %d)" % (rss - rss0, RSS_GROWTH_KIB))
        check(all(len(m.all("rejected", reason="bad-signature")) > 0 for m in room.members),
              "the forged DATs reached the members")
        for o in outs:
            o.close()


class Tap:
    """A TCP forwarder in front of the relay for one client that records
    what the client sends (its first frame is its signed INI)."""

    def __init__(self, relay_port):
        self.relay_port = relay_port
        self.lsock, self.port = listen_socket(1)
        self.up = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        c, _ = self.lsock.accept()
        r = socket.create_connection(("127.0.0.1", self.relay_port))
        threading.Thread(target=self._pipe, args=(r, c, False), daemon=True).start()
        self._pipe(c, r, True)

    def _pipe(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record:
                    with self.lock:
                        self.up += data
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def first_frame(self):
        with self.lock:
            check(len(self.up) >= 4, "the client sent its INI")
            n = struct.unpack(">I", self.up[:4])[0]
            check(len(self.up) >= 4 + n, "the client sent its whole INI")
            return self.up[:4 + n]


def refused_at_once(relay, raw, want):
    """A raw connection sends raw: it is closed before it learns anything
    (no frame at all), and one line says why."""
    s = socket.create_connection(("127.0.0.1", relay.port), timeout=20 * SCALE)
    port = s.getsockname()[1]
    s.sendall(raw)
    got = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        got += data
    s.close()
    check_eq(got, b"", "what a refused connection received")
    wait_until(lambda: re.search(r"not admitted id=\d+ addr=127\.0\.0\.1:%d: %s; closing" % (port, want),
                                    relay.log()), 10, "the refusal line /%s/ in:\n%s" % (want, relay.log()[-2000:]))


def test_trusted_admission():
    """--trusted: members in the folder join and talk as before; a junk
    INI, an untrusted client's INI, a trusted INI with a broken signature
    and a member's genuine INI replayed on another connection are each
    closed at once, logged, and given nothing; members never hear of them."""
    with Room(n=3, trusted_relay=True, more=("m3",)) as room:
        room.keys.make("eve")
        trusting_eve = room.keys.trusted("eves-view", *(room.names + ["m3", "eve"]))
        room.start_members()
        room.relay.log().index("admission: only INIs signed by one of 4 keys in ")
        tap = Tap(room.relay.port)
        m3 = Member(room.keys, "m3", room.trusted, tap.port, room=ROOM)
        room.members.append(m3)
        m3.ready()
        for m in room.members[:3]:
            m.wait("joined", name="m3", timeout=60)
        ini = tap.first_frame()
        check_eq(ini[5], INI, "the tapped frame is an INI")

        refused_at_once(room.relay, wire(INI, room_prefix(ROOM) + b"junk"), r"not a well-formed member INI")
        refused_at_once(room.relay, ini, r"replayed INI: its nonce was admitted before")
        broken = ini[:-1] + bytes([ini[-1] ^ 1])
        refused_at_once(room.relay, broken, r"bad signature for key %s" % re.escape(room.keys.fprs["m3"]))

        eve = Member(room.keys, "eve", trusting_eve, room.relay.port, room=ROOM)
        eve.wait("disconnected", timeout=READY_TIMEOUT_S)
        check(not eve.all("ready"), "eve never got the key")
        wait_until(lambda: re.search(r"not admitted id=\d+ addr=127\.0\.0\.1:\d+: key %s is not in "
                                        r"--trusted; closing" % re.escape(room.keys.fprs["eve"]),
                                        room.relay.log()), 10, "eve's refusal line")
        eve.kill()

        sent = talk(room.members[:1], room.members, 0.01, prefix="after")
        latencies(sent, room.members, 60, room.relay.log)
        no_member_lost(room)
        for m in room.members:
            names = {e.get("name") for e in m.all()} | {e.get("detail", "") for e in m.all("rejected")}
            check("eve" not in names, "%s heard of eve: %r" % (m.name, m.all()[-5:]))
            check(not m.all("rejected"), "%s was sent nothing it had to refuse: %r" % (m.name, m.all("rejected")[:3]))


READY_TIMEOUT_S = 120

TESTS = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("test_")}





if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_relay.py: sotto-relay against wire-v1 §1-§2, one ctest test per test_ function.

usage: test_relay.py --relay PATH NAME   (or --list for the names)
"""
import os
import random
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True          # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import (DAT, INI, KEY, LEFT, RELAY_WRAPPER, SCALE, Client, Relay,  # noqa: E402
                       TestFailure, check, check_eq, exchange, frame, raise_nofile,
                       room_prefix, split_frame, wait_until)
import relaytest  # noqa: E402

LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")

TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


def room_of(r, room, n, **kw):
    """n clients joined to room in turn; earlier members have read each
    newcomer's INI. Checks every roster on the way."""
    members = []
    for _ in range(n):
        c = r.client(**kw)
        cid, roster = c.join(room)
        check_eq(roster, [m.id for m in members], "roster of %d" % cid)
        for m in members:
            f = m.recv()
            check_eq((f.type, f.frm, f.to, f.body), (INI, cid, 0, room_prefix(room)),
                     "member %d sees the INI of %d" % (m.id, cid))
        members.append(c)
    return members


def id_of(r, client):
    """The id the relay gave a connection that has not joined (from its
    connect line, matched by the client's port)."""
    port = client.sock.getsockname()[1]
    m = r.wait_log(r"connect id=(\d+) addr=127\.0\.0\.1:%d " % port)
    return int(m.group(1))


# --- joining and the roster -------------------------------------------------

@test
def test_roster_empty():
    with Relay() as r:
        a = r.client()
        aid, roster = a.join("lobby")
        check_eq(aid, 1, "the first id")
        check_eq(roster, [], "first joiner's roster")
        r.wait_log(r'join id=1 room="lobby" members=1 rooms=1')
        r.stop()


@test
def test_roster_nonempty():
    with Relay() as r:
        d = r.client()
        d.join("elsewhere")
        a, b = room_of(r, "lobby", 2)
        c = r.client()
        cid, roster = c.join("lobby", extra=b"opaque-ini-body")
        check_eq(roster, [a.id, b.id], "roster lists the other members, not other rooms")
        for m in (a, b):
            f = m.recv()
            check_eq(f, (1, INI, cid, 0, room_prefix("lobby") + b"opaque-ini-body"),
                     "INI forwarded unchanged but for from")
        # The answer came right after the forward: nobody else got an answer.
        c.send(DAT, 0, b"after join")
        for m in (a, b):
            check_eq(m.recv().body, b"after join", "next frame after the INI")
        r.stop()


@test
def test_ids_never_reused():
    with Relay() as r:
        seen = []
        keep = []
        for i in range(40):
            c = r.client()
            if i % 4 == 3:
                # Never joins: its id is used up all the same.
                seen.append(id_of(r, c))
                c.close()
                continue
            cid, _ = c.join("r%d" % (i % 3))
            seen.append(cid)
            if i % 5 == 0:
                keep.append(c)          # stays connected
            else:
                c.close()
        check_eq(seen, sorted(set(seen)), "ids strictly increase")
        check_eq(seen[0], 1, "counter starts at 1")
        # After all that churn a newcomer still gets a fresh id.
        c = r.client()
        cid, _ = c.join("fresh")
        check(cid > max(seen), "id %d is new (max before %d)" % (cid, max(seen)))
        connect_ids = [int(x) for x in re.findall(r"connect id=(\d+)", r.log())]
        check_eq(len(connect_ids), len(set(connect_ids)), "no id logged twice")
        r.stop()


# --- forwarding --------------------------------------------------------------

@test
def test_broadcast():
    # --rate 0: the 600-frame burst is about order, not the budget.
    with Relay("--rate", "0") as r:
        a, b, c = room_of(r, "room", 3)
        body = b"hello everyone"
        a.send(DAT, 0, body, frm=0xdeadbeef)     # a lies about from
        for m in (b, c):
            check_eq(m.recv(), (1, DAT, a.id, 0, body), "DAT with from overwritten")
        a.send(KEY, 0, b"key frame")
        for m in (b, c):
            check_eq(m.recv(), (1, KEY, a.id, 0, b"key frame"), "KEY broadcast")
        # a never gets its own frames: the next thing it sees is c's.
        c.send(DAT, 0, b"marker")
        check_eq(a.recv(), (1, DAT, c.id, 0, b"marker"), "sender's next frame")
        check_eq(b.recv().body, b"marker", "b sees the marker")
        # Order per sender, in one burst, frames of many sizes.
        burst = [b"%05d" % i + b"x" * (i % 300) for i in range(600)]
        a.send_raw(b"".join(frame(DAT, 0, x) for x in burst))
        for i, x in enumerate(burst):
            check_eq(b.recv().body, x, "b frame %d in order" % i)
            check_eq(c.recv().body, x, "c frame %d in order" % i)
        r.stop()


@test
def test_split_and_coalesced_frames():
    """Frames arriving one byte at a time, or many in one segment."""
    with Relay() as r:
        a, b = room_of(r, "room", 2)
        raw = frame(DAT, 0, b"trickled in")
        for i in range(len(raw)):
            a.send_raw(raw[i:i + 1])
        check_eq(b.recv().body, b"trickled in", "reassembled frame")
        a.send_raw(frame(DAT, 0, b"one") + frame(DAT, 0, b"two")[:7])
        check_eq(b.recv().body, b"one", "first of a coalesced pair")
        a.send_raw(frame(DAT, 0, b"two")[7:])
        check_eq(b.recv().body, b"two", "second completed later")
        r.stop()


@test
def test_unicast():
    with Relay() as r:
        a, b, c = room_of(r, "room", 3)
        a.send(DAT, b.id, b"for b only")
        check_eq(b.recv(), (1, DAT, a.id, b.id, b"for b only"), "unicast keeps to")
        a.send(KEY, c.id, b"key for c")
        check_eq(c.recv(), (1, KEY, a.id, c.id, b"key for c"), "KEY unicast")
        b.send(DAT, 0, b"marker")
        check_eq(c.recv().body, b"marker", "c did not get b's unicast")
        check_eq(a.recv().body, b"marker", "a got nothing else")
        r.stop()


@test
def test_ini_forwarded_later():
    """A later INI for the same room is forwarded like any frame."""
    with Relay() as r:
        a, b, c = room_of(r, "room", 3)
        body = room_prefix("room") + b"re-announce"
        a.send(INI, 0, body)
        for m in (b, c):
            check_eq(m.recv(), (1, INI, a.id, 0, body), "later INI broadcast")
        a.send(INI, b.id, body)
        check_eq(b.recv(), (1, INI, a.id, b.id, body), "later INI unicast")
        a.send(DAT, 0, b"marker")
        check_eq(c.recv().body, b"marker", "c did not get the unicast INI")
        check_eq(b.recv().body, b"marker", "b got the marker")
        r.stop()


@test
def test_to_nonmember_dropped():
    with Relay() as r:
        a, b = room_of(r, "one", 2)
        d, e = room_of(r, "two", 2)
        a.send(DAT, 99999, b"to nobody")
        a.send(DAT, a.id, b"to myself")
        a.send(DAT, d.id, b"to another room")
        a.send(KEY, 0x7fffffff, b"key to nobody")
        a.send(DAT, 0, b"still here")
        check_eq(b.recv(), (1, DAT, a.id, 0, b"still here"), "next frame forwarded")
        e.send(DAT, 0, b"marker two")
        check_eq(d.recv().body, b"marker two", "d got nothing from room one")
        # A first INI naming a non-member joins and is answered anyway.
        f = r.client()
        fid, roster = f.join("one", to=424242)
        check_eq(roster, [a.id, b.id], "answered roster")
        f.send(DAT, 0, b"from f")
        check_eq(a.recv(), (1, DAT, fid, 0, b"from f"), "a did not get f's INI")
        check_eq(b.recv(), (1, DAT, fid, 0, b"from f"), "b did not get f's INI")
        a.close()
        r.wait_log(r'leave id=%d room="one" reason="closed by peer" dropped=4' % a.id)
        b.expect_left(a.id)
        f.expect_left(a.id)
        f.close()
        r.wait_log(r'leave id=%d room="one" reason="closed by peer" dropped=1' % fid)
        r.stop()


# --- leaving -----------------------------------------------------------------

@test
def test_left_on_close():
    with Relay() as r:
        a, b, c = room_of(r, "room", 3)
        c.close()
        a.expect_left(c.id)
        b.expect_left(c.id)
        b.close()
        a.expect_left(b.id)
        a.close()
        r.wait_log(r"leave id=%d " % a.id)
        # The room went with its last member: the relay holds no rooms, and
        # a newcomer to that name is first again.
        o = r.client()
        oid, _ = o.join("other")
        r.wait_log(r'join id=%d room="other" members=1 rooms=1\n' % oid)
        n = r.client()
        nid, roster = n.join("room")
        check_eq(roster, [], "room was freed and starts empty")
        r.wait_log(r'join id=%d room="room" members=1 rooms=2\n' % nid)
        r.stop()


CHILD = r"""
import socket, sys
sys.path.insert(0, sys.argv[2])
from sottotest import INI, frame, room_prefix, split_frame
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(frame(INI, 0, room_prefix("room")))
buf = b""
while split_frame(buf)[0] is None:
    buf += s.recv(100)
print(split_frame(buf)[0].to, flush=True)
sys.stdin.read()
"""


@test
def test_left_on_kill9():
    with Relay() as r:
        a, b = room_of(r, "room", 2)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(r.port), LIB],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            line = child.stdout.readline()
            kid = int(line)
            for m in (a, b):
                f = m.recv()
                check_eq((f.type, f.frm), (INI, kid), "INI of the child")
            child.kill()                  # SIGKILL: no goodbye at all
            child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        a.expect_left(kid)
        b.expect_left(kid)
        exchange(a, b)
        r.stop()


@test
def test_vanishing_receivers():
    """Receivers that reset their connections mid-broadcast cost only themselves."""
    with Relay("--rate", "0") as r:
        members = room_of(r, "room", 12)
        sender, steady, gone = members[0], members[1], members[2:]
        for g in gone:
            g.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        n = 400
        for i in range(n):
            sender.send(DAT, 0, b"%04d" % i + b"y" * 500)
            if i == 50:
                for g in gone:
                    g.close()             # RST: the relay's writes now fail
        got, left = [], set()
        while len(got) < n or len(left) < len(gone):
            f = steady.recv()
            if f.type == LEFT:
                left.add(struct.unpack(">I", f.body)[0])
            else:
                got.append(int(f.body[:4]))
        check_eq(got, list(range(n)), "steady receiver got every frame in order")
        check_eq(left, {g.id for g in gone}, "LEFT for every vanished receiver")
        left = set()
        for _ in gone:
            f = sender.recv()
            check_eq(f.type, LEFT, "the sender hears only LEFTs")
            left.add(struct.unpack(">I", f.body)[0])
        check_eq(left, {g.id for g in gone}, "sender got LEFT for every vanished receiver")
        exchange(sender, steady)
        r.stop()


# --- protocol violations -----------------------------------------------------

def violation(bad, reason, join_first=False, args=(), setup=None):
    """A violator sends `bad`: it alone is closed, one log line names the
    reason, its room hears LEFT if it had joined, bystanders carry on."""
    with Relay(*args) as r:
        x, y = room_of(r, "by", 2)
        v = r.client()
        if join_first:
            vid, _ = v.join("by")
            for m in (x, y):
                check_eq(m.recv().frm, vid, "bystander sees the violator join")
        else:
            vid = id_of(r, v)
        if setup:
            setup(r, x, y, v)
        v.send_raw(bad)
        v.expect_closed()
        line = r"violation id=%d addr=127\.0\.0\.1:\d+: [^\n]*%s[^\n]*; closing\n" % (vid, reason)
        r.wait_log(line)
        check_eq(len(re.findall(r"violation id=%d " % vid, r.log())), 1, "one violation line")
        if join_first:
            x.expect_left(vid)
            y.expect_left(vid)
        exchange(x, y)
        r.wait_log(r'leave id=%d room=%s reason="protocol violation"' %
                   (vid, '"by"' if join_first else "none"))
        r.stop()


@test
def test_violation_version():
    violation(frame(DAT, 0, b"v2", ver=2), r"bad version: ver 2, not 1", join_first=True)


@test
def test_violation_version_zero():
    violation(frame(INI, 0, room_prefix("by"), ver=0), r"bad version: ver 0, not 1")


@test
def test_violation_type0():
    violation(frame(0, 0, room_prefix("by")), r"bad type: type 0 from a client \(1\.\.3 allowed\)")


@test
def test_violation_type4_left():
    violation(frame(LEFT, 0, struct.pack(">I", 1)), r"bad type: type 4 from a client", join_first=True)


@test
def test_violation_type5():
    violation(frame(5, 0, b"x"), r"bad type: type 5 from a client", join_first=True)


@test
def test_violation_type255():
    violation(frame(255, 0, b""), r"bad type: type 255 from a client")


@test
def test_violation_len_short():
    # len 9 with the rest of a header: refused from the header alone.
    violation(frame(DAT, length=9), r"bad length: len 9 outside 10\.\.1048576")


@test
def test_violation_len9_at_once():
    """wire-v1 §6: a 13-byte frame with len 9 closes at once; the relay
    does not wait for a 14th header byte that never comes."""
    violation(struct.pack(">IBBII", 9, 1, DAT, 0, 0)[:13], r"bad length: len 9 outside 10\.\.1048576")


@test
def test_violation_len_over_max_from_4_bytes():
    """len > --max-frame is refused from the four len bytes alone."""
    violation(struct.pack(">I", 4097), r"bad length: len 4097 outside 10\.\.4096",
              join_first=True, args=("--max-frame", "4096"))


@test
def test_violation_len_zero():
    violation(frame(DAT, length=0), r"bad length: len 0 outside 10\.\.1048576",
              join_first=True)


@test
def test_violation_len_over_max():
    """len > --max-frame is refused from the header, before any body."""
    def setup(r, x, y, v):
        # Exactly the maximum still passes.
        body = b"m" * (4096 - 10)
        x.send(DAT, 0, body)
        check_eq(y.recv().body, body, "frame of len == max-frame forwarded")
        check_eq(v.recv().body, body, "violator got it too")
    # Header only: the relay must not wait for the 4087 body bytes.
    violation(frame(DAT, length=4097), r"bad length: len 4097 outside 10\.\.4096",
              join_first=True, args=("--max-frame", "4096"), setup=setup)


@test
def test_violation_len_huge():
    violation(frame(INI, length=0xffffffff), r"bad length: len 4294967295 outside")


@test
def test_violation_first_not_ini():
    violation(frame(DAT, 0, b"hello"), r"first frame is DAT \(type 3\), not INI")


@test
def test_violation_first_key():
    violation(frame(KEY, 0, room_prefix("by")), r"first frame is KEY \(type 2\), not INI")


@test
def test_violation_room_len0():
    violation(frame(INI, 0, b"\x00rest"), r"bad room prefix: room_len 0 outside 1\.\.64")


@test
def test_violation_room_len65():
    violation(frame(INI, 0, bytes([65]) + b"r" * 65), r"bad room prefix: room_len 65 outside 1\.\.64")


@test
def test_violation_room_len64_ok_then_65():
    """64 bytes is a fine room name; the violator then tries 65."""
    def setup(r, x, y, v):
        w = r.client()
        _, roster = w.join("w" * 64)
        check_eq(roster, [], "64-byte room joined")
    violation(frame(INI, 0, bytes([65]) + b"w" * 65), r"room_len 65 outside", setup=setup)


@test
def test_violation_room_empty_body():
    violation(frame(INI, 0, b""), r"bad room prefix: INI body has no room prefix")


@test
def test_violation_room_truncated():
    violation(frame(INI, 0, bytes([10]) + b"abc"), r"bad room prefix: room_len 10 but only 3 bytes follow")


@test
def test_violation_room_bad_utf8():
    violation(frame(INI, 0, room_prefix(b"ab\xc3\x28")), r'room "ab\\xc3\(" is not valid UTF-8')


@test
def test_violation_room_overlong_utf8():
    violation(frame(INI, 0, room_prefix(b"\xc0\xaf")), r"is not valid UTF-8")


@test
def test_violation_room_nul():
    violation(frame(INI, 0, room_prefix(b"ro\x00om")), r'room "ro\\x00om" holds NUL U\+0000')


@test
def test_violation_room_control():
    violation(frame(INI, 0, room_prefix(b"ro\x1bom")), r"holds control character U\+001B")


@test
def test_violation_room_del():
    violation(frame(INI, 0, room_prefix(b"room\x7f")), r"holds control character U\+007F")


@test
def test_violation_room_c1():
    violation(frame(INI, 0, room_prefix(b"room\xc2\x85")), r"holds control character U\+0085")


@test
def test_violation_other_room():
    violation(frame(INI, 0, room_prefix("other")), r'INI for room "other" while in room "by"',
              join_first=True)


@test
def test_violation_later_ini_bad_prefix():
    violation(frame(INI, 0, b"\x00"), r"bad room prefix: room_len 0", join_first=True)


@test
def test_violation_join_timeout():
    with Relay("--join-timeout", "0.5") as r:
        x, y = room_of(r, "by", 2)
        idle = r.client()
        partial = r.client()
        partial.send_raw(frame(INI, 0, room_prefix("by"))[:7])   # half a header
        slow_body = r.client()
        slow_body.send_raw(frame(INI, 0, room_prefix("by"))[:16])  # header, part of body
        start = time.monotonic()
        for c in (idle, partial, slow_body):
            cid = id_of(r, c)
            c.expect_closed(5)
            r.wait_log(r"violation id=%d addr=127\.0\.0\.1:\d+: no complete INI within the "
                       r"0\.5 s join timeout; closing" % cid)
        elapsed = time.monotonic() - start
        check(elapsed >= 0.35, "closed after the timeout, not before (%.2fs)" % elapsed)
        # Joined well before: untouched, even after the timeout passed.
        exchange(x, y)
        # A connection that joins in time is not timed out later.
        late = r.client()
        late.join("by")
        for m in (x, y):
            m.recv()
        wait_until(lambda: time.monotonic() - start > 1.2, 5, "time to pass the timeout")
        late.send(DAT, 0, b"still here")
        check_eq(x.recv().body, b"still here", "joined connection outlived the timeout")
        r.stop()


# --- slow readers ------------------------------------------------------------

@test
def test_slow_reader_closed():
    """A reader that never reads is closed at --max-queue; the sender is not
    slowed and another reader receives everything."""
    with Relay("--max-queue", "65536", "--max-frame", "16384", "--rate", "0") as r:
        s, fast = room_of(r, "q", 2)
        slow = r.client(rcvbuf=4096)
        slow.join("q")
        for m in (s, fast):
            check_eq(m.recv().frm, slow.id, "slow reader joined")
        payload = b"z" * 1000
        sel = selectors.DefaultSelector()
        s.sock.setblocking(False)
        fast.sock.setblocking(False)
        sel.register(fast.sock, selectors.EVENT_READ, fast)
        sel.register(s.sock, selectors.EVENT_READ, s)
        out = b""
        sent = got = 0
        slow_left_at = None
        limit = 30000                   # 30 MB: far past any socket buffers
        deadline = time.monotonic() + 30 * SCALE
        # Send until the slow reader has been gone for 200 more frames, and
        # until the fast reader has every frame sent.
        while True:
            more = sent < limit and (slow_left_at is None or sent < slow_left_at + 200)
            if not more and not out and got == sent:
                break
            check(time.monotonic() < deadline, "slow-reader test ran out of time "
                  "(sent %d, got %d, left %s)" % (sent, got, slow_left_at))
            if not out and more:
                out = frame(DAT, 0, b"%08d" % sent + payload)
                sent += 1
            if out:
                try:
                    n = s.sock.send(out)
                    out = out[n:]
                except BlockingIOError:
                    pass
            for key, _ in sel.select(0.01 if out else 0.1):
                c = key.data
                try:
                    data = c.sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                check(data, "relay closed client %d" % c.id)
                c.buf += data
                while split_frame(c.buf)[0] is not None:
                    f = c.recv()
                    if f.type == LEFT:
                        check_eq(struct.unpack(">I", f.body)[0], slow.id, "LEFT names the slow reader")
                        if c is fast:
                            slow_left_at = sent
                        continue
                    check(c is fast, "sender got a DAT back")
                    check_eq(int(f.body[:8]), got, "fast reader frame order")
                    got += 1
        check(slow_left_at is not None, "slow reader closed within %d frames" % limit)
        r.wait_log(r"slow reader id=%d addr=127\.0\.0\.1:\d+: \d+ bytes unsent, 1022 more would "
                   r"pass --max-queue 65536; closing" % slow.id)
        slow.expect_closed(10)
        s.sock.setblocking(True)
        fast.sock.setblocking(True)
        exchange(s, fast)
        r.stop()


# --- input budget and fair fan-out (wire-v1 §6) ---------------------------------

def drain_frames(c, n, timeout=20):
    """The next n frames c receives (DATs in order), with arrival times."""
    out = []
    for _ in range(n):
        f = c.recv(timeout)
        out.append((time.monotonic(), f))
    return out


@test
def test_budget_rate_holds_sender_and_logs():
    """Over --rate a sender is not read (its frames wait, none is lost or
    reordered); one throttle start line, and one stop line with counts once
    it has been quiet for a second."""
    with Relay("--rate", "100", "--burst", "10") as r:
        a, b = room_of(r, "budget", 2)
        n = 60
        t0 = time.monotonic()
        a.send_raw(b"".join(frame(DAT, 0, b"%04d" % i) for i in range(n)))
        got = drain_frames(b, n)
        check_eq([int(f.body) for _, f in got], list(range(n)), "every frame, in order")
        took = got[-1][0] - t0
        # 10 at once, then 50 at 100/s: at least 0.5 s (a busy machine only adds).
        check(took >= 0.45, "60 frames at --rate 100 --burst 10 took %.3f s, not >= 0.45" % took)
        r.wait_log(r"throttle start id=%d addr=127\.0\.0\.1:\d+: over --rate 100 frames/s \(burst 10\); "
                   r"not read until it is back within bounds" % a.id)
        check_eq(len(re.findall(r"throttle start id=%d " % a.id, r.log())), 1, "one start line")
        check("throttle stop id=%d" % a.id not in r.log(), "no stop line while it is held")
        # The episode ends at the first frame after a quiet second.
        deadline = time.monotonic() + 10 * SCALE
        i = n
        while not re.search(r"throttle stop id=%d " % a.id, r.log()):
            check(time.monotonic() < deadline, "throttle stop line:\n" + r.tail())
            a.send(DAT, 0, b"%04d" % i)
            check_eq(int(b.recv().body), i, "frame after the episode")
            i += 1
            time.sleep(0.2)         # paces the probe frames; the loop waits on the log line
        r.wait_log(r"throttle stop id=%d addr=127\.0\.0\.1:\d+ after \d+\.\d s: held (\d+) times "
                   r"\(rate \1, bytes 0, queues 0\); passed \d+ frames, \d+ bytes" % a.id)
        exchange(a, b)
        r.stop()


@test
def test_budget_bytes_holds_sender():
    """--rate-bytes alone: 25 frames of 1 KiB at 20 KiB/s, with a bucket of
    one second (20 KiB): the last 5 KiB wait about a quarter second."""
    with Relay("--rate", "0", "--rate-bytes", "20k", "--max-frame", "2048", "--max-queue", "1M") as r:
        a, b = room_of(r, "budget", 2)
        body = b"x" * (1024 - 14)
        t0 = time.monotonic()
        a.send_raw(b"".join(frame(DAT, 0, b"%04d" % i + body[4:]) for i in range(25)))
        got = drain_frames(b, 25)
        check_eq([int(f.body[:4]) for _, f in got], list(range(25)), "every frame, in order")
        took = got[-1][0] - t0
        check(took >= 0.2, "25 KiB at 20 KiB/s with a 20 KiB bucket took %.3f s, not >= 0.2" % took)
        r.wait_log(r"throttle start id=%d addr=127\.0\.0\.1:\d+: over --rate-bytes 20480 bytes/s" % a.id)
        r.stop()


@test
def test_budget_zero_is_unlimited():
    """--rate 0 --rate-bytes 0: 3000 frames pass with no throttling."""
    with Relay("--rate", "0", "--rate-bytes", "0") as r:
        a, b = room_of(r, "budget", 2)
        n = 3000
        a.send_raw(b"".join(frame(DAT, 0, b"%05d" % i) for i in range(n)))
        got = drain_frames(b, n)
        check_eq([int(f.body) for _, f in got], list(range(n)), "every frame, in order")
        check("throttle" not in r.log(), "no throttling: " + r.tail())
        r.stop()


@test
def test_fair_holds_sender_not_slow_reader():
    """A reader that reads, but slower than one sender floods: the sender
    is held while its frames fill the reader's queue, long before
    --max-queue, so the reader is never closed; every frame reaches both
    readers in order. (Before fair fan-out the reader was closed as slow.)"""
    with Relay("--rate", "0", "--rate-bytes", "0", "--max-queue", "1M", "--max-frame", "65536") as r:
        s, fast = room_of(r, "fair", 2)
        slow = r.client(rcvbuf=16384)
        slow.join("fair")
        for m in (s, fast):
            check_eq(m.recv().frm, slow.id, "slow reader joined")
        # 6 MB: past the ~4 MB the kernel buffers towards one reader on
        # loopback (tcp_wmem autotuning), so the relay's own queue grows.
        n, payload = 6000, b"f" * 1000
        data = b"".join(frame(DAT, 0, b"%06d" % i + payload) for i in range(n))
        sel = selectors.DefaultSelector()
        for c in (s, fast, slow):
            c.sock.setblocking(False)
        sel.register(fast.sock, selectors.EVENT_READ, fast)
        sel.register(slow.sock, selectors.EVENT_READ, slow)
        got = {fast: 0, slow: 0}
        last_slow_read = 0.0
        deadline = time.monotonic() + 60 * SCALE
        while got[fast] < n or got[slow] < n:
            check(time.monotonic() < deadline, "fair test ran out of time: %d bytes unsent, got %r" % (
                len(data), {c.id: k for c, k in got.items()}))
            if data:
                try:
                    data = data[s.sock.send(data[:1 << 18]):]
                except BlockingIOError:
                    pass
            for key, _ in sel.select(0.005):
                c = key.data
                # The slow reader takes 16 KiB per 10 ms at most.
                if c is slow and time.monotonic() - last_slow_read < 0.01:
                    continue
                try:
                    chunk = c.sock.recv(16384 if c is slow else 1 << 16)
                except BlockingIOError:
                    continue
                check(chunk, "relay closed reader %d:\n%s" % (c.id, r.tail()))
                if c is slow:
                    last_slow_read = time.monotonic()
                c.buf += chunk
                while len(c.buf) >= 4 and len(c.buf) >= 4 + struct.unpack(">I", c.buf[:4])[0]:
                    f = c.recv()
                    check(f.type != LEFT, "reader %d heard LEFT of %r: a reader was closed:\n%s" % (
                        c.id, f.body, r.tail()))
                    check_eq((f.type, int(f.body[:6])), (DAT, got[c]), "reader %d frame order" % c.id)
                    got[c] += 1
            if not data:
                time.sleep(0.002)   # nothing to send: do not spin (the loop waits on frames)
        check("slow reader" not in r.log(), "nobody closed as a slow reader:\n" + r.tail())
        r.wait_log(r"throttle start id=%d addr=127\.0\.0\.1:\d+: \d+ bytes of its frames wait in output "
                   r"queues \(fair share 131072\)" % s.id)
        for c in (s, fast, slow):
            c.sock.setblocking(True)
        exchange(fast, slow)
        r.stop()


# --- hostile load ------------------------------------------------------------

def random_chunk(rng, ids):
    kind = rng.randrange(10)
    if kind == 0:
        return os.urandom(rng.randrange(1, 2000))
    if kind == 1:       # header that promises much and delivers some
        length = rng.randrange(0, 1 << 32)
        return frame(rng.randrange(1, 4), length=length) + \
            os.urandom(rng.randrange(0, 100))
    if kind == 2:       # valid INI for one of a few rooms, maybe to someone
        return frame(INI, rng.choice([0, 0, rng.choice(ids)]),
                     room_prefix("storm%d" % rng.randrange(4)) + os.urandom(rng.randrange(0, 300)))
    if kind == 3:       # INI with a random prefix
        return frame(INI, 0, os.urandom(rng.randrange(0, 80)))
    if kind == 4:       # random header fields
        return frame(rng.randrange(256), rng.randrange(1 << 32), os.urandom(rng.randrange(0, 200)),
                     frm=rng.randrange(1 << 32), ver=rng.choice([1, 1, 1, 0, 2, 255]))
    # Mostly well-formed traffic: DAT/KEY to the room or to some id.
    return frame(rng.choice([DAT, DAT, KEY]), rng.choice([0, 0, rng.choice(ids)]),
                 os.urandom(rng.randrange(0, 3000)))


@test
def test_garbage_storm():
    seed = int(os.environ.get("SOTTO_STORM_SEED", str(int(time.time()))))
    print("storm seed", seed)
    rng = random.Random(seed)
    raise_nofile(1024)
    with Relay("--max-queue", "262144", "--max-frame", "65536", "--join-timeout", "1") as r:
        watch_a, watch_b = room_of(r, "storm0", 2)
        sel = selectors.DefaultSelector()
        socks = {}
        ids = list(range(1, 400))

        def open_one():
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", r.port))
            socks[s] = rng.random() < 0.2            # True: never reads
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

        def close_one(s):
            sel.unregister(s)
            del socks[s]
            if rng.random() < 0.5:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

        for _ in range(250):
            open_one()
        end = time.monotonic() + 3
        chunks = 0
        while time.monotonic() < end:
            for key, ev in sel.select(0.05):
                s = key.fileobj
                if s not in socks:
                    continue
                if ev & selectors.EVENT_READ and not socks[s]:
                    try:
                        if not s.recv(65536):
                            close_one(s)
                            open_one()
                            continue
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        close_one(s)
                        open_one()
                        continue
                if ev & selectors.EVENT_WRITE:
                    try:
                        s.send(random_chunk(rng, ids))
                        chunks += 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        close_one(s)
                        open_one()
                        continue
                if rng.random() < 0.01:
                    close_one(s)
                    open_one()
            # The watchers of storm0 keep reading, so the storm cannot make
            # them slow readers.
            for w in (watch_a, watch_b):
                w.sock.setblocking(False)
                try:
                    while True:
                        data = w.sock.recv(1 << 20)
                        check(data, "relay closed a watcher")
                except BlockingIOError:
                    pass
                w.sock.setblocking(True)
        for s in list(socks):
            close_one(s)
        print("storm chunks sent", chunks)
        check(r.alive(), "relay survived the storm")
        check(len(re.findall("violation id=", r.log())) > 50, "the storm caused violations")
        fresh_a, fresh_b = room_of(r, "after the storm", 2)
        exchange(fresh_a, fresh_b)
        r.stop()


def read_joins(clients, per_room, prefix):
    """Clients i*per_room.. sent INIs for room prefix+i all at once: each gets
    its answer, then the INI of every later joiner of its room. The relay
    may join them in any order; the rosters of a room must count 0..per_room-1."""
    for base in range(0, len(clients), per_room):
        room = room_prefix("%s%d" % (prefix, base // per_room))
        counts = []
        for c in clients[base:base + per_room]:
            f = c.recv(20)
            check_eq((f.type, f.frm), (INI, 0), "first frame is the answer")
            check(f.body.startswith(room), "answer names the room")
            k = struct.unpack(">I", f.body[len(room):len(room) + 4])[0]
            check_eq(len(f.body), len(room) + 4 + 4 * k, "roster length")
            counts.append(k)
            c.id = f.to
            for _ in range(per_room - 1 - k):
                check_eq(c.recv(20).type, INI, "later joiner's INI")
        check_eq(sorted(counts), list(range(per_room)), "rosters of room %r" % room)


@test
def test_many_idle_joined():
    n, per_room = 3000, 10
    raise_nofile(n + 200)
    with Relay("--max-clients", str(n + 100)) as r:
        clients = []
        for i in range(n):
            c = r.client()
            c.send_ini("idle%d" % (i // per_room))
            clients.append(c)
        read_joins(clients, per_room, "idle")
        check_eq(len({c.id for c in clients}), n, "distinct ids")
        r.wait_log(r"clients=%d" % n)
        room0 = clients[:per_room]
        room0[3].send(DAT, 0, b"still alive")
        for m in room0:
            if m is not room0[3]:
                check_eq(m.recv(), (1, DAT, room0[3].id, 0, b"still alive"), "DAT in a full relay")
        a, b = room_of(r, "fresh", 2)
        exchange(a, b)
        r.stop()
        for c in clients:
            c.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure("no VmRSS for %d" % pid)


@test
def test_memory_per_idle_connection():
    """RSS growth per idle joined connection stays small. Measures the real
    binary, never under a wrapper (valgrind's own memory would count)."""
    n, per_room = 5000, 10
    bound = int(os.environ.get("SOTTO_RELAY_MEM_BOUND", "2048"))
    raise_nofile(n + 200)
    with Relay("--max-clients", str(n + 100), "-q", wrapper=False) as r:
        warm = room_of(r, "warm-up", 2)
        exchange(*warm)
        before = rss_kib(r.proc.pid)
        clients = []
        for i in range(n):
            c = r.client()
            c.send_ini("mem%d" % (i // per_room))
            clients.append(c)
        read_joins(clients, per_room, "mem")
        exchange(*warm)               # every join has been handled
        after = rss_kib(r.proc.pid)
        per = (after - before) * 1024 / n
        print("RSS %d KiB -> %d KiB for %d idle joined connections: %.0f bytes each"
              % (before, after, n, per))
        check(per < bound, "%.0f bytes per idle connection (bound %d)" % (per, bound))
        r.stop()
        for c in clients:
            c.close()


@test
def test_max_clients():
    with Relay("--max-clients", "3") as r:
        a, b, c = room_of(r, "full", 3)
        d = r.client()
        d.expect_closed(5)
        r.wait_log(r"refused 127\.0\.0\.1:%d: --max-clients reached" % d.sock.getsockname()[1])
        exchange(a, b)
        c.close()
        a.expect_left(c.id)
        b.expect_left(c.id)
        r.wait_log(r"leave id=%d " % c.id)
        e = r.client()
        eid, roster = e.join("full")
        check_eq(roster, [a.id, b.id], "a freed slot admits a newcomer")
        r.stop()


@test
def test_open_file_limit_caps_clients():
    """Where the hard limit is too low for --max-clients the relay says so,
    serves as many as fit and refuses the rest at once."""
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    with Relay("--max-clients", "1000", preexec=low_limit) as r:
        m = r.wait_log(r"warn: open-file limit (\d+) \(hard\) allows (\d+) clients, "
                       r"not --max-clients 1000")
        fit = int(m.group(2))
        check(0 < fit <= 64 - 32, "clients that fit: %d" % fit)
        r.wait_log(r"max-clients %d," % fit)
        clients = [r.client() for _ in range(fit)]
        for c in clients:
            id_of(r, c)
        extra = r.client()
        extra.expect_closed()
        r.wait_log(r"refused 127\.0\.0\.1:%d: --max-clients reached" % extra.sock.getsockname()[1])
        a, b = clients[0], clients[1]
        a.join("room")
        b.join("room")
        a.recv()
        exchange(a, b)
        r.stop()


@test
def test_keepalive_on_accepted_sockets():
    """Accepted sockets have keepalive on (ss shows its timer), so peers
    that vanish without a FIN are found."""
    with Relay() as r:
        a, b = room_of(r, "room", 2)
        ports = {a.sock.getsockname()[1], b.sock.getsockname()[1]}
        out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :%d )" % r.port],
                             capture_output=True, text=True, check=True).stdout
        seen = set()
        for line in out.splitlines():
            m = re.search(r"127\.0\.0\.1:%d\s+127\.0\.0\.1:(\d+)" % r.port, line)
            if m and int(m.group(1)) in ports:
                check("timer:(keepalive" in line, "keepalive on the relay's socket: %r" % line)
                seen.add(int(m.group(1)))
        check_eq(seen, ports, "ss listed the relay's sockets")
        r.stop()


# --- process behaviour -------------------------------------------------------

def stop_with(sig):
    with Relay() as r:
        a, b = room_of(r, "room", 2)
        a.send_raw(frame(DAT, 0, b"partial")[:9])     # mid-frame at shutdown
        r.stop(sig)
        a.expect_closed()
        b.expect_closed()
        r.wait_log(r"%s: stopping, closing 2 connections" % sig.name)
        try:
            Client(r.port)
            raise TestFailure("still accepting after %s" % sig.name)
        except OSError:
            pass


@test
def test_sigterm_exits_0():
    stop_with(signal.SIGTERM)


@test
def test_sigint_exits_0():
    stop_with(signal.SIGINT)


def run_relay(args, timeout=20):
    """Run the relay to completion: (exit code, its own stderr lines)."""
    p = subprocess.run(RELAY_WRAPPER + [relaytest.RELAY_BIN] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout * SCALE)
    lines = [x for x in p.stderr.decode("utf-8", "replace").splitlines()
             if not re.match(r"==\d+==", x)]          # valgrind's own lines
    return p.returncode, lines, p.stdout.decode()


@test
def test_port_in_use():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    rc, lines, _ = run_relay(["--listen", "127.0.0.1:%d" % port, "--max-clients", "100"])
    s.close()
    check_eq(rc, 1, "exit code")
    check_eq(len(lines), 1, "one line: %r" % lines)
    check(re.search(r"error: cannot listen: listen 127\.0\.0\.1:%d: Address already in use" % port,
                    lines[0]), "clear line: %r" % lines[0])


@test
def test_bad_flags():
    cases = [
        (["--max-frame", "9"], r'bad value "9" for --max-frame'),
        (["--max-frame", "lots"], r'bad value "lots" for --max-frame'),
        (["--max-frame", "2G"], r'bad value "2G" for --max-frame'),
        (["--max-queue", "-5"], r'bad value "-5" for --max-queue'),
        (["--max-queue", "12x"], r'bad value "12x" for --max-queue'),
        (["--max-clients", "0"], r'bad value "0" for --max-clients'),
        (["--max-clients", "99999999999999999999999"], r"for --max-clients"),
        (["--join-timeout", "0"], r'bad value "0" for --join-timeout'),
        (["--join-timeout", "nan"], r'bad value "nan" for --join-timeout'),
        (["--join-timeout", "-1"], r'bad value "-1" for --join-timeout'),
        (["--bogus"], r'unknown option "--bogus"; try --help'),
        (["-qz"], r'unknown option "-z"; try --help'),
        (["--max-queue"], r"--max-queue needs a value; try --help"),
        (["extra"], r'unexpected argument "extra"'),
        (["-q", "-v"], r"-q and -v exclude each other"),
        # wire-v1 §6: a queue that cannot hold the largest frame.
        (["--max-queue", "1M"], r"--max-queue 1048576 is smaller than --max-frame 1048576 \+ 4: "
                                r"the largest frame could never be delivered"),
        (["--max-frame", "4093", "--max-queue", "4096"], r"--max-queue 4096 is smaller than "
                                                          r"--max-frame 4093 \+ 4"),
        (["--rate", "-1"], r'bad value "-1" for --rate: expected a number from 0 to'),
        (["--rate", "fast"], r'bad value "fast" for --rate'),
        (["--rate", "inf"], r'bad value "inf" for --rate'),
        (["--rate-bytes", "1x"], r'bad value "1x" for --rate-bytes'),
        (["--burst", "0"], r'bad value "0" for --burst: expected a number from 1 to'),
        (["--trusted"], r"--trusted needs a value; try --help"),
        (["--listen", "127.0.0.1"], r'bad value for --listen: bad address "127\.0\.0\.1": expected HOST:PORT'),
        (["--listen", "127.0.0.1:99999"], r"bad value for --listen: .*port must be 0\.\.65535"),
    ]
    for args, want in cases:
        rc, lines, _ = run_relay(args)
        check_eq(rc, 2, "exit code for %r" % args)
        check(lines and re.search(want, lines[0]), "message for %r: %r" % (args, lines))
        check_eq(len(lines), 1, "one line for %r: %r" % (args, lines))
    for addr, want in [("nosuch.invalid:7700", r"cannot listen: listen nosuch\.invalid:7700: ")]:
        rc, lines, _ = run_relay(["--listen", addr, "--max-clients", "100"])
        check_eq(rc, 1, "exit code for --listen %s" % addr)
        check_eq(len(lines), 1, "one line for --listen %s: %r" % (addr, lines))
        check(re.search(want, lines[0]), "message for --listen %s: %r" % (addr, lines[0]))
    for h in ("--help", "-h"):
        rc, lines, out = run_relay([h])
        check_eq((rc, lines), (0, []), h)
        for flag in ("--listen", "--max-frame", "--max-queue", "--max-clients", "--join-timeout", "-q", "-v",
                     "--rate", "--rate-bytes", "--burst", "--trusted"):
            check(flag in out, "%s mentions %s" % (h, flag))
    rc, lines, _ = run_relay(["--max-frame", "4092", "--max-queue", "4096", "--listen", "127.0.0.1:99999"])
    check(not re.search("max-queue", "\n".join(lines)), "--max-queue = --max-frame + 4 is accepted: %r" % lines)
    rc, lines, out = run_relay(["--version"])
    check_eq(rc, 0, "--version exit")
    check(re.match(r"sotto-relay \d+\.\d+\.\d+ ", out), "--version output %r" % out)


@test
def test_listen_colon_port():
    """--listen :PORT listens on every IPv4 address, like the default."""
    port = relaytest.free_port()
    p = subprocess.Popen(RELAY_WRAPPER + [relaytest.RELAY_BIN, "--listen", ":%d" % port],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=lambda: relaytest.die_with_parent(None))
    try:
        wait_until(lambda: relaytest.listening(port) or p.poll() is not None, 10, "the relay to listen")
        check(p.poll() is None, "relay runs with --listen :%d" % port)
        want = "00000000:%04X" % port
        with open("/proc/net/tcp") as f:
            check(any(line.split()[1] == want and line.split()[3] == "0A" for line in f),
                  "listening on 0.0.0.0:%d" % port)
        c = Client(port)
        c.join("any")
        c.close()
    finally:
        p.send_signal(signal.SIGTERM)
        err = p.communicate(timeout=20 * SCALE)[1].decode()
    check_eq(p.returncode, 0, "exit after SIGTERM: " + err)
    check(re.search(r"listening on 0\.0\.0\.0:%d " % port, err), "start line names 0.0.0.0: " + err)


@test
def test_open_file_limit_default_is_not_a_warning():
    """Only an explicit --max-clients that does not fit is a warning; the
    default that does not fit is one plain line; a limit that fits, none."""
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    def fits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))
    with Relay(preexec=low_limit) as r:
        r.wait_log(r"info: open-file limit 64 \(hard\) allows 32 clients, not --max-clients 100000")
        check("warn" not in r.log(), "no warning for the default: " + r.log())
        r.stop()
    with Relay("--max-clients", "100", preexec=fits) as r:
        r.wait_log(r"listening on ")
        check("open-file" not in r.log(), "no open-file line when it fits: " + r.log())
        r.stop()


@test
def test_size_suffixes():
    with Relay("--max-frame", "4k", "--max-queue", "1M", "--max-clients", "50") as r:
        r.wait_log(r"max-frame 4096, max-queue 1048576, max-clients 50")
        a, b = room_of(r, "room", 2)
        exchange(a, b)
        r.stop()


@test
def test_verbose_logs_no_body():
    marker = b"BODY-MARKER-" + os.urandom(6).hex().encode()
    with Relay("-v") as r:
        a, b = room_of(r, "room", 2)
        a.send(INI, 0, room_prefix("room") + marker)
        check_eq(b.recv().body, room_prefix("room") + marker, "INI forwarded")
        a.send(DAT, 0, marker)
        check_eq(b.recv().body, marker, "DAT forwarded")
        a.send(KEY, b.id, marker * 3)
        check_eq(b.recv().body, marker * 3, "KEY forwarded")
        a.send(DAT, 777777, marker)                       # dropped
        r.wait_log(r"route INI from=%d to=0 len=%d" % (a.id, 10 + 5 + len(marker)))
        r.wait_log(r"route DAT from=%d to=0 len=%d" % (a.id, 10 + len(marker)))
        r.wait_log(r"route KEY from=%d to=%d len=%d" % (a.id, b.id, 10 + 3 * len(marker)))
        r.wait_log(r"drop DAT from=%d to=777777 len=%d" % (a.id, 10 + len(marker)))
        r.wait_log(r"route INI from=0 to=%d" % b.id)
        r.stop()
        log = r.log()
        for needle in (marker, marker.hex().encode()):
            check(needle.decode() not in log, "body bytes in the log")


@test
def test_quiet_logs_violations_only():
    with Relay("-q") as r:
        a, b = room_of(r, "room", 2)
        v = r.client()
        v.send(DAT, 0, b"not an INI")
        v.expect_closed()
        exchange(a, b)
        a.close()
        b.expect_left(a.id)
        r.wait_log(r"violation id=3 addr=127\.0\.0\.1:\d+: first frame is DAT")
        r.stop()
        log = r.log()
        for word in ("connect id=", "join id=", "leave id=", "listening on"):
            check(word not in log, "-q hides %r" % word)


@test
def test_default_log_lines():
    with Relay() as r:
        a = r.client()
        aid, _ = a.join("caf\u00e9 \"quoted\"")
        r.wait_log(r"info: connect id=%d addr=127\.0\.0\.1:\d+ clients=1" % aid)
        r.wait_log(r'info: join id=%d room="caf\u00e9 \\x22quoted\\x22" members=1' % aid)
        a.close()
        r.wait_log(r'info: leave id=%d room="caf\u00e9 \\x22quoted\\x22" reason="closed by peer" dropped=0'
                   % aid)
        check("route " not in r.log(), "no per-frame lines without -v")
        r.stop()


if __name__ == "__main__":
    sys.exit(relaytest.run(TESTS, sys.argv))

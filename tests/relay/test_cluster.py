#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_cluster.py: relays sharing a Redis (--cluster): failures and what only a cluster has.

The wire-v1 §2 suite itself runs against a cluster too (test_relay.py with
SOTTO_RELAY_CLUSTER=3, see CMakeLists.txt); this file covers a relay killed,
Redis lost and restarted, joins racing on two relays, ids across a Redis
restart, and the flags. usage: test_cluster.py --relay PATH NAME | --list
"""
import os
import re
import selectors
import signal
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relaytest import (DAT, INI, LEFT, SCALE, Client, Cluster, Redis,  # noqa: E402
                       TestFailure, check, check_eq, exchange, free_port,
                       presence_timeout, room_prefix, wait_until)
import relaytest  # noqa: E402

TESTS = {}
# Presence: a relay silent this long is gone; the check runs 12 times per
# timeout, so LEFT follows a kill within timeout * 13/12 (docs/relay.md).
TIMEOUT = 3.0
BOUND = TIMEOUT * 13 / 12


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


def on(relay, room, members=()):
    """A client joined to room through one relay; earlier members read its INI."""
    c = Client(relay.port)
    cid, roster = c.join(room)
    for m in members:
        f = m.recv()
        check_eq((f.type, f.frm), (INI, cid), "member %d sees the INI of %d" % (m.id, cid))
    return c


def frames_until(clients, cond, timeout, what):
    """Read every frame that arrives on clients into per-client lists (with
    arrival times) until cond(got) holds."""
    got = {c: [] for c in clients}
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    end = time.monotonic() + timeout * SCALE
    try:
        while not cond(got):
            if time.monotonic() > end:
                raise TestFailure("timed out waiting for " + what)
            for key, _ in sel.select(0.05):
                c = key.data
                got[c].append((time.monotonic(), c.recv()))
                while len(c.buf) >= 4 and len(c.buf) >= 4 + struct.unpack(">I", c.buf[:4])[0]:
                    got[c].append((time.monotonic(), c.recv()))
    finally:
        sel.close()
    return got


def dats(frames, sender):
    return [f.body for _, f in frames if f.type == DAT and f.frm == sender.id]


def lefts(frames):
    return {struct.unpack(">I", f.body)[0]: t for t, f in frames if f.type == LEFT}


# --- a relay killed ----------------------------------------------------------

@test
def test_kill9_left_within_bound():
    """kill -9 of one relay: its members' LEFT reach the others within the
    bound, no line typed on the survivors is lost, its clients rejoin."""
    with Cluster("--cluster-timeout", str(TIMEOUT), n=3) as cl:
        n1, n2, n3 = cl.relays
        a1 = on(n1, "k")
        b = on(n2, "k", [a1])
        c1 = on(n3, "k", [a1, b])
        a2 = on(n1, "k", [a1, b, c1])
        c2 = on(n3, "k", [a1, b, c1, a2])
        gone = {c1.id, c2.id}
        survivors = (a1, a2, b)
        n3.proc.kill()
        n3.killed = True
        killed = time.monotonic()
        sent = {a1: [], b: []}
        # The survivors keep typing while the cluster notices.
        seq = [0]

        def typing(got):
            if seq[0] < 400:
                for s in (a1, b):
                    body = b"line %03d from %d" % (seq[0], s.id)
                    s.send(DAT, 0, body)
                    sent[s].append(body)
                seq[0] += 1
            done = all(set(lefts(got[m])) >= gone for m in survivors)
            return done and all(len(dats(got[m], s)) == len(sent[s])
                                for m in survivors for s in (a1, b) if m is not s)
        got = frames_until(survivors, typing, BOUND + 20, "LEFT of n3's members and every line")
        worst = 0.0
        for m in survivors:
            for s in (a1, b):
                if m is not s:
                    check_eq(dats(got[m], s), sent[s], "member %d got every line of %d in order"
                             % (m.id, s.id))
            for gid, t in lefts(got[m]).items():
                worst = max(worst, t - killed)
        print("LEFT after kill -9: %.2f s (bound %.2f s with --cluster-timeout %g)"
              % (worst, BOUND, TIMEOUT))
        # A loaded machine delays the killed relay's last heartbeat check a
        # little; the bound itself is what we assert, plus scheduling slack.
        check(worst <= BOUND + 1.5 * SCALE, "LEFT within %.2f s of the kill, took %.2f s"
              % (BOUND, worst))
        # n3's clients come back through the relays that are left.
        for old, relay in ((c1, n1), (c2, n2)):
            old.expect_closed()
            new = Client(relay.port)
            nid, roster = new.join("k")
            check(nid not in gone and nid > max(gone), "a fresh id for the rejoiner")
            check_eq(sorted(roster), sorted(m.id for m in survivors) +
                     ([] if old is c1 else [n1_new.id]), "roster after the failover")
            for m in survivors:
                check_eq(m.recv().frm, nid, "survivor %d sees the rejoin" % m.id)
            if old is c1:
                n1_new = new
            else:
                check_eq(n1_new.recv().frm, nid, "first rejoiner sees the second")
        new.send(DAT, 0, b"back")
        for m in survivors + (n1_new,):
            check_eq(m.recv(), (1, DAT, new.id, 0, b"back"), "everyone hears the rejoiner")
        a1.send(DAT, new.id, b"welcome")
        check_eq(new.recv(), (1, DAT, a1.id, new.id, b"welcome"), "unicast to the rejoiner")
        n1.stop()
        n2.stop()


@test
def test_sigterm_says_bye():
    """A relay stopped cleanly tells the others at once: LEFT long before
    the presence timeout."""
    with Cluster("--cluster-timeout", "60", n=2) as cl:
        n1, n2 = cl.relays
        a = on(n1, "bye")
        b = on(n2, "bye", [a])
        start = time.monotonic()
        n2.stop()
        a.expect_left(b.id, 10)
        took = time.monotonic() - start
        check(took < 10 * SCALE, "LEFT after a clean stop in %.2f s" % took)
        n1.stop()


# --- Redis lost --------------------------------------------------------------

def wait_links(cl, count):
    """Every running relay has connected to Redis `count` times."""
    for r in cl.relays:
        if r.alive():
            wait_until(lambda: len(re.findall(r"cluster: connected to redis", r.log())) >= count,
                       15, "relay %s to reconnect to redis" % r.name)


def poll_frame(c, timeout):
    """The next frame of c if one arrives within timeout (scaled), else None."""
    n = struct.unpack(">I", c.buf[:4])[0] if len(c.buf) >= 4 else None
    if n is None or len(c.buf) < 4 + n:
        sel = selectors.DefaultSelector()
        sel.register(c.sock, selectors.EVENT_READ)
        ready = sel.select(timeout * SCALE)
        sel.close()
        if not ready:
            return None
    return c.recv()


def cross_relay_resumes(sender, receivers, tag):
    """Send numbered probes until every receiver got one, then one strict
    line that every receiver gets next: cross-relay delivery is back."""
    i = 0
    pending = set(receivers)
    end = time.monotonic() + 15 * SCALE
    while pending:
        check(time.monotonic() < end, "cross-relay delivery did not resume")
        sender.send(DAT, 0, b"%s probe %d" % (tag, i))
        i += 1
        for m in list(pending):
            f = poll_frame(m, 0.1)
            while f is not None:
                check_eq((f.type, f.frm), (DAT, sender.id), "only the sender's probes")
                pending.discard(m)
                f = poll_frame(m, 0)
    body = tag + b" strict"
    sender.send(DAT, 0, body)
    for m in receivers:
        while True:
            f = m.recv()
            check_eq((f.type, f.frm), (DAT, sender.id), "only the sender's lines")
            if f.body == body:
                break
            check(b" probe " in f.body, "a probe before the strict line: %r" % (f.body,))


@test
def test_redis_restart_short():
    """Redis killed and restarted within the presence timeout: members on
    one relay keep talking throughout, cross-relay delivery resumes, nobody
    hears LEFT, and a newcomer's roster lists everyone."""
    with Cluster("--cluster-timeout", str(presence_timeout()), n=3) as cl:
        n1, n2, n3 = cl.relays
        a1 = on(n1, "rs")
        a2 = on(n1, "rs", [a1])
        b = on(n2, "rs", [a1, a2])
        c = on(n3, "rs", [a1, a2, b])
        cl.redis.kill()
        for r in cl.relays:
            r.wait_log(r"warn: cluster: lost redis 127\.0\.0\.1:%d/0: " % cl.redis.port, 10)
        for i in range(5):
            exchange(a1, a2, b"during the outage %d" % i)
        cl.redis.start()
        wait_links(cl, 2)
        exchange(a1, a2, b"after")
        cross_relay_resumes(a1, [a2, b, c], b"a1")
        cross_relay_resumes(c, [a1, a2, b], b"c")
        d = Client(n2.port)
        did, roster = d.join("rs")
        check_eq(sorted(roster), sorted([a1.id, a2.id, b.id, c.id]), "newcomer's roster")
        for m in (a1, a2, b, c):
            f = m.recv()
            check_eq((f.type, f.frm), (INI, did), "INI of the newcomer, no LEFT before it")
        for r in cl.relays:
            check(len(re.findall(r"lost redis", r.log())) == 1, "one line per outage")
        cl.stop()


@test
def test_redis_outage_past_timeout():
    """Redis gone longer than the presence timeout: each relay keeps its own
    members talking and tells them the others' members left; when Redis is
    back, members the rest of the cluster counted as gone are closed and
    rejoin, and rosters agree again."""
    with Cluster("--cluster-timeout", str(min(600, 2 * SCALE)), n=2) as cl:
        n1, n2 = cl.relays
        a1 = on(n1, "lo")
        a2 = on(n1, "lo", [a1])
        b = on(n2, "lo", [a1, a2])
        cl.redis.kill()
        for m in (a1, a2):
            m.expect_left(b.id, 10)
        b.expect_left(a1.id, 10)
        b.expect_left(a2.id, 10)
        exchange(a1, a2, b"cut off but talking")
        cl.redis.start()
        for m in (a1, a2, b):
            m.expect_closed(15)
        for r in cl.relays:
            r.wait_log(r"closing \d+ members so that they rejoin", 15)
        x = on(n1, "lo")
        y = on(n2, "lo", [x])
        z = Client(n1.port)
        zid, roster = z.join("lo")
        check_eq(roster, [x.id, y.id], "roster after the outage")
        for m in (x, y):
            check_eq(m.recv().frm, zid, "INI of z")
        exchange(y, z)
        cl.stop()


@test
def test_redis_down_at_start():
    """A relay whose Redis is not up yet does not accept; it does once Redis
    is there, and the waiting client is served."""
    redis = Redis(port=free_port(), start=False)
    with Cluster(n=1, redis=redis) as cl:       # cleans redis up too
        r = cl.relays[0]
        r.wait_log(r"warn: cluster: lost redis 127\.0\.0\.1:%d/0: cannot connect" % redis.port)
        a = Client(r.port)
        a.send_ini("early")
        redis.start()
        f = a.recv(15)
        check_eq((f.type, f.frm, f.to), (INI, 0, 1), "answered once Redis is up")
        log = r.log()
        check(log.index("cluster: connected to redis") < log.index("connect id=1 "),
              "accepted only after joining Redis")
        check_eq(len(re.findall(r"lost redis", r.log())), 1, "one line while retrying")
        r.stop()


# --- joins and ids -----------------------------------------------------------

@test
def test_concurrent_joins_ordered():
    """Two joiners of an empty room on two relays at the same moment: one is
    first (count 0), the other lists it and its INI reaches the first."""
    with Cluster(n=2) as cl:
        n1, n2 = cl.relays
        for k in range(30):
            room = "race%d" % k
            x, y = Client(n1.port), Client(n2.port)
            x.send_ini(room)
            y.send_ini(room)
            fx, fy = x.recv(), y.recv()
            rx = struct.unpack(">I", fx.body[len(room) + 1:len(room) + 5])[0]
            ry = struct.unpack(">I", fy.body[len(room) + 1:len(room) + 5])[0]
            check_eq(sorted([rx, ry]), [0, 1], "exactly one first in %s" % room)
            first, second = (x, y) if rx == 0 else (y, x)
            second_id = (fy if second is y else fx).to
            first_id = (fx if first is x else fy).to
            sf = (fy if second is y else fx)
            check_eq(struct.unpack(">I", sf.body[-4:])[0], first_id, "second lists the first")
            f = first.recv()
            check_eq((f.type, f.frm), (INI, second_id), "first hears the second's INI")
            x.close()
            y.close()
        cl.stop()


@test
def test_ids_unique_across_redis_restart():
    """Ids are unique across relays under concurrent connects, and a Redis
    that lost its counter does not hand out an id in use again."""
    with Cluster("--cluster-timeout", str(presence_timeout()), n=3) as cl:
        clients = []
        for i in range(60):
            c = cl.client()
            c.send_ini("ids%d" % (i % 4))
            clients.append(c)
        ids = []
        for c in clients:
            f = c.recv()
            check_eq((f.type, f.frm), (INI, 0), "answer first")
            ids.append(f.to)
        check_eq(len(set(ids)), len(ids), "distinct ids")
        cl.redis.restart()
        wait_links(cl, 2)
        after = []
        for _ in range(6):
            c = cl.client()
            cid, _ = c.join("after")
            after.append(cid)
        check(min(after) > max(ids), "ids after the restart %r above %d" % (after, max(ids)))
        cl.stop()


# --- flags -------------------------------------------------------------------

@test
def test_cluster_flags():
    cases = [
        (["--cluster", "http://127.0.0.1:1"], r"unknown backplane"),
        (["--cluster", "redis://"], r"expected redis://"),
        (["--cluster", "redis://h:99999"], r"expected redis://"),
        (["--cluster", "redis://h:1/x"], r"expected redis://"),
        (["--cluster", "redis://h:1", "--node-name", "bad name"], r'bad value "bad name" for --node-name'),
        (["--cluster", "redis://h:1", "--node-name", "x" * 65], r"for --node-name"),
        (["--cluster", "redis://h:1", "--cluster-timeout", "0.1"], r'for --cluster-timeout'),
        (["--node-name", "a"], r"need --cluster"),
    ]
    for args, want in cases:
        p = subprocess.run(relaytest.RELAY_WRAPPER + [relaytest.RELAY_BIN, "--listen",
                           "127.0.0.1:%d" % free_port()] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=20 * SCALE)
        lines = [x for x in p.stderr.decode().splitlines() if not re.match(r"==\d+==", x)
                 and "open-file limit" not in x]
        check_eq(p.returncode, 2, "exit code for %r" % args)
        check(len(lines) == 1 and re.search(want, lines[0]), "one clear line for %r: %r"
              % (args, lines))


if __name__ == "__main__":
    sys.exit(relaytest.run(TESTS, sys.argv))

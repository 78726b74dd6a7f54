#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_membership.py: rooms outsiders cannot block, and presence only on signed evidence (docs/protocol.md "v2: joining", "v2: signed presence"); real sotto-relay and `sotto --batch` processes, one ctest per test_ function."""
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Proxy, check, check_eq  # noqa: E402
from test_client import Scene, members_of  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest.wire import room_prefix  # noqa: E402

KEY_TIMEOUT = 3.0          # CORE_KEY_TIMEOUT in client/core/core.h
SQUATTERS_MAX = 50
KEYLOG_CHECK = None        # tests/client/keylog_check, from --keylog-check
DAT_EPOCH_AT = 66          # v2 DAT: version, kind, id_pub, session, then u32 epoch
DAT_COUNTER_AT = 78        # v2 DAT: ... epoch, gen, index, then u64 counter



def keylog_env(path):
    """The test's environment plus the key log (the harness's env replaces
    the environment, it does not add to it)."""
    return dict(os.environ, SOTTO_TEST_KEYLOG=path)

def squat(port, room="lobby"):
    """An outsider that joins with a bare room prefix and then says nothing."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(ct.frame(1, 0, room_prefix(room)))
    return s


def relay_joins(relay):
    return relay.log().count("join id=")


def ready_after_join(relay, client, joins_before):
    """Seconds from the relay's join line for `client` (the join after
    `joins_before` earlier ones) to the client's `ready` event, polled
    together so the RSA key generation before the join does not count."""
    deadline = time.monotonic() + ct.READY_TIMEOUT * ct.SCALE
    t_join = None
    while True:
        now = time.monotonic()
        if t_join is None and relay_joins(relay) > joins_before:
            t_join = now
        if client.all("ready"):
            check(t_join is not None, "%s ready before the relay saw it join" % client.name)
            return now - t_join, client.all("ready")[0]
        check(now < deadline, "%s never became ready: %r" % (client.name, client.events))
        time.sleep(0.02)


def talk(*clients):
    for c in clients:
        c.send("hello from " + c.name)
    for rx in clients:
        for tx in clients:
            if rx is not tx:
                rx.wait("message", text="hello from " + tx.name)


def squatted_room(n_squatters):
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        socks = [squat(s.relay.port) for _ in range(n_squatters)]
        try:
            ct.wait_until(lambda: relay_joins(s.relay) >= n_squatters, 20 * ct.SCALE,
                          "the relay to seat %d squatters" % n_squatters, step=0.05)
            a = s.client("alice", tr)
            took, ra = ready_after_join(s.relay, a, n_squatters)
            check(took <= 2 * KEY_TIMEOUT * ct.SCALE,
                  "alice took %.1f s after her join (bound %.1f s)" % (took, 2 * KEY_TIMEOUT * ct.SCALE))
            check_eq(ra["first"], True, "alice made the room's key")
            check_eq(members_of(ra), [("alice", s.keys.fprs["alice"])],
                     "squatters are not members")
            b = s.client("bob", tr)
            took, rb = ready_after_join(s.relay, b, n_squatters + 1)
            check(took <= 2 * KEY_TIMEOUT * ct.SCALE,
                  "bob took %.1f s after his join (bound %.1f s)" % (took, 2 * KEY_TIMEOUT * ct.SCALE))
            check_eq(rb["first"], False, "bob got alice's key")
            check_eq(rb["epoch"], ra["epoch"], "one epoch")
            talk(a, b)
            a.send("/who")
            check_eq(members_of(a.wait("members")), sorted(
                [("alice", s.keys.fprs["alice"]), ("bob", s.keys.fprs["bob"])]),
                "alice lists bob and herself only")
        finally:
            for so in socks:
                so.close()


def test_squatter_first():
    """An outsider first in the room with a bare room prefix holds nobody up."""
    squatted_room(1)


def test_fifty_squatters():
    """Fifty silent outsiders in the room: two trusted members still meet within the bound."""
    squatted_room(SQUATTERS_MAX)


def test_invented_roster_ids():
    """A relay that lists member ids nobody holds: never asked, never waited for."""
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        p = Proxy(s.relay.port)
        s.proxies.append(p)

        def invent(fr):
            ftype, frm, to, raw = fr
            if ftype != 1 or frm != 0:
                return None
            body = raw[14:]
            prefix = body[:1 + body[0]]
            (count,) = struct.unpack(">I", body[len(prefix):len(prefix) + 4])
            ids = body[len(prefix) + 4:]
            made_up = b"".join(struct.pack(">I", 900000 + i) for i in range(5))
            return ct.frame(1, to, prefix + struct.pack(">I", count + 5) + ids + made_up)

        p.rewrite = invent
        a = s.client("alice", tr, port=p.port)
        took, ra = ready_after_join(s.relay, a, 0)
        check(took <= 2 * KEY_TIMEOUT * ct.SCALE,
              "alice took %.1f s after her join (bound %.1f s)" % (took, 2 * KEY_TIMEOUT * ct.SCALE))
        check_eq(ra["first"], True, "alice made the room's key")
        b = s.client("bob", tr)
        rb = b.ready()
        check_eq(rb["epoch"], ra["epoch"], "bob got alice's key")
        talk(a, b)


def test_phantom_presence():
    """A departed member's recorded join INI, replayed to a later joiner, shows no `joined` and no member."""
    names = ("alice", "carol", "dave")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a = s.client("alice", tr, port=pa.port)
        a.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="carol")
        # Carol's join INI as alice received it (her first INI from carol).
        carol_inis = [f for f in pa.recorded(1) if f[1] != 0]
        check(carol_inis, "alice's proxy saw carol's INI")
        join_raw = carol_inis[0][3]
        check_eq(c.quit(), 0, "carol quits")
        a.wait("left", name="carol")
        pd = Proxy(s.relay.port)
        s.proxies.append(pd)
        d = s.client("dave", tr, port=pd.port)
        rd = d.ready()
        check_eq(members_of(rd), sorted([("alice", s.keys.fprs["alice"]),
                                         ("dave", s.keys.fprs["dave"])]), "dave sees alice")
        # The relay replays carol's join to dave, from a made-up member id.
        body = join_raw[14:]
        pd.inject([ct.frame(1, 0, body, frm=4242)])
        d.send("/who")
        who = d.wait("members")
        check_eq(members_of(who), sorted([("alice", s.keys.fprs["alice"]),
                                          ("dave", s.keys.fprs["dave"])]),
                 "carol is not listed after the replay")
        # One more round trip through the relay, so the replay was processed.
        a.send("after the replay")
        d.wait("message", text="after the replay")
        check(not d.all("joined", name="carol"), "dave shows no joined for carol: %r" % d.events)
        # alice saw carol leave: the same replay is refused there outright.
        pa.inject([ct.frame(1, 0, body, frm=4243)])
        a.send("/who")
        check_eq(len(members_of(a.wait("members", count=1))), 2, "alice lists alice and dave")
        a.wait("rejected", reason="replay")
        check_eq(len(a.all("joined", name="carol")), 1, "alice showed carol once, when she came")


# --- rotation ---------------------------------------------------------------

def keylog_opens(keys, room, keylog, bodies):
    """How many of the DAT bodies the key log opens (keylog_check)."""
    import subprocess
    paths = []
    for i, body in enumerate(bodies):
        p = keys.path("dat-%d-%d" % (len(paths), i))
        with open(p, "wb") as f:
            f.write(body)
        paths.append(p)
    out = subprocess.run([KEYLOG_CHECK, room, keylog] + paths, capture_output=True,
                         text=True, timeout=120 * ct.SCALE)
    check_eq(out.returncode, 0, "keylog_check: %s" % out.stderr)
    words = out.stdout.split()
    check(len(words) == 6 and words[0] == "keys", "keylog_check output %r" % out.stdout)
    return int(words[1]), int(words[3])


def dat_bodies(proxy, min_epoch):
    """DAT bodies the proxy (the relay's seat) delivered, of min_epoch or later."""
    out = []
    for ftype, frm, to, raw in proxy.recorded(3):
        body = raw[14:]
        (epoch,) = struct.unpack(">I", body[DAT_EPOCH_AT:DAT_EPOCH_AT + 4])
        if epoch >= min_epoch:
            out.append(body)
    return out


def test_leave_rotation():
    """Three members, one leaves: the other two rekey (reason left) and talk on; the leaver's own key log opens none of the DATs sent after the rotation."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        logs = {n: s.keys.path(n + ".keylog") for n in names}
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a = s.client("alice", tr, port=pa.port, env=keylog_env(logs["alice"]))
        ra = a.ready()
        b = s.client("bob", tr, env=keylog_env(logs["bob"]))
        b.ready()
        c = s.client("carol", tr, env=keylog_env(logs["carol"]))
        c.ready()
        a.wait("joined", name="carol")
        b.wait("joined", name="carol")
        talk(a, b, c)
        check_eq(c.quit(), 0, "carol quits")
        a.wait("left", name="carol")
        # Typed while the rotation is under way: held, then sent under the
        # new key after its KEYs (never lost to a DAT that outruns them).
        a.send("typed during the rotation")
        ka = a.wait("rekeyed")
        kb = b.wait("rekeyed")
        b.wait("message", text="typed during the rotation")
        check_eq((ka["reason"], kb["reason"]), ("left", "left"), "reason")
        check_eq(ka["epoch"], kb["epoch"], "one new epoch")
        check(ka["epoch"] > ra["epoch"], "a newer epoch than carol held")
        for cl in (a, b):
            cl.send("after carol left, from " + cl.name)
        a.wait("message", text="after carol left, from bob")
        b.wait("message", text="after carol left, from alice")
        after = dat_bodies(pa, ka["epoch"])
        check(after, "the relay's seat captured bob's DATs after the rotation")
        # The proof: every key carol ever held opens none of them; alice's
        # log (the same test build) opens them all, so the check works.
        keys_c, opened_c = keylog_opens(s.keys, "lobby", logs["carol"], after)
        check(keys_c >= 1, "carol's key log holds her key")
        check_eq(opened_c, 0, "DATs after the rotation carol's keys open")
        keys_a, opened_a = keylog_opens(s.keys, "lobby", logs["alice"], after)
        check_eq(opened_a, len(after), "alice's keys open what she was sent")
        # Before the rotation carol could read: the check is not vacuous.
        before = [b_ for b_ in dat_bodies(pa, 1) if b_ not in after]
        _, opened_before = keylog_opens(s.keys, "lobby", logs["carol"], before)
        check_eq(opened_before, len(before), "carol's keys opened the older DATs")
        for cl in (a, b):
            check_eq(cl.all("rejected"), [], "nothing refused at " + cl.name)


def test_removed_rotation():
    """Everyone removes carol and reloads while she is connected, then she comes back as an outsider: she decrypts nothing sent after the rotation."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr_a = s.keys.trusted("ta", *names)
        tr_b = s.keys.trusted("tb", *names)
        tr_c = s.keys.trusted("tc", *names)
        log_c = s.keys.path("carol.keylog")
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a = s.client("alice", tr_a, port=pa.port)
        ra = a.ready()
        b = s.client("bob", tr_b)
        b.ready()
        c = s.client("carol", tr_c, env=keylog_env(log_c))
        c.ready()
        talk(a, b, c)
        for tr in (tr_a, tr_b):
            os.unlink(os.path.join(tr, "carol.pub"))
        a.send("/reload")
        b.send("/reload")
        ka = a.wait("rekeyed")
        kb = b.wait("rekeyed")
        check(ka["epoch"] > ra["epoch"] and kb["epoch"] > ra["epoch"], "new epochs")
        # Two removers may both rotate; the room converges on one key.
        for cl in (a, b):
            cl.send("after removal, from " + cl.name)
        a.wait("message", text="after removal, from bob")
        b.wait("message", text="after removal, from alice")
        # carol reconnects, an outsider now: nobody answers her.
        check_eq(c.quit(), 0, "carol quits")
        c2 = s.client("carol", tr_c, env=keylog_env(log_c))
        c2.ready()
        b.send("while carol is back, from bob")
        a.wait("message", text="while carol is back, from bob")
        c2.wait("rejected", reason="decrypt-failed")
        check_eq([e["text"] for e in c2.all("message")], [], "carol reads nothing")
        epoch_now = max(e["epoch"] for e in a.all("rekeyed"))
        after = dat_bodies(pa, epoch_now)
        check(after, "captured DATs after the rotation")
        keys_c, opened = keylog_opens(s.keys, "lobby", log_c, after)
        check(keys_c >= 2, "carol's log holds her keys of both sessions")
        check_eq(opened, 0, "DATs after the rotation carol's keys open")


def test_rotation_key_dropped_and_replayed():
    """The rotation KEY to bob is dropped: bob recovers by asking (never by an older key); the KEY he got, sent again, is a replay; a late copy of the dropped one changes nothing."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        ra = a.ready()
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="carol")
        b.wait("joined", name="carol")
        dropped = []

        def drop_rotation(fr):
            ftype, frm, to, raw = fr
            # bob's own join KEY came before carol joined; the next KEY
            # to bob is a rotation.
            if ftype == 2 and b.all("ready") and not dropped:
                dropped.append(raw)
                return b""
            return None

        pb.rewrite = drop_rotation
        check_eq(c.quit(), 0, "carol quits")
        ka = a.wait("rekeyed")
        kb = b.wait("rekeyed")
        check(dropped, "the rotation KEY to bob was dropped")
        check_eq(kb["epoch"], ka["epoch"], "bob recovered the new epoch")
        check(ka["epoch"] > ra["epoch"], "a new epoch")
        got = [f[3] for f in pb.recorded(2) if f[3] != dropped[0]]
        check(got, "bob received the key he asked for")
        before = len(b.all("rejected", reason="replay"))
        pb.inject([got[-1]])
        b.wait("rejected", reason="replay", count=before + 1)
        pb.inject([dropped[0]])
        a.send("after the faults")
        b.wait("message", text="after the faults")
        b.send("bob still talks")
        a.wait("message", text="bob still talks")
        check_eq(len(b.all("rekeyed")), 1, "bob switched once")


def relay_id_of_join(relay, nth):
    """The relay member id of the nth join (1-based) in the relay's log."""
    ids = re.findall(r"join id=(\d+)", relay.log())
    check(len(ids) >= nth, "the relay logged %d joins, wanted %d" % (len(ids), nth))
    return int(ids[nth - 1])


def test_removal_not_ended_by_other_rotation():
    """bob removes carol; before his turn to rotate, dave leaves and alice (who still trusts carol) rotates for it, handing carol the new key. That rotation's removed-list does not name carol, so it does not end bob's wait: bob rotates too (reason removed), with carol's key excluded and her name in his KEYs' removed-list."""
    names = ("alice", "carol", "dave", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        tr_b = s.keys.trusted("tb", *names)
        pc = Proxy(s.relay.port)
        s.proxies.append(pc)
        a = s.client("alice", tr)
        ra = a.ready()
        c = s.client("carol", tr, port=pc.port)
        c.ready()
        d = s.client("dave", tr)
        d.ready()
        # bob joins last: the highest rank, so his removal waits longest
        # (0.25 s + 3 x 3 s) and alice's rotation for dave comes first.
        b = s.client("bob", tr_b)
        b.ready()
        for x in (a, c, d):
            x.wait("joined", name="bob")
        bob_id = relay_id_of_join(s.relay, 4)
        os.unlink(os.path.join(tr_b, "carol.pub"))
        b.send("/reload")
        check_eq(d.quit(), 0, "dave quits")
        kb1 = b.wait("rekeyed")
        check_eq(kb1["reason"], "left", "alice's rotation for dave reaches bob first")
        kb2 = b.wait("rekeyed", count=2)
        check_eq(kb2["reason"], "removed", "bob still rotates for his removal")
        check(kb2["epoch"] > kb1["epoch"] > ra["epoch"], "two new epochs: %r %r" % (kb1, kb2))
        ka = a.wait("rekeyed", count=2)
        check_eq((ka["epoch"], ka["reason"]), (kb2["epoch"], "removed"), "alice adopts bob's epoch")
        a.send("after bob's rotation, from alice")
        b.wait("message", text="after bob's rotation, from alice")
        b.send("after bob's rotation, from bob")
        a.wait("message", text="after bob's rotation, from bob")
        keys_from_bob = [f for f in pc.recorded(2) if f[1] == bob_id]
        check_eq(keys_from_bob, [], "KEYs from bob to carol")
        check_eq(len(b.all("rekeyed")), 2, "bob switched exactly twice")


def test_dat_before_rotation_key():
    """bob sees alice's first DAT under the new epoch before any frame that tells him of it (her rotation KEY and announcement to him are withheld until that DAT has passed): he holds it, asks her for the key, and shows it; nothing is lost or refused."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        ra = a.ready()
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="carol")
        b.wait("joined", name="carol")
        alice_id = relay_id_of_join(s.relay, 1)
        withheld = []
        dat_passed = []

        def withhold_rotation(fr):
            ftype, frm, to, raw = fr
            if dat_passed:
                return None
            if ftype == 3 and frm == alice_id:
                dat_passed.append(raw)
                return None
            if ftype == 2 or (ftype == 1 and frm == alice_id):
                withheld.append(raw)
                return b""
            return None

        pb.rewrite = withhold_rotation
        check_eq(c.quit(), 0, "carol quits")
        ka = a.wait("rekeyed")
        check(ka["epoch"] > ra["epoch"], "alice rotated")
        a.send("first under the new key")
        b.wait("message", text="first under the new key")
        check(withheld, "the rotation KEY to bob was withheld")
        check(dat_passed, "alice's DAT reached bob first")
        kb = b.wait("rekeyed")
        check_eq(kb["epoch"], ka["epoch"], "bob adopted alice's epoch")
        b.send("bob answers")
        a.wait("message", text="bob answers")
        check_eq(b.all("rejected"), [], "nothing refused at bob")


def test_two_leave_at_once():
    """Two members leave together: the two who stay end on one epoch, with at most one rotation each, and talk."""
    names = ("alice", "bob", "carol", "dave")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        cl = [s.client(n, tr) for n in names[:1]]
        cl[0].ready()
        for n in names[1:]:
            cl.append(s.client(n, tr))
            cl[-1].ready()
        a, b, c, d = cl
        for x in (a, b):
            x.wait("joined", name="dave")
        c.close_stdin()
        d.close_stdin()
        check_eq(c.wait_exit(), 0, "carol quits")
        check_eq(d.wait_exit(), 0, "dave quits")
        a.wait("left", name="carol")
        a.wait("left", name="dave")
        b.wait("left", name="dave")
        ka = a.wait("rekeyed")
        b.wait("rekeyed")
        a.send("two gone, from alice")
        b.wait("message", text="two gone, from alice")
        b.send("two gone, from bob")
        a.wait("message", text="two gone, from bob")
        ea = max(e["epoch"] for e in a.all("rekeyed"))
        eb = max(e["epoch"] for e in b.all("rekeyed"))
        check_eq(ea, eb, "one epoch")
        check(len(a.all("rekeyed")) <= 2 and len(b.all("rekeyed")) <= 2,
              "at most one rotation per departure: %r %r" % (a.all("rekeyed"), b.all("rekeyed")))
        check(ka["reason"] == "left", "reason left")


def test_relay_restart_five():
    """A relay restart in a room of five: everyone is back on one key within seconds, and nobody rotates (a rejoin is not a departure)."""
    names = tuple("p%d" % i for i in range(5))
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        cs = [s.client(n, tr) for n in names]
        rs = [c.ready(timeout=ct.READY_TIMEOUT * 2) for c in cs]
        check_eq(len({r["epoch"] for r in rs}), 1, "one epoch before")
        port = s.relay.port
        s.relay.stop()
        for c in cs:
            c.wait("disconnected")
        t0 = time.monotonic()
        s.relay = ct.Relay(port=port).start()
        again = [c.wait("ready", count=2, timeout=ct.READY_TIMEOUT) for c in cs]
        took = time.monotonic() - t0
        # Reconnect backoff is at most 8 s (jittered) and the session RSA
        # keys were made in the background while the room talked: about
        # 10 s on a quiet machine; the bound leaves room for a loaded one.
        # What this test is about is the rotation count below.
        check(took <= 60 * ct.SCALE, "back on one key %.1f s after the relay returned" % took)
        cs[0].send("after the restart")
        for c in cs[1:]:
            c.wait("message", text="after the restart")
        cs[4].send("and back")
        for c in cs[:4]:
            c.wait("message", text="and back")

        def epoch_now(c):
            evs = [e for e in c.all() if e["event"] in ("ready", "rekeyed")]
            return evs[-1]["epoch"]

        check_eq(len({epoch_now(c) for c in cs}), 1, "one epoch after")
        # A rejoin is not a departure: normally no rotation at all. The
        # stated bound, under any timing (a member whose connection the
        # relay dropped again while rejoining is a departure), is one
        # rotation per member: no storm.
        counts = [len(c.all("rekeyed")) for c in cs]
        check(max(counts) <= 1, "rotations per member after a relay restart: %r" % counts)


def test_bad_frame_cutoff():
    """A relay id that sends a flood of bad frames is cut off after 32: one notice, then its frames are refused unread."""
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a = s.client("alice", tr, port=pa.port)
        a.ready()
        b = s.client("bob", tr)
        b.ready()
        b.send("genuine")
        a.wait("message", text="genuine")
        ftype, frm, to, raw = pa.recorded(3)[-1]
        body = bytearray(raw[14:])
        flood = []
        for i in range(40):
            # A later counter each time (not a replay): the signature
            # no longer holds.
            body[DAT_COUNTER_AT:DAT_COUNTER_AT + 8] = struct.pack(">Q", 1000 + i)
            flood.append(ct.frame(3, 0, bytes(body), frm=frm))
        pa.inject(flood)
        a.wait("rejected", reason="untrusted-key", count=8)
        check_eq(len(a.all("rejected", reason="bad-signature")), 32, "bad signatures checked")
        notices = [e for e in a.all("notice") if "bad frames" in e.get("text", "")]
        check_eq(len(notices), 1, "one summary notice")
        cut = [e for e in a.all("rejected", reason="untrusted-key") if "cut off" in e["detail"]]
        check_eq(len(cut), 8, "the rest refused unread")


def test_rotator_killed_mid_rotation():
    """The rotator dies having reached only some members (its KEY to dave never arrives): its own departure makes the next rotator move everyone to a newer epoch; bob and dave end on one key and talk."""
    names = ("alice", "bob", "carol", "dave")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        ra = a.ready()
        b = s.client("bob", tr)
        b.ready()
        c = s.client("carol", tr)
        c.ready()
        pd = Proxy(s.relay.port)
        s.proxies.append(pd)
        d = s.client("dave", tr, port=pd.port)
        d.ready()
        for x in (a, b, c):
            x.wait("joined", name="dave")
        dropped = []

        def drop_first_rotation(fr):
            if fr[0] == 2 and d.all("ready") and not dropped:
                dropped.append(fr)
                return b""
            return None

        pd.rewrite = drop_first_rotation
        check_eq(c.quit(), 0, "carol quits")
        ka = a.wait("rekeyed")          # alice, the lowest id, rotated
        b.wait("rekeyed")
        ct.wait_until(lambda: dropped, 20 * ct.SCALE, "alice's KEY to dave", step=0.05)
        a.kill()                        # before dave could recover from her
        b.wait("left", name="alice")
        kb = b.wait("rekeyed", count=2)
        check(kb["epoch"] > ka["epoch"], "bob moved past alice's epoch: %r" % b.all("rekeyed"))
        ct.wait_until(lambda: any(e["epoch"] == kb["epoch"] for e in d.all("rekeyed")),
                      30 * ct.SCALE, "dave on bob's epoch: %r" % d.events, step=0.1)
        b.send("after the rotator died")
        d.wait("message", text="after the rotator died")
        d.send("dave too")
        b.wait("message", text="dave too")
        check(ra["epoch"] < ka["epoch"] < kb["epoch"], "epochs only grow")


# --- periodic rotation (docs/protocol.md "v2: periodic rotation") -----------

EPOCH_GRACE = 10.0         # SOTTO_EPOCH_GRACE_MS in shared/keyring.h


def keylog_read(path):
    """{epoch: {generation: key hex}} and {epoch: seconds the epoch was
    kept after it was replaced} from a test build's key log
    (client/core/keylog.c: "gk EPOCH GEN KEY" lines, "wiped epoch ...")."""
    keys, wiped = {}, {}
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return keys, wiped
    for line in lines:
        w = line.split()
        if len(w) == 4 and w[0] == "gk":
            e, g = int(w[1]), int(w[2])
            gens = keys.setdefault(e, {})
            check(g not in gens or gens[g] == w[3],
                  "%s: two keys for epoch %d generation %d" % (path, e, g))
            gens[g] = w[3]
        elif len(w) == 6 and w[0] == "wiped" and w[1] == "epoch" and w[3] == "after":
            wiped[int(w[2])] = float(w[4])
    return keys, wiped


def texts_from(client, sender):
    return [e["text"] for e in client.all("message") if e["name"] == sender]


def check_exactly_once(clients, sent):
    """Every member was shown each line the others sent exactly once, in
    order: nothing lost, nothing twice."""
    for rx in clients:
        for tx in clients:
            if rx is not tx:
                check_eq(texts_from(rx, tx.name), sent[tx.name],
                         "%s's lines as %s showed them" % (tx.name, rx.name))


def keylog_only(src_path, path, epochs):
    """A key log holding only the given epochs' keys (generation keys and
    chains) of the key log at src_path."""
    with open(src_path) as f, open(path, "w") as g:
        for line in f:
            w = line.split()
            if len(w) >= 4 and w[0] in ("gk", "ck") and int(w[1]) in epochs:
                g.write(line)
    return path


def test_count_rotation():
    """--rotate-messages 5 in a room of three: every fifth room message makes exactly one rotation (reason count, one new epoch everywhere), no line is lost or shown twice, the new key differs and the old keys open none of the new DATs, and the previous key is wiped after its grace."""
    names = ("alice", "bob", "carol")
    limit = 5
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        logs = {n: s.keys.path(n + ".keylog") for n in names}
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        extra = ["--rotate-messages", str(limit), "--rotate-interval", "0"]
        a = s.client("alice", tr, port=pa.port, extra=extra, env=keylog_env(logs["alice"]))
        ra = a.ready()
        b = s.client("bob", tr, extra=extra, env=keylog_env(logs["bob"]))
        b.ready()
        c = s.client("carol", tr, extra=extra, env=keylog_env(logs["carol"]))
        c.ready()
        cs = (a, b, c)
        for cl in (a, b):
            cl.wait("joined", name="carol")
        base = ra["epoch"]
        check_eq([cl.all("ready")[0]["epoch"] for cl in cs], [base] * 3, "one epoch at the start")
        # One line at a time, each seen by both others before the next: all
        # three count the same DATs. 12 lines: rotations at 5 and 10.
        sent = {n: [] for n in names}
        for i in range(12):
            tx = cs[i % 3]
            line = "line %d from %s" % (i, tx.name)
            tx.send(line)
            sent[tx.name].append(line)
            for rx in cs:
                if rx is not tx:
                    rx.wait("message", text=line)
        # Line 11 went out under the second new key (its sender held it for
        # the key), so by now each member has rekeyed exactly twice.
        for cl in cs:
            got = [(e["epoch"], e["reason"]) for e in cl.all("rekeyed")]
            check_eq(got, [(base + 1, "count"), (base + 2, "count")],
                     "%s's rotations for 12 lines at a limit of %d" % (cl.name, limit))
        check_exactly_once(cs, sent)
        # The keys: one epoch key (generation 0, from the ROTATION KEY) per
        # new epoch, the same at all three, all different.
        logs_read = {n: keylog_read(logs[n]) for n in names}
        ka = logs_read["alice"][0]
        for n in names:
            check_eq({e: logs_read[n][0].get(e, {}).get(0) for e in (base + 1, base + 2)},
                     {e: ka.get(e, {}).get(0) for e in (base + 1, base + 2)},
                     "%s's keys for the two new epochs (alice's)" % n)
        firsts = [ka.get(e, {}).get(0) for e in (base, base + 1, base + 2)]
        check(None not in firsts, "alice held each epoch's generation 0: %r" % firsts)
        check_eq(len(set(firsts)), 3, "three different keys")
        # The old keys open nothing sent under the new ones (captured at the
        # relay's seat for alice); the new key opens them all.
        after = dat_bodies(pa, base + 2)
        check(after, "DATs under the last key captured")
        old = keylog_only(logs["alice"], s.keys.path("old.keylog"), (base, base + 1))
        _, opened = keylog_opens(s.keys, "lobby", old, after)
        check_eq(opened, 0, "DATs of epoch %d the two older keys open" % (base + 2))
        new = keylog_only(logs["alice"], s.keys.path("new.keylog"), (base + 2,))
        _, opened = keylog_opens(s.keys, "lobby", new, after)
        check_eq(opened, len(after), "DATs the current key opens")
        # The previous key is wiped once its grace is over, not before:
        # epoch base+1 was replaced last and nothing replaces base+2.
        for n in names:
            ct.wait_until(lambda: base + 1 in keylog_read(logs[n])[1],
                          EPOCH_GRACE + 30, "%s wipes the key of epoch %d" % (n, base + 1))
            _, wiped = keylog_read(logs[n])
            check(EPOCH_GRACE - 0.01 <= wiped[base + 1] <= EPOCH_GRACE + 30 * ct.SCALE,
                  "%s kept epoch %d's key %.3f s after replacing it (grace %g s)"
                  % (n, base + 1, wiped[base + 1], EPOCH_GRACE))
            check(base in wiped, "%s wiped epoch %d's key" % (n, base))
            check(base + 2 not in wiped, "%s still holds the current key" % n)
        for cl in cs:
            check_eq(cl.all("rejected"), [], "nothing refused at " + cl.name)


def epoch_now(c):
    """The epoch of c's last ready or rekeyed event."""
    evs = [e for e in c.all() if e["event"] in ("ready", "rekeyed")]
    return evs[-1]["epoch"]


def test_timer_rotation():
    """--rotate-interval 2 s (scaled) in a room of three: the room rotates on time by one rotator, everybody sees the same epochs in order with reason timer and one key per epoch, at most one rotation per interval, and the lines typed meanwhile arrive once each."""
    names = ("alice", "bob", "carol")
    interval = 2.0 * ct.SCALE
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        logs = {n: s.keys.path(n + ".keylog") for n in names}
        extra = ["--rotate-interval", "%g" % interval, "--rotate-messages", "0"]
        cs = []
        for n in names:
            cl = s.client(n, tr, extra=extra, env=keylog_env(logs[n]))
            cl.ready()
            cs.append(cl)
        a = cs[0]
        t_ready = a.times[a.events.index(a.all("ready")[0])]
        for cl in cs[:2]:
            cl.wait("joined", name="carol")
        # Settled first: a rotation that raced carol's join reaches her by
        # asking (a DAT under the newer key that overtakes the answer is
        # refused, not held: the recovery rule, not this test's subject).
        ct.wait_until(lambda: len({epoch_now(cl) for cl in cs}) == 1, 30,
                      "one epoch after carol's join",
                      dump=lambda: repr([epoch_now(cl) for cl in cs]))
        sent = {n: [] for n in names}

        def round_(k):
            for tx in cs:
                line = "round %d from %s" % (k, tx.name)
                tx.send(line)
                sent[tx.name].append(line)
            for tx in cs:
                for rx in cs:
                    if rx is not tx:
                        rx.wait("message", text="round %d from %s" % (k, tx.name))

        round_(0)
        start = [len(cl.all("rekeyed")) for cl in cs]
        # Three more rotations seen by everybody, lines typed before and
        # right after each.
        k = 1
        for j in range(1, 4):
            round_(k)
            for cl, n0 in zip(cs, start):
                cl.wait("rekeyed", count=n0 + j, timeout=2.0 + 30)
            round_(k + 1)
            k += 2
        t_end = time.monotonic()
        seqs = []
        for cl, n0 in zip(cs, start):
            evs = cl.all("rekeyed")[n0:n0 + 3]
            check_eq([e["reason"] for e in evs], ["timer"] * 3, "%s's reasons" % cl.name)
            ep = [e["epoch"] for e in evs]
            check_eq(ep, list(range(ep[0], ep[0] + 3)), "%s's epochs one by one" % cl.name)
            seqs.append(ep)
        check_eq(len({tuple(q) for q in seqs}), 1, "the same epochs at all three: %r" % seqs)
        for cl in cs:
            check_eq(cl.all("rekeyed", reason="conflict"), [], "no competing keys at " + cl.name)
        # One key per epoch (its generation 0, from the ROTATION KEY), the
        # same everywhere (keylog_read refuses two).
        kl = [keylog_read(logs[n])[0] for n in names]
        for e in seqs[0]:
            check_eq(len({k_.get(e, {}).get(0) for k_ in kl}), 1,
                     "one key for epoch %d at all three" % e)
        check_eq(len({kl[0].get(e, {}).get(0) for e in seqs[0]}), 3, "a new key each time")
        # No storm: alice (the rotator) rotated at most once per interval
        # since she held her first key.
        n_rot = len(a.all("rekeyed"))
        bound = (t_end - t_ready) / interval + 1
        check(n_rot <= bound, "%d rotations in %.1f s at an interval of %g s (bound %.1f)"
              % (n_rot, t_end - t_ready, interval, bound))
        check_exactly_once(cs, sent)
        # Every key replaced two rotations ago has been wiped.
        for n, ep in zip(names, seqs):
            _, wiped = keylog_read(logs[n])
            check(ep[0] in wiped, "%s wiped epoch %d's key: %r" % (n, ep[0], wiped))


# --- v2 keys: forward secrecy, history protection, reasons ------------------

DAT_GEN_AT = 70            # v2 DAT: ... epoch, then u32 gen


def dat_gen(body):
    return struct.unpack(">I", body[DAT_GEN_AT:DAT_GEN_AT + 4])[0]


def keydump_gens(path):
    """Generations of the keys in a key dump (SOTTO_TEST_KEYDUMP), or None
    while it does not exist yet."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return None
    return [int(w.split()[2]) for w in lines if w.startswith(("gk ", "ck "))]


def test_memory_dump_forward_secrecy():
    """A memory dump of bob (his keys at time t) opens none of the DATs sent before t's generation step, though it opens what is sent under the generation it holds: forward secrecy in the keys (v1 held one key for the epoch, which opened them all)."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        log_a = s.keys.path("alice.keylog")
        dump_b = s.keys.path("bob.keydump")
        a = s.client("alice", tr, env=keylog_env(log_a))
        a.ready()
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        b = s.client("bob", tr, port=pb.port,
                     env=dict(os.environ, SOTTO_TEST_KEYDUMP=dump_b))
        b.ready()
        a.wait("joined", name="bob")
        for i in range(3):
            a.send("old %d" % i)
            b.wait("message", text="old %d" % i)
        old = [f[3][14:] for f in pb.recorded(3)]
        check_eq(len(old), 3, "bob's seat captured alice's three DATs")
        old_gen = max(dat_gen(x) for x in old)
        # A newcomer is served: the keyholder steps to the next generation
        # and announces it; bob steps too, and wipes the generation he
        # left once its grace (10 s) is over.
        c = s.client("carol", tr)
        c.ready()
        b.wait("joined", name="carol")

        def dump_past_old():
            gens = keydump_gens(dump_b)
            return bool(gens) and min(gens) > old_gen
        ct.wait_until(dump_past_old, 40 * ct.SCALE,
                      "bob's keys past generation %d: %r" % (old_gen, keydump_gens(dump_b)),
                      step=0.2)
        snap = s.keys.path("bob.snapshot")
        with open(dump_b) as f, open(snap, "w") as g:
            g.write(f.read())
        a.send("later")
        b.wait("message", text="later")
        later = [f[3][14:] for f in pb.recorded(3)][3:]
        check_eq(len(later), 1, "bob's seat captured the later DAT")
        _, opened_old = keylog_opens(s.keys, "lobby", snap, old)
        check_eq(opened_old, 0, "DATs from before the step bob's dump opens")
        # The check is not vacuous: alice's own keys open the old DATs,
        # and the dump opens a DAT of the generation it holds.
        _, opened_by_a = keylog_opens(s.keys, "lobby", log_a, old)
        check_eq(opened_by_a, len(old), "alice's key log opens the old DATs")
        _, opened_later = keylog_opens(s.keys, "lobby", snap, later)
        check_eq(opened_later, 1, "bob's dump opens a DAT of its own generation")


def test_newcomer_history_protection():
    """carol joins a room that talked before her: her key log (every key she ever held, chains included) opens none of the DATs the relay carried before her join, and every one sent after it (v1 handed the newcomer the room's key, which opened them all)."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        log_c = s.keys.path("carol.keylog")
        pa, pb = Proxy(s.relay.port), Proxy(s.relay.port)
        s.proxies += [pa, pb]
        a = s.client("alice", tr, port=pa.port)
        a.ready()
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        a.wait("joined", name="bob")
        for i in range(3):
            a.send("before carol, alice %d" % i)
            b.send("before carol, bob %d" % i)
        for i in range(3):
            b.wait("message", text="before carol, alice %d" % i)
            a.wait("message", text="before carol, bob %d" % i)
        before = [f[3][14:] for f in pa.recorded(3) + pb.recorded(3)]
        check_eq(len(before), 6, "six DATs captured before carol")
        c = s.client("carol", tr, env=keylog_env(log_c))
        c.ready()
        a.wait("joined", name="carol")
        b.wait("joined", name="carol")
        a.send("after carol, alice")
        b.send("after carol, bob")
        c.wait("message", text="after carol, alice")
        c.wait("message", text="after carol, bob")
        after = [x for x in (f[3][14:] for f in pa.recorded(3) + pb.recorded(3))
                 if x not in before]
        check_eq(len(after), 2, "two DATs captured after carol's join")
        keys_c, opened = keylog_opens(s.keys, "lobby", log_c, before)
        check(keys_c >= 1, "carol's key log holds her keys")
        check_eq(opened, 0, "DATs from before her join carol's keys open")
        _, opened_after = keylog_opens(s.keys, "lobby", log_c, after)
        check_eq(opened_after, 2, "carol's keys open what was sent after her join")
        check_eq([e for e in c.all("message") if "before carol" in e["text"]], [],
                 "carol shows nothing from before her join")


def test_phantom_presence_within_skew():
    """A departed member's INIs recorded moments before dave joins (well within dave's --clock-skew of 600 s), replayed to him, show no `joined`: presence is bound to dave's session nonce, not to a time window."""
    names = ("alice", "carol", "dave")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a = s.client("alice", tr, port=pa.port)
        a.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="carol")
        # Every INI carol signed that alice received: her join, her ACK of
        # alice's REPLY, bound to alice's session; all seconds old.
        carol_inis = [f[3][14:] for f in pa.recorded(1) if f[1] != 0]
        check(len(carol_inis) >= 2, "alice's proxy saw carol's INIs: %d" % len(carol_inis))
        check_eq(c.quit(), 0, "carol quits")
        a.wait("left", name="carol")
        pd = Proxy(s.relay.port)
        s.proxies.append(pd)
        d = s.client("dave", tr, port=pd.port, skew="600")
        rd = d.ready()
        check_eq(members_of(rd), sorted([("alice", s.keys.fprs["alice"]),
                                         ("dave", s.keys.fprs["dave"])]), "dave sees alice")
        pd.inject([ct.frame(1, 0, body, frm=4242) for body in carol_inis])
        a.send("after the replay")
        d.wait("message", text="after the replay")
        d.send("/who")
        who = d.wait("members")
        check_eq(members_of(who), sorted([("alice", s.keys.fprs["alice"]),
                                          ("dave", s.keys.fprs["dave"])]),
                 "carol is not listed after the replay")
        check(not d.all("joined", name="carol"), "dave shows no joined for carol: %r" % d.events)


def test_rekeyed_reason_from_key():
    """Only alice removes carol: bob, who saw no trigger himself, reports the reason the ROTATION KEY carries (removed), not one he guessed (v1 KEYs had no reason: bob said left)."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr_a = s.keys.trusted("ta", *names)
        tr_b = s.keys.trusted("tb", *names)
        a = s.client("alice", tr_a)
        ra = a.ready()
        b = s.client("bob", tr_b)
        b.ready()
        c = s.client("carol", tr_b)
        c.ready()
        a.wait("joined", name="carol")
        b.wait("joined", name="carol")
        os.unlink(os.path.join(tr_a, "carol.pub"))
        a.send("/reload")
        ka = a.wait("rekeyed")
        kb = b.wait("rekeyed")
        check_eq((ka["reason"], kb["reason"]), ("removed", "removed"), "reason")
        check_eq(kb["epoch"], ka["epoch"], "bob on alice's new epoch")
        check(ka["epoch"] > ra["epoch"], "a new epoch")
        a.send("after the removal")
        b.wait("message", text="after the removal")


TESTS = {n[5:]: f for n, f in globals().items() if n.startswith("test_") and callable(f)}

if __name__ == "__main__":
    argv = list(sys.argv)
    if "--keylog-check" in argv:
        i = argv.index("--keylog-check")
        KEYLOG_CHECK = argv[i + 1]
        del argv[i:i + 2]
    sys.exit(ct.run(TESTS, argv))

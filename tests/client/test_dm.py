#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_dm.py: direct messages end to end (docs/protocol.md "Direct messages"): only the recipient's current session reads one, a relay that copies it to the room leaks nothing, clear answers when a DM cannot go; real sotto-relay and `sotto --batch` processes, one ctest per test_ function."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Proxy, check, check_eq  # noqa: E402
from test_client import Scene  # noqa: E402

KEYLOG_CHECK = None        # tests/client/keylog_check, from --keylog-check


def keylog_env(path):
    return dict(os.environ, SOTTO_TEST_KEYLOG=path)


def dm_check(keys, keylog, text, bodies):
    """keylog_check --dm: (keys, outer DATs opened, inner DMs opened,
    plaintexts holding text) for the DAT bodies under the key log."""
    paths = []
    for i, body in enumerate(bodies):
        p = keys.path("dm-dat-%d-%d" % (os.getpid(), i))
        with open(p, "wb") as f:
            f.write(body)
        paths.append(p)
    out = subprocess.run([KEYLOG_CHECK, "--dm", "lobby", keylog, text] + paths,
                         capture_output=True, text=True, timeout=120 * ct.SCALE)
    check_eq(out.returncode, 0, "keylog_check: %s" % out.stderr)
    w = out.stdout.split()
    check(len(w) == 10 and w[0] == "keys" and w[6] == "inner", "output %r" % out.stdout)
    return int(w[1]), int(w[3]), int(w[7]), int(w[9])


def dats_from(proxy, member_id):
    """DAT bodies the relay delivered through proxy from one member id."""
    return [raw[14:] for (_t, frm, _to, raw) in proxy.recorded(3) if frm == member_id]


def raws_from(proxy, member_id):
    return [raw for (_t, frm, _to, raw) in proxy.recorded(3) if frm == member_id]


def first_dat_sender(proxy):
    """The member id of the first DAT the proxy recorded (the proxy records
    a frame just after forwarding it: wait for it)."""
    return ct.wait_until(lambda: proxy.recorded(3), 20, "a DAT at the proxy")[0][1]


def wait_raws(proxy, member_id, n):
    """The first n DATs from member_id the proxy recorded, once it has."""
    return ct.wait_until(lambda: len(raws_from(proxy, member_id)) >= n and
                         raws_from(proxy, member_id), 20,
                         "%d DATs from member %d at the proxy" % (n, member_id))


def three(s, logs, pb=None, pc=None):
    tr = s.keys.trusted("trusted", "alice", "bob", "carol")
    a = s.client("alice", tr, env=keylog_env(logs["alice"]))
    a.ready()
    b = s.client("bob", tr, port=pb.port if pb else None, env=keylog_env(logs["bob"]))
    b.ready()
    c = s.client("carol", tr, port=pc.port if pc else None, env=keylog_env(logs["carol"]))
    c.ready()
    for cl in (a, b):
        cl.wait("joined", name="carol")
    a.wait("joined", name="bob")
    return tr, a, b, c


def test_only_recipient():
    """alice's DM reaches bob alone; carol (trusted, same room) gets nothing; a relay that copies alice's DMKEY and DM to carol gets two not-for-me lines and nothing readable; carol's group key opens the outer DATs but not the inner DM, bob's pairwise key does."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        logs = {n: s.keys.path(n + ".keylog") for n in names}
        pb, pc = Proxy(s.relay.port), Proxy(s.relay.port)
        s.proxies += [pb, pc]
        _, a, b, c = three(s, logs, pb, pc)
        a.send("room line before")
        b.wait("message", text="room line before")
        c.wait("message", text="room line before")
        alice_id = first_dat_sender(pb)
        secret = "only-for-bob-7f3a"
        a.send("/msg bob " + secret)
        got = b.wait("message", text=secret)
        check_eq((got["name"], got.get("private"), got.get("to")), ("alice", True, "bob"),
                 "bob's event")
        echo = a.wait("message", text=secret)
        check_eq((echo["name"], echo.get("private"), echo.get("to")), ("alice", True, "bob"),
                 "alice's echo")
        # What bob was sent for the DM: alice's DATs after the room line
        # (DMKEY, then DM). The relay routed them to bob alone.
        dm_raws = wait_raws(pb, alice_id, 3)[1:]
        check_eq(len(dm_raws), 2, "alice sent bob a DMKEY and a DM")
        # The hostile relay: both copied to carol, in order.
        pc.inject(dm_raws)
        a.send("room line after")
        c.wait("message", text="room line after")
        b.wait("message", text="room line after")
        c.wait("rejected", reason="not-for-me", count=2)
        # The relay itself routed the DM to bob alone: carol's seat saw
        # alice's two room lines and nothing between them (the injected
        # copies are not recorded).
        wait_raws(pc, alice_id, 2)
        check_eq(len(raws_from(pc, alice_id)), 2, "carol was sent only the room lines")
        check(not any(secret in str(e) for e in c.events), "copied, still nothing readable")
        check_eq([e for e in c.all("message") if e.get("private")], [], "no DM at carol")
        check(not any(e.get("private") for e in b.all("message") if e["text"] != secret),
              "room lines are not private")
        bodies = [r[14:] for r in dm_raws]
        keys_c, outer_c, inner_c, text_c = dm_check(s.keys, logs["carol"], secret, bodies)
        check(keys_c >= 1, "carol's log holds the group key")
        check_eq(outer_c, 2, "the group key opens both outer DATs")
        check_eq((inner_c, text_c), (0, 0), "carol's keys open no DM and see no text")
        _, outer_b, inner_b, text_b = dm_check(s.keys, logs["bob"], secret, bodies)
        check_eq((outer_b, inner_b, text_b), (2, 1, 1),
                 "bob's pairwise key opens the DM: the check is not vacuous")
        check_eq(a.all("rejected") + b.all("rejected"), [], "nothing refused at alice or bob")


HOSTILE_RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile",
                             "hostile_relay.py")


def test_hostile_relay_copies():
    """tests/hostile/hostile_relay.py --mode copy-unicast delivers every DAT addressed to one member to all: alice's DM to bob and bob's answer reach carol too, who shows a not-for-me line for each DMKEY and DM copy and never their text; bob and alice read each other; carol's room lines still flow."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        log = s.keys.path("hostile.log")
        relay = subprocess.Popen([sys.executable, HOSTILE_RELAY, "--mode", "copy-unicast",
                                  "--log", log], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            port = int(relay.stdout.readline())
            tr = s.keys.trusted("trusted", *names)
            a = s.client("alice", tr, port=port)
            a.ready()
            b = s.client("bob", tr, port=port)
            b.ready()
            c = s.client("carol", tr, port=port)
            c.ready()
            for cl in (a, b):
                cl.wait("joined", name="carol")
            a.send("/msg bob leak-me-not-1")
            b.wait("message", text="leak-me-not-1", private=True)
            b.send("/msg alice leak-me-not-2")
            a.wait("message", text="leak-me-not-2", private=True, to="alice")
            c.wait("rejected", reason="not-for-me", count=4)
            c.send("room line from carol")
            for cl in (a, b):
                cl.wait("message", text="room line from carol")
            a.send("room line from alice")
            c.wait("message", text="room line from alice")
            check(not any("leak-me-not" in str(e) for e in c.events),
                  "carol shows no DM text: %r" % c.events)
            check_eq([e for e in c.all("message") if e.get("private")], [], "no DM at carol")
            check_eq(len(c.all("rejected")), 4, "exactly the four copies refused")
            with open(log) as f:
                import json
                copies = [r for r in (json.loads(ln) for ln in f if ln.endswith("\n"))
                          if r.get("kind") == "copy"]
            check_eq(len(copies), 4, "the relay leaked four copies: %r" % copies)
            check_eq(a.all("rejected") + b.all("rejected"), [], "nothing refused at alice, bob")
        finally:
            relay.terminate()
            relay.wait(timeout=30)


def test_lost_key():
    """The relay drops alice's DMKEY to bob: bob says he could not read a private message and asks (DMNOKEY); alice is told to resend, never silently; her resend goes under a new key and reads."""
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        a.wait("joined", name="bob")
        a.send("room line")
        b.wait("message", text="room line")
        alice_id = first_dat_sender(pb)
        seen = {"n": 0}

        def drop_first_after(fr):
            # The first DAT from alice after the room line is the DMKEY.
            if fr[0] == 3 and fr[1] == alice_id:
                seen["n"] += 1
                if seen["n"] == 1:
                    return b""
            return None
        with pb.lock:
            pb.rewrite = drop_first_after
        a.send("/msg bob lost in transit")
        n = b.wait("notice", reason="dm-no-key")
        check("alice" in n["detail"], "names the sender: %r" % n)
        n = a.wait("notice", reason="dm-not-read")
        check(n["detail"].startswith("bob could not read your private message of "),
              "the line: %r" % n)
        check_eq([e for e in b.all("message") if e.get("private")], [], "nothing read")
        a.send("/msg bob second try")
        got = b.wait("message", text="second try")
        check_eq((got.get("private"), got.get("to")), (True, "bob"), "the resend reads")
        check_eq(b.all("rejected"), [], "nothing refused at bob")
        check_eq(len(b.all("notice", reason="dm-no-key")), 1, "one notice")


def test_after_reconnect():
    """bob reconnects (a new session): alice's next DM goes under a new pairwise key to the new session and reads there."""
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        log_b = s.keys.path("bob.keylog")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, env=keylog_env(log_b))
        b.ready()
        a.wait("joined", name="bob")
        a.send("/msg bob first session")
        b.wait("message", text="first session", private=True)
        check_eq(b.quit(), 0, "bob quits")
        a.wait("left", name="bob")
        # bob's leaving rotates the key; a DM typed while alice rotates is
        # refused (`not-ready`), so wait for the rotation, not for luck.
        a.wait("rekeyed", reason="left")
        b2 = s.client("bob", tr, env=keylog_env(log_b))
        b2.ready()
        a.wait("joined", name="bob", count=2)
        a.send("/msg bob second session")
        got = b2.wait("message", text="second session")
        check_eq((got.get("private"), got.get("to"), got["name"]), (True, "bob", "alice"),
                 "the DM reads in the new session")
        check_eq(b2.all("rejected"), [], "nothing refused at the new session")
        with open(log_b) as f:
            dmkeys = [ln.split()[3] for ln in f if " dmkey " in ln]
        check_eq(len(dmkeys), 2, "one pairwise key per session of bob")
        check(dmkeys[0] != dmkeys[1], "the new session got a new key")


def test_new_epoch_new_key():
    """The room rotates (carol leaves): alice's next DM to bob goes under a new pairwise key of the new epoch, never the old one, and reads."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        logs = {n: s.keys.path(n + ".keylog") for n in names}
        _, a, b, c = three(s, logs)
        a.send("/msg bob before the rotation")
        b.wait("message", text="before the rotation", private=True)
        check_eq(c.quit(), 0, "carol quits")
        ka = a.wait("rekeyed")
        b.wait("rekeyed", epoch=ka["epoch"])
        a.send("/msg bob after the rotation")
        got = b.wait("message", text="after the rotation")
        check_eq((got.get("private"), got.get("to")), (True, "bob"), "reads after the rotation")
        with open(logs["bob"]) as f:
            dm = [(int(ln.split()[1]), ln.split()[3]) for ln in f if " dmkey " in ln]
        check_eq(len(dm), 2, "two pairwise keys at bob: %r" % dm)
        check(dm[1][0] == ka["epoch"] and dm[0][0] < dm[1][0], "one per epoch: %r" % dm)
        check(dm[0][1] != dm[1][1], "a new key for the new epoch")
        check_eq(b.all("rejected"), [], "nothing refused at bob")


def test_unknown_and_absent():
    """A DM to a name nobody trusts, to a trusted member not in the room, to ourselves: one notice each with its reason, nothing sent."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr)
        b.ready()
        a.wait("joined", name="bob")
        a.send("/msg zed hello", "/msg carol hello", "/msg alice hello", "/msg bob")
        n = a.wait("notice", reason="no-such-member")
        check("zed" in n["detail"], "names the name: %r" % n)
        n = a.wait("notice", reason="not-in-room")
        check_eq(n["detail"], "carol is not in the room", "carol")
        a.wait("notice", reason="dm-self")
        a.wait("notice", reason="bad-command")
        a.send("room line")
        b.wait("message", text="room line")
        check_eq([e for e in b.all("message") if e.get("private")], [], "bob got no DM")
        check_eq([e for e in a.all("message") if e.get("private")], [], "no echo")


def test_to_member_who_left():
    """carol was here and left: a DM to her says so (member-left), and nothing is sent."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        a.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="carol")
        a.send("/msg carol while here")
        c.wait("message", text="while here", private=True)
        check_eq(c.quit(), 0, "carol quits")
        a.wait("left", name="carol")
        a.send("/msg carol are you there")
        n = a.wait("notice", reason="member-left")
        check_eq(n["detail"], "carol left", "the line")
        check_eq(len([e for e in a.all("message") if e.get("private")]), 1,
                 "only the first DM was echoed")


def test_two_sessions():
    """bob is in the room twice: a DM to bob is refused (two-sessions), neither session gets it."""
    names = ("alice", "bob")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        a.ready()
        b1 = s.client("bob", tr)
        b1.ready()
        b2 = s.client("bob", tr)
        b2.ready()
        # Poll /who (one question per answer) until alice lists both.
        k = 0
        while True:
            a.send("/who")
            k += 1
            ev = a.wait("members", count=k)
            if any(m["name"] == "bob" and m["sessions"] == 2 for m in ev["members"]):
                break
            check(k < 200, "alice never lists two sessions of bob: %r" % ev)
        a.send("/msg bob which one")
        n = a.wait("notice", reason="two-sessions")
        check("2 sessions" in n["detail"], "says why: %r" % n)
        a.send("room line")
        for b in (b1, b2):
            b.wait("message", text="room line")
            check_eq([e for e in b.all("message") if e.get("private")], [], "no DM")


TESTS = {name[5:]: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    argv = list(sys.argv)
    if "--keylog-check" in argv:
        i = argv.index("--keylog-check")
        KEYLOG_CHECK = argv[i + 1]
        del argv[i:i + 2]
    sys.exit(ct.run(TESTS, argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_ux.py: the batch events behind "trust and delivery must be visible" and the irssi habits
(untrusted readers, --strict, waiting for the key, several sessions of one identity, /me, /away,
quit messages, --retry, the default port); one ctest per test_ function, real relay and clients."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import check, check_eq  # noqa: E402
from test_client import Scene, texts  # noqa: E402


def who(client, count):
    client.send("/who")
    return client.wait("members", count=count)


def wait_event(client, pred, what, timeout=ct.EVENT_TIMEOUT):
    """Wait until an event of client's satisfies pred; return it."""
    deadline = time.monotonic() + timeout * ct.SCALE
    with client.cond:
        while True:
            for e in client.events:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            check(left > 0 and client.proc.poll() is None,
                  "%s: no event: %s; events %r" % (client.name, what, client.events))
            client.cond.wait(min(left, 0.5))


def test_untrusted_reader():
    """bob does not trust dave, alice does and hands him the key: bob is told dave is in the room,
    /who lists him, --strict refuses to send while he is there."""
    with Scene("alice", "bob", "dave") as s:
        fpr = s.keys.fprs
        tr_a = s.keys.trusted("ta", "alice", "bob", "dave")
        tr_b = s.keys.trusted("tb", "alice", "bob")
        tr_d = s.keys.trusted("td", "alice", "bob", "dave")
        a = s.client("alice", tr_a)
        a.ready()
        b = s.client("bob", tr_b, extra=["--strict"])
        b.ready()
        d = s.client("dave", tr_d)
        d.ready()
        ev = b.wait("untrusted-joined", fingerprint=fpr["dave"])
        check_eq(ev.get("sessions"), 1, "untrusted-joined.sessions")
        check_eq(a.all("untrusted-joined"), [], "alice trusts dave: no warning for her")
        a.wait("joined", name="dave")

        m = who(b, 1)
        check_eq([u["fingerprint"] for u in m.get("untrusted", [])], [fpr["dave"]],
                 "/who lists dave as untrusted")
        check_eq(m["untrusted"][0].get("sessions"), 1, "/who: dave's sessions")
        check("dave" not in [x["name"] for x in m["members"]], "dave is not a member for bob")

        # --strict: nothing leaves while dave is present, with one notice why.
        b.send("strictly secret")
        n = b.wait("notice", reason="strict")
        check(fpr["dave"] in n["detail"], "the strict notice names the reader: %r" % n)
        b.send("/strict off")
        b.wait("notice", reason="strict-off")
        b.send("loose line")
        a.wait("message", name="bob", text="loose line")
        b.send("/strict on")
        b.wait("notice", reason="strict-on")

        # dave's frames are still refused one by one (wire-v1: one rejected per frame).
        before = len(b.all("rejected", reason="untrusted-key"))
        d.send("d1", "d2", "d3")
        a.wait("message", name="dave", text="d3")
        b.wait("rejected", reason="untrusted-key", count=before + 3)

        check_eq(d.quit(), 0, "dave's exit status")
        b.wait("untrusted-left", fingerprint=fpr["dave"])
        b.send("safe now")
        a.wait("message", name="bob", text="safe now")
        check_eq(texts(a, "bob"), ["loose line", "safe now"], "the strict line never left bob")
        check_eq(len(b.all("notice", reason="strict")), 1, "one notice for the refused line")
        m = who(b, 2)
        check_eq(m.get("untrusted", []), [], "dave no longer listed after he left")


def test_waiting_key():
    """victor is trusted by nobody present: alice does not trust him, so she never introduces
    herself and he has no keyholder to ask (squatter-proof joins, issue 10). Before the key
    timeout makes him first, one notice says whom his join asked (a relay member id), that
    nobody trusted answered, that he may not be in their trusted folder, and his fingerprint.
    Then he holds a key of his own: alice's lines do not reach him, nor his her."""
    with Scene("alice", "victor") as s:
        fpr = s.keys.fprs
        a = s.client("alice", s.keys.trusted("ta", "alice"))
        a.ready()
        v = s.client("victor", s.keys.trusted("tv", "alice", "victor"))
        n = v.wait("notice", reason="no-key-yet", timeout=ct.READY_TIMEOUT)  # after the RSA key
        check(re.search(r"\(asked member \d+\)", n["detail"]) is not None and
              fpr["victor"] in n["detail"] and "trusted folder" in n["detail"],
              "the notice names who was asked and our fingerprint: %r" % n)
        r = v.ready()
        with v.cond:
            kinds = [(e["event"], e.get("reason")) for e in v.events]
        check(kinds.index(("notice", "no-key-yet")) < kinds.index(("ready", None)),
              "the notice came while victor was still waiting, before he became first: %r"
              % kinds)
        check_eq(r.get("first"), True, "victor made a key of his own")
        check_eq([m["name"] for m in r.get("members", [])], ["victor"],
                 "victor's room lists only himself")
        check_eq(len(v.all("notice", reason="no-key-yet")), 1, "the notice comes once")

        # Two keys now: neither reads the other. alice drops victor's DAT as
        # untrusted; victor cannot open alice's (her key is not his).
        a.send("for alice's key only")
        wait_event(v, lambda e: e["event"] == "rejected" and e.get("reason") == "decrypt-failed"
                   and "from alice" in e.get("detail", ""),
                   "victor drops alice's line: her key is not his")
        v.send("for victor's key only")
        wait_event(a, lambda e: e["event"] == "rejected" and e.get("reason") == "untrusted-key"
                   and e.get("fingerprint") == fpr["victor"] and "DAT" in e.get("detail", ""),
                   "alice drops victor's line as untrusted")
        check_eq(v.all("message"), [], "victor read nothing of alice's")
        check_eq(a.all("message"), [], "alice read nothing of victor's")
        check_eq(a.all("joined"), [], "victor never joined alice's room")


def test_sessions():
    """The same key twice: one joined, /who counts sessions, left only when the last one leaves."""
    with Scene("alice", "bob") as s:
        fpr = s.keys.fprs
        tr = s.keys.trusted("trusted", "alice", "bob")
        a = s.client("alice", tr)
        a.ready()
        b1 = s.client("bob", tr)
        b1.ready()
        a.wait("joined", name="bob")
        b2 = s.client("bob", tr)
        b2.ready()
        ct.wait_until(lambda: [m.get("sessions") for m in who(a, len(a.all("members")) + 1)["members"]
                               if m["name"] == "bob"] == [2], 20, "/who: bob with 2 sessions")
        check_eq(len(a.all("joined", name="bob")), 1, "one joined for two sessions")
        check_eq(b1.quit(), 0, "first bob's exit status")
        ct.wait_until(lambda: [m.get("sessions") for m in who(a, len(a.all("members")) + 1)["members"]
                               if m["name"] == "bob"] == [1], 20, "/who: bob with 1 session")
        check_eq(a.all("left"), [], "no left while a session of bob remains")
        b2.send("still here")
        a.wait("message", name="bob", text="still here")
        check_eq(b2.quit(), 0, "second bob's exit status")
        ev = a.wait("left", name="bob")
        check_eq(ev["fingerprint"], fpr["bob"], "left.fingerprint")
        check_eq(len(a.all("left")), 1, "one left for the last session")


def test_me_away_quit():
    """/me, /away REASON, /away, /quit MESSAGE reach the others as their own events."""
    with Scene("alice", "bob") as s:
        fpr = s.keys.fprs
        tr = s.keys.trusted("trusted", "alice", "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr)
        b.ready()
        b.send("/me waves")
        ev = a.wait("action", name="bob")
        check_eq((ev["text"], ev["fingerprint"]), ("waves", fpr["bob"]), "action event")
        b.send("/away gone to lunch")
        ev = a.wait("away", name="bob")
        check_eq((ev["away"], ev["reason"]), (True, "gone to lunch"), "away event")
        m = who(a, 1)
        check_eq([x.get("away") for x in m["members"] if x["name"] == "bob"], ["gone to lunch"],
                 "/who shows bob away")
        b.send("/away")
        ev = a.wait("away", name="bob", away=False)
        check_eq(ev["reason"], "", "back: empty reason")
        b.send("/quit bye all")
        check_eq(b.wait_exit(), 0, "bob's exit status after /quit bye all")
        ev = a.wait("quit-message", name="bob")
        check_eq(ev["text"], "bye all", "quit message text")
        a.wait("left", name="bob")
        check_eq(texts(a, "bob"), [], "none of it arrived as a plain message")
        check_eq(a.all("rejected"), [], "nothing rejected")
        # The core's own notices carry only text (e.g. unlocked secure
        # memory, always so under ASan); none may carry a reason here.
        check_eq([n for n in a.all("notice") if "reason" in n], [], "no notice at alice")


def test_retry():
    """No relay at start: batch exits 1, unless --retry, which waits for the relay to come up."""
    port = ct.free_port()
    keys = ct.Keys()
    try:
        keys.make("alice")
        tr = keys.trusted("trusted", "alice")
        c = ct.Client(keys, "alice", tr, port)
        check_eq(c.wait_exit(), 1, "exit status without --retry")
        check_eq(c.all("error")[0]["reason"], "relay-unreachable", "error reason")
        c = ct.Client(keys, "alice", tr, port, extra=["--retry"])
        try:
            c.wait("disconnected")
            check(c.proc.poll() is None, "--retry: still running after a failed attempt")
            with ct.Relay(port=port):
                c.ready(timeout=ct.READY_TIMEOUT)
                check_eq(c.quit(), 0, "exit status after /quit")
        finally:
            c.kill()
    finally:
        keys.cleanup()


def test_default_port():
    """HOST without a port means 7700; usage errors exit 2 with nothing on stdout."""
    keys = ct.Keys()
    try:
        keys.make("alice")
        tr = keys.trusted("trusted", "alice")
        for host, want in (("127.0.0.1", "127.0.0.1:7700"), ("[::1]", "[::1]:7700"),
                           ("localhost", "localhost:7700")):
            cmd = ct.CLIENT_WRAPPER + [ct.CLIENT_BIN, "--batch", "--identity", keys.path("alice"),
                                       "--trusted", tr, host]
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            try:
                first = p.stdout.readline().decode()
            finally:
                p.kill()
                p.communicate()
            check(want in first, "%s: the first event names %s: %r" % (host, want, first))
        for bad in (["--room", ""], ["--room", "x" * 65], ["127.0.0.1:99999"], ["127.0.0.1:"]):
            r = subprocess.run(ct.CLIENT_WRAPPER + [ct.CLIENT_BIN, "--batch", "--identity",
                               keys.path("alice"), "--trusted", tr] + bad,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30 * ct.SCALE)
            check_eq(r.returncode, 2, "exit status of %r" % bad)
            check_eq(r.stdout, b"", "stdout of %r" % bad)
            check(r.stderr.startswith(b"sotto: "), "one message on stderr for %r: %r" % (bad, r.stderr))
    finally:
        keys.cleanup()


TESTS = {n[5:]: f for n, f in globals().items() if n.startswith("test_") and callable(f)}

if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_client.py: end-to-end tests of `sotto --batch` against the real sotto-relay (one ctest per test_ function)."""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Client, Keys, Proxy, Relay, check, check_eq  # noqa: E402


class Scene:
    """Keys, one relay and the clients of one test; everything stopped at the end."""

    def __init__(self, *names, relay_port=None, cluster=None, relay_args=()):
        self.keys = Keys()
        self.keys.make(*names)
        self.relay = (ct.ClusterRelay(n=cluster, args=relay_args) if cluster else
                      Relay(port=relay_port, args=relay_args)).start()
        self.clients = []
        self.proxies = []

    def client(self, name, trusted, room="lobby", port=None, **kw):
        c = Client(self.keys, name, trusted, port or self.relay.port, room=room, **kw)
        self.clients.append(c)
        return c

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        try:
            if etype is None:
                for c in self.clients:
                    self.clean_exit(c)
        finally:
            for c in self.clients:
                c.kill()
            for p in self.proxies:
                p.close()
            self.relay.stop()
            self.keys.cleanup()

    @staticmethod
    def clean_exit(c):
        """Stop a client still running with SIGTERM (exit 143); any client
        must have printed only JSON and no sanitizer or valgrind report."""
        if c.proc.poll() is None:
            c.proc.send_signal(signal.SIGCONT)
            c.proc.send_signal(signal.SIGTERM)
            check_eq(c.wait_exit(), 128 + signal.SIGTERM, "%s's exit status on SIGTERM" % c.name)
        c.no_bad_output()
        err = c.stderr()
        for bad in ("Sanitizer", "runtime error:", "definitely lost", "Invalid read",
                    "Invalid write", "uninitialised"):
            check(bad not in err, "%s's stderr reports %r: %s" % (c.name, bad, err[-2000:]))


def members_of(ev):
    return sorted((m["name"], m["fingerprint"]) for m in ev["members"])


def texts(client, name=None):
    return [e["text"] for e in client.all("message") if name is None or e["name"] == name]


# --- tests -------------------------------------------------------------------

def test_three_clients():
    """Names, fingerprints, first/epoch, /who, joined and left among three members."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        ra = a.ready()
        check_eq(ra["first"], True, "first joiner's ready.first")
        check_eq(ra["room"], "lobby", "ready.room")
        check_eq(a.wait("connected")["room"], "lobby", "connected.room")
        b = s.client("bob", tr)
        c = s.client("carol", tr)
        rb, rc = b.ready(), c.ready()
        check_eq((rb["first"], rc["first"]), (False, False), "later joiners' ready.first")
        check_eq({ra["epoch"], rb["epoch"], rc["epoch"]}, {ra["epoch"]}, "one epoch")
        check(ra["epoch"] >= 1, "epoch >= 1")
        fpr = s.keys.fprs
        for who in (b, c):
            ev = a.wait("joined", name=who.name)
            check_eq(ev["fingerprint"], fpr[who.name], "joined fingerprint of " + who.name)

        t0 = time.time()
        a.send("hello from alice")
        b.send("hello from bob")
        c.send("hello from carol")
        for rx in (a, b, c):
            for tx in (a, b, c):
                if rx is tx:
                    continue
                ev = rx.wait("message", name=tx.name, text="hello from " + tx.name)
                check_eq(ev["fingerprint"], fpr[tx.name], "%s's fingerprint at %s" % (tx.name, rx.name))
                check(abs(ev["ts"] - t0) <= 60, "message ts is the sending time: %r" % ev)
            check_eq(len(rx.all("message")), 2, "%s got exactly two messages" % rx.name)

        want = sorted((n, fpr[n]) for n in names)
        for cl in (a, b, c):
            cl.send("/who")
            check_eq(members_of(cl.wait("members")), want, "/who at " + cl.name)

        # The commands the UI has, in any case (one table for both; the
        # UI's window commands /join, /window, /clear are not a bot's).
        a.send("/FINGERPRINT", "/Help")
        check_eq(a.wait("fingerprint")["fingerprint"], fpr["alice"], "/FINGERPRINT at alice")
        check_eq([x["command"] for x in a.wait("help")["commands"]],
                 ["/who", "/fingerprint", "/me", "/msg", "/away", "/strict", "/reload", "/history",
                  "/search", "/forget", "/help", "/quit", "/send", "/accept", "/cancel"],
                 "/Help lists every command")
        c.send("/wHo")
        check_eq(members_of(c.wait("members", count=2)), want, "/wHo at carol")
        # Notices about our own input carry a reason; the core's own
        # (text: e.g. unlocked secure memory, always so under ASan) are not
        # about commands.
        check_eq([n for n in a.all("notice") + c.all("notice") if "text" not in n], [],
                 "no command was unknown")

        check_eq(c.quit(), 0, "carol's exit status after /quit")
        for cl in (a, b):
            ev = cl.wait("left", name="carol")
            check_eq(ev["fingerprint"], fpr["carol"], "left fingerprint")
            cl.send("/who")
            check_eq(members_of(cl.wait("members", count=2)),
                     sorted((n, fpr[n]) for n in ("alice", "bob")), "/who after carol left")
        for cl in (a, b, c):
            check_eq(cl.all("rejected"), [], "no frame rejected at " + cl.name)


def test_untrusted():
    """An untrusted member never gets the key; a member only some trust has its frames refused by the others."""
    with Scene("alice", "bob", "ursula", "victor") as s:
        tr_a = s.keys.trusted("ta", "alice", "bob", "ursula")
        tr_b = s.keys.trusted("tb", "alice", "bob")
        tr_u = s.keys.trusted("tu", "alice", "bob", "ursula")
        tr_all = s.keys.trusted("tall", "alice", "bob", "ursula", "victor")
        a = s.client("alice", tr_a)
        a.ready()
        b = s.client("bob", tr_b)
        b.ready()
        # ursula asks the longest-present member (alice), who trusts her.
        u = s.client("ursula", tr_u)
        ru = u.ready()
        check_eq(ru["first"], False, "ursula got the room's key")
        a.wait("joined", name="ursula")
        b.wait("rejected", reason="untrusted-key")
        u.send("from ursula")
        a.wait("message", name="ursula", text="from ursula")
        b.wait("rejected", reason="untrusted-key", count=2)
        # victor: trusted by nobody in the room.
        v = s.client("victor", tr_all)
        v.send("from victor")
        a.wait("rejected", reason="untrusted-key")
        b.wait("rejected", reason="untrusted-key", count=3)
        u.wait("rejected", reason="untrusted-key")
        # Nobody proves themselves to victor (no one answers an untrusted
        # join), so after the key timeout victor holds a room of its own:
        # the members it trusts are, to it, like silent squatters
        # (docs/protocol.md "v2: joining"). It never gets the room's key.
        rv = v.ready()
        check_eq(rv["first"], True, "victor made a key of its own")
        check_eq([n for n, _ in members_of(rv)], ["victor"], "victor sees nobody")
        a.send("after victor")
        b.wait("message", name="alice", text="after victor")
        v.wait("rejected", reason="decrypt-failed")
        check_eq(texts(v), [], "victor reads nothing of the room")
        check_eq(texts(a, "victor") + texts(b, "victor") + texts(u, "victor"), [],
                 "nobody shows victor's line")
        check_eq(texts(b, "ursula"), [], "bob never shows ursula's message")
        for cl in (a, b):
            cl.send("/who")
            listed = [n for n, _ in members_of(cl.wait("members"))]
            check("victor" not in listed, "victor not listed at %s: %r" % (cl.name, listed))


def test_two_rooms():
    """Two rooms on one relay are separate."""
    names = ("r1", "r2", "b1", "b2")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        r1 = s.client("r1", tr, room="red")
        b1 = s.client("b1", tr, room="blue")
        check_eq((r1.ready()["first"], b1.ready()["first"]), (True, True), "each room has a first")
        r2 = s.client("r2", tr, room="red")
        b2 = s.client("b2", tr, room="blue")
        check_eq(r2.ready()["room"], "red", "r2's room")
        check_eq(b2.ready()["room"], "blue", "b2's room")
        r1.send("red secret")
        b1.send("blue secret")
        r2.wait("message", text="red secret")
        b2.wait("message", text="blue secret")
        r2.send("red 2")
        b2.send("blue 2")
        r1.wait("message", text="red 2")
        b1.wait("message", text="blue 2")
        check_eq(texts(r1) + texts(r2), ["red 2", "red secret"], "red sees only red")
        check_eq(texts(b1) + texts(b2), ["blue 2", "blue secret"], "blue sees only blue")
        check_eq([e["name"] for e in r1.all("joined")], ["r2"], "red joins")
        check_eq([e["name"] for e in b1.all("joined")], ["b2"], "blue joins")


def test_newcomer_sees_no_history():
    """Old DATs replayed to a newcomer (before and after its key) are stale; a replay to an old member is a replay."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        a.ready()
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        a.send("old 1", "old 2")
        b.wait("message", text="old 2")
        old = [f[3] for f in pb.recorded(3)]
        check_eq(len(old), 2, "two DATs recorded on their way to bob")

        # A hostile relay replays them to bob: counters already passed.
        pb.inject(old)
        b.wait("rejected", reason="replay", count=2)

        # carol joins through a proxy that replays them right after the
        # roster (before her key) and again once she is ready.
        pc = Proxy(s.relay.port)
        s.proxies.append(pc)
        pc.inject_when(lambda fr: fr[0] == 1 and fr[1] == 0, old)
        c = s.client("carol", tr, port=pc.port)
        c.ready()
        c.wait("rejected", reason="stale", count=2)
        pc.inject(old)
        c.wait("rejected", reason="stale", count=4)
        a.send("new 1")
        c.wait("message", text="new 1")
        check_eq(texts(c), ["new 1"], "carol shows only what was sent after she joined")
        check_eq(len(c.all("rejected")), 4, "one rejected per replayed frame")
        b.wait("message", text="new 1")
        check_eq(texts(b), ["old 1", "old 2", "new 1"], "bob's messages, each once")


def test_relay_restart():
    """Lines typed while the relay is down arrive after it is back; the room keeps its key."""
    port = ct.free_port()
    with Scene("alice", "bob", relay_port=port) as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        a = s.client("alice", tr)
        ra = a.ready()
        b = s.client("bob", tr)
        b.ready()
        a.send("before")
        b.wait("message", text="before")

        s.relay.stop()
        a.wait("disconnected")
        b.wait("disconnected")
        a.send("during 1", "during 2", "/who")
        a.wait("members")             # the lines are in alice's outbox now
        # bob must be back in the room before alice sends: hold alice.
        a.proc.send_signal(signal.SIGSTOP)
        try:
            s.relay.start()
            rb2 = b.wait("ready", count=2, timeout=ct.READY_TIMEOUT)
        finally:
            a.proc.send_signal(signal.SIGCONT)
        check_eq(rb2["epoch"], ra["epoch"], "the key's epoch survives the restart")
        check_eq(rb2["first"], False, "bob kept the room's key, did not make one")
        ra2 = a.wait("ready", count=2, timeout=ct.READY_TIMEOUT)
        check_eq(ra2["epoch"], ra["epoch"], "alice's epoch after the restart")
        b.wait("message", text="during 2")
        check_eq(texts(b), ["before", "during 1", "during 2"], "bob got every line, in order")
        b.send("after")
        a.wait("message", text="after")
        check_eq(len(a.all("connected")), 2, "alice connected twice")


def test_ten_at_once():
    """Ten clients started together on a machine whose every core is busy
    become ready with one key: nobody gives up on the first member and
    makes a key of its own (a keyholder's event loop stalled behind its own
    background RSA worker once did exactly that)."""
    names = tuple("m%d" % i for i in range(10))
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        with ct.BusyCores(limit=ct.READY_TIMEOUT * 2 * ct.SCALE):
            cs = [s.client(n, tr) for n in names]
            readies = [c.ready(timeout=ct.READY_TIMEOUT * 2) for c in cs]
        check_eq(sum(1 for r in readies if r["first"]), 1, "exactly one first")
        check_eq(len({r["epoch"] for r in readies}), 1, "one epoch")
        # One key, not just one epoch number: everyone reads everyone.
        cs[0].send("to all from m0")
        cs[9].send("to all from m9")
        for c in cs:
            if c is not cs[0]:
                c.wait("message", text="to all from m0")
            if c is not cs[9]:
                c.wait("message", text="to all from m9")
        for c in cs:
            check_eq(c.all("rejected"), [], "no frame rejected at " + c.name)


def test_lines_before_ready():
    """Lines typed before the key are sent once ready, in order; EOF sends them all, then exits 0."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr)
        lines = ["early %d" % i for i in range(5)]
        b.send(*lines)
        b.send("/bogus", "x" * 20000, "/who")
        b.close_stdin()
        check_eq(b.wait_exit(timeout=ct.READY_TIMEOUT), 0, "bob's exit status at end of input")
        check(b.all("ready") != [], "bob became ready before leaving")
        a.wait("message", text="early 4")
        check_eq(texts(a), lines, "alice got the early lines in order")
        a.wait("left", name="bob")
        check_eq(b.all("notice", reason="unknown-command")[0]["detail"], "/bogus", "unknown command notice")
        check_eq(len(b.all("notice", reason="line-too-long")), 1, "over-long line notice")
        check_eq(len(b.all("members")), 1, "/who answered before ready")


def start_fail(s, name, trusted, port=None, extra=()):
    c = s.client(name, trusted, port=port, extra=extra)
    rc = c.wait_exit(timeout=30)
    check(rc != 0, "%s: non-zero exit, got %d" % (name, rc))
    errs = c.stderr_lines()
    check_eq(len(errs), 1, "%s: one line on stderr: %r" % (name, errs))
    evs = c.all()
    check(len(evs) >= 1 and evs[-1]["event"] == "error", "%s: an error event last: %r (stderr %r)" % (name, evs, errs))
    return errs[0]


def test_startup_errors():
    """Bad identity, missing trusted folder, unreachable relay, key readable by others: one line, non-zero exit; a bad room: usage error."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        with open(s.keys.path("bad"), "w") as f:
            f.write("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n")
        os.chmod(s.keys.path("bad"), 0o600)
        line = start_fail(s, "bad", tr)
        check(s.keys.path("bad") in line, "names the identity file: %r" % line)

        line = start_fail(s, "alice", s.keys.path("no-such-folder"))
        check("no-such-folder" in line, "names the trusted folder: %r" % line)

        dead = ct.free_port()
        line = start_fail(s, "alice", tr, port=dead)
        check(str(dead) in line, "names the relay address: %r" % line)
        dead2 = ct.free_port()
        line = start_fail(s, "alice", tr, port="127.0.0.1:%d,127.0.0.1:%d" % (dead, dead2))
        check(str(dead) in line and str(dead2) in line, "names every address: %r" % line)
        # A malformed list is a usage error: exit 2, one line, no event.
        c = s.client("alice", tr, port="127.0.0.1:%d,," % dead)
        check_eq(c.wait_exit(timeout=30), 2, "malformed list: exit status")
        errs = c.stderr_lines()
        check(len(errs) == 1 and "HOST:PORT" in errs[0],
              "says what a list looks like: %r" % errs)
        check_eq(c.all(), [], "malformed list: events")

        os.chmod(s.keys.path("bob"), 0o644)
        line = start_fail(s, "bob", tr)
        check(s.keys.path("bob") in line and "644" in line, "says the mode is wrong: %r" % line)

        # A bad room is a usage error: exit 2 before anything starts, one
        # line on stderr, no event (docs/batch.md "Exit status").
        c = s.client("alice", tr, extra=("--room", ""))
        check_eq(c.wait_exit(timeout=30), 2, "exit status for --room ''")
        check_eq(c.all(), [], "no event for a usage error")
        errs = c.stderr_lines()
        check(len(errs) == 1 and "room" in errs[0], "names the bad room: %r" % errs)


def test_failover():
    """Several relay addresses (the relays of one cluster): a dead first
    address is skipped at start; when the relay in use is killed, the
    client fails over to the next address in order and rejoins; members on
    the surviving relays lose no line meanwhile."""
    # A join timeout longer than any RSA-4096 generation on a loaded
    # machine: only the kill may move alice.
    with Scene("alice", "bob", "carol", cluster=3,
               relay_args=("--join-timeout", str(int(600 * ct.SCALE)))) as s:
        n1, n2, n3 = s.relay.relays
        tr = s.keys.trusted("trusted", "alice", "bob", "carol")
        dead = ct.free_port()
        at = "127.0.0.1:%d"
        a = s.client("alice", tr, port=",".join([at % dead, at % n1.port, at % n2.port]))
        a.ready()
        check_eq(a.all("connected")[0]["relay"], at % n1.port, "skipped the dead address")
        b = s.client("bob", tr, port=at % n2.port)
        b.ready()
        c = s.client("carol", tr, port=at % n3.port)
        c.ready()
        for m in (b, c):
            a.wait("joined", name=m.name)
        conns, readies = len(a.all("connected")), len(a.all("ready"))
        drops = len(a.all("disconnected"))
        check_eq(a.all("connected")[-1]["relay"], at % n1.port, "alice is on n1")
        n1.proc.kill()                  # alice's relay, kill -9
        a.wait("disconnected", count=drops + 1)
        lines = ["while alice moves %d" % i for i in range(5)]
        b.send(*lines[:3])
        c.send(*lines[3:])
        for i, line in enumerate(lines):
            (c if i < 3 else b).wait("message", text=line)
        # The client dials once its next session key is made (the relay's
        # join timeout counts from accept), so this includes key making.
        ev = a.wait("connected", count=conns + 1, timeout=ct.READY_TIMEOUT)
        check_eq(ev["relay"], at % n2.port, "failed over to the next address")
        a.wait("ready", count=readies + 1, timeout=ct.READY_TIMEOUT)
        a.send("back through n2")
        for m in (b, c):
            m.wait("message", text="back through n2", name="alice")
        b.send("welcome back")
        a.wait("message", text="welcome back", name="bob")
        for m in (b, c):
            got = [e["text"] for e in m.all("message") if e["text"] in lines]
            check_eq(got, [x for x in lines if x not in (lines[:3] if m is b else lines[3:])],
                     "%s got every line of the other survivor, once, in order" % m.name)


def test_reload():
    """/reload and SIGHUP re-read the trusted folder: a bad file is skipped with one notice naming it and the rest stays trusted; a removed member is gone, refused and not served."""
    with Scene("alice", "bob") as s:
        tr_a = s.keys.trusted("ta", "alice", "bob")
        tr_b = s.keys.trusted("tb", "alice", "bob")
        a = s.client("alice", tr_a)
        a.ready()
        b = s.client("bob", tr_b)
        b.ready()
        a.wait("joined", name="bob")
        with open(os.path.join(tr_a, "broken.pub"), "w") as f:
            f.write("ssh-ed25519 not-base64!\n")
        a.send("/reload")
        ev = a.wait("notice", reason="trust-skipped")
        check("broken.pub" in ev["detail"] and "base64" in ev["detail"],
              "names the bad file and why: %r" % ev)
        check_eq(len([n for n in a.all("notice") if "text" not in n]), 1,
                 "one notice for the one bad file (the core's own text notices aside)")
        a.send("/who")
        check("bob" in [n for n, _ in members_of(a.wait("members"))], "old set still in force")
        b.send("still trusted")
        a.wait("message", text="still trusted")

        os.unlink(os.path.join(tr_a, "broken.pub"))
        os.unlink(os.path.join(tr_a, "bob.pub"))
        a.proc.send_signal(signal.SIGHUP)
        a.wait("left", name="bob")
        a.send("/who")
        check_eq([n for n, _ in members_of(a.wait("members", count=2))], ["alice"], "/who after reload")
        # bob may have held the key: alice makes a new one for whoever
        # she still trusts (nobody here).
        a.wait("rekeyed", reason="removed")
        b.send("no longer trusted")
        a.wait("rejected", reason="untrusted-key")
        check_eq(texts(a), ["still trusted"], "bob's later message not shown")

        # A new session of bob is not served the key by alice: nobody
        # answers it, so after the key timeout it holds a room of its own.
        check_eq(b.quit(), 0, "bob quits")
        b2 = s.client("bob", tr_b)
        rb2 = b2.ready()
        check_eq(rb2["first"], True, "bob made his own key, not alice's")
        a.send("not for bob")
        b2.wait("rejected", reason="decrypt-failed")
        check_eq(texts(b2), [], "bob reads nothing of alice's")
        check_eq(len(a.all("joined")), 1, "bob not shown again")


def test_conflict():
    """A joiner the relay tells it is alone makes its own key; the two keys meet and the room converges on one."""
    names = ("alice", "bob", "carol")
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        a = s.client("alice", tr)
        ra = a.ready()
        b = s.client("bob", tr)
        b.ready()
        p = Proxy(s.relay.port)
        s.proxies.append(p)

        def lie(fr):
            ftype, frm, to, raw = fr
            if ftype != 1 or frm != 0:
                return None
            body = raw[14:]
            prefix = body[:1 + body[0]]
            return ct.frame(1, to, prefix + struct.pack(">I", 0))

        p.rewrite = lie
        c = s.client("carol", tr, port=p.port)
        rc = c.ready()
        check_eq(rc["first"], True, "carol believed she was alone")
        check_eq(rc["epoch"], ra["epoch"], "both keys are epoch 1")
        # One side adopts the other's key: carol, or alice and bob.
        deadline = time.monotonic() + ct.EVENT_TIMEOUT * ct.SCALE
        while not (len(c.all("ready")) >= 2 or
                   (len(a.all("ready")) >= 2 and len(b.all("ready")) >= 2)):
            check(time.monotonic() < deadline, "no side adopted the other's key: %r %r %r" % (
                a.events, b.events, c.events))
            time.sleep(0.05)
        for cl in (a, b, c):
            cl.send("converged from " + cl.name)
        for rx in (a, b, c):
            for tx in (a, b, c):
                if rx is not tx:
                    rx.wait("message", text="converged from " + tx.name)
        check(len(c.all("ready")) == 1 or len(a.all("ready")) == 1, "only one side switched")


TESTS = {n[5:]: f for n, f in globals().items() if n.startswith("test_") and callable(f)}

if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

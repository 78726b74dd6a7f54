#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_outage.py: no typed line is lost across a relay restart, whatever the order in which the members come back.

Each member reaches the relay through its own gate (a TCP proxy that
accepts at once but connects upstream only when the test opens it), so
the restart and every member's return are explicit steps, never a race:

  1. all members ready in one room;
  2. gates closed, the relay stopped: every member sees `disconnected`;
  3. each member types one line while disconnected;
  4. the relay started again; the gates opened one at a time in the order
     under test, each member's return completed (`ready`) before the next
     gate opens;
  5. every member must show every other member's outage line exactly once.

One ctest per order (2 and 3 members, every permutation), ROUNDS rounds
each (default 20, SOTTO_OUTAGE_ROUNDS to change). The `outage_agent_*`
tests repeat two orders with every member signing through one real
ssh-agent (`--identity KEY.pub`) and three lines typed per member per
outage, so held lines' DATs wait for the agent's signatures while members
come back (AGENT_ROUNDS rounds, default 5, SOTTO_OUTAGE_AGENT_ROUNDS); the
history must open through the agent too (no `history` notice). Every
variant also checks that each member's outage lines arrive in the order
they were typed.
"""
import itertools
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client"))
import clienttest as ct  # noqa: E402
from clienttest import Client, Keys, Relay, check, check_eq  # noqa: E402
from sottotest import listen_socket  # noqa: E402

ROUNDS = int(os.environ.get("SOTTO_OUTAGE_ROUNDS", "20"))
AGENT_ROUNDS = int(os.environ.get("SOTTO_OUTAGE_AGENT_ROUNDS", "5"))
# Deadlines, not delays: a passing round ends as soon as every line is in.
# Each return needs a fresh RSA-4096 session key per member, which on a
# busy 2-core machine (dozens of runnable processes) takes minutes.
READY = 5 * ct.READY_TIMEOUT
EVENT = 6 * ct.EVENT_TIMEOUT
NAMES = ["alice", "bob", "carol"]


class Gate:
    """A proxy for one client: connections are accepted at once and held
    (client bytes buffered) until the gate is open; `drop` ends them all."""

    def __init__(self, relay_port):
        self.relay_port = relay_port
        self.lsock, self.port = listen_socket(8)
        self.cond = threading.Condition()
        self.is_open = True
        self.conns = []
        self.held_frame = False   # a held connection sent a whole frame
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.cond:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        held = []
        # Buffer what the client sends until the gate opens (or it hangs up).
        c.settimeout(0.05)
        while True:
            with self.cond:
                if self.is_open or self.stopped:
                    break
            try:
                data = c.recv(65536)
                if not data:
                    self._close(c)
                    return
                held.append(data)
                with self.cond:
                    self.held_frame = self.held_frame or complete_frame(b"".join(held))
            except socket.timeout:
                continue
            except OSError:
                self._close(c)
                return
        c.settimeout(None)
        try:
            r = socket.create_connection(("127.0.0.1", self.relay_port))
        except OSError:
            self._close(c)
            return
        with self.cond:
            self.conns.append(r)
        try:
            for data in held:
                r.sendall(data)
        except OSError:
            self._close(c, r)
            return
        threading.Thread(target=self._pipe, args=(c, r), daemon=True).start()
        self._pipe(r, c)

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._close(src, dst)

    def _close(self, *socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
            with self.cond:
                if s in self.conns:
                    self.conns.remove(s)

    def open(self):
        with self.cond:
            self.is_open = True
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.is_open = False
            self.held_frame = False

    def has_frame(self):
        """A held connection has sent one whole frame (its join INI): the
        client made its session key, so opening the gate lets it join at
        once instead of racing the relay's join timeout."""
        with self.cond:
            return self.held_frame

    def stop(self):
        self.stopped = True
        self.lsock.close()
        with self.cond:
            conns = list(self.conns)
        self._close(*conns)


def complete_frame(data):
    if len(data) < 4:
        return False
    return len(data) >= 4 + int.from_bytes(data[:4], "big")


def knows(client, name):
    """Whether client has seen name's INI: in its `ready` members, or a
    `joined` since."""
    for e in client.all():
        if e["event"] == "joined" and e.get("name") == name:
            return True
        if e["event"] == "ready" and any(m.get("name") == name
                                         for m in e.get("members", [])):
            return True
    return False


def outage_lines(client):
    return [e["text"] for e in client.all("message") if e["text"].startswith("r")]


def start(keys, tr, gate, name, hold=3600, agent=None):
    # The bound on holding is not what these tests are about: an hour.
    if agent is None:
        return Client(keys, name, tr, gate.port, extra=["--hold-lines", str(hold)])
    return Client(keys, name, tr, gate.port,
                  argv=["--identity", keys.path(name + ".pub"), "--trusted", tr,
                        "--room", "lobby", "--clock-skew", "0",
                        "--hold-lines", str(hold)],
                  env=dict(os.environ, SSH_AUTH_SOCK=agent))


def start_agent(keys, names):
    """One real ssh-agent holding every member's key; (process, socket)."""
    sock = keys.path("agent.sock")
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ct.wait_until(lambda: os.path.exists(sock), 10, "ssh-agent to listen")
    env = dict(os.environ, SSH_AUTH_SOCK=sock)
    for n in names:
        subprocess.run(["ssh-add", keys.path(n)], check=True, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    return proc, sock


def typed(rnd, name, k, per_round):
    return "r%d from %s" % (rnd, name) if per_round == 1 else \
        "r%d from %s #%d" % (rnd, name, k)


def run_order(order, agent=False):
    """order: indexes into NAMES, the order in which members come back.
    agent: every member signs through one ssh-agent and types three lines
    per outage."""
    names = NAMES[:len(order)]
    rounds, per_round = (AGENT_ROUNDS, 3) if agent else (ROUNDS, 1)
    keys = Keys()
    keys.make(*names)
    tr = keys.trusted("trusted", *names)
    port = ct.free_port()
    relay = Relay(port=port).start()
    gates, clients = {}, {}
    agent_proc = sock = None
    try:
        if agent:
            agent_proc, sock = start_agent(keys, names)
        for i, n in enumerate(names):
            gates[n] = Gate(port)
            clients[n] = start(keys, tr, gates[n], n, agent=sock)
            clients[n].ready(timeout=READY)
        for i, n in enumerate(names):
            for later in names[i + 1:]:
                clients[n].wait("joined", name=later, timeout=EVENT)
        # Lines are owed to the members a client knew (their INI seen)
        # when the connection ended: every member must know every other
        # before the first outage. The last to join learns the others
        # from their REPLY INIs, which with ssh-agent leave only once the
        # agent has signed them, after the `joined` seen above.
        for n in names:
            for other in names:
                if other != n:
                    ct.wait_until(lambda n=n, o=other: knows(clients[n], o), EVENT,
                                  "%s to know %s before the outage" % (n, other))
        for rnd in range(rounds):
            # Counts from this round's start: a member may have dropped and
            # come back more than once in an earlier round (a busy machine,
            # the relay's join timeout), and a line typed before this
            # round's drop would be a line typed while connected.
            seen = {n: {k: len(clients[n].all(k)) for k in ("disconnected", "ready", "members")}
                    for n in names}
            for g in gates.values():
                g.close()
            relay.stop()
            for n in names:
                clients[n].wait("disconnected", count=seen[n]["disconnected"] + 1,
                                timeout=EVENT)
            for n in names:
                for k in range(per_round):
                    clients[n].send(typed(rnd, n, k, per_round))
            # Make sure each line is queued (the client has read it) before
            # anyone returns: /who answers after the line was taken.
            for n in names:
                clients[n].send("/who")
                clients[n].wait("members", count=seen[n]["members"] + 1, timeout=EVENT)
            relay.start()
            for n in names:
                ct.wait_until(gates[n].has_frame, READY,
                              "%s's join INI at its gate (round %d)" % (n, rnd))
            for i in order:
                n = names[i]
                gates[n].open()
                clients[n].wait("ready", count=seen[n]["ready"] + 1, timeout=READY)
            for n in names:
                for other in names:
                    if other != n:
                        for k in range(per_round):
                            clients[n].wait("message",
                                            text=typed(rnd, other, k, per_round),
                                            timeout=EVENT)
            print("  round %d of %d: every outage line arrived" % (rnd + 1, rounds),
                  flush=True)
        for n in names:
            got = outage_lines(clients[n])
            want = [typed(rnd, o, k, per_round) for rnd in range(rounds)
                    for o in names if o != n for k in range(per_round)]
            check_eq(sorted(got), sorted(want), "%s's outage lines (each exactly once)" % n)
            for o in names:
                if o != n:
                    mine = [t for t in got if " from %s" % o in t]
                    check_eq(mine, [t for t in want if " from %s" % o in t],
                             "%s got %s's outage lines in the order typed" % (n, o))
            check_eq(clients[n].all("rejected"), [], "%s rejected nothing" % n)
            if agent:
                # Sanitizer builds cannot lock memory (the core says so once);
                # any other notice is about the history or the agent.
                notices = [e for e in clients[n].all("notice")
                           if not e.get("text", "").startswith(
                               "secure memory could not be locked")]
                check_eq(notices, [],
                         "%s: no notice (history opened through the agent, "
                         "the agent never failed)" % n)
            clients[n].no_bad_output()
    except ct.TestFailure:
        for n, c in clients.items():
            print("  %s's events: %r" % (n, [{k: v for k, v in e.items()
                                              if k not in ("fingerprint", "members")}
                                             for e in c.all()]), flush=True)
        print("  relay log:\n" + relay.log()[-3000:], flush=True)
        raise
    finally:
        for c in clients.values():
            c.kill()
        for g in gates.values():
            g.stop()
        relay.stop()
        if agent_proc is not None:
            agent_proc.kill()
            agent_proc.wait()
        keys.cleanup()


def run_bound(partial):
    """A member from before never comes back. Held lines wait HOLD s once
    we are back, then: reached nobody -> sent to the room as it is now
    (a newcomer gets it) and the user is told; reached some -> the user is
    told who missed them."""
    hold = 4
    names = ["alice", "bob", "carol"] if partial else ["alice", "bob"]
    keys = Keys()
    keys.make(*(names + ["dave"]))
    tr = keys.trusted("trusted", *(names + ["dave"]))
    port = ct.free_port()
    relay = Relay(port=port).start()
    gates, clients = {}, {}
    try:
        for n in names + ["dave"]:
            gates[n] = Gate(port)
        for n in names:
            clients[n] = start(keys, tr, gates[n], n, hold=hold if n == "alice" else 3600)
            clients[n].ready()
        clients["alice"].wait("joined", name=names[-1])
        gone = names[-1]                  # bob (2) or carol (3) never returns
        for g in gates.values():
            g.close()
        relay.stop()
        for n in names:
            clients[n].wait("disconnected")
        clients[gone].kill()
        clients["alice"].send("held line")
        clients["alice"].send("/who")
        clients["alice"].wait("members")
        relay.start()
        for n in names:
            if n != gone:
                ct.wait_until(gates[n].has_frame, READY, "%s's join INI" % n)
        if partial:
            gates["bob"].open()
            clients["bob"].wait("ready", count=2, timeout=READY)
        else:
            gates["dave"].open()
            clients["dave"] = start(keys, tr, gates["dave"], "dave")
            clients["dave"].ready()
        gates["alice"].open()
        clients["alice"].wait("ready", count=2, timeout=READY)
        note = clients["alice"].wait("notice", reason="held-lines",
                                     timeout=EVENT + hold)
        if partial:
            clients["bob"].wait("message", text="held line")
            check("did not reach %s" % gone in note["detail"],
                  "alice is told who missed the line: %r" % note["detail"])
        else:
            clients["dave"].wait("message", text="held line")
            check("nobody who was there before" in note["detail"],
                  "alice is told nobody from before came back: %r" % note["detail"])
        check_eq(len(clients["alice"].all("notice", reason="held-lines")), 1, "one notice")
    finally:
        for c in clients.values():
            c.kill()
        for g in gates.values():
            g.stop()
        relay.stop()
        keys.cleanup()


def make_tests():
    tests = {"outage_bound_room": lambda: run_bound(False),
             "outage_bound_partial": lambda: run_bound(True)}
    for n in (2, 3):
        for perm in itertools.permutations(range(n)):
            label = "".join(NAMES[i][0] for i in perm)
            tests["outage_%d_%s" % (n, label)] = (lambda p=perm: run_order(p))
    tests["outage_agent_2_ab"] = lambda: run_order((0, 1), agent=True)
    tests["outage_agent_3_cab"] = lambda: run_order((2, 0, 1), agent=True)
    return tests


if __name__ == "__main__":
    sys.exit(ct.run(make_tests(), sys.argv))

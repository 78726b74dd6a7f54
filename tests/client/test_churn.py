#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_churn.py: 20 members joining and leaving a room at random (seeded) while it talks: the members left at the end are on one epoch, no line is lost between members present from its sending to the end, none is shown twice (issue 10; docs/protocol.md "v2: convergence and recovery").

usage: test_churn.py --client BIN --relay BIN --keygen BIN [--seconds S] [--seed N] churn

The room first fills to its 20 members, then churns. Bounded in time
(--seconds of churn, default 120, plus scaled deadlines to fill and
settle) and in count (at most MAX_SPAWNS client processes, MAX_ACTIONS
actions). Every client makes an RSA-4096 session key when it starts and
another once ready: at most MAX_STARTING are starting at once, so a loaded
2-core machine (or ASan) slows the churn down instead of starving the
members already in the room. The seed is printed; --seed N replays the
same sequence of choices (timing still differs from run to run).
"""
import collections
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import check, check_eq  # noqa: E402
from test_client import Scene  # noqa: E402

N_IDENTITIES = 20
MIN_PRESENT = 3        # ready members never taken below this by a departure
MAX_STARTING = 3       # clients making their RSA key at once
FILL_STARTING = 4      # the same while the room fills
MAX_SPAWNS = 48        # client processes over the whole run
MAX_ACTIONS = 2000
SECONDS = 120.0
# A line's lifetime: from its sending until every member owed it has it.
# Owed: members ready before it was sent, when neither they nor its sender
# left within LIFETIME s (scaled) of its sending. The bound covers a
# rotation's held lines with two fallback ranks gone (0.25 + 2 x 3 s) and
# an RSA unwrap on a loaded machine.
LIFETIME = 15.0
SEED = None


class Member:
    """One client process of an identity and what the test did with it."""

    def __init__(self, client):
        self.c = client
        self.name = client.name
        self.gone = None       # None, "quit" or "killed"
        self.gone_at = None    # time.monotonic() of the departure

    def ready_at(self):
        """Arrival time of its first ready event, or None."""
        with self.c.cond:
            for ev, t in zip(self.c.events, self.c.times):
                if ev["event"] == "ready":
                    return t
        return None

    def epoch_now(self):
        evs = [e for e in self.c.all() if e["event"] in ("ready", "rekeyed")]
        return evs[-1]["epoch"] if evs else None

    def failed(self):
        return self.gone is None and self.c.proc.poll() is not None


def test_churn():
    seed = SEED if SEED is not None else random.SystemRandom().randrange(1 << 32)
    print("churn seed %d (replay: --seed %d)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    names = tuple("m%02d" % i for i in range(N_IDENTITIES))
    with Scene(*names) as s:
        tr = s.keys.trusted("trusted", *names)
        members = []           # every process, in spawn order
        sent = []              # (text, sender Member, time sent)
        departures = 0
        actions = collections.Counter()

        def live():
            return [m for m in members if m.gone is None]

        def spawn(name):
            m = Member(s.client(name, tr))
            members.append(m)
            actions["join"] += 1
            return m

        def state():
            for m in live():
                check(not m.failed(), "%s exited on its own (%s): %r; stderr %s" % (
                    m.name, m.c.proc.returncode, m.c.events[-5:], m.c.stderr()[-2000:]))
            ready = [m for m in live() if m.ready_at() is not None]
            starting = [m for m in live() if m.ready_at() is None]
            return ready, starting

        # The room fills to 20 (FILL_STARTING making keys at once), then
        # the churn begins: 20 members are there to leave.
        t_fill0 = time.monotonic()
        spawn(names[0]).c.ready()
        for i in range(1, N_IDENTITIES, FILL_STARTING):
            batch = [spawn(x) for x in names[i:i + FILL_STARTING]]
            for m in batch:
                m.c.ready()
        t_filled = time.monotonic()
        t_end = time.monotonic() + SECONDS
        n = peak = 0
        while time.monotonic() < t_end and n < MAX_ACTIONS:
            n += 1
            # The workload's pace (random gaps between actions), not a wait
            # for a condition: each action below checks its own state.
            time.sleep(rng.uniform(0.05, 0.6))
            ready, starting = state()
            peak = max(peak, len(ready))
            present = {m.name for m in live()}
            absent = [x for x in names if x not in present]
            roll = rng.random()
            # Joins are slow (RSA-4096): tried more often than departures,
            # so the room fills towards 20 while members come and go.
            if (roll < 0.45 and absent and len(starting) < MAX_STARTING and
                    len(members) < MAX_SPAWNS):
                spawn(rng.choice(absent))
            elif (roll < 0.45 + 0.2 * len(ready) / N_IDENTITIES and
                  len(ready) > MIN_PRESENT):
                m = rng.choice(ready)
                if rng.random() < 0.7:
                    m.c.send("/quit")
                    m.gone = "quit"
                else:
                    m.c.proc.send_signal(signal.SIGKILL)
                    m.gone = "killed"
                m.gone_at = time.monotonic()
                departures += 1
                actions[m.gone] += 1
            elif ready:
                m = rng.choice(ready)
                text = "churn %d from %s" % (len(sent), m.name)
                m.c.send(text)
                sent.append((text, m, time.monotonic()))
                actions["line"] += 1
        print("churn: room of %d filled in %.0f s; %d actions %r in %.0f s, %d processes, "
              "at most %d members ready at once" % (
                  N_IDENTITIES, t_filled - t_fill0, n, dict(actions), SECONDS, len(members),
                  peak), flush=True)

        # Settle: every member still starting becomes ready, the quitters
        # exit cleanly, the room ends on one epoch.
        for m in live():
            m.c.ready()
        for m in members:
            if m.gone == "quit":
                check_eq(m.c.wait_exit(), 0, "%s's exit status after /quit" % m.name)
            elif m.gone == "killed":
                m.c.wait_exit()
        stay = live()
        check(len(stay) >= MIN_PRESENT, "members left: %d" % len(stay))
        ct.wait_until(lambda: len({m.epoch_now() for m in stay}) == 1, 60,
                      "one epoch among the %d members left" % len(stay),
                      dump=lambda: repr(sorted((m.name, m.epoch_now()) for m in stay)))
        for m in stay:
            m.c.send("final from " + m.name)
        for rx in stay:
            for tx in stay:
                if rx is not tx:
                    rx.c.wait("message", text="final from " + tx.name, timeout=60)
        epochs = {m.epoch_now() for m in stay}
        check_eq(len(epochs), 1, "one epoch after the last lines: %r" % sorted(
            (m.name, m.epoch_now()) for m in stay))
        epoch = epochs.pop()
        # Bound: a departure makes at most one new epoch (joins none).
        first = members[0].c.all("ready")[0]["epoch"]
        check(epoch <= first + departures, "epoch %d after %d departures from epoch %d"
              % (epoch, departures, first))

        # Nothing lost between members present through a line's lifetime
        # (LIFETIME above), departed ones included: their events stay.
        life = LIFETIME * ct.SCALE

        def stayed(m, t):
            return m.gone_at is None or m.gone_at > t + life

        def owed_pairs():
            for text, tx, t in sent:
                if not stayed(tx, t):
                    continue
                for rx in members:
                    r = rx.ready_at()
                    if rx is not tx and r is not None and r < t and stayed(rx, t):
                        yield text, rx

        def missing():
            return [(text, rx.name) for text, rx in owed_pairs()
                    if not rx.c.all("message", text=text)]

        owed = sum(1 for _ in owed_pairs())
        ct.wait_until(lambda: not missing(), 30, "every owed line delivered",
                      dump=lambda: "missing %r" % missing()[:20])
        check(owed > 0, "lines owed between members who stayed: %d" % owed)
        # Nothing shown twice, at any member, stayed or not.
        for m in members:
            texts = collections.Counter(e["text"] for e in m.c.all("message"))
            twice = [t for t, k in texts.items() if k > 1]
            check_eq(twice, [], "lines %s showed more than once" % m.name)
        print("churn: %d members left on epoch %d after %d departures; %d lines, "
              "%d deliveries owed and made" % (len(stay), epoch, departures, len(sent), owed),
              flush=True)


TESTS = {n[5:]: f for n, f in globals().items() if n.startswith("test_") and callable(f)}

if __name__ == "__main__":
    argv = list(sys.argv)
    for flag in ("--seconds", "--seed"):
        if flag in argv:
            i = argv.index(flag)
            if flag == "--seconds":
                SECONDS = float(argv[i + 1])
            else:
                SEED = int(argv[i + 1])
            del argv[i:i + 2]
    sys.exit(ct.run(TESTS, argv))

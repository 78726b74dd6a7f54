#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# rotation.py: a rotation on leave in rooms of N `sotto --batch` members: time from the relay's LEFT until every remaining member has `rekeyed`, and the CPU it costs the rotator and each receiver.
"""Rotation time and cost against room size (issue 10's figures).

  rotation.py --client SOTTO --keygen SOTTO-KEYGEN --relay SOTTO-RELAY
              [--sizes 10,50,100] [--runs N] [--json]

One room is filled with idle batch clients up to each size in turn (the
join benchmark's machinery, tests/bench/jointime.py). Each run: a leaver
joins, every member lists it (`joined`), the room's CPU time stops moving
(members pre-make their next RSA key after joining), the members' CPU
times are read from /proc/PID/schedstat, the leaver reads end of input and quits. The
relay's `leave` log line (millisecond stamps) is t0; each member's
`rekeyed` line is stamped on arrival. Figures per run: the time from t0
until the last member has `rekeyed` (the room's rotation time) and each
member's own time; once the room is quiet again, the CPU the rotator (the
longest-present member: lowest relay id) and each receiver spent. The
room is back to its size after each run.

The clients run on the same 2 cores as the relay and this script: with
100 members, 99 RSA-4096 unwraps compete for 2 cores, so the last
`rekeyed` waits for the others' CPU, not only for the network. Take the
figures from a RelWithDebInfo build on a quiet machine and note `uptime`.
"""
import argparse
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import jointime  # noqa: E402
import servers  # noqa: E402
from jointime import Bench, Fail  # noqa: E402
from sottotest import scaled  # noqa: E402

ROOM = "rot"
EVENT_TIMEOUT = scaled(120.0)
LEAVE_LINE = re.compile(r'^(\S+)Z sotto-relay\[\d+\] info: leave id=\d+ room="([^"]*)"')


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def summary(values):
    return {"p50": pct(values, 50), "p90": pct(values, 90), "min": min(values),
            "max": max(values), "mean": statistics.mean(values), "n": len(values)}


def cpu_s(pid):
    """CPU time of a process in seconds from /proc/PID/schedstat (ns,
    finer than /proc/PID/stat's 10 ms ticks); 0 once it is gone."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class RotBench(Bench):
    def wait_all(self, members, kind, timeout, skip=None, **match):
        """Arrival time of the first matching `kind` at each member after
        the skip[i] matching ones it already had."""
        deadline = time.monotonic() + timeout
        out = {}
        while len(out) < len(members):
            for i, c in enumerate(members):
                if c in out:
                    continue
                seen = 0
                with c.cond:
                    for t, ev in zip(c.times, c.events):
                        if ev.get("event") == kind and all(
                                ev.get(k) == v for k, v in match.items()):
                            seen += 1
                            if seen > (skip[i] if skip else 0):
                                out[c] = (t, ev)
                                break
                if c.proc.poll() is not None and c not in out:
                    raise Fail("a member exited before %s %r" % (kind, match))
            if len(out) < len(members):
                if time.monotonic() > deadline:
                    raise Fail("%d of %d members had %s %r after %.0f s"
                               % (len(out), len(members), kind, match, timeout))
                time.sleep(0.005)
        return out

    def leave_time(self, since):
        """Wall time of the relay's first `leave` line of ROOM at or after since."""
        with open(self.relay.log_path) as f:
            for line in f:
                m = LEAVE_LINE.match(line)
                if m is None or m.group(2) != ROOM:
                    continue
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                if t >= since - 0.002:
                    return t
        raise Fail("no leave line for %s in the relay's log" % ROOM)

    def one_rotation(self, k):
        members = self.rooms[ROOM]
        name = "leaver-%d" % k
        leaver = self.client(name, ROOM)
        leaver.wait("ready", jointime.READY_TIMEOUT)
        self.wait_all(members, "joined", EVENT_TIMEOUT, name=name)
        n_before = [len(c.all("rekeyed")) for c in members]
        self.quiet()
        cpu0 = [cpu_s(c.proc.pid) for c in members]
        load = loadavg()
        # Both clocks read together: the relay stamps wall time, events
        # arrive on the monotonic clock.
        wall0, mono0 = time.time(), time.monotonic()
        rc = leaver.quit()
        if rc != 0:
            raise Fail("leaver exited %s" % rc)
        self.wait_all(members, "rekeyed", EVENT_TIMEOUT, skip=n_before)
        t_left = self.leave_time(wall0) - wall0 + mono0
        per = []
        for c, n0 in zip(members, n_before):
            evs = c.all("rekeyed")
            if len(evs) != n0 + 1 or evs[-1]["reason"] != "left":
                raise Fail("a member's rekeyed events: %r (before: %d; last events %r)" % (evs[n0:], n0, c.events[-6:]))
            t = [t for t, ev in zip(c.times, c.events) if ev is evs[-1]][0]
            per.append(t - t_left)
        epochs = {c.all("rekeyed")[-1]["epoch"] for c in members}
        if len(epochs) != 1:
            raise Fail("members on epochs %r after the rotation" % sorted(epochs))
        self.quiet()
        cpu = [cpu_s(c.proc.pid) - c0 for c, c0 in zip(members, cpu0)]
        return {"room_s": max(per), "member_s": per, "rotator_cpu_s": cpu[0],
                "receiver_cpu_s": cpu[1:], "load": load}

    def close(self):
        """Everyone at once: members quitting one by one would make the
        others rotate for each departure (N rotations of N members)."""
        for c in self.everyone():
            if c.proc.poll() is None:
                c.proc.send_signal(signal.SIGTERM)
        Bench.close(self)

    def run(self):
        sizes = sorted(self.args.sizes)
        # Every key first: a client reads the trusted folder once, at start.
        for i in range(max(sizes)):
            self.key("%s-%d" % (ROOM, i))
        for k in range(len(sizes) * self.args.runs):
            self.key("leaver-%d" % k)
        self.relay = servers.relay(self.args.relay, self.tmp, quiet=False)
        out = {"sizes": {}}
        k = 0
        for size in sizes:
            self.grow(ROOM, size)
            runs = []
            for _ in range(self.args.runs):
                runs.append(self.one_rotation(k))
                k += 1
            member = [t for r in runs for t in r["member_s"]]
            recv = [x for r in runs for x in r["receiver_cpu_s"]]
            out["sizes"][str(size)] = {
                "room_s": summary([r["room_s"] for r in runs]),
                "member_s": summary(member),
                "rotator_cpu_s": summary([r["rotator_cpu_s"] for r in runs]),
                "receiver_cpu_s": summary(recv) if recv else None,
                "loads": [r["load"] for r in runs],
            }
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("--sizes", default="10,50,100")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        args.sizes = [int(x) for x in args.sizes.split(",")]
        if not args.sizes or min(args.sizes) < 2 or args.runs < 1:
            raise ValueError
    except ValueError:
        ap.error("--sizes: integers >= 2, comma-separated; --runs >= 1")
    b = RotBench(args)
    try:
        out = b.run()
    except (Fail, RuntimeError, subprocess.CalledProcessError) as e:
        print("rotation.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()
    if args.json:
        print(json.dumps(out))
        return 0
    for size, z in out["sizes"].items():
        r, m = z["room_s"], z["member_s"]
        print("%4s members: LEFT to all rekeyed p50 %.3f s p90 %.3f s (%.3f-%.3f, "
              "%d runs); one member p50 %.3f s p90 %.3f s" % (
                  size, r["p50"], r["p90"], r["min"], r["max"], r["n"], m["p50"], m["p90"]))
        rc = z["rotator_cpu_s"]
        line = "      CPU: rotator p50 %.3f s (%.3f-%.3f)" % (rc["p50"], rc["min"], rc["max"])
        if z["receiver_cpu_s"]:
            q = z["receiver_cpu_s"]
            line += ", receiver p50 %.3f s p90 %.3f s (max %.3f)" % (q["p50"], q["p90"], q["max"])
        print(line)
        print("      load before each run: %s" % ", ".join(
            "/".join("%.2f" % x for x in l) for l in z["loads"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# jointime.py: a newcomer's time from process start to `ready` in rooms of N `sotto --batch` members.
"""Join time against room size.

  jointime.py --client SOTTO --keygen SOTTO-KEYGEN --relay SOTTO-RELAY
              [--sizes 1,10,50,100] [--runs N] [--json]

Two rooms: a small one with one member, and a big one filled with idle
batch clients up to each size in turn (each member generates its RSA-4096
key, joins and gets `ready`). At each size, newcomers alternate between
the small room and the big one, so the one-member baseline is measured
all along and a slow stretch of the shared machine does not land on one
size only. Before each newcomer starts, every member's CPU time has
stopped moving (members pre-generate their next RSA key after joining). A
newcomer's time runs from just before its process starts to its `ready`
line; it then reads end of input and quits. The relay's `join` log line
for the newcomer splits that time in two: up to its INI (process start,
RSA-4096 generation, connecting) and from the INI to `ready` (roster, key
request, KEY), the part that depends on the room's size.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import servers  # noqa: E402
from sottotest import BatchClient, TestFailure, scaled  # noqa: E402

READY_TIMEOUT = scaled(60.0)  # s for one client to get `ready`
QUIET_CPU = 0.02          # s of CPU the whole room may use in QUIET_WINDOW
QUIET_WINDOW = 0.5
QUIET_TIMEOUT = scaled(180.0)
START_BATCH = 6           # members generating keys and joining at once
EXIT_TIMEOUT = scaled(10.0)


JOIN_LINE = re.compile(r'^(\S+)Z sotto-relay\[\d+\] info: join id=\d+ room="([^"]*)"')


Fail = TestFailure


class Client(BatchClient):
    """One `sotto --batch` (BatchClient collects its events and their times)."""

    def __init__(self, argv, errpath):
        self.t_start = time.monotonic()
        self.err = open(errpath, "wb")
        BatchClient.__init__(self, argv, self.err)

    def wait(self, kind, timeout):
        """Time and body of the first `kind` event; Fail on timeout, exit or error."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, ev in zip(self.times, self.events):
                    if ev.get("event") == kind:
                        return t, ev
                    if ev.get("event") == "error":
                        raise Fail("client ended before %s: %s" % (kind, ev))
                if self.eof:
                    raise Fail("client ended before %s: %s" % (kind, self.events[-5:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Fail("no %s within %.0f s; events: %s"
                               % (kind, timeout, self.events[-5:]))
                self.cond.wait(left)

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def quit(self):
        """End of input means /quit; kill only a client that ignores it."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(EXIT_TIMEOUT)
        self.err.close()
        return self.proc.returncode


def proc_cpu(pid):
    """utime + stime of a process in seconds; 0 once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def stat(values):
    return {"med": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="sotto-join-")
        self.trusted = os.path.join(self.tmp, "trusted")
        os.makedirs(self.trusted)
        self.rooms = {}
        self.relay = None

    def key(self, name):
        path = os.path.join(self.tmp, name)
        subprocess.run([self.args.keygen, "-f", path, "-N", "", "-C", name], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.copy(path + ".pub", os.path.join(self.trusted, name + ".pub"))
        return path

    def client(self, name, room):
        argv = [self.args.client, "--batch", "--identity",
                os.path.join(self.tmp, name), "--trusted", self.trusted,
                "--room", room, "127.0.0.1:%d" % self.relay.port]
        return Client(argv, os.path.join(self.tmp, name + "-" + room + ".err"))

    def grow(self, room, target):
        """Members (keys made beforehand) join `room` until it holds
        `target`, START_BATCH at a time."""
        members = self.rooms.setdefault(room, [])
        while len(members) < target:
            started = []
            for _ in range(min(START_BATCH, target - len(members))):
                name = "%s-%d" % (room, len(members))
                started.append(self.client(name, room))
                members.append(started[-1])
            for c in started:
                c.wait("ready", READY_TIMEOUT)

    def everyone(self):
        return [c for cs in self.rooms.values() for c in cs]

    def quiet(self):
        """Until the members' (and relay's) CPU time stops moving."""
        deadline = time.monotonic() + QUIET_TIMEOUT
        clients = self.everyone()
        prev = sum(c.cpu() for c in clients) + proc_cpu(self.relay.pid)
        while time.monotonic() < deadline:
            time.sleep(QUIET_WINDOW)
            cur = sum(c.cpu() for c in clients) + proc_cpu(self.relay.pid)
            if cur - prev < QUIET_CPU:
                return
            prev = cur
        raise Fail("members still busy after %.0f s" % QUIET_TIMEOUT)

    def relay_join_time(self, room, since):
        """Wall time of the relay's first `join` line for `room` at or after
        `since`: when the newcomer's INI arrived, i.e. once its RSA key was
        made. The relay stamps its lines to the millisecond."""
        with open(self.relay.log_path) as f:
            for line in f:
                m = JOIN_LINE.match(line)
                if m is None or m.group(2) != room:
                    continue
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                if t >= since - 0.002:
                    return t
        raise Fail("no join line for %s in the relay's log" % room)

    def newcomer(self, room):
        self.quiet()
        wall0 = time.time()
        c = self.client("newcomer", room)
        try:
            t_conn, _ = c.wait("connected", READY_TIMEOUT)
            t_ready, ev = c.wait("ready", READY_TIMEOUT)
        finally:
            rc = c.quit()
        if ev.get("first") is not False:
            raise Fail("newcomer in %s (%d members) made its own key: %s"
                       % (room, len(self.rooms[room]), ev))
        if rc != 0:
            raise Fail("newcomer exited %s" % rc)
        ready_s = t_ready - c.t_start
        ini_s = self.relay_join_time(room, wall0) - wall0
        # ini_s: process start, key loading, RSA-4096, connect, INI sent;
        # join_s: roster, key request, KEY, unwrap: the room-size part.
        return {"ready_s": ready_s, "connected_s": t_conn - c.t_start,
                "ini_s": ini_s, "join_s": ready_s - ini_s}

    def run(self):
        big = [s for s in sorted(self.args.sizes) if s > 1]
        # Every key first: a client reads the trusted folder once, at start.
        for name in ["newcomer", "small-0"] + ["big-%d" % i for i in
                                              range(max(big, default=0))]:
            self.key(name)
        self.relay = servers.relay(self.args.relay, self.tmp, quiet=False)
        t0 = time.monotonic()
        self.grow("small", 1)
        runs = {s: [] for s in self.args.sizes}
        for size in big or [1]:
            if size > 1:
                self.grow("big", size)
            for _ in range(self.args.runs):
                if 1 in runs:
                    runs[1].append(self.newcomer("small"))
                if size > 1:
                    runs[size].append(self.newcomer("big"))
        out = {"elapsed_s": time.monotonic() - t0, "sizes": {}}
        for size in self.args.sizes:
            out["sizes"][str(size)] = dict(
                {k: stat([r[k] for r in runs[size]])
                 for k in ("ready_s", "connected_s", "ini_s", "join_s")},
                runs=runs[size])
        return out

    def close(self):
        for c in self.everyone():
            c.quit()
        if self.relay is not None:
            self.relay.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("--sizes", default="1,10,50,100")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        args.sizes = [int(x) for x in args.sizes.split(",")]
        if not args.sizes or min(args.sizes) < 1 or args.runs < 1:
            raise ValueError
    except ValueError:
        ap.error("--sizes: positive integers, comma-separated; --runs >= 1")
    b = Bench(args)
    try:
        out = b.run()
    except (Fail, RuntimeError, subprocess.CalledProcessError) as e:
        print("jointime.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()
    if args.json:
        print(json.dumps(out))
    else:
        for size, z in out["sizes"].items():
            print("%4s members: ready p50 %.3f s (%.3f-%.3f); INI at %.3f s, "
                  "then %.3f s to ready; %d newcomers"
                  % (size, z["ready_s"]["med"], z["ready_s"]["min"],
                     z["ready_s"]["max"], z["ini_s"]["med"], z["join_s"]["med"],
                     z["ready_s"]["n"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

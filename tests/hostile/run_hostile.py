#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""run_hostile.py: real `sotto --batch` clients through the hostile relay, one fault mode.

The scenario, the same for every mode:
  1. alice and bob start together and become ready (one is first);
  2. phase 1: both send lines; 3. carol joins (a newcomer with two
  possible keyholders) and becomes ready; 4. phase 2: all three send;
  5. the relay is told `honest`; 6. phase 3: all three send, and every
  line must now reach every other client; 7. stdin is closed and every
  client must exit 0.

Every line sent is a unique token, so the checks are exact. From the
relay's log of every frame copy it wrote (honest or tampered) the test
derives, per client, the set of lines it must show and the faults it must
report; then it asserts:
  - every `message` carries a token its claimed sender really sent, with
    that sender's name and fingerprint, at most once per receiver, and the
    receiver shows exactly the lines of the honest copies it was sent;
  - every tampered, replayed, duplicated, forged or misdirected copy gives
    exactly one `rejected`, with a reason allowed for that fault (see
    REASONS and docs/testing.md); nothing else is rejected;
  - no client disconnects or fails, each is ready once, and a newcomer whose
    first KEY was lost recovers by asking (another) keyholder;
  - the relay really injected faults (at least MIN_FAULTS[mode]).
Waits are polls on the actual condition with deadlines (SOTTO_TIME_SCALE
multiplies them). SOTTO_CLIENT_WRAPPER, if set, prefixes the client command.
"""

import argparse
import base64
import hashlib
import json
import random
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import (CLIENT_WRAPPER, RELAY_WRAPPER, SCALE, BatchClient, Redis,  # noqa: E402
                       TestFailure, deadline, free_port, listening, wait_until)

ROOM = "hostile"
NAMES = ("alice", "bob", "carol")
LINES = {1: 4, 2: 3, 3: 2}          # lines each active client sends per phase

# What a receiver must say when it drops a faulty copy (wire-v1 §5 words).
# A bit flip gives the reason of the field it lands in (flip_reasons); a
# dropped KEY is not a frame the receiver ever saw: no rejection.
REASONS = {
    ("DAT", "trunc"): {"malformed"},
    ("KEY", "trunc"): {"malformed"},
    ("DAT", "dup"): {"replay"},
    ("DAT", "replay"): {"replay"},
    ("DAT", "late"): {"replay"},
    ("DAT", "stale-replay"): {"stale"},
    ("DAT", "forged"): {"untrusted-key"},
    ("KEY", "misdirect"): {"not-for-me"},
}
# Field layout of the v2 bodies (docs/protocol.md "v2: DAT", "v2: KEY";
# shared/wire.h): (first byte, end, reasons a flipped bit there may give).
# The receiver checks parse -> trusted? -> (KEY: addressed to us?) ->
# seen before? -> signature, so: a flip in the sender's identity key names
# an unknown key (untrusted-key); in a KEY's to_fpr/to_nonce it is not for
# us (not-for-me, before any signature work); in a length or count the body
# no longer parses (malformed); in a field with a validity rule (epoch 0,
# index 0xffffffff, a KEY's origin and shape) it parses unless it broke
# the rule (malformed), else, like every other signed byte and the
# signature itself, it breaks the signature (bad-signature). The counter
# and the timestamp are also checked before the signature (a replay costs
# no signature work): a flip there may read as a counter already passed
# (replay) or a time before the receiver's join (stale).
# The first two bytes (version, kind) are left out: a flip there reads as
# a newer peer's frame, which by design is one notice per member, not a
# rejection per frame (tests/unit/test_proto2.c covers those bytes).
SIG, BAD = {"bad-signature"}, {"malformed"}
EITHER = {"bad-signature", "malformed"}
LAYOUT = {
    "DAT": [(2, 34, {"untrusted-key"}), (34, 66, SIG), (66, 70, EITHER),
            (70, 74, SIG), (74, 78, EITHER),
            (78, 86, EITHER | {"replay", "stale"}), (86, 94, SIG | {"stale"}),
            (94, 98, BAD), (98, None, SIG)],
    "KEY": [(2, 34, {"untrusted-key"}), (34, 98, {"not-for-me"}),
            (98, 106, SIG), (106, 110, EITHER), (110, 118, SIG),
            (118, 122, EITHER), (122, 135, EITHER), (135, 137, BAD),
            (137, 649, SIG), (649, 651, BAD), (651, None, EITHER)],
}
FIELDS = {
    "DAT": ["id_pub", "session", "epoch", "gen", "index", "counter", "ts",
            "ct_len", "ct/tag/sig"],
    "KEY": ["id_pub", "to_fpr/to_nonce", "ts", "epoch", "key_id", "gen",
            "prev_epoch/prev_key_id/reason", "wrapped_len", "wrapped",
            "n_marks", "marks/sealed/tag/sig"],
}


def flip_field(rec):
    for i, (lo, hi, reasons) in enumerate(LAYOUT[rec["type"]]):
        if lo <= rec["offset"] and (hi is None or rec["offset"] < hi):
            return FIELDS[rec["type"]][i], reasons
    raise Failure("flip outside the layout: %r" % rec)


SHOWN_KINDS = {"ok", "from"}        # copies whose line the receiver must show
SILENT_KINDS = {"drop"}             # faults that leave nothing to reject

# KEY modes tamper with the first two KEYs to each newcomer: carol's first
# two candidates both fail her, so she must also start over (design:
# "all tried and still present: start over with capped backoff").
KEY_FAULTS = 2

MIN_FAULTS = {
    "none": 0, "flip-dat": 8, "flip-key": 4, "replay-later": 3,
    "replay-newcomer": 4, "dup-dat": 4, "rewrite-from": 4, "misdirect-key": 1,
    "drop-key": 4, "truncate-dat": 4, "truncate-key": 4, "forge": 4,
    "reorder": 3,
}


Failure = TestFailure


def fingerprint(pub_path):
    """SHA256:<unpadded base64 of SHA-256 of the key blob>, as ssh-keygen -l."""
    with open(pub_path) as f:
        blob = base64.b64decode(f.read().split()[1])
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class Client(BatchClient):
    """One `sotto --batch` process (BatchClient collects its events)."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.sent = []               # tokens in the order written to stdin
        self.errpath = os.path.join(workdir, name + ".stderr")
        BatchClient.__init__(self, argv, open(self.errpath, "wb"))

    def evs(self, kind=None):
        return self.all(kind)

    def say(self, token):
        self.sent.append(token)
        self.send(token)

    def tail(self):
        with open(self.errpath, "rb") as f:
            err = f.read()[-1500:].decode("utf-8", "replace")
        return "--- %s events (last 15):\n%s\n--- %s stderr (tail):\n%s" % (
            self.name, "\n".join(json.dumps(e) for e in self.evs()[-15:]),
            self.name, err)


class Scenario:
    def __init__(self, args):
        self.args = args
        self.mode = args.mode
        self.tmp = tempfile.mkdtemp(prefix="sotto-hostile-")
        self.clients = {}
        self.relay = None
        self.relay_log = os.path.join(self.tmp, "relay.log")
        self.fpr = {}
        self.sent_to = {}            # token -> names that must show it

    # --- set-up ---------------------------------------------------------------
    def keys(self):
        trusted = os.path.join(self.tmp, "trusted")
        os.makedirs(trusted)
        for n in NAMES:
            key = os.path.join(self.tmp, n)
            subprocess.run([self.args.keygen, "-f", key, "-N", "", "-C", n], check=True,
                           stdout=subprocess.DEVNULL)
            shutil.copy(key + ".pub", os.path.join(trusted, n + ".pub"))
            self.fpr[n] = fingerprint(key + ".pub")
        self.trusted = trusted

    def forge(self):
        path = os.path.join(self.tmp, "forged.dat")
        subprocess.run([self.args.forge, "--room", ROOM, "--out", path],
                       check=True)
        return path

    def start_real_relay(self):
        """--real-relay: sotto-relay itself (under SOTTO_RELAY_WRAPPER, e.g.
        valgrind) instead of the hostile one; expectations then come from
        what was sent to whom, and the relay must exit 0 on SIGTERM."""
        wrapper = RELAY_WRAPPER
        for _ in range(5):
            self.port = free_port()
            self.relay = subprocess.Popen(
                # A client connects at once but sends its INI only when its
                # RSA key is made: under valgrind that outlasts the default
                # 10 s join timeout, which would cost reconnects.
                wrapper + [self.args.real_relay, "--listen",
                           "127.0.0.1:%d" % self.port, "--join-timeout",
                           str(int(60 * SCALE))],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.tmp, "relay.stderr"), "wb"))
            end = deadline(30)
            while self.relay.poll() is None and time.monotonic() < end:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            if self.relay.poll() is None:
                self.relay.kill()
            self.relay.wait()
        raise Failure("sotto-relay did not start listening")

    def start_cluster(self):
        """--cluster N: a private Redis and N sotto-relays sharing it; the
        hostile relay becomes a proxy in front of them (client i's
        connection goes to member i mod N), so every frame between
        clients crosses the cluster and then the faults."""
        self.redis = Redis()
        self.members = []
        for i in range(self.args.cluster):
            port = free_port()
            p = subprocess.Popen(
                RELAY_WRAPPER + [self.args.cluster_relay, "--listen", "127.0.0.1:%d" % port,
                                 "--join-timeout", str(int(60 * SCALE)), "--cluster",
                                 self.redis.url(), "--node-name", "h%d" % (i + 1),
                                 "--cluster-timeout", str(min(600, 10 * SCALE))],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.tmp, "member%d.stderr" % (i + 1)), "wb"))
            self.members.append((p, port))
            wait_until(lambda: p.poll() is not None or listening(port), 20,
                       "cluster member %d to listen" % (i + 1))
            if p.poll() is not None:
                raise Failure("cluster member %d exited %d" % (i + 1, p.returncode))
        return ",".join("127.0.0.1:%d" % port for _, port in self.members)

    def stop_cluster(self):
        for p, _ in getattr(self, "members", []):
            if p.poll() is None:
                p.terminate()
                p.wait(30 * SCALE)
                if p.returncode != 0:
                    raise Failure("cluster member exited %d" % p.returncode)
        if getattr(self, "redis", None) is not None:
            self.redis.cleanup()
            self.redis = None

    def start_relay(self):
        if self.args.real_relay:
            return self.start_real_relay()
        argv = [sys.executable, self.args.relay, "--log", self.relay_log,
                "--mode", self.mode, "--seed", str(self.args.seed),
                "--names", self.trusted, "--key-faults", str(KEY_FAULTS)]
        if self.args.capture:
            argv += ["--capture", self.args.capture]
        if self.mode in ("flip-dat", "flip-key"):
            argv += ["--flip-at", ",".join(map(str, self.flip_offsets()))]
        if self.mode == "forge":
            argv += ["--forge-body", self.forge()]
        if self.args.cluster:
            argv += ["--upstream", self.start_cluster()]
        self.relay = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        self.port = int(self.relay.stdout.readline())

    def start(self, name):
        argv = CLIENT_WRAPPER + [self.args.sotto, "--batch",
                          "--identity", os.path.join(self.tmp, name),
                          "--trusted", self.trusted, "--room", ROOM,
                          "127.0.0.1:%d" % self.port]
        self.clients[name] = Client(name, argv, self.tmp)

    def flip_offsets(self):
        """One offset in each field of the layout, in turn from a field the
        seed picks, so every field is hit whatever the seed."""
        rng = random.Random(self.args.seed)
        fields = LAYOUT["DAT" if self.mode == "flip-dat" else "KEY"]
        offs = [rng.randrange(lo, hi if hi else lo + 64) for lo, hi, _ in fields]
        k = self.args.seed % len(offs)
        return offs[k:] + offs[:k]

    # --- the relay's log --------------------------------------------------------
    def log(self, ev=None):
        if self.args.real_relay:
            return []
        # A record the relay is writing right now has no newline yet: it is
        # read whole on a later look (CI once read half of one).
        with open(self.relay_log) as f:
            recs = [json.loads(line) for line in f if line.endswith("\n") and line.strip()]
        return [r for r in recs if ev is None or r["ev"] == ev]

    def ids(self):
        """member id -> client name, from the relay's join records."""
        return {r["id"]: r["name"] for r in self.log("join")}

    def dump(self):
        return "\n".join(c.tail() for c in self.clients.values())

    # --- expectations derived from the relay's copies ---------------------------
    def token_of(self, ids, rec):
        sender = self.clients.get(ids.get(rec["src"]))
        if sender is None or rec["seq"] is None or rec["seq"] > len(sender.sent):
            raise Failure("relay copy %r matches no line sent" % rec)
        return sender.sent[rec["seq"] - 1]

    def expected(self):
        """Per client: tokens it must show, and allowed-reason sets of the
        rejections it must report."""
        if self.args.real_relay:
            shown = {n: {t for t, to in self.sent_to.items() if n in to}
                     for n in self.clients}
            return shown, {n: [] for n in self.clients}
        ids = self.ids()
        shown = {n: set() for n in self.clients}
        rejects = {n: [] for n in self.clients}
        for rec in self.log("copy"):
            dst = ids.get(rec["dst"])
            if dst not in self.clients:
                raise Failure("copy to unknown member %r" % rec)
            kind = rec["kind"]
            if kind.endswith("-unsent") and rec["type"] == "INI":
                # An INI to a member already gone (every client sends its
                # signed LEAVE as its input ends, and they all end at
                # once): nothing to show or reject, nothing lost.
                continue
            if kind.endswith("-unsent"):
                raise Failure("relay could not write a copy: %r" % rec)
            if rec["type"] == "DAT" and kind in SHOWN_KINDS:
                shown[dst].add(self.token_of(ids, rec))
            elif kind in SHOWN_KINDS or kind in SILENT_KINDS:
                continue
            else:
                allowed = flip_field(rec)[1] if kind == "flip" else \
                    REASONS.get((rec["type"], kind))
                if allowed is None:
                    raise Failure("no expected reason for %r" % rec)
                rejects[dst].append(allowed)
        return shown, rejects

    def faults(self):
        if self.args.real_relay:
            return []
        return [r for r in self.log("copy") if r["kind"] != "ok" and
                not (r["kind"] == "ok-unsent" and r["type"] == "INI")]

    def phase_done(self):
        """Every line sent has reached the relay and every client shows and
        rejects at least what the relay's copies so far demand."""
        if self.args.real_relay:
            return self.shown_all()
        recv = {}
        for r in self.log("recv"):
            if r["type"] == "DAT":
                recv[r["src"]] = recv.get(r["src"], 0) + 1
        ids = self.ids()
        got = {ids.get(i): n for i, n in recv.items()}
        for c in self.clients.values():
            if got.get(c.name, 0) < len(c.sent):
                return False
        if self.args.cluster and not self.copies_back():
            return False
        shown, rejects = self.expected()
        for n, c in self.clients.items():
            texts = {e["text"] for e in c.evs("message")}
            if not shown[n] <= texts or len(c.evs("rejected")) < len(rejects[n]):
                return False
        return True

    def copies_back(self):
        """Proxy mode (--cluster): a line is logged as received when it goes
        up to the real relays, and its copies come back through us later, so
        the expectations are whole only once every line has a copy (of any
        kind) or a hold logged for each member meant to get it. Without
        this a phase could end with copies still inside the real relays and
        the clients ended before them (a flake: "relay could not write a
        copy")."""
        ids = self.ids()
        seen = set()
        for rec in self.log("copy") + self.log("held"):
            if rec.get("type", "DAT") == "DAT" and rec.get("seq") is not None:
                seen.add((ids.get(rec["src"]), rec["seq"], ids.get(rec["dst"])))
        for c in self.clients.values():
            for i, token in enumerate(c.sent):
                if any((c.name, i + 1, n) not in seen for n in self.sent_to.get(token, ())):
                    return False
        return True

    def shown_all(self):
        shown, _ = self.expected()
        return all(shown[n] <= {e["text"] for e in c.evs("message")}
                   for n, c in self.clients.items())

    # --- the scenario -----------------------------------------------------------
    def send_phase(self, phase, names):
        for n in names:
            for i in range(LINES[phase]):
                token = "%s-%s-p%d-%d-%s" % (self.mode, n, phase, i,
                                            secrets.token_hex(6))
                # Every client started is ready by now: all must see it.
                self.sent_to[token] = set(self.clients) - {n}
                self.clients[n].say(token)
        wait_until(self.phase_done, 60, "phase %d deliveries" % phase, step=0.05, dump=self.dump)

    def ready(self, name):
        return self.clients[name].evs("ready")

    def run(self):
        self.keys()
        self.start_relay()
        for n in ("alice", "bob"):
            self.start(n)
        for n in ("alice", "bob"):
            wait_until(lambda n=n: self.ready(n), 90, n + " ready", step=0.05, dump=self.dump)
        self.send_phase(1, ("alice", "bob"))
        names = NAMES[:self.args.clients]
        if "carol" in names:
            self.start("carol")
            wait_until(lambda: self.ready("carol"), 90, "carol ready", step=0.05, dump=self.dump)
        self.send_phase(2, names)
        if not self.args.real_relay:
            self.relay.stdin.write(b"honest\n")
            self.relay.stdin.flush()
            wait_until(lambda: self.log("honest"), 10, "relay to turn honest", step=0.05)
        self.send_phase(3, names)
        for c in self.clients.values():
            c.proc.stdin.close()
        for c in self.clients.values():
            wait_until(lambda c=c: c.proc.poll() is not None, 30,
                       c.name + " to exit after end of stdin", step=0.05, dump=self.dump)
            c.reader.join(10 * SCALE)
        if self.args.real_relay:
            self.stop_real_relay()
        self.verify()

    def stop_real_relay(self):
        self.relay.send_signal(signal.SIGTERM)
        try:
            rc = self.relay.wait(30 * SCALE)
        except subprocess.TimeoutExpired:
            raise Failure("sotto-relay did not exit on SIGTERM")
        if rc != 0:
            with open(os.path.join(self.tmp, "relay.stderr"), "rb") as f:
                err = f.read()[-3000:].decode("utf-8", "replace")
            raise Failure("sotto-relay exited %d on SIGTERM:\n%s" % (rc, err))

    # --- the final checks on complete output -------------------------------------
    def verify(self):
        ids = self.ids()
        owner = {t: c for c in self.clients.values() for t in c.sent}
        shown, rejects = self.expected()
        faults = self.faults()
        problems = []
        for n, c in self.clients.items():
            if c.proc.returncode != 0:
                problems.append("%s exited %d" % (n, c.proc.returncode))
            if c.bad_lines:
                problems.append("%s wrote non-JSON lines: %r" % (n, c.bad_lines[:3]))
            for e in c.evs():
                if e["event"] in ("error", "disconnected"):
                    problems.append("%s: unexpected %r" % (n, e))
            if len(c.evs("ready")) != 1:
                problems.append("%s: %d ready events" % (n, len(c.evs("ready"))))
            seen = set()
            for e in c.evs("message"):
                s = owner.get(e.get("text"))
                if s is None:
                    problems.append("%s showed a line nobody sent: %r" % (n, e))
                elif s is c:
                    problems.append("%s showed its own line: %r" % (n, e))
                elif e.get("name") != s.name or e.get("fingerprint") != self.fpr[s.name]:
                    problems.append("%s misattributed %r (sent by %s %s)" %
                                    (n, e, s.name, self.fpr[s.name]))
                if e.get("text") in seen:
                    problems.append("%s showed a line twice: %r" % (n, e))
                seen.add(e.get("text"))
            if seen != shown[n]:
                problems.append("%s: missing %s, unexpected %s" % (
                    n, sorted(shown[n] - seen), sorted(seen - shown[n])))
            reasons = [e.get("reason") for e in c.evs("rejected")]
            if not match_reasons(reasons, rejects[n]):
                problems.append("%s: rejected %s, expected one each of %s" % (
                    n, reasons, [sorted(a) for a in rejects[n]]))
        problems += self.verify_mode(ids, faults)
        if len(faults) < self.min_faults():
            problems.append("relay injected %d faults, expected at least %d" %
                            (len(faults), self.min_faults()))
        if problems:
            raise Failure("\n".join(problems) + "\n" + self.dump())
        kinds = {}
        for f in faults:
            k = f["kind"]
            if k == "flip":
                k += " " + flip_field(f)[0]
            kinds[k] = kinds.get(k, 0) + 1
        print("hostile %s: ok: %d faults %s, %d messages shown, %d rejected" % (
            self.mode, len(faults), kinds,
            sum(len(c.evs("message")) for c in self.clients.values()),
            sum(len(c.evs("rejected")) for c in self.clients.values())))

    def min_faults(self):
        """KEY modes: KEY_FAULTS to each newcomer (bob, and carol if run)."""
        if self.mode in ("flip-key", "drop-key", "truncate-key"):
            return KEY_FAULTS * (self.args.clients - 1)
        return MIN_FAULTS[self.mode]

    def verify_mode(self, ids, faults):
        problems = []
        if self.mode == "drop-key":
            # A newcomer that lost its first KEY must have asked again after
            # its key timeout, another candidate first when there is one.
            for r in (f for f in faults if f["kind"] == "drop"):
                later = [k for k in self.log("copy") if k["type"] == "KEY" and
                         k["dst"] == r["dst"] and k["kind"] == "ok"]
                if not later:
                    problems.append("no KEY reached %s after the drop" %
                                    ids.get(r["dst"]))
                    continue
                present = {i for i in ids if i != r["dst"]} - \
                    {x["id"] for x in self.log("left")}
                if len(present) > 1 and later[0]["src"] == r["src"]:
                    problems.append("%s re-asked the same keyholder %d although "
                                    "another was present" %
                                    (ids.get(r["dst"]), r["src"]))
        return problems


def match_reasons(reasons, allowed):
    """A one-to-one assignment of reported reasons to expected faults, each
    reason in its fault's allowed set (bipartite matching)."""
    if len(reasons) != len(allowed):
        return False
    owner = [None] * len(allowed)

    def place(i, seen):
        for j, a in enumerate(allowed):
            if reasons[i] in a and j not in seen:
                seen.add(j)
                if owner[j] is None or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(place(i, set()) for i in range(len(reasons)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", required=True, choices=sorted(MIN_FAULTS))
    ap.add_argument("--sotto", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--forge", required=True)
    ap.add_argument("--relay", help="hostile_relay.py")
    ap.add_argument("--real-relay", help="use this sotto-relay instead "
                    "(mode none only; SOTTO_RELAY_WRAPPER prefixes it)")
    ap.add_argument("--clients", type=int, choices=(2, 3), default=3,
                    help="2: no newcomer (carol) after phase 1")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--capture", help="relay keeps every body it receives here")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--cluster", type=int, default=0,
                    help="N: the hostile relay as a proxy in front of N sotto-relays "
                    "sharing a private redis-server (needs --cluster-relay)")
    ap.add_argument("--cluster-relay", help="the sotto-relay binary for --cluster")
    args = ap.parse_args()
    if args.cluster and not args.cluster_relay:
        ap.error("--cluster needs --cluster-relay")
    if args.real_relay and args.mode != "none":
        ap.error("--real-relay runs mode none only")
    if not args.real_relay and not args.relay:
        ap.error("--relay or --real-relay is required")
    if args.clients == 2 and args.mode in ("replay-newcomer", "misdirect-key"):
        ap.error("mode %s needs the newcomer: --clients 3" % args.mode)
    sc = Scenario(args)
    rc = 0
    try:
        sc.run()
    except Failure as e:
        print("hostile %s: FAILED: %s\n(work dir %s)" % (args.mode, e, sc.tmp))
        rc = 1
    finally:
        for c in sc.clients.values():
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
        if sc.relay is not None and sc.relay.poll() is None:
            sc.relay.terminate()
            sc.relay.wait(10)
        try:
            sc.stop_cluster()
        except Failure as e:
            print("hostile %s: FAILED: %s\n(work dir %s)" % (args.mode, e, sc.tmp))
            rc = 1
        if rc == 0 and not args.keep:
            shutil.rmtree(sc.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

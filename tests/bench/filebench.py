#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# filebench.py: one file through the relay between two `sotto --batch` clients, against the relay's raw forwarding rate and a plain loopback copy.
"""File transfer throughput (issue 15, docs/benchmarks.md "File transfer").

  filebench.py --client SOTTO --keygen SOTTO-KEYGEN --relay SOTTO-RELAY
               --loadgen SOTTO-LOADGEN [--mib 100] [--runs 5] [--json]

Each round runs, for each configuration, a file and a raw measurement,
then the floor, interleaved so a slow stretch of the shared machine does
not land on one of them only. The configurations (--configs):

  default  as shipped: the relay's default input budget (50 frames/s,
           4 MiB/s a connection) and the client's default --file-rate (40
           chunks/s, within that budget);
  open     the relay's budget off (--rate 0 --rate-bytes 0) and the sender
           unpaced (--file-rate 0), as an operator who lifts the budget
           would run them.

  file   alice `/send`s the file to bob through a fresh sotto-relay; time
         from the `/send` line to bob's `file-received` (the SHA-256
         checked after the clock stops, the published bytes compared); CPU
         seconds of sender, relay and receiver from /proc/PID/stat over
         that span, once all three were idle (no pending RSA key
         generation) before it.
  raw    sotto-loadgen through a fresh relay of the same configuration: 1
         room of 2 members, 1 sender, DATs of a chunk DAT's size
         (CHUNK_DAT bytes), 32 in flight: the relay's own forwarding rate
         for that size, for one sending connection as the file has.
  floor  the same file over one loopback TCP connection, `cat FILE | nc`
         if nc is installed, else two Python processes (read 64 KiB and
         sendall / recv_into and discard), timed by the receiver from the
         first byte to end of stream: what the machine moves with no
         protocol at all.

Medians over the runs, with min-max; the 1-minute load average before
each round is recorded. Bytes are MiB (2^20); rates MiB/s.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import servers  # noqa: E402
from sottotest import BatchClient, TestFailure, free_port, scaled  # noqa: E402



# Configuration: (relay flags, sender flags).
CONFIGS = {
    "default": ((), ()),
    "open": (servers.BUDGET_OFF, ("--file-rate", "0")),
}


def wire_constant(name):
    """A numeric #define of shared/wire-files.h or shared/wire.h."""
    for fn in ("wire-files.h", "wire.h"):
        path = os.path.join(HERE, "..", "..", "shared", fn)
        if os.path.exists(path):
            with open(path) as f:
                m = re.search(r"#define\s+%s\s+(\d+)u?\b" % name, f.read())
            if m:
                return int(m.group(1))
    sys.exit("filebench: %s not found in shared/wire*.h" % name)


# A chunk DAT's body: the v2 DAT header and ct_len (98 bytes), tag and
# signature (80), the FCHUNK plaintext 1 + 4 + 20 + SOTTO_FILE_CHUNK and
# its random pad (0..255, 128 on average): shared/wire.h, wire-files.h.
CHUNK = wire_constant("SOTTO_FILE_CHUNK")
CHUNK_DAT = 98 + 80 + 1 + 4 + 20 + CHUNK + 128
READY_TIMEOUT = scaled(120.0)
TRANSFER_TIMEOUT = scaled(600.0)
QUIET_CPU = 0.02            # CPU s all three may use in QUIET_WINDOW to be idle
QUIET_WINDOW = 0.5
MIB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("[filebench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def cpu_s(pid):
    """utime + stime of a live process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / TICK


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


class Client(BatchClient):
    def __init__(self, argv, errpath):
        BatchClient.__init__(self, argv, open(errpath, "wb"))

    def wait(self, kind, timeout, **match):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            evs = self.all(kind, **match)
            if evs:
                return evs[0]
            failed = self.all("file-failed")
            if failed:
                raise TestFailure("transfer failed: %r" % failed)
            if self.proc.poll() is not None:
                raise TestFailure("client exited %s" % self.proc.returncode)
            time.sleep(0.01)
        raise TestFailure("timed out waiting for %s" % kind)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(scaled(30))
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="sotto-filebench-")
        self.trusted = os.path.join(self.tmp, "trusted")
        os.makedirs(self.trusted)
        for n in ("alice", "bob"):
            key = os.path.join(self.tmp, n)
            subprocess.run([args.keygen, "-f", key, "-N", "", "-C", n], check=True,
                           stdout=subprocess.DEVNULL)
            shutil.copy(key + ".pub", os.path.join(self.trusted, n + ".pub"))
        self.size = args.mib * MIB
        self.file = os.path.join(self.tmp, "payload.bin")
        h = hashlib.sha256()
        with open(self.file, "wb") as f:
            for _ in range(args.mib):
                block = os.urandom(MIB)
                h.update(block)
                f.write(block)
        self.sha = h.hexdigest()

    def client(self, name, port, extra=()):
        argv = [self.args.client, "--batch", "--identity", os.path.join(self.tmp, name),
                "--trusted", self.trusted, "--room", "files", "--no-history"] + \
            list(extra) + ["127.0.0.1:%d" % port]
        return Client(argv, os.path.join(self.tmp, name + ".stderr"))

    def wait_idle(self, pids):
        """All pids' CPU time stops moving (a client makes its next RSA key
        after it joins)."""
        end = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < end:
            before = sum(cpu_s(p) for p in pids)
            time.sleep(QUIET_WINDOW)
            if sum(cpu_s(p) for p in pids) - before < QUIET_CPU:
                return
        raise TestFailure("the clients never went idle")

    def run_file(self, i, cfg):
        dl = os.path.join(self.tmp, "dl-%s-%d" % (cfg, i))
        os.makedirs(dl, mode=0o700)
        relay_flags, sender_flags = CONFIGS[cfg]
        with servers.relay(self.args.relay, self.tmp, extra=relay_flags) as relay:
            a = self.client("alice", relay.port, sender_flags)
            b = None
            try:
                a.wait("ready", READY_TIMEOUT)
                b = self.client("bob", relay.port, ["--accept-files", "--download-dir", dl])
                b.wait("ready", READY_TIMEOUT)
                a.wait("joined", READY_TIMEOUT, name="bob")
                pids = {"sender": a.proc.pid, "relay": relay.pid, "receiver": b.proc.pid}
                self.wait_idle(list(pids.values()))
                cpu0 = {k: cpu_s(p) for k, p in pids.items()}
                t0 = time.monotonic()
                a.send("/send " + self.file)
                ev = b.wait("file-received", TRANSFER_TIMEOUT)
                t1 = time.monotonic()
                cpu = {k: cpu_s(p) - cpu0[k] for k, p in pids.items()}
                a.wait("file-sent", scaled(30))
            finally:
                a.stop()
                if b is not None:
                    b.stop()
        if ev["sha256"] != self.sha or sha256_of(ev["path"]) != self.sha:
            raise TestFailure("the received file differs from the one sent")
        shutil.rmtree(dl)
        secs = t1 - t0
        return {"seconds": secs, "mib_s": self.size / MIB / secs, "cpu": cpu,
                # What one core per process could move if nothing but CPU
                # set the pace: the busiest of the three.
                "cpu_ceiling_mib_s": self.size / MIB / max(cpu.values())}

    def run_raw(self, cfg):
        with servers.relay(self.args.relay, self.tmp, extra=CONFIGS[cfg][0]) as relay:
            out = subprocess.run([self.args.loadgen, "--proto", "sotto", "--port",
                                  str(relay.port), "--rooms", "1", "--members", "2",
                                  "--senders", "1", "--size", str(CHUNK_DAT),
                                  "--seconds", str(self.args.raw_seconds), "--warmup", "1",
                                  "--pid", str(relay.pid), "--json"],
                                 capture_output=True, text=True, timeout=scaled(120), check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if r["lost"] or r["bad"] or r["closed"]:
            raise TestFailure("loadgen saw losses: %r" % r)
        return {"mib_s": r["delivered_per_s"] * CHUNK_DAT / MIB,
                "dat_s": r["delivered_per_s"],
                "relay_cpu_per_mib": r["server_cpu_s"] / (r["delivered_per_s"] * r["seconds"] *
                                                          CHUNK_DAT / MIB),
                "relay_cpu_share": r["server_cpu_s"] / r["seconds"]}

    def floor_cmds(self, port):
        recv = [sys.executable, "-c",
                "import socket,sys\n"
                "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                "s.bind(('127.0.0.1',%d)); s.listen(1); print('ok',flush=True)\n"
                "import time\n"
                "c,_=s.accept(); b=bytearray(1<<20); m=memoryview(b); n=0; t0=None\n"
                "while True:\n"
                "    k=c.recv_into(m)\n"
                "    if t0 is None: t0=time.monotonic()\n"
                "    if not k: break\n"
                "    n+=k\n"
                "print(n,time.monotonic()-t0,flush=True)\n" % port]
        nc = shutil.which("nc")
        if nc:
            send = ["sh", "-c", 'cat "$1" | nc -N 127.0.0.1 %d' % port, "sh", self.file]
            how = "cat FILE | nc -N (%s)" % nc
        else:
            send = [sys.executable, "-c",
                    "import socket,sys\n"
                    "c=socket.create_connection(('127.0.0.1',%d))\n"
                    "f=open(sys.argv[1],'rb',buffering=0)\n"
                    "while True:\n"
                    "    b=f.read(65536)\n"
                    "    if not b: break\n"
                    "    c.sendall(b)\n"
                    "c.close()\n" % port, self.file]
            how = "Python sockets (nc is not installed): read 64 KiB + sendall, recv_into 1 MiB"
        return recv, send, how

    def run_floor(self):
        port = free_port()
        recv, send, how = self.floor_cmds(port)
        rp = subprocess.Popen(recv, stdout=subprocess.PIPE, text=True)
        if rp.stdout.readline().strip() != "ok":
            raise TestFailure("floor receiver did not start")
        sp = subprocess.Popen(send, stdout=subprocess.DEVNULL)
        # The receiver times from the first byte to end of stream: the
        # sender's start-up is not transfer.
        got, secs = rp.stdout.readline().split()
        got, secs = int(got), float(secs)
        _, _, ru_r = os.wait4(rp.pid, 0)
        _, _, ru_s = os.wait4(sp.pid, 0)
        rp.returncode = sp.returncode = 0         # reaped above
        if got != self.size:
            raise TestFailure("floor: %d bytes of %d" % (got, self.size))
        return {"how": how, "mib_s": self.size / MIB / secs,
                "cpu": {"sender": ru_s.ru_utime + ru_s.ru_stime,
                        "receiver": ru_r.ru_utime + ru_r.ru_stime}}

    def run(self):
        rounds = []
        for i in range(self.args.runs):
            load = loadavg()
            log("round %d/%d, load %s" % (i + 1, self.args.runs, load))
            r = {"load": load}
            for cfg in self.args.configs:
                r[cfg] = {"file": self.run_file(i, cfg), "raw": self.run_raw(cfg)}
                log("  %s: file %.1f MiB/s, raw %.1f MiB/s" % (
                    cfg, r[cfg]["file"]["mib_s"], r[cfg]["raw"]["mib_s"]))
            r["floor"] = self.run_floor()
            log("  floor %.1f MiB/s" % r["floor"]["mib_s"])
            rounds.append(r)
        return rounds

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def med(vals):
    return "%.3g (%.3g-%.3g)" % (statistics.median(vals), min(vals), max(vals))


def report(rounds, mib, configs):
    fl = [r["floor"] for r in rounds]
    lines = [
        "| %d MiB, %d rounds | MiB/s | CPU s sender | CPU s relay | CPU s receiver |" % (
            mib, len(rounds)),
        "|---|---|---|---|---|",
    ]
    tail = []
    for cfg in configs:
        f = [r[cfg]["file"] for r in rounds]
        raw = [r[cfg]["raw"] for r in rounds]
        ratio = [a["mib_s"] / b["mib_s"] for a, b in zip(f, raw)]
        lines += [
            "| %s: sotto file transfer | %s | %s | %s | %s |" % (
                cfg, med([x["mib_s"] for x in f]), med([x["cpu"]["sender"] for x in f]),
                med([x["cpu"]["relay"] for x in f]), med([x["cpu"]["receiver"] for x in f])),
            "| %s: relay raw forwarding, %d B DATs | %s |  | %s per %d MiB |  |" % (
                cfg, CHUNK_DAT, med([x["mib_s"] for x in raw]),
                med([x["relay_cpu_per_mib"] * mib for x in raw]), mib),
        ]
        tail += [
            "%s: file / raw forwarding (per round): %s; target >= 0.5" % (cfg, med(ratio)),
            "%s: CPU-bound ceiling of the file path (size / CPU s of its busiest "
            "process): %s MiB/s" % (cfg, med([x["cpu_ceiling_mib_s"] for x in f])),
            "%s: file transfer time: %s s" % (cfg, med([x["seconds"] for x in f])),
        ]
    lines += [
        "| loopback floor | %s | %s |  | %s |" % (
            med([x["mib_s"] for x in fl]), med([x["cpu"]["sender"] for x in fl]),
            med([x["cpu"]["receiver"] for x in fl])),
        "",
    ] + tail + [
        "floor: %s" % fl[0]["how"],
        "1-minute load average before each round: %s" % " ".join(
            "%.2f" % r["load"][0] for r in rounds),
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--client", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--mib", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--raw-seconds", type=float, default=5)
    ap.add_argument("--configs", default="default,open",
                    help="comma-separated: default (as shipped), open (no budget, unpaced)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    args.configs = args.configs.split(",")
    for cfg in args.configs:
        if cfg not in CONFIGS:
            ap.error("--configs: unknown configuration %r (default, open)" % cfg)
    b = Bench(args)
    try:
        rounds = b.run()
    except TestFailure as e:
        print("filebench: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.cleanup()
    if args.json:
        print(json.dumps(rounds, indent=1))
    print(report(rounds, args.mib, args.configs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

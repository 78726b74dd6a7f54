#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# cluster.py: fan-out through 1, 2 and 3 relays sharing a Redis, against one plain relay and Redis alone; CPU per delivered and per cross-relay frame.
"""Benchmark the relay cluster (docs/benchmarks.md "Cluster").

  tests/bench/cluster.py [--build DIR] [--runs N] [--seconds T] [--quick]
                         [--setups single,cluster1,cluster2,cluster3,redis]
                         [--json FILE]

Each run starts fresh servers on loopback ports, every relay with its
input budget off (servers.BUDGET_OFF: the default 50 frames/s per
connection would measure the budget, not the relay): `single` is one relay
without --cluster; `clusterK` is a private redis-server and K relays with
--cluster, the members of every room spread evenly over the K relays
(sotto-loadgen --ports); `redis` is Redis pub/sub alone (the generator's
Redis mode). Topologies A (1 room x 100 members, 10 senders) and B (100
rooms x 10 members, 1 sender), 256-byte messages, as fast as the window
allows and at a fixed 500/s per sender. Reported per run: delivered
messages/s, p99 latency, and the CPU seconds of every server (relays and
Redis, summed, in the measuring window), per million delivered messages
and, for K >= 2, per million cross-relay frames (each message is published
to Redis once and delivered to the K - 1 other relays). The split of CPU
between relays and Redis over the whole run is read from /proc as well.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import servers  # noqa: E402

TOPOS = {"A": {"rooms": 1, "members": 100, "senders": 10, "size": 256},
         "B": {"rooms": 100, "members": 10, "senders": 1, "size": 256}}
SETUPS = ["single", "cluster1", "cluster2", "cluster3", "redis"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def redis_publishes(port):
    """PUBLISH calls so far (INFO commandstats), over a bare RESP socket."""
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(b"INFO commandstats\r\n")
        data = b""
        while not data.endswith(b"\r\n") or data.count(b"\r\n") < 2:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"$"):
                want = int(data[1:data.index(b"\r\n")])
                if len(data) >= data.index(b"\r\n") + 2 + want + 2:
                    break
    for line in data.decode().splitlines():
        if line.startswith("cmdstat_publish:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def start_cluster(setup, bins, logdir):
    """(redis Server or None, [relay Servers])"""
    if setup == "redis":
        return servers.redis(logdir, binary=bins["redis"]), []
    if setup == "single":
        return None, [servers.relay(bins["relay"], logdir, extra=servers.BUDGET_OFF)]
    k = int(setup[len("cluster"):])
    rd = servers.redis(logdir, binary=bins["redis"])
    relays = []
    for i in range(k):
        port = servers.free_port()
        argv = [bins["relay"], "--listen", "127.0.0.1:%d" % port, "--max-clients",
                "100000", "-q", "--cluster", "redis://127.0.0.1:%d" % rd.port,
                "--node-name", "b%d" % (i + 1)] + list(servers.BUDGET_OFF)
        relays.append(servers.Server("sotto", argv, port,
                                     os.path.join(logdir, "relay%d.log" % (i + 1))))
    return rd, relays


def run_one(setup, topo, rate, args, bins, logdir):
    rd, relays = start_cluster(setup, bins, logdir)
    procs = relays + ([rd] if rd is not None else [])
    try:
        ports = [r.port for r in relays] or [rd.port]
        pids = [p.pid for p in procs]
        t = TOPOS[topo]
        argv = [bins["loadgen"], "--proto", "redis" if setup == "redis" else "sotto",
                "--ports", ",".join(map(str, ports)), "--pids", ",".join(map(str, pids)),
                "--json", "--rooms", str(t["rooms"]), "--members", str(t["members"]),
                "--senders", str(t["senders"]), "--size", str(t["size"]),
                "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                "--rate", str(rate)]
        cpu0 = {p.pid: cpu_s(p.pid) for p in procs}
        pub0 = redis_publishes(rd.port) if rd is not None else 0
        out = subprocess.run(argv, capture_output=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError("loadgen failed: %s" % out.stderr.decode()[-2000:])
        res = json.loads(out.stdout.decode().strip().splitlines()[-1])
        res["publishes"] = (redis_publishes(rd.port) - pub0) if rd is not None else 0
        whole = {p.pid: cpu_s(p.pid) - cpu0[p.pid] for p in procs}
        res["relay_cpu_whole_s"] = sum(whole[r.pid] for r in relays)
        res["redis_cpu_whole_s"] = whole[rd.pid] if rd is not None else 0.0
    finally:
        for p in procs:
            p.stop()
    res.update(setup=setup, topo=topo, relays=len(relays))
    delivered = res["delivered_per_s"] * res["seconds"]
    sent = res["sent_per_s"] * res["seconds"]
    res["cpu_per_M_delivered"] = res["server_cpu_s"] / delivered * 1e6 if delivered else None
    cross = sent if setup.startswith("cluster") and len(relays) >= 2 else 0
    res["cpu_per_M_cross"] = res["server_cpu_s"] / cross * 1e6 if cross else None
    return res


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def table(results):
    rows = ["| setup | topology | rate/sender | delivered/s | p99 us | server CPU s | "
            "CPU s per M delivered | CPU s per M cross-relay | relays : Redis CPU |",
            "|---|---|---|---|---|---|---|---|---|"]
    keys = []
    for r in results:
        k = (r["setup"], r["topo"], r["rate"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in results if (r["setup"], r["topo"], r["rate"]) == k]

        def f(name, fmt):
            v = med(r[name] for r in rs)
            return fmt % v if v is not None else "-"
        rel, red = med(r["relay_cpu_whole_s"] for r in rs), med(r["redis_cpu_whole_s"] for r in rs)
        split = "%.0f%% : %.0f%%" % (100 * rel / (rel + red), 100 * red / (rel + red)) \
            if rel is not None and red and rel + red > 0 else "-"
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k[0], k[1], "window" if k[2] == 0 else "%g/s" % k[2],
            f("delivered_per_s", "%.0f"), f("p99_us", "%.0f"), f("server_cpu_s", "%.2f"),
            f("cpu_per_M_delivered", "%.2f"), f("cpu_per_M_cross", "%.2f"), split))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--setups", default=",".join(SETUPS))
    ap.add_argument("--topos", default="A,B")
    ap.add_argument("--rates", default="0,500")
    ap.add_argument("--quick", action="store_true", help="one short run each")
    ap.add_argument("--smoke", action="store_true", help="ctest bench.cluster.smoke: "
                    "one short run of each setup at a fixed rate; fails on any loss, "
                    "duplicate, malformed delivery or a run that delivered nothing")
    ap.add_argument("--relay", help="sotto-relay (default: BUILD/relay/sotto-relay)")
    ap.add_argument("--loadgen", help="sotto-loadgen (default: BUILD/tests/bench/...)")
    ap.add_argument("--json", help="write every run's raw result here")
    args = ap.parse_args()
    if args.quick or args.smoke:
        args.runs, args.seconds, args.warmup = 1, 1, 0.3
    if args.smoke:
        args.topos, args.rates = "B", "100"
    bins = {"relay": args.relay or os.path.join(args.build, "relay", "sotto-relay"),
            "loadgen": args.loadgen or os.path.join(args.build, "tests", "bench",
                                                    "sotto-loadgen"),
            "redis": os.environ.get("SOTTO_REDIS_SERVER", "redis-server")}
    for b in ("relay", "loadgen"):
        if not os.access(bins[b], os.X_OK):
            sys.exit("cluster.py: %s not built (cmake --build %s)" % (bins[b], args.build))
    results = []
    with tempfile.TemporaryDirectory(prefix="sotto-cluster-bench-") as logdir:
        for run in range(args.runs):
            for topo in args.topos.split(","):
                for rate in [float(x) for x in args.rates.split(",")]:
                    for setup in args.setups.split(","):
                        print("[cluster bench] run %d %s %s rate %g" % (run + 1, setup, topo, rate),
                              file=sys.stderr, flush=True)
                        results.append(run_one(setup, topo, rate, args, bins, logdir))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "load": os.getloadavg(), "results": results}, f, indent=1)
    print(table(results))
    print("\nload average at the end: %.2f %.2f %.2f" % os.getloadavg())
    if args.smoke:
        bad = [r for r in results if r["delivered"] == 0 or r["lost"] or r["dup"] or
               r["bad"] or r["closed"]]
        if bad:
            sys.exit("cluster.py --smoke: runs with loss or errors: %r" % bad)
        print("cluster bench smoke: ok")


if __name__ == "__main__":
    main()

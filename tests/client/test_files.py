#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_files.py: file transfer end to end (docs/protocol.md "Files", docs/batch.md "Files"): sizes at the chunk edges with the published file's bytes and SHA-256 checked against the sender's, a DM file only its recipient gets, offers above the auto-accept threshold wait for /accept, --max-file refusals, two transfers at once, a name already taken in the download folder; real sotto-relay and `sotto --batch` processes, one ctest per test_ function."""
import hashlib
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Proxy, check, check_eq  # noqa: E402
from test_client import Scene  # noqa: E402

CHUNK = 61440           # SOTTO_FILE_CHUNK
AUTO_MAX = 4 * 1024 * 1024


def pattern(n, seed=1):
    """n bytes that differ from chunk to chunk (a swapped or repeated chunk
    changes the file), reproducible."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d-%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def write(s, name, data):
    d = s.keys.path("out")
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def dl_dir(s, who):
    return s.keys.path("dl-" + who)


def pair(s, extra_b=(), extra_a=(), names=("alice", "bob"), ports=None, env_a=None,
         env_b=None):
    """alice and bob (and whoever else is named) ready in one room, each
    with its own download folder; returns the clients in names' order.
    ports: a relay port per name (a Proxy's), None for the relay's."""
    tr = s.keys.trusted("trusted", *names)
    out = []
    for i, n in enumerate(names):
        extra = ["--download-dir", dl_dir(s, n), "--file-resume", "60"]
        extra += list(extra_a if i == 0 else extra_b if i == 1 else ())
        c = s.client(n, tr, extra=extra, port=ports[i] if ports else None,
                     env=env_a if i == 0 else env_b if i == 1 else None)
        c.ready()
        out.append(c)
    for i, c in enumerate(out):
        for other in names[i + 1:]:
            c.wait("joined", name=other)
    return out


def received(c, data, timeout=30, **match):
    """c's file-received matching `match`, checked against data: size,
    SHA-256 and the very bytes at its path (0600, not executable)."""
    ev = c.wait("file-received", timeout=timeout, **match)
    want = hashlib.sha256(data).hexdigest()
    check_eq((ev["size"], ev["sha256"]), (len(data), want), "file-received fields")
    with open(ev["path"], "rb") as f:
        got = f.read()
    check(got == data, "the published file holds the sender's bytes (%d vs %d bytes)" %
          (len(got), len(data)))
    check_eq(os.stat(ev["path"]).st_mode & 0o777, 0o600, "published file mode")
    return ev


def no_temp_left(s, who):
    d = dl_dir(s, who)
    left = [n for n in os.listdir(d) if n.startswith(".sotto-")] if os.path.isdir(d) else []
    check_eq(left, [], "temp files left in %s's download folder" % who)


def send_and_check(data, name):
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        p = write(s, name, data)
        a.send("/send " + p)
        mine = a.wait("file-offer", outgoing=True)
        check_eq((mine["file"], mine["size"], mine["private"]), (name, len(data), False),
                 "alice's own offer")
        off = b.wait("file-offer", outgoing=False)
        check_eq((off["name"], off["file"], off["size"], off["auto"], off["waiting"]),
                 ("alice", name, len(data), True, False), "bob's offer line")
        check_eq(off["sha256"], hashlib.sha256(data).hexdigest(), "the offer's SHA-256")
        ev = received(b, data, n=off["n"])
        check_eq((os.path.basename(ev["path"]), ev["name"], ev["file"]),
                 (name, "alice", name), "published name")
        sent = a.wait("file-sent", n=mine["n"])
        check_eq(sent["name"], "bob", "file-sent names the receiver")
        prog = [e for e in b.all("file-progress") if e["n"] == off["n"]]
        if data:
            check(prog and prog[-1]["done"] == len(data), "a last progress at 100 %%: %r" % prog)
        no_temp_left(s, "bob")
        check_eq(b.all("file-failed") + a.all("file-failed"), [], "no failure")
        check_eq(a.all("rejected") + b.all("rejected"), [], "nothing refused")


def test_zero_bytes():
    """An empty file: offered, published (0 bytes), DONE back to the sender."""
    send_and_check(b"", "empty.txt")


def test_one_byte():
    """One byte: one short chunk."""
    send_and_check(b"x", "one.bin")


def test_one_chunk():
    """Exactly one chunk (61440 bytes, SOTTO_FILE_CHUNK): no second, empty chunk."""
    send_and_check(pattern(CHUNK, 2), "chunk.bin")


def test_several_chunks():
    """300 KiB and a bit: six chunks, the last one short; the published bytes and
    SHA-256 are the sender's."""
    send_and_check(pattern(300 * 1024 + 123, 3), "several.bin")


def test_dm_file():
    """/send bob PATH goes inside a DM: bob gets a private offer and the
    file; carol, in the same room, gets no file event and nothing refused
    (the chunks were never routed to her); alice's room line after it
    reaches carol, so she has processed everything alice sent before."""
    with Scene("alice", "bob", "carol") as s:
        a, b, c = pair(s, names=("alice", "bob", "carol"))
        data = pattern(100 * 1024, 4)
        p = write(s, "secret.bin", data)
        a.send("/send bob " + p)
        mine = a.wait("file-offer", outgoing=True)
        check_eq((mine["private"], mine["name"]), (True, "bob"), "alice's DM offer")
        off = b.wait("file-offer", outgoing=False)
        check_eq((off["private"], off["name"]), (True, "alice"), "bob's offer is private")
        ev = received(b, data, n=off["n"])
        check(ev["private"], "file-received says private")
        a.wait("file-sent", n=mine["n"])
        a.send("after the file")
        c.wait("message", text="after the file")
        b.wait("message", text="after the file")
        check_eq([e for e in c.events if e["event"].startswith("file-")], [],
                 "carol sees no file event")
        check_eq(c.all("rejected"), [], "carol was sent nothing to refuse")
        check(not os.path.isdir(dl_dir(s, "carol")) or
              os.listdir(dl_dir(s, "carol")) == [], "nothing in carol's folder")


def test_dm_file_unknown_name():
    """/send to a name that is not a member: a notice, nothing offered."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        p = write(s, "x.txt", b"x")
        a.send("/send nobody " + p)
        n = a.wait("notice", reason="no-such-member")
        check("nobody" in n["detail"], "names the target: %r" % n)
        a.send("/send " + p + ".missing")
        a.wait("notice", reason="no-such-file")
        check_eq(a.all("file-offer"), [], "nothing offered")


def test_waits_for_accept():
    """An offer above the auto-accept threshold (4 MiB) waits: no progress
    until /accept N, then the whole file arrives."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        data = pattern(AUTO_MAX + 1, 5)
        p = write(s, "big.bin", data)
        a.send("/send " + p)
        off = b.wait("file-offer", outgoing=False)
        check_eq((off["auto"], off["waiting"], off["size"]), (False, True, AUTO_MAX + 1),
                 "bob's offer waits")
        # A line alice sends after the offer has reached bob: anything the
        # offer would have started is on its way or here.
        a.send("after the offer")
        b.wait("message", text="after the offer")
        check_eq([e for e in b.events if e["event"] in ("file-progress", "file-received")],
                 [], "nothing received before /accept")
        check(not os.path.isdir(dl_dir(s, "bob")) or os.listdir(dl_dir(s, "bob")) == [],
              "no file in bob's folder before /accept")
        b.send("/accept 99")
        b.wait("notice", reason="no-such-transfer")
        b.send("/accept %d" % off["n"])
        received(b, data, timeout=60, n=off["n"])
        a.wait("file-sent")
        no_temp_left(s, "bob")


def test_accept_files_flag():
    """--accept-files takes an offer above the threshold by itself."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_b=["--accept-files"])
        data = pattern(AUTO_MAX + 1, 6)
        p = write(s, "big.bin", data)
        a.send("/send " + p)
        off = b.wait("file-offer", outgoing=False)
        check_eq((off["auto"], off["waiting"]), (True, False), "taken by itself")
        received(b, data, timeout=60, n=off["n"])


def test_max_file_refused():
    """bob's --max-file 1K refuses a 2 KiB offer: file-failed too-large on
    bob, a line naming bob at alice, nothing on bob's disk."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_b=["--max-file", "1K"])
        p = write(s, "two-k.bin", pattern(2048, 7))
        a.send("/send " + p)
        f = b.wait("file-failed", reason="too-large")
        check_eq((f["file"], f["outgoing"]), ("two-k.bin", False), "bob's failure")
        n = a.wait("notice", reason="file-refused")
        check("bob" in n["detail"] and "two-k.bin" in n["detail"], "alice's line: %r" % n)
        check_eq(b.all("file-offer"), [], "no offer line for a refused file")
        check(not os.path.isdir(dl_dir(s, "bob")) or os.listdir(dl_dir(s, "bob")) == [],
              "nothing written")
        # The limit is bob's alone: a smaller file still arrives.
        small = pattern(1000, 8)
        a.send("/send " + write(s, "small.bin", small))
        received(b, small)


def test_two_at_once():
    """Two files offered back to back travel together (chunks in turn) and
    both arrive whole."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        d1, d2 = pattern(1024 * 1024, 9), pattern(1024 * 1024 + 17, 10)
        a.send("/send " + write(s, "one.bin", d1), "/send " + write(s, "two.bin", d2))
        o1 = b.wait("file-offer", file="one.bin")
        o2 = b.wait("file-offer", file="two.bin")
        check(o1["n"] != o2["n"], "two transfer numbers")
        r1 = received(b, d1, n=o1["n"])
        r2 = received(b, d2, n=o2["n"])
        check(r1["path"] != r2["path"], "two files")
        # Interleaved: the second's first progress came before the first
        # one was complete (chunks go in turn, not one file after the other).
        idx = {id(e): i for i, e in enumerate(b.events)}
        first_done = idx[id(r1)]
        p2 = [e for e in b.all("file-progress") if e["n"] == o2["n"]]
        check(p2 and idx[id(p2[0])] < first_done, "transfers interleave")
        a.wait("file-sent", count=2)


def test_name_taken():
    """A download folder that already holds the name: never overwritten;
    the file arrives as "name (1).ext"."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        os.makedirs(dl_dir(s, "bob"), exist_ok=True)
        old = os.path.join(dl_dir(s, "bob"), "report.txt")
        with open(old, "wb") as f:
            f.write(b"bob's own report")
        data = b"alice's report\n"
        a.send("/send " + write(s, "report.txt", data))
        ev = received(b, data)
        check_eq(os.path.basename(ev["path"]), "report (1).txt", "the next free name")
        with open(old, "rb") as f:
            check_eq(f.read(), b"bob's own report", "the old file is untouched")


def test_cancel_waiting():
    """The sender's /cancel N ends bob's waiting offer (file-failed
    cancelled at both); bob's /accept of it then finds nothing."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        a.send("/send " + write(s, "big.bin", pattern(AUTO_MAX + 1, 11)))
        mine = a.wait("file-offer", outgoing=True)
        off = b.wait("file-offer", outgoing=False)
        a.send("/cancel %d" % mine["n"])
        a.wait("file-failed", reason="cancelled", n=mine["n"])
        b.wait("file-failed", reason="cancelled", n=off["n"])
        b.send("/accept %d" % off["n"])
        b.wait("notice", reason="no-such-transfer")


def cut(proxy):
    """Drop the client's connection through proxy (it reconnects through
    it: a new session of the same process)."""
    with proxy.lock:
        sock = proxy.client_sock
    sock.shutdown(socket.SHUT_RDWR)


def mid_way(c, size, **match):
    """Wait until c has seen a file-progress of the transfer strictly
    between 0 and size."""
    return ct.wait_until(
        lambda: [e for e in c.all("file-progress", **match) if 0 < e["done"] < size],
        20, "a transfer part way")[-1]


def progress_monotonic(c, n):
    done = [e["done"] for e in c.all("file-progress", n=n)]
    check(done == sorted(done), "progress never goes back (resumed, not restarted): %r" % done)


def test_line_during_transfer():
    """A line typed while a file is being sent overtakes the rest of the
    file: it waits behind one chunk at most, not behind the file."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_b=["--accept-files"])
        data = pattern(3 * 1024 * 1024, 12)
        a.send("/send " + write(s, "three.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mid_way(b, len(data), n=off["n"])
        a.send("typed during the file")
        b.wait("message", text="typed during the file")
        check_eq(b.all("file-received"), [], "the line came before the rest of the file")
        received(b, data, n=off["n"])


def event_time(c, kind, **match):
    """When c's reader took the first event of kind matching match."""
    with c.cond:
        for e, t in zip(c.events, c.times):
            if e["event"] == kind and all(e.get(k) == v for k, v in match.items()):
                return t
    raise ct.TestFailure("%s has no %s %r" % (c.name, kind, match))


def test_file_rate_bound():
    """--file-rate 2: five chunks leave at least 0.5 s apart, so the file
    takes at least 2 s from bob's offer line to his file-received (1.5 s
    checked: a slow machine only makes it longer). At the default 40
    chunks/s it takes about 0.1 s."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_a=["--file-rate", "2"])
        data = pattern(4 * CHUNK + 1, 21)
        a.send("/send " + write(s, "paced.bin", data))
        off = b.wait("file-offer", outgoing=False)
        received(b, data, n=off["n"])
        took = event_time(b, "file-received", n=off["n"]) - \
            event_time(b, "file-offer", n=off["n"])
        check(took >= 1.5, "5 chunks at 2 a second took %.2f s, not >= 1.5 s" % took)


def unpaced(relay_args):
    """alice sends 16 MiB with --file-rate 0 through a relay with
    relay_args; a line she types part way overtakes the rest of the file,
    and the file arrives whole."""
    with Scene("alice", "bob", relay_args=relay_args) as s:
        a, b = pair(s, extra_a=["--file-rate", "0"], extra_b=["--accept-files"])
        data = pattern(16 * 1024 * 1024, 22)
        a.send("/send " + write(s, "unpaced.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mid_way(b, len(data), n=off["n"])
        a.send("typed during an unpaced file")
        b.wait("message", text="typed during an unpaced file")
        check_eq(b.all("file-received"), [], "the line came before the rest of the file")
        received(b, data, timeout=120, n=off["n"])
        a.wait("file-sent", n=a.wait("file-offer", outgoing=True)["n"])


def test_unpaced_no_budget():
    """--file-rate 0 through a relay without a budget (--rate 0
    --rate-bytes 0): the sender is bounded only by what waits to be
    sent; the file arrives whole (its speed: docs/benchmarks.md)."""
    unpaced(["--rate", "0", "--rate-bytes", "0"])


def test_unpaced_default_budget():
    """--file-rate 0 through a relay with its default budget: the relay
    holds the sender's input, our kernel buffer fills, and the sender waits
    for it to drain (SIOCOUTQNSD) instead of queueing the file there; a
    typed line still overtakes the file and nothing is lost."""
    unpaced([])


def test_unpaced_held_input():
    """--file-rate 0, and the relay stops taking alice's input part way
    (a budget, a slow path): alice stops making chunks once about two wait
    unsent in her kernel, so a line she types then waits behind a few
    chunks, not behind the send buffer (up to 4 MiB on loopback) filled
    with the file. The proxy counts the chunk-sized frames ahead of the
    line once it reads again; without the SIOCOUTQNSD look there were
    48 (4-5 with it)."""
    with Scene("alice", "bob", relay_args=["--rate", "0", "--rate-bytes", "0"]) as s:
        proxy = Proxy(s.relay.port, up_frames=True)
        s.proxies.append(proxy)
        # A fixed receive buffer (the kernel doubles it: 128 KiB) that
        # cannot grow, so what the proxy's socket holds is bounded too.
        proxy.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        a, b = pair(s, extra_a=["--file-rate", "0"], extra_b=["--accept-files"],
                    ports=[proxy.port, None])
        data = pattern(32 * 1024 * 1024, 23)
        a.send("/send " + write(s, "held.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mine = a.wait("file-offer", outgoing=True)
        mid_way(b, len(data), n=off["n"])
        proxy.hold_up(True)
        # alice writes until something stops her; her progress standing
        # still for a second is that (the line must come after the backlog
        # is written, or a missing bound would go unseen).
        ct.wait_until(lambda: still(a, mine["n"], 1.0), 30, "alice's chunks to stop")
        with proxy.lock:
            before = len(proxy.up_frames)
        # A DM: sealed and queued at once, and echoed once it is.
        a.send("/msg bob typed while the relay holds alice")
        a.wait("message", private=True, text="typed while the relay holds alice")
        proxy.hold_up(False)
        b.wait("message", private=True, text="typed while the relay holds alice")
        with proxy.lock:
            sizes = proxy.up_frames[before:]
        small = [i for i, n in enumerate(sizes) if n < CHUNK // 2]
        check(small, "the line's frame passed the proxy: %r" % sizes[:80])
        ahead = sum(1 for n in sizes[:small[0]] if n >= CHUNK)
        # At most: the frame the proxy was reading when told to hold, its
        # 128 KiB (2), alice's unsent below 2 chunks plus the one then
        # added (3), her own buffer (1), one for rounding; measured 4-5.
        check(ahead <= 8, "%d chunks were ahead of the line (at most 8)" % ahead)
        received(b, data, timeout=120, n=off["n"])


def still(c, n, quiet):
    """Whether c's last file-progress of transfer n is older than quiet s."""
    with c.cond:
        ts = [t for e, t in zip(c.events, c.times)
              if e["event"] == "file-progress" and e.get("n") == n]
    return bool(ts) and time.monotonic() - ts[-1] >= quiet


def test_resume_receiver_cut():
    """bob's connection drops part way: his new session asks alice for the
    rest (ACCEPT at the next chunk) and the file arrives whole, its
    progress never going back."""
    with Scene("alice", "bob") as s:
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        a, b = pair(s, extra_b=["--accept-files"], ports=[None, pb.port])
        data = pattern(3 * 1024 * 1024, 13)
        a.send("/send " + write(s, "cut.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mid_way(b, len(data), n=off["n"])
        cut(pb)
        b.wait("disconnected")
        b.wait("ready", count=2)
        received(b, data, timeout=60, n=off["n"])
        progress_monotonic(b, off["n"])
        a.wait("file-sent")
        no_temp_left(s, "bob")


def test_resume_sender_cut():
    """alice's connection drops part way: once back she offers the same
    transfer again to bob, who goes on from where he was."""
    with Scene("alice", "bob") as s:
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a, b = pair(s, extra_b=["--accept-files"], ports=[pa.port, None])
        data = pattern(3 * 1024 * 1024, 14)
        a.send("/send " + write(s, "cut.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mid_way(b, len(data), n=off["n"])
        cut(pa)
        a.wait("disconnected")
        a.wait("ready", count=2)
        received(b, data, timeout=60, n=off["n"])
        progress_monotonic(b, off["n"])
        check_eq(len(b.all("file-offer")), 1, "the re-offer is the same transfer")
        no_temp_left(s, "bob")


def test_dm_resume_and_rotation():
    """A DM file goes on through a key rotation (carol leaves part way: a
    new epoch, so new pairwise keys) and through alice's connection
    dropping (her new session seals the re-offer and the rest under a
    new pairwise key to bob)."""
    with Scene("alice", "bob", "carol") as s:
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a, b, c = pair(s, extra_b=["--accept-files"], names=("alice", "bob", "carol"),
                       ports=[pa.port, None, None])
        data = pattern(4 * 1024 * 1024, 18)
        a.send("/send bob " + write(s, "dm.bin", data))
        off = b.wait("file-offer", outgoing=False)
        check(off["private"], "a DM file")
        mid_way(b, len(data), n=off["n"])
        c.quit()
        a.wait("rekeyed", reason="left")
        seen = len(b.all("file-progress", n=off["n"]))
        ct.wait_until(lambda: len(b.all("file-progress", n=off["n"])) > seen or
                      b.all("file-received"), 20, "progress after the rotation")
        if not b.all("file-received"):
            cut(pa)
            a.wait("disconnected")
        ev = received(b, data, timeout=60, n=off["n"])
        check(ev["private"], "received as a DM file")
        progress_monotonic(b, off["n"])
        check_eq(a.all("rejected") + b.all("rejected"), [], "nothing refused")


def test_sender_gone():
    """alice dies part way and does not come back within bob's
    --file-resume: file-interrupted, then file-failed sender-gone, and no
    file and no temp file at bob."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_b=["--accept-files", "--file-resume", "1"])
        data = pattern(3 * 1024 * 1024, 15)
        a.send("/send " + write(s, "gone.bin", data))
        off = b.wait("file-offer", outgoing=False)
        mid_way(b, len(data), n=off["n"])
        a.kill()
        b.wait("file-interrupted", n=off["n"])
        f = b.wait("file-failed", n=off["n"])
        check_eq(f["reason"], "sender-gone", "why it failed")
        check_eq(os.listdir(dl_dir(s, "bob")), [], "nothing in bob's folder")


def test_hostile_name():
    """A sender's name is untrusted (the test hook puts raw bytes on the
    wire): "../../x" with a bidi override lands as a plain name inside the
    download folder."""
    with Scene("alice", "bob") as s:
        raw = "../../\u202eevil.txt".encode()
        env = dict(os.environ, SOTTO_TEST_FILE_NAME_HEX=raw.hex())
        a, b = pair(s, env_a=env)
        data = b"payload"
        a.send("/send " + write(s, "plain.txt", data))
        ev = received(b, data)
        check_eq(os.path.dirname(ev["path"]), dl_dir(s, "bob"), "inside the folder")
        name = os.path.basename(ev["path"])
        check("/" not in name and not name.startswith(".") and "\u202e" not in name,
              "sanitised: %r" % name)
        check(name != "plain.txt" and name.endswith("evil.txt"),
              "the wire name was the hook's, not the basename: %r" % name)
        check_eq(ev["file"], name, "the event names the published file")


def test_stale_parts_removed():
    """At start, temp files a crash left in the download folder that are
    older than the resume window go; a fresh one (a transfer that may
    still resume) and a symlink named like one stay, its target untouched."""
    with Scene("alice", "bob") as s:
        d = dl_dir(s, "bob")
        os.makedirs(d, mode=0o700)
        old, fresh = (os.path.join(d, ".sotto-%s.part" % h) for h in ("0" * 16, "1" * 16))
        target = s.keys.path("target")
        link = os.path.join(d, ".sotto-%s.part" % ("2" * 16))
        for p in (old, fresh, target):
            with open(p, "wb") as f:
                f.write(b"partial")
        os.symlink(target, link)
        os.utime(old, (1, 1))
        os.utime(target, (1, 1))
        os.utime(link, (1, 1), follow_symlinks=False)
        pair(s)
        check(not os.path.exists(old), "the old temp file was removed")
        check(os.path.exists(fresh), "the fresh one stays")
        check(os.path.islink(link) and os.path.exists(target), "symlink and target stay")


def test_disk_limit():
    """bob runs under a file-size limit (RLIMIT_FSIZE 128 KiB): writing a
    300 KiB file hits EFBIG, which is file-failed disk (SIGXFSZ ignored: bob
    lives on) with no file and no temp file left; a small file still
    arrives."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        a = s.client("alice", tr, extra=["--download-dir", dl_dir(s, "alice")])
        a.ready()
        saved = ct.CLIENT_WRAPPER
        ct.CLIENT_WRAPPER = ["prlimit", "--fsize=131072"] + list(saved)
        try:
            b = s.client("bob", tr, extra=["--download-dir", dl_dir(s, "bob"),
                                           "--no-history"])
        finally:
            ct.CLIENT_WRAPPER = saved
        b.ready()
        a.wait("joined", name="bob")
        a.send("/send " + write(s, "big.bin", pattern(300 * 1024, 16)))
        f = b.wait("file-failed")
        check_eq(f["reason"], "disk", "why: %r" % f)
        check_eq(os.listdir(dl_dir(s, "bob")), [], "nothing left in bob's folder")
        small = pattern(1000, 17)
        a.send("/send " + write(s, "small.bin", small))
        received(b, small)


HASHED_BIG = 64 * 1024 * 1024      # 64 slices of hashing (XFER_HASH_SLICE, 1 MiB)


def sparse(s, name, size):
    """A file of size zero bytes that takes no disk (a hole)."""
    p = write(s, name, b"")
    with open(p, "r+b") as f:
        f.truncate(size)
    return p


def index_of(c, kind, **match):
    evs = c.all()
    for i, e in enumerate(evs):
        if e["event"] == kind and all(e.get(k) == v for k, v in match.items()):
            return i
    raise ct.TestFailure("no %s %r in %r" % (kind, match, evs))


def test_send_hashes_in_slices():
    """/send of a 64 MiB file and a chat line in one read of alice's stdin: the
    file is hashed a slice per loop turn, so the line goes out while it is
    hashed and bob has the line before the offer (it waited behind the whole
    hash when /send hashed at once). alice sees file-hashing, then file-offer
    with the same number and the file's SHA-256."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        p = sparse(s, "big-hole.bin", HASHED_BIG)
        a.send("/send " + p, "said while hashing")
        b.wait("message", text="said while hashing")
        off = b.wait("file-offer", outgoing=False, timeout=60)
        check(index_of(b, "message", text="said while hashing") <
              index_of(b, "file-offer"), "bob has the line before the offer: %r" % b.all())
        h = a.wait("file-hashing")
        check_eq((h["file"], h["size"], h["private"], h["name"]),
                 ("big-hole.bin", HASHED_BIG, False, None), "alice's file-hashing")
        mine = a.wait("file-offer", outgoing=True)
        check_eq(mine["n"], h["n"], "the offer is the transfer that was hashed")
        check(index_of(a, "file-hashing") < index_of(a, "file-offer"),
              "file-hashing comes first")
        want = hashlib.sha256(b"\0" * HASHED_BIG).hexdigest()
        check_eq((mine["sha256"], off["sha256"]), (want, want), "the offered SHA-256")


def test_cancel_while_hashing():
    """/send of a 64 MiB file to bob and /cancel of it in the same read: the
    cancel lands while the file is hashed; alice's transfer ends with
    file-failed cancelled, nothing is offered (bob has alice's next line and
    no offer) and nothing is sent for it."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        p = sparse(s, "never.bin", HASHED_BIG)
        # A fresh client's first transfer is number 1.
        a.send("/send bob " + p, "/cancel 1")
        h = a.wait("file-hashing")
        check_eq((h["n"], h["name"], h["private"]), (1, "bob", True), "alice's file-hashing")
        f = a.wait("file-failed", n=1)
        check_eq(f["reason"], "cancelled", "why: %r" % f)
        a.send("after the cancel")
        b.wait("message", text="after the cancel")
        check_eq(a.all("file-offer"), [], "alice offered nothing")
        check_eq([e for e in b.all() if e["event"].startswith("file-") or
                  e["event"] in ("rejected", "notice") and "file" in e.get("reason", "")],
                 [], "bob heard nothing of it")


def test_shrunk_while_hashing():
    """A 2 GiB file (a hole: no disk) cut to 1 MiB once alice says she is hashing
    it (a slice of 1 MiB per loop turn: some 2000 turns, seconds; the cut comes
    within milliseconds of file-hashing): her transfer ends with file-failed
    read-failed (its size changed while it was read), nothing is offered, and
    she chats on."""
    size = 2 * 1024 * 1024 * 1024
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_a=["--max-file", "4G"])
        p = sparse(s, "shrinks.bin", size)
        a.send("/send " + p)
        h = a.wait("file-hashing")
        with open(p, "r+b") as f:
            f.truncate(1024 * 1024)
        f = a.wait("file-failed", n=h["n"], timeout=60)
        check_eq(f["reason"], "read-failed", "why: %r" % f)
        check("size changed" in f["detail"], "says why: %r" % f)
        a.send("after the cut")
        b.wait("message", text="after the cut")
        check_eq(a.all("file-offer") + b.all("file-offer"), [], "nothing offered")


def read_pos(pid, path):
    """Where process pid's descriptor of path is (/proc/PID/fdinfo), or None
    when it has none: how far a /send has hashed the file."""
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            if os.readlink(os.path.join(d, fd)) != path:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


def test_dm_hashed_while_reconnecting():
    """alice's /send bob of a 2 GiB file (a hole: seconds of hashing) and her
    connection drops while it is hashed; the hash ends while she is still
    away (the relay does not get her input: she cannot join again). The
    offer waits for the room (docs/batch.md file-hashing: not-ready until
    --file-resume), it does not fail because bob is not in her empty member
    table then: once she is back bob gets the offer, the transfer she was
    told about. Before: file-failed not-in-room as the hash ended."""
    size = 2 * 1024 * 1024 * 1024
    with Scene("alice", "bob") as s:
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        a, b = pair(s, extra_a=["--max-file", "4G"], extra_b=["--max-file", "4G"],
                    ports=[pa.port, None])
        p = os.path.realpath(sparse(s, "away.bin", size))
        a.send("/send bob " + p)
        h = a.wait("file-hashing")
        pa.hold_up(True)
        cut(pa)
        a.wait("disconnected")
        pos = read_pos(a.proc.pid, p)
        check(pos is not None and pos < size,
              "still hashing when alice is cut (pos %r of %d)" % (pos, size))
        # Done: the whole file read, or the descriptor closed (the
        # transfer ended).
        ct.wait_until(lambda: read_pos(a.proc.pid, p) in (None, size), 120,
                      "alice's hash of the file done")
        check_eq(a.all("file-failed") + a.all("file-offer"), [],
                 "nothing offered or failed while alice is away")
        check_eq(a.all("ready"), a.all("ready")[:1], "alice is not back yet")
        pa.hold_up(False)
        off = b.wait("file-offer", outgoing=False, timeout=60)
        mine = a.wait("file-offer", outgoing=True)
        check_eq((mine["n"], mine["private"], off["private"], off["size"]),
                 (h["n"], True, True, size), "the hashed transfer, offered to bob")
        check_eq(a.all("file-failed"), [], "alice's transfer did not fail")


def test_many_sends_hash_one_at_a_time():
    """Four /send of 64 MiB files in one read: one file is hashed at a time,
    oldest first, so a loop turn hashes one slice however many /send wait
    (docs/design-dm-files.md: a slice is the most a keystroke waits
    behind). Seen through alice's descriptors (/proc fdinfo), newest file
    first so a file finished between two looks cannot pass for two under
    way: never more than one is past its first slice (hashed in /send) and
    not done. All four are offered, in order. Before: all four advanced
    together, four slices a turn."""
    # What /send hashes itself: reads of a chunk until XFER_HASH_SLICE
    # (1 MiB) is reached, 18 of them.
    first = -(-1024 * 1024 // CHUNK) * CHUNK
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        paths = [os.path.realpath(sparse(s, "many-%d.bin" % i, HASHED_BIG))
                 for i in range(4)]
        a.send(*["/send " + p for p in paths])
        a.wait("file-hashing", count=4)
        deadline = time.monotonic() + 120
        looks = 0
        while True:
            pos = [read_pos(a.proc.pid, p) for p in reversed(paths)]
            looks += 1
            busy = [p for p in pos if p is not None and first < p < HASHED_BIG]
            check(len(busy) <= 1, "one file hashed at a time: %r (newest first)" % pos)
            if all(p == HASHED_BIG for p in pos):
                break
            check(time.monotonic() < deadline, "hashes done within 120 s: %r" % pos)
        a.wait("file-offer", outgoing=True, count=4)
        offers = [e["file"] for e in a.all("file-offer", outgoing=True)]
        check_eq(offers, ["many-%d.bin" % i for i in range(4)], "offered in /send order")


def test_cancel_hashed_while_others_wait():
    """Three /send of 64 MiB files and /cancel of the first, in one read: the
    first ends cancelled while it is hashed (the only one under way), and
    the two waiting behind it are hashed and offered all the same."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        paths = [sparse(s, "queue-%d.bin" % i, HASHED_BIG) for i in range(3)]
        # A fresh client's transfers are numbered 1, 2, 3.
        a.send(*(["/send " + p for p in paths] + ["/cancel 1"]))
        f = a.wait("file-failed", n=1)
        check_eq(f["reason"], "cancelled", "why: %r" % f)
        a.wait("file-offer", outgoing=True, count=2, timeout=60)
        check_eq(sorted(e["n"] for e in a.all("file-offer", outgoing=True)), [2, 3],
                 "the two behind it offered")
        b.wait("file-offer", outgoing=False, count=2)


def test_quit_while_hashing():
    """/quit while three files wait to be hashed (one under way): alice exits
    0 at once, with nothing for ASan/LeakSanitizer to report (each file's
    timer stopped and its SHA-256 context freed), and offers nothing."""
    size = 2 * 1024 * 1024 * 1024
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_a=["--max-file", "4G"])
        paths = [sparse(s, "quit-%d.bin" % i, size) for i in range(3)]
        a.send(*["/send " + p for p in paths])
        a.wait("file-hashing", count=3)
        check_eq(a.quit(), 0, "alice's exit status; stderr %r" % a.stderr())
        a.no_bad_output()
        check("Sanitizer" not in a.stderr(), "no sanitizer report: %r" % a.stderr())
        check_eq(a.all("file-offer") + b.all("file-offer"), [], "nothing offered")


def test_send_not_regular():
    """/send of a FIFO answers not-a-file at once (open(2) of a FIFO with
    no writer used to block alice's whole client); a /proc file, whose size
    says 0 while it reads more, is read-failed, not an empty offer with a
    hash that matches nothing; alice's next line still goes out."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        d = s.keys.path("out")
        os.makedirs(d, exist_ok=True)
        fifo = os.path.join(d, "pipe")
        os.mkfifo(fifo)
        a.send("/send " + fifo)
        a.wait("notice", reason="not-a-file")
        a.send("/send /proc/self/status")
        n = a.wait("notice", reason="read-failed")
        check("size changed" in n["detail"], "says why: %r" % n)
        a.send("after the refusals")
        b.wait("message", text="after the refusals")
        check_eq(a.all("file-offer") + b.all("file-offer"), [], "nothing offered")


def test_strict_holds_room_files():
    """bob runs --strict; dave, whom bob does not trust, reads the room
    (alice hands him the key). While dave is there nothing room-wide of a
    file leaves bob: neither his /accept of alice's room offer nor the
    CANCEL of his own room offer (a DM to alice sent after both arrives
    and alice has seen neither). Once dave has left both go: alice's file
    reaches bob, alice learns bob cancelled his."""
    with Scene("alice", "bob", "dave") as s:
        tr_a = s.keys.trusted("ta", "alice", "bob", "dave")
        tr_b = s.keys.trusted("tb", "alice", "bob")

        def opts(n):
            return ["--download-dir", dl_dir(s, n), "--file-resume", "60"]
        a = s.client("alice", tr_a, extra=opts("alice"))
        a.ready()
        b = s.client("bob", tr_b, extra=opts("bob") + ["--strict"])
        b.ready()
        a.wait("joined", name="bob")
        mine = write(s, "bobs.bin", pattern(AUTO_MAX + 1, 20))
        b.send("/send " + mine)
        bob_off = b.wait("file-offer", outgoing=True)
        a.wait("file-offer", outgoing=False, name="bob")
        data = pattern(AUTO_MAX + 2, 21)
        a.send("/send " + write(s, "alices.bin", data))
        a_off = a.wait("file-offer", outgoing=True)
        off = b.wait("file-offer", outgoing=False, name="alice")
        check(off["waiting"], "above the threshold: waits for /accept")

        d = s.client("dave", tr_a, extra=opts("dave"))
        d.ready()
        b.wait("untrusted-joined")
        b.send("/accept %d" % off["n"])
        b.send("/cancel %d" % bob_off["n"])
        b.wait("file-failed", n=bob_off["n"])
        b.send("/msg alice behind them")
        a.wait("message", text="behind them")
        check_eq([e for e in a.all("file-progress") if e["n"] == a_off["n"]], [],
                 "bob's ACCEPT was held: alice sent nothing")
        check_eq(a.all("file-failed"), [], "bob's CANCEL was held")

        check_eq(d.quit(), 0, "dave's exit status")
        b.wait("untrusted-left")
        received(b, data, n=off["n"])
        f = a.wait("file-failed", name="bob")
        check_eq(f["reason"], "cancelled", "bob's cancel arrives: %r" % f)


def test_rewinding_accepter():
    """mallory (test hook SOTTO_TEST_FILE_REWIND) accepts alice's 5 MiB room
    file and asks for it from chunk 0 again every half second. Accepters
    take turns, so bob still gets the whole file (he starved before: the
    one furthest behind went first); after XFER_BACK_MAX such ACCEPTs alice
    stops serving mallory (CANCEL busy: mallory's file-failed, a line at
    alice)."""
    with Scene("alice", "bob", "mallory") as s:
        names = ("alice", "bob", "mallory")
        tr = s.keys.trusted("trusted", *names)
        cl = []
        for n in names:
            extra = ["--download-dir", dl_dir(s, n), "--file-resume", "60",
                     "--accept-files"]
            env = (dict(os.environ, SOTTO_TEST_FILE_REWIND="1") if n == "mallory"
                   else None)
            c = s.client(n, tr, extra=extra, env=env)
            c.ready()
            cl.append(c)
        a, b, m = cl
        a.wait("joined", name="bob")
        a.wait("joined", name="mallory")
        data = pattern(5 * 1024 * 1024, 22)
        a.send("/send " + write(s, "shared.bin", data))
        received(b, data, timeout=40)
        f = m.wait("file-failed", timeout=40)
        check_eq(f["reason"], "cancelled", "mallory is cut off: %r" % f)
        n = a.wait("notice", reason="file-not-received")
        check("mallory" in n["detail"], "alice says who: %r" % n)


def test_no_confirmation():
    """bob (test hook SOTTO_TEST_FILE_NO_DONE) takes alice's DM file and
    never says DONE. alice (--file-resume 3: the wait for a confirmation is
    the shorter of 120 s and the resume window) gives up on it with
    file-failed no-confirmation instead of holding the file and one of her
    16 offer slots for as long as bob stays."""
    with Scene("alice", "bob") as s:
        env = dict(os.environ, SOTTO_TEST_FILE_NO_DONE="1")
        a, b = pair(s, extra_a=["--file-resume", "3"], env_b=env)
        data = pattern(2000, 23)
        a.send("/send bob " + write(s, "kept.bin", data))
        mine = a.wait("file-offer", outgoing=True)
        received(b, data)
        f = a.wait("file-failed", n=mine["n"], timeout=30)
        check_eq(f["reason"], "no-confirmation", "why: %r" % f)
        check_eq(a.all("file-sent"), [], "never confirmed")


def test_offers_busy():
    """8 DM offers from alice wait at bob (above 4 MiB): the 9th is answered
    CANCEL busy, so alice's 9th ends (file-failed busy) instead of hanging
    until she gives up; bob says once that he ignores further offers."""
    with Scene("alice", "bob") as s:
        a, b = pair(s)
        p = write(s, "big.bin", pattern(AUTO_MAX + 1, 24))
        for _ in range(9):
            a.send("/send bob " + p)
        mine = [a.wait("file-offer", outgoing=True, count=i + 1) for i in range(9)]
        b.wait("file-offer", outgoing=False, count=8)
        b.wait("notice", reason="file-offers-ignored")
        f = a.wait("file-failed")
        check_eq((f["n"], f["reason"]), (mine[8]["n"], "busy"), "the 9th: %r" % f)


def test_offer_expires():
    """An offer bob never takes expires after his resume window
    (--file-resume 3): file-failed timeout at bob, and alice is told (a
    room offer: a notice file-refused), instead of the offer holding one
    of bob's slots for as long as alice stays."""
    with Scene("alice", "bob") as s:
        a, b = pair(s, extra_b=["--file-resume", "3"])
        a.send("/send " + write(s, "big.bin", pattern(AUTO_MAX + 1, 25)))
        off = b.wait("file-offer", outgoing=False)
        check(off["waiting"], "waits for /accept")
        f = b.wait("file-failed", n=off["n"], timeout=20)
        check_eq(f["reason"], "timeout", "why: %r" % f)
        n = a.wait("notice", reason="file-refused")
        check("bob" in n["detail"], "names bob: %r" % n)


def test_reoffer_after_end():
    """bob received alice's DM file but his DONE was lost (test hook
    SOTTO_TEST_FILE_NO_DONE). alice's connection drops; back, she offers the
    transfer again: bob answers it with DONE from his memory of ended
    transfers (alice: file-sent) instead of taking it as a new file and
    saving it a second time."""
    with Scene("alice", "bob") as s:
        pa = Proxy(s.relay.port)
        s.proxies.append(pa)
        env = dict(os.environ, SOTTO_TEST_FILE_NO_DONE="1")
        a, b = pair(s, ports=[pa.port, None], env_b=env)
        data = pattern(5000, 26)
        a.send("/send bob " + write(s, "once.bin", data))
        mine = a.wait("file-offer", outgoing=True)
        received(b, data)
        cut(pa)
        a.wait("disconnected")
        a.wait("ready", count=2)
        sent = a.wait("file-sent", n=mine["n"], timeout=30)
        check_eq(sent["name"], "bob", "confirmed by bob")
        check_eq(len(b.all("file-offer")), 1, "the re-offer is no new transfer")
        check_eq(len(b.all("file-received")), 1, "saved once")
        check_eq(sorted(os.listdir(dl_dir(s, "bob"))), ["once.bin"], "one file")


def test_send_ambiguous():
    """`/send bob NAME` where both "bob NAME" and NAME are files in the
    working folder, and bob is trusted: refused as ambiguous (it used to
    become a room file, a confidentiality downgrade chosen by the file
    system); `bob ./NAME` sends the DM, `./bob NAME` the room file."""
    with Scene("alice", "bob", "carol") as s:
        a, b, c = pair(s, names=("alice", "bob", "carol"))
        base = "ambig-%d.bin" % os.getpid()
        here = os.getcwd()
        both = os.path.join(here, "bob " + base)
        rest = os.path.join(here, base)
        try:
            with open(both, "wb") as f:
                f.write(b"room?")
            with open(rest, "wb") as f:
                f.write(b"dm?")
            a.send("/send bob " + base)
            n = a.wait("notice", reason="ambiguous")
            check(base in n["detail"], "names the file: %r" % n)
            check_eq(a.all("file-offer"), [], "nothing offered")
            a.send("/send bob ./" + base)
            mine = a.wait("file-offer", outgoing=True)
            check_eq((mine["private"], mine["name"]), (True, "bob"), "the DM reading")
            received(b, b"dm?")
            a.send("/send ./bob " + base)
            room = a.wait("file-offer", outgoing=True, count=2)
            check_eq(room["private"], False, "the room reading")
            received(c, b"room?")
        finally:
            for p in (both, rest):
                if os.path.exists(p):
                    os.unlink(p)


def test_send_errors_end():
    """Every chunk alice seals fails (test hook SOTTO_TEST_FILE_CHUNK_FAIL):
    after 3 in a row her DM file ends, file-failed other, and bob is told
    (CANCEL: file-failed cancelled), instead of alice retrying 40 times a
    second for ever."""
    with Scene("alice", "bob") as s:
        env = dict(os.environ, SOTTO_TEST_FILE_CHUNK_FAIL="1")
        a, b = pair(s, env_a=env)
        a.send("/send bob " + write(s, "never.bin", pattern(3000, 27)))
        mine = a.wait("file-offer", outgoing=True)
        f = a.wait("file-failed", n=mine["n"])
        check_eq(f["reason"], "other", "why: %r" % f)
        g = b.wait("file-failed")
        check_eq(g["reason"], "cancelled", "bob is told: %r" % g)


TESTS = {name[5:]: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_files_attack.py: file transfer under attack and bad luck (docs/design-dm-files.md "Resume and failure", "Receiving to disk"): a relay that drops, duplicates, reorders or flips one chunk, hostile names, two transfers at once, a sender killed or cut mid-way, a full disk, 100 MiB; real relays and `sotto --batch` processes, one ctest per test_ function.

The promise every test checks at the end: the receiver's download folder
holds nothing but correct files (each one byte for byte the file sent),
under sanitised names, and no temporary `.part` file once a transfer has
ended either way.
"""
import hashlib
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Proxy, TestFailure, check, check_eq, frame  # noqa: E402
from test_client import Scene  # noqa: E402

HOSTILE_RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile",
                             "hostile_relay.py")


def wire_constant(name):
    """A numeric #define of shared/wire-files.h or shared/wire.h (the chunk
    size is the design's to change; the tests follow it)."""
    shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared")
    for fn in ("wire-files.h", "wire.h"):
        path = os.path.join(shared, fn)
        if os.path.exists(path):
            with open(path) as f:
                m = re.search(r"#define\s+%s\s+(\d+)u?\b" % name, f.read())
            if m:
                return int(m.group(1))
    raise TestFailure("%s not found in shared/wire*.h" % name)


CHUNK = wire_constant("SOTTO_FILE_CHUNK")
CHUNK_BODY_MIN = 17000                 # hostile_relay.py: a DAT body longer is a chunk
TRANSFER_TIMEOUT = 60.0                # s for a few MiB on a loaded machine (scaled)
BIG = 100 * 1024 * 1024                # the 100 MiB test


# --- helpers ------------------------------------------------------------------

def make_file(path, size):
    """size random bytes at path; returns their SHA-256 (hex)."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            block = os.urandom(min(left, 1 << 20))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_dir(s, name):
    d = s.keys.path("dl-" + name)
    os.makedirs(d, mode=0o700)
    return d


def receiver_args(dl, *more):
    return ["--download-dir", dl] + list(more)


def check_folder(dl, want):
    """dl holds exactly the files of want (name -> sha256 hex): regular
    files, not executable, nothing else (no .part, no other name)."""
    names = sorted(os.listdir(dl))
    check_eq(names, sorted(want), "the download folder's entries")
    for n, digest in want.items():
        p = os.path.join(dl, n)
        st = os.lstat(p)
        check(os.path.isfile(p) and not os.path.islink(p), "%s is a regular file" % n)
        check_eq(st.st_mode & 0o111, 0, "%s is not executable (mode %o)" % (n, st.st_mode))
        check_eq(sha256_of(p), digest, "the content of %s" % n)


class FolderWatch:
    """Lists a download folder every few ms while a transfer runs: the
    temporary file must be hidden (`.sotto-*.part`) and a visible name must
    only ever appear whole (temp file + rename), never growing."""

    def __init__(self, dl):
        self.dl = dl
        self.seen = {}               # name -> sizes seen
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_ev.is_set():
            for n in os.listdir(self.dl):
                try:
                    size = os.lstat(os.path.join(self.dl, n)).st_size
                except FileNotFoundError:
                    continue                    # renamed or removed meanwhile
                self.seen.setdefault(n, set()).add(size)
            time.sleep(0.005)

    def check(self, final, saw_temp=False):
        """final: name -> size of what was published. saw_temp: the
        transfer lasted long enough (seconds) that the watch must have seen
        the temporary file, so it cannot have passed without looking."""
        self.stop_ev.set()
        self.thread.join()
        for n, sizes in self.seen.items():
            if n in final:
                check_eq(sizes, {final[n]}, "%s only ever seen whole" % n)
            else:
                check(re.fullmatch(r"\.sotto-[0-9a-f]+\.part", n) is not None,
                      "only hidden temp files besides the published ones: %r" % n)
        if saw_temp:
            check(any(n not in final for n in self.seen),
                  "the watch saw the temporary file (it ran during the transfer)")


def outcome(client, n, timeout=TRANSFER_TIMEOUT, others=()):
    """The file-received or file-failed event of incoming transfer n, once
    there is one. others: clients (and relays) whose state a failure shows."""
    def done():
        evs = [e for e in client.all("file-received", n=n)] + \
              [e for e in client.all("file-failed", n=n) if not e.get("outgoing")]
        return evs[0] if evs else None
    return ct.wait_until(done, timeout, "%s: transfer %d to end" % (client.name, n),
                         step=0.05, dump=lambda: "events %r\n%s" % (
                             client.events[-20:], "\n".join(describe(o) for o in others)))


def describe(o):
    """A client's last events and stderr, or a hostile relay's log tail."""
    if isinstance(o, HostileRelay):
        with open(o.log) as f:
            return "relay log tail:\n" + "".join(f.readlines()[-30:])
    return "%s events %r\n%s stderr: %s" % (o.name, o.events[-15:], o.name, o.stderr()[-3000:])


def check_received(ev, dl, digest, size):
    check_eq(ev["event"], "file-received", "the transfer's end: %r" % ev)
    check_eq((ev["sha256"], ev["size"]), (digest, size), "sha256 and size reported")
    check_eq(os.path.dirname(os.path.realpath(ev["path"])), os.path.realpath(dl),
             "published inside the download folder")
    # Under the name shown, or `stem (N).ext` when that was taken.
    stem, ext = os.path.splitext(ev["file"])
    check(re.fullmatch(re.escape(stem) + r"( \([1-9][0-9]?\))?" + re.escape(ext),
                       os.path.basename(ev["path"])) is not None,
          "published under the name shown: %r for %r" % (ev["path"], ev["file"]))
    check_eq(sha256_of(ev["path"]), digest, "the published bytes")


def still_chatting(a, b, tag):
    a.send("after %s from %s" % (tag, a.name))
    b.wait("message", text="after %s from %s" % (tag, a.name))
    b.send("after %s from %s" % (tag, b.name))
    a.wait("message", text="after %s from %s" % (tag, b.name))


def relay_log(path):
    with open(path) as f:
        # A record being written has no newline yet: left for a later look.
        return [json.loads(ln) for ln in f if ln.endswith("\n") and ln.strip()]


class HostileRelay:
    """tests/hostile/hostile_relay.py with one chunk mode, on the K-th chunk."""

    def __init__(self, s, mode, k, every=0):
        """every: act again on every `every`-th chunk after the K-th
        (unbounded); 0: once."""
        self.log = s.keys.path("hostile-%s.log" % mode)
        self.proc = subprocess.Popen([sys.executable, HOSTILE_RELAY, "--mode", mode,
                                      "--chunk", str(k), "--chunk-every", str(every),
                                      "--faults", "-1" if every else "1",
                                      "--log", self.log],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def faults(self):
        return [r for r in relay_log(self.log) if r["ev"] == "copy" and r["kind"] != "ok"]

    def chunks_to(self, member_id=None):
        return [r for r in relay_log(self.log) if r["ev"] == "copy" and r["type"] == "DAT"
                and r["to"] != 0 and r["len"] > CHUNK_BODY_MIN and
                (member_id is None or r["dst"] == member_id)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --- one chunk attacked --------------------------------------------------------

# mode -> (fault kind the relay logs, the rejection the receiver reports
# for it, or None). Every mode must end in a verified file: the receiver
# re-asks from the first missing chunk (ACCEPT index=expected) and the
# sender goes back there (design "Resume and failure").
CHUNK_FAULTS = {
    "drop-chunk": ("drop", None),
    "dup-chunk": ("dup", "replay"),
    "reorder-chunk": ("late", "replay"),
    "flip-chunk": ("flip", "bad-signature"),
}
N_CHUNKS = 5
K = 3                       # the chunk attacked: the third


def chunk_attack(mode, private=False):
    kind, reason = CHUNK_FAULTS[mode]
    with Scene("alice", "bob") as s:
        relay = HostileRelay(s, mode, K)
        try:
            tr = s.keys.trusted("trusted", "alice", "bob")
            dl = download_dir(s, "bob")
            a = s.client("alice", tr, port=relay.port)
            a.ready()
            b = s.client("bob", tr, port=relay.port, extra=receiver_args(dl))
            b.ready()
            a.wait("joined", name="bob")
            src = s.keys.path("chunks.bin")
            digest = make_file(src, N_CHUNKS * CHUNK)
            watch = FolderWatch(dl)
            a.send(("/send bob " if private else "/send ") + src)
            off = b.wait("file-offer")
            check_eq((off["file"], off["size"], off["sha256"], off["private"], off["auto"]),
                     ("chunks.bin", N_CHUNKS * CHUNK, digest, private, True),
                     "bob's offer (5 chunks, auto-accepted)")
            ev = outcome(b, off["n"], others=(a, relay))
            check_received(ev, dl, digest, N_CHUNKS * CHUNK)
            watch.check({os.path.basename(ev["path"]): N_CHUNKS * CHUNK})
            a.wait("file-sent")
            faults = relay.faults()
            check_eq([(f["kind"], f["chunk"]) for f in faults], [(kind, K)],
                     "the relay attacked chunk %d once" % K)
            got = [(r["reason"]) for r in b.all("rejected")]
            check_eq(got, [reason] if reason else [], "bob's rejections")
            check_eq(a.all("rejected"), [], "nothing refused at alice")
            check_eq(b.all("file-failed") + a.all("file-failed"), [], "nothing failed")
            check_folder(dl, {"chunks.bin": digest})
            still_chatting(a, b, mode)
        finally:
            relay.stop()


def test_drop_chunk():
    """The relay withholds the 3rd of 5 chunks: bob re-asks from it, alice re-sends, bob publishes the right file; no rejection (he never saw it)."""
    chunk_attack("drop-chunk")


def test_dup_chunk():
    """The relay delivers the 3rd chunk twice: the copy is one `replay`, the file is right."""
    chunk_attack("dup-chunk")


def test_reorder_chunks():
    """The relay delivers the 3rd chunk after the 4th: the late one is a `replay`, bob re-asks from the 3rd, the file is right."""
    chunk_attack("reorder-chunk")


def test_flip_chunk():
    """The relay flips one byte in the 3rd chunk: `bad-signature`, the chunk never reaches the file, bob re-asks, the file is right."""
    chunk_attack("flip-chunk")


def test_drop_chunk_private():
    """As drop_chunk for a DM file (`/send bob PATH`: chunks inside the DM envelope)."""
    chunk_attack("drop-chunk", private=True)


def test_flip_chunk_private():
    """As flip_chunk for a DM file."""
    chunk_attack("flip-chunk", private=True)


def test_drop_every_other_chunk():
    """The relay drops every second chunk from the 3rd on, re-sent ones included: bob re-asks (at most SOTTO_FILE_REREQ_MAX times), then gives up with file-failed `lost-chunks`; nothing published, no .part, alice is told, both still chat."""
    n_chunks = 20
    with Scene("alice", "bob") as s:
        relay = HostileRelay(s, "drop-chunk", 3, every=2)
        try:
            tr = s.keys.trusted("trusted", "alice", "bob")
            dl = download_dir(s, "bob")
            a = s.client("alice", tr, port=relay.port)
            a.ready()
            b = s.client("bob", tr, port=relay.port, extra=receiver_args(dl))
            b.ready()
            a.wait("joined", name="bob")
            src = s.keys.path("lossy.bin")
            make_file(src, n_chunks * CHUNK)
            a.send("/send " + src)
            off = b.wait("file-offer")
            ev = outcome(b, off["n"], timeout=120, others=(a, relay))
            # lost-chunks, not timeout: the losses are counted.
            check_eq((ev["event"], ev.get("reason")), ("file-failed", "lost-chunks"),
                     "bob: %r" % ev)
            check(len(relay.faults()) >= 2, "the relay dropped several chunks")
            check_folder(dl, {})
            ct.wait_until(lambda: a.all("file-failed", outgoing=True) or
                          a.all("notice", reason="file-not-received"),
                          20, "alice told of bob's failure", dump=lambda: describe(a))
            still_chatting(a, b, "the losses")
        finally:
            relay.stop()


def test_cancel_repeated():
    """bob refuses alice's room offer (too large for his --max-file) and, hostile
    (test hook SOTTO_TEST_FILE_CANCEL_REPEAT=4), sends his CANCEL four more times,
    each a fresh DAT that passes every check: alice reports bob's refusal once (one
    notice file-refused), not five times; a second offer is a new transfer and gets
    its own line."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr)
        a.ready()
        env = dict(os.environ, SOTTO_TEST_FILE_CANCEL_REPEAT="4")
        b = s.client("bob", tr, extra=receiver_args(dl, "--max-file", "1K"), env=env)
        b.ready()
        a.wait("joined", name="bob")
        for k in (1, 2):
            src = s.keys.path("refused-%d.bin" % k)
            make_file(src, 2048)
            a.send("/send " + src)
            b.wait("file-failed", reason="too-large", count=k)
            rep = b.wait("notice", reason="test-cancel-repeated", count=k)
            check("4 more" in rep["detail"], "bob sent his CANCEL 4 more times: %r" % rep)
            # After the repeats, in bob's order: once alice has this line, she has
            # read every CANCEL before it.
            b.send("after the cancels %d" % k)
            a.wait("message", text="after the cancels %d" % k)
            refused = a.all("notice", reason="file-refused")
            check_eq(len(refused), k, "alice's file-refused lines after offer %d: %r" %
                     (k, refused))
        check("refused-2.bin" in refused[1]["detail"], "the second line is the second "
              "offer's: %r" % refused[1])
        check_folder(dl, {})
        check_eq(a.all("rejected"), [], "nothing rejected at alice")


def test_told_list_full_accepter_done():
    """The list of members whose end of a room offer was reported (32,
    XFER_TOLD_MAX; 1 here by the test hook SOTTO_TEST_XFER_TOLD_MAX) fills
    with refusals (bob's: too large for him), as in a room of more than 32;
    carol then accepts and receives the file: alice still hears that carol
    has it (file-sent): an accepter's end is reported once per acceptance
    whatever the list holds; past it only refusals of members that never
    accepted are counted, not named. Before: carol's DONE was dropped."""
    with Scene("alice", "bob", "carol") as s:
        tr = s.keys.trusted("trusted", "alice", "bob", "carol")
        env = dict(os.environ, SOTTO_TEST_XFER_TOLD_MAX="1")
        a = s.client("alice", tr, env=env)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(download_dir(s, "bob"),
                                                     "--max-file", "1K"))
        b.ready()
        dl = download_dir(s, "carol")
        c = s.client("carol", tr, extra=receiver_args(dl))
        c.ready()
        a.wait("joined", name="bob")
        a.wait("joined", name="carol")
        src = s.keys.path("wanted.bin")
        # Above the auto-accept size: carol takes it once alice has bob's
        # refusal (the list is full before carol's end comes).
        sha = make_file(src, 5 * 1024 * 1024)
        a.send("/send " + src)
        off = c.wait("file-offer", outgoing=False)
        b.wait("file-failed", reason="too-large")
        a.wait("notice", reason="file-refused")
        c.send("/accept %d" % off["n"])
        c.wait("file-received", timeout=60)
        sent = a.wait("file-sent", name="carol")
        check_eq(sent["file"], "wanted.bin", "carol's file-sent")
        check_folder(dl, {"wanted.bin": sha})


def test_changed_under_sender():
    """The file changes on alice's disk after she offered it (same size, its last MiB rewritten): the chunks no longer hash to the offered SHA-256, and bob reports file-failed (hash-mismatch), publishes nothing and leaves no .part: the hash is checked before the rename."""
    # 8 MiB: the last MiB goes out about 3 s after the offer (40 chunks/s),
    # ample time to change it first even on a loaded machine.
    size = 8 * 1024 * 1024
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl, "--accept-files"))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("changing.bin")
        digest = make_file(src, size)
        a.send("/send " + src)
        a.wait("file-offer", outgoing=True)
        with open(src, "r+b") as f:
            f.seek(size - (1 << 20))
            f.write(os.urandom(1 << 20))
        check(sha256_of(src) != digest, "the file changed")
        off = b.wait("file-offer")
        check_eq(off["sha256"], digest, "the offer carries the first hash")
        ev = outcome(b, off["n"], others=(a,))
        check_eq((ev["event"], ev.get("reason")), ("file-failed", "hash-mismatch"),
                 "bob: %r" % ev)
        check_folder(dl, {})
        still_chatting(a, b, "the mismatch")


# --- hostile names -----------------------------------------------------------

# raw name bytes on the wire -> the name bob must publish (shared/fname.c:
# separators and C0 become '_', bidi/invisible characters are dropped,
# leading dots go, at most 200 bytes keeping a short extension).
NAMES = {
    "dotdot": (b"../../etc/passwd", "_.._etc_passwd"),
    "dotfile": (b".bashrc", "bashrc"),
    "bidi": ("invoice\u202egpj.exe".encode(), "invoicegpj.exe"),
    "nul": (b"report\x00.txt", "report_.txt"),
    "long": (b"B" * 996 + b".txt", "B" * 196 + ".txt"),
    "control": (b"\x1b[31mred\r\nline.txt", "_[31mred__line.txt"),
}


def hostile_name(raw, want):
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        env = dict(os.environ, SOTTO_TEST_FILE_NAME_HEX=raw.hex())
        a = s.client("alice", tr, env=env)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("innocent.txt")
        digest = make_file(src, 1000)
        a.send("/send " + src)
        off = b.wait("file-offer")
        check_eq(off["file"], want, "the name bob is offered")
        ev = outcome(b, off["n"])
        check_received(ev, dl, digest, 1000)
        check_eq(ev["file"], want, "the name bob published")
        check(not ev["file"].startswith("."), "not hidden")
        check_folder(dl, {want: digest})


def test_name_dotdot():
    """`../../etc/passwd` on the wire: published as `_.._etc_passwd` inside the download folder."""
    hostile_name(*NAMES["dotdot"])


def test_name_dotfile():
    """`.bashrc` on the wire: published as `bashrc`, not hidden."""
    hostile_name(*NAMES["dotfile"])


def test_name_bidi():
    """`invoice<U+202E>gpj.exe` (right-to-left override: shows as invoiceexe.jpg): published as `invoicegpj.exe`."""
    hostile_name(*NAMES["bidi"])


def test_name_nul():
    """An embedded NUL (`report<NUL>.txt`): published as `report_.txt`, not cut at the NUL."""
    hostile_name(*NAMES["nul"])


def test_name_long():
    """A 1000-byte name (under the 1024-byte wire bound): cut to 200 bytes keeping `.txt`."""
    hostile_name(*NAMES["long"])


def test_name_control():
    """Escape, CR and LF in the name: each one `_`."""
    hostile_name(*NAMES["control"])


def test_name_10k():
    """A 10 KB name (over the 1024-byte wire bound): the offer is refused as malformed, nothing is offered or written, and a normal file after it arrives."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        env = dict(os.environ, SOTTO_TEST_FILE_NAME_HEX=(b"N" * 10240 + b".txt").hex())
        a = s.client("alice", tr, env=env)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("ten-k.bin")
        make_file(src, 1000)
        a.send("/send " + src)
        b.wait("rejected", reason="malformed")
        a.send("line after the offer")
        b.wait("message", text="line after the offer")
        check_eq(b.all("file-offer"), [], "no offer shown")
        check_folder(dl, {})


# --- two at once ---------------------------------------------------------------

def test_two_at_once():
    """alice sends two 2 MiB files of the same name from two folders back to back: both arrive, each whole, one as `same.bin`, the other as `same (1).bin`, neither overwritten."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl))
        b.ready()
        a.wait("joined", name="bob")
        digests = []
        for sub in ("one", "two"):
            os.makedirs(s.keys.path(sub))
            digests.append(make_file(s.keys.path(sub, "same.bin"), 2 * 1024 * 1024))
        a.send("/send " + s.keys.path("one", "same.bin"),
               "/send " + s.keys.path("two", "same.bin"))
        offers = [b.wait("file-offer", count=i + 1) for i in range(2)]
        check_eq(len({o["n"] for o in offers}), 2, "two transfers")
        got = {}
        for o in offers:
            ev = outcome(b, o["n"])
            check_eq(ev["event"], "file-received", "transfer %d: %r" % (o["n"], ev))
            check_eq(ev["file"], "same.bin", "the name offered")
            got[os.path.basename(ev["path"])] = ev["sha256"]
            check_received(ev, dl, o["sha256"], o["size"])
        check_eq(sorted(got), ["same (1).bin", "same.bin"], "two names, none overwritten")
        check_eq(sorted(got.values()), sorted(digests), "both files, each whole")
        check_folder(dl, got)
        a.wait("file-sent", count=2)


# --- sender gone ---------------------------------------------------------------

def progress_between(client, n, lo, hi):
    return [e for e in client.all("file-progress", n=n) if lo <= e["done"] < hi]


def test_sender_killed():
    """alice is SIGKILLed mid-way through 16 MiB: bob (--file-resume 3) reports file-failed (sender-gone or timeout) once the window ends, nothing is left in his folder, and he still answers."""
    size = 16 * 1024 * 1024
    with Scene("alice", "bob", "carol") as s:
        tr = s.keys.trusted("trusted", "alice", "bob", "carol")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl, "--accept-files", "--file-resume", "3"))
        b.ready()
        c = s.client("carol", tr)
        c.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("killed.bin")
        make_file(src, size)
        a.send("/send " + src)
        off = b.wait("file-offer")
        ct.wait_until(lambda: progress_between(b, off["n"], 1, size), TRANSFER_TIMEOUT,
                      "bob's progress past 0", step=0.02)
        os.kill(a.proc.pid, signal.SIGKILL)
        a.proc.wait()
        t_kill = time.monotonic()
        b.wait("left", name="alice")
        cut = b.wait("file-interrupted", n=off["n"])
        check("alice" in cut["detail"] and "3 s" in cut["detail"],
              "the line says so and for how long: %r" % cut)
        ev = outcome(b, off["n"], timeout=30)
        check_eq(ev["event"], "file-failed", "bob's end of the transfer: %r" % ev)
        check(ev["reason"] in ("sender-gone", "timeout"), "the reason: %r" % ev)
        check(ev["detail"], "a line for people: %r" % ev)
        check(time.monotonic() - t_kill >= 2.0, "failed no earlier than the window (3 s)")
        check_eq(b.all("file-received"), [], "nothing received")
        check_folder(dl, {})
        still_chatting(b, c, "the kill")


def test_sender_reconnects():
    """alice's connection is cut mid-way through 8 MiB; she reconnects (new session) within the window, re-offers, and bob resumes from where he was: the file is right, and the chunks bob was sent number fewer than the file's plus those before the cut."""
    size = 8 * 1024 * 1024
    n_chunks = size // CHUNK
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        pa, pb = Proxy(s.relay.port), Proxy(s.relay.port)
        s.proxies += [pa, pb]
        a = s.client("alice", tr, port=pa.port)
        a.ready()
        b = s.client("bob", tr, port=pb.port, extra=receiver_args(dl, "--accept-files"))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("resumed.bin")
        digest = make_file(src, size)
        a.send("/send " + src)
        off = b.wait("file-offer")
        # Cut once bob has a quarter: 32 chunks or more on his disk.
        ct.wait_until(lambda: progress_between(b, off["n"], size // 4, size), TRANSFER_TIMEOUT,
                      "bob at a quarter", step=0.02)
        with pa.lock:
            sock = pa.client_sock
        sock.shutdown(socket.SHUT_RDWR)
        check_eq(b.all("file-received"), [], "cut before the end")
        b.wait("left", name="alice")
        # No file-interrupted required here: with pooled keys alice is back
        # within bob's 0.5 s tick and the transfer goes on without one.
        before = len(chunks_seen(pb))
        a.wait("ready", count=2, timeout=ct.READY_TIMEOUT)
        ev = outcome(b, off["n"])
        check_received(ev, dl, digest, size)
        a.wait("file-sent")
        total = len(chunks_seen(pb))
        check(before >= n_chunks // 4 - 1, "the cut came after a quarter: %d chunks" % before)
        # A sender that started over would have sent bob n_chunks more
        # after the cut; resuming re-sends at most what was in flight.
        check(total < n_chunks + 16, "resumed, not restarted: %d chunk frames for %d "
              "chunks (%d before the cut)" % (total, n_chunks, before))
        check_eq(len(b.all("file-offer")), 1, "the re-offer is the same transfer")
        check_folder(dl, {"resumed.bin": digest})


def chunks_seen(proxy):
    return [f for f in proxy.recorded(3) if f[2] != 0 and len(f[3]) - 14 > CHUNK_BODY_MIN]


# --- an oversized DAT --------------------------------------------------------------

DAT2_CT_LEN_AT = 94        # v2 DAT: version kind id_pub session epoch gen index counter ts | ct_len


def grown_dat(raw, ct_len):
    """alice's DAT frame with its ciphertext grown to ct_len bytes (zeros
    appended), ct_len fixed up; the tag and signature kept (S canonical)."""
    body = raw[14:]
    old = struct.unpack(">I", body[DAT2_CT_LEN_AT:DAT2_CT_LEN_AT + 4])[0]
    ct_end = DAT2_CT_LEN_AT + 4 + old
    grown = body[:DAT2_CT_LEN_AT] + struct.pack(">I", ct_len) + \
        body[DAT2_CT_LEN_AT + 4:ct_end] + bytes(ct_len - old) + body[ct_end:]
    _, ver, ftype, frm, to = struct.unpack(">IBBII", raw[:14])
    return frame(ftype, to, grown, frm, ver)


def test_oversized_dat():
    """A relay grows two of alice's DATs to bob to ciphertexts of 66 000 and 65 343 bytes (the signed message over and under libgcrypt's 65 534-byte s-expression bound): bob refuses each (`bad-signature` or `malformed`), never aborts, and reads alice's next line."""
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        pb = Proxy(s.relay.port)
        s.proxies.append(pb)
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, port=pb.port)
        b.ready()
        a.wait("joined", name="bob")
        a.send("plain line")
        b.wait("message", text="plain line")
        sizes = [66000, 65343]

        def grow(fr):
            if fr[0] == 3 and sizes and len(fr[3]) - 14 < CHUNK_BODY_MIN:
                return grown_dat(fr[3], sizes.pop(0))
            return None
        with pb.lock:
            pb.rewrite = grow
        a.send("grown line 1", "grown line 2")
        ct.wait_until(lambda: len(b.all("rejected")) >= 2 or b.proc.poll() is not None, 30,
                      "bob's two rejections", dump=lambda: describe(b))
        check(b.proc.poll() is None, "bob is alive: %s" % b.stderr()[-1500:])
        reasons = [e["reason"] for e in b.all("rejected")]
        check(len(reasons) == 2 and set(reasons) <= {"bad-signature", "malformed"},
              "bob's rejections: %r" % reasons)
        with pb.lock:
            pb.rewrite = None
        a.send("line after")
        b.wait("message", text="line after")
        check_eq([e["text"] for e in b.all("message")], ["plain line", "line after"],
                 "the grown lines are not shown")


# --- disk full -----------------------------------------------------------------

def test_disk_full():
    """bob may write files of at most 1 MiB (RLIMIT_FSIZE); alice sends 2 MiB: bob reports file-failed reason `disk`, nothing is published, no .part is left, and he is alive and chatting (SIGXFSZ ignored)."""
    size = 2 * 1024 * 1024
    with Scene("alice", "bob") as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr)
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl, "--no-history"))
        # The limit on the running process (prlimit(2)): the child keeps
        # the default SIGXFSZ action (subprocess restores it), so a client
        # that did not ignore it would die here.
        resource.prlimit(b.proc.pid, resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("toobig.bin")
        make_file(src, size)
        a.send("/send " + src)
        off = b.wait("file-offer")
        ev = outcome(b, off["n"])
        check_eq((ev["event"], ev.get("reason")), ("file-failed", "disk"), "bob: %r" % ev)
        check(b.proc.poll() is None, "bob is alive")
        check_folder(dl, {})
        # alice is told: a file-failed, or (a room offer may have other
        # receivers) a file-not-received notice naming bob and the disk.
        ct.wait_until(lambda: a.all("file-failed", outgoing=True) or
                      [e for e in a.all("notice", reason="file-not-received")
                       if "bob" in e["detail"] and "disk" in e["detail"]],
                      20, "alice told of bob's failure", dump=lambda: describe(a))
        still_chatting(a, b, "the full disk")


# --- 100 MiB ----------------------------------------------------------------------

def test_big_file():
    """100 MiB (1707 chunks) through a relay without input budget (--rate 0 --rate-bytes 0), alice unpaced (--file-rate 0) as such a relay allows: bob publishes it and its SHA-256 is the file's; bob's progress events come at most 4 a second plus the one at 100 %. Prints the time taken (46 s under ASan at the default 40 chunks/s)."""
    with Scene("alice", "bob", relay_args=["--rate", "0", "--rate-bytes", "0"]) as s:
        tr = s.keys.trusted("trusted", "alice", "bob")
        dl = download_dir(s, "bob")
        a = s.client("alice", tr, extra=["--file-rate", "0"])
        a.ready()
        b = s.client("bob", tr, extra=receiver_args(dl, "--accept-files"))
        b.ready()
        a.wait("joined", name="bob")
        src = s.keys.path("big.bin")
        digest = make_file(src, BIG)
        watch = FolderWatch(dl)
        t0 = time.monotonic()
        a.send("/send " + src)
        off = b.wait("file-offer")
        check_eq((off["size"], off["sha256"]), (BIG, digest), "the offer")
        ev = outcome(b, off["n"], timeout=240)
        took = time.monotonic() - t0
        check_received(ev, dl, digest, BIG)
        watch.check({"big.bin": BIG}, saw_temp=True)
        a.wait("file-sent")
        check_folder(dl, {"big.bin": digest})
        with b.cond:
            prog = [t for e, t in zip(b.events, b.times)
                    if e["event"] == "file-progress" and e["n"] == off["n"]]
        for i in range(len(prog)):
            in_second = [t for t in prog[i:] if t - prog[i] < 1.0]
            check(len(in_second) <= 5, "at most 4 progress events a second (+100 %%): "
                  "%d within 1 s" % len(in_second))
        print("big_file: 100 MiB in %.1f s (%.1f MiB/s)" % (took, 100 / took), flush=True)


TESTS = {name[5:]: fn for name, fn in globals().items() if name.startswith("test_")}
# Tests of promises files-core does not keep yet (see /work/wt/FILES-API.md
# "Bugs found"): not listed, so not registered with ctest; run by hand
# with --pending NAME. Rename to test_ once fixed.
PENDING = {name[8:]: fn for name, fn in globals().items() if name.startswith("pending_")}

if __name__ == "__main__":
    argv = list(sys.argv)
    if "--pending" in argv:
        argv.remove("--pending")
        TESTS = PENDING
    sys.exit(ct.run(TESTS, argv))

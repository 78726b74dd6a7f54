#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_history_client.py: the encrypted local history through `sotto --batch`: restore before `connected`, /history, /search, /forget, direct messages per conversation, file transfers, --no-history, kill -9 under load, and every fault (corrupt, locked, full disk, unreadable, another identity, tampered row) giving one line while the chat goes on."""
import glob
import os
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client"))
import clienttest as ct  # noqa: E402
from clienttest import Client, Keys, Relay, check, check_eq  # noqa: E402


class Scene:
    """Keys, a relay, one XDG_DATA_HOME per identity; all stopped at the end."""

    def __init__(self, *names):
        self.keys = Keys()
        self.keys.make(*names)
        self.tr = self.keys.trusted("trusted", *names)
        self.relay = Relay().start()
        self.data = {n: tempfile.mkdtemp(prefix="sotto-xdg-%s-" % n) for n in names}
        self.clients = []

    def client(self, name, extra=(), room="lobby", fsize=None):
        old = os.environ.get("XDG_DATA_HOME")
        os.environ["XDG_DATA_HOME"] = self.data[name]
        saved = None
        if fsize is not None:
            # The child inherits the limit (Popen has no hook for it
            # without a pre-exec function, which threads forbid).
            saved = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, saved[1]))
        try:
            c = Client(self.keys, name, self.tr, self.relay.port, room=room, extra=list(extra))
        finally:
            if saved is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, saved)
            if old is None:
                del os.environ["XDG_DATA_HOME"]
            else:
                os.environ["XDG_DATA_HOME"] = old
        self.clients.append(c)
        return c

    def db(self, name):
        """The one history database of an identity."""
        found = glob.glob(os.path.join(self.data[name], "sotto", "*.db"))
        check_eq(len(found), 1, "%s has one history database: %r" % (name, found))
        return found[0]

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        for c in self.clients:
            c.kill()
        self.relay.stop()
        self.keys.cleanup()
        for d in self.data.values():
            shutil.rmtree(d, ignore_errors=True)


def quit_ok(c):
    c.close_stdin()
    check_eq(c.wait_exit(), 0, "%s exits 0 at end of input" % c.name)
    c.no_bad_output()


def history_msgs(c, origin=None):
    return [e["text"] for e in c.all("history") if e["kind"] == "message"
            and (origin is None or e["origin"] == origin)]


def before_connected(c):
    """The events printed before the first `connected`."""
    with c.cond:
        evs = list(c.events)
    out = []
    for e in evs:
        if e["event"] == "connected":
            return out
        out.append(e)
    raise ct.TestFailure("%s never connected: %r" % (c.name, evs))


def history_notices(c):
    return [e for e in c.all("notice") if e.get("reason") == "history"]


def chat(s, a, b, texts):
    """b says each text; a shows it."""
    for t in texts:
        b.send(t)
    for t in texts:
        a.wait("message", text=t)


# --- tests -------------------------------------------------------------------

def test_restore_before_connected():
    """The last N stored lines come back as `history` events before `connected`, oldest first, ours marked self."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        a.wait("joined", name="bob")
        chat(s, a, b, ["m1", "m2"])
        a.send("a1")
        b.wait("message", text="a1")
        quit_ok(a)
        b.send("while alice is away")
        a2 = s.client("alice", ["--history", "10"])
        a2.ready()
        head = before_connected(a2)
        check(head and all(e["event"] == "history" for e in head),
              "only history events before connected: %r" % head)
        msgs = [(e["text"], e["self"]) for e in head if e["kind"] == "message"]
        check_eq(msgs, [("m1", False), ("m2", False), ("a1", True)], "restored lines")
        check(any(e["kind"] == "joined" and e["name"] == "bob" for e in head),
              "bob's join is stored too")
        check(all(e["origin"] == "restore" for e in head), "origin restore")
        check("while alice is away" not in history_msgs(a2), "nothing alice never saw")
        quit_ok(a2)
        a3 = s.client("alice", ["--history", "2"])
        a3.ready()
        check_eq([e.get("text") for e in before_connected(a3)][-1:], ["a1"], "--history 2: the last two")
        check_eq(len(before_connected(a3)), 2, "--history 2 gives two")
        quit_ok(a3)
        a4 = s.client("alice")
        a4.ready()
        check_eq(a4.all("history"), [], "batch restores nothing unless asked")
        quit_ok(a4)


def test_no_history():
    """--no-history stores and opens nothing."""
    with Scene("alice", "bob") as s:
        a = s.client("alice", ["--no-history", "--history", "5"])
        a.ready()
        b = s.client("bob")
        b.ready()
        chat(s, a, b, ["unsaved"])
        quit_ok(a)
        check_eq(os.listdir(s.data["alice"]), [], "no file under alice's XDG_DATA_HOME")
        a2 = s.client("alice", ["--history", "5"])
        a2.ready()
        check_eq(history_msgs(a2), [], "nothing was kept")
        check_eq(history_notices(a2), [], "no history notice")
        quit_ok(a2)


def rekeyed_after_leaves(c, n):
    """Whether c saw a rekeyed event after alice's n-th left event."""
    with c.cond:
        evs = list(c.events)
    lefts = [i for i, e in enumerate(evs) if e["event"] == "left" and e.get("name") == "alice"]
    return len(lefts) >= n and any(e["event"] == "rekeyed" for e in evs[lefts[n - 1] + 1:])


def test_dm_history():
    """DMs shown are stored, ours and the peer's, and read back per conversation (/history NAME [N],
    with "peer"); the room's restore, /history and /search never show one; /forget wipes them with
    the room; --no-history keeps none."""
    with Scene("alice", "bob", "carol") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        cl = s.client("carol")
        cl.ready()
        for who in ("bob", "carol"):
            a.wait("joined", name=who)
        b.wait("joined", name="carol")
        b.send("/msg alice psst from bob")
        a.wait("message", text="psst from bob", private=True)
        a.send("/msg bob psst to bob")
        b.wait("message", text="psst to bob", private=True)
        cl.send("/msg alice psst from carol")
        a.wait("message", text="psst from carol", private=True)
        a.send("room line")
        b.wait("message", text="room line")
        quit_ok(a)

        a2 = s.client("alice", ["--history", "50"])
        a2.ready()
        head = before_connected(a2)
        check("room line" in [e.get("text") for e in head], "the room line is restored: %r" % head)
        check(not [e for e in head if e["kind"] == "dm" or "psst" in e.get("text", "")],
              "the room's restore shows a DM: %r" % head)
        a2.send("/history bob")
        a2.wait("history", origin="history", text="psst to bob")
        got = [(e["kind"], e["text"], e["self"], e["name"], e.get("peer"))
               for e in a2.all("history") if e["origin"] == "history"]
        check_eq(got, [("dm", "psst from bob", False, "bob", "bob"),
                       ("dm", "psst to bob", True, "alice", "bob")], "/history bob")
        a2.send("/history carol 1")
        a2.wait("history", origin="history", text="psst from carol")
        a2.send("/history zed")
        a2.wait("notice", reason="bad-command")
        # The room's own reads: no DM (a /search marks the end of the /history answer).
        n_hist = len(a2.all("history"))
        a2.send("/history 50", "/search psst")
        a2.wait("notice", reason="search-done")
        room = a2.all("history")[n_hist:]
        check("room line" in [e.get("text") for e in room], "/history shows the room line")
        check(not [e for e in room if e["kind"] == "dm" or "psst" in e.get("text", "")],
              "/history or /search in the room shows a DM: %r" % room)
        check_eq(a2.all("notice", reason="search-done")[0]["detail"], "0 matches", "room search")
        a2.send("/forget")
        a2.wait("notice", reason="forgotten")
        n_hist = len(a2.all("history"))
        a2.send("/history bob", "/history carol", "/search marker")
        a2.wait("notice", reason="search-done", count=2)
        check_eq(a2.all("history")[n_hist:], [], "/forget left DMs")
        quit_ok(a2)
        # alice's leave rotates the key, and a DM sent across the rotation
        # is refused (`not-ready`, docs/batch.md): wait for a rotation
        # after this leave (the first quit's may have merged into it), not
        # for luck.
        b.wait("left", name="alice", count=2)
        ct.wait_until(lambda: rekeyed_after_leaves(b, 2), 20, "bob's rotation after alice left")

        joins = len(b.all("joined", name="alice"))
        a3 = s.client("alice", ["--no-history"])
        a3.ready()
        b.wait("joined", name="alice", count=joins + 1)
        b.send("/msg alice unsaved dm")
        a3.wait("message", text="unsaved dm", private=True)
        quit_ok(a3)
        a4 = s.client("alice")
        a4.ready()
        a4.send("/history bob", "/search marker")
        a4.wait("notice", reason="search-done")
        check_eq(a4.all("history"), [], "--no-history stored a DM")
        quit_ok(a4)


def file_lines(evs, needle):
    """(kind, self, name, text, peer) of the history events whose text holds needle."""
    return [(e["kind"], e["self"], e["name"], e["text"], e.get("peer")) for e in evs
            if e["event"] == "history" and needle in e.get("text", "")]


def test_file_history():
    """A finished file transfer is one stored line (docs/ui.md "History"): a room file bob received
    comes back in the room's restore, /history and /search, a DM file in /history alice only; alice
    stores her room file once though two members have it, her DM file in /history bob; a receiver
    run with --no-history stores nothing."""
    with Scene("alice", "bob", "carol") as s:
        # bob's download folder holds a bidi control (U+202E): the stored
        # line drops it, as the file code drops one from a file name.
        dl = {n: s.keys.path("dl-" + n) for n in ("alice", "bob", "carol")}
        dl["bob"] = s.keys.path("dl-\u202ebob")
        a = s.client("alice", ["--download-dir", dl["alice"]])
        a.ready()
        b = s.client("bob", ["--download-dir", dl["bob"]])
        b.ready()
        cl = s.client("carol", ["--download-dir", dl["carol"], "--no-history"])
        cl.ready()
        for who in ("bob", "carol"):
            a.wait("joined", name=who)
        b.wait("joined", name="carol")
        out = s.keys.path("out")
        os.makedirs(out)
        for name, data in (("report.pdf", b"r" * 3000), ("note.txt", b"hello")):
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        a.send("/send " + os.path.join(out, "report.pdf"))
        room_b = b.wait("file-received", file="report.pdf")
        cl.wait("file-received", file="report.pdf")
        a.wait("file-sent", file="report.pdf", count=2)
        a.send("/send bob " + os.path.join(out, "note.txt"))
        dm_b = b.wait("file-received", file="note.txt")
        a.wait("file-sent", file="note.txt")
        quit_ok(b)
        quit_ok(cl)
        check_eq(os.listdir(s.data["carol"]), [], "--no-history: no file under carol's XDG_DATA_HOME")

        check("\u202e" in room_b["path"], "bob's file is in his folder: %r" % room_b["path"])
        room_line = ("notice", False, "alice", "sent report.pdf, 2.9 KiB, saved as " +
                     room_b["path"].replace("\u202e", ""), None)
        dm_text = "sent note.txt, 5 bytes, saved as " + dm_b["path"].replace("\u202e", "")
        b2 = s.client("bob", ["--history", "50"])
        b2.ready()
        head = before_connected(b2)
        check_eq(file_lines(head, "sent "), [room_line], "bob's restore: the room file, no DM file")
        n_hist = len(b2.all("history"))
        b2.send("/history 50", "/history alice", "/search report.pdf")
        b2.wait("notice", reason="search-done")
        asked = b2.all("history")[n_hist:]
        check_eq(file_lines([e for e in asked if e["origin"] == "history"], "sent "),
                 [room_line, ("dm", False, "alice", dm_text, "alice")],
                 "bob's /history then /history alice")
        check_eq(file_lines([e for e in asked if e["origin"] == "search"], "sent "), [room_line],
                 "bob's /search report.pdf")
        quit_ok(b2)

        quit_ok(a)
        a2 = s.client("alice", ["--history", "50"])
        a2.ready()
        mine = file_lines(before_connected(a2), "sent ")
        check_eq(len(mine), 1, "alice stored her room file once: %r" % mine)
        check(mine[0][:3] == ("notice", True, "alice") and mine[0][3] in (
            "sent report.pdf, 2.9 KiB, to the room: %s had it first" % w for w in ("bob", "carol")),
            "alice's room file line: %r" % mine)
        a2.send("/history bob")
        got = a2.wait("history", origin="history")
        check_eq(file_lines([got], "sent "), [("dm", True, "alice", "sent note.txt, 5 bytes, to bob",
                                               "bob")], "alice's /history bob")
        quit_ok(a2)


def test_search_history_forget():
    """/search TEXT finds stored lines (case-insensitive, oldest first), /history N replays, /forget wipes the room."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        chat(s, a, b, ["Apple pie", "banana", "apple juice", "cherry"])
        a.send("/search APPLE")
        a.wait("notice", reason="search-done")
        check_eq(history_msgs(a, "search"), ["Apple pie", "apple juice"], "search hits")
        check_eq(a.all("notice", reason="search-done")[0]["detail"], "2 matches", "count")
        a.send("/history 2")
        a.wait("history", origin="history", text="cherry")
        check_eq(history_msgs(a, "history"), ["apple juice", "cherry"], "/history 2")
        a.send("/history x")
        a.wait("notice", reason="bad-command")
        a.send("/forget")
        a.wait("notice", reason="forgotten")
        a.send("/history 10", "/search apple")
        a.wait("notice", reason="search-done", count=2)
        check_eq(len(history_msgs(a)), 4, "nothing more after /forget")
        check_eq(a.all("notice", reason="search-done")[1]["detail"], "0 matches", "wiped")
        quit_ok(a)


def test_kill9_under_load():
    """kill -9 while 100 messages/s arrive: every message alice had shown is in her history after a restart."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        a.wait("joined", name="bob")
        total = 400
        # bob sends at 100 lines/s (pacing the load, not waiting on it);
        # alice is killed once she has shown 150 of them.
        for i in range(total):
            b.send("load %04d" % i)
            if i == 150:
                a.wait("message", text="load 0150")
                os.kill(a.proc.pid, signal.SIGKILL)
                a.proc.wait()
                a.reader.join(timeout=10)
            time.sleep(0.01)
        shown = [e["text"] for e in a.all("message")]
        check(len(shown) >= 151, "alice showed at least 151 lines: %d" % len(shown))
        a2 = s.client("alice", ["--history", "1000"])
        a2.ready()
        stored = history_msgs(a2)
        missing = [t for t in shown if t not in stored]
        check_eq(missing, [], "shown but not stored")
        quit_ok(a2)
        quit_ok(b)


def corrupt_file(path):
    with open(path, "r+b") as f:
        f.write(os.urandom(4096))


def test_corrupt_moved_aside():
    """A corrupt history: one line, moved aside (same bytes), chat goes on."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        quit_ok(a)
        db = s.db("alice")
        corrupt_file(db)
        with open(db, "rb") as f:
            junk = f.read()
        a2 = s.client("alice", ["--history", "5"])
        a2.ready()
        notes = history_notices(a2)
        check_eq(len(notes), 1, "one history line: %r" % notes)
        check("moved aside" in notes[0]["detail"], "says where the file went: %r" % notes[0])
        aside = glob.glob(db + ".corrupt-*")
        aside = [p for p in aside if not p.endswith(("-wal", "-shm"))]
        check_eq(len(aside), 1, "one file moved aside")
        with open(aside[0], "rb") as f:
            check(f.read() == junk, "the moved file is the corrupt one, unchanged")
        b = s.client("bob")
        b.ready()
        chat(s, a2, b, ["still chatting"])
        a2.send("and back")
        b.wait("message", text="and back")
        check_eq(len(history_notices(a2)), 1, "still one line")
        quit_ok(a2)


def test_locked_by_second_client():
    """A second client of the same identity: one line, chats without history; the first keeps storing."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        a2 = s.client("alice", room="other")
        a2.ready()
        notes = history_notices(a2)
        check_eq(len(notes), 1, "one history line for the second client")
        check("in use" in notes[0]["detail"], "says it is in use: %r" % notes[0])
        b = s.client("bob", room="other")
        b.ready()
        chat(s, a2, b, ["second client chats"])
        check_eq(history_notices(a), [], "the first client has no complaint")
        quit_ok(a2)
        quit_ok(a)
        a3 = s.client("alice", ["--history", "5"], room="other")
        a3.ready()
        check_eq(history_msgs(a3), [], "the second client stored nothing")
        quit_ok(a3)


def test_full_disk():
    """The file-size limit is reached: one line, nothing crashes, the chat goes on, what was stored stays."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        quit_ok(a)
        size = os.path.getsize(s.db("alice"))
        a2 = s.client("alice", fsize=size + 64 * 1024)
        a2.ready()
        b = s.client("bob")
        b.ready()
        text = "x" * 400
        n = 0
        while not history_notices(a2):
            check(n < 2000, "the limit was never reached")
            chat(s, a2, b, ["%s %04d" % (text, n)])
            n += 1
        notes = history_notices(a2)
        check_eq(len(notes), 1, "one line")
        check("disk full" in notes[0]["detail"], "says the disk is full: %r" % notes[0])
        chat(s, a2, b, ["after full %d" % i for i in range(20)])
        check_eq(len(history_notices(a2)), 1, "still one line")
        check_eq(a2.proc.poll(), None, "alice is still running")
        shown_before = ["%s %04d" % (text, i) for i in range(n - 1)]
        quit_ok(a2)
        a3 = s.client("alice", ["--history", "5000"])
        a3.ready()
        stored = history_msgs(a3)
        missing = [t for t in shown_before if t not in stored]
        check_eq(missing, [], "lines stored before the disk filled are kept")
        quit_ok(a3)


def test_unreadable():
    """A history that cannot be opened (here a folder where the file was): one line, chat goes on, nothing touched."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        quit_ok(a)
        db = s.db("alice")
        os.rename(db, db + ".saved")
        os.mkdir(db)
        with open(os.path.join(db, "keep"), "w") as f:
            f.write("keep me")
        a2 = s.client("alice", ["--history", "5"])
        a2.ready()
        notes = history_notices(a2)
        check_eq(len(notes), 1, "one line: %r" % notes)
        check("cannot" in notes[0]["detail"], "says it cannot use it: %r" % notes[0])
        b = s.client("bob")
        b.ready()
        chat(s, a2, b, ["no history but chatting"])
        quit_ok(a2)
        check_eq(os.listdir(db), ["keep"], "the folder is untouched")


def test_other_identity_refused():
    """Alice's history put in bob's place is refused (one line), left as it is, and bob chats on."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        chat(s, a, b, ["secret"])
        quit_ok(a)
        quit_ok(b)
        adb, bdb = s.db("alice"), s.db("bob")
        shutil.copyfile(adb, bdb)
        with open(bdb, "rb") as f:
            before = f.read()
        b2 = s.client("bob", ["--history", "50"])
        b2.ready()
        notes = history_notices(b2)
        check_eq(len(notes), 1, "one line: %r" % notes)
        check("another identity" in notes[0]["detail"], "says whose it is: %r" % notes[0])
        check_eq(history_msgs(b2), [], "nothing of alice's shown")
        a2 = s.client("alice")
        a2.ready()
        chat(s, b2, a2, ["bob still chats"])
        quit_ok(b2)
        with open(bdb, "rb") as f:
            check(f.read() == before, "the refused file is left as it was")
        quit_ok(a2)


def test_tampered_row_refused():
    """A row altered in the file is refused: not shown, one line says so."""
    with Scene("alice", "bob") as s:
        a = s.client("alice")
        a.ready()
        b = s.client("bob")
        b.ready()
        chat(s, a, b, ["one", "two", "three"])
        quit_ok(a)
        db = sqlite3.connect(s.db("alice"))
        rows = db.execute("SELECT id, body FROM msg ORDER BY id").fetchall()
        # the message rows are the last three (bob's join came first)
        rid, body = rows[-2]
        body = bytearray(body)
        body[3] ^= 0x01
        db.execute("UPDATE msg SET body = ? WHERE id = ?", (bytes(body), rid))
        db.commit()
        db.close()
        a2 = s.client("alice", ["--history", "10"])
        a2.ready()
        check_eq(history_msgs(a2), ["one", "three"], "the altered row is not shown")
        notes = history_notices(a2)
        check_eq(len(notes), 1, "one line: %r" % notes)
        check("integrity" in notes[0]["detail"], "says why: %r" % notes[0])
        quit_ok(a2)


TESTS = {k[5:]: v for k, v in list(globals().items()) if k.startswith("test_")}

if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""tmux_ux.py: living in the UI all day, under tmux: the untrusted-reader warning and /strict,
waiting for the key explained, one line per untrusted key then a counter, mentions (highlight,
bell, title), Tab completion, bracketed paste (50 lines, a '/' line, a paste over the limit),
Ctrl-C, lines never dropped silently on exit, /join with two windows, input history across
restarts, --timestamp-format, the non-UTF-8 warning, retrying a relay that is not up yet.

usage: tmux_ux.py --relay BIN --client BIN --keygen BIN [TEST...]

Same harness as tmux_ui.py: a private tmux socket, every wait a poll of capture-pane (or of a
tmux format, or of a batch client's events) with a deadline, never a fixed sleep.
"""
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import time
import threading
import traceback
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmux_ui as tu  # noqa: E402
from tmux_ui import CHECKS, DEADLINE, Env, Failure, ROOM, assert_clean_exit  # noqa: E402
from sottotest import free_port, listen_socket, read_frame  # noqa: E402


def sgr_attrs_at(row, index):
    """The set of SGR attributes ('bold', 'reverse', 'dim') in force at row[index]."""
    on = set()
    for m in re.finditer(r"\x1b\[([0-9;]*)m", row[:index]):
        ps = m.group(1).split(";") if m.group(1) else ["0"]
        i = 0
        while i < len(ps):
            p = ps[i] or "0"
            if p in ("38", "48"):
                i += 3 if i + 1 < len(ps) and ps[i + 1] == "5" else 5
                continue
            if p == "0":
                on.clear()
            elif p == "1":
                on.add("bold")
            elif p == "2":
                on.add("dim")
            elif p == "7":
                on.add("reverse")
            elif p == "22":
                on.discard("bold")
                on.discard("dim")
            elif p == "27":
                on.discard("reverse")
            i += 1
    return on


def fmt(env, pane, f):
    return env.tmux("display", "-p", "-t", pane.session, f).strip()


def wait_for(cond, what):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if cond():
            CHECKS.passed += 1
            return
        time.sleep(0.05)
    raise Failure(what)


def trusted_dir(env, folder, *names):
    d = os.path.join(env.dir, folder)
    os.makedirs(d, exist_ok=True)
    for n in names:
        shutil.copy(os.path.join(env.dir, n + ".pub"), os.path.join(d, n + ".pub"))
    return d


def paste(env, pane, text):
    """Paste text the way a terminal does: in bracketed-paste markers when the
    application asked for them (tmux paste-buffer -p)."""
    path = os.path.join(env.dir, "paste.txt")
    with open(path, "w") as f:
        f.write(text)
    env.tmux("load-buffer", "-b", "ux", path)
    env.tmux("paste-buffer", "-p", "-d", "-b", "ux", "-t", pane.session)


# --- trust and delivery -----------------------------------------------------

def scenario_untrusted(env, c):
    """alice trusts dave and hands him the key; bob does not trust him: bob's status
    line, scrollback and /who say so; /strict refuses to send while dave is there;
    dave's frames give one line, then a counter."""
    tr_a = trusted_dir(env, "t-alice", "alice", "bob", "dave")
    tr_b = trusted_dir(env, "t-bob", "alice", "bob")
    alice = env.start_ui("alice", "alice", trusted=tr_a)
    alice.wait_ready()
    bob = env.start_ui("bob", "bob", trusted=tr_b)
    bob.wait_ready()
    dave = env.start_batch("dave", trusted=env.dave_trusted)
    dave.wait(r'"event":\s*"ready"', "dave never got the key from alice")
    fpr = re.escape(env.fpr["dave"])
    bob.wait(lambda s: "1 untrusted" in s.split("\n")[tu.H - 2],
             "bob's status line does not count the untrusted reader")
    bob.wait_text(r"untrusted " + fpr + r" is in #" + ROOM, "no warning line at bob")
    c.ok("untrusted" not in alice.status_row(), "alice trusts dave but is warned")

    bob.type("/who")
    bob.wait(lambda s: re.search(r"untrusted: can read if any member trusts it",
                                 tu.wrapped_text(s.split("\n"), "  " + env.fpr["dave"] + "  ") or ""),
             "/who does not list dave as an untrusted reader")

    # One line per key per connection, then a counter.
    for i in range(5):
        dave.send("dave line %d" % i)
    alice.wait_text(r"dave │ dave line 4")
    screen = bob.wait(lambda s: re.search(r"(\d+) dropped", s.split("\n")[tu.H - 2]) and
                      int(re.search(r"(\d+) dropped", s.split("\n")[tu.H - 2]).group(1)) >= 6,
                      "the status line does not count dave's dropped frames")
    c.ok(len(re.findall(r"dropped a frame: untrusted-key", screen)) == 1,
         "more than one line for one untrusted key:\n" + screen)
    c.ok("dave line" not in screen, "an untrusted member's text was shown")

    # /strict: one clear line, nothing sent.
    bob.type("/strict")
    bob.wait_text(r"strict: on")
    bob.type("strictly secret")
    bob.wait(lambda s: re.search(r"1 untrusted reader in #" + ROOM + r".*" + fpr,
                                 tu.wrapped_text(s.split("\n"), "not sent (strict)") or ""),
             "no line saying why the strict line was not sent")
    dave.proc.stdin.close()
    bob.wait_text(r"untrusted " + fpr + r" left")
    bob.wait(lambda s: "untrusted" not in s.split("\n")[tu.H - 2], "the warning count stays")
    bob.type("safe now")
    alice.wait_text(r"bob │ safe now")
    c.ok("strictly secret" not in alice.screen(), "the strict line reached alice")
    bob.keys("C-d")
    assert_clean_exit(c, bob, "Ctrl-D")


def scenario_waitkey(env, c):
    """Nobody present trusts victor, so nobody introduces itself and his join finds no keyholder
    to ask (squatter-proof joins). Before the key timeout makes him first, one notice says whom
    his join asked (a relay member id), that nobody trusted answered, that he may not be in their
    trusted folder, with his fingerprint. Then he holds a key of his own: alice drops his line
    as untrusted, and her line is not shown to him."""
    tr_a = trusted_dir(env, "t-alice", "alice")
    tr_v = trusted_dir(env, "t-victor", "alice", "dave")
    alice = env.start_batch("alice", trusted=tr_a)
    alice.wait(r'"event":\s*"ready"', "alice never became ready")
    victor = env.start_ui("victor", "dave", trusted=tr_v)
    screen = victor.wait_text(r"first here: made the group key", "victor never became first")
    rows = screen.split("\n")
    text = tu.wrapped_text(rows, "nobody trusted has handed you the key") or ""
    c.ok(re.search(r"asked member \d+", text) and env.fpr["dave"] in text and
         "trusted folder" in text, "the notice lacks who was asked or our fingerprint:\n" + screen)
    notice_at = [i for i, r in enumerate(rows) if "nobody trusted has handed you" in r]
    first_at = [i for i, r in enumerate(rows) if "first here: made the group key" in r]
    c.ok(len(notice_at) == 1 and notice_at[0] < first_at[0],
         "one notice, shown while victor waited, before he became first:\n" + screen)
    victor.wait_ready()

    victor.type("for victor's key only")
    alice.wait(r'"event":\s*"rejected".*"untrusted-key".*' + re.escape(env.fpr["dave"]) +
               r'.*DAT', "alice does not drop victor's line as untrusted")
    alice.send("for alice's key only")
    victor.wait_text(r"dropped a frame: decrypt-failed \(DAT \d+ from alice",
                     "victor does not drop alice's line (her key is not his)")
    c.ok("for alice's key only" not in victor.screen(), "victor read alice's line")
    with alice.lock:
        c.ok(not any("for victor's key only" in l for l in alice.lines),
             "alice read victor's line")
    victor.keys("C-d")
    assert_clean_exit(c, victor, "Ctrl-D")


# --- habits -------------------------------------------------------------------

def scenario_mention(env, c):
    """A line naming us: highlighted, a bell (tmux's bell flag), the title says so."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    bob.send("no ping here, malice aside")
    alice.wait_text(r"bob │ no ping here")
    c.ok(fmt(env, alice, "#{window_bell_flag}") == "0", "a bell without a mention")
    bob.send("hey Alice, lunch?")
    alice.wait_text(r"bob │ hey Alice, lunch\?")
    wait_for(lambda: fmt(env, alice, "#{window_bell_flag}") == "1", "no bell for a mention")
    wait_for(lambda: "mention" in fmt(env, alice, "#{pane_title}"), "the title does not show the mention")
    raw = alice.screen(escapes=True).split("\n")
    row = [r for r in raw if "hey" in r and "lunch" in r][0]
    c.ok("reverse" in sgr_attrs_at(row, row.index("bob")), "the mention's name is not highlighted: %r" % row)
    row2 = [r for r in raw if "no ping here" in r][0]
    c.ok("reverse" not in sgr_attrs_at(row2, row2.index("bob")), "a plain line is highlighted")
    # /me and /clear
    alice.type("/me stretches")
    alice.wait_text(r"\* │ alice stretches")
    bob.wait(r'"event":\s*"action".*"stretches"', "bob did not get the action")
    alice.type("/clear")
    alice.wait(lambda s: "lunch" not in s and "stretches" not in s, "/clear left lines")
    alice.type("/away brb")
    bob.wait(r'"event":\s*"away".*"brb"', "bob did not get the away reason")
    alice.wait_text(r"you are away: brb")
    alice.type("/quit see you")
    assert_clean_exit(c, alice, "/quit see you")
    bob.wait(r'"event":\s*"quit-message".*"see you"', "bob did not get the quit message")


def scenario_complete(env, c):
    """Tab completes member names (with ': ' at the start of the line) and commands; two
    sessions of one key are one member."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    for n in ("bob", "carol"):
        b = env.start_batch(n)
        b.wait(r'"event":\s*"ready"', n + " never became ready")
        alice.wait_text(n + r" joined")
    alice.type("ca", enter=False)
    alice.keys("Tab")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("] carol:"), "Tab did not complete carol")
    alice.type("hi", enter=True)
    alice.wait_text(r"alice » carol: hi")
    alice.type("/fin", enter=False)
    alice.keys("Tab")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("] /fingerprint"), "Tab did not complete /fingerprint")
    alice.keys("Enter")
    alice.wait_text(r"your fingerprint: ")
    alice.type("thanks b", enter=False)
    alice.keys("Tab")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("] thanks bob"), "Tab did not complete bob mid-line")
    alice.keys("C-u")

    # A second session of bob's key: no second join, /who counts it.
    bob2 = env.start_batch("bob")
    bob2.wait(r'"event":\s*"ready"', "bob's second session never became ready")
    alice.type("/who")
    screen = alice.wait_text(r"bob +" + re.escape(env.fpr["bob"]) + r" +\(2 sessions\)",
                             "/who does not count bob's sessions")
    c.ok(len(re.findall(r"bob joined", screen)) == 1, "a second session gave a second join:\n" + screen)


def scenario_paste(env, c):
    """Bracketed paste: 50 lines ask first, then go as one message; a pasted '/quit' is text;
    a paste over the message limit goes as several messages with a notice."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    lines = ["pasted line %02d" % i for i in range(1, 51)]
    paste(env, alice, "\n".join(lines) + "\n")
    alice.wait_text(r"paste of 50 lines")
    c.ok(not any("pasted line" in l for l in bob.lines), "the paste was sent before asking")
    alice.keys("Enter")
    want = "\\n".join(lines)
    bob.wait(r'"text":"' + re.escape(want) + '"', "the 50 lines did not arrive as one message")
    alice.wait_text(r"pasted line 50")

    paste(env, alice, "/quit\nis not a command")
    bob.wait(r'"text":"/quit\\nis not a command"', "a pasted /quit was not sent as text")
    c.ok(not os.path.exists(alice.base + ".rc"), "a pasted /quit ended the client")

    # What was typed stays: the paste goes in at the cursor.
    alice.type("before  after", enter=False)
    alice.keys("Left", "Left", "Left", "Left", "Left", "Left")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("] before  after"), "typed text")
    paste(env, alice, "one\ntwo")
    bob.wait(r'"text":"before one\\ntwo after"', "the paste did not go in at the cursor")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("]"), "the editor was not emptied")

    words = " ".join("w%05d" % i for i in range(3000))   # 20999 bytes, one line
    paste(env, alice, words)
    alice.wait_text(r"split into 2 messages")
    alice.keys("Enter")
    bob.wait(r"w02999", "the end of the long paste did not arrive")
    got = [re.search(r'"text":"([^"]*)"', l).group(1) for l in bob.lines
           if '"event":"message"' in l and '"w0' in l]
    c.ok(len(got) == 2 and "".join(got) == words, "the long paste was cut or altered: %d parts" % len(got))
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")


def scenario_ctrlc(env, c):
    """Ctrl-C does not quit (a hint instead); Ctrl-D with an unsent line asks first, and the
    line is printed on the way out, never dropped silently."""
    s = socket.create_connection(("127.0.0.1", env.port))
    room = ROOM.encode() + b"-keyless"
    body = bytes([len(room)]) + room
    s.sendall(struct.pack(">IBBII", 10 + len(body), 1, 1, 0, 0) + body)
    s.recv(64)
    try:
        pane = env.start_ui("ctrlc", "bob", extra=["--room", ROOM + "-keyless"])
        pane.wait_text(r"│ (waiting-key|joining|making-key|connecting)", "not waiting for a key")
        pane.keys("C-c")
        pane.wait_text(r"Ctrl-C does not quit")
        pane.type("unsent words")
        pane.wait_text(r"1 pending")
        c.ok(not os.path.exists(pane.base + ".rc"), "Ctrl-C ended the client")
        pane.keys("C-d")
        pane.wait_text(r"1 line not sent yet")
        c.ok(not os.path.exists(pane.base + ".rc"), "Ctrl-D left with a line unsent")
        pane.keys("C-d")
        assert_clean_exit(c, pane, "Ctrl-D twice")
        err = pane.stderr()
        c.ok("not sent" in err and "unsent words" in err, "the unsent line is not on stderr: %r" % err)
    finally:
        s.close()


def scenario_windows(env, c):
    """/join opens a second window on the same relay; Alt-N and /window N switch; the
    status line marks activity in the window not shown."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    other = ROOM + "-other"
    bob = env.start_batch("bob", extra=["--room", other])
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.type("/join " + other)
    alice.wait(lambda s: alice.input_row().startswith("[#" + other + "]"), "no window for the new room")
    alice.wait_ready()
    bob.wait(r'"event":\s*"joined".*"alice"', "alice never joined bob's room")
    bob.send("hello other room")
    alice.wait_text(r"bob │ hello other room")
    alice.keys("M-1")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"), "Alt-1 did not switch back")
    c.ok("hello other room" not in alice.screen(), "window 1 shows window 2's lines")
    bob.send("ping window 2")
    alice.wait(lambda s: "Act: 2" in alice.status_row(), "no activity marker for window 2")
    alice.type("/window 2")
    alice.wait(lambda s: "ping window 2" in s and "Act:" not in alice.status_row(), "/window 2")
    alice.type("typed in two")
    bob.wait(r'"text":"typed in two"', "a line typed in window 2 did not go to its room")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit with two windows")


def scenario_dm(env, c):
    """Direct messages: a DM opens a private view (window 2) without switching to it; the
    status line counts its unread lines ("Act: 2:bob(2)"); /window 2 shows them and clears
    the count; a line typed there is a DM back; /query switches to it; a DM to an unknown name
    says so."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.wait_text(r"bob joined")
    bob.send("/msg alice psst one")
    alice.wait(lambda s: "Act: 2:bob(1)" in alice.status_row(),
               "no unread count for the private view: %r" % alice.status_row())
    c.ok(alice.input_row().startswith("[#" + ROOM + "]"), "a DM switched the window")
    bob.send("/msg alice psst two")
    alice.wait(lambda s: "Act: 2:bob(2)" in alice.status_row(), "the count did not grow")
    c.ok("psst" not in alice.screen(), "the room window shows the DM")
    alice.type("/window 2")
    alice.wait(lambda s: "psst one" in s and "psst two" in s, "/window 2 does not show the DMs")
    alice.wait(lambda s: "Act:" not in alice.status_row() and
               "private: bob" in alice.status_row(), "the count stays once shown")
    c.ok(alice.input_row().startswith("[bob]"), "the prompt names the peer: %r" % alice.input_row())
    alice.type("reply in private")
    bob.wait(r'"text":"reply in private".*"private":true,"to":"bob"', "bob did not get the DM")
    alice.wait_text(r"alice » reply in private")
    alice.keys("M-1")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"), "Alt-1")
    c.ok("reply in private" not in alice.screen(), "the DM shows in the room window")
    alice.type("/query bob")
    alice.wait(lambda s: alice.input_row().startswith("[bob]"), "/query bob did not switch")
    alice.type("/msg zed hi")
    alice.wait_text(r"not sent: no such member: zed")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit with a private view")


def scenario_dmhistory(env, c):
    """Direct messages are in the local history: after a restart, the private view a DM opens
    shows the conversation's stored lines first (dimmed, then "N lines above from the local
    history") and the new DM once, live, below; /history and /search in the view are that
    conversation's, in the room window they never show a DM; /forget in the view wipes it."""
    env.env["XDG_DATA_HOME"] = os.path.join(env.dir, "data")
    alice = env.start_ui("dmh1", "alice")
    alice.wait_ready()
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.wait_text(r"bob joined")
    bob.send("/msg alice stored psst")
    alice.wait(lambda s: "Act: 2:bob(1)" in alice.status_row(),
               "no private view for the DM: %r" % alice.status_row())
    alice.type("/window 2")
    alice.wait_text(r"bob │ stored psst", "/window 2 does not show the DM")
    alice.type("stored reply")
    bob.wait(r'"text":"stored reply".*"private":true', "bob did not get the DM")
    alice.wait_text(r"alice » stored reply")

    def bob_saw(pattern):
        with bob.lock:
            return sum(1 for l in bob.lines if re.search(pattern, l))

    rekeys = bob_saw(r'"event":"rekeyed".*"reason":"left"')
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")
    # alice's leave rotates the key, and a DM sent across the rotation is
    # refused (not-ready): wait for bob's rotation, not for luck.
    wait_for(lambda: bob_saw(r'"event":"rekeyed".*"reason":"left"') > rekeys,
             "bob never rotated after alice left")

    def alice_joins():
        return bob_saw(r'"event":"joined","name":"alice"')

    joins = alice_joins()
    alice = env.start_ui("dmh2", "alice")
    alice.wait_ready()
    wait_for(lambda: alice_joins() > joins, "bob never saw alice join again")
    screen = alice.screen()
    c.ok("psst" not in screen and "stored reply" not in screen,
         "the room window restored a DM:\n" + screen)
    bob.send("/msg alice live psst")
    alice.wait(lambda s: "Act: 2:bob(1)" in alice.status_row(),
               "the DM after the restart opened no view: %r" % alice.status_row())
    alice.type("/window 2")
    screen = alice.wait_text(r"bob │ live psst", "/window 2 does not show the new DM")
    rows = screen.split("\n")
    at = [i for i, r in enumerate(rows) if re.search(r"bob ┆ stored psst", r)]
    reply = [i for i, r in enumerate(rows) if re.search(r"alice ┆ stored reply", r)]
    sep = [i for i, r in enumerate(rows) if "2 lines above from the local history" in r]
    live = [i for i, r in enumerate(rows) if "live psst" in r]
    c.ok(len(at) == 1 and len(reply) == 1 and len(sep) == 1 and len(live) == 1 and
         at[0] < reply[0] < sep[0] < live[0],
         "the view does not show the stored lines, then the separator, then the new DM "
         "once:\n" + screen)
    esc = [r for r in alice.screen(escapes=True).split("\n") if "stored psst" in r]
    c.ok(bool(esc) and "dim" in sgr_attrs_at(esc[0], esc[0].index("stored psst")),
         "the stored DM is not dimmed: %r" % esc)
    live_esc = [r for r in alice.screen(escapes=True).split("\n") if "live psst" in r]
    c.ok(bool(live_esc) and "dim" not in sgr_attrs_at(live_esc[0], live_esc[0].index("live psst")),
         "the new DM is dimmed: %r" % live_esc)
    alice.type("/history")
    alice.wait_text(r"3 stored lines above", "/history in the view does not count its 3 DMs")
    alice.type("/search PSST")
    alice.wait_text(r'2 matches for "PSST"', "/search in the view")
    alice.keys("M-1")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"), "Alt-1")
    alice.type("/search psst")
    alice.wait_text(r'0 matches for "psst"', "/search in the room found a DM")
    alice.type("/history")
    screen = alice.wait_text(r"stored lines? above", "/history in the room")
    leaked = [r for r in screen.split("\n") if "┆" in r and ("psst" in r or "stored reply" in r)]
    c.ok(not leaked, "/history in the room shows a DM:\n" + screen)
    alice.keys("M-2")
    alice.wait(lambda s: alice.input_row().startswith("[bob]"), "Alt-2")
    alice.type("/forget")
    alice.wait_text(r"private messages with bob in #%s is wiped" % ROOM, "/forget in the view")
    alice.type("/history")
    alice.wait_text(r"0 stored lines above", "/history after /forget in the view")
    bob.send("/msg alice kept not shown")
    alice.wait_text(r"bob │ kept not shown", "the DM after /forget")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")

    # --history 0: a view opens with nothing restored, the DM is there for /history.
    alice = env.start_ui("dmh3", "alice", extra=["--history", "0"])
    alice.wait_ready()
    alice.type("/query bob")
    screen = alice.wait_text(r"private messages with bob in #%s" % ROOM, "/query bob")
    c.ok("kept not shown" not in screen and "lines above" not in screen,
         "--history 0 restored DMs:\n" + screen)
    alice.type("/history")
    alice.wait_text(r"1 stored line above", "/history in the view after --history 0")
    alice.wait_text(r"bob ┆ kept not shown", "the stored DM is not shown by /history")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")
    bob.quit()


def scenario_close(env, c):
    """/close: a private view goes, its slot with it (the windows after it move down one
    number: the status line's Act: list, Alt-N and /window N agree); a later DM opens the
    view again instead of landing in the room window; a room window is not closed; /help
    lists /close."""
    alice = env.start_ui("alice", "alice")
    alice.wait_ready()
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.wait_text(r"bob joined")
    for k in range(2, 9):                   # windows 2..8: views with p2..p8
        alice.type("/query p%d" % k)
        alice.wait(lambda s: alice.input_row().startswith("[p%d]" % k), "/query p%d" % k)
    alice.keys("M-1")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"), "Alt-1")
    bob.send("/msg alice first dm")
    alice.wait(lambda s: "Act: 9:bob(1)" in alice.status_row(),
               "the DM did not open window 9: %r" % alice.status_row())
    alice.type("/query p9")
    alice.wait_text(r"/query: at most 9 windows")
    # Close window 3 (p3) from inside it: the room window is shown, bob's view is 8 now.
    alice.keys("M-3")
    alice.wait(lambda s: alice.input_row().startswith("[p3]"), "Alt-3")
    alice.type("/close")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"),
               "/close did not show the room window: %r" % alice.input_row())
    alice.wait(lambda s: "win 1/8" in alice.status_row() and "Act: 8:bob(1)" in alice.status_row(),
               "no renumbering after /close: %r" % alice.status_row())
    alice.wait_text(r"closed the private view with p3")
    alice.keys("M-3")
    alice.wait(lambda s: alice.input_row().startswith("[p4]"), "Alt-3 is not p4 after the close")
    alice.type("/window 8")
    alice.wait(lambda s: alice.input_row().startswith("[bob]") and "first dm" in s,
               "/window 8 is not bob's view")
    alice.type("/close")
    alice.wait(lambda s: "win 1/7" in alice.status_row(), "bob's view not closed: %r" % alice.status_row())
    # The slot is free: a later DM opens the view again, in a window of its own.
    bob.send("/msg alice second dm")
    alice.wait(lambda s: "Act: 8:bob(1)" in alice.status_row(),
               "the DM did not reopen the view: %r" % alice.status_row())
    c.ok("second dm" not in alice.screen(), "the DM shows in the room window")
    alice.keys("M-8")
    alice.wait(lambda s: alice.input_row().startswith("[bob]") and "second dm" in s,
               "Alt-8 does not show the reopened view")
    alice.keys("M-1")
    alice.wait(lambda s: alice.input_row().startswith("[#" + ROOM + "]"), "Alt-1")
    alice.type("/close")
    alice.wait_text(r"window 1 is the room #%s: /close closes private views only" % ROOM)
    c.ok("win 1/8" in alice.status_row(), "/close in the room window closed something")
    alice.type("/help")
    alice.wait_text(r"/close +close this private view")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit after /close")


def scenario_history(env, c):
    """Input history survives a restart (under $XDG_STATE_HOME/sotto, mode 0600);
    --timestamp-format shows seconds."""
    state = os.path.join(env.dir, "state")
    env.env["XDG_STATE_HOME"] = state
    alice = env.start_ui("alice1", "alice")
    alice.wait_ready()
    alice.type("remember this line")
    alice.wait_text(r"alice » remember this line")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")
    path = os.path.join(state, "sotto", "history")
    c.ok(os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600,
         "no history file with mode 0600 at %s" % path)
    alice = env.start_ui("alice2", "alice", extra=["--timestamp-format", "%H:%M:%S"])
    alice.wait_ready()
    alice.wait_text(r"^\d\d:\d\d:\d\d ", "no seconds in the time column")
    alice.keys("Up")
    alice.keys("Up")
    alice.wait(lambda s: alice.input_row().rstrip().endswith("] remember this line"),
               "history lost across a restart")
    alice.keys("C-u")
    alice.keys("C-d")
    assert_clean_exit(c, alice, "Ctrl-D")


def scenario_locale(env, c):
    """A non-UTF-8 locale: one warning at start."""
    env.env["LANG"] = env.env["LC_ALL"] = "C"
    pane = env.start_ui("clocale", "alice")
    screen = pane.wait_text(r"not UTF-8")
    pane.wait_text(r"\| ready \|", "never became ready")
    c.ok(len(re.findall(r"not UTF-8", pane.screen())) == 1, "the locale warning is not shown once:\n" + screen)
    pane.keys("C-d")
    assert_clean_exit(c, pane, "Ctrl-D")


def scenario_retry(env, c):
    """The relay is not up at start: the UI says so and keeps trying; once it is up, ready."""
    port = free_port()
    pane = env.start_ui("retry", "alice", relay_port=port)
    pane.wait_text(r"unreachable.*retrying")
    pane.wait(lambda s: re.search(r"│ (connecting|reconnecting|disconnected)", pane.status_row()),
              "the status line does not show the state")
    c.ok(not os.path.exists(pane.base + ".rc"), "the UI gave up on a relay that is not up")
    p = subprocess.Popen(tu.RELAY_WRAPPER + [env.args.relay, "--listen", "127.0.0.1:%d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.procs.append(p)
    pane.wait_ready()
    pane.keys("C-d")
    assert_clean_exit(c, pane, "Ctrl-D")


def scenario_usage(env, c):
    """Command-line errors come before curses, with exit status 2."""
    for extra in (["--room", ""], ["--timestamp-format", ""], ["--bogus"]):
        pane = env.start_ui("usage%d" % len(extra[0]), "alice", extra=extra)
        rc = pane.wait_exit()
        c.ok(rc == 2, "%r: exit status %d, want 2" % (extra, rc))
        c.ok(pane.stderr().startswith("sotto: ") or pane.stderr().startswith("usage:") or
             "sotto:" in pane.stderr(), "%r: no message: %r" % (extra, pane.stderr()))


# --- files and pictures -------------------------------------------------------

BLOCKS = re.compile("[\u2580-\u259f]")
COLOUR_256 = re.compile(r"\x1b\[[0-9;]*(38|48);5;[0-9]+")


def png_bytes(w, h):
    """A w x h RGB gradient as a PNG, written here (zlib and CRC-32 by hand)."""
    raw = b"".join(b"\0" + bytes(v for x in range(w) for v in
                                   (x * 255 // (w - 1), y * 255 // (h - 1), 60 + (x * y) % 150))
                   for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def picture_rows(screen_e):
    """Rows of a capture-pane -e screen holding block symbols drawn in 256 colours."""
    return [r for r in screen_e.split("\n") if len(BLOCKS.findall(r)) >= 8 and COLOUR_256.search(r)]


def scenario_picture(env, c):
    """bob (batch) sends a small PNG to the room: alice's pane says so, takes it without
    asking (under 4 MiB), shows where it went and an inline preview: rows of block symbols
    in 256 colours (capture-pane -e), at most 40 x 12 cells; the file on disk is the one sent;
    /view N shows it larger outside curses until a key brings the UI back."""
    dl = os.path.join(env.dir, "dl-alice")
    alice = env.start_ui("alice", "alice", extra=["--download-dir", dl])
    alice.wait_ready()
    bob = env.start_batch("bob", extra=["--download-dir", os.path.join(env.dir, "dl-bob")])
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.wait_text(r"bob joined")
    data = png_bytes(96, 64)
    src = os.path.join(env.dir, "sunset.png")
    with open(src, "wb") as f:
        f.write(data)
    # Before the picture: no row of coloured blocks anywhere.
    c.ok(picture_rows(alice.screen(escapes=True)) == [], "blocks on the screen before the picture")
    bob.send("/send " + src)
    alice.wait_text(r"bob sends sunset\.png, \d+ (B|KiB) \(small enough")
    alice.wait_text(r"received sunset\.png from bob, .*dl-alice/sunset\.png")
    m = re.search(r"/view (\d+) shows it larger", alice.wait_text(r"/view \d+ shows it larger"))
    alice.wait(lambda s: len(picture_rows(alice.screen(escapes=True))) >= 4,
               "no coloured preview under the received line")
    rows = picture_rows(alice.screen(escapes=True))
    c.ok(len(rows) <= 12, "the preview is more than 12 rows: %d" % len(rows))
    c.ok(all(len(BLOCKS.findall(r)) <= 40 for r in rows), "the preview is wider than 40 cells")
    got = open(os.path.join(dl, "sunset.png"), "rb").read()
    c.ok(got == data, "the received file differs from the one sent")
    bob.wait(r'"event":\s*"file-sent"', "bob never heard the file arrived")
    alice.type("/view " + m.group(1))
    alice.wait(lambda s: "press any key to go back" in s and
               len([r for r in s.split("\n") if BLOCKS.search(r)]) > 12,
               "/view shows no larger picture")
    alice.keys("q")
    alice.wait(lambda s: "press any key" not in s and re.search(r"│ ready │", s) and
               alice.input_row().startswith("[#" + ROOM + "]"), "no way back from /view")
    c.ok(alice.input_row().rstrip() == "[#" + ROOM + "]", "the key that ended /view was typed: %r"
         % alice.input_row())
    alice.type("/view 99")
    alice.wait_text(r"/view 99: no picture 99 received")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit after a picture")


class UpRecorder:
    """A proxy in front of the relay for one UI client: it records the frames the client
    sends (type and body), forwarding everything both ways unchanged."""

    def __init__(self, relay_port):
        self.relay_port = relay_port
        self.lsock, self.port = listen_socket(2)
        self.frames = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            c, _ = self.lsock.accept()
        except OSError:
            return
        r = socket.create_connection(("127.0.0.1", self.relay_port))
        threading.Thread(target=self._down, args=(r, c), daemon=True).start()
        f = c.makefile("rb")
        while True:
            fm, raw = read_frame(f)
            if fm is None:
                break
            with self.lock:
                self.frames.append((fm.type, fm.body))
            try:
                r.sendall(raw)
            except OSError:
                break
        for s in (r, c):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _down(self, r, c):
        try:
            while True:
                data = r.recv(65536)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass

    def leaves(self):
        """INI frames sent with the LEAVE flag (docs/protocol.md "v2: INI": the room
        prefix, version, flags; LEAVE is bit 2)."""
        out = []
        with self.lock:
            for ftype, body in self.frames:
                if ftype == 1 and len(body) >= 1 and len(body) >= body[0] + 3:
                    if body[body[0] + 2] & 0x04:
                        out.append(body)
        return out


def scenario_leave(env, c):
    """Quitting the UI (/quit, or Ctrl-D on an empty line) sends the signed LEAVE before
    closing, as batch mode does: an INI with the LEAVE flag goes up, and bob sees alice
    leave."""
    bob = env.start_batch("bob")
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    for i, how in enumerate(("/quit", "C-d")):
        up = UpRecorder(env.port)
        alice = env.start_ui("alice%d" % i, "alice", relay_port=up.port)
        alice.wait_ready()
        bob.wait(r'"event":\s*"joined".*"alice"', "alice never joined")
        c.ok(up.leaves() == [], "a LEAVE before quitting")
        if how == "/quit":
            alice.type("/quit")
        else:
            alice.keys("C-d")
        assert_clean_exit(c, alice, how)
        wait_for(lambda: len(up.leaves()) == 1, "%s: no signed LEAVE went up" % how)
        wait_for(lambda: len([l for l in bob.lines if re.search(r'"event":\s*"left".*"alice"', l)])
                 == i + 1, "%s: bob did not see alice leave" % how)
        up.lsock.close()


def scenario_files(env, c):
    """Offers that wait and the commands: bob offers a 5 MiB file (over the 4 MiB auto-accept):
    alice's pane shows `bob offers big.bin, 5.0 MiB, /accept N`; /accept N shows its progress on
    the status line (`N↓..%`) and then the received line, and the field goes; a second offer is
    refused with /cancel M (a failed line, and bob hears of it); alice's own /send shows
    `offering …` and `bob has …` once bob has it; her /send of the 5 MiB file says
    `hashing big.bin …` with its number before `offering …`."""
    dl = os.path.join(env.dir, "dl-alice")
    alice = env.start_ui("alice", "alice", extra=["--download-dir", dl])
    alice.wait_ready()
    bob = env.start_batch("bob", extra=["--download-dir", os.path.join(env.dir, "dl-bob"),
                                        "--accept-files"])
    bob.wait(r'"event":\s*"ready"', "bob never became ready")
    alice.wait_text(r"bob joined")
    big = os.path.join(env.dir, "big.bin")
    data = os.urandom(5 * 1024 * 1024)
    with open(big, "wb") as f:
        f.write(data)
    bob.send("/send " + big)
    m = re.search(r"bob offers big\.bin, 5\.0 MiB, /accept (\d+)",
                  alice.wait_text(r"bob offers big\.bin, 5\.0 MiB, /accept \d+"))
    n = m.group(1)
    c.ok(re.search(n + "[\u2193v]", alice.status_row()) is None, "progress before /accept")
    alice.type("/accept " + n)
    # About 85 chunks at 40 a second: two seconds of progress to see.
    alice.wait(lambda s: re.search(r"\b" + n + "\u2193\\d+% ([0-9.]+[BKM]/s|\\?) ([0-9hms]+|\\?)",
                                   alice.status_row()) is not None, "no progress on the status line")
    alice.wait_text(r"received big\.bin from bob, 5\.0 MiB: .*dl-alice/big\.bin")
    alice.wait(lambda s: "\u2193" not in alice.status_row(), "the finished transfer stays on the status line")
    c.ok(open(os.path.join(dl, "big.bin"), "rb").read() == data, "big.bin differs")
    bob.send("/send " + big)
    second = r"bob offers big\.bin, 5\.0 MiB, /accept (?!%s\b)(\d+)" % n
    m = re.search(second, alice.wait_text(second))
    alice.type("/cancel " + m.group(1))
    alice.wait_text(r"transfer %s \(big\.bin\) failed: .*\(cancelled\)" % m.group(1))
    bob.wait(r'"file-refused"|"event":\s*"file-failed"', "bob did not hear of the refusal")
    small = os.path.join(env.dir, "note.txt")
    with open(small, "w") as f:
        f.write("a note from alice\n")
    alice.type("/send " + small)
    alice.wait_text(r"offering note\.txt, 18 B, to the room \(transfer \d+")
    bob.wait(r'"event":\s*"file-received".*note\.txt', "bob did not get alice's file")
    alice.wait_text(r"bob has note\.txt \(transfer \d+\)")
    # Over 1 MiB: hashed a slice per loop turn first, said with its number, then offered.
    alice.type("/send " + big)
    m = re.search(r"hashing big\.bin, 5\.0 MiB, before offering it \(transfer (\d+); /cancel \d+",
                  alice.wait_text(r"hashing big\.bin, 5\.0 MiB, before offering it \(transfer \d+"))
    alice.wait_text(r"offering big\.bin, 5\.0 MiB, to the room \(transfer %s;" % m.group(1))
    alice.type("/cancel " + m.group(1))
    alice.wait_text(r"transfer %s \(big\.bin\) failed: .*\(cancelled\)" % m.group(1))
    # To bob only: a DM file, its lines in the private view with bob.
    alice.type("/send bob " + small)
    bob.wait(r'"event":\s*"file-received".*"private":\s*true', "bob did not get the private file")
    alice.wait(lambda s: "win 1/2" in alice.status_row(), "no private view for the DM file")
    c.ok(not re.search(r"to bob \(transfer", alice.screen()), "the DM file's line is in the room window")
    alice.type("/window 2")
    alice.wait_text(r"offering note\.txt, 18 B, to bob \(transfer \d+")
    alice.wait_text(r"bob has note\.txt")
    alice.keys("M-1")
    alice.type("/accept 999")
    alice.wait_text(r"/accept 999: ")
    alice.type("/send /nonexistent/file")
    alice.wait_text(r"not sent: ")
    # "/send bob PATH" where "bob PATH" is also a file (relative to the
    # UI's working directory, which is ours): refused, never a room file.
    twin = os.path.join(os.getcwd(), "bob " + small)
    os.makedirs(os.path.dirname(twin), exist_ok=True)
    try:
        with open(twin, "w") as f:
            f.write("a room file by accident\n")
        alice.type("/send bob " + small)
        alice.wait_text(r"/send: both a file and a member's name with a file; nothing sent")
    finally:
        shutil.rmtree(os.path.join(os.getcwd(), "bob "), ignore_errors=True)
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit after files")


SCENARIOS = {"dm": scenario_dm, "close": scenario_close, "dmhistory": scenario_dmhistory, "untrusted": scenario_untrusted, "waitkey": scenario_waitkey,
             "mention": scenario_mention, "complete": scenario_complete,
             "paste": scenario_paste, "ctrlc": scenario_ctrlc, "windows": scenario_windows,
             "history": scenario_history, "locale": scenario_locale, "retry": scenario_retry,
             "usage": scenario_usage, "picture": scenario_picture, "files": scenario_files, "leave": scenario_leave}


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--relay", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("tests", nargs="*")
    args = ap.parse_args()
    if shutil.which("tmux") is None:
        print("tmux not found (apt-get install tmux)\n0 passed, 1 failed")
        return 1
    c = CHECKS
    for name in args.tests or list(SCENARIOS):
        env = Env(args)
        try:
            SCENARIOS[name](env, c)
        except Failure as e:
            c.ok(False, "%s: %s" % (name, e))
        except Exception:
            c.ok(False, "%s: %s" % (name, traceback.format_exc()))
        finally:
            env.close()
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 and c.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

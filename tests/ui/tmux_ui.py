#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""tmux_ui.py: the real sotto UI under tmux: what one member types shows in
another's pane with the right name; a member's escape sequences and bidi
overrides arrive neutralised; resize, /who, /fingerprint, unknown commands,
pending lines, the fatal-error path and a restored terminal on every exit.

usage: tmux_ui.py --relay BIN --client BIN --keygen BIN [TEST...]

SOTTO_CLIENT_WRAPPER and SOTTO_RELAY_WRAPPER prefix the client and relay
commands (valgrind); SOTTO_TIME_SCALE multiplies every deadline.

Every wait is on a condition with a deadline (capture-pane polled), never a
fixed sleep. tmux runs on a private socket in a temporary folder, so a
user's tmux server is never touched. Prints "N passed, N failed".
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOM = "uitest"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import (CLIENT_WRAPPER, INI, RELAY_WRAPPER, SCALE, SoftChecks,  # noqa: E402
                       TestFailure, frame, free_port, listening, room_prefix)

DEADLINE = 30 * SCALE
W, H = 100, 30
# Whoever hands over a key file picks its name, which is the member's name.
# (The trusted-folder loader already refuses control characters in names;
# a bidi override is not one, so the display must neutralise it.)
EVIL_NAMES = {"eve": "eve\u202elive"}
SANITIZER_WORDS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")


Failure = TestFailure
CHECKS = SoftChecks()


class Env:
    """Keys, a relay, a tmux server: everything one run needs, torn down at the end."""

    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="sotto-ui.")
        self.procs = []
        self.sock = os.path.join(self.dir, "tmux.sock")
        self.conf = os.path.join(self.dir, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write("set -g default-terminal tmux-256color\n"
                    "set -g remain-on-exit on\n"
                    "set -g status off\n"
                    "set -g escape-time 0\n")
        self.env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.env.pop("TMUX", None)
        self.fpr = {}
        self.trusted = os.path.join(self.dir, "trusted")
        os.mkdir(self.trusted)
        for name in ("alice", "bob", "carol", "dave", "eve"):
            self.keygen(name, trusted=(name != "dave"))
        # dave trusts everyone, nobody trusts dave: his frames are dropped.
        self.dave_trusted = os.path.join(self.dir, "dave-trusted")
        shutil.copytree(self.trusted, self.dave_trusted)
        shutil.copy(os.path.join(self.dir, "dave.pub"), self.dave_trusted)
        self.port = self.start_relay()

    def keygen(self, name, trusted):
        key = os.path.join(self.dir, name)
        subprocess.run([self.args.keygen, "-f", key, "-N", "", "-C", name + "@ui"],
                       check=True, capture_output=True, env=self.env)
        out = subprocess.run([self.args.keygen, "-l", "-f", key], check=True,
                             capture_output=True, text=True, env=self.env).stdout
        m = re.search(r"SHA256:[A-Za-z0-9+/]{43}", out)
        if not m:
            raise Failure("no fingerprint in sotto-keygen -l output: %r" % out)
        self.fpr[name] = m.group(0)
        if trusted:
            shutil.copy(key + ".pub", os.path.join(self.trusted, EVIL_NAMES.get(name, name) + ".pub"))

    def start_relay(self):
        for attempt in range(20):
            port = free_port()
            log = os.path.join(self.dir, "relay%d.log" % attempt)
            p = subprocess.Popen(RELAY_WRAPPER + [self.args.relay, "--listen",
                                                  "127.0.0.1:%d" % port],
                                 stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline and p.poll() is None:
                if listening(port):
                    self.procs.append(p)
                    return port
                time.sleep(0.02)
            p.kill()
            p.wait()
        raise Failure("could not start sotto-relay")

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-S", self.sock, "-f", self.conf] + list(args),
                           capture_output=True, text=True, env=self.env)
        if check and r.returncode != 0:
            raise Failure("tmux %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout

    def client_argv(self, name, relay_port=None, trusted=None, extra=()):
        return CLIENT_WRAPPER + [self.args.client, "--identity", os.path.join(self.dir, name),
                "--trusted", trusted or self.trusted, "--room", ROOM] + list(extra) + \
               ["127.0.0.1:%d" % (relay_port or self.port)]

    def start_ui(self, session, name, w=W, h=H, **kw):
        """A UI client in its own tmux session; its exit status, stderr and
        the terminal modes after it ends land in files."""
        argv = self.client_argv(name, **kw)
        base = os.path.join(self.dir, session)
        script = base + ".sh"
        with open(script, "w") as f:
            f.write("#!/bin/sh\n")
            f.write(" ".join(shlex.quote(a) for a in argv) + " 2>'%s.err'\n" % base)
            f.write("rc=$?\n")
            f.write("stty -a > '%s.stty' 2>&1\n" % base)
            f.write("echo $rc > '%s.rc.tmp' && mv '%s.rc.tmp' '%s.rc'\n" % (base, base, base))
        os.chmod(script, 0o755)
        self.tmux("new-session", "-d", "-s", session, "-x", str(w), "-y", str(h), script)
        return Pane(self, session)

    def start_batch(self, name, trusted=None, extra=()):
        p = subprocess.Popen(self.client_argv(name, trusted=trusted, extra=extra) + ["--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=open(os.path.join(self.dir, name + ".batch.err"), "w"),
                             env=self.env)
        self.procs.append(p)
        b = Batch(p)
        return b

    def close(self):
        self.tmux("kill-server", check=False)
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Batch:
    """A `sotto --batch` member: exact input bytes, JSON events collected."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace"))

    def send(self, text):
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def wait(self, pattern, what):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            with self.lock:
                if any(re.search(pattern, l) for l in self.lines):
                    CHECKS.passed += 1
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise Failure("batch client: %s; it printed:\n%s" % (what, "".join(self.lines)))

    def quit(self):
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure("batch client did not exit after end of input")


class Pane:
    def __init__(self, env, session):
        self.env = env
        self.session = session
        self.base = os.path.join(env.dir, session)

    def screen(self, escapes=False):
        args = ["capture-pane", "-p", "-t", self.session]
        if escapes:
            args.insert(1, "-e")
        return self.env.tmux(*args)

    def rows(self):
        return self.screen().split("\n")

    def keys(self, *keys):
        self.env.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text, enter=True):
        self.env.tmux("send-keys", "-t", self.session, "-l", text)
        if enter:
            self.keys("Enter")

    def resize(self, w, h):
        self.env.tmux("resize-window", "-t", self.session, "-x", str(w), "-y", str(h))

    def size(self):
        out = self.env.tmux("display", "-p", "-t", self.session,
                            "#{pane_width} #{pane_height}")
        w, h = out.split()
        return int(w), int(h)

    def status_row(self):
        rows = self.rows()
        _, h = self.size()
        return rows[h - 2] if len(rows) >= h else ""

    def input_row(self):
        rows = self.rows()
        _, h = self.size()
        return rows[h - 1] if len(rows) >= h else ""

    def wait(self, pred, what, timeout=None):
        deadline = time.monotonic() + (timeout or DEADLINE)
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if pred(screen):
                CHECKS.passed += 1
                return screen
            time.sleep(0.05)
        raise Failure("%s: %s; the pane shows:\n%s" % (self.session, what, screen))

    def wait_settled(self, pred, what, timeout=None):
        """Like wait, but the screen must also be the same in two captures in
        a row: tmux can capture a frame that curses is still drawing (slow
        under valgrind), and a torn frame is no reference to compare with."""
        prev = [None]

        def settled(screen):
            same = screen == prev[0]
            prev[0] = screen
            return same and pred(screen)
        return self.wait(settled, what, timeout)

    def wait_text(self, pattern, what=None):
        return self.wait(lambda s: re.search(pattern, s, re.M) is not None,
                         what or "no match for %r" % pattern)

    def wait_ready(self):
        self.wait(lambda s: re.search(r"│ ready │", s) is not None, "never became ready")

    def wait_exit(self):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if os.path.exists(self.base + ".rc"):
                return int(open(self.base + ".rc").read().strip())
            time.sleep(0.05)
        raise Failure("%s did not exit; the pane shows:\n%s" % (self.session, self.screen()))

    def client_pid(self):
        """The client process: the only child of the pane's shell."""
        shell = self.env.tmux("display", "-p", "-t", self.session, "#{pane_pid}").strip()
        out = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout
        pids = out.split()
        if len(pids) != 1:
            raise Failure("%s: cannot tell the client's pid (%r)" % (self.session, pids))
        return int(pids[0])

    def stderr(self):
        return open(self.base + ".err", errors="replace").read()


# --- checks ---------------------------------------------------------------

def sgr_state_at(row, index):
    """(dim, fg) in force at row[index] of a capture-pane -e row: replays its
    SGR sequences. fg is the last foreground chosen (None for default);
    38;5;N and 38;2;R;G;B arguments are taken whole, not misread."""
    dim, fg = False, None
    for m in re.finditer(r"\x1b\[([0-9;]*)m", row[:index]):
        ps = m.group(1).split(";") if m.group(1) else ["0"]
        i = 0
        while i < len(ps):
            p = ps[i] or "0"
            if p in ("38", "48"):
                n = 3 if i + 1 < len(ps) and ps[i + 1] == "5" else 5
                if p == "38":
                    fg = ";".join(ps[i:i + n])
                i += n
                continue
            if p == "0":
                dim, fg = False, None
            elif p == "2":
                dim = True
            elif p == "22":
                dim = False
            elif p == "39":
                fg = None
            elif 30 <= int(p) <= 37 or 90 <= int(p) <= 97:
                fg = p
            i += 1
    return dim, fg


def assert_clean_exit(c, pane, what):
    rc = pane.wait_exit()
    c.ok(rc == 0, "%s: exit status %d, want 0" % (what, rc))
    err = pane.stderr()
    c.ok(not any(w in err for w in SANITIZER_WORDS), "%s: sanitizer report:\n%s" % (what, err))
    stty = open(pane.base + ".stty").read()
    # After the client the terminal is back in cooked mode with echo.
    c.ok(re.search(r"(^|\s)icanon(\s|$)", stty) is not None and
         re.search(r"(^|\s)echo(\s|$)", stty) is not None,
         "%s: terminal not restored:\n%s" % (what, stty))
    alt = pane.env.tmux("display", "-p", "-t", pane.session, "#{alternate_on}").strip()
    c.ok(alt == "0", "%s: still on the alternate screen" % what)


# --- the scenario ---------------------------------------------------------

def scenario_chat(env, c):
    alice = env.start_ui("alice", "alice")
    bob = env.start_ui("bob", "bob")
    alice.wait_ready()
    bob.wait_ready()

    # A line typed in one pane shows in the other with the sender's name.
    text = "hello from alice: gr\u00fc\u00dfe \u4f60\u597d"
    alice.type(text)
    bob.wait_text(r"^\d\d:\d\d +alice │ " + re.escape(text) + "$",
                  "alice's line not shown with her name")
    alice.wait_text(r"alice » " + re.escape(text), "own line not marked as ours")

    # Names are coloured: the same colour on every run for the same key.
    row = [l for l in bob.screen(escapes=True).split("\n") if "hello from alice" in l][0]
    c.ok(sgr_state_at(row, row.index("alice"))[1] is not None,
         "alice's name has no colour: %r" % row)

    # A member's escape sequences and bidi override, sent byte-exact by a batch client.
    carol = env.start_batch("carol")
    carol.wait(r'"event":\s*"ready"', "carol never became ready")
    bob.wait_text(r"carol joined", "carol's join not shown")
    evil = "\x1b[2J\x1b[31mPWNED \u202eabc\x1b]0;owned\x07 end"
    carol.send(evil)
    screen = bob.wait_text(r"PWNED", "carol's hostile line not shown")
    c.ok(r"^[[2J^[[31mPWNED \u{202e}abc^[]0;owned^G end" in screen,
         "escape sequences not shown as visible markers:\n" + screen)
    c.ok("\u202e" not in screen, "a raw bidi override reached the pane")
    c.ok("hello from alice" in screen, "the screen was cleared by a member")
    raw = bob.screen(escapes=True)
    c.ok(all(m.group(0).endswith("m") for m in re.finditer(r"\x1b\[[0-9;?]*[@-~]", raw)),
         "the pane holds an escape sequence other than SGR")
    prow = [l for l in raw.split("\n") if "PWNED" in l][0]
    dim, fg = sgr_state_at(prow, prow.index("PWNED"))
    c.ok(not dim and fg not in ("31", "91"), "PWNED is not plain text: %r" % prow)
    for marker in ("^[[2J", "^[[31m", "\\u{202e}", "^G"):
        c.ok(sgr_state_at(prow, prow.index(marker))[0],
             "the marker %s is not dim: %r" % (marker, prow))

    # A name (a file name in the trusted folder) with a bidi override.
    eve = env.start_batch("eve")
    eve.wait(r'"event":\s*"ready"', "eve never became ready")
    eve.send("hi from eve")
    screen = bob.wait_text(r"hi from eve", "eve's line not shown")
    c.ok(re.search(r"eve\\u\{202e\}live │ hi from eve", screen) is not None,
         "eve's name is not neutralised:\n" + screen)
    c.ok("\u202e" not in screen, "a raw bidi override in a name reached the pane")
    c.ok(eve.quit() == 0, "batch eve did not exit 0")
    # eve's leave rotates the room's key (0.25 s later): wait for its line
    # here, so it cannot land in the scrolling scenario below, whose steps
    # take less than that with pooled session keys.
    alice.wait_text(r"new group key \(epoch \d+, left\)", "eve's leave did not rotate the key")

    # A frame from an untrusted key: one dim warning line, never its text.
    dave = env.start_batch("dave", trusted=env.dave_trusted)
    dave.send("dave was here")
    bob.wait_text(r"! │ dropped a frame: untrusted-key", "no warning for dave's frame")
    c.ok("dave was here" not in bob.screen(), "an untrusted member's text was shown")
    dave.proc.kill()

    # /who: names and fingerprints; /fingerprint: our own; unknown command: a hint.
    alice.type("/who")
    for name in ("alice", "bob", "carol"):
        alice.wait_text(re.escape(name) + r" +" + re.escape(env.fpr[name]),
                        "/who does not list %s with its fingerprint" % name)
    rows = alice.rows()
    head = max(i for i, r in enumerate(rows) if "3 members in #" + ROOM in r)
    c.ok(not any("dave" in r for r in rows[head:head + 4]), "/who lists an untrusted member")
    alice.type("/fingerprint")
    alice.wait_text(r"your fingerprint: " + re.escape(env.fpr["alice"]), "/fingerprint")
    alice.type("/FingerPrint")     # names match in any case
    alice.wait(lambda s: len(re.findall(r"your fingerprint: " + re.escape(env.fpr["alice"]), s)) >= 2,
               "/FingerPrint does not run /fingerprint")
    alice.type("/frobnicate now")
    alice.wait_text(r"unknown command /frobnicate: type /help", "no hint for an unknown command")
    alice.type("/help")
    alice.wait_text(r"/reload", "/help does not list /reload")
    scenario_scroll(c, alice, carol)

    scenario_resize(env, c, alice, bob)
    scenario_input(c, alice)

    # Quit three ways; each restores the terminal and exits 0.
    c.ok(carol.quit() == 0, "batch carol did not exit 0")
    alice.type("/quit")
    assert_clean_exit(c, alice, "/quit")
    bob.wait_text(r"alice left", "alice's leaving not shown")
    bob.keys("C-d")
    assert_clean_exit(c, bob, "Ctrl-D")


def scenario_scroll(c, alice, carol):
    """PgUp lifts the view; a line arriving meanwhile raises -- more -- and
    does not move the view; Ctrl-End and PgDn return to the live end."""
    alice.type("/help")   # enough lines to scroll
    # The table outgrew one screen: an unknown command typed after it
    # marks the end of the second /help.
    alice.type("/endofhelp")
    live = alice.wait_settled(lambda s: "unknown command /endofhelp" in s,
                              "/help again").split("\n")[:H - 2]
    alice.keys("PPage")
    top = alice.wait_settled(lambda s: s.split("\n")[:H - 2] != live and "-- more --" not in s,
                             "PgUp did not scroll up")
    carol.send("while you were away")
    alice.wait(lambda s: "-- more --" in s.split("\n")[H - 2],
               "no -- more -- for a line that arrived while scrolled up")
    c.ok(alice.screen().split("\n")[:H - 2] == top.split("\n")[:H - 2],
         "the view moved while scrolled up")
    alice.keys("C-End")
    alice.wait(lambda s: "while you were away" in s and "-- more --" not in s,
               "Ctrl-End did not return to the live end")
    alice.keys("PPage")
    alice.wait(lambda s: "while you were away" not in s, "PgUp")
    alice.keys("NPage")
    alice.wait(lambda s: "while you were away" in s and "-- more --" not in s,
               "PgDn did not return to the live end")


def scenario_resize(env, c, alice, bob):
    text = "resize me: " + "wrapping words " * 12
    alice.type(text)
    bob.wait_text(r"resize me")
    for (w, h) in ((60, 15), (45, 16), (120, 40)):
        bob.resize(w, h)
        # tmux may tell the client late: a frame drawn for the old size and
        # cut by tmux loses text, so a whole, re-wrapped line proves the redraw.
        bob.wait(lambda s: wrapped_text(s.split("\n"), "alice │ resize me") == text.strip(),
                 "the long line is not re-wrapped at word boundaries at %d columns" % w)
        bob.wait(lambda s, h=h: len(s.split("\n")) >= h and
                 "│ ready │" in s.split("\n")[h - 2],
                 "status line not intact at %dx%d" % (w, h))
        bob.type("abc", enter=False)
        bob.wait(lambda s, h=h: s.split("\n")[h - 1].rstrip().endswith("] abc"),
                 "input line not intact at %dx%d" % (w, h))
        bob.keys("C-u")
        rows = bob.rows()
        c.ok(max(len(r) for r in rows) > w - 10,
             "the screen does not use the width at %dx%d" % (w, h))


def wrapped_text(rows, head):
    """The text of the scrollback line whose first row contains head, its
    continuation rows (blank name column, then "│ ") joined by spaces."""
    start = [i for i, r in enumerate(rows) if head in r]
    if not start:
        return None
    first = rows[start[0]]
    parts = [first[first.index("│ ") + 2:].rstrip()]
    for r in rows[start[0] + 1:]:
        m = re.match(r"^ +│ (.*)$", r)
        if not m:
            break
        parts.append(m.group(1).rstrip())
    return " ".join(parts)


def scenario_input(c, alice):
    long = "".join("%03d " % i for i in range(60))  # 240 columns
    alice.type(long, enter=False)
    alice.wait(lambda s: "058 059" in s.split("\n")[alice.size()[1] - 1],
               "the input line does not follow the cursor to the end")
    alice.keys("C-a")
    alice.wait(lambda s: "] 000 001 " in s.split("\n")[alice.size()[1] - 1],
               "Ctrl-A does not show the start of the line")
    alice.keys("C-e", "C-w", "Enter")
    # Settled: the sent line wraps over several rows, and a capture taken
    # while curses is still drawing them shows "058" missing (a flake
    # seen once in four runs alone).
    screen = alice.wait_settled(lambda s: re.search(r"alice » 000 001 002", s, re.M) is not None,
                                "Enter did not send the line")
    c.ok("058" in screen and "059" not in screen, "Ctrl-W did not cut the last word")
    alice.keys("Up")
    alice.wait(lambda s: "057 058" in s.split("\n")[alice.size()[1] - 1], "Up does not recall history")
    alice.keys("C-u")
    alice.wait(lambda s: s.split("\n")[alice.size()[1] - 1].rstrip().endswith("]"),
               "Ctrl-U does not clear the line")


def scenario_pending(env, c):
    """A member that never hands out the key keeps us waiting: lines typed
    meanwhile show as pending, and stop being pending once we are ready."""
    s = socket.create_connection(("127.0.0.1", env.port))
    s.sendall(frame(INI, 0, room_prefix(ROOM + "-early")))
    s.recv(64)  # the relay's answer: we are in the room
    pane = env.start_ui("early", "bob", extra=["--room", ROOM + "-early"])
    try:
        pane.wait_text(r"│ (waiting-key|joining|making-key|connecting)", "not waiting for a key")
        pane.type("early bird")
        pane.wait_text(r"1 pending", "the typed line is not counted as pending")
        c.ok(re.search(r"bob ⋯ early bird", pane.screen()) is not None,
             "the pending line is not marked")
        s.close()  # the keyholder leaves: we become first and send
        pane.wait_ready()
        pane.wait(lambda t: "pending" not in t.split("\n")[pane.size()[1] - 2] and
                  "bob » early bird" in t, "the line stays pending after ready")
    finally:
        s.close()
    pane.keys("C-d")
    assert_clean_exit(c, pane, "Ctrl-D")


def scenario_fatal(env, c):
    """Errors before curses: shown on stderr, exit non-zero, the terminal as it was.
    (An unreachable relay is no longer fatal in the UI: tmux_ux.py, scenario retry.)"""
    # A missing identity whose name carries an escape sequence: the error
    # comes before curses starts, and the name in it is neutralised too.
    pane = env.start_ui("badkey", "no\x1b[31mkey")
    rc = pane.wait_exit()
    err = pane.stderr()
    c.ok(rc != 0 and "sotto:" in err, "a missing identity does not fail cleanly: %r" % err)
    c.ok("no^[[31mkey" in err and "\x1b" not in err, "the error message is not neutralised: %r" % err)


def scenario_signals(env, c):
    """SIGTERM and SIGINT leave cleanly; a crash (SIGSEGV) still gives the
    terminal back before the default action or a sanitizer's report."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGSEGV):
        what = signal.Signals(sig).name
        pane = env.start_ui(what.lower(), "alice")
        pane.wait_text(r"#" + ROOM + r" │", "the UI did not start")
        os.kill(pane.client_pid(), sig)
        if sig == signal.SIGSEGV:
            rc = pane.wait_exit()
            c.ok(rc != 0, "%s: exit status 0" % what)
            stty = open(pane.base + ".stty").read()
            c.ok(re.search(r"(^|\s)icanon(\s|$)", stty) is not None and
                 re.search(r"(^|\s)echo(\s|$)", stty) is not None,
                 "%s: terminal not restored:\n%s" % (what, stty))
            alt = env.tmux("display", "-p", "-t", pane.session, "#{alternate_on}").strip()
            c.ok(alt == "0", "%s: still on the alternate screen" % what)
        else:
            assert_clean_exit(c, pane, what)


def scenario_passphrase(env, c):
    """A passphrase-protected key (ssh-keygen's): the prompt comes on the
    terminal before the UI, echo off; a wrong one asks again; the right one
    starts the UI. Three wrong ones: exit 1, one line, terminal as it was."""
    for k in ("SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "SSH_AUTH_SOCK", "DISPLAY",
              "WAYLAND_DISPLAY"):
        env.env.pop(k, None)
    key = os.path.join(env.dir, "frank")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-N", "frank secret",
                    "-C", "frank@ui", "-f", key], check=True, env=env.env)
    shutil.copy(key + ".pub", os.path.join(env.trusted, "frank.pub"))
    # The prompt names the file; a long path wraps on the screen.
    pane = env.start_ui("pass", "frank")
    pane.wait(lambda s: "Enter passphrase for key '" in s, "no passphrase prompt")
    pane.type("wrong one")
    pane.wait(lambda s: "Bad passphrase, try again for key '" in s,
              "no second prompt after a wrong passphrase")
    c.ok("wrong one" not in pane.screen(), "the passphrase was echoed")
    pane.type("frank secret")
    pane.wait_ready()
    c.ok("frank secret" not in pane.screen(), "the passphrase is on the screen")
    pane.keys("C-d")      # Ctrl-C does not quit (docs/ui.md "Keys")
    assert_clean_exit(c, pane, "Ctrl-D after the passphrase")

    pane = env.start_ui("pass3", "frank")
    for i, answer in enumerate(("a", "b", "c")):
        pane.wait(lambda s: s.count("passphrase") >= i + 1, "no prompt for try %d" % (i + 1))
        pane.type(answer)
    rc = pane.wait_exit()
    c.ok(rc == 1, "three wrong passphrases: exit %d, not 1" % rc)
    err = [l for l in pane.stderr().splitlines() if l]
    c.ok(err == ["sotto: %s: incorrect passphrase (3 tries)" % key],
         "three wrong passphrases: stderr %r" % err)
    stty = open(pane.base + ".stty").read()
    c.ok(re.search(r"(^|\s)echo(\s|$)", stty) is not None,
         "echo not restored after the prompts:\n%s" % stty)


def scenario_history(env, c):
    """Stored lines come back at start, dimmed behind the history bar, then
    /search finds them and /forget wipes them."""
    data = os.path.join(env.dir, "data")
    env.env["XDG_DATA_HOME"] = data
    pane = env.start_ui("hist1", "alice")
    pane.wait_ready()
    pane.type("remember the milk")
    pane.wait_text(r"alice » remember the milk", "the own line is not shown")
    pane.type("/quit")
    c.ok(pane.wait_exit() == 0, "/quit: exit status not 0")
    pane = env.start_ui("hist2", "alice")
    pane.wait_text(r"1 line above from the local history", "no restore line")
    screen = pane.screen()
    c.ok(re.search(r"alice ┆ remember the milk", screen) is not None,
         "the stored line is not shown behind the history bar:\n" + screen)
    esc = [r for r in pane.screen(escapes=True).split("\n") if "remember the milk" in r]
    dim, _ = sgr_state_at(esc[0], esc[0].index("remember")) if esc else (False, None)
    c.ok(dim, "the stored line is not dimmed: %r" % esc)
    pane.wait_ready()
    pane.type("/search MILK")
    pane.wait_text(r'1 match for "MILK"', "/search did not count its match")
    pane.type("/forget")
    pane.wait_text(r"this room's local history is wiped", "/forget said nothing")
    pane.type("/history")
    pane.wait_text(r"0 stored lines above", "/history after /forget")
    pane.keys("C-d")      # Ctrl-C does not quit (issue 14)
    assert_clean_exit(c, pane, "Ctrl-D")


SCENARIOS = {"chat": scenario_chat, "pending": scenario_pending, "fatal": scenario_fatal,
             "signals": scenario_signals, "passphrase": scenario_passphrase,
             "history": scenario_history}


def main():
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

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_cli.py: the command-line error table of sotto, sotto-keygen and
sotto-relay, and the client's config file against a real relay.

usage: test_cli.py --sotto BIN --keygen BIN --relay BIN TABLE
  TABLE: sotto | sotto-keygen | sotto-relay | config

Each row of a table is one bad invocation: the exit status it must give
(2 for a usage error, 1 for a failure that is not the command line's
fault), a pattern the first line of stderr must match, and nothing on
stdout. sotto's usage errors are also run with a terminal on stdin and
stdout: the same status and message, and the screen never switched to
curses (no alternate screen, no cursor addressing), so they are caught
before the UI starts.
"""
import argparse
import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "install"))
from installtest import SCALE, Batch, TestFailure, check, relay, run  # noqa: E402

ROOM65 = "r" * 65

# (args, status, stderr first line pattern); {tmp} is a scratch folder,
# {bad_cfg} a config file with an unknown setting on line 2.
SOTTO = [
    (["--bogus"], 2, r"^sotto: unrecognized option '--bogus'$"),
    (["-x"], 2, r"^sotto: invalid option -- 'x'$"),
    (["--room"], 2, r"^sotto: option '--room' requires an argument$"),
    (["--identity"], 2, r"^sotto: option '--identity' requires an argument$"),
    (["--clock-skew", "abc"], 2, r"^sotto: --clock-skew abc: expected seconds 0\.\.86400$"),
    (["--clock-skew", "-1"], 2, r"^sotto: --clock-skew -1: expected seconds 0\.\.86400$"),
    (["--clock-skew", "86401"], 2, r"^sotto: --clock-skew 86401: expected seconds 0\.\.86400$"),
    (["--rotate-interval", "0.5"], 2, r"^sotto: --rotate-interval 0\.5: expected seconds 1\.\.31622400, or 0 \(off\)$"),
    (["--rotate-interval", "31622401"], 2, r"^sotto: --rotate-interval 31622401: expected seconds 1\.\.31622400, or 0 \(off\)$"),
    (["--rotate-interval", "-1"], 2, r"^sotto: --rotate-interval -1: expected seconds 1\.\.31622400, or 0 \(off\)$"),
    (["--rotate-interval", "nan"], 2, r"^sotto: --rotate-interval nan: expected seconds 1\.\.31622400, or 0 \(off\)$"),
    (["--rotate-messages", "-5"], 2, r"^sotto: --rotate-messages -5: expected a count 0\.\.4294967295 \(0: off\)$"),
    (["--rotate-messages", "4294967296"], 2, r"^sotto: --rotate-messages 4294967296: expected a count 0\.\.4294967295 \(0: off\)$"),
    (["--file-rate", "1001"], 2, r"^sotto: --file-rate 1001: expected chunks a second 0\.\.1000 \(0: unpaced\)$"),
    (["--file-rate", "-1"], 2, r"^sotto: --file-rate -1: expected chunks a second 0\.\.1000 \(0: unpaced\)$"),
    (["--file-rate", "2x"], 2, r"^sotto: --file-rate 2x: expected chunks a second 0\.\.1000 \(0: unpaced\)$"),
    (["a:1", "b:2"], 2, r"^sotto: one relay address expected, got 2 arguments$"),
    (["--room="], 2, r"^sotto: --room: must be 1\.\.64 bytes of UTF-8 without control characters$"),
    (["--room", ROOM65], 2, r"^sotto: --room: must be 1\.\.64 bytes of UTF-8 without control characters$"),
    (["--room", "a\x1b[2Jb"], 2, r"^sotto: --room: must be 1\.\.64 bytes of UTF-8 without control characters$"),
    (["127.0.0.1:99999"], 2, r'^sotto: bad address "127\.0\.0\.1:99999": port must be 0\.\.65535$'),
    (["relay:http"], 2, r'^sotto: bad address "relay:http": port must be 0\.\.65535$'),
    (["127.0.0.1:0"], 2, r'^sotto: relay address "127\.0\.0\.1:0": port must be 1\.\.65535$'),
    (["127.0.0.1:1,,127.0.0.1:2"], 2, r"^sotto: relay list: an address is empty or longer than 300 bytes \(expected HOST:PORT\[,HOST:PORT\.\.\.\], the port 7700 when left out\)$"),
    (["127.0.0.1,127.0.0.1:99999"], 2, r'^sotto: bad address "127\.0\.0\.1:99999": port must be 0\.\.65535$'),
    (["--timestamp-format", ""], 2, r"^sotto: --timestamp-format: expected a strftime format giving 1\.\.32 bytes"),
    (["--config", "/nonexistent/cfg"], 2, r"^sotto: /nonexistent/cfg: cannot open: No such file or directory$"),
    (["--config"], 2, r"^sotto: --config needs a file$"),
    (["--config", "{bad_cfg}"], 2, r'^sotto: {bad_cfg}:2: unknown setting "rom"$'),
    # Not the command line's fault: 1, after the error event in batch mode.
    (["--identity", "/nonexistent/id", "127.0.0.1:7"], 1, r"^sotto: /nonexistent/id: cannot open: No such file or directory$"),
]

KEYGEN = [
    (["-C", "c"], 2, r"^usage: sotto-keygen -f FILE"),
    (["-l"], 2, r"^usage: sotto-keygen -f FILE"),
    (["-l", "-y", "-f", "x"], 2, r"^usage: sotto-keygen -f FILE"),
    (["-f", "x", "extra"], 2, r"^usage: sotto-keygen -f FILE"),
    (["-y", "-f", "x", "-C", "c"], 2, r"^usage: sotto-keygen -f FILE"),
    (["-l", "-f", "x", "--force"], 2, r"^usage: sotto-keygen -f FILE"),
    (["--bogus"], 2, r"^sotto-keygen: unrecognized option '--bogus'$"),
    (["-f"], 2, r"^sotto-keygen: option requires an argument -- 'f'$"),
    (["-j"], 2, r"^sotto-keygen: invalid option -- 'j'$"),
    (["-l", "-f", "/nonexistent/key"], 1, r"^sotto-keygen: /nonexistent/key: cannot open: No such file or directory$"),
]

RELAY = [
    (["--bogus"], 2, r'^sotto-relay: unknown option "--bogus"; try --help$'),
    (["-x"], 2, r'^sotto-relay: unknown option "-x"; try --help$'),
    (["--listen"], 2, r"^sotto-relay: --listen needs a value; try --help$"),
    (["--max-frame", "9"], 2, r'^sotto-relay: bad value "9" for --max-frame: expected a whole number from 10 to 1073741824$'),
    (["--max-queue", "1x"], 2, r'^sotto-relay: bad value "1x" for --max-queue: expected a whole number'),
    (["--max-clients", "0"], 2, r'^sotto-relay: bad value "0" for --max-clients: expected a whole number from 1 to 16000000$'),
    (["--max-clients", "99999999999999999999999"], 2, r'^sotto-relay: bad value "9+" for --max-clients'),
    (["--join-timeout", "0"], 2, r'^sotto-relay: bad value "0" for --join-timeout: expected seconds from 0\.01 to 86400$'),
    (["--join-timeout", "nan"], 2, r'^sotto-relay: bad value "nan" for --join-timeout'),
    (["-q", "-v"], 2, r"^sotto-relay: -q and -v exclude each other$"),
    (["extra"], 2, r'^sotto-relay: unexpected argument "extra"; try --help$'),
    # A malformed --listen (exit 2) is the relay branch's (relay.bad_flags there).
    # Not the command line's fault: the port is taken ({busy}).
    (["--listen", "127.0.0.1:{busy}", "--max-clients", "100"], 1, r"cannot listen: listen 127\.0\.0\.1:\d+: Address already in use$"),
]

# Escape sequences a curses start-up writes: alternate screen, cursor
# addressing, clear. A usage error must exit before any of them.
CURSES = re.compile(rb"\x1b\[\?1049h|\x1b\[\?1h|\x1b\[\d*;\d*H|\x1b\[H|\x1b\[2J")


def expand(args, subst):
    """args with each {name} of subst filled in."""
    out = []
    for a in args:
        for k, v in subst.items():
            a = a.replace("{%s}" % k, v)
        out.append(a)
    return out


def pattern_of(pattern, subst):
    """pattern with each {name} of subst filled in as a literal."""
    for k, v in subst.items():
        pattern = pattern.replace("{%s}" % k, re.escape(v))
    return pattern


def run_pty(argv, env, timeout=20, stop_at=None):
    """argv with a terminal on stdin and stdout, stderr a pipe:
    (status, terminal output, stderr). With stop_at (a pattern), the
    program gets SIGTERM once its terminal output matches it (the UI keeps
    retrying a relay that is not up, so it would not exit by itself)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([os.path.basename(argv[0])] + argv[1:], executable=argv[0], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env,
                         close_fds=True)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout * SCALE
    while True:
        left = end - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            raise TestFailure("%s on a terminal did not exit within %gs" % (argv, timeout * SCALE))
        r, _, _ = select.select([master], [], [], min(left, 0.5))
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:   # EIO: the child closed its side
                chunk = b""
            if not chunk and p.poll() is not None:
                break
            out += chunk
            if stop_at is not None and stop_at.search(out) and p.poll() is None:
                p.terminate()
                stop_at = None
        elif p.poll() is not None:
            break
    os.close(master)
    err = p.stderr.read().decode("utf-8", "replace")
    return p.wait(), out, err


def check_row(prog, argv, status, pattern, env, subst, on_terminal):
    pattern = pattern_of(pattern, subst)
    rc, out, err = run(argv, env=env)
    first = err.splitlines()[0] if err else ""
    what = "%s %s" % (prog, " ".join(argv[1:]))
    check(rc == status, "%s: exit %d, want %d; stderr %r" % (what, rc, status, err))
    check(re.search(pattern, first), "%s: stderr %r does not match %r" % (what, first, pattern))
    if status == 2:
        check(out == "", "%s: usage error wrote to stdout: %r" % (what, out))
    if on_terminal and status == 2:
        rc, tty, err = run_pty(argv, env)
        first = err.splitlines()[0] if err else ""
        check(rc == status, "%s on a terminal: exit %d, want %d" % (what, rc, status))
        check(re.search(pattern, first), "%s on a terminal: stderr %r" % (what, first))
        check(not CURSES.search(tty), "%s: curses started before the usage error: %r" % (what, tty[:200]))


def table(name, bins, tmp):
    subst = {"tmp": tmp}
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), TERM="xterm")
    os.makedirs(os.path.join(tmp, "xdg"), exist_ok=True)
    bad_cfg = os.path.join(tmp, "bad.cfg")
    with open(bad_cfg, "w") as f:
        f.write("# comment\nrom = typo\n")
    subst["bad_cfg"] = bad_cfg
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    subst["busy"] = str(busy.getsockname()[1])
    rows = {"sotto": SOTTO, "sotto-keygen": KEYGEN, "sotto-relay": RELAY}[name]
    failures = []
    for args, status, pattern in rows:
        argv = [bins[name]] + expand(args, subst)
        try:
            check_row(name, argv, status, pattern, env, subst, name == "sotto")
        except TestFailure as e:
            failures.append(str(e))
    busy.close()
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    check(not failures, "%d of %d rows failed" % (len(failures), len(rows)))
    print("ok: %d rows of %s" % (len(rows), name))


def make_identity(keygen, tmp):
    key = os.path.join(tmp, "id_ed25519")
    rc, _, err = run([keygen, "-f", key, "-C", "cli@test"])
    check(rc == 0, "sotto-keygen: %s" % err)
    trusted = os.path.join(tmp, "trusted")
    os.mkdir(trusted)
    shutil.copy(key + ".pub", os.path.join(trusted, "me.pub"))
    return key, trusted


def joined_room(sotto, args, env, port):
    """The room of the `connected` event of a batch client that joins,
    gets ready and leaves at end of input (exit 0)."""
    c = Batch([sotto] + args + ["127.0.0.1:%d" % port], env=env)
    try:
        room = c.wait_event("connected")["room"]
        c.wait_event("ready")
        rc = c.finish()
        check(rc == 0, "client exited %d: %r" % (rc, c.err))
        return room
    finally:
        c.kill()


def config(bins, tmp):
    """A config value is honoured, a flag overrides it, --no-config and
    --config choose the file."""
    xdg = os.path.join(tmp, "xdg")
    os.makedirs(os.path.join(xdg, "sotto"))
    key, trusted = make_identity(bins["sotto-keygen"], tmp)
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=xdg)
    # identity and trusted through ~/, which the parser expands.
    with open(os.path.join(xdg, "sotto", "config"), "w") as f:
        f.write("# written by test_cli.py\nidentity = ~/id_ed25519\n"
                "trusted = ~/trusted\nroom = from-config  \nbatch = yes\n")
    other = os.path.join(tmp, "other.cfg")
    with open(other, "w") as f:
        f.write("identity = %s\ntrusted = %s\nroom = from-other\n" % (key, trusted))
    with relay(bins["sotto-relay"]) as r:
        got = joined_room(bins["sotto"], [], env, r.port)
        check(got == "from-config", "config room not honoured: %r" % got)
        got = joined_room(bins["sotto"], ["--room", "from-flag"], env, r.port)
        check(got == "from-flag", "--room did not override the config: %r" % got)
        got = joined_room(bins["sotto"], ["--config", other], env, r.port)
        check(got == "from-other", "--config FILE not read: %r" % got)
        got = joined_room(bins["sotto"], ["--no-config", "--batch", "--identity", key,
                                          "--trusted", trusted], env, r.port)
        check(got == "lobby", "--no-config still read the file: %r" % got)
        r.stop()
    # batch = yes from the file: with a terminal on stdin the client still
    # runs batch mode (JSON on the terminal), and --no-batch cancels it
    # (the UI starts: curses sequences; it keeps retrying the unreachable
    # relay, so it is ended with SIGTERM once curses is seen). Both against
    # an unreachable relay.
    rc, tty, _ = run_pty([bins["sotto"], "127.0.0.1:1"], dict(env, TERM="xterm"))
    check(rc == 1 and b'{"event":"error"' in tty and not CURSES.search(tty),
          "batch = yes not honoured on a terminal: %d %r" % (rc, tty[:200]))
    rc, tty, _ = run_pty([bins["sotto"], "--no-batch", "127.0.0.1:1"], dict(env, TERM="xterm"),
                         stop_at=CURSES)
    check(CURSES.search(tty) and b'{"event"' not in tty,
          "--no-batch did not cancel batch = yes: %d %r" % (rc, tty[:200]))
    print("ok: config value honoured, --room, --config, --no-config, --no-batch override it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sotto", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("table", choices=["sotto", "sotto-keygen", "sotto-relay", "config"])
    a = ap.parse_args()
    bins = {"sotto": a.sotto, "sotto-keygen": a.keygen, "sotto-relay": a.relay}
    tmp = tempfile.mkdtemp(prefix="sotto-cli.")
    try:
        if a.table == "config":
            config(bins, tmp)
        else:
            table(a.table, bins, tmp)
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_install.py: `cmake --install` into a temporary DESTDIR, as a package
build does, then check and run what was installed.

usage: test_install.py --cmake CMAKE --build BUILD_DIR --version VERSION
                       [--tool=NAME=PATH ...]   (mandoc, systemd-analyze, ...)

Checks: every file lands where GNUInstallDirs and systemd put it; the unit's
ExecStart names the installed relay and passes `systemd-analyze verify`;
the sysusers.d and tmpfiles.d snippets make the user and its folder under
--root; `mandoc -T lint` passes each page without warnings and each page
documents every flag its program's --help lists; the installed programs
answer --version/--help, sotto-keygen makes a key, sotto-relay serves
127.0.0.1 and a batch sotto joins it, gets the key and leaves cleanly.
"""
import argparse
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

from installtest import Batch, TestFailure, check, relay, run

PREFIX = "/usr"
FILES = {
    "usr/bin/sotto": 0o755,
    "usr/bin/sotto-keygen": 0o755,
    "usr/sbin/sotto-relay": 0o755,
    "usr/share/man/man1/sotto.1": 0o644,
    "usr/share/man/man1/sotto-keygen.1": 0o644,
    "usr/share/man/man8/sotto-relay.8": 0o644,
    "usr/lib/systemd/system/sotto-relay.service": 0o644,
    "usr/lib/sysusers.d/sotto-relay.conf": 0o644,
    "usr/lib/tmpfiles.d/sotto-relay.conf": 0o644,
    "usr/share/doc/sotto/README.md": 0o644,
    "usr/share/doc/sotto/docs/README.md": 0o644,
    "usr/share/doc/sotto/docs/protocol.md": 0o644,
    "usr/share/doc/sotto/docs/relay.md": 0o644,
    "usr/share/doc/sotto/docs/ui.md": 0o644,
    "usr/share/doc/sotto/docs/batch.md": 0o644,
    "usr/share/doc/sotto/keys/trusted/README.md": 0o644,
    "usr/share/doc/sotto/examples/config": 0o644,
}
PAGES = {"sotto": "usr/share/man/man1/sotto.1",
         "sotto-keygen": "usr/share/man/man1/sotto-keygen.1",
         "sotto-relay": "usr/share/man/man8/sotto-relay.8"}
TOOLS = {}   # name -> path, from --tool


def tool(name):
    path = TOOLS.get(name, "")
    check(path and not path.endswith("-NOTFOUND") and os.access(path, os.X_OK),
          "%s not found: install the test dependencies (tests/deps.sh test)" % name)
    return path


BINS = {"sotto": "usr/bin/sotto", "sotto-keygen": "usr/bin/sotto-keygen",
        "sotto-relay": "usr/sbin/sotto-relay"}


def install(cmake, build, root):
    env = dict(os.environ, DESTDIR=root)
    rc, out, err = run([cmake, "--install", build, "--prefix", PREFIX], timeout=120, env=env)
    check(rc == 0, "cmake --install exited %d:\n%s%s" % (rc, out, err))
    for rel, mode in FILES.items():
        path = os.path.join(root, rel)
        check(os.path.isfile(path), "not installed: /" + rel)
        got = stat.S_IMODE(os.stat(path).st_mode)
        check(got == mode, "/%s has mode %o, not %o" % (rel, got, mode))
    # Nothing outside the prefix (a package must not write to / directly).
    check(sorted(os.listdir(root)) == ["usr"], "installed outside /usr: %s" % os.listdir(root))
    print("ok: %d files in place" % len(FILES))


def check_unit(root):
    unit = os.path.join(root, "usr/lib/systemd/system/sotto-relay.service")
    text = open(unit).read()
    m = re.search(r"^ExecStart=(\S+)", text, re.M)
    check(m and m.group(1) == PREFIX + "/sbin/sotto-relay", "ExecStart: %s" % (m and m.group(0)))
    check(re.search(r"^User=sotto-relay$", text, re.M), "unit does not run as sotto-relay")
    # verify wants the ExecStart binary to exist: point a copy into DESTDIR.
    copy = os.path.join(root, "sotto-relay.service")
    with open(copy, "w") as f:
        f.write(text.replace("ExecStart=" + PREFIX, "ExecStart=" + root + PREFIX))
    rc, out, err = run([tool("systemd-analyze"), "verify", copy])
    os.unlink(copy)
    check(rc == 0 and err.strip() == "", "systemd-analyze verify: %d %s%s" % (rc, out, err))
    print("ok: unit ExecStart and systemd-analyze verify")


def check_sysusers_tmpfiles(root):
    os.makedirs(os.path.join(root, "etc"))
    rc, out, err = run([tool("systemd-sysusers"), "--root=" + root])
    check(rc == 0, "systemd-sysusers: %d %s" % (rc, err))
    users = {}
    for line in open(os.path.join(root, "etc/passwd")):
        f = line.rstrip("\n").split(":")
        users[f[0]] = f
    check("sotto-relay" in users, "sysusers made no sotto-relay user: %s" % list(users))
    u = users["sotto-relay"]
    check(int(u[2]) < 1000 and u[6].endswith("nologin"), "not a system user: %s" % u)
    rc, out, err = run([tool("systemd-tmpfiles"), "--create", "--root=" + root])
    check(rc == 0, "systemd-tmpfiles: %d %s" % (rc, err))
    st = os.stat(os.path.join(root, "run/sotto-relay"))
    check(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750,
          "/run/sotto-relay mode %o" % st.st_mode)
    check(st.st_uid == int(u[2]) and st.st_gid == int(u[3]),
          "/run/sotto-relay owned by %d:%d, not %s:%s" % (st.st_uid, st.st_gid, u[2], u[3]))
    for d in ("etc", "run"):
        shutil.rmtree(os.path.join(root, d))
    print("ok: sysusers.d user %s (uid %s), tmpfiles.d /run/sotto-relay" % (u[0], u[2]))


def rendered(page):
    rc, out, err = run([tool("mandoc"), "-T", "ascii", page])
    check(rc == 0, "mandoc -T ascii %s: %s" % (page, err))
    return re.sub(".\b", "", out)   # drop overstrike bold/underline


def check_pages(root):
    for prog, rel in PAGES.items():
        page = os.path.join(root, rel)
        rc, out, err = run([tool("mandoc"), "-T", "lint", "-W", "warning", page])
        check(rc == 0 and out == "" and err == "", "mandoc -T lint %s:\n%s%s" % (rel, out, err))
        text = rendered(page)
        check(re.search(r"^NAME\n\s+%s " % re.escape(prog), text, re.M), "%s: no NAME" % rel)
        # Every flag --help lists is documented on the page.
        rc, usage, _ = run([os.path.join(root, BINS[prog]), "--help"])
        flags = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", usage))
        check(len(flags) >= 4, "%s --help lists no flags?\n%s" % (prog, usage))
        # Case-blind: --help says --no-FLAG where the page says --no-flag.
        missing = sorted(f for f in flags
                         if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(f), text, re.I))
        check(not missing, "%s does not document %s" % (rel, ", ".join(missing)))
        print("ok: %s lints clean and documents %s" % (rel, " ".join(sorted(flags))))


def check_version_help(root, version):
    for prog, rel in BINS.items():
        exe = os.path.join(root, rel)
        rc, out, err = run([exe, "--version"])
        check(rc == 0 and out.startswith("%s %s" % (prog, version)),
              "%s --version: %d %r %r" % (prog, rc, out, err))
        rc, out, err = run([exe, "--help"])
        check(rc == 0 and out.startswith("usage: " + prog) and err == "",
              "%s --help: %d %r %r" % (prog, rc, out[:80], err))
    print("ok: --version %s and --help of all three" % version)


def make_key(root, tmp):
    keygen = os.path.join(root, BINS["sotto-keygen"])
    key = os.path.join(tmp, "id_ed25519")
    rc, out, err = run([keygen, "-f", key, "-C", "install@test"])
    check(rc == 0, "sotto-keygen: %d %s" % (rc, err))
    check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "private key mode")
    check(stat.S_IMODE(os.stat(key + ".pub").st_mode) == 0o644, "public key mode")
    fpr = re.search(r"SHA256:\S+", out)
    rc, out, err = run([keygen, "-l", "-f", key + ".pub"])
    check(rc == 0 and fpr and fpr.group(0) in out, "fingerprint differs: %s vs %s" % (fpr, out))
    trusted = os.path.join(tmp, "trusted")
    os.mkdir(trusted)
    shutil.copy(key + ".pub", os.path.join(trusted, "me.pub"))
    print("ok: sotto-keygen made %s" % fpr.group(0))
    return key, trusted


def check_relay_and_client(root, key, trusted):
    with relay(os.path.join(root, BINS["sotto-relay"])) as r:
        # An empty config folder: no user's settings leak into the test.
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.dirname(key))
        c = Batch([os.path.join(root, BINS["sotto"]), "--batch",
                   "--identity", key, "--trusted", trusted, "--room", "install",
                   "127.0.0.1:%d" % r.port], env=env)
        try:
            ev = c.wait_event("connected")
            check(ev["room"] == "install", "connected: %s" % ev)
            ev = c.wait_event("ready")
            check(ev["first"] is True and [m["name"] for m in ev["members"]] == ["me"],
                  "ready: %s" % ev)
            c.proc.stdin.write(b"hello from the installed client\n")
            rc = c.finish()
            check(rc == 0, "client exited %d: %r" % (rc, c.err))
        finally:
            c.kill()
        # Any id: on a shared machine a stray client may have come first.
        r.wait_log(r'join id=\d+ room="install" members=1', timeout=10)
        r.stop()
    print("ok: installed relay on 127.0.0.1:%d, a batch client joined and left" % r.port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--tool", action="append", default=[])
    a = ap.parse_args()
    for t in a.tool:
        name, _, path = t.partition("=")
        TOOLS[name] = path
    tmp = tempfile.mkdtemp(prefix="sotto-install.")
    root = os.path.join(tmp, "root")
    try:
        install(a.cmake, a.build, root)
        check_unit(root)
        check_sysusers_tmpfiles(root)
        check_pages(root)
        check_version_help(root, a.version)
        key, trusted = make_key(root, tmp)
        check_relay_and_client(root, key, trusted)
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print("(left in %s)" % tmp, file=sys.stderr)
        return 1
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

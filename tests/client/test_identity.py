#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_identity.py: identities people already have, end to end with `sotto --batch`: passphrase-protected keys through SSH_ASKPASS, three wrong passphrases, signing through a real ssh-agent (and the agent killed mid-session), the XDG defaults and --init, the ~/.ssh fallback with the key in the agent, StrictModes (one ctest per test_ function)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clienttest as ct  # noqa: E402
from clienttest import Client, Keys, Relay, TestFailure, check, check_eq, wait_until  # noqa: E402


class Scene:
    """Keys, a relay, clients, and ssh-agents; everything stopped at the end."""

    def __init__(self, *plain):
        self.keys = Keys()
        self.keys.make(*plain)
        self.relay = Relay().start()
        self.clients = []
        self.agents = []

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        try:
            if etype is None:
                for c in self.clients:
                    clean_exit(c)
        finally:
            for c in self.clients:
                c.kill()
            for a in self.agents:
                if a.poll() is None:
                    a.kill()
                    a.wait()
            self.relay.stop()
            self.keys.cleanup()

    def client(self, name, argv=None, env=None, trusted=None, setsid=False):
        c = Client(self.keys, name, trusted, self.relay.port, argv=argv, env=env,
                   setsid=setsid)
        self.clients.append(c)
        return c

    def encrypted(self, name, passphrase, cipher="aes256-ctr"):
        """An ed25519 key made by ssh-keygen with a passphrase; its fingerprint."""
        key = self.keys.path(name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-Z", cipher,
                        "-N", passphrase, "-C", name, "-f", key], check=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        out = subprocess.run(["ssh-keygen", "-lf", key + ".pub"], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        self.keys.fprs[name] = out.split()[1]
        return key

    def askpass(self, answers):
        """An askpass program answering line N of answers on its Nth run; the
        prompts it was given are logged. Returns (program, prompts file)."""
        prog, log, ans = (self.keys.path(n) for n in ("askpass", "prompts", "answers"))
        with open(ans, "w") as f:
            f.write("".join(a + "\n" for a in answers))
        with open(prog, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> %s\nsed -n "$(wc -l < %s)p" %s\n'
                    % (log, log, ans))
        os.chmod(prog, 0o755)
        if os.path.exists(log):
            os.unlink(log)
        return prog, log

    def agent(self, sock):
        """A real ssh-agent on sock; waits until it listens."""
        if os.path.exists(sock):
            os.unlink(sock)
        a = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.agents.append(a)
        wait_until(lambda: os.path.exists(sock), 10, "ssh-agent to listen", step=0.05)
        return a

    def ssh_add(self, sock, key, passphrase):
        prog, _ = self.askpass([passphrase])
        env = dict(os.environ, SSH_AUTH_SOCK=sock, SSH_ASKPASS=prog,
                   SSH_ASKPASS_REQUIRE="force")
        subprocess.run(["ssh-add", key], check=True, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def clean_exit(c):
    if c.proc.poll() is None:
        c.proc.send_signal(signal.SIGTERM)
        check_eq(c.wait_exit(), 128 + signal.SIGTERM, "%s's exit status on SIGTERM" % c.name)
    c.no_bad_output()
    err = c.stderr()
    for bad in ("Sanitizer", "runtime error:", "definitely lost", "Invalid read",
                "Invalid write", "uninitialised"):
        check(bad not in err, "%s's stderr reports %r: %s" % (c.name, bad, err[-2000:]))


def env_with(**kw):
    env = dict(os.environ)
    for k in ("SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY",
              "WAYLAND_DISPLAY", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env.pop(k, None)
    env.update({k: v for k, v in kw.items() if v is not None})
    return env


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def trusted(s, folder, *names):
    return s.keys.trusted(folder, *names)


def chat(a, b):
    """a and b each see the other's message."""
    a.send("hello from " + a.name)
    b.wait("message", text="hello from " + a.name)
    b.send("hello from " + b.name)
    a.wait("message", text="hello from " + b.name)


def test_askpass_batch():
    """An ssh-keygen key with a passphrase (ctr and gcm) opens through SSH_ASKPASS in batch mode; the client chats."""
    with Scene("alice") as s:
        for cipher in ("aes256-ctr", "aes256-gcm@openssh.com"):
            name = "bob" if cipher == "aes256-ctr" else "carol"
            key = s.encrypted(name, name + " pw", cipher)
            tr = trusted(s, "t-" + name, "alice", name)
            prog, log = s.askpass([name + " pw"])
            a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
            a.ready()
            b = s.client(name, argv=["--identity", key, "--trusted", tr],
                         env=env_with(SSH_ASKPASS=prog, SSH_ASKPASS_REQUIRE="force"))
            b.ready()
            check_eq(lines(log), ["Enter passphrase for key '%s': " % key], "askpass asked once")
            chat(a, b)
            check_eq(b.quit(), 0, "%s quits" % name)
            check_eq(a.quit(), 0, "alice quits")


def test_wrong_passphrase():
    """Three wrong passphrases: exit 1, one line on stderr, an error event, three prompts."""
    with Scene("alice") as s:
        key = s.encrypted("bob", "right")
        tr = trusted(s, "t", "alice", "bob")
        prog, log = s.askpass(["no", "nope", "nah", "right"])
        b = s.client("bob", argv=["--identity", key, "--trusted", tr],
                     env=env_with(SSH_ASKPASS=prog, SSH_ASKPASS_REQUIRE="force"))
        check_eq(b.wait_exit(), 1, "exit status")
        errs = b.stderr_lines()
        check_eq(errs, ["sotto: %s: incorrect passphrase (3 tries)" % key], "one line")
        evs = b.all()
        check(len(evs) == 1 and evs[0]["event"] == "error", "one error event: %r" % evs)
        check_eq(len(lines(log)), 3, "three prompts")
        check_eq(lines(log)[1], "Bad passphrase, try again for key '%s': " % key, "retry prompt")
        # No terminal (own session) and no askpass: one line saying how.
        b2 = s.client("bob", argv=["--identity", key, "--trusted", tr], env=env_with(),
                      setsid=True)
        check_eq(b2.wait_exit(), 1, "exit status without askpass")
        errs = b2.stderr_lines()
        check(len(errs) == 1 and "no terminal to ask for the passphrase" in errs[0], repr(errs))


def test_agent_batch():
    """A real ssh-agent holds bob's encrypted key: bob signs through it (from the .pub, and from the private file without a prompt); alice accepts his messages, his /me, /away and quit message."""
    with Scene("alice") as s:
        key = s.encrypted("bob", "agent pw")
        tr = trusted(s, "t", "alice", "bob")
        sock = s.keys.path("agent.sock")
        s.agent(sock)
        s.ssh_add(sock, key, "agent pw")
        refuse, log = s.askpass([])          # answers nothing: must not be asked
        env = env_with(SSH_AUTH_SOCK=sock, SSH_ASKPASS=refuse, SSH_ASKPASS_REQUIRE="force")
        a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
        a.ready()
        for ident in (key + ".pub", key):
            b = s.client("bob", argv=["--identity", ident, "--trusted", tr], env=env)
            b.ready()
            chat(a, b)
            if ident.endswith(".pub"):
                # Every content type is signed by the agent too (dat.c, signer.c).
                b.send("/me waves through the agent", "/away agent lunch")
                a.wait("action", name="bob", text="waves through the agent")
                a.wait("away", name="bob", reason="agent lunch")
                b.send("/quit bye from the agent")
                check_eq(b.wait_exit(), 0, "bob quits with a message")
                a.wait("quit-message", name="bob", text="bye from the agent")
                a.wait("left", name="bob")
                continue
            check_eq(b.quit(), 0, "bob quits")
        check_eq(lines(log), [], "no passphrase was asked")
        # --agent without an agent: one line.
        b = s.client("bob", argv=["--agent", "--identity", key, "--trusted", tr],
                     env=env_with(), setsid=True)
        check_eq(b.wait_exit(), 1, "--agent without SSH_AUTH_SOCK")
        check(any("SSH_AUTH_SOCK is not set" in l for l in b.stderr_lines()), b.stderr())


def test_agent_killed():
    """The agent killed mid-session: one agent-failed notice, no crash, the line stays pending; an agent back on the socket sends it, in order."""
    with Scene("alice") as s:
        key = s.encrypted("bob", "agent pw")
        tr = trusted(s, "t", "alice", "bob")
        sock = s.keys.path("agent.sock")
        agent = s.agent(sock)
        s.ssh_add(sock, key, "agent pw")
        a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
        a.ready()
        b = s.client("bob", argv=["--identity", key + ".pub", "--trusted", tr],
                     env=env_with(SSH_AUTH_SOCK=sock))
        b.ready()
        chat(a, b)
        agent.kill()
        agent.wait()
        os.unlink(sock)
        b.send("kept while the agent is away")
        ev = b.wait("notice", reason="agent-failed")
        check("ssh-agent" in ev["detail"], "says what failed: %r" % ev)
        check(b.proc.poll() is None, "bob is still running")
        # bob still reads the room.
        a.send("still reading?")
        b.wait("message", text="still reading?")
        check_eq([e["text"] for e in a.all("message", name="bob")], ["hello from bob"],
                 "nothing unsigned went out")
        # The agent comes back with the key; the next line retries it.
        s.agent(sock)
        s.ssh_add(sock, key, "agent pw")
        b.send("after the agent came back")
        a.wait("message", text="after the agent came back")
        check_eq([e["text"] for e in a.all("message", name="bob")],
                 ["hello from bob", "kept while the agent is away", "after the agent came back"],
                 "the kept line went first")
        check_eq(len(b.all("notice", reason="agent-failed")), 1, "one notice")


def test_agent_rotation():
    """The rotator signs through ssh-agent: alice (agent only, the longest present, so she rotates) and bob stay when carol leaves; bob accepts alice's rotation KEY (no refusal, no rotation of his own, no conflict), lines typed during the rotation arrive under the new key, both talk on."""
    with Scene("bob", "carol") as s:
        key = s.encrypted("alice", "agent pw")
        tr = trusted(s, "t", "alice", "bob", "carol")
        sock = s.keys.path("agent.sock")
        s.agent(sock)
        s.ssh_add(sock, key, "agent pw")
        a = s.client("alice", argv=["--identity", key + ".pub", "--trusted", tr],
                     env=env_with(SSH_AUTH_SOCK=sock))
        ra = a.ready()
        b = s.client("bob", argv=["--identity", s.keys.path("bob"), "--trusted", tr])
        b.ready()
        c = s.client("carol", argv=["--identity", s.keys.path("carol"), "--trusted", tr])
        c.ready()
        for m in (a, b):
            m.wait("joined", name="carol")
        chat(a, b)
        check_eq(c.quit(), 0, "carol quits")
        a.wait("left", name="carol")
        a.send("typed during the rotation")
        ka = a.wait("rekeyed")
        kb = b.wait("rekeyed")
        b.wait("message", text="typed during the rotation")
        check_eq((ka["reason"], kb["reason"]), ("left", "left"), "reason")
        check_eq(ka["epoch"], kb["epoch"], "one new epoch")
        check(ka["epoch"] > ra["epoch"], "a newer epoch than carol held")
        a.send("after carol, from alice")
        b.wait("message", text="after carol, from alice")
        b.send("after carol, from bob")
        a.wait("message", text="after carol, from bob")
        for m in (a, b):
            check_eq(len(m.all("rekeyed")), 1, "one rotation at " + m.name)
            check_eq(m.all("rejected"), [], "nothing refused at " + m.name)
        check_eq(a.all("notice", reason="agent-failed"), [], "the agent never failed")


def init_user(s, home, xdg_config=None, xdg_state=None):
    env = env_with(HOME=home, XDG_CONFIG_HOME=xdg_config, XDG_STATE_HOME=xdg_state)
    os.makedirs(home, exist_ok=True)
    r = subprocess.run([ct.CLIENT_BIN, "--init"], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60, start_new_session=True)
    check_eq(r.returncode, 0, "--init: %s" % r.stderr)
    return env, r.stdout


def test_xdg_defaults():
    """--init and then no --identity/--trusted: the XDG folders with the variables set, and ~/.config without them."""
    with Scene("alice") as s:
        for with_vars in (True, False):
            home = s.keys.path("home-%d" % with_vars)
            cfg = s.keys.path("cfg-%d" % with_vars) if with_vars else None
            st = s.keys.path("state-%d" % with_vars) if with_vars else None
            env, out = init_user(s, home, cfg, st)
            base = cfg if with_vars else os.path.join(home, ".config")
            sotto = os.path.join(base, "sotto")
            state = os.path.join(st if with_vars else os.path.join(home, ".local", "state"),
                                 "sotto")
            check(os.path.isfile(os.path.join(sotto, "id_ed25519")), "key in %s" % sotto)
            check(os.path.isdir(state), "state folder %s" % state)
            me = [f for f in os.listdir(os.path.join(sotto, "trusted"))]
            check_eq(len(me), 1, "trusted yourself: %r" % me)
            fpr = [l.split()[-1] for l in out.splitlines() if l.startswith("Your fingerprint:")]
            check_eq(len(fpr), 1, "fingerprint printed: %r" % out)
            shutil.copy(s.keys.path("alice.pub"), os.path.join(sotto, "trusted", "alice.pub"))
            tr = trusted(s, "t-%d" % with_vars, "alice")
            shutil.copy(os.path.join(sotto, "id_ed25519.pub"), os.path.join(tr, "newbie.pub"))
            a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
            a.ready()
            n = s.client("newbie", argv=[], env=env, setsid=True)
            n.ready()
            n.send("/fingerprint")
            check_eq(n.wait("fingerprint")["fingerprint"], fpr[0], "the default identity")
            chat(a, n)
            check_eq(n.quit(), 0, "newbie quits")
            check_eq(a.quit(), 0, "alice quits")
        # No identity yet: the error says to run --init.
        c = s.client("nobody", argv=[], env=env_with(HOME=s.keys.path("empty-home")),
                     setsid=True)
        check_eq(c.wait_exit(), 1, "no identity")
        check(any("run sotto --init" in l for l in c.stderr_lines()), c.stderr())


def test_ssh_key_in_agent():
    """Done-when: a passphrase-protected ~/.ssh/id_ed25519 held by ssh-agent; `sotto --room ops HOST:PORT` with no other flag chats."""
    with Scene("alice") as s:
        home = s.keys.path("home")
        os.makedirs(os.path.join(home, ".ssh"), mode=0o700)
        key = os.path.join(home, ".ssh", "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-N", "ssh pw",
                        "-C", "me@laptop", "-f", key], check=True, timeout=30)
        sock = s.keys.path("agent.sock")
        s.agent(sock)
        s.ssh_add(sock, key, "ssh pw")
        tdir = os.path.join(home, ".config", "sotto", "trusted")
        os.makedirs(tdir, mode=0o700)
        shutil.copy(s.keys.path("alice.pub"), os.path.join(tdir, "alice.pub"))
        shutil.copy(key + ".pub", os.path.join(tdir, "me.pub"))
        tr = trusted(s, "t", "alice")
        shutil.copy(key + ".pub", os.path.join(tr, "me.pub"))
        refuse, log = s.askpass([])
        a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr,
                                    "--room", "ops"])
        a.ready()
        me = s.client("me", argv=["--room", "ops"],
                      env=env_with(HOME=home, SSH_AUTH_SOCK=sock, SSH_ASKPASS=refuse,
                                   SSH_ASKPASS_REQUIRE="force"))
        me.ready()
        chat(a, me)
        check_eq(lines(log), [], "no passphrase was asked")
        check_eq(me.quit(), 0, "quits")


def test_strict_modes():
    """A group-writable trusted folder stops the client with one line naming it; a world-writable .pub is skipped with a notice, the rest works."""
    with Scene("alice", "bob") as s:
        tr = trusted(s, "t", "alice", "bob")
        os.chmod(tr, 0o775)
        a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
        check_eq(a.wait_exit(), 1, "loose folder")
        errs = a.stderr_lines()
        check(len(errs) == 1 and tr in errs[0] and "bad permissions" in errs[0], repr(errs))
        os.chmod(tr, 0o755)
        os.chmod(os.path.join(tr, "bob.pub"), 0o666)
        a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
        ev = a.wait("notice", reason="trust-skipped")
        check("bob.pub" in ev["detail"] and "bad permissions" in ev["detail"], repr(ev))
        a.ready()
        # bob's key is not trusted: his join is refused, and he is not let in.
        tb = trusted(s, "tb", "alice", "bob")
        b = s.client("bob", argv=["--identity", s.keys.path("bob"), "--trusted", tb])
        ev = a.wait("rejected", reason="untrusted-key")
        check(s.keys.fprs["bob"] in ev["detail"], "bob's frame: %r" % ev)
        check_eq(a.all("joined"), [], "bob not shown")
        check_eq(b.all("ready"), [], "bob never got the key")


class HoldingAgent:
    """A unix-socket proxy in front of a real ssh-agent that can hold the
    agent's signature answers (type 14) until released: a slow agent, under
    the test's control."""

    def __init__(self, path, real):
        import threading
        self.path, self.real = path, real
        self.cond = threading.Condition()
        self.hold = False
        self.held = 0            # answers waiting
        self.lsock = socket.socket(socket.AF_UNIX)
        self.lsock.bind(path)
        self.lsock.listen(4)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            r = socket.socket(socket.AF_UNIX)
            r.connect(self.real)
            threading.Thread(target=self._up, args=(c, r), daemon=True).start()
            threading.Thread(target=self._down, args=(c, r), daemon=True).start()

    @staticmethod
    def _up(c, r):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                r.sendall(d)
        except OSError:
            pass

    def _down(self, c, r):
        f = r.makefile("rb")
        try:
            while True:
                hdr = f.read(4)
                if len(hdr) < 4:
                    break
                body = f.read(int.from_bytes(hdr, "big"))
                with self.cond:
                    if body[:1] == b"\x0e":
                        self.held += 1
                        self.cond.notify_all()
                        while self.hold:
                            self.cond.wait()
                        self.held -= 1
                c.sendall(hdr + body)
        except OSError:
            pass

    def set_hold(self, on):
        with self.cond:
            self.hold = on
            self.cond.notify_all()

    def wait_held(self):
        deadline = time.monotonic() + ct.EVENT_TIMEOUT * ct.SCALE
        with self.cond:
            while self.held == 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("no signature request reached the agent")
                self.cond.wait(left)

    def close(self):
        self.set_hold(False)
        self.lsock.close()


def test_slow_agent():
    """While ssh-agent sits on a signature, the client keeps working: it receives, answers /who, and its line goes out once the agent answers."""
    with Scene("alice") as s:
        key = s.encrypted("bob", "agent pw")
        tr = trusted(s, "t", "alice", "bob")
        real = s.keys.path("agent.sock")
        s.agent(real)
        s.ssh_add(real, key, "agent pw")
        slow = HoldingAgent(s.keys.path("slow.sock"), real)
        try:
            a = s.client("alice", argv=["--identity", s.keys.path("alice"), "--trusted", tr])
            a.ready()
            b = s.client("bob", argv=["--identity", key + ".pub", "--trusted", tr],
                         env=env_with(SSH_AUTH_SOCK=slow.path))
            b.ready()
            slow.set_hold(True)
            b.send("signed late")
            slow.wait_held()
            a.send("while the agent thinks")
            b.wait("message", text="while the agent thinks")
            b.send("/who")
            b.wait("members")
            check_eq(a.all("message", name="bob"), [], "nothing left before the signature")
            slow.set_hold(False)
            a.wait("message", text="signed late")
        finally:
            slow.close()


TESTS = {n[5:]: f for n, f in globals().items() if n.startswith("test_") and callable(f)}

if __name__ == "__main__":
    sys.exit(ct.run(TESTS, sys.argv))

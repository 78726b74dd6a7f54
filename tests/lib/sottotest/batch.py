# SPDX-License-Identifier: ISC
"""batch: one `sotto --batch` process; a thread reads its stdout into JSON events."""
import json
import subprocess
import threading
import time


class BatchClient:
    """Lines go in with send(); every stdout line that is a JSON object with
    a string "event" is appended to self.events (its arrival time to
    self.times), anything else to self.bad_lines. self.cond guards the lists
    and is notified on every line and at end of output (self.eof)."""

    def __init__(self, argv, stderr, env=None, setsid=False):
        """env replaces the environment; setsid starts it in its own
        session (no controlling terminal)."""
        self.events = []
        self.times = []
        self.bad_lines = []
        self.eof = False
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr, env=env, start_new_session=setsid)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            now = time.monotonic()
            try:
                ev = json.loads(raw.decode("utf-8"))
                ok = isinstance(ev, dict) and isinstance(ev.get("event"), str)
            except ValueError:
                ok = False
            with self.cond:
                if ok:
                    self.events.append(ev)
                    self.times.append(now)
                else:
                    self.bad_lines.append(raw)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def send(self, *lines):
        for line in lines:
            self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def all(self, kind=None, **match):
        """Events so far of `kind` (any when None) whose keys equal match."""
        with self.cond:
            evs = list(self.events)
        return [e for e in evs if (kind is None or e["event"] == kind)
                and all(e.get(k) == v for k, v in match.items())]

# SPDX-License-Identifier: ISC
"""net: loopback ports for servers under test."""
import socket


def free_port():
    """A 127.0.0.1 port nothing listens on right now (the kernel's choice;
    a server started on it may still lose a race, so callers retry)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen_socket(backlog=8):
    """A socket listening on 127.0.0.1 at a port of the kernel's choice,
    and that port: for proxies and gates a test puts between a client and
    the relay (bound before anyone is told the port, so no race)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s, s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:port, read from /proc so the
    check neither connects (a connection would be a client to the server)
    nor depends on what the server logs."""
    want = ":%04X" % port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except OSError:
            pass
    return False

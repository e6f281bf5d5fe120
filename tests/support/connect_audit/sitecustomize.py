"""Records every network connection attempt of a Python process, for tests/e2e/test_no_outbound.py.

A test puts this folder first on PYTHONPATH and names a log file in
CONNECT_AUDIT_LOG; every Python process started with that environment (the
services, and anything they start) then appends one line per event through an
audit hook (PEP 578), which sees every Python-level attempt whether or not it
succeeds:

    <pid> start <argv>                 the hook is in this process
    <pid> socket.connect <host> <port> TCP/UDP connect (Sentry's and Segment's HTTPS included)
    <pid> socket.sendto <host> <port>  UDP without connect
    <pid> socket.getaddrinfo <host>    a name looked up (before any connection to it)
"""

import os
import sys

_LOG = os.environ.get("CONNECT_AUDIT_LOG")


def _write(line: str) -> None:
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.replace("\n", " ") + "\n").encode("utf-8", "replace"))
    finally:
        os.close(fd)


def _hook(event: str, args: tuple) -> None:
    try:
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:  # AF_INET / AF_INET6, not a Unix socket
                _write(f"{os.getpid()} {event} {address[0]} {address[1]}")
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode("ascii", "replace")
            _write(f"{os.getpid()} {event} {host}")
    except Exception:  # never break the process being watched
        pass


if _LOG:
    _write(f"{os.getpid()} start {' '.join(sys.argv[:3])}")
    sys.addaudithook(_hook)

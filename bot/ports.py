"""Free TCP ports for services started together (the production profile, tests)."""

import socket
import threading
from typing import Set

_handed_out: Set[int] = set()
_lock = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, and never one this process has handed out before.

    Binding to port 0 asks the kernel for a free port, but the socket is closed
    before the service that will use the port starts, so the kernel may offer the
    same port again to the next call. Several services built in one go must each
    get a port of their own, so ports already handed out are skipped.
    """
    with _lock:
        while True:
            with socket.socket() as sock:
                sock.bind((host, 0))
                port = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port

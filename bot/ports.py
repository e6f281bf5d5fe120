"""Free TCP ports for services started together (the production profile, tests)."""

import random
import socket
import threading
from pathlib import Path
from typing import Set, Tuple

_handed_out: Set[int] = set()
_lock = threading.Lock()
_random = random.SystemRandom()

# Ports are chosen from here up to the start of the kernel's ephemeral range:
# above the well-known and usual service ports, below the ports the kernel
# gives to outgoing connections and to bind(port 0).
LOWEST = 10000
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL = (32768, 60999)  # Linux's default
_TRIES = 200


def ephemeral_range() -> Tuple[int, int]:
    """The ports the kernel hands to outgoing connections and to bind(port 0)."""
    try:
        low, high = (int(part) for part in _EPHEMERAL_RANGE_FILE.read_text().split())
        return low, high
    except (OSError, ValueError):
        return _DEFAULT_EPHEMERAL


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, never one this process has handed out before, and
    outside the kernel's ephemeral range.

    The port is only reserved once the service binds it, seconds later. A port from
    the ephemeral range could meanwhile become the source port of any outgoing
    connection on the machine, or another process's bind(port 0) (a test run once
    lost the Open311 sandbox's port that way: "address already in use"). So ports
    are drawn at random from below that range and checked by binding them; only
    when there is no room below it does the kernel choose (bind to port 0).
    """
    low, _ = ephemeral_range()
    with _lock:
        if low - LOWEST >= 1000:
            for _ in range(_TRIES):
                port = _random.randrange(LOWEST, low)
                if port not in _handed_out and _bindable(host, port):
                    _handed_out.add(port)
                    return port
        while True:
            with socket.socket() as sock:
                sock.bind((host, 0))
                port = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True

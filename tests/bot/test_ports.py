"""bot.ports: every port handed out in one process is a port of its own."""

import socket
from typing import Iterator, List

import pytest

from bot import ports


def test_ports_are_distinct_and_free() -> None:
    handed = [ports.free_port() for _ in range(300)]
    assert len(set(handed)) == len(handed)
    with socket.socket() as sock:  # free: a service can bind it
        sock.bind(("127.0.0.1", handed[-1]))


class _KernelOffering:
    """A socket whose bind(port 0) gets the ports in ``offers``, as a busy kernel may re-offer one."""

    offers: Iterator[int]

    def __init__(self, *args: object) -> None:
        self.port = 0

    def __enter__(self) -> "_KernelOffering":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def bind(self, address: tuple) -> None:
        self.port = next(self.offers)

    def getsockname(self) -> tuple:
        return ("127.0.0.1", self.port)


def test_a_port_the_kernel_offers_twice_is_handed_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two services built one after the other were once given the same port: the
    # kernel offered it again because the first service had not bound it yet.
    offered: List[int] = [61001, 61001, 61002]
    _KernelOffering.offers = iter(offered)
    monkeypatch.setattr(ports.socket, "socket", _KernelOffering)
    assert [ports.free_port(), ports.free_port()] == [61001, 61002]

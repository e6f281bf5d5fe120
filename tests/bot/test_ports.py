"""bot.ports: every port handed out in one process is a port of its own, free, and outside the
kernel's ephemeral range."""

import socket
from typing import Iterator, List

import pytest

from bot import ports


def test_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    handed = [ports.free_port() for _ in range(300)]
    assert len(set(handed)) == len(handed)
    low, _ = ports.ephemeral_range()
    # Outgoing connections and other processes' bind(port 0) take ports from that range.
    assert all(ports.LOWEST <= port < low for port in handed)
    with socket.socket() as sock:  # free: a service can bind it
        sock.bind(("127.0.0.1", handed[-1]))


class _Proposing:
    """Random choices that propose the ports in ``proposals``, in order."""

    def __init__(self, proposals: List[int]) -> None:
        self.proposals: Iterator[int] = iter(proposals)

    def randrange(self, low: int, high: int) -> int:
        return next(self.proposals)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_port_in_use_or_handed_out_already_is_not_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (65000, 65535))
    monkeypatch.setattr(ports, "LOWEST", 1024)
    spare = _unused_port()
    other = next(port for port in iter(_unused_port, None) if port != spare)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        in_use = busy.getsockname()[1]
        monkeypatch.setattr(ports, "_random", _Proposing([in_use, spare]))
        assert ports.free_port() == spare
        monkeypatch.setattr(ports, "_random", _Proposing([spare, other]))
        assert ports.free_port() == other


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


def test_with_no_room_below_the_ephemeral_range_the_kernel_chooses_each_port_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two services built one after the other were once given the same port: the
    # kernel offered it again because the first service had not bound it yet.
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (10500, 65535))
    offered: List[int] = [61001, 61001, 61002]
    _KernelOffering.offers = iter(offered)
    monkeypatch.setattr(ports.socket, "socket", _KernelOffering)
    assert [ports.free_port(), ports.free_port()] == [61001, 61002]


def test_the_ephemeral_range_is_read_from_the_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    settings = tmp_path / "ip_local_port_range"
    settings.write_text("40000\t60000\n")
    monkeypatch.setattr(ports, "_EPHEMERAL_RANGE_FILE", settings)
    assert ports.ephemeral_range() == (40000, 60000)
    monkeypatch.setattr(ports, "_EPHEMERAL_RANGE_FILE", tmp_path / "missing")
    assert ports.ephemeral_range() == (32768, 60999)

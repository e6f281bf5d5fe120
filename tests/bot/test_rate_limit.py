"""The per-client upload limit."""

from bot import rate_limit
from bot.rate_limit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_quota_then_waits_for_the_window_to_slide():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60, clock=clock)
    assert [limiter.allow("1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("1.2.3.4") == 61
    assert limiter.allow("5.6.7.8"), "other clients are not affected"

    clock.now += 30
    assert not limiter.allow("1.2.3.4"), "refused attempts do not count, but the window has not moved yet"
    clock.now += 31  # the first three are now more than 60 s old
    assert limiter.retry_after("1.2.3.4") == 0
    assert [limiter.allow("1.2.3.4") for _ in range(4)] == [True, True, True, False]


def test_memory_is_bounded_by_forgetting_the_least_recent_clients(monkeypatch):
    monkeypatch.setattr(rate_limit, "MAX_CLIENTS", 3)
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=Clock())
    for client in ("a", "b", "c", "d"):
        assert limiter.allow(client)
    assert list(limiter._events) == ["b", "c", "d"]
    assert limiter.allow("a"), "forgotten, so it starts afresh"

"""The per-endpoint limiter (lambda_functions/common/bitget/rate_limit.py) on a fake clock."""

from __future__ import annotations

import threading

import pytest

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.common.bitget.endpoints import (
    FUTURES_HISTORY_ORDERS,
    PUBLISHED_LIMITS,
    SPOT_HISTORY_ORDERS,
)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def starts_of_burst(limiter: RateLimiter, clock: FakeClock, path: str, count: int) -> list[float]:
    starts = []
    for _ in range(count):
        limiter.acquire(path)
        starts.append(clock.now)
    return starts


def test_default_limits_are_bitgets_published_ones_with_the_safety_margin() -> None:
    limiter = RateLimiter()
    assert PUBLISHED_LIMITS[SPOT_HISTORY_ORDERS] == 20
    assert PUBLISHED_LIMITS[FUTURES_HISTORY_ORDERS] == 10
    assert limiter.rate(SPOT_HISTORY_ORDERS) == pytest.approx(19.0)
    assert limiter.rate(FUTURES_HISTORY_ORDERS) == pytest.approx(9.5)


def test_share_divides_the_rate() -> None:
    limiter = RateLimiter({"/p": 20}, share=0.25, safety=1.0)
    assert limiter.rate("/p") == pytest.approx(5.0)


def test_first_request_starts_at_once_and_the_next_ones_are_evenly_spaced() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 10}, safety=1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    assert limiter.acquire("/p") == 0.0
    assert limiter.acquire("/p") == pytest.approx(0.1)
    assert limiter.acquire("/p") == pytest.approx(0.1)
    assert clock.sleeps == pytest.approx([0.1, 0.1])


def test_a_slow_caller_is_not_delayed_and_gets_no_burst_credit() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 10}, safety=1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    limiter.acquire("/p")
    clock.now += 5.0  # idle for a while
    assert limiter.acquire("/p") == 0.0
    assert limiter.acquire("/p") == pytest.approx(0.1)  # no saved-up burst after idling


def test_paths_are_limited_independently() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/a": 10, "/b": 10}, monotonic=clock.monotonic, sleep=clock.sleep)
    limiter.acquire("/a")
    assert limiter.acquire("/b") == 0.0


def test_burst_of_200_takes_200_over_rate_and_never_exceeds_the_limit_in_any_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 20}, monotonic=clock.monotonic, sleep=clock.sleep)
    starts = starts_of_burst(limiter, clock, "/p", 200)
    assert starts[-1] - starts[0] == pytest.approx(199 / 19.0)
    # A server counting arrivals in any 1-second window sees at most the limit.
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 20
    assert busiest == 19  # the 5 % safety margin


def test_unknown_paths_get_the_conservative_default() -> None:
    assert RateLimiter({}).rate("/api/v2/other") == pytest.approx(10 * 0.95)


def test_defer_holds_back_the_next_request() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 10}, safety=1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    limiter.acquire("/p")
    limiter.defer("/p", 2.0)
    assert limiter.acquire("/p") == pytest.approx(2.0)


def test_threads_never_share_a_slot() -> None:
    # GIVEN a clock that never moves: every acquire reserves the next free slot and reports its wait
    limiter = RateLimiter({"/p": 10}, share=0.5, safety=1.0, monotonic=lambda: 0.0, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            wait = limiter.acquire("/p")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN the 400 reservations are exactly the slots 0, 0.2, 0.4, ... (rate = 10 × 0.5)
    assert sorted(waits) == pytest.approx([k * 0.2 for k in range(400)])


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"share": 0}, "share"),
        ({"share": 1.5}, "share"),
        ({"safety": 0}, "safety"),
        ({"limits": {"/p": 0}}, "/p"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(kwargs: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RateLimiter(**kwargs)

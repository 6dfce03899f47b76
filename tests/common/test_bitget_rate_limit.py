"""The per-endpoint limiter (lambda_functions/common/bitget/rate_limit.py) on a fake clock."""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time

import pytest

from lambda_functions.common.bitget import RateLimiter, Ticket
from lambda_functions.common.bitget.endpoints import (
    FUTURES_HISTORY_ORDERS,
    PUBLISHED_LIMITS,
    SPOT_HISTORY_ORDERS,
)
from lambda_functions.common.bitget.rate_limit import DEFAULT_SAFETY


class FakeClock:
    """A monotonic clock that only moves when someone sleeps (or the test moves it); thread-safe."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0.0)


def fake_limiter(
    clock: FakeClock,
    limits: dict[str, float] | None = None,
    *,
    share: float = 1.0,
    safety: float = DEFAULT_SAFETY,
    burst: int | None = 1,
) -> RateLimiter:
    """A limiter on the fake clock; without a burst (one start at a time) unless the test asks for one."""
    return RateLimiter(
        limits or {"/p": 10},
        share=share,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        safety=safety,
        burst=burst,
    )


def overlapping_at_each_start(schedule: list[tuple[float, float]]) -> int:
    """Most requests that had started by some request's start and completed less than 1 s before it (or
    later): what the limiter's cap bounds. `schedule`: (start, completion) per request."""
    return max(sum(1 for start, done in schedule if start <= s and done + 1.0 > s) for s, _ in schedule)


# ---- rates, caps and spacing ------------------------------------------------------------------------------


def test_default_limits_are_bitgets_published_ones_with_the_safety_margin() -> None:
    limiter = RateLimiter()
    assert PUBLISHED_LIMITS[SPOT_HISTORY_ORDERS] == 20
    assert PUBLISHED_LIMITS[FUTURES_HISTORY_ORDERS] == 10
    assert limiter.rate(SPOT_HISTORY_ORDERS) == pytest.approx(20 * 0.97)
    assert limiter.rate(FUTURES_HISTORY_ORDERS) == pytest.approx(10 * 0.97)
    assert (limiter.cap(SPOT_HISTORY_ORDERS), limiter.cap(FUTURES_HISTORY_ORDERS)) == (20, 10)


@pytest.mark.parametrize(
    ("share", "rate", "cap"), [(1.0, 20.0, 20), (0.25, 5.0, 5), (0.05, 1.0, 1), (0.01, 0.2, 1)]
)
def test_share_scales_the_rate_and_the_cap_which_is_at_least_one(share: float, rate: float, cap: int) -> None:
    limiter = RateLimiter({"/p": 20}, share=share, safety=1.0)
    assert limiter.rate("/p") == pytest.approx(rate)
    assert limiter.cap("/p") == cap


def test_first_request_starts_at_once_and_the_next_ones_are_evenly_spaced() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, safety=1.0)
    waits = []
    for _ in range(3):
        ticket = limiter.acquire("/p")
        limiter.release(ticket)
        waits.append(ticket.waited_s)
    assert waits == pytest.approx([0.0, 0.1, 0.1])
    assert clock.sleeps == pytest.approx([0.1, 0.1])


def test_a_slow_caller_is_not_delayed_and_gets_no_burst_credit() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, safety=1.0)
    limiter.release(limiter.acquire("/p"))
    clock.now += 5.0  # idle for a while
    first = limiter.acquire("/p")
    limiter.release(first)
    second = limiter.acquire("/p")
    assert (first.waited_s, second.waited_s) == (0.0, pytest.approx(0.1))  # no saved-up burst after idling


def test_an_idle_path_may_start_a_burst_up_to_the_cap_then_the_spacing_and_the_cap_apply() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"/p": 10}, monotonic=clock.monotonic, sleep=clock.sleep, safety=1.0)
    assert limiter.burst("/p") == limiter.cap("/p") == 10
    schedule = []
    for _ in range(15):
        ticket = limiter.acquire("/p")
        clock.now += 0.05  # each answer takes 50 ms
        schedule.append((ticket.start, limiter.release(ticket)))
    starts = [start for start, _ in schedule]
    assert starts[9] - starts[0] == pytest.approx(0.45)  # ten back to back (each after the previous answer)
    assert starts[10] >= schedule[0][1] + 1.0  # the eleventh waits until the first left the window
    assert overlapping_at_each_start(schedule) <= 10


def test_waiting_counts_the_callers_blocked_on_a_path() -> None:
    limiter = RateLimiter({"/p": 1}, burst=1)
    first = limiter.acquire("/p")
    assert limiter.waiting("/p") == 0
    blocked = threading.Thread(target=lambda: limiter.release(limiter.acquire("/p")), daemon=True)
    blocked.start()
    deadline = time.monotonic() + 5
    while limiter.waiting("/p") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert limiter.waiting("/p") == 1
    limiter.release(first)
    blocked.join(timeout=5)
    assert limiter.waiting("/p") == 0


def test_paths_are_limited_independently() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/a": 10, "/b": 10})
    limiter.acquire("/a")
    assert limiter.acquire("/b").waited_s == 0.0


def test_unknown_paths_get_the_conservative_default() -> None:
    limiter = RateLimiter({})
    assert limiter.rate("/api/v2/other") == pytest.approx(10 * 0.97)
    assert limiter.cap("/api/v2/other") == 10


def test_burst_of_200_is_evenly_spaced_and_never_exceeds_the_limit_in_any_second() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 20})
    starts = []
    for _ in range(200):
        ticket = limiter.acquire("/p")
        limiter.release(ticket)  # instant answers: only the spacing paces
        starts.append(ticket.start)
    assert starts[-1] - starts[0] == pytest.approx(199 / limiter.rate("/p"))
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest == 20  # 0.97 × 20 = 19.4/s: some windows hold 20 starts, none more


# ---- the cap on overlapping requests ----------------------------------------------------------------------


def test_in_flight_requests_count_against_the_cap() -> None:
    # GIVEN four requests in flight on a path allowing 4/s
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 4}, safety=1.0)
    tickets = [limiter.acquire("/p") for _ in range(4)]
    assert [t.overlapping for t in tickets] == [1, 2, 3, 4]
    assert limiter.in_flight("/p") == 4
    # WHEN time passes while they are still in flight
    clock.now += 10.0
    # THEN a fifth may not start until one of them is released
    assert limiter.try_acquire("/p") == math.inf


def test_release_frees_a_slot_one_window_after_the_completion() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 2}, safety=1.0)
    first, second = limiter.acquire("/p"), limiter.acquire("/p")  # 100.0 and 100.5
    clock.now = 100.8
    done = limiter.release(first)
    assert done == 100.8
    assert limiter.try_acquire("/p") == pytest.approx(1.0)  # first's completion leaves the window at 101.8
    third = limiter.acquire("/p")
    assert third.start == pytest.approx(101.8)
    limiter.release(second)
    limiter.release(third)
    assert limiter.in_flight("/p") == 0


def test_a_blocked_caller_wakes_up_when_a_request_completes() -> None:
    # GIVEN a path whose only slot is in flight, and a second thread waiting for it
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 1}, safety=1.0)
    first = limiter.acquire("/p")
    got: list[Ticket] = []
    waiter = threading.Thread(target=lambda: got.append(limiter.acquire("/p")))
    waiter.start()
    # WHEN the first request completes at 100.3
    clock.now = 100.3
    limiter.release(first)
    waiter.join(timeout=10)
    # THEN the waiter starts exactly one window after that completion (whether it was already blocked or not)
    assert not waiter.is_alive()
    assert got[0].start == pytest.approx(101.3)


def test_the_cap_holds_across_bunched_arrivals_and_the_path_runs_near_its_limit() -> None:
    """24 callers, 50 ms ± 20 ms answers, and a loaded machine that delays each send by 0-40 ms after the
    limiter allowed it: a discrete-event simulation on a fake clock, checked the way the server counts."""
    rng = random.Random(8)
    limit, now = 20, 0.0
    limiter = RateLimiter({"/p": limit}, monotonic=lambda: now, sleep=lambda s: None)
    events: list[tuple[float, int, int, Ticket | None]] = [
        (0.0, n, n, None) for n in range(24)
    ]  # (t, tie, caller)
    parked: list[int] = []
    arrivals: list[float] = []
    tie = 24
    while len(arrivals) < 2000:
        now, _, caller, ticket = heapq.heappop(events)
        if ticket is not None:  # the answer is in
            limiter.release(ticket)
            waking, parked[:] = [*parked, caller], []
            for who in waking:
                tie += 1
                heapq.heappush(events, (now, tie, who, None))
            continue
        granted = limiter.try_acquire("/p")
        tie += 1
        if isinstance(granted, Ticket):
            arrival = now + rng.uniform(0.0, 0.04)  # bunching: the send itself is late
            arrivals.append(arrival)
            heapq.heappush(events, (arrival + rng.uniform(0.03, 0.07), tie, caller, granted))
        elif math.isinf(granted):
            parked.append(caller)
        else:
            heapq.heappush(events, (now + granted, tie, caller, None))
    arrivals.sort()
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) < 0.01  # arrivals really bunched (spacing alone would be 1/19.4 = 52 ms)
    busiest = max(sum(1 for t in arrivals[i : i + limit + 1] if t - a < 1.0) for i, a in enumerate(arrivals))
    assert busiest <= limit  # no 1-second window at the server holds more than the limit
    throughput = len(arrivals) / (arrivals[-1] - arrivals[0])
    assert throughput >= 0.9 * limit


def test_many_threads_never_overlap_more_than_the_cap() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 5}, safety=1.0)
    schedule: list[tuple[float, float]] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(30):
            ticket = limiter.acquire("/p")
            clock.sleep(0.05)  # the request takes a while
            done = limiter.release(ticket)
            with lock:
                schedule.append((ticket.start, done))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(schedule) == 240
    assert overlapping_at_each_start(schedule) <= 5
    assert limiter.in_flight("/p") == 0


def test_memory_is_bounded_by_the_last_window() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 20})
    for _ in range(1000):
        limiter.release(limiter.acquire("/p"))
    state = limiter._paths["/p"]  # white-box: only the last second's completions are kept
    assert len(state.completions) <= 20
    assert not state.in_flight


def test_releasing_a_ticket_twice_is_an_error() -> None:
    limiter = fake_limiter(FakeClock())
    ticket = limiter.acquire("/p")
    limiter.release(ticket)
    with pytest.raises(ValueError, match="not in flight"):
        limiter.release(ticket)


# ---- the server's signals ---------------------------------------------------------------------------------


def test_no_quota_left_that_our_requests_do_not_explain_holds_the_path_for_a_window() -> None:
    # GIVEN a process with half the account's 10/s (cap 5) that has one request of its own in the window
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 10}, share=0.5, safety=1.0)
    ticket = limiter.acquire("/p")
    clock.now += 0.05
    # WHEN Bitget answers that no quota is left this second (someone else is using it)
    limiter.release(ticket, remaining=0)
    # THEN nothing starts on the path for a whole window after that answer
    assert limiter.try_acquire("/p") == pytest.approx(1.0)
    assert limiter.acquire("/p").start == pytest.approx(101.05)


def test_no_quota_left_that_our_own_requests_explain_adds_no_hold() -> None:
    # GIVEN our own 4 requests filled a 4/s path, answered at once
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 4}, safety=1.0)
    tickets = [limiter.acquire("/p") for _ in range(4)]  # 100.0, 100.25, 100.5, 100.75
    for ticket in tickets[:-1]:
        limiter.release(ticket, remaining=1)
    limiter.release(tickets[-1], remaining=0)
    # THEN the cap alone decides: the next start is when the first completion leaves the window
    assert limiter.acquire("/p").start == pytest.approx(101.75)


def test_remaining_quota_above_zero_changes_nothing() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, {"/p": 10}, share=0.5, safety=1.0)
    limiter.release(limiter.acquire("/p"), remaining=3)
    assert limiter.acquire("/p").waited_s == pytest.approx(0.2)  # just the spacing (rate 5/s)


def test_defer_holds_back_the_next_request() -> None:
    clock = FakeClock()
    limiter = fake_limiter(clock, safety=1.0)
    limiter.release(limiter.acquire("/p"))
    limiter.defer("/p", 2.0)
    assert limiter.acquire("/p").waited_s == pytest.approx(2.0)


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

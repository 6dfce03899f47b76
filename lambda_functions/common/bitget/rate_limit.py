"""A thread-safe per-endpoint rate limiter: even spacing of starts, plus a cap on overlapping requests.

Bitget counts the requests that *arrive* on an endpoint path in a one-second window (BITGET_API.md §5). The
client only knows when a request started (before the arrival) and when its answer came back (after it), so
every request is an "arrival interval" `[start, completion]`, open-ended while it is in flight. Two rules
decide when a request on a path may start at time `s`:

1. **Cap (the guarantee).** Count the requests on the path whose completion is later than `s - 1.0` or that
   are still in flight; the new one may start only if that count is below `cap = max(1, floor(limit × share))`.
   Proof that no server window `(t - 1, t]` then sees more than `cap` arrivals: take the request `n` in it that
   started last. Every other request `j` in the window started before `n` and completed at `c_j ≥ a_j > t - 1 ≥
   a_n - 1 ≥ s_n - 1`, so it was in flight or counted when `n` was admitted; `n` was admitted with fewer than
   `cap` counted, so the window holds at most `cap`. The proof needs no assumption about network delays, so
   arrivals that bunch on a loaded machine cannot push a window over the limit; it holds for fixed one-second
   buckets too (each lies in some sliding window).
2. **Spacing (the shape).** Starts follow a token bucket refilled at `rate = limit × share × safety` per second
   holding at most `burst` starts (default: the cap): an idle path may start up to `burst` requests at once
   (the cap still bounds every window), then starts are `1 / rate` apart, so a busy path is used evenly rather
   than in bursts of `cap` followed by a pause. A short run (a few dozen requests) thus finishes in about
   (requests - cap) / rate seconds instead of requests / rate.

`safety` defaults to 0.97. The cap alone keeps the server within its limit, so the spacing factor only trades
throughput for margin. At latency `L` the cap allows about `limit / (1 + L)` requests per second (0.95 ×
limit at 50 ms, 0.97 × at 30 ms), so above ~30 ms the cap, not the spacing, sets the pace and `safety` costs
nothing. Below that, spacing sets the pace and its 3 % headroom covers a server whose window is slightly longer
than our one second or whose clock runs slightly fast. 1.0 would gain at most 3 % there; 0.95 (the old factor)
gives away 2 % for a margin the cap already provides. Against the sandbox (24 threads on one 20/s path) this
measured 0.92 × the limit with 50 ± 20 ms answers and 0.97 × at loopback speed, with no 429.

Callers must `release` every ticket `acquire` hands out (in a `finally`), passing Bitget's
`x-mbx-used-remain-limit` header when the answer had one. A remaining quota of 0 that our own requests cannot
explain (fewer of ours overlapped the reporting request than our cap) means another caller shares the path's
limit: the path is then held back for a whole window after that answer. `defer` holds a path back explicitly
(after a 429). Memory per path is the completions of the last second plus the requests in flight.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lambda_functions.common.bitget.endpoints import DEFAULT_LIMIT, PUBLISHED_LIMITS

DEFAULT_SAFETY = 0.97
WINDOW_S = 1.0  # Bitget's limits are per second (x-mbx-used-remain-limit counts the current second)


@dataclass(frozen=True)
class Ticket:
    """Permission for one request; give it back with `RateLimiter.release` once the answer is in (or failed)."""

    path: str
    start: float  # the limiter's clock (monotonic seconds) when the request was allowed to start
    waited_s: float  # how long `acquire` blocked
    seq: int  # admission number on this path
    overlapping: int  # requests counted against the cap at admission, this one included


@dataclass
class _PathState:
    next_slot: float = -math.inf  # the token bucket's theoretical next start (GCRA); a burst may run ahead
    waiting: int = 0  # callers blocked in acquire()
    hold_until: float = -math.inf  # defer() and remaining-quota-0 answers
    admitted: int = 0
    in_flight: set[int] = field(default_factory=set)  # seq of tickets not yet released
    completions: deque[float] = field(default_factory=deque)  # release times within the last window


class RateLimiter:
    """Blocks callers so that each endpoint path stays under its requests-per-second limit."""

    def __init__(
        self,
        limits: Mapping[str, float] | None = None,
        *,
        share: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        safety: float = DEFAULT_SAFETY,
        default_limit: float = DEFAULT_LIMIT,
        burst: int | None = None,
    ) -> None:
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share!r}")
        if not 0 < safety <= 1:
            raise ValueError(f"safety must be in (0, 1], got {safety!r}")
        self._limits = dict(PUBLISHED_LIMITS if limits is None else limits)
        for path, limit in self._limits.items():
            if limit <= 0:
                raise ValueError(f"rate limit for {path} must be > 0, got {limit!r}")
        if default_limit <= 0:
            raise ValueError(f"default_limit must be > 0, got {default_limit!r}")
        self._share = share
        self._burst = burst
        self._safety = safety
        self._default_limit = default_limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._paths: dict[str, _PathState] = {}
        self._changed = threading.Condition()  # guards _paths; notified when a request completes

    def rate(self, path: str) -> float:
        """Requests/second the even spacing allows on `path` (limit × share × safety)."""
        return self._limits.get(path, self._default_limit) * self._share * self._safety

    def cap(self, path: str) -> int:
        """Most requests on `path` whose arrival intervals may meet one 1-second window (floor(limit × share))."""
        # The epsilon keeps e.g. 20 × 0.05 = 1.0000000000000002 from being floored below its intended value.
        return max(1, math.floor(self._limits.get(path, self._default_limit) * self._share + 1e-9))

    def acquire(self, path: str) -> Ticket:
        """Block until a request on `path` may start; `release` the ticket when the request is over."""
        began = self._monotonic()
        blocked = False
        try:
            while True:
                with self._changed:
                    granted = self._admit(path, began)
                    if not isinstance(granted, Ticket) and not blocked:
                        blocked = True
                        self._paths[path].waiting += 1
                    while not isinstance(granted, Ticket) and math.isinf(granted):
                        # Only a release can open a slot: wait for one.
                        self._changed.wait()
                        granted = self._admit(path, began)
                if isinstance(granted, Ticket):
                    return granted
                # Sleep outside the lock, then ask again: someone may have taken the slot meanwhile.
                self._sleep(granted)
        finally:
            if blocked:
                with self._changed:
                    self._paths[path].waiting -= 1

    def waiting(self, path: str) -> int:
        """Callers blocked in `acquire` on `path`: more work is queued for it than its limit lets through."""
        with self._changed:
            state = self._paths.get(path)
            return state.waiting if state is not None else 0

    def burst(self, path: str) -> int:
        """Starts an idle path may make at once."""
        return self._burst if self._burst is not None else self.cap(path)

    def try_acquire(self, path: str) -> Ticket | float:
        """A ticket if a request on `path` may start now, else the seconds until it is worth asking again
        (`math.inf`: not before a request on the path is released). Never blocks."""
        with self._changed:
            return self._admit(path, None)

    def release(self, ticket: Ticket, *, remaining: float | None = None) -> float:
        """The request of `ticket` is over (answered or failed); returns the completion time recorded.

        `remaining`: Bitget's `x-mbx-used-remain-limit` from the answer, if any."""
        with self._changed:
            now = self._monotonic()
            state = self._paths.get(ticket.path)
            if state is None or ticket.seq not in state.in_flight:
                raise ValueError(f"ticket {ticket.seq} on {ticket.path} is not in flight")
            state.in_flight.discard(ticket.seq)
            state.completions.append(now)
            _forget_old(state, now)
            if remaining is not None and remaining <= 0:
                # Every request of ours that can share the reporting request's server window was in flight
                # or counted when it started, or started after it.
                ours = ticket.overlapping + state.admitted - ticket.seq
                if ours < self.cap(ticket.path):
                    state.hold_until = max(state.hold_until, now + WINDOW_S)
            self._changed.notify_all()
        return now

    def defer(self, path: str, seconds: float) -> None:
        """Hold back every request on `path` for `seconds` from now (the server said to slow down)."""
        with self._changed:
            state = self._paths.setdefault(path, _PathState())
            state.hold_until = max(state.hold_until, self._monotonic() + seconds)

    def in_flight(self, path: str) -> int:
        """Requests on `path` holding a ticket."""
        with self._changed:
            state = self._paths.get(path)
            return len(state.in_flight) if state is not None else 0

    def _admit(self, path: str, began: float | None) -> Ticket | float:
        """Admit a request now (under the lock) or say how long to wait."""
        now = self._monotonic()
        state = self._paths.setdefault(path, _PathState())
        _forget_old(state, now)
        interval = 1.0 / self.rate(path)
        tolerance = (self.burst(path) - 1) * interval  # how far the bucket lets starts run ahead of the rate
        ready = max(state.next_slot - tolerance, state.hold_until, self._cap_frees_at(state, path))
        if ready > now:
            return ready - now
        state.next_slot = max(state.next_slot, now) + interval
        state.admitted += 1
        state.in_flight.add(state.admitted)
        overlapping = len(state.completions) + len(state.in_flight)
        waited = 0.0 if began is None else max(0.0, now - began)
        return Ticket(path, now, waited, state.admitted, overlapping)

    def _cap_frees_at(self, state: _PathState, path: str) -> float:
        """When the count of overlapping requests drops below the cap (-inf: it is below; inf: needs a release)."""
        excess = len(state.completions) + len(state.in_flight) - self.cap(path)
        if excess < 0:
            return -math.inf
        if excess >= len(state.completions):
            return math.inf
        return state.completions[excess] + WINDOW_S


def _forget_old(state: _PathState, now: float) -> None:
    """Drop completions that no longer meet the trailing window (the same sum `_cap_frees_at` waits for)."""
    while state.completions and state.completions[0] + WINDOW_S <= now:
        state.completions.popleft()

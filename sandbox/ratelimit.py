"""Per-second request limits: a sliding 1-second window per (caller, endpoint).

A request is allowed when fewer than `limit` requests of the same caller and endpoint were accepted in the
last second, less a 10 ms tolerance: (t - 0.99 s, t]. So a client spacing requests 1/limit s apart is never
refused, and a burst of limit + 1 within 0.99 s is. Refused requests do not count.

The 10 ms tolerance is for clients that pace on a millisecond clock: ccxt waits `rateLimit * cost` ms measured
with integer milliseconds, so its 11th futures request can reach the server 1-2 ms less than 1 s after its 1st
(seen against this sandbox). Bitget's own window is not documented (BITGET_API.md §9).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable

CLOCK_TOLERANCE_S = 0.010


class SlidingWindowLimiter:
    def __init__(self, window_s: float = 1.0) -> None:
        self._window_s = window_s
        self._accepted: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Hashable, limit: int, now_s: float) -> tuple[bool, int]:
        """Record a request at `now_s`; returns (allowed, requests remaining in the current window)."""
        with self._lock:
            times = self._accepted.setdefault(key, deque())
            while times and times[0] <= now_s - self._window_s + CLOCK_TOLERANCE_S:
                times.popleft()
            if len(times) >= limit:
                return False, 0
            times.append(now_s)
            return True, limit - len(times)

    def clear(self) -> None:
        with self._lock:
            self._accepted.clear()

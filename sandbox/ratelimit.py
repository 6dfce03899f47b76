"""Per-second request limits: a sliding 1-second window per (caller, endpoint).

A request is allowed when fewer than `limit` requests of the same caller and endpoint were accepted in the
last second (t - 1 s, t]. So exactly `limit` requests fit in any 1-second window: a client spacing requests
1/limit s apart is never refused, a burst of limit + 1 is. Refused requests do not count.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable


class SlidingWindowLimiter:
    def __init__(self, window_s: float = 1.0) -> None:
        self._window_s = window_s
        self._accepted: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Hashable, limit: int, now_s: float) -> tuple[bool, int]:
        """Record a request at `now_s`; returns (allowed, requests remaining in the current window)."""
        with self._lock:
            times = self._accepted.setdefault(key, deque())
            # 1 us of slack so float clocks cannot turn an exactly-spaced request into a refusal.
            while times and times[0] <= now_s - self._window_s + 1e-6:
                times.popleft()
            if len(times) >= limit:
                return False, 0
            times.append(now_s)
            return True, limit - len(times)

    def clear(self) -> None:
        with self._lock:
            self._accepted.clear()

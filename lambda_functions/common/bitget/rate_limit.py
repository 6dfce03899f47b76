"""A thread-safe per-endpoint rate limiter that spaces requests evenly.

Each endpoint path has its own schedule: a request may start no earlier than the previous start on that path
plus `1 / rate`, where `rate = limit × share × safety`. Even spacing (rather than a token bucket with a burst)
is what keeps a server that counts arrivals per second happy: a burst of N requests takes about N / rate
seconds and no 1-second window ever sees more than `limit × share` arrivals.

`safety` (default 0.95) leaves 5 % of headroom so network jitter, which can bunch arrivals that left evenly
spaced, does not push a window over the server's limit. `share` splits one account's limit between processes
(N parallel workers -> share = 1/N each).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from lambda_functions.common.bitget.endpoints import DEFAULT_LIMIT, PUBLISHED_LIMITS

DEFAULT_SAFETY = 0.95


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
    ) -> None:
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
        self._safety = safety
        self._default_limit = default_limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_start: dict[str, float] = {}
        self._lock = threading.Lock()

    def rate(self, path: str) -> float:
        """Effective requests/second this limiter allows on `path` (limit × share × safety)."""
        return self._limits.get(path, self._default_limit) * self._share * self._safety

    def acquire(self, path: str) -> float:
        """Block until a request on `path` may start; returns the seconds waited."""
        interval = 1.0 / self.rate(path)
        with self._lock:
            now = self._monotonic()
            start = max(now, self._next_start.get(path, now))
            self._next_start[path] = start + interval
        wait = start - now
        if wait > 0:
            # Sleep outside the lock: other threads reserve later slots meanwhile.
            self._sleep(wait)
        return max(wait, 0.0)

    def defer(self, path: str, seconds: float) -> None:
        """Hold back every request on `path` for `seconds` from now (the server said to slow down)."""
        with self._lock:
            resume = self._monotonic() + seconds
            if resume > self._next_start.get(path, float("-inf")):
                self._next_start[path] = resume

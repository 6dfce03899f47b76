"""Rate limiters lent to invocations, so a limiter's spacing survives from one invocation to the next.

Bitget counts requests per account in sliding one-second windows. A limiter created fresh for each
invocation would forget when the previous invocation in the same process sent its last request and could
start the next symbol with a request right behind it: one too many in that window. Instead a process keeps
its limiters and lends one to each invocation for its whole run (shared by that invocation's threads). On
Lambda a process runs one invocation at a time, so the pool holds one limiter that carries its schedule
across warm invocations; in an embedded run with N concurrent invocations it holds N, each with its
WORKER_RATE_SHARE of the account's limits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lambda_functions.common.bitget import RateLimiter


class LimiterPool:
    """Thread-safe pool; `make` builds a limiter when every existing one is lent out."""

    def __init__(self, make: Callable[[], RateLimiter]) -> None:
        self._make = make
        self._idle: list[RateLimiter] = []
        self._lock = threading.Lock()
        self.created = 0

    @contextmanager
    def lend(self) -> Iterator[RateLimiter]:
        with self._lock:
            if self._idle:
                limiter = self._idle.pop()
            else:
                limiter = self._make()
                self.created += 1
        try:
            yield limiter
        finally:
            with self._lock:
                self._idle.append(limiter)

"""Rate limiters lent to invocations, so a limiter's spacing survives from one invocation to the next.

Bitget counts requests per account in sliding one-second windows. A limiter created fresh for each
invocation would forget when the previous invocation in the same process sent its last request and could
start the next symbol with a request right behind it: one too many in that window. Instead a process keeps
its limiters and lends one to each invocation for its whole run (shared by that invocation's threads).

Shares: separate Lambdas cannot share a limiter, so each takes a fixed share of the account's limits. The
coordinator computes it per execution (`rate_share` in the worker event: 1 / the number of workers that can
run at once); without one, WORKER_RATE_SHARE / MAP_MAX_CONCURRENCY decide. Idle limiters are kept per share.
In embedded mode the process has one limiter for the whole account (`LimiterPool.shared`), lent to every
invocation of every execution whatever share its event names: one limiter at the full limits keeps them all
under the account's limits and gives an idle worker's capacity to the busy ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lambda_functions.common.bitget import RateLimiter


class LimiterPool:
    """Thread-safe pool; `make(share)` builds a limiter when every existing one of that share is lent out."""

    def __init__(self, make: Callable[[float], RateLimiter], default_share: float = 1.0) -> None:
        self._make = make
        self._default_share = default_share
        self._idle: dict[float, list[RateLimiter]] = {}
        self._lock = threading.Lock()
        self.created = 0

    @classmethod
    def shared(cls, limiter: RateLimiter) -> LimiterPool:
        """A pool that lends the same limiter to everyone (one process, one account)."""
        return _SharedPool(limiter)

    @contextmanager
    def lend(self, share: float | None = None) -> Iterator[RateLimiter]:
        share = self._default_share if share is None else share
        with self._lock:
            idle = self._idle.setdefault(share, [])
            if idle:
                limiter = idle.pop()
            else:
                limiter = self._make(share)
                self.created += 1
        try:
            yield limiter
        finally:
            with self._lock:
                self._idle[share].append(limiter)


class _SharedPool(LimiterPool):
    def __init__(self, limiter: RateLimiter) -> None:
        super().__init__(lambda _share: limiter)
        self.limiter = limiter

    @contextmanager
    def lend(self, share: float | None = None) -> Iterator[RateLimiter]:
        yield self.limiter

"""Circuit breaker per symbol+stream, for failures that will not heal by retrying.

Only permanent answers count (the symbol does not exist in that market, the credentials are refused): a
transient failure (429, 5xx, timeout) is the client's retry loop's business and never opens the breaker, so
the breaker cannot hide data that a retry would have fetched. After `failure_threshold` consecutive permanent
failures of a key the breaker opens and the stream is skipped for `recovery_s`; then one probe is let through
(half-open): success closes it, another failure opens it again. It lives at module scope, so it pays off on
warm invocations that meet the same broken symbol again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Entry:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    category: str | None = None  # the kind of the last failure (e.g. symbol_not_found)


class CircuitBreaker:
    """Thread-safe; `monotonic` is injectable so tests drive the states with a fake clock."""

    def __init__(
        self,
        failure_threshold: int = 3,
        recovery_s: float = 30.0,
        *,
        enabled: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_s = recovery_s
        self.enabled = enabled
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def state(self, key: str) -> BreakerState:
        with self._lock:
            return self._state(self._entries.get(key))

    def _state(self, entry: _Entry | None) -> BreakerState:
        if entry is None or entry.opened_at is None:
            return BreakerState.CLOSED
        if entry.probing or self._monotonic() - entry.opened_at >= self.recovery_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self, key: str) -> bool:
        """True when a request for `key` may be sent; half-open allows one probe at a time."""
        if not self.enabled:
            return True
        with self._lock:
            entry = self._entries.get(key)
            state = self._state(entry)
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and entry is not None and not entry.probing:
                entry.probing = True
                return True
            return False

    def open_category(self, key: str) -> str | None:
        """The failure kind that opened the breaker for `key` (None when closed)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry.category if entry and entry.opened_at is not None else None

    def record_success(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def record_failure(self, key: str, category: str) -> None:
        """Count a permanent failure; opens the breaker at the threshold (or at once after a failed probe)."""
        if not self.enabled:
            return
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            entry.category = category
            if entry.probing or entry.opened_at is not None:
                entry.failures, entry.opened_at, entry.probing = (
                    self.failure_threshold,
                    self._monotonic(),
                    False,
                )
                return
            entry.failures += 1
            if entry.failures >= self.failure_threshold:
                entry.opened_at = self._monotonic()

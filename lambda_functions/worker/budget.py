"""The worker's time budget: dynamic per-request timeouts and the early exit before the Lambda is killed.

The budget starts from `context.get_remaining_time_in_millis()` when a Lambda context is given (the real
deadline), else from MAX_EXECUTION_TIME. A safety margin stays free at the end so the results can still be
written. A request is only sent when at least `min_request_s` remain; otherwise the stream stops and is
reported incomplete with reason `timeout` (never silently short).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MIN_REQUEST_S = 0.5  # below this a request cannot realistically complete: stop instead of sending it


def _wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Clock:
    """Wall time (for the window) and monotonic time (for budgets and durations), injectable in tests."""

    wall_ms: Callable[[], int] = field(default=_wall_ms)
    monotonic: Callable[[], float] = field(default=time.monotonic)


class TimeBudget:
    """Thread-safe by construction: it only reads the clock and immutable numbers."""

    def __init__(
        self,
        total_s: float,
        *,
        request_timeout_s: float,
        safety_margin_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        min_request_s: float = MIN_REQUEST_S,
    ) -> None:
        self._monotonic = monotonic
        self._deadline = monotonic() + total_s
        self.total_s = total_s
        self.request_timeout_s = request_timeout_s
        self.safety_margin_s = safety_margin_s
        self.min_request_s = min_request_s

    @classmethod
    def for_invocation(
        cls,
        context: Any,
        *,
        max_execution_s: float,
        request_timeout_s: float,
        safety_margin_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        deadline_s: float | None = None,
    ) -> TimeBudget:
        """The Lambda context's remaining time when there is one, else MAX_EXECUTION_TIME; never beyond the
        execution's own deadline (`deadline_s` from now: an EXPRESS execution is killed at 5 minutes). The
        safety margin is at most a quarter of the budget, so a short budget still fetches."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        total_s = remaining() / 1000.0 if callable(remaining) else max_execution_s
        if deadline_s is not None:
            total_s = max(0.0, min(total_s, deadline_s))
        return cls(
            total_s,
            request_timeout_s=request_timeout_s,
            safety_margin_s=min(safety_margin_s, total_s / 4),
            monotonic=monotonic,
        )

    def remaining_s(self) -> float:
        """Seconds left for requests (the safety margin already taken off)."""
        return self._deadline - self.safety_margin_s - self._monotonic()

    def request_timeout(self) -> float | None:
        """Timeout for the next request, or None when the budget is spent and no request should be sent."""
        remaining = self.remaining_s()
        if remaining < self.min_request_s:
            return None
        return min(self.request_timeout_s, remaining)

    def exhausted(self) -> bool:
        return self.request_timeout() is None

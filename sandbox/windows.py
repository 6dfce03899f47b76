"""Time windows of the fill and v3 endpoints: a maximum span, defaults that fit inside it, the 90-day retention.

Defaults (Bitget documents none precisely; UNVERIFIED, docs/sandbox.md): with neither bound the window is the
last `span` (ending at the server's now); with endTime only it is the `span` before endTime; with startTime
only it is the `span` after startTime, cut at now. A start computed by default is raised to the retention edge
(now - 90 days) when that edge is inside the window. Checks in this order: startTime > endTime 40707, startTime
older than the retention edge (60 s of grace) 43111, span over the maximum the endpoint's own error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sandbox.clock import DAY_MS, RETENTION_MS
from sandbox.errors import ApiError, time_range_illegal

RETENTION_GRACE_MS = 60_000  # as endpoints.py: a client computing "now - 90 days" itself is not refused


def number(params: Mapping[str, str], name: str, bad: Callable[[str], ApiError]) -> int | None:
    """An integer query parameter (None when absent); `bad(name)` when it is not one."""
    value = params.get(name)
    if value is None:
        return None
    if not value.lstrip("-").isdigit():
        raise bad(name)
    return int(value)


def bounded_window(
    params: Mapping[str, str],
    now_ms: int,
    span_days: int,
    too_long: Callable[[], ApiError],
    bad: Callable[[str], ApiError],
) -> tuple[int, int]:
    """[start, end] of a query whose span may be at most `span_days` days (see the module docstring)."""
    span = span_days * DAY_MS
    start, end = number(params, "startTime", bad), number(params, "endTime", bad)
    edge = now_ms - RETENTION_MS
    defaulted_start = start is None
    if start is None:
        end = now_ms if end is None else end
        start = end - span
    elif end is None:
        end = max(start, min(now_ms, start + span))
    if defaulted_start and start < edge <= end:
        start = edge
    if start > end:
        raise ApiError("40707", "Start time is greater than end time")
    if start < edge - RETENTION_GRACE_MS:
        raise time_range_illegal()
    if end - start > span:
        raise too_long()
    return start, end

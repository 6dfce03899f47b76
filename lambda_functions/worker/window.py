"""The time window of a run: defaults, Bitget's 90-day retention clamp, and slicing to Bitget's maximum span.

Bitget keeps 90 days of order history and accepts at most 90 days between startTime and endTime
(BITGET_API.md §3). A window reaching further back is clamped to the retention (and the summary says so); a
window longer than the span is cut into slices walked newest first. Slices are inclusive millisecond ranges
that neither overlap nor leave a gap: each becomes a shard that owns its milliseconds (shards.py), which is
what keeps an order at a border from being lost or doubled whatever Bitget does with its bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS

# Bitget drops orders older than 90 days by its own clock; a startTime at the very edge can fail with 40704 by
# the time the request arrives. Orders within this margin of expiring are not asked for.
RETENTION_EDGE_MARGIN_MS = 5_000
# A start at most this far behind the edge the worker pages from was inside the retention when the window was
# asked for: the coordinator's clock (not Bitget's), the Map's queue and continuations put the worker later than
# the request. Such a start moves to the edge unreported, as every request's own startTime does while paging
# (orders that expired after the request); only a start further back was asked beyond the retention: `clamped`.
EXPIRED_SINCE_ASKED_MS = DAY_MS
# Bitget's widest startTime..endTime span is 90 days; a slice asks 1 ms beyond each end (shards.py), so a slice
# holds at most 90 days less 1 ms. Any window inside the retention fits in one slice.
MAX_SPAN_MS = 90 * DAY_MS - 1
# v3 histories take at most 30 days per request, futures fill history 7 (BITGET_API.md §11, §12); a second
# short of the documented figure keeps each request clear of however strictly Bitget compares it.
UTA_MAX_SPAN_MS = 30 * DAY_MS - 1_000
FUTURES_FILLS_MAX_SPAN_MS = 7 * DAY_MS - 1_000


def retention_edge_ms(server_now_ms: int) -> int:
    """The oldest startTime that is safe to send at `server_now_ms` (Bitget's clock)."""
    return server_now_ms - RETENTION_MS + RETENTION_EDGE_MARGIN_MS


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int
    clamped: bool = False
    requested_start_ms: int | None = None  # what the event asked for, when it was clamped

    def as_dict(self) -> dict[str, int | bool]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "clamped": self.clamped}


def resolve_window(start_ms: int | None, end_ms: int | None, now_ms: int) -> Window:
    """Defaults (the last 90 days), then the retention clamp, both by Bitget's clock `now_ms`. Raises
    ValueError when nothing is left."""
    end = now_ms if end_ms is None else end_ms
    oldest = retention_edge_ms(now_ms)
    start = max(end - RETENTION_MS, oldest) if start_ms is None else start_ms
    if start >= end:
        raise ValueError(f"start_ms ({start}) must be before end_ms ({end})")
    if start >= oldest:
        return Window(start, end)
    if end <= oldest:
        raise ValueError(f"the window ends before Bitget's 90-day retention (oldest queryable ms: {oldest})")
    if start >= oldest - EXPIRED_SINCE_ASKED_MS:
        return Window(oldest, end)
    return Window(oldest, end, clamped=True, requested_start_ms=start)


def slices(window: Window, max_span_ms: int = MAX_SPAN_MS) -> list[tuple[int, int]]:
    """Inclusive (first_ms, last_ms) ranges of at most `max_span_ms`, newest first, covering the window
    (both ends included) without gaps or overlaps."""
    result: list[tuple[int, int]] = []
    end = window.end_ms
    while True:
        start = max(window.start_ms, end - max_span_ms + 1)
        result.append((start, end))
        if start == window.start_ms:
            return result
        end = start - 1

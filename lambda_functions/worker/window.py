"""The time window of a run: defaults, Bitget's 90-day retention clamp, and slicing to Bitget's maximum span.

Bitget keeps 90 days of order history and accepts at most 90 days between startTime and endTime
(BITGET_API.md §3). A window reaching further back is clamped to the retention (and the summary says so); a
window longer than the span is cut into slices walked newest first. Adjacent slices share their border
millisecond so no order can fall between them whether Bitget treats the bounds as inclusive or exclusive; the
order that may then appear twice is removed by the (stream, orderId) dedupe.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS

MAX_SPAN_MS = 90 * DAY_MS  # Bitget's widest startTime..endTime span


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int
    clamped: bool = False
    requested_start_ms: int | None = None  # what the event asked for, when it was clamped

    def as_dict(self) -> dict[str, int | bool]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "clamped": self.clamped}


def resolve_window(start_ms: int | None, end_ms: int | None, now_ms: int) -> Window:
    """Defaults (the last 90 days), then the retention clamp. Raises ValueError when nothing is left."""
    end = now_ms if end_ms is None else end_ms
    start = end - RETENTION_MS if start_ms is None else start_ms
    if start >= end:
        raise ValueError(f"start_ms ({start}) must be before end_ms ({end})")
    oldest = now_ms - RETENTION_MS
    if start >= oldest:
        return Window(start, end)
    if end <= oldest:
        raise ValueError(f"the window ends before Bitget's 90-day retention (oldest queryable ms: {oldest})")
    return Window(oldest, end, clamped=True, requested_start_ms=start)


def slices(window: Window, max_span_ms: int = MAX_SPAN_MS) -> list[tuple[int, int]]:
    """(start, end) pairs of at most `max_span_ms`, newest first, covering the window without gaps."""
    result: list[tuple[int, int]] = []
    end = window.end_ms
    while True:
        start = max(window.start_ms, end - max_span_ms)
        result.append((start, end))
        if start == window.start_ms:
            return result
        end = start

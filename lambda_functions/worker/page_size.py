"""Adaptive page size: between MIN_PAGE_SIZE and MAX_PAGE_SIZE, driven by the measured latency of each page.

A fast page (< 1 s) grows the next one, a slow page (> 3 s) shrinks it, so a struggling API gets smaller
requests that finish inside the timeout. It starts at MAX_PAGE_SIZE (fewest requests). Which orders are
returned does not depend on it: paging walks the same idLessThan cursor whatever the size, and the short-
page rule compares each page with the size that was asked for.
"""

from __future__ import annotations

FAST_S = 1.0
SLOW_S = 3.0
STEP = 20  # the original's steps: 50 -> 70 -> 90 -> 100 and back


class PageSizer:
    """One per stream (not shared between threads)."""

    def __init__(self, min_size: int, max_size: int, *, adaptive: bool = True) -> None:
        if not 1 <= min_size <= max_size:
            raise ValueError(f"page sizes need 1 <= min ({min_size}) <= max ({max_size})")
        self.min_size = min_size
        self.max_size = max_size
        self.adaptive = adaptive
        self.size = max_size
        self.adjustments = 0

    def record(self, latency_s: float) -> int:
        """Feed the latency of the last page; returns the size for the next one."""
        if not self.adaptive:
            return self.size
        if latency_s < FAST_S:
            new = min(self.max_size, self.size + STEP)
        elif latency_s > SLOW_S:
            new = max(self.min_size, self.size - STEP)
        else:
            new = self.size
        if new != self.size:
            self.adjustments += 1
            self.size = new
        return self.size

"""Shards: one query's time range, paged with its own cursor, and how a heavy range is split.

One cursor walk has one request in flight, so its speed is bound by latency, not by Bitget's rate limit. A
stream whose range holds many pages is therefore split into disjoint time ranges (shards) paged concurrently.

Ownership makes the split exact. A shard *owns* the milliseconds `lo..hi` (both inclusive). It asks Bitget for
`startTime = lo - 1` and `endTime = hi + 1` and keeps only the rows whose cTime it owns, so whether Bitget's
bounds are inclusive or exclusive (UNVERIFIED, BITGET_API.md §3) no row at a border is lost, and none is kept
twice: every cTime has exactly one owner. All rows of one millisecond (ties are common) have the same owner.

Splitting is decided from what a shard has seen, and only when it helps: every few pages, if its lane (its
endpoint path) has idle threads, a shard estimates how many pages remain below the oldest row seen (rows per
millisecond so far × the milliseconds left) and, when that is enough to keep more threads busy, hands the older
part of its range to new shards of equal width, one per idle thread. The shard keeps the newest part and its
cursor (its rows so far are all newer than the split point). New shards do the same, so work is re-balanced
whenever a thread runs out of it, and a light stream (a few pages) is never split: each extra shard costs about
1.5 requests (its closing empty page and a partial page at its border).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lambda_functions.worker.window import retention_edge_ms

MIN_PAGES_PER_SHARD = 8  # estimated pages each piece must carry for a split to pay for itself
MAX_NEW_SHARDS_PER_SPLIT = 8
MIN_SHARD_MS = 1_000  # never split below a second: ties in one millisecond cannot be split anyway
CHECK_EVERY_PAGES = 4  # a shard considers splitting after this many pages (and again after as many more)


def query_bounds(lo: int, hi: int, server_now_ms: int) -> tuple[int, int] | None:
    """(startTime, endTime) for a request of the shard owning lo..hi, or None when it has all expired."""
    start = max(lo - 1, retention_edge_ms(server_now_ms))
    end = hi + 1
    return (start, end) if start < end else None


@dataclass
class Range:
    lo: int
    hi: int


def split_ranges(
    lo: int,
    oldest_seen_ms: int,
    rows_seen: int,
    span_seen_ms: int,
    limit: int,
    max_new: int,
    *,
    min_pages: int = MIN_PAGES_PER_SHARD,
    min_ms: int = MIN_SHARD_MS,
) -> tuple[int, list[Range]]:
    """Split the unpaged part `lo..oldest_seen_ms` of a shard into at most `max_new` new shards.

    Returns the shard's new `lo` (it keeps `new_lo..hi` and its cursor) and the ranges of the new shards,
    newest first; `(lo, [])` when the estimate does not justify a split.
    """
    remaining_ms = oldest_seen_ms - lo + 1
    if max_new < 1 or remaining_ms < 2 * min_ms or rows_seen <= 0:
        return lo, []
    density = rows_seen / max(span_seen_ms, 1)  # rows per ms in the part already paged
    estimated_pages = density * remaining_ms / max(limit, 1)
    pieces = min(max_new + 1, math.floor(estimated_pages / min_pages), remaining_ms // min_ms)
    if pieces < 2:
        return lo, []
    width = remaining_ms // pieces
    # borders[i] is the lo of piece i (piece 0 is the newest, kept by the shard)
    borders = [oldest_seen_ms + 1 - width * (i + 1) for i in range(pieces - 1)] + [lo]
    new_ranges = [Range(borders[i], borders[i - 1] - 1) for i in range(1, pieces)]
    return borders[0], new_ranges

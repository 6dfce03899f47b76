"""Time ranges: merging what complete extractions covered, and the gaps between them.

Ranges are half-open [start_ms, end_ms). Ranges that overlap or touch merge. A gap is split at Bitget's
retention edge (now - 90 days): the part before it can no longer be read from the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Range = tuple[int, int]
UNRECOVERABLE = "older than Bitget's 90-day retention: only an export from Bitget's website can fill it"
RECOVERABLE = "within Bitget's 90-day retention: a sync (POST /accounts/{id}/sync) or an extraction of this window fills it"


@dataclass(frozen=True)
class Gap:
    start_ms: int
    end_ms: int
    recoverable: bool
    until_now: bool = False  # the time since the last covered range (not yet extracted, rather than missed)

    @property
    def note(self) -> str:
        return RECOVERABLE if self.recoverable else UNRECOVERABLE


def merge(ranges: Iterable[Range]) -> list[Range]:
    """The union of the ranges, as sorted disjoint ranges (empty ranges dropped)."""
    merged: list[Range] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def uncovered(covered: list[Range], now_ms: int) -> list[Range]:
    """The parts of [first covered start, now) that no merged range covers."""
    if not covered:
        return []
    holes, cursor = [], covered[0][0]
    for start, end in covered:
        if start > cursor:
            holes.append((cursor, start))
        cursor = max(cursor, end)
    if now_ms > cursor:
        holes.append((cursor, now_ms))
    return holes


def gaps(covered: list[Range], now_ms: int, retention_edge_ms: int) -> list[Gap]:
    """The holes of `covered` up to now, each split at the retention edge."""
    out: list[Gap] = []
    for start, end in uncovered(covered, now_ms):
        until_now = end == now_ms
        if start < retention_edge_ms < end:
            out += [
                Gap(start, retention_edge_ms, False, until_now),
                Gap(retention_edge_ms, end, True, until_now),
            ]
        else:
            out.append(Gap(start, end, start >= retention_edge_ms, until_now))
    return out

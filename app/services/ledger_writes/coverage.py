"""An execution's coverage rows: the windows of the account's streams it paged to their end.

The aggregator's response lists them in `summary.coverage` as `{"stream", "symbol" (null: every symbol),
"start_ms", "end_ms", "complete"}`. Only complete entries become rows (`account_coverage`, symbol "" for
null); results written before the field existed give none. Each hydration replaces the execution's rows, so a
re-hydration never doubles them. An entry that is not of that shape is skipped: coverage must never claim
more than was paged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, delete, insert

from app.models.database import AccountCoverage, utcnow

_MAX_BIGINT = 2**63 - 1


def _chars(column: str) -> int:
    kind = AccountCoverage.__table__.columns[column].type
    assert isinstance(kind, String) and kind.length
    return kind.length


_STREAM_CHARS, _SYMBOL_CHARS = _chars("stream"), _chars("symbol")


@dataclass(frozen=True)
class CoverageEntry:
    """[start_ms, end_ms) of one stream (of one symbol, or "" for every symbol) paged to its end."""

    stream: str
    symbol: str
    start_ms: int
    end_ms: int


def _millis(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value <= _MAX_BIGINT else None


def _entry(raw: Any) -> CoverageEntry | None:
    """A complete, well-formed entry; None for anything else (incomplete, malformed, empty window)."""
    if not isinstance(raw, dict) or raw.get("complete") is not True:
        return None
    stream, symbol = raw.get("stream"), raw.get("symbol")
    start, end = _millis(raw.get("start_ms")), _millis(raw.get("end_ms"))
    if not isinstance(stream, str) or not 0 < len(stream) <= _STREAM_CHARS:
        return None
    if symbol is None:
        symbol = ""
    if not isinstance(symbol, str) or len(symbol) > _SYMBOL_CHARS:
        return None
    if start is None or end is None or start >= end:
        return None
    return CoverageEntry(stream, symbol, start, end)


def complete_coverage(result: Any) -> list[CoverageEntry]:
    """The complete entries of a response's `summary.coverage` (dict or JSON text), one per (stream, symbol).

    Two windows of the same stream and symbol are merged when they overlap or touch; when they do not, the
    widest is kept (a row holds one window, and a union would claim the time between them).
    """
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return []
    summary = result.get("summary") if isinstance(result, dict) else None
    entries = summary.get("coverage") if isinstance(summary, dict) else None
    if not isinstance(entries, list):
        return []
    kept: dict[tuple[str, str], CoverageEntry] = {}
    for entry in filter(None, map(_entry, entries)):
        key = (entry.stream, entry.symbol)
        held = kept.get(key)
        if held is None:
            kept[key] = entry
        elif entry.start_ms <= held.end_ms and held.start_ms <= entry.end_ms:
            start, end = min(held.start_ms, entry.start_ms), max(held.end_ms, entry.end_ms)
            kept[key] = CoverageEntry(entry.stream, entry.symbol, start, end)
        elif entry.end_ms - entry.start_ms > held.end_ms - held.start_ms:
            kept[key] = entry
    return list(kept.values())


def replace_coverage(
    connection: Connection, execution_arn: str, account_id: str, entries: list[CoverageEntry]
) -> int:
    """The execution's coverage rows become `entries` (in the caller's transaction); returns how many."""
    connection.execute(delete(AccountCoverage).where(AccountCoverage.execution_arn == execution_arn))
    if entries:
        now = utcnow()
        rows = [
            {
                "account_id": account_id,
                "stream": e.stream,
                "symbol": e.symbol,
                "start_ms": e.start_ms,
                "end_ms": e.end_ms,
                "execution_arn": execution_arn,
                "created_at": now,
            }
            for e in entries
        ]
        connection.execute(insert(AccountCoverage), rows)
    return len(entries)

"""Streaming newest-first k-way merge of the per-symbol orders files.

Each per-symbol file is already newest first (the worker writes it so), so `heapq.merge` over one ijson
iterator per file yields the global newest-first order while holding only one buffered read (at most 64 KiB)
and one pending order per symbol: memory grows with the number of symbols, never with the number of orders.

A duplicate (same stream and orderId) has the same sort key as its twin, so it arrives right after it and is
dropped by comparing with the previous key alone; no set of seen ids is needed.

An order whose cTime/orderId is not an integer cannot be placed: it is set aside (counted, and kept for the
document's `rejected_rows` up to MAX_REJECTED_KEPT), never failing the merge. A file that is not newest first
does fail it: the merge's order would be wrong.

Numbers are parsed as ijson does by default (int, or Decimal with a fraction): no float round trip.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any

import ijson

from lambda_functions.common.streams import is_fill_stream, newest_first_key

ORDERS_PREFIX = "orders.item"
READ_BUDGET_BYTES = 8 * 1024 * 1024
MIN_READ_BYTES = 8 * 1024
MAX_READ_BYTES = 64 * 1024  # ijson's default
MAX_REJECTED_KEPT = 1000  # rows the merge set aside, kept for the document; the count covers all

Keyed = tuple[tuple[int, int, str], dict[str, Any]]


class InvalidOrdersFileError(ValueError):
    """A per-symbol file the merge cannot use: an order without usable cTime/orderId, or not newest first."""


@dataclass
class MergeStats:
    """What the merge saw: orders written, duplicates dropped, rows read per source, orders per stream, rows set
    aside."""

    orders: int = 0
    duplicates_dropped: int = 0
    read_by_source: Counter[str] = field(default_factory=Counter)
    orders_by_stream: Counter[str] = field(default_factory=Counter)
    fills: int = 0
    fills_by_stream: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)  # {symbol, stream, reason, row}

    def reject(self, source: str, order: Any, reason: str) -> None:
        self.rejected += 1
        if len(self.rejected_rows) < MAX_REJECTED_KEPT:
            stream = order.get("stream") if isinstance(order, dict) else None
            self.rejected_rows.append({"symbol": source, "stream": stream, "reason": reason, "row": order})


def read_size_for(sources: int) -> int:
    """ijson's read size when `sources` files are parsed side by side.

    Each open parser holds a few times its read size (the bytes read plus the parser's copies), so the size
    shrinks as the number of files grows: all parsers together stay within about `READ_BUDGET_BYTES` x 3.
    """
    return max(MIN_READ_BYTES, min(MAX_READ_BYTES, READ_BUDGET_BYTES // max(1, sources)))


def read_orders(fh: IO[bytes], read_size: int = MAX_READ_BYTES) -> Iterator[dict[str, Any]]:
    """The orders of one per-symbol file, one at a time (numbers as int, or Decimal: exact)."""
    return ijson.items(fh, ORDERS_PREFIX, buf_size=read_size)


def _keyed(source: str, orders: Iterable[dict[str, Any]], stats: MergeStats) -> Iterator[Keyed]:
    """Pairs each order with its sort key, checking the newest-first promise the merge relies on."""
    previous: tuple[int, int, str] | None = None
    count = 0
    for order in orders:
        count += 1  # rows in the file, set aside or not (compared with the worker's own count)
        try:
            key = newest_first_key(order)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            stats.reject(source, order, f"no integer cTime/orderId ({type(exc).__name__}: {exc})"[:200])
            continue
        if previous is not None and key > previous:
            raise InvalidOrdersFileError(
                f"{source}: orders are not newest first at orderId {order['orderId']}"
            )
        previous = key
        yield key, order
    stats.read_by_source[source] += count  # once per source: a Counter update per order is measurable


def merge_newest_first(sources: Mapping[str, Iterable[dict[str, Any]]], stats: MergeStats) -> Iterator[dict]:
    """All records of all sources, newest first, each (stream, id) once; counts land in `stats` (orders and
    fills apart)."""
    keyed = [_keyed(name, orders, stats) for name, orders in sources.items()]
    last_key: tuple[int, int, str] | None = None
    for key, order in heapq.merge(*keyed, key=itemgetter(0), reverse=True):
        if key == last_key:
            stats.duplicates_dropped += 1
            continue
        last_key = key
        stream = key[2]
        if is_fill_stream(stream):
            stats.fills += 1
            stats.fills_by_stream[stream] += 1
        else:
            stats.orders += 1
            stats.orders_by_stream[stream] += 1
        yield order

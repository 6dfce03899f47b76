"""Segments: rows made durable in the results store, in the part files' line format, sorted newest first.

A segment is written from sealed part runs (`parts.py`) by a k-way merge, so it is sorted like a part: one line
per row, `cTime orderId stream<TAB>json`. The symbol's orders file is the merge of its segments. Segments are
compacted like an LSM tree: when FANOUT segments of one level exist they are merged into one of the next level,
so a long extraction holds O(log n) segments and each row is rewritten O(log n) times.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import IO, Any

from lambda_functions.common.results_store import ResultsStore

FANOUT = 8
_CHUNK = 1 << 16

SortKey = tuple[int, int, str]  # (cTime, orderId, stream): newest first when sorted in reverse
Row = tuple[SortKey, bytes]


def merge_rows(sources: Iterable[Iterator[Row]]) -> Iterator[Row]:
    """Every row of the sorted sources, newest first; adjacent copies of one key (the same order of the same
    stream, e.g. a cursor row Bitget repeated after a resume) are dropped."""
    previous: SortKey | None = None
    for key, body in heapq.merge(*sources, key=lambda item: item[0], reverse=True):
        if key == previous:
            continue
        previous = key
        yield key, body


def encode(key: SortKey, body: bytes) -> bytes:
    return f"{key[0]} {key[1]} {key[2]}\t".encode() + body + b"\n"


def decode(line: bytes) -> Row:
    head, _, body = line.rstrip(b"\n").partition(b"\t")
    c_time, order_id, stream = head.decode().split(" ", 2)
    return (int(c_time), int(order_id), stream), body


def lines(fh: IO[bytes] | Any) -> Iterator[bytes]:
    """The lines of a binary file or an S3 streaming body, read in chunks (memory: one chunk)."""
    pending = b""
    while chunk := fh.read(_CHUNK):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def read_segment(store: ResultsStore, key: str) -> Iterator[Row]:
    with store.reader(key) as fh:
        for line in lines(fh):
            if line:
                yield decode(line)


def write_segment(store: ResultsStore, key: str, rows: Iterator[Row]) -> int:
    """Write the rows (already sorted) as a segment; returns how many."""
    count = 0
    with store.writer(key) as fh:
        for sort_key, body in rows:
            fh.write(encode(sort_key, body))
            count += 1
    return count

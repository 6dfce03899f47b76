"""Pages go to disk as they arrive, in sorted runs; sealed runs become durable segments. Memory never holds orders.

Each shard appends its rows to its own part file in a temporary directory (Lambda's /tmp, local to the
invocation), one line each: the row's sort key (cTime, orderId, stream) then its JSON, serialised once
(`segments.encode`). A shard's pages arrive newest first, so every run is already in order. A shard *seals* its
runs at a page boundary (`PartWriter.seal`): the checkpointer merges sealed runs into a segment of the results
store (`checkpointing.py`), and the symbol's orders file is the streaming merge of its segments, newest first,
copying each row's JSON bytes as they are (no second parse). Two copies of one (stream, orderId) meet side by
side in that order and only the first is kept.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from lambda_functions.common.results_store import ResultsStore, dumps_compact
from lambda_functions.common.streams import newest_first_key
from lambda_functions.worker.segments import Row, SortKey, decode, encode


class PartWriter:
    """One shard's rows as JSON lines in temporary files, one file per sorted run.

    Bitget pages by orderId; should a page ever hold a row newer (by cTime, then orderId) than the one before
    it, the row starts a new run instead of breaking the newest-first order the merge relies on (each run is
    sorted; the k-way merge takes any number of them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.runs: list[Path] = []  # runs written since the last seal
        self._run_number = 0
        self._fh: IO[bytes] | None = None
        self._last: SortKey | None = None

    def write(self, row: dict[str, Any]) -> None:
        """Append a checked row (integer cTime and id, a stream)."""
        key: SortKey = newest_first_key(row)
        if self._fh is None or (self._last is not None and key > self._last):
            self.close()
            run = self.path.with_name(f"{self.path.name}.{self._run_number}")
            self._run_number += 1
            self.runs.append(run)
            self._fh = run.open("wb")
        self._last = key
        self._fh.write(encode(key, dumps_compact(row)))
        self.rows += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def seal(self) -> list[Path]:
        """Close the open run and hand over every run written since the last seal (closed files: the caller
        may read and delete them); the next row starts a new run."""
        self.close()
        sealed, self.runs = self.runs, []
        return sealed


def read_run(path: Path) -> Iterator[Row]:
    """(sort key, the row's JSON bytes) per row of a sealed run, in the order written (newest first)."""
    with path.open("rb") as fh:
        for line in fh:
            yield decode(line)


class PartSet:
    """The part files of one invocation, in a temporary directory removed by `cleanup`."""

    def __init__(self, root: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="bitget-worker-", dir=root)
        self._parts: list[PartWriter] = []
        self._lock = threading.Lock()

    def new(self) -> PartWriter:
        with self._lock:
            part = PartWriter(Path(self._dir.name) / f"{len(self._parts):05d}.ndjson")
            self._parts.append(part)
            return part

    def close(self) -> None:
        for part in self._parts:
            part.close()

    def cleanup(self) -> None:
        self.close()
        self._dir.cleanup()


def write_orders_file(
    rows: Iterable[Row],
    store: ResultsStore,
    key: str,
    symbol: str,
    execution: str,
    by_symbol: Counter[tuple[str, str]] | None = None,
) -> Counter[str]:
    """Write the per-symbol orders file from merged rows (`orders` last so readers can stream it); returns
    orders per stream, and counts orders per (stream, symbol) into `by_symbol` when given (account units)."""
    counts: Counter[str] = Counter()
    with store.writer(key) as fh:
        fh.write(b'{"symbol":' + dumps_compact(symbol) + b',"execution":' + dumps_compact(execution))
        fh.write(b',"orders":[')
        for index, (sort_key, body) in enumerate(rows):
            if index:
                fh.write(b",")
            fh.write(body)
            counts[sort_key[2]] += 1
            if by_symbol is not None:
                by_symbol[sort_key[2], row_symbol(body)] += 1
        fh.write(b"]}")
    return counts


_SYMBOL_FIELD = b'"symbol":"'


def row_symbol(body: bytes) -> str:
    """The `symbol` of a serialised row without parsing it (rows are flat objects: the first match is the
    top-level key; a nested JSON string would have its quotes escaped)."""
    start = body.find(_SYMBOL_FIELD)
    if start < 0:
        return ""
    start += len(_SYMBOL_FIELD)
    return body[start : body.index(b'"', start)].decode()

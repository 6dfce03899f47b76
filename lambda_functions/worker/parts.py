"""Pages go to disk as they arrive; the symbol's file is a streaming merge of them. Memory never holds orders.

Each shard appends its rows to its own part file in a temporary directory (Lambda's /tmp, local to the
invocation), one line each: the row's sort key (cTime, orderId, stream) then its JSON, serialised once. A
shard's pages arrive newest first, so every part is already in order; at the end `merge_parts` does a k-way
merge of all parts of the symbol (one line per part in memory) into the per-symbol orders file of the results
store, newest first, copying each row's JSON bytes as they are (no second parse). Two copies of one (stream,
orderId) meet side by side in that order and only the first is kept: a safety net, since shards own disjoint
time ranges.
"""

from __future__ import annotations

import heapq
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lambda_functions.common.results_store import ResultsStore, dumps_compact


class PartWriter:
    """One shard's rows as JSON lines in temporary files, one file per sorted run.

    Bitget pages by orderId; should a page ever hold a row newer (by cTime, then orderId) than the one before
    it, the row starts a new run instead of breaking the newest-first order the merge relies on (each run is
    sorted; the k-way merge takes any number of them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.runs: list[Path] = []
        self._fh: IO[bytes] | None = None
        self._last: SortKey | None = None

    def write(self, row: dict[str, Any]) -> None:
        """Append a checked row (integer cTime and orderId, a stream)."""
        key: SortKey = (int(row["cTime"]), int(row["orderId"]), str(row["stream"]))
        if self._fh is None or (self._last is not None and key > self._last):
            self.close()
            run = self.path.with_name(f"{self.path.name}.{len(self.runs)}")
            self.runs.append(run)
            self._fh = run.open("wb")
        self._last = key
        self._fh.write(f"{key[0]} {key[1]} {key[2]}\t".encode() + dumps_compact(row) + b"\n")
        self.rows += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read_runs(self) -> list[Iterator[tuple[SortKey, bytes]]]:
        """Per run, (sort key, the row's JSON bytes) per row, in the order written (newest first)."""
        return [_read_run(run) for run in self.runs]


def _read_run(path: Path) -> Iterator[tuple[SortKey, bytes]]:
    with path.open("rb") as fh:
        for line in fh:
            key, _, body = line.rstrip(b"\n").partition(b"\t")
            c_time, order_id, stream = key.decode().split(" ", 2)
            yield (int(c_time), int(order_id), stream), body


SortKey = tuple[int, int, str]  # newest_first_key's (cTime, orderId, stream)


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

    def merged(self) -> Iterator[tuple[SortKey, bytes]]:
        """Every row of every part, newest first, adjacent copies of one (stream, orderId) dropped."""
        self.close()
        streams = [run for part in self._parts for run in part.read_runs()]
        previous: SortKey | None = None
        for key, body in heapq.merge(*streams, key=lambda item: item[0], reverse=True):
            if key == previous:
                continue
            previous = key
            yield key, body


def merge_parts(parts: PartSet, store: ResultsStore, key: str, symbol: str, execution: str) -> Counter[str]:
    """Write the per-symbol orders file (`orders` last so readers can stream it); returns orders per stream."""
    counts: Counter[str] = Counter()
    with store.writer(key) as fh:
        fh.write(b'{"symbol":' + dumps_compact(symbol) + b',"execution":' + dumps_compact(execution))
        fh.write(b',"orders":[')
        for index, (sort_key, body) in enumerate(parts.merged()):
            if index:
                fh.write(b",")
            fh.write(body)
            counts[sort_key[2]] += 1
        fh.write(b"]}")
    return counts

"""Exports: every matching order as CSV, NDJSON or Parquet, streamed with bounded memory.

Rows come in keyset chunks (each chunk its own short read, so a slow client never holds a connection or a
snapshot for minutes) and leave as bytes as soon as a chunk is encoded; Parquet writes one row group per
`PARQUET_ROW_GROUP_ROWS` rows and hands the file's bytes on after each group. The column set is
`rows.EXPORT_FIELDS`: the stored columns, timestamps as ISO 8601 UTC text (Parquet: timestamp[us, UTC]), nulls
as empty fields in CSV, and `raw` as the raw Bitget JSON text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from app.services.ledger_reads.rows import EXPORT_FIELDS, INT_FIELDS, TIME_FIELDS, iso_time, parse_time

ExportFormat = Literal["csv", "ndjson", "parquet"]
CHUNK_ROWS = 2000
PARQUET_ROW_GROUP_ROWS = 10_000
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
_TIME_AT = tuple(i for i, name in enumerate(EXPORT_FIELDS) if name in TIME_FIELDS)
Rows = Sequence[Sequence[Any]]
# (position after which to read, or None for the start) -> (rows, position after the last row, or None: done)
FetchChunk = Callable[[tuple[int, int, int] | None], tuple[Rows, tuple[int, int, int] | None]]


@dataclass(frozen=True)
class Export:
    """What a route streams: the body's chunks, its media type and the file name to offer."""

    body: Iterator[bytes]
    media_type: str
    filename: str


def chunks(fetch: FetchChunk) -> Iterator[Rows]:
    """Every chunk in keyset order until a chunk says there is nothing after it."""
    position = None
    while True:
        rows, position = fetch(position)
        if rows:
            yield rows
        if position is None:
            return


def _text_row(row: Sequence[Any]) -> list[Any]:
    """The export fields of a selected row (order_id_num dropped), timestamps as ISO text."""
    values = list(row[: len(EXPORT_FIELDS)])
    for i in _TIME_AT:
        values[i] = iso_time(values[i])
    return values


def encode_csv(batches: Iterable[Rows]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for rows in batches:
        writer.writerows(_text_row(row) for row in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def encode_ndjson(batches: Iterable[Rows]) -> Iterator[bytes]:
    for rows in batches:
        yield b"".join(
            orjson.dumps(dict(zip(EXPORT_FIELDS, _text_row(row), strict=True))) + b"\n" for row in rows
        )


class _Drain:
    """A write-only file for pyarrow whose bytes are taken away after each row group."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False
        self._written = 0

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self._written += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def parquet_schema() -> Any:
    import pyarrow as pa

    def kind(name: str) -> Any:
        if name in INT_FIELDS:
            return pa.int64()
        return pa.timestamp("us", tz="UTC") if name in TIME_FIELDS else pa.string()

    return pa.schema([pa.field(name, kind(name), nullable=name != "id") for name in EXPORT_FIELDS])


def encode_parquet(batches: Iterable[Rows], row_group_rows: int = PARQUET_ROW_GROUP_ROWS) -> Iterator[bytes]:
    # pyarrow is imported here: the service starts (and pages) without paying for it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, sink = parquet_schema(), _Drain()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    # Each chunk becomes an Arrow batch at once (compact buffers, not Python objects); a row group is written
    # when enough batches are held, and its bytes leave right away.
    held: list[Any] = []
    held_rows = 0

    def write() -> bytes:
        table = pa.Table.from_batches(held, schema=schema)
        writer.write_table(table, row_group_size=held_rows)
        held.clear()
        return sink.take()

    for rows in batches:
        columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=False)][: len(EXPORT_FIELDS)]
        for i in _TIME_AT:
            columns[i] = [parse_time(value) for value in columns[i]]
        held.append(pa.RecordBatch.from_arrays(columns, schema=schema))
        held_rows += len(rows)
        if held_rows >= row_group_rows:
            yield write()
            held_rows = 0
    if held:
        yield write()
    writer.close()
    yield sink.take()


ENCODERS: dict[str, Callable[[Iterable[Rows]], Iterator[bytes]]] = {
    "csv": encode_csv,
    "ndjson": encode_ndjson,
    "parquet": encode_parquet,
}


def export(fetch: FetchChunk, fmt: ExportFormat, filename_stem: str) -> Export:
    """The streamed export of every row `fetch` gives, in `fmt`."""
    return Export(ENCODERS[fmt](chunks(fetch)), MEDIA_TYPES[fmt], f"{filename_stem}.{fmt}")

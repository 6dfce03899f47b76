"""Exports: every matching order as CSV, NDJSON or Parquet, streamed with bounded memory.

Rows come in keyset chunks (each chunk its own short read, so a slow client never holds a connection or a
snapshot for minutes) and leave as bytes as soon as a chunk is encoded; Parquet writes one row group per
`PARQUET_ROW_GROUP_ROWS` rows and hands the file's bytes on after each group. The column set is
`rows.EXPORT_FIELDS` for orders (`rows.FILL_EXPORT_FIELDS` for fills): the stored columns, timestamps as ISO 8601
UTC text (Parquet: timestamp[us, UTC]), nulls as empty fields in CSV, and `raw` as the raw Bitget JSON text.
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


def _time_at(fields: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, name in enumerate(fields) if name in TIME_FIELDS)


def _text_row(row: Sequence[Any], fields: tuple[str, ...], time_at: tuple[int, ...]) -> list[Any]:
    """The export fields of a selected row (the keyset tie-breaker dropped), timestamps as ISO text."""
    values = list(row[: len(fields)])
    for i in time_at:
        values[i] = iso_time(values[i])
    return values


def encode_csv(batches: Iterable[Rows], fields: tuple[str, ...] = EXPORT_FIELDS) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    time_at = _time_at(fields)
    for rows in batches:
        writer.writerows(_text_row(row, fields, time_at) for row in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def encode_ndjson(batches: Iterable[Rows], fields: tuple[str, ...] = EXPORT_FIELDS) -> Iterator[bytes]:
    time_at = _time_at(fields)
    for rows in batches:
        yield b"".join(
            orjson.dumps(dict(zip(fields, _text_row(row, fields, time_at), strict=True))) + b"\n"
            for row in rows
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


def parquet_schema(fields: tuple[str, ...] = EXPORT_FIELDS) -> Any:
    import pyarrow as pa

    def kind(name: str) -> Any:
        if name in INT_FIELDS:
            return pa.int64()
        return pa.timestamp("us", tz="UTC") if name in TIME_FIELDS else pa.string()

    return pa.schema([pa.field(name, kind(name), nullable=name != "id") for name in fields])


def encode_parquet(
    batches: Iterable[Rows],
    fields: tuple[str, ...] = EXPORT_FIELDS,
    row_group_rows: int | None = None,
) -> Iterator[bytes]:
    # pyarrow is imported here: the service starts (and pages) without paying for it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    row_group_rows = row_group_rows or PARQUET_ROW_GROUP_ROWS
    schema, sink = parquet_schema(fields), _Drain()
    time_at = _time_at(fields)
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
        columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=False)][: len(fields)]
        for i in time_at:
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


ENCODERS: dict[str, Callable[[Iterable[Rows], tuple[str, ...]], Iterator[bytes]]] = {
    "csv": encode_csv,
    "ndjson": encode_ndjson,
    "parquet": encode_parquet,
}


def export(
    fetch: FetchChunk, fmt: ExportFormat, filename_stem: str, fields: tuple[str, ...] = EXPORT_FIELDS
) -> Export:
    """The streamed export of every row `fetch` gives (selected with `fields`, then the tie-breaker), in `fmt`."""
    return Export(ENCODERS[fmt](chunks(fetch), fields), MEDIA_TYPES[fmt], f"{filename_stem}.{fmt}")

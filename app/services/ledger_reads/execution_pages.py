"""GET /orders/{arn}/database: an execution's orders newest first, read through its links.

The execution's record is read once per page (a few light columns); its links give the page (offset or keyset),
the ledger the rows. The answer is built as bytes (orjson) for the fast path, or as the dicts of
`OrderQueries.query_orders` (raw parsed) for callers that want objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from app.schemas.orders import ExecutionInfo, Pagination
from app.services.ledger_reads.cursors import KeysetRows, Position, decode_cursor
from app.services.ledger_reads.exports import CHUNK_ROWS, Export, ExportFormat, export
from app.services.ledger_reads.page_sql import (
    ORDERS,
    Dialect,
    PageSource,
    after_params,
    execution_count_sql,
    execution_page_sql,
)
from app.services.ledger_reads.reader import Reader, Reading
from app.services.ledger_reads.rows import iso_time, page_dict, page_row, parse_time


@dataclass(frozen=True)
class ExecutionRecord:
    """The columns of `execution_results` a page shows or its total depends on."""

    id: int
    execution_arn: str
    execution_name: str | None
    status: str
    total_orders: int | None
    total_symbols: int | None
    symbols: str | None
    s3_uri: str | None
    created_at: datetime | None
    hydration_state: str
    complete: bool | None
    incomplete_streams: str | None
    incomplete_streams_count: int | None
    rows_rejected: int | None
    orders_saved: int
    updated_at: datetime | None

    @property
    def stamp(self) -> tuple[Any, ...]:
        """Changes whenever the execution's links may have changed (every hydration step updates the row)."""
        return (self.hydration_state, self.orders_saved, self.updated_at)

    def info(self) -> dict[str, Any]:
        """`execution_info` of a page (ExecutionInfo's fields)."""
        return {
            "status": self.status or "UNKNOWN",
            "total_orders": self.total_orders,
            "total_symbols": self.total_symbols,
            "symbols": json.loads(self.symbols) if self.symbols else [],
            "s3_uri": self.s3_uri,
            "created_at": iso_time(self.created_at),
            "hydration_state": self.hydration_state,
            "complete": self.complete,
            "incomplete_streams": json.loads(self.incomplete_streams) if self.incomplete_streams else [],
            "incomplete_streams_count": self.incomplete_streams_count,
            "rows_rejected": self.rows_rejected,
        }


_RECORD_FIELDS = tuple(ExecutionRecord.__dataclass_fields__)


@lru_cache(maxsize=4)
def _record_sql(dialect: Dialect) -> str:
    columns = ", ".join(_RECORD_FIELDS)
    return f"SELECT {columns} FROM execution_results WHERE execution_arn = {dialect.mark}"  # noqa: S608


def read_execution(reader: Reader, execution_arn: str) -> ExecutionRecord | None:
    """The execution's record (one indexed row), or None when the database does not know it."""
    rows = reader.rows(_record_sql(reader.dialect), (execution_arn,))
    if not rows:
        return None
    values = dict(zip(_RECORD_FIELDS, rows[0], strict=True))
    values["complete"] = None if values["complete"] is None else bool(values["complete"])  # SQLite: 0/1
    values["created_at"] = parse_time(values["created_at"])
    values["updated_at"] = parse_time(values["updated_at"])
    return ExecutionRecord(**values)


@dataclass(frozen=True)
class PageQuery:
    """One page's request: filters, position (offset and/or keyset cursor), size, and whether raw is shown."""

    skip: int = 0
    limit: int = 10
    cursor: str | None = None
    symbol: str | None = None
    stream: str | None = None
    include_raw: bool = True

    def __post_init__(self) -> None:
        if self.skip < 0 or self.limit < 1:
            raise ValueError("skip must be >= 0 and limit >= 1")


def execution_rows(
    reader: Reader,
    execution_id: int,
    fields: tuple[str, ...],
    *,
    symbol: str | None,
    stream: str | None,
    after: Position | None,
    limit: int,
    skip: int = 0,
    source: PageSource = ORDERS,
) -> KeysetRows:
    """Up to `limit` of the execution's orders (or fills) after `after` and `skip` more, one more asked than
    shown to know whether another page exists."""
    params: list[Any] = [execution_id]
    params += [value for value in (symbol, stream) if value is not None]
    if after is not None:
        params += after_params(after)
    params.append(limit + 1)
    if skip:
        params.append(skip)
    sql = execution_page_sql(
        reader.dialect,
        fields,
        symbol=symbol is not None,
        stream=stream is not None,
        after=after is not None,
        offset=bool(skip),
        source=source,
    )
    return KeysetRows.of(reader.rows(sql, params), fields, limit)


def execution_page_rows(
    reader: Reader,
    execution_id: int,
    query: PageQuery,
    fields: tuple[str, ...],
) -> KeysetRows:
    """The page's rows (its cursor is the three numbers, unbound)."""
    after = decode_cursor(query.cursor) if query.cursor is not None else None
    return execution_rows(
        reader,
        execution_id,
        fields,
        symbol=query.symbol,
        stream=query.stream,
        after=after,
        limit=query.limit,
        skip=query.skip,
    )


def execution_total(
    reader: Reader, execution_id: int, symbol: str | None, stream: str | None, source: PageSource = ORDERS
) -> int:
    """The execution's orders (or fills) matching the filters: its links counted (a page's `total`)."""
    sql = execution_count_sql(
        reader.dialect, symbol=symbol is not None, stream=stream is not None, source=source
    )
    params = tuple(v for v in (execution_id, symbol, stream) if v is not None)
    return int(reader.scalar(sql, params))


def execution_export(
    reading: Reading,
    record: ExecutionRecord,
    fmt: ExportFormat,
    *,
    symbol: str | None,
    stream: str | None,
    source: PageSource = ORDERS,
) -> Export:
    """Every order (or fill) the execution saw, optionally of one symbol/stream, streamed in `fmt`; each chunk
    is a read of its own."""

    def fetch(position: Position | None) -> tuple[Any, Position | None]:
        with reading() as reader:
            rows = execution_rows(
                reader,
                record.id,
                source.export_fields,
                symbol=symbol,
                stream=stream,
                after=position,
                limit=CHUNK_ROWS,
                source=source,
            )
        return rows.rows, rows.next_key

    name = f"{source.records}-{record.execution_name or record.id}"
    return export(fetch, fmt, name, source.export_fields)


def pagination(query: PageQuery, page: KeysetRows, total: int) -> dict[str, Any]:
    return {
        "skip": query.skip,
        "limit": query.limit,
        "total_orders": total,
        "returned_count": len(page.rows),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor(),
    }


def page_json(
    execution_arn: str, record: ExecutionRecord, query: PageQuery, page: KeysetRows, total: int
) -> bytes:
    """The whole answer of GET /orders/{arn}/database as JSON bytes (OrdersPageResponse's shape)."""
    info = ExecutionInfo.model_validate(record.info()).model_dump(mode="json")
    return orjson.dumps(
        {
            "execution_arn": execution_arn,
            "execution_info": info,
            "orders": [page_row(row, query.include_raw) for row in page.rows],
            "pagination": Pagination.model_validate(pagination(query, page, total)).model_dump(mode="json"),
        }
    )


def page_dicts(page: KeysetRows, include_raw: bool) -> list[dict[str, Any]]:
    """The page's order objects as Python values, `raw` parsed (for callers that want objects)."""
    return [page_dict(row, include_raw) for row in page.rows]

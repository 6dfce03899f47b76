"""DatabaseService's read side of the fills: an account's fills (GET /accounts/{id}/fills), an execution's
(GET /orders/{arn}/fills), their exports, and an execution's fill count. The SQL and paging live in
`ledger_reads/fill_sql.py` and `ledger_reads/fill_pages.py`; this part opens the connection and resolves the
execution or account.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import Any

import orjson

from app.orchestration.base import ExecutionNotFoundError
from app.services.db_values import UsesSessions
from app.services.ledger_reads import summaries
from app.services.ledger_reads.execution_pages import ExecutionRecord, read_execution
from app.services.ledger_reads.exports import CHUNK_ROWS, Export, ExportFormat, export
from app.services.ledger_reads.fill_pages import (
    ExecutionFillFilters,
    FillFilters,
    KeysetRows,
    Position,
    account_fill_rows,
    account_position,
    execution_fill_rows,
    execution_position,
)
from app.services.ledger_reads.fill_sql import execution_fills_count_sql
from app.services.ledger_reads.reader import Reader
from app.services.ledger_reads.rows import FILL_EXPORT_FIELDS, page_fields, page_row
from app.services.ledger_reads.totals import StampedCache


def _pagination(limit: int, page: KeysetRows, fingerprint: str) -> dict[str, Any]:
    return {
        "limit": limit,
        "returned_count": len(page.rows),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor(fingerprint),
    }


class FillQueries(UsesSessions):
    """DatabaseService's fill query part; OrderQueries provides `_reading`."""

    _fill_totals_cache: StampedCache[int] | None = None

    def _reading(self) -> AbstractContextManager[Reader]:
        raise NotImplementedError

    @property
    def fill_totals(self) -> StampedCache[int]:
        if self._fill_totals_cache is None:
            self._fill_totals_cache = StampedCache()
        return self._fill_totals_cache

    def _execution(self, reader: Reader, execution_arn: str) -> ExecutionRecord:
        record = read_execution(reader, execution_arn)
        if record is None:
            raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
        return record

    def _fill_total(self, reader: Reader, record: ExecutionRecord, filters: ExecutionFillFilters) -> int:
        """The execution's fills matching the filters: counted over its links, kept once it is saved (while
        it saves, each chunk changes the count without changing the record's stamp)."""
        symbol, stream = filters.symbol is not None, filters.stream is not None
        sql = execution_fills_count_sql(reader.dialect, symbol=symbol, stream=stream)
        params = tuple(v for v in (record.id, filters.symbol, filters.stream) if v is not None)

        def count() -> int:
            return int(reader.scalar(sql, params))

        if record.hydration_state != "saved":
            return count()
        key = (record.id, record.execution_arn, filters.symbol, filters.stream)
        return self.fill_totals.get(key, record.stamp, count)

    def count_fills(self, execution_arn: str) -> int:
        """The fills stored for one execution (its links to the fills ledger); 0 for an unknown execution."""
        with self._reading() as reader:
            record = read_execution(reader, execution_arn)
            if record is None:
                return 0
            return int(
                reader.scalar(
                    execution_fills_count_sql(reader.dialect, symbol=False, stream=False), (record.id,)
                )
            )

    def account_fills_json(
        self, filters: FillFilters, *, limit: int, cursor: str | None, include_raw: bool
    ) -> bytes:
        """GET /accounts/{id}/fills's answer as JSON bytes (InvalidCursorError, AccountNotFoundError)."""
        position = account_position(filters, cursor)
        with self._reading() as reader:
            page = account_fill_rows(reader, filters, page_fields(include_raw), limit, position)
            if (
                not page.rows
                and position is None
                and not summaries.account_known(reader.connection, filters.account_id)
            ):
                raise summaries.AccountNotFoundError(filters.account_id)
        return orjson.dumps(
            {
                "account_id": filters.account_id,
                "filters": filters.shown(),
                "fills": [page_row(row, include_raw) for row in page.rows],
                "pagination": _pagination(limit, page, filters.fingerprint),
            }
        )

    def execution_fills_json(
        self, filters: ExecutionFillFilters, *, limit: int, cursor: str | None, include_raw: bool
    ) -> bytes:
        """GET /orders/{arn}/fills's answer as JSON bytes (ExecutionNotFoundError, InvalidCursorError)."""
        position = execution_position(filters, cursor)
        with self._reading() as reader:
            record = self._execution(reader, filters.execution_arn)
            page = execution_fill_rows(reader, record.id, filters, page_fields(include_raw), limit, position)
            total = self._fill_total(reader, record, filters)
        return orjson.dumps(
            {
                "execution_arn": filters.execution_arn,
                "hydration_state": record.hydration_state,
                "filters": filters.shown(),
                "total": total,
                "fills": [page_row(row, include_raw) for row in page.rows],
                "pagination": _pagination(limit, page, filters.fingerprint),
            }
        )

    def export_account_fills(self, filters: FillFilters, fmt: ExportFormat) -> Export:
        """Every fill of the account matching `filters`, streamed in `fmt` (AccountNotFoundError first)."""
        with self._reading() as reader:
            if not summaries.account_known(reader.connection, filters.account_id):
                raise summaries.AccountNotFoundError(filters.account_id)

        def fetch(position: Position | None) -> tuple[Any, Position | None]:
            with self._reading() as reader:
                rows = account_fill_rows(reader, filters, FILL_EXPORT_FIELDS, CHUNK_ROWS, position)
            return rows.rows, rows.next_key

        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        return export(fetch, fmt, f"fills-{filters.account_id}-{stamp}", FILL_EXPORT_FIELDS)

    def export_execution_fills(self, filters: ExecutionFillFilters, fmt: ExportFormat) -> Export:
        """Every fill the execution saw (optionally one symbol/stream), streamed in `fmt`."""
        with self._reading() as reader:
            record = self._execution(reader, filters.execution_arn)

        def fetch(position: Position | None) -> tuple[Any, Position | None]:
            with self._reading() as reader:
                rows = execution_fill_rows(
                    reader, record.id, filters, FILL_EXPORT_FIELDS, CHUNK_ROWS, position
                )
            return rows.rows, rows.next_key

        return export(fetch, fmt, f"fills-{record.execution_name or record.id}", FILL_EXPORT_FIELDS)

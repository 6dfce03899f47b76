"""The database's read side of the fills: an account's fills (GET /accounts/{id}/fills), an execution's
(GET /orders/{arn}/fills), their exports, and an execution's fill count. They are read as orders are
(`ledger_reads/`: the same pages and exports on the fills' tables, `fill_sql.FILLS`); this part opens the
connection, resolves the execution or account, and keeps the fill totals' cache.
"""

from __future__ import annotations

import orjson

from app.services.ledger_reads.account_pages import account_export, account_page_json
from app.services.ledger_reads.execution_pages import (
    ExecutionRecord,
    execution_export,
    execution_total,
    read_execution,
)
from app.services.ledger_reads.exports import Export, ExportFormat
from app.services.ledger_reads.fill_pages import ExecutionFillFilters, FillFilters, execution_fill_rows
from app.services.ledger_reads.fill_sql import FILLS
from app.services.ledger_reads.reader import Reader, Reading
from app.services.ledger_reads.rows import page_fields, page_row
from app.services.ledger_reads.totals import StampedCache
from app.services.order_queries import known_execution


class FillQueries:
    """Reads of the ledger's fills, each on a connection of its own from `reading`."""

    def __init__(self, reading: Reading) -> None:
        self._reading = reading
        self.fill_totals: StampedCache[int] = StampedCache()

    def _fill_total(self, reader: Reader, record: ExecutionRecord, filters: ExecutionFillFilters) -> int:
        """The execution's fills matching the filters: counted over its links, kept once it is saved (while
        it saves, each chunk changes the count without changing the record's stamp)."""

        def count() -> int:
            return execution_total(reader, record.id, filters.symbol, filters.stream, FILLS)

        if record.hydration_state != "saved":
            return count()
        key = (record.id, record.execution_arn, filters.symbol, filters.stream)
        return self.fill_totals.get(key, record.stamp, count)

    def count_fills(self, execution_arn: str) -> int:
        """The fills stored for one execution (its links to the fills ledger); 0 for an unknown execution."""
        with self._reading() as reader:
            record = read_execution(reader, execution_arn)
            return 0 if record is None else execution_total(reader, record.id, None, None, FILLS)

    def account_fills_json(
        self, filters: FillFilters, *, limit: int, cursor: str | None, include_raw: bool
    ) -> bytes:
        """GET /accounts/{id}/fills's answer as JSON bytes (InvalidCursorError, AccountNotFoundError)."""
        return account_page_json(self._reading, filters, limit=limit, cursor=cursor, include_raw=include_raw)

    def execution_fills_json(
        self, filters: ExecutionFillFilters, *, limit: int, cursor: str | None, include_raw: bool
    ) -> bytes:
        """GET /orders/{arn}/fills's answer as JSON bytes (ExecutionNotFoundError, InvalidCursorError)."""
        position = filters.position(cursor)
        with self._reading() as reader:
            record = known_execution(reader, filters.execution_arn)
            page = execution_fill_rows(reader, record.id, filters, page_fields(include_raw), limit, position)
            total = self._fill_total(reader, record, filters)
        return orjson.dumps(
            {
                "execution_arn": filters.execution_arn,
                "hydration_state": record.hydration_state,
                "filters": filters.shown(),
                "total": total,
                "fills": [page_row(row, include_raw) for row in page.rows],
                "pagination": page.pagination(limit, filters.fingerprint),
            }
        )

    def export_account_fills(self, filters: FillFilters, fmt: ExportFormat) -> Export:
        """Every fill of the account matching `filters`, streamed in `fmt` (AccountNotFoundError first)."""
        return account_export(self._reading, filters, fmt)

    def export_execution_fills(self, filters: ExecutionFillFilters, fmt: ExportFormat) -> Export:
        """Every fill the execution saw (optionally one symbol/stream), streamed in `fmt`."""
        with self._reading() as reader:
            record = known_execution(reader, filters.execution_arn)
        symbol, stream = filters.symbol, filters.stream
        return execution_export(self._reading, record, fmt, symbol=symbol, stream=stream, source=FILLS)

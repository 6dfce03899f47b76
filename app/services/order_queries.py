"""The database's read side of the ledger's orders: an execution's pages (GET /orders/{arn}/database), an
account's pages, summaries and the exports. The queries and encoders live in `ledger_reads/`; this part opens
the connection, resolves the execution or account, and keeps the caches of execution totals and account stats.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.models.database import ExecutionOrder, ExecutionResult
from app.orchestration.base import ExecutionNotFoundError
from app.schemas.accounts import AccountList, AccountSummary
from app.services.execution_records import FINISHED_STATUSES
from app.services.ledger_reads import summaries
from app.services.ledger_reads.account_pages import AccountFilters, account_export, account_page_json
from app.services.ledger_reads.cursors import decode_cursor
from app.services.ledger_reads.execution_pages import (
    ExecutionRecord,
    PageQuery,
    execution_export,
    execution_page_rows,
    execution_total,
    page_dicts,
    page_json,
    read_execution,
)
from app.services.ledger_reads.exports import Export, ExportFormat
from app.services.ledger_reads.reader import Reader, Reading
from app.services.ledger_reads.rows import page_fields
from app.services.ledger_reads.totals import StampedCache


def known_execution(reader: Reader, execution_arn: str) -> ExecutionRecord:
    """The execution's record; ExecutionNotFoundError when the database does not know it."""
    record = read_execution(reader, execution_arn)
    if record is None:
        raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
    return record


@dataclass
class OrdersPage:
    orders: list[dict[str, Any]]
    total: int
    skip: int
    limit: int
    returned_count: int
    has_more: bool
    next_cursor: str | None


class OrderQueries:
    """Reads of the ledger's orders, each on a connection of its own from `reading`."""

    def __init__(self, reading: Reading) -> None:
        self._reading = reading
        self.execution_totals: StampedCache[int] = StampedCache()
        self.account_stats: StampedCache[tuple[summaries.Stats, summaries.Stats]] = StampedCache(
            max_entries=256
        )

    def _stats(self, reader: Reader, account_id: str | None) -> tuple[summaries.Stats, summaries.Stats]:
        """Per-stream counts of one account's (or all accounts') orders and fills, recounted only when the
        ledger may have changed."""
        stamp = summaries.ledger_stamp(reader.connection)

        def count() -> tuple[summaries.Stats, summaries.Stats]:
            connection = reader.connection
            return summaries.stream_stats(connection, account_id), summaries.stream_stats(
                connection, account_id, fills=True
            )

        return self.account_stats.get(account_id, stamp, count)

    def count_orders(self, execution_arn: str) -> int:
        """The orders stored for one execution: its links to the ledger."""
        execution_id = select(ExecutionResult.id).where(ExecutionResult.execution_arn == execution_arn)
        query = (
            select(func.count())
            .select_from(ExecutionOrder)
            .where(ExecutionOrder.execution_id == execution_id.scalar_subquery())
        )
        with self._reading() as reader:
            return reader.connection.scalar(query) or 0

    # ---- one execution ----------------------------------------------------------------------------------

    def _total(self, reader: Reader, record: ExecutionRecord, query: PageQuery) -> int:
        """Matching orders: a saved execution's unfiltered total is known; others are counted once per stamp."""
        if query.symbol is None and query.stream is None and record.hydration_state == "saved":
            return record.orders_saved
        key = (record.id, record.execution_arn, query.symbol, query.stream)
        return self.execution_totals.get(
            key, record.stamp, lambda: execution_total(reader, record.id, query.symbol, query.stream)
        )

    def query_orders(
        self,
        execution_arn: str,
        *,
        skip: int = 0,
        limit: int = 10,
        cursor: str | None = None,
        symbol: str | None = None,
        stream: str | None = None,
        include_raw: bool = True,
    ) -> OrdersPage:
        """A page of an execution's orders newest first (raw parsed); `cursor` continues after a previous page
        (skip applies after it). An unknown execution has no orders."""
        query = PageQuery(skip, limit, cursor, symbol, stream, include_raw)
        with self._reading() as reader:
            record = read_execution(reader, execution_arn)
            if record is None:
                decode_cursor(cursor) if cursor is not None else None  # a bad cursor is still refused
                return OrdersPage([], 0, skip, limit, 0, False, None)
            page = execution_page_rows(reader, record.id, query, page_fields(include_raw))
            total = self._total(reader, record, query)
        orders = page_dicts(page, include_raw)
        return OrdersPage(orders, total, skip, limit, len(orders), page.has_more, page.next_cursor())

    def orders_page_json(
        self, execution_arn: str, query: PageQuery, refresh: Callable[[str], object] | None = None
    ) -> bytes:
        """GET /orders/{arn}/database's answer as JSON bytes. `refresh` records the orchestrator's status of an
        execution the database has as unfinished, before the page is read (ExecutionNotFoundError: unknown)."""
        with self._reading() as reader:
            record = read_execution(reader, execution_arn)
            if record is not None and refresh is not None and record.status not in FINISHED_STATUSES:
                reader.end_snapshot()  # the refresh writes in its own transaction: read what it wrote
                refresh(execution_arn)
                record = read_execution(reader, execution_arn)
            if record is None:
                raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
            page = execution_page_rows(reader, record.id, query, page_fields(query.include_raw))
            total = self._total(reader, record, query)
        return page_json(execution_arn, record, query, page, total)

    def export_execution(
        self, execution_arn: str, fmt: ExportFormat, *, symbol: str | None = None, stream: str | None = None
    ) -> Export:
        """Every order of the execution (optionally one symbol/stream) streamed in `fmt`."""
        with self._reading() as reader:
            record = known_execution(reader, execution_arn)
        return execution_export(self._reading, record, fmt, symbol=symbol, stream=stream)

    # ---- accounts ---------------------------------------------------------------------------------------

    def list_accounts(self) -> AccountList:
        with self._reading() as reader:
            return summaries.list_accounts(reader.connection, *self._stats(reader, None))

    def account_summary(self, account_id: str, now_ms: int | None = None) -> AccountSummary:
        """The account's summary (AccountNotFoundError when nothing of it is stored); gaps up to `now_ms`."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        with self._reading() as reader:
            stats, fills = self._stats(reader, account_id)
            return summaries.account_summary(reader.connection, account_id, now, stats, fills)

    def account_orders_json(
        self, filters: AccountFilters, *, limit: int, cursor: str | None, include_raw: bool
    ) -> bytes:
        """GET /accounts/{id}/orders's answer as JSON bytes (InvalidCursorError, AccountNotFoundError)."""
        return account_page_json(self._reading, filters, limit=limit, cursor=cursor, include_raw=include_raw)

    def export_account(self, filters: AccountFilters, fmt: ExportFormat) -> Export:
        """Every order of the account matching `filters`, streamed in `fmt` (AccountNotFoundError first)."""
        return account_export(self._reading, filters, fmt)

"""GET /accounts/{id}/fills and GET /orders/{arn}/fills: fills newest first, by keyset only.

An account's page is a range scan of the ledger's (account, [order_id|symbol|stream], c_time, trade_id_num, id)
index bounded by the c_time window (side is checked on the rows read); an execution's page reads its links'
index, then the ledger rows by primary key. Cursors are bound to the filters (and the execution) they were
issued for, so a cursor passed with other filters is refused instead of skipping or repeating fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

from app.services.ledger_reads.account_pages import InvalidFiltersError
from app.services.ledger_reads.cursors import decode_bound_cursor, encode_bound_cursor, filters_fingerprint
from app.services.ledger_reads.fill_sql import FillShape, account_fills_sql, execution_fills_sql
from app.services.ledger_reads.page_sql import after_params
from app.services.ledger_reads.reader import Reader
from app.services.ledger_reads.rows import key_reader

Position = tuple[int, int, int]
ACCOUNT_FILTER_NAMES = "symbol, stream, order_id, start_ms, end_ms and side"
EXECUTION_FILTER_NAMES = "symbol and stream"


@dataclass(frozen=True)
class FillFilters:
    """What an account's fill page or export selects: c_time in [start_ms, end_ms), the other fields equal."""

    account_id: str
    symbol: str | None = None
    stream: str | None = None
    order_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    side: str | None = None

    def __post_init__(self) -> None:
        if self.start_ms is not None and self.end_ms is not None and self.start_ms >= self.end_ms:
            raise InvalidFiltersError(
                f"start_ms ({self.start_ms}) must be before end_ms ({self.end_ms}): the window is "
                "[start_ms, end_ms) on the fills' time (c_time)"
            )

    @property
    def fingerprint(self) -> str:
        return filters_fingerprint(("fills", *astuple(self)))

    def shown(self) -> dict[str, Any]:
        """The filters as a page echoes them."""
        return {
            name: getattr(self, name)
            for name in ("symbol", "stream", "order_id", "start_ms", "end_ms", "side")
        }

    def shape(self, after: bool) -> FillShape:
        return FillShape(
            symbol=self.symbol is not None,
            stream=self.stream is not None,
            order_id=self.order_id is not None,
            start=self.start_ms is not None,
            end=self.end_ms is not None,
            side=self.side is not None,
            after=after,
        )

    def params(self) -> list[Any]:
        """The filter values in the order account_fills_sql expects them."""
        values = (self.symbol, self.stream, self.order_id, self.start_ms, self.end_ms, self.side)
        return [self.account_id, *(value for value in values if value is not None)]


@dataclass(frozen=True)
class ExecutionFillFilters:
    """What an execution's fill page or export selects."""

    execution_arn: str
    symbol: str | None = None
    stream: str | None = None

    @property
    def fingerprint(self) -> str:
        return filters_fingerprint(("execution_fills", *astuple(self)))

    def shown(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "stream": self.stream}


@dataclass(frozen=True)
class KeysetRows:
    rows: Sequence[Sequence[Any]]  # selected tuples, trade_id_num last
    has_more: bool
    next_key: Position | None  # the last row's position when another page exists

    def next_cursor(self, fingerprint: str) -> str | None:
        return encode_bound_cursor(self.next_key, fingerprint) if self.next_key else None


def _page(reader: Reader, sql: str, params: list[Any], fields: tuple[str, ...], limit: int) -> KeysetRows:
    rows = reader.rows(sql, params)
    page, has_more = rows[:limit], len(rows) > limit
    return KeysetRows(page, has_more, key_reader(fields)(page[-1]) if has_more and page else None)


def account_fill_rows(
    reader: Reader, filters: FillFilters, fields: tuple[str, ...], limit: int, after: Position | None = None
) -> KeysetRows:
    """Up to `limit` of the account's fills after `after` (None: from the newest), and whether more exist."""
    params = filters.params()
    if after is not None:
        params += after_params(after)
    params.append(limit + 1)
    sql = account_fills_sql(reader.dialect, fields, filters.shape(after is not None))
    return _page(reader, sql, params, fields, limit)


def execution_fill_rows(
    reader: Reader,
    execution_id: int,
    filters: ExecutionFillFilters,
    fields: tuple[str, ...],
    limit: int,
    after: Position | None = None,
) -> KeysetRows:
    """Up to `limit` of the execution's fills after `after`, and whether more exist."""
    params: list[Any] = [execution_id, *(v for v in (filters.symbol, filters.stream) if v is not None)]
    if after is not None:
        params += after_params(after)
    params.append(limit + 1)
    symbol, stream = filters.symbol is not None, filters.stream is not None
    sql = execution_fills_sql(reader.dialect, fields, symbol=symbol, stream=stream, after=after is not None)
    return _page(reader, sql, params, fields, limit)


def account_position(filters: FillFilters, cursor: str | None) -> Position | None:
    """The keyset position of an account fill page's cursor (InvalidCursorError: malformed or other filters)."""
    if cursor is None:
        return None
    return decode_bound_cursor(cursor, filters.fingerprint, ACCOUNT_FILTER_NAMES)


def execution_position(filters: ExecutionFillFilters, cursor: str | None) -> Position | None:
    """The keyset position of an execution fill page's cursor."""
    if cursor is None:
        return None
    return decode_bound_cursor(cursor, filters.fingerprint, EXECUTION_FILTER_NAMES)

"""GET /accounts/{id}/orders (and /fills): an account's distinct records newest first, by keyset only.

The filters that pick an index (symbol, else stream; fills: order_id first) and the c_time window bound a range
scan of the ledger's (account, [filter], c_time, tie-breaker, id) index, so a page costs the same at any depth;
side and status are checked on the rows the scan reads (a rare value makes the scan read further to fill a
page). Cursors are bound to the filters they were issued for, so a cursor passed with other filters is refused
instead of skipping or repeating records.
"""

from __future__ import annotations

import time
from dataclasses import astuple, dataclass, fields
from typing import Any, ClassVar

import orjson

from app.services.ledger_reads import summaries
from app.services.ledger_reads.cursors import KeysetRows, Position, decode_bound_cursor, filters_fingerprint
from app.services.ledger_reads.exports import CHUNK_ROWS, Export, ExportFormat, export
from app.services.ledger_reads.page_sql import (
    ORDERS,
    AccountShape,
    PageSource,
    account_page_sql,
    after_params,
)
from app.services.ledger_reads.reader import Reader, Reading
from app.services.ledger_reads.rows import page_fields, page_row

_NAMES: dict[type, tuple[str, ...]] = {}


class InvalidFiltersError(ValueError):
    """A combination of filters no record can match as asked (e.g. start_ms not before end_ms)."""


@dataclass(frozen=True)
class LedgerFilters:
    """What an account's page or export selects: c_time in [start_ms, end_ms), the other fields equal.

    A kind of record declares its filters as fields after `account_id`, in the order its SQL tests them
    (AccountFilters for orders, fill_pages.FillFilters for fills); shape, parameters, echo and cursor binding
    follow from them.
    """

    SOURCE: ClassVar[PageSource] = ORDERS
    TIME: ClassVar[str] = "the orders' creation time"  # what c_time is, for the window's message
    CURSOR_TAG: ClassVar[tuple[str, ...]] = ()  # fingerprinted with the filters (kinds' cursors never mix)

    account_id: str

    def __post_init__(self) -> None:
        start, end = getattr(self, "start_ms", None), getattr(self, "end_ms", None)
        if start is not None and end is not None and start >= end:
            raise InvalidFiltersError(
                f"start_ms ({start}) must be before end_ms ({end}): the window is [start_ms, end_ms) on "
                f"{self.TIME} (c_time)"
            )

    @property
    def names(self) -> tuple[str, ...]:
        """The filters' names, in their SQL's order (read from the fields once per kind)."""
        kind = type(self)
        if kind not in _NAMES:
            _NAMES[kind] = tuple(field.name for field in fields(self)[1:])
        return _NAMES[kind]

    @property
    def fingerprint(self) -> str:
        return filters_fingerprint((*self.CURSOR_TAG, *astuple(self)))

    def shown(self) -> dict[str, Any]:
        """The filters as a page echoes them."""
        return {name: getattr(self, name) for name in self.names}

    def shape(self, after: bool) -> AccountShape:
        return AccountShape(tuple(name for name in self.names if getattr(self, name) is not None), after)

    def params(self) -> list[Any]:
        """The filter values in the order account_page_sql expects them."""
        values = (getattr(self, name) for name in self.names)
        return [self.account_id, *(value for value in values if value is not None)]

    def position(self, cursor: str | None) -> Position | None:
        """The keyset position of a page's cursor (InvalidCursorError: malformed, or issued for other
        filters)."""
        if cursor is None:
            return None
        *first, last = self.names
        return decode_bound_cursor(cursor, self.fingerprint, f"{', '.join(first)} and {last}")


@dataclass(frozen=True)
class AccountFilters(LedgerFilters):
    """An account's orders: by symbol, stream, creation time, side and status."""

    symbol: str | None = None
    stream: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    side: str | None = None
    status: str | None = None


def account_rows(
    reader: Reader, filters: LedgerFilters, fields: tuple[str, ...], limit: int, after: Position | None = None
) -> KeysetRows:
    """Up to `limit` rows after `after` (None: from the newest), and whether more exist."""
    params = filters.params()
    if after is not None:
        params += after_params(after)
    params.append(limit + 1)
    sql = account_page_sql(reader.dialect, fields, filters.shape(after is not None), filters.SOURCE)
    return KeysetRows.of(reader.rows(sql, params), fields, limit)


def account_page_json(
    reading: Reading,
    filters: LedgerFilters,
    *,
    limit: int,
    cursor: str | None,
    include_raw: bool,
) -> bytes:
    """GET /accounts/{id}/orders's (or /fills') answer as JSON bytes (InvalidCursorError, AccountNotFoundError)."""
    position = filters.position(cursor)
    with reading() as reader:
        page = account_rows(reader, filters, page_fields(include_raw), limit, position)
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
            filters.SOURCE.records: [page_row(row, include_raw) for row in page.rows],
            "pagination": page.pagination(limit, filters.fingerprint),
        }
    )


def account_export(reading: Reading, filters: LedgerFilters, fmt: ExportFormat) -> Export:
    """Every record of the account matching `filters`, streamed in `fmt` (AccountNotFoundError first); each
    chunk is a read of its own."""
    with reading() as reader:
        if not summaries.account_known(reader.connection, filters.account_id):
            raise summaries.AccountNotFoundError(filters.account_id)
    source = filters.SOURCE

    def fetch(position: Position | None) -> tuple[Any, Position | None]:
        with reading() as reader:
            rows = account_rows(reader, filters, source.export_fields, CHUNK_ROWS, position)
        return rows.rows, rows.next_key

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return export(fetch, fmt, f"{source.records}-{filters.account_id}-{stamp}", source.export_fields)

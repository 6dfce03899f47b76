"""GET /accounts/{id}/orders: an account's distinct orders newest first, by keyset only.

The filters that pick an index (symbol, else stream) and the c_time window bound a range scan of the ledger's
(account, [symbol|stream], c_time, order_id_num, id) index, so a page costs the same at any depth; side and
status are checked on the rows the scan reads (a rare value makes the scan read further to fill a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

from app.services.ledger_reads.cursors import decode_bound_cursor, encode_bound_cursor, filters_fingerprint
from app.services.ledger_reads.page_sql import AccountShape, account_page_sql, after_params
from app.services.ledger_reads.reader import Reader
from app.services.ledger_reads.rows import key_reader


class InvalidFiltersError(ValueError):
    """A combination of filters no order can match as asked (e.g. start_ms not before end_ms)."""


@dataclass(frozen=True)
class AccountFilters:
    """What an account's page or export selects: c_time in [start_ms, end_ms), the other fields equal."""

    account_id: str
    symbol: str | None = None
    stream: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    side: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.start_ms is not None and self.end_ms is not None and self.start_ms >= self.end_ms:
            raise InvalidFiltersError(
                f"start_ms ({self.start_ms}) must be before end_ms ({self.end_ms}): the window is "
                "[start_ms, end_ms) on the orders' creation time (c_time)"
            )

    @property
    def fingerprint(self) -> str:
        return filters_fingerprint(astuple(self))

    def shape(self, after: bool) -> AccountShape:
        return AccountShape(
            symbol=self.symbol is not None,
            stream=self.stream is not None,
            start=self.start_ms is not None,
            end=self.end_ms is not None,
            side=self.side is not None,
            status=self.status is not None,
            after=after,
        )

    def params(self) -> list[Any]:
        """The filter values in the order account_page_sql expects them."""
        values = (self.symbol, self.stream, self.start_ms, self.end_ms, self.side, self.status)
        return [self.account_id, *(value for value in values if value is not None)]


@dataclass(frozen=True)
class AccountRows:
    rows: Sequence[Sequence[Any]]  # selected tuples, order_id_num last
    has_more: bool
    next_key: tuple[int, int, int] | None

    def next_cursor(self, filters: AccountFilters) -> str | None:
        return encode_bound_cursor(self.next_key, filters.fingerprint) if self.next_key else None


def account_rows(
    reader: Reader,
    filters: AccountFilters,
    fields: tuple[str, ...],
    limit: int,
    after: tuple[int, int, int] | None = None,
) -> AccountRows:
    """Up to `limit` rows after `after` (None: from the newest), and whether more exist."""
    params = filters.params()
    if after is not None:
        params += after_params(after)
    params.append(limit + 1)
    sql = account_page_sql(reader.dialect, fields, filters.shape(after is not None))
    rows = reader.rows(sql, params)
    page, has_more = rows[:limit], len(rows) > limit
    return AccountRows(page, has_more, key_reader(fields)(page[-1]) if has_more and page else None)


def cursor_position(filters: AccountFilters, cursor: str | None) -> tuple[int, int, int] | None:
    """The keyset position of a page's cursor (InvalidCursorError: malformed, or issued for other filters)."""
    return decode_bound_cursor(cursor, filters.fingerprint) if cursor is not None else None

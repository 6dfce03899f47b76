"""GET /accounts/{id}/fills and GET /orders/{arn}/fills: fills newest first, by keyset only, as orders are read
(account_pages.py, execution_pages.py) on the fills' tables (fill_sql.FILLS).

An account's page is a range scan of the ledger's (account, [order_id|symbol|stream], c_time, trade_id_num, id)
index bounded by the c_time window (side is checked on the rows read); an execution's page reads its links'
index, then the ledger rows by primary key (no offset paging: keyset only). Cursors are bound to the filters
(and the execution) they were issued for, so a cursor passed with other filters is refused instead of skipping
or repeating fills.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any, ClassVar

from app.services.ledger_reads.account_pages import LedgerFilters
from app.services.ledger_reads.cursors import KeysetRows, Position, decode_bound_cursor, filters_fingerprint
from app.services.ledger_reads.execution_pages import execution_rows
from app.services.ledger_reads.fill_sql import FILLS
from app.services.ledger_reads.page_sql import PageSource
from app.services.ledger_reads.reader import Reader

EXECUTION_FILTER_NAMES = "symbol and stream"


@dataclass(frozen=True)
class FillFilters(LedgerFilters):
    """An account's fills: by symbol, stream, order, time and side."""

    SOURCE: ClassVar[PageSource] = FILLS
    TIME: ClassVar[str] = "the fills' time"
    CURSOR_TAG: ClassVar[tuple[str, ...]] = ("fills",)

    symbol: str | None = None
    stream: str | None = None
    order_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    side: str | None = None


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

    def position(self, cursor: str | None) -> Position | None:
        """The keyset position of an execution fill page's cursor."""
        if cursor is None:
            return None
        return decode_bound_cursor(cursor, self.fingerprint, EXECUTION_FILTER_NAMES)


def execution_fill_rows(
    reader: Reader,
    execution_id: int,
    filters: ExecutionFillFilters,
    fields: tuple[str, ...],
    limit: int,
    after: Position | None = None,
) -> KeysetRows:
    """Up to `limit` of the execution's fills after `after`, and whether more exist."""
    return execution_rows(
        reader,
        execution_id,
        fields,
        symbol=filters.symbol,
        stream=filters.stream,
        after=after,
        limit=limit,
        source=FILLS,
    )

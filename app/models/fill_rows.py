"""A fill record of the consolidated document -> a `ledger_fills` row (values in FILL_COLUMNS order).

A fill record (docs/CONTRACTS.md) is Bitget's fill row as sent + `stream` + `symbol`; v3 (unified account)
fills also carry the pipeline's `tradeId` (a copy of `execId`) and `cTime`/`uTime` (copies of
`createdTime`/`updatedTime`). The three wire shapes land on the same columns (docs/database.md "Fills"):

| column | v2 spot (`spot_fills`) | v2 futures (`<PT>_fills`) | v3 (`uta_<CATEGORY>_fills`) |
|---|---|---|---|
| price | priceAvg | price | execPrice |
| size | size | baseVolume | execQty |
| amount | amount | quoteVolume | execValue |
| fee, fee_coin | feeDetail.totalFee, .feeCoin | sum of feeDetail[].totalFee | sum of feeDetail[].fee |
| profit | (none) | profit | execPnl |

The stream is read once per record and picks the shape. Values stay Bitget's text, as for orders
(order_rows.py); a record the table cannot hold raises FillRecordError and is skipped and counted by the
caller (order_rows.row_chunks), never failing the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import IO, Any, cast

from sqlalchemy import Table

from app.models.database import LedgerFill
from app.models.fees import fee_total
from app.models.order_rows import (
    ColumnSizes,
    OrderRecordError,
    _as_text,
    as_bigint,
    encode_json,
    market_and_product,
)
from lambda_functions.common.streams import FILLS_SUFFIX, SPOT_FILLS, UTA_PREFIX

FILL_COLUMNS = (
    "account_id", "symbol", "trade_id", "trade_id_num", "order_id", "stream", "market", "product_type", "side",
    "trade_side", "order_type", "trade_scope", "price", "size", "amount", "fee", "fee_coin", "profit", "c_time",
    "u_time", "raw", "created_at", "updated_at",
)  # fmt: skip

_TRADE_ID = FILL_COLUMNS.index("trade_id")
_SIZES = ColumnSizes(FILL_COLUMNS, cast(Table, LedgerFill.__table__))
_fits = _SIZES.fits


class FillRecordError(OrderRecordError):
    """A fill record lacks a field the table needs, or has one of the wrong shape."""


def _fill_unusable(record: dict[str, Any], field: str, value: Any) -> FillRecordError:
    trade = str(record.get("tradeId", record.get("execId")))[:60]
    if value in (None, ""):
        return FillRecordError(f"fill {trade!r}: missing {field}")
    return FillRecordError(f"fill {trade!r}: {field} is not an integer in range: {str(value)[:60]!r}")


def _shape(record: dict[str, Any], stream: str) -> tuple[Any, ...]:
    """(price, size, amount, fee, fee_coin, profit, cTime field, uTime field) of the record's wire shape."""
    get = record.get
    if stream.startswith(UTA_PREFIX):
        fee, coin = fee_total(get("feeDetail"), "fee")
        c_time = "cTime" if "cTime" in record else "createdTime"
        u_time = "uTime" if "uTime" in record else "updatedTime"
        return get("execPrice"), get("execQty"), get("execValue"), fee, coin, get("execPnl"), c_time, u_time
    fee, coin = fee_total(get("feeDetail"), "totalFee")
    if stream == SPOT_FILLS:
        return get("priceAvg"), get("size"), get("amount"), fee, coin, get("profit"), "cTime", "uTime"
    return get("price"), get("baseVolume"), get("quoteVolume"), fee, coin, get("profit"), "cTime", "uTime"


def fill_row(
    record: Any, account_id: str, created_at: datetime | str, raw: str | None = None
) -> tuple[Any, ...]:
    """The `ledger_fills` row of one fill record of the account; FillRecordError if unusable. `created_at` is
    also the row's `updated_at` (when this copy was stored)."""
    if not isinstance(record, dict):
        raise FillRecordError(f"fill record is not an object: {str(record)[:200]}")
    stream, symbol = record.get("stream"), record.get("symbol")
    id_field = "tradeId" if "tradeId" in record else "execId"  # v3: execId when the copy is missing
    trade_id = record.get(id_field)
    if not stream or not isinstance(stream, str) or trade_id in (None, "") or not symbol:
        raise FillRecordError(f"fill record needs stream, tradeId and symbol: {str(record)[:200]}")
    if not stream.endswith(FILLS_SUFFIX):
        raise FillRecordError(f"fill {str(trade_id)[:60]!r}: stream {stream[:40]!r} is not a fill stream")
    market, product_type = market_and_product(stream)
    price, size, amount, fee, fee_coin, profit, c_time, u_time = _shape(record, stream)
    get = record.get
    order_id = get("orderId")
    return (
        account_id, _as_text(symbol), str(trade_id), as_bigint(record, id_field, True, _fill_unusable),
        None if order_id in (None, "") else str(order_id), stream, market, product_type, _as_text(get("side")),
        _as_text(get("tradeSide")), _as_text(get("orderType")), _as_text(get("tradeScope")), _as_text(price),
        _as_text(size), _as_text(amount), fee, fee_coin, _as_text(profit),
        as_bigint(record, c_time, True, _fill_unusable), as_bigint(record, u_time, False, _fill_unusable),
        raw if raw is not None else encode_json(record), created_at, created_at,
    )  # fmt: skip


def check_fill_fits(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """`row` when every value fits its column, else FillRecordError (never stored cut: ColumnSizes)."""
    if _fits(row):
        return row
    raise FillRecordError(f"fill {row[_TRADE_ID][:60]!r}: {_SIZES.problem(row)}")


# ---- does the document hold a fill? ---------------------------------------------------------------------------

_FILLS_KEY = b'"fills"'
_EMPTY_FILLS = re.compile(rb'"fills"\s*:\s*\[\s*\]')
_LOOKAHEAD = 64  # bytes kept from one block to the next: a key and its empty array never span more


class FillsProbe:
    """Watches a document's bytes as the orders pass reads them, so that hydration parses the document a second
    time for its `fills` only when it may hold one: a `"fills"` anywhere that is not followed by an empty array.

    Documents written before fills existed have no such key, and account-wide runs of a classic account without
    trades write `"fills":[]`: both skip the second pass (~0.6 s of tokenizing per 100 MB). A false alarm (the
    text inside some raw record) only costs that pass; a document not read to its end counts as "may hold".
    """

    def __init__(self) -> None:
        self._found = False
        self._ended = False
        self._tail = b""

    @property
    def may_hold_fills(self) -> bool:
        return self._found or not self._ended

    def feed(self, block: bytes) -> None:
        """The next bytes of the document; an empty block is its end."""
        if self._found:
            return
        if not block:
            self._ended = True
            self._scan(self._tail, len(self._tail))
            return
        data = self._tail + block
        self._scan(data, len(data) - _LOOKAHEAD)
        self._tail = data[-_LOOKAHEAD:]

    def _scan(self, data: bytes, limit: int) -> None:
        """Looks at the keys starting before `limit` (later ones are looked at with the next block)."""
        start = 0
        while 0 <= (found := data.find(_FILLS_KEY, start)) < limit:
            if not _EMPTY_FILLS.match(data, found):
                self._found = True
                return
            start = found + 1


class ProbedReader:
    """A binary source whose bytes also go to a FillsProbe as they are read (read(n) only, as ijson and the
    hydration's feeder read)."""

    def __init__(self, source: IO[bytes], probe: FillsProbe) -> None:
        self._source, self._probe = source, probe

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data or size != 0:
            self._probe.feed(data)
        return data


@contextmanager
def probed(
    open_source: Callable[[], AbstractContextManager[IO[bytes]]], probe: FillsProbe
) -> Iterator[IO[bytes]]:
    """The opened source, read through `probe`."""
    with open_source() as source:
        yield cast(IO[bytes], ProbedReader(source, probe))

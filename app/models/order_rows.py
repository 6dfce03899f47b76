"""Consolidated results document -> chunks of `ledger_orders` rows (and of `ledger_fills` rows), streamed.

An order record (CONTRACTS.md: Bitget's raw fields + `stream` + `symbol`) becomes a tuple in ORDER_COLUMNS
order, owned by the execution's account; a unified account's v3 row (stream `uta_<CATEGORY>`) is mapped by its
own field names onto the same columns (docs/database.md "Unified-account (UTA) orders"). Fill records become
`ledger_fills` rows in app/models/fill_rows.py; `row_chunks(..., kind="fills")` streams them. This is the hot path of hydration (hundreds of thousands of calls):
tuples, not dicts, and plain look-ups; the database layer hands the tuples straight to the driver
(app/services/hydration/inserts.py).

Values are stored exactly as Bitget sent them: strings stay strings (`"20.0000000000000000"` as is), and JSON
numbers are parsed as Decimal (ijson's default) and written back in plain notation (`0.00000001`, never
`1e-08` or `1E-8`), in the columns and in `raw`. A record the table cannot hold (no usable orderId or cTime,
a value longer than its column...) is skipped and counted in `RejectedRows`, never failing the document.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, Literal, cast

import ijson
import orjson
from sqlalchemy import String, Table

from app.models.database import LedgerOrder, utcnow
from app.models.fees import fee_total, spot_fee
from lambda_functions.common import exact_json
from lambda_functions.common.streams import (
    PLAN_SUFFIX,
    UTA_PREFIX,
    is_spot_stream,
    market_of,
    product_type_of,
)

ORDER_COLUMNS = (
    "account_id", "symbol", "order_id", "order_id_num", "stream", "market", "product_type", "client_oid",
    "size", "price", "price_avg", "status", "side", "order_type", "trade_side", "leverage", "margin_mode",
    "pos_side", "fee", "quote_volume", "base_volume", "c_time", "u_time", "raw", "created_at", "updated_at",
)  # fmt: skip

_MAX_BIGINT = 2**63 - 1
_MAX_TEXT_BYTES = 65_535  # MySQL's TEXT (`raw`); SQLite would take more, but both databases get the same rows


def decimal_text(value: Decimal) -> str:
    """A JSON number parsed as Decimal, in plain notation with every digit (`Decimal("1E-8")` -> `0.00000001`)."""
    try:
        return exact_json.decimal_text(value)
    except ValueError as exc:  # NaN, Infinity
        raise OrderRecordError(str(exc)) from None


def _fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, Decimal):
        return orjson.Fragment(decimal_text(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_json(value: Any) -> str:
    """Compact JSON, Decimal numbers exact (orjson: 5-10x the stdlib here, the biggest cost of a row)."""
    try:
        return orjson.dumps(value, default=_fragment).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: the stdlib handles it
        return exact_json.dumps_exact(value)


class OrderRecordError(ValueError):
    """An order record lacks a field the table needs, or has one of the wrong shape."""


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    return encode_json(value) if isinstance(value, dict | list) else str(value)


def _order_unusable(order: dict[str, Any], field: str, value: Any) -> OrderRecordError:
    if value in (None, ""):
        return OrderRecordError(f"order {order.get('orderId')!r}: missing {field}")
    return OrderRecordError(
        f"order {str(order.get('orderId'))[:60]!r}: {field} is not an integer in range: {str(value)[:60]!r}"
    )


def as_bigint(
    record: dict[str, Any],
    field: str,
    required: bool,
    unusable: Callable[[dict[str, Any], str, Any], OrderRecordError] = _order_unusable,
) -> int | None:
    """A non-negative BIGINT from Bitget's digit string (or a JSON integer).

    Required fields (orderId, cTime; a fill's tradeId) that are missing or not such an integer make the record
    unusable: `unusable(record, field, value)` is raised (an order's error by default); an optional one (uTime)
    is stored as NULL instead, its text staying in `raw`.
    """
    value = record.get(field)
    number: int | None = None
    if isinstance(value, str):
        digits = value if value.isdigit() else value.strip()  # the worker accepts surrounding spaces
        if digits.isdigit() and digits.isascii():  # not int()'s "1_0", "+1", "1.0" or "²"
            number = int(digits)
    elif type(value) is int:
        number = value
    if number is not None and 0 <= number <= _MAX_BIGINT:
        return number
    if not required:
        return None
    raise unusable(record, field, value)


def order_row(
    order: dict[str, Any], account_id: str, created_at: datetime | str, raw: str | None = None
) -> tuple[Any, ...]:
    """The `ledger_orders` row (values in ORDER_COLUMNS order) of one order record of the account;
    OrderRecordError if unusable. `created_at` is also the row's `updated_at` (when this copy was stored).

    `raw` is the record's JSON text when the caller has it (the source's own bytes); else it is encoded.
    """
    if not isinstance(order, dict):
        raise OrderRecordError(f"order record is not an object: {str(order)[:200]}")
    stream = order.get("stream")
    order_id = order.get("orderId")
    symbol = order.get("symbol")
    if not stream or not isinstance(stream, str) or order_id in (None, "") or not symbol:
        raise OrderRecordError(f"order record needs stream, orderId and symbol: {str(order)[:200]}")
    if stream.startswith(UTA_PREFIX):  # a unified account's v3 row: its own field names
        return _uta_order_row(order, account_id, created_at, raw, stream, order_id, symbol)
    spot = is_spot_stream(stream)
    get = order.get
    # Plan histories report `planStatus`, the futures detail endpoint `state`.
    status = get("status") or get("planStatus") or get("state")
    fee = _as_text(order["fee"]) if "fee" in order else spot_fee(get("feeDetail"))
    return (
        account_id, _as_text(symbol), str(order_id), as_bigint(order, "orderId", required=True), stream,
        "spot" if spot else "futures", None if spot else stream.removesuffix(PLAN_SUFFIX),
        _as_text(get("clientOid")), _as_text(get("size")), _as_text(get("price")), _as_text(get("priceAvg")),
        _as_text(status), _as_text(get("side")), _as_text(get("orderType")), _as_text(get("tradeSide")),
        _as_text(get("leverage")), _as_text(get("marginMode")), _as_text(get("posSide")), fee,
        _as_text(get("quoteVolume")), _as_text(get("baseVolume")), as_bigint(order, "cTime", required=True),
        as_bigint(order, "uTime", required=False), raw if raw is not None else encode_json(order), created_at,
        created_at,
    )  # fmt: skip


@lru_cache(maxsize=64)
def market_and_product(stream: str) -> tuple[str, str | None]:
    """(market, product_type) of a unified-account or fill stream (cached: a handful of streams, many rows)."""
    return market_of(stream), product_type_of(stream)


def _uta_order_row(
    order: dict[str, Any],
    account_id: str,
    created_at: datetime | str,
    raw: str | None,
    stream: str,
    order_id: Any,
    symbol: Any,
) -> tuple[Any, ...]:
    """A v3 (unified account) order onto the same columns (docs/database.md "UTA orders"): qty, avgPrice,
    orderStatus, cumExecQty/cumExecValue, the feeDetail list's total; cTime/uTime are the pipeline's copies of
    createdTime/updatedTime (read directly when absent)."""
    get = order.get
    market, product_type = market_and_product(stream)
    c_time = "cTime" if "cTime" in order else "createdTime"
    u_time = "uTime" if "uTime" in order else "updatedTime"
    return (
        account_id, _as_text(symbol), str(order_id), as_bigint(order, "orderId", required=True), stream, market,
        product_type, _as_text(get("clientOid")), _as_text(get("qty")), _as_text(get("price")),
        _as_text(get("avgPrice")), _as_text(get("orderStatus")), _as_text(get("side")), _as_text(get("orderType")),
        _as_text(get("tradeSide")), _as_text(get("leverage")), _as_text(get("marginMode")),
        _as_text(get("posSide")), fee_total(get("feeDetail"), "fee")[0], _as_text(get("cumExecValue")),
        _as_text(get("cumExecQty")), as_bigint(order, c_time, required=True), as_bigint(order, u_time, required=False),
        raw if raw is not None else encode_json(order), created_at, created_at,
    )  # fmt: skip


class ColumnSizes:
    """What a ledger row must fit (never stored cut: MySQL's INSERT IGNORE would truncate a value silently, a
    plain INSERT refuse the whole chunk): every VARCHAR taken from the record within its length, and `raw`
    within MySQL's TEXT (SQLite would take more, but both databases get the same rows). The account is the
    same for every row: hydration checks it once.
    """

    def __init__(self, columns: tuple[str, ...], table: Table) -> None:
        self.limits = tuple(
            (index, name, kind.length)
            for index, name in enumerate(columns)
            if name != "account_id" and isinstance(kind := table.columns[name].type, String) and kind.length
        )
        self.raw = columns.index("raw")
        self.fits = self._compile_fits()

    def _compile_fits(self) -> Callable[[tuple[Any, ...]], bool]:
        """`fits(row)`: every value within its size, as one generated expression.

        Generated from the model (as dataclasses generate __init__): one boolean expression per row is about
        twice as fast as any loop or map over the 20 columns, on the hydration hot path. `raw` is encoded only
        when its characters could exceed the bytes (UTF-8: up to 4 bytes a character).
        """
        tests = [f"(r[{i}] is None or len(r[{i}]) <= {length})" for i, _name, length in self.limits]
        raw, most = f"r[{self.raw}]", _MAX_TEXT_BYTES
        tests.append(f"(len({raw}) * 4 <= {most} or len({raw}.encode()) <= {most})")
        namespace: dict[str, Any] = {}
        exec(f"def fits(r):\n    return {' and '.join(tests)}\n", namespace)  # noqa: S102 (our own text, from the model)
        return cast(Callable[[tuple[Any, ...]], bool], namespace["fits"])

    def problem(self, row: tuple[Any, ...]) -> str:
        """What of a row that does not fit is too long (the first such value), for the message."""
        for index, name, limit in self.limits:
            if row[index] is not None and len(row[index]) > limit:
                return f"{name} longer than {limit} characters"
        return f"raw record larger than {_MAX_TEXT_BYTES} bytes"


_SIZES = ColumnSizes(ORDER_COLUMNS, cast(Table, LedgerOrder.__table__))
_fits = _SIZES.fits


def check_fits(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """`row` when every value fits its column, else OrderRecordError (ColumnSizes)."""
    if _fits(row):
        return row
    raise OrderRecordError(f"order {row[2]!r}: {_SIZES.problem(row)}")


REJECTED_SAMPLES = 20  # rejected rows described in the hydration log; the count covers all


@dataclass
class RejectedRows:
    """Records (orders, fills) hydration skipped: how many, and the first few (symbol, stream, id, reason) for
    the log."""

    count: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, order: Any, reason: str) -> None:
        self.count += 1
        if len(self.samples) < REJECTED_SAMPLES:
            fields = order if isinstance(order, dict) else {}
            symbol, stream = fields.get("symbol"), fields.get("stream")
            self.samples.append(
                {
                    "symbol": symbol if isinstance(symbol, str) else None,
                    "stream": stream if isinstance(stream, str) else None,
                    "order_id": str(fields.get("orderId"))[:50] if "orderId" in fields else None,
                    **({"trade_id": str(fields.get("tradeId"))[:50]} if "tradeId" in fields else {}),
                    "reason": reason[:300],
                }
            )

    def merge(self, other: RejectedRows) -> None:
        """Adds another pass's rejected records (the fills' to the orders')."""
        self.count += other.count
        self.samples += other.samples[: max(0, REJECTED_SAMPLES - len(self.samples))]


RecordKind = Literal["orders", "fills"]  # the document's two arrays of records


RowBuilder = Callable[[Any, str, str], tuple[Any, ...]]
RowCheck = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def record_builder(kind: RecordKind) -> tuple[str, RowBuilder, RowCheck]:
    """The ijson prefix of a kind's array, the function that turns one of its records into a row, and the
    check of that row against the columns' sizes (both raise OrderRecordError for an unusable record)."""
    if kind == "orders":
        return "orders.item", order_row, check_fits
    from app.models.fill_rows import check_fill_fits, fill_row  # fill_rows builds on this module's helpers

    return "fills.item", fill_row, check_fill_fits


def row_chunks(
    stream: IO[bytes],
    account_id: str,
    chunk_rows: int,
    rejected: RejectedRows | None = None,
    kind: RecordKind = "orders",
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of the document's `orders` array (or `fills`: `ledger_fills` rows, app/models/fill_rows.py),
    `chunk_rows` at a time, parsed incrementally (ijson, C backend). A document without the array has none.

    A record that cannot be stored is skipped and counted in `rejected` (the rest of the document is kept).
    """
    # As text, once: the drivers would otherwise convert the same datetime for every row (0.3 s per 200,000).
    # The format SQLAlchemy writes and reads on SQLite; MySQL's DATETIME(6) takes it as is.
    created_at = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    rejected = rejected if rejected is not None else RejectedRows()
    prefix, build, check = record_builder(kind)
    chunk: list[tuple[Any, ...]] = []
    # Numbers with a fraction arrive as Decimal (exact); encode_json / decimal_text write them back unchanged.
    for order in ijson.items(stream, prefix):
        try:
            chunk.append(check(build(order, account_id, created_at)))
        except OrderRecordError as exc:
            rejected.add(order, str(exc))
            continue
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


@contextmanager
def prefetched(
    open_source: Callable[[], AbstractContextManager[IO[bytes]]],
    account_id: str,
    chunk_rows: int,
    depth: int = 2,
    rejected: RejectedRows | None = None,
    kind: RecordKind = "orders",
) -> Iterator[Iterator[list[tuple[Any, ...]]]]:
    """`row_chunks` of the opened source, produced by a thread while the caller inserts the previous chunk.

    Parsing and the database's own work then overlap (sqlite3 and the network wait release the GIL). At most
    `depth` chunks wait in the queue, so memory stays bounded. Leaving the block early stops the producer.
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with open_source() as stream:
                for chunk in row_chunks(stream, account_id, chunk_rows, rejected, kind):
                    if not put(chunk):
                        return
            put(_END)
        except BaseException as exc:  # handed to the consuming thread, which re-raises it
            put(_Failure(exc))

    def consume() -> Iterator[list[tuple[Any, ...]]]:
        while (item := chunks.get()) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            yield item

    producer = threading.Thread(target=produce, name="hydrate-parse", daemon=True)
    producer.start()
    try:
        yield consume()
    finally:
        stop.set()
        producer.join()

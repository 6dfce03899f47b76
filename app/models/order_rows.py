"""Consolidated results document -> chunks of `orders` rows, streamed.

An order record (CONTRACTS.md: Bitget's raw fields + `stream` + `symbol`) becomes a tuple in ORDER_COLUMNS
order. This is the hot path of hydration (hundreds of thousands of calls): tuples, not dicts, and plain
look-ups; the database layer hands the tuples straight to the driver (app/services/order_inserts.py).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import IO, Any

import ijson
import orjson

from app.models.database import utcnow
from lambda_functions.common.streams import PLAN_SUFFIX, is_spot_stream

ORDER_COLUMNS = (
    "execution_arn", "symbol", "order_id", "order_id_num", "stream", "market", "product_type", "client_oid",
    "size", "price", "price_avg", "status", "side", "order_type", "trade_side", "leverage", "margin_mode",
    "pos_side", "fee", "quote_volume", "base_volume", "c_time", "u_time", "raw", "created_at",
)  # fmt: skip

_MAX_BIGINT = 2**63 - 1
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _encode_raw(order: dict[str, Any]) -> str:
    """Compact JSON of the whole record (orjson: 5-10x the stdlib here, the biggest cost of a row)."""
    try:
        return orjson.dumps(order).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: the stdlib handles it
        return _encode_json(order)


class OrderRecordError(ValueError):
    """An order record lacks a field the table needs, or has one of the wrong shape."""


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else str(value)


def _as_int(order: dict[str, Any], field: str, required: bool) -> int | None:
    value = order.get(field)
    if value in (None, ""):
        if required:
            raise OrderRecordError(f"order {order.get('orderId')!r}: missing {field}")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise OrderRecordError(
            f"order {order.get('orderId')!r}: {field} is not an integer: {value!r}"
        ) from exc
    if not 0 <= number <= _MAX_BIGINT:
        raise OrderRecordError(f"order {order.get('orderId')!r}: {field} out of range: {value!r}")
    return number


def spot_fee(fee_detail: Any) -> str | None:
    """Total fee of a spot order from its `feeDetail` JSON string (`newFees.t` wins, else the first coin's)."""
    if not isinstance(fee_detail, str) or not fee_detail:
        return None
    try:
        detail = orjson.loads(fee_detail)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(detail, dict):
        return None
    new_fees = detail.get("newFees")
    if isinstance(new_fees, dict) and "t" in new_fees:
        return str(new_fees["t"])
    for value in detail.values():
        if isinstance(value, dict) and "totalFee" in value:
            return str(value["totalFee"])
    return None


def order_row(
    order: dict[str, Any], execution_arn: str, created_at: datetime | str, raw: str | None = None
) -> tuple[Any, ...]:
    """The `orders` row (values in ORDER_COLUMNS order) for one order record; OrderRecordError if unusable.

    `raw` is the record's JSON text when the caller has it (the source's own bytes); else it is encoded.
    """
    if not isinstance(order, dict):
        raise OrderRecordError(f"order record is not an object: {str(order)[:200]}")
    stream = order.get("stream")
    order_id = order.get("orderId")
    symbol = order.get("symbol")
    if not stream or order_id in (None, "") or not symbol:
        raise OrderRecordError(f"order record needs stream, orderId and symbol: {str(order)[:200]}")
    spot = is_spot_stream(stream)
    get = order.get
    # Plan histories report `planStatus`, the futures detail endpoint `state`.
    status = get("status") or get("planStatus") or get("state")
    fee = _as_text(order["fee"]) if "fee" in order else spot_fee(get("feeDetail"))
    return (
        execution_arn, _as_text(symbol), str(order_id), _as_int(order, "orderId", required=True), stream,
        "spot" if spot else "futures", None if spot else stream.removesuffix(PLAN_SUFFIX),
        _as_text(get("clientOid")), _as_text(get("size")), _as_text(get("price")), _as_text(get("priceAvg")),
        _as_text(status), _as_text(get("side")), _as_text(get("orderType")), _as_text(get("tradeSide")),
        _as_text(get("leverage")), _as_text(get("marginMode")), _as_text(get("posSide")), fee,
        _as_text(get("quoteVolume")), _as_text(get("baseVolume")), _as_int(order, "cTime", required=True),
        _as_int(order, "uTime", required=False), raw if raw is not None else _encode_raw(order), created_at,
    )  # fmt: skip


def row_chunks(stream: IO[bytes], execution_arn: str, chunk_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of the document's `orders` array, `chunk_rows` at a time, parsed incrementally (ijson, C backend)."""
    # As text, once: the drivers would otherwise convert the same datetime for every row (0.3 s per 200,000).
    # The format SQLAlchemy writes and reads on SQLite; MySQL's DATETIME(6) takes it as is.
    created_at = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    chunk: list[tuple[Any, ...]] = []
    # use_float: Decimal values would not survive the JSON encoding of the raw object.
    for order in ijson.items(stream, "orders.item", use_float=True):
        chunk.append(order_row(order, execution_arn, created_at))
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
    execution_arn: str,
    chunk_rows: int,
    depth: int = 2,
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
                for chunk in row_chunks(stream, execution_arn, chunk_rows):
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

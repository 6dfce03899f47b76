"""The columns a read selects and how a row leaves the service: page rows (the API's order objects) and
export rows (the documented column set).

A page row is selected as one JSON document the database builds (`doc`: PAGE_FIELDS in order, created_at as
ISO text; page_sql.py), plus the raw Bitget JSON when asked, spliced in as stored: no per-field decoding in the
driver, no dict per row, no re-encoding (a third of a MariaDB page's cost). Export rows are plain tuples.
Every select ends with `order_id_num` (fills: `trade_id_num`), the keyset's tie-breaker, which no row shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

# GET /orders/{arn}/database and GET /accounts/{id}/orders: the fields (and order) of today's order objects.
PAGE_FIELDS = (
    "id", "symbol", "order_id", "stream", "market", "product_type", "client_oid", "side", "trade_side",
    "status", "order_type", "price", "price_avg", "size", "base_volume", "quote_volume", "fee", "leverage",
    "margin_mode", "pos_side", "c_time", "u_time", "created_at",
)  # fmt: skip
# Exports: every stored column but order_id_num (order_id's number), with `raw` as the stored JSON text.
EXPORT_FIELDS = (
    "id", "account_id", "symbol", "stream", "order_id", "market", "product_type", "client_oid", "side",
    "trade_side", "status", "order_type", "price", "price_avg", "size", "base_volume", "quote_volume", "fee",
    "leverage", "margin_mode", "pos_side", "c_time", "u_time", "created_at", "updated_at", "raw",
)  # fmt: skip
# GET /accounts/{id}/fills and GET /orders/{arn}/fills: a fill object's fields (and order).
FILL_PAGE_FIELDS = (
    "id", "symbol", "trade_id", "order_id", "stream", "market", "product_type", "side", "trade_side",
    "order_type", "trade_scope", "price", "size", "amount", "fee", "fee_coin", "profit", "c_time", "u_time",
    "created_at",
)  # fmt: skip
# Fill exports: every stored column but trade_id_num (trade_id's number), `raw` as the stored JSON text.
FILL_EXPORT_FIELDS = (
    "id", "account_id", "symbol", "stream", "trade_id", "order_id", "market", "product_type", "side",
    "trade_side", "order_type", "trade_scope", "price", "size", "amount", "fee", "fee_coin", "profit", "c_time",
    "u_time", "created_at", "updated_at", "raw",
)  # fmt: skip
INT_FIELDS = frozenset({"id", "c_time", "u_time"})
TIME_FIELDS = frozenset({"created_at", "updated_at"})
DOC = "doc"  # the selected JSON document of PAGE_FIELDS


def page_fields(include_raw: bool) -> tuple[str, ...]:
    """What a page selects: the document, the keyset's columns, and `raw` when asked."""
    return (DOC, "c_time", "id", "raw") if include_raw else (DOC, "c_time", "id")


def parse_time(value: datetime | str | None) -> datetime | None:
    """A stored timestamp as naive UTC: MySQL drivers give datetimes, SQLite the text SQLAlchemy wrote."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def iso_time(value: datetime | str | None) -> str | None:
    """The API's timestamp text (as `db_values.iso`): ISO 8601 in UTC with a Z, no fraction when it is zero."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == ".":
        # SQLAlchemy's SQLite text 'YYYY-MM-DD HH:MM:SS.ffffff', rewritten without parsing (hot on pages)
        fraction = "" if value.endswith("000000") else value[19:]
        return f"{value[:10]}T{value[11:19]}{fraction}Z"
    moment = parse_time(value)
    assert moment is not None
    return moment.replace(tzinfo=None).isoformat() + "Z"  # stored naive UTC


def page_row(row: Sequence[Any], include_raw: bool) -> orjson.Fragment:
    """An order object of a page, as JSON ready to embed; `raw` (valid JSON written by the hydration) is
    appended to the document unparsed."""
    doc = row[0]
    if include_raw:
        return orjson.Fragment(f'{doc[:-1]},"raw":{row[3]}}}')
    return orjson.Fragment(doc)


def page_dict(row: Sequence[Any], include_raw: bool) -> dict[str, Any]:
    """An order object of a page as Python values (raw parsed)."""
    out: dict[str, Any] = orjson.loads(row[0])
    if include_raw:
        out["raw"] = orjson.loads(row[3])
    return out


@lru_cache(maxsize=16)
def key_reader(fields: tuple[str, ...]) -> Callable[[Sequence[Any]], tuple[int, int, int]]:
    """Reads the keyset position (c_time, order_id_num, id) of a row selected with `fields`."""
    c_time, row_id = fields.index("c_time"), fields.index("id")
    return lambda row: (int(row[c_time]), int(row[-1]), int(row[row_id]))

"""The columns a read selects and how a row leaves the service: page rows (the API's order objects, built as
plain dicts for orjson, the raw Bitget JSON spliced in as stored) and export rows (the documented column set).

Rows are selected as tuples through the bare driver (no ORM objects, no per-row validation): a page of 100
costs what its bytes cost. Every select ends with `order_id_num`, the keyset's tie-breaker, which no row shows.
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
INT_FIELDS = frozenset({"id", "c_time", "u_time"})
TIME_FIELDS = frozenset({"created_at", "updated_at"})
_CREATED = PAGE_FIELDS.index("created_at")


def select_list(fields: Sequence[str], alias: str) -> str:
    """`alias.a, alias.b, ..., alias.order_id_num` (the keyset tie-breaker always last)."""
    return ", ".join(f"{alias}.{name}" for name in (*fields, "order_id_num"))


def page_fields(include_raw: bool) -> tuple[str, ...]:
    return (*PAGE_FIELDS, "raw") if include_raw else PAGE_FIELDS


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


def page_row(row: Sequence[Any], include_raw: bool) -> dict[str, Any]:
    """An order object of a page; `raw` is spliced in as stored (valid JSON written by the hydration)."""
    out = dict(zip(PAGE_FIELDS, row, strict=False))
    out["created_at"] = iso_time(row[_CREATED])
    if include_raw:
        out["raw"] = orjson.Fragment(row[len(PAGE_FIELDS)])
    return out


@lru_cache(maxsize=16)
def key_reader(fields: tuple[str, ...]) -> Callable[[Sequence[Any]], tuple[int, int, int]]:
    """Reads the keyset position (c_time, order_id_num, id) of a row selected with `fields`."""
    c_time, row_id = fields.index("c_time"), fields.index("id")
    return lambda row: (int(row[c_time]), int(row[-1]), int(row[row_id]))

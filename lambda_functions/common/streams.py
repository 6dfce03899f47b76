"""Names shared by every part: order streams, futures product types, and the newest-first order.

A *stream* is one independently paged Bitget history: `spot_normal`, `spot_tpsl`, `spot_plan`, a futures
product type (`USDT-FUTURES`) or its plan history (`USDT-FUTURES_plan`). Every stored record carries its
stream, so an order is unique per (account, stream, orderId).

Fills (each execution of an order) are streams too, ending in `_fills`: `spot_fills`, `USDT-FUTURES_fills`; a
fill is unique per (account, stream, tradeId). A Unified Trading Account (UTA) has its own v3 endpoints, one
history per `category`: its streams are `uta_<CATEGORY>` (`uta_SPOT`, `uta_USDT-FUTURES`) and
`uta_<CATEGORY>_fills` (docs/CONTRACTS.md "Streams and the order record").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SPOT_NORMAL = "spot_normal"
SPOT_TPSL = "spot_tpsl"
SPOT_PLAN = "spot_plan"
SPOT_STREAMS = (SPOT_NORMAL, SPOT_TPSL, SPOT_PLAN)

FUTURES_PRODUCT_TYPES = ("USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")
SIMULATION_PRODUCT_TYPES = ("SUSDT-FUTURES", "SUSDC-FUTURES", "SCOIN-FUTURES")
ALL_PRODUCT_TYPES = FUTURES_PRODUCT_TYPES + SIMULATION_PRODUCT_TYPES

PLAN_SUFFIX = "_plan"
FILLS_SUFFIX = "_fills"
SPOT_FILLS = "spot_fills"
UTA_PREFIX = "uta_"
# Bitget's UTA categories (BITGET_API.md §11); margin is spot trading on borrowed funds.
UTA_SPOT_CATEGORIES = ("SPOT", "MARGIN")
UTA_CATEGORIES = UTA_SPOT_CATEGORIES + FUTURES_PRODUCT_TYPES
# The v3 fields the pipeline copies under the v2 names it sorts and dedupes on (the rest stays as sent).
UTA_TIME_ALIASES = (("cTime", "createdTime"), ("uTime", "updatedTime"))
# Bitget requires planType on futures plan history; a plan stream is the union of these three queries.
FUTURES_PLAN_TYPES = ("normal_plan", "track_plan", "profit_loss")


def futures_plan_stream(product_type: str) -> str:
    """The stream name of a product type's plan (trigger) history."""
    return product_type + PLAN_SUFFIX


def fills_stream(stream: str) -> str:
    """The fill stream beside an order stream: `USDT-FUTURES` -> `USDT-FUTURES_fills`, `uta_SPOT` ->
    `uta_SPOT_fills` (spot's is `spot_fills`)."""
    return SPOT_FILLS if is_spot_stream(stream) and not is_uta_stream(stream) else stream + FILLS_SUFFIX


def uta_stream(category: str, fills: bool = False) -> str:
    """`uta_SPOT`, or with `fills` `uta_SPOT_fills`."""
    return UTA_PREFIX + category + (FILLS_SUFFIX if fills else "")


def is_spot_stream(stream: str) -> bool:
    """A classic spot stream (v2 spot endpoints)."""
    return stream.startswith("spot_")


def is_fill_stream(stream: str) -> bool:
    return stream.endswith(FILLS_SUFFIX)


def is_uta_stream(stream: str) -> bool:
    return stream.startswith(UTA_PREFIX)


def uta_category(stream: str) -> str:
    """The v3 `category` of a UTA stream: `uta_USDT-FUTURES_fills` -> `USDT-FUTURES`."""
    if not is_uta_stream(stream):
        raise ValueError(f"{stream!r} is not a unified-account stream")
    return stream.removeprefix(UTA_PREFIX).removesuffix(FILLS_SUFFIX)


def market_of(stream: str) -> str:
    """`spot`, `margin` or `futures`: the market family a stream belongs to."""
    if is_uta_stream(stream):
        category = uta_category(stream)
        return category.lower() if category in UTA_SPOT_CATEGORIES else "futures"
    return "spot" if is_spot_stream(stream) else "futures"


def product_type_of(stream: str) -> str | None:
    """The futures product type (`USDT-FUTURES`) of a futures stream; None for spot and margin."""
    if market_of(stream) != "futures":
        return None
    if is_uta_stream(stream):
        return uta_category(stream)
    return stream.removesuffix(FILLS_SUFFIX).removesuffix(PLAN_SUFFIX)


def record_id_field(stream: str) -> str:
    """The field that identifies a record within its stream: `tradeId` for fills, `orderId` for orders."""
    return "tradeId" if is_fill_stream(stream) else "orderId"


def record_id(record: Mapping[str, Any]) -> Any:
    """The record's identity within its stream (its tradeId or orderId, as sent)."""
    return record[record_id_field(str(record["stream"]))]


def newest_first_key(order: Mapping[str, Any]) -> tuple[int, int, str]:
    """Sort key (use with reverse=True) that puts the newest order first.

    Ties in cTime are frequent (bulk orders in one millisecond); Bitget order ids grow with time, so the id
    breaks them, and the stream name makes the order total and deterministic across streams.
    """
    stream = str(order.get("stream", "")) if isinstance(order, Mapping) else ""
    return (int(order["cTime"]), int(order[record_id_field(stream)]), stream)

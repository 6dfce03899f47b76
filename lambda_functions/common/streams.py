"""Names shared by every part: order streams, futures product types, and the newest-first order.

A *stream* is one independently paged Bitget history: `spot_normal`, `spot_tpsl`, `spot_plan`, a futures
product type (`USDT-FUTURES`) or its plan history (`USDT-FUTURES_plan`). Every stored order carries its
stream, so an order is unique per (execution, stream, orderId).
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
# Bitget requires planType on futures plan history; a plan stream is the union of these three queries.
FUTURES_PLAN_TYPES = ("normal_plan", "track_plan", "profit_loss")


def futures_plan_stream(product_type: str) -> str:
    """The stream name of a product type's plan (trigger) history."""
    return product_type + PLAN_SUFFIX


def is_spot_stream(stream: str) -> bool:
    return stream.startswith("spot_")


def market_of(stream: str) -> str:
    """`spot` or `futures`: the market family a stream belongs to."""
    return "spot" if is_spot_stream(stream) else "futures"


def newest_first_key(order: Mapping[str, Any]) -> tuple[int, int, str]:
    """Sort key (use with reverse=True) that puts the newest order first.

    Ties in cTime are frequent (bulk orders in one millisecond); Bitget order ids grow with time, so the id
    breaks them, and the stream name makes the order total and deterministic across streams.
    """
    return (int(order["cTime"]), int(order["orderId"]), str(order.get("stream", "")))

"""How an open order looks at a moment: the row the open-order endpoints serve (BITGET_API.md §12).

The stored order holds its final values (what the history serves once it finishes). While it is open it shows
status `live`, or `partially_filled` once part of it filled: an order that ends with something filled fills a
seeded share of its amount at a seeded moment of its life, at its final average price; `uTime` is then the time
of that partial fill (else cTime). Plan orders are `live` and untriggered until they finish.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.data import fmt, spot_fmt
from sandbox.markets import Coins

Order = Mapping[str, Any]


def open_row(order: Order, stream: str, coins: Coins, now_ms: int) -> dict[str, Any]:
    """The row of `order` (open at `now_ms`) as `stream`'s open-order endpoint shows it."""
    if stream == "spot_plan":
        return {**order, "status": "live", "uTime": order["cTime"]}
    if stream.endswith("_plan"):
        return {
            **order,
            "planStatus": "live",
            "executeOrderId": "",
            "priceAvg": "",
            "baseVolume": "0",
            "uTime": order["cTime"],
        }
    filled_at, share = partial_fill(order)
    partly = filled_at is not None and filled_at <= now_ms
    if stream.startswith("spot_"):
        return _spot_row(order, stream, coins, share if partly else 0.0, filled_at if partly else None)
    return _futures_row(order, coins, share if partly else 0.0, filled_at if partly else None)


def partial_fill(order: Order) -> tuple[int | None, float]:
    """(time, share of the final amount) of the order's partial fill while open; (None, 0) when it has none.

    Seeded by the orderId, so every request and the truth see the same fill. Orders that end with nothing
    filled never partially fill; 40% of the others fill all at once when they finish."""
    if Decimal(order["baseVolume"] or "0") == 0:
        return None, 0.0
    draw = zlib.crc32(order["orderId"].encode())
    if draw % 10 < 4:
        return None, 0.0
    ctime, utime = int(order["cTime"]), int(order["uTime"])
    when = ctime + (utime - ctime) * (20 + draw % 61) // 100  # 20% .. 80% into its life
    share = 0.1 + (draw >> 8) % 81 / 100  # 10% .. 90% of the final amount
    return when, share


def _spot_row(order: Order, stream: str, coins: Coins, share: float, filled_at: int | None) -> dict[str, Any]:
    base = round(float(order["baseVolume"]) * share, coins.quantity_place)
    avg = float(order["priceAvg"]) if base else 0.0
    return {
        **order,
        "status": "partially_filled" if base else "live",
        "priceAvg": spot_fmt(avg, coins.price_place),
        "baseVolume": spot_fmt(base, coins.quantity_place),
        "quoteVolume": spot_fmt(base * avg, 8),
        "feeDetail": _scaled_fee_detail(order["feeDetail"], share) if base else "",
        "uTime": str(filled_at) if base and filled_at is not None else order["cTime"],
        "tpslType": "tpsl" if stream == "spot_tpsl" else "normal",
        "triggerPrice": None,
    }


def _futures_row(order: Order, coins: Coins, share: float, filled_at: int | None) -> dict[str, Any]:
    base = round(float(order["baseVolume"]) * share, coins.quantity_place)
    avg = float(order["priceAvg"]) if base else 0.0
    return {
        **order,
        "status": "partially_filled" if base else "live",
        "baseVolume": fmt(base, coins.quantity_place),
        "priceAvg": fmt(avg, coins.price_place) if base else "",
        "quoteVolume": fmt(base * avg, 8),
        "fee": fmt(float(order["fee"]) * share, 8) if base else "0",
        "totalProfits": "0",
        "uTime": str(filled_at) if base and filled_at is not None else order["cTime"],
    }


def _scaled_fee_detail(text: str, share: float) -> str:
    """Spot `feeDetail` (a JSON string) with its fees scaled to the filled share."""
    detail = json.loads(text)
    for entry in detail.values():
        for name in ("r", "t", "totalFee"):
            if name in entry:
                entry[name] = round(entry[name] * share, 10)
    return json.dumps(detail, separators=(",", ":"))

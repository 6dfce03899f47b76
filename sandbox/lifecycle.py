"""How an order lives: created at cTime, open on the book while cTime <= now < uTime, finished from uTime on.

History endpoints serve finished orders only (an order enters the history when it finishes, BITGET_API.md §12,
issue 10); open-order endpoints serve the open ones. Most orders finish within hours of their creation; the
profile's `open_share` of the orders that can rest on the book (limit orders, plan orders) finish late, between
one hour and `open_days` days after creation, so an order created long before a sync can finish after it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sandbox.clock import DAY_MS, HOUR_MS

LATE_MIN_MS = HOUR_MS


def can_rest(stream: str, order: Mapping[str, Any]) -> bool:
    """Orders that may wait on the book: spot, margin and futures limit orders (classic or unified), spot and
    futures plan orders."""
    if stream == "spot_plan" or stream.endswith("_plan"):
        return True
    if stream in ("spot_normal", "uta_SPOT", "uta_MARGIN") or stream.endswith("-FUTURES"):
        return order["orderType"] == "limit"
    return False


def make_late(
    orders: list[dict[str, Any]], stream: str, rng: random.Random, share: float, open_days: float
) -> None:
    """Give `share` of the orders that can rest a uTime of cTime + uniform(1 hour, open_days days).

    `orders` oldest first; one draw per order that can rest (two when it is late), so the orders before a
    given one are late or not whatever comes after them (the future orders never change the past ones)."""
    if share <= 0:
        return
    longest = max(LATE_MIN_MS, int(open_days * DAY_MS))
    for order in orders:
        if can_rest(stream, order) and rng.random() < share:
            order["uTime"] = str(int(order["cTime"]) + rng.randint(LATE_MIN_MS, longest))


def is_open(order: Mapping[str, Any], now_ms: int) -> bool:
    return int(order["cTime"]) <= now_ms < int(order["uTime"])


def is_finished(order: Mapping[str, Any], now_ms: int) -> bool:
    return int(order["uTime"]) <= now_ms

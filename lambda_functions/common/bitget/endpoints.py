"""Bitget endpoint paths used by this project (v2 classic, v3 unified), and their published rate limits.

Limits are requests per second (BITGET_API.md §2, §11, §12): spot history 20/s per UID, futures history 10/s
per UID, fills 10/s per UID, every v3 trade endpoint 20/s per UID, public endpoints 20/s per IP
(`/api/v2/public/time`'s 20/s is UNVERIFIED; CCXT and JK use 20).
"""

from __future__ import annotations

from lambda_functions.common.streams import (
    PLAN_SUFFIX,
    SPOT_PLAN,
    is_fill_stream,
    is_spot_stream,
    is_uta_stream,
)

SERVER_TIME = "/api/v2/public/time"
SPOT_SYMBOLS = "/api/v2/spot/public/symbols"
FUTURES_CONTRACTS = "/api/v2/mix/market/contracts"
SPOT_HISTORY_ORDERS = "/api/v2/spot/trade/history-orders"
SPOT_PLAN_HISTORY = "/api/v2/spot/trade/history-plan-order"
FUTURES_HISTORY_ORDERS = "/api/v2/mix/order/orders-history"
FUTURES_PLAN_HISTORY = "/api/v2/mix/order/orders-plan-history"
# Open (not yet finished) orders, read by incremental syncs (BITGET_API.md §12).
SPOT_OPEN_ORDERS = "/api/v2/spot/trade/unfilled-orders"
SPOT_OPEN_PLANS = "/api/v2/spot/trade/current-plan-order"
FUTURES_OPEN_ORDERS = "/api/v2/mix/order/orders-pending"
FUTURES_OPEN_PLANS = "/api/v2/mix/order/orders-plan-pending"
# Fills: each execution of an order, with its price and fee (BITGET_API.md §12).
SPOT_FILLS = "/api/v2/spot/trade/fills"
FUTURES_FILL_HISTORY = "/api/v2/mix/order/fill-history"
# Unified Trading Account (v3, BITGET_API.md §11): the mode probe, then one history per category.
UTA_SETTINGS = "/api/v3/account/settings"
UTA_HISTORY_ORDERS = "/api/v3/trade/history-orders"
UTA_FILLS = "/api/v3/trade/fills"
UTA_OPEN_ORDERS = "/api/v3/trade/unfilled-orders"

PUBLISHED_LIMITS: dict[str, float] = {
    SERVER_TIME: 20.0,
    SPOT_SYMBOLS: 20.0,
    FUTURES_CONTRACTS: 20.0,
    SPOT_HISTORY_ORDERS: 20.0,
    SPOT_PLAN_HISTORY: 20.0,
    FUTURES_HISTORY_ORDERS: 10.0,
    FUTURES_PLAN_HISTORY: 10.0,
    SPOT_OPEN_ORDERS: 20.0,
    SPOT_OPEN_PLANS: 20.0,
    FUTURES_OPEN_ORDERS: 10.0,
    FUTURES_OPEN_PLANS: 10.0,
    SPOT_FILLS: 10.0,
    FUTURES_FILL_HISTORY: 10.0,
    UTA_SETTINGS: 10.0,  # the doc gives no figure (UNVERIFIED): the conservative default
    UTA_HISTORY_ORDERS: 20.0,
    UTA_FILLS: 20.0,
    UTA_OPEN_ORDERS: 20.0,
}

# Paths not in the table get this conservative rate (the slowest published limit).
DEFAULT_LIMIT = 10.0


def history_path(stream: str) -> str:
    """The endpoint a stream (or an account unit's stream key, `spot_plan:BTCUSDT`) is paged on: its rate limit."""
    name = stream.partition(":")[0]
    if is_uta_stream(name):
        return UTA_FILLS if is_fill_stream(name) else UTA_HISTORY_ORDERS
    if is_fill_stream(name):
        return SPOT_FILLS if is_spot_stream(name) else FUTURES_FILL_HISTORY
    if name == SPOT_PLAN:
        return SPOT_PLAN_HISTORY
    if is_spot_stream(name):
        return SPOT_HISTORY_ORDERS
    return FUTURES_PLAN_HISTORY if name.endswith(PLAN_SUFFIX) else FUTURES_HISTORY_ORDERS

"""Bitget-like per-symbol files and worker summaries for the aggregator tests (no sandbox needed)."""

from __future__ import annotations

import random
import zlib
from typing import Any

from lambda_functions.common.keys import symbol_detail_key, symbol_orders_key
from lambda_functions.common.streams import newest_first_key

PREFIX = "bitget-results/"
EXECUTION = "exec-20260101-abc123"
BASE_MS = 1_760_000_000_000


def spot_order(symbol: str, order_id: int, c_time: int, stream: str = "spot_normal") -> dict[str, Any]:
    return {
        "userId": "1234567890",
        "symbol": symbol,
        "orderId": str(order_id),
        "clientOid": f"cli-{order_id}",
        "price": "64250.12",
        "size": "0.0150",
        "orderType": "limit",
        "side": "buy" if order_id % 2 else "sell",
        "status": "filled",
        "priceAvg": "64250.10",
        "baseVolume": "0.0150",
        "quoteVolume": "963.75",
        "enterPointSource": "API",
        "feeDetail": '{"newFees":{"c":0,"d":0,"deduction":false,"r":-0.00096,"t":-0.00096}}',
        "orderSource": "normal",
        "cTime": str(c_time),
        "uTime": str(c_time + 350),
        "stream": stream,
    }


def futures_order(symbol: str, order_id: int, c_time: int, stream: str = "USDT-FUTURES") -> dict[str, Any]:
    return {
        "symbol": symbol,
        "size": "0.5",
        "orderId": str(order_id),
        "clientOid": f"cli-{order_id}",
        "baseVolume": "0.5",
        "fee": "-0.0123",
        "price": "3150.5",
        "priceAvg": "3150.5",
        "status": "filled",
        "side": "sell",
        "force": "gtc",
        "totalProfits": "1.25",
        "posSide": "long",
        "marginCoin": "USDT",
        "quoteVolume": "1575.25",
        "leverage": "10",
        "marginMode": "crossed",
        "reduceOnly": "NO",
        "enterPointSource": "WEB",
        "tradeSide": "close",
        "posMode": "hedge_mode",
        "orderType": "market",
        "orderSource": "market",
        "cTime": str(c_time),
        "uTime": str(c_time + 20),
        "stream": stream,
    }


def make_orders(symbol: str, count: int, seed: int = 1, tie_every: int = 3) -> list[dict[str, Any]]:
    """`count` orders over spot and futures streams, with cTime ties, sorted newest first."""
    rng = random.Random(f"{symbol}-{seed}")
    orders = []
    c_time = BASE_MS
    for i in range(count):
        if i % tie_every:
            c_time -= rng.randint(1, 90_000)
        # 19 digits like Bitget's, growing with time, unique per symbol even within one millisecond
        order_id = int(f"{c_time}{zlib.crc32(symbol.encode()) % 1000:03d}{i % 1000:03d}")
        if i % 2:
            orders.append(spot_order(symbol, order_id, c_time, "spot_normal" if i % 4 == 1 else "spot_tpsl"))
        else:
            orders.append(futures_order(symbol, order_id, c_time))
    return sorted(orders, key=newest_first_key, reverse=True)


def write_symbol_file(store: Any, symbol: str, orders: list[dict], execution: str = EXECUTION) -> None:
    store.put_json(
        symbol_orders_key(PREFIX, execution, symbol),
        {"symbol": symbol, "execution": execution, "orders": orders},
    )
    store.put_json(symbol_detail_key(PREFIX, execution, symbol), {"symbol": symbol, "streams": {}})


def stream_detail(
    orders: int = 0,
    *,
    complete: bool = True,
    reason: str | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    rejected: list[dict[str, Any]] | None = None,
    rejected_rows: int | None = None,
) -> dict[str, Any]:
    """One `streams[<stream>]` entry of a worker detail file (CONTRACTS.md)."""
    return {
        "orders": orders,
        "pages": 1 + orders // 100,
        "complete": complete,
        "reason": reason,
        "not_applicable": False,
        "error": reason if not complete else None,
        "listed": True,
        "error_code": error_code,
        "error_message": error_message,
        "rejected_rows": len(rejected or []) if rejected_rows is None else rejected_rows,
        "rejected": rejected or [],
        "shards": 1,
    }


def write_detail(store: Any, symbol: str, streams: dict[str, dict], execution: str = EXECUTION) -> None:
    """A worker detail file with these `streams` entries (build them with `stream_detail`)."""
    store.put_json(symbol_detail_key(PREFIX, execution, symbol), {"symbol": symbol, "streams": streams})


def worker_summary(symbol: str, orders: int, execution: str = EXECUTION, **extra: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "symbol": symbol,
        "execution": execution,
        "orders": orders,
        "complete": True,
        "incomplete_streams": [],
        "symbol_not_found": False,
        "rejected_rows": 0,
        "errors": {},
        "requests": 12,
        "retries": 1,
        "http_429": 0,
        "duration_s": 1.5,
        "window": {"start_ms": BASE_MS - 86_400_000, "end_ms": BASE_MS, "clamped": False},
        "orders_key": symbol_orders_key(PREFIX, execution, symbol),
        "detail_key": symbol_detail_key(PREFIX, execution, symbol),
    }
    summary.update(extra)
    return summary


def catch_item(symbol: str, error: str = "ReadTimeout", cause: str = "worker timed out") -> dict[str, Any]:
    return {"symbol": symbol, "error": {"Error": error, "Cause": cause}}


class FakeClock:
    """Epoch seconds that advance by `step` on every call."""

    def __init__(self, start: float = BASE_MS / 1000, step: float = 0.5) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

"""Consolidated results documents for the database tests (CONTRACTS.md shapes: raw Bitget fields + stream/symbol)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

from lambda_functions.common.streams import newest_first_key

SYMBOLS = ("BTCUSDT", "ETHUSDT", "XRPUSDT")
STREAMS = ("spot_normal", "spot_tpsl", "USDT-FUTURES", "USDT-FUTURES_plan", "COIN-FUTURES")
BASE_ID = 1_115_965_643_967_582_214
BASE_MS = 1_700_000_000_000


def spot_order(i: int, stream: str, symbol: str) -> dict[str, Any]:
    fee = {
        "newFees": {"c": 0, "d": 0, "deduction": False, "r": -0.0001, "t": -0.0001, "totalDeductionFee": 0}
    }
    return {
        "userId": "1234567890", "symbol": symbol, "orderId": str(BASE_ID + i * 7), "clientOid": f"c-{i}",
        "price": "50000.00", "size": "0.0010000000000000", "orderType": "limit", "side": "buy" if i % 2 else "sell",
        "status": "filled", "priceAvg": "50000.00", "baseVolume": "0.001", "quoteVolume": "50.00",
        "enterPointSource": "API", "feeDetail": json.dumps(fee), "orderSource": "normal",
        "cTime": str(BASE_MS - (i // 3) * 1000), "uTime": str(BASE_MS - (i // 3) * 1000 + 5), "stream": stream,
    }  # fmt: skip


def futures_order(i: int, stream: str, symbol: str) -> dict[str, Any]:
    order = {
        "symbol": symbol, "size": "0.01", "orderId": str(BASE_ID + i * 7), "clientOid": f"f-{i}",
        "baseVolume": "0.01", "fee": "-0.004335", "price": "", "priceAvg": "2500.5", "status": "filled",
        "side": "buy", "force": "gtc", "totalProfits": "0", "posSide": "long", "marginCoin": "USDT",
        "quoteVolume": "25.005", "leverage": "20", "marginMode": "crossed", "enterPointSource": "API",
        "tradeSide": "open", "posMode": "hedge_mode", "orderType": "market", "orderSource": "market",
        "presetStopSurplusPrice": "", "presetStopLossPrice": "", "reduceOnly": "NO",
        "cTime": str(BASE_MS - (i // 3) * 1000), "uTime": str(BASE_MS - (i // 3) * 1000 + 9), "stream": stream,
    }  # fmt: skip
    if stream.endswith("_plan"):
        del order["status"]
        order.update({"planType": "normal_plan", "planStatus": "executed", "triggerPrice": "2400"})
    return order


def make_orders(count: int) -> list[dict[str, Any]]:
    """`count` orders over several symbols and spot/futures streams, newest first, with cTime ties."""
    orders = []
    for i in range(count):
        stream, symbol = STREAMS[i % len(STREAMS)], SYMBOLS[i % len(SYMBOLS)]
        build = spot_order if stream.startswith("spot_") else futures_order
        orders.append(build(i, stream, symbol))
    orders.sort(key=newest_first_key, reverse=True)
    return orders


def document_bytes(orders: list[dict[str, Any]], execution_arn: str = "arn:test") -> bytes:
    document: dict[str, Any] = {
        "execution": "exec",
        "execution_arn": execution_arn,
        "generated_at": "2026-01-01T00:00:00Z",
    }
    document.update({"orders": orders, "summary": {"total_orders": len(orders)}})
    return json.dumps(document).encode()


def write_document(path: Path, orders: list[dict[str, Any]]) -> Path:
    path.write_bytes(document_bytes(orders))
    return path


def file_source(path: Path) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: path.open("rb")


class BreakingReader(io.RawIOBase):
    """A byte stream that fails with a connection error after `fail_after` bytes (a dropped download)."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        self._data, self._pos, self._fail_after = data, 0, fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._fail_after:
            raise ConnectionResetError(
                "connection reset by peer while reading https://x.test/doc?X-Amz-Signature=s"
            )
        size = min(len(buffer), self._fail_after - self._pos, 8192)
        buffer[:size] = self._data[self._pos : self._pos + size]
        self._pos += size
        return size


def breaking_source(data: bytes, fail_after: int) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    @contextmanager
    def open_source() -> Iterator[IO[bytes]]:
        yield BreakingReader(data, fail_after)  # type: ignore[misc]

    return open_source

"""Test doubles for the worker's unit tests: a fake clock and an in-memory Bitget-like client."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lambda_functions.common.bitget import BitgetAPIError, BitgetError


class FakeClock:
    """Monotonic and wall time that only move when told to (or by `tick` per read)."""

    def __init__(self, start: float = 1000.0, wall_ms: int = 1_700_000_000_000, tick: float = 0.0) -> None:
        self.now = start
        self.wall = wall_ms
        self.tick = tick

    def monotonic(self) -> float:
        self.now += self.tick
        return self.now

    def wall_ms(self) -> int:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeStats:
    def __init__(self) -> None:
        self.requests = 0

    def snapshot(self) -> dict[str, Any]:
        return {"requests": self.requests, "retries": 0, "http_429": 0, "errors": 0, "per_path": {}}


def make_orders(
    n: int, *, newest_ms: int, step_ms: int = 1000, first_id: int = 10_000, symbol: str = "BTCUSDT"
) -> list[dict[str, Any]]:
    """`n` orders newest first, ids descending with time (as Bitget's ids grow with time)."""
    return [
        {"orderId": str(first_id + n - i), "cTime": str(newest_ms - i * step_ms), "symbol": symbol}
        for i in range(n)
    ]


class FakeClient:
    """Serves per-stream order lists with Bitget's paging rules (idLessThan, limit, inclusive time bounds).

    `orders[stream]` holds the rows of a stream (stream names as in lambda_functions.common.streams);
    `listed[market]` the symbols a market lists (missing market -> the list call fails); `fail` maps a stream
    to an exception raised on every history call of it (or a callable deciding per call). Like Bitget, a
    history call answers 40034 for a symbol its market does not list, unless that stream holds orders (a
    symbol delisted lately keeps its history).
    """

    def __init__(
        self,
        orders: dict[str, list[dict[str, Any]]] | None = None,
        listed: dict[str, set[str]] | None = None,
        fail: Mapping[str, BitgetError | Callable[[int], BitgetError | None]] | None = None,
        server_ms: int = 1_700_000_000_000,
    ) -> None:
        self.server_ms = server_ms
        self.orders = orders or {}
        self.listed = listed if listed is not None else {}
        self.fail = fail or {}
        self.stats = FakeStats()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _page(
        self,
        stream: str,
        symbol: str,
        start_ms: int | None,
        end_ms: int | None,
        id_less_than: str | None,
        limit: int,
    ):
        self.stats.requests += 1
        self.calls.append(
            (stream, {"start": start_ms, "end": end_ms, "idLessThan": id_less_than, "limit": limit})
        )
        failure = self.fail.get(stream)
        if callable(failure) and not isinstance(failure, BitgetError):
            failure = failure(len([c for c in self.calls if c[0] == stream]))
        if failure is not None:
            raise failure
        market = "spot" if stream.startswith("spot_") else stream.split("_plan")[0]
        if symbol not in self.listed.get(market, {symbol}) and not self.orders.get(stream):
            raise BitgetAPIError("40034", f"Parameter {symbol} does not exist", 400)
        rows = [
            r
            for r in self.orders.get(stream, [])
            if (start_ms is None or int(r["cTime"]) >= start_ms)
            and (end_ms is None or int(r["cTime"]) <= end_ms)
            and (id_less_than is None or int(r["orderId"]) < int(id_less_than))
        ]
        rows.sort(key=lambda r: int(r.get("orderId", 0)), reverse=True)
        return [dict(r) for r in rows[:limit]]

    def server_now_ms(self) -> int:
        return self.server_ms

    def uta_settings(self, timeout_s: float | None = None) -> dict:
        """A classic account: the v3 mode probe is refused (not counted: the tests count history requests)."""
        raise BitgetAPIError("40084", "You are in Classic Account mode", 400)

    def spot_symbols(self, symbol: str | None = None) -> list[dict]:
        return self._list("spot")

    def futures_contracts(self, product_type: str, symbol: str | None = None) -> list[dict]:
        return self._list(product_type)

    def _list(self, market: str) -> list[dict]:
        self.stats.requests += 1
        if market not in self.listed:
            raise BitgetError("list unavailable")
        return [{"symbol": s} for s in sorted(self.listed[market])]

    def spot_history_orders(
        self,
        symbol,
        *,
        start_ms=None,
        end_ms=None,
        id_less_than=None,
        limit=100,
        tpsl_type="normal",
        timeout_s=None,
    ):
        return self._page(f"spot_{tpsl_type}", symbol, start_ms, end_ms, id_less_than, limit)

    def spot_plan_history(self, symbol, *, start_ms, end_ms, id_less_than=None, limit=100, timeout_s=None):
        rows = self._page("spot_plan", symbol, start_ms, end_ms, id_less_than, limit)
        more = len(rows) == limit
        return {"nextFlag": more, "idLessThan": rows[-1]["orderId"] if rows else None, "orderList": rows}

    def futures_history_orders(
        self,
        product_type,
        *,
        symbol=None,
        start_ms=None,
        end_ms=None,
        id_less_than=None,
        limit=100,
        timeout_s=None,
    ):
        rows = self._page(product_type, symbol, start_ms, end_ms, id_less_than, limit)
        return {"entrustedList": rows, "endId": rows[-1]["orderId"] if rows else None}

    def futures_plan_history(
        self,
        product_type,
        plan_type,
        *,
        symbol=None,
        start_ms=None,
        end_ms=None,
        id_less_than=None,
        limit=100,
        timeout_s=None,
    ):
        rows = self._page(f"{product_type}_plan:{plan_type}", symbol, start_ms, end_ms, id_less_than, limit)
        return {"entrustedList": rows, "endId": rows[-1]["orderId"] if rows else None}

    def history_calls(self, stream: str) -> int:
        return sum(1 for name, _ in self.calls if name == stream)

"""Small stand-ins for the worker and aggregator handlers, honouring docs/CONTRACTS.md.

They let the orchestration be tested on its own: the fake worker writes the per-symbol files and returns a
summary of realistic size; the fake aggregator merges them, writes result.json and the final manifest (or, in
failure mode, the FAILED manifest).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.common.keys import manifest_key, result_key, symbol_detail_key, symbol_orders_key
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.streams import newest_first_key

PREFIX = "bitget-results/"


class SymbolNotFoundError(Exception):
    """What the fake worker raises for a symbol starting with BAD."""


def fake_orders(symbol: str, count: int = 3) -> list[dict[str, Any]]:
    base = sum(map(ord, symbol)) * 1000
    orders = [
        {
            "orderId": str(base + i),
            "cTime": str(1_700_000_000_000 + base + i),
            "symbol": symbol,
            "stream": "spot_normal",
        }
        for i in range(count)
    ]
    return sorted(orders, key=newest_first_key, reverse=True)


@dataclass
class FakeWorker:
    store: ResultsStore
    prefix: str = PREFIX
    gate: threading.Event | None = None  # when set, the worker waits for it (a long-running execution)
    seen_contexts: list[Any] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # every event the Map handed it

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.seen_contexts.append(context)
        self.events.append(event)
        if self.gate is not None:
            self.gate.wait(30)
        symbol, execution = event["symbol"], event["execution"]
        if symbol.startswith("BAD"):
            raise SymbolNotFoundError(f"symbol {symbol} does not exist")
        orders = fake_orders(symbol)
        orders_key = symbol_orders_key(self.prefix, execution, symbol)
        detail_key = symbol_detail_key(self.prefix, execution, symbol)
        self.store.put_json(orders_key, {"symbol": symbol, "execution": execution, "orders": orders})
        summary = summary_for(event, len(orders), orders_key, detail_key)
        self.store.put_json(detail_key, summary | {"streams": {}})
        return summary


def summary_for(event: dict[str, Any], count: int, orders_key: str, detail_key: str) -> dict[str, Any]:
    return {
        "symbol": event["symbol"],
        "execution": event["execution"],
        "orders": count,
        "complete": True,
        "incomplete_streams": [],
        "errors": {},
        "requests": 20,
        "retries": 1,
        "http_429": 0,
        "duration_s": 1.234,
        "window": {"start_ms": event["start_ms"], "end_ms": event["end_ms"], "clamped": False},
        "orders_key": orders_key,
        "detail_key": detail_key,
    }


@dataclass
class FakeAggregator:
    store: ResultsStore
    prefix: str = PREFIX
    fail_with: Exception | None = None
    failure_events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        execution = event["execution"]
        key = manifest_key(self.prefix, execution)
        manifest = self.store.get_json(key)
        now = dt.datetime.now(dt.UTC).isoformat()
        if event.get("mode") == "failure":
            self.failure_events.append(event)
            error = event["error"]
            self.store.put_json(
                key, manifest | {"status": "FAILED", "stopped_at": now, **_error_fields(error)}
            )
            return {"recorded": True}
        if self.fail_with is not None:
            raise self.fail_with
        response = self._aggregate(event)
        self.store.put_json(key, manifest | {"status": "SUCCEEDED", "stopped_at": now, "result": response})
        return response

    def _aggregate(self, event: dict[str, Any]) -> dict[str, Any]:
        orders: list[dict[str, Any]] = []
        errors = {r["symbol"]: r["error"]["Error"] for r in event["results"] if "error" in r}
        for result in event["results"]:
            if "orders_key" in result:
                orders += self.store.get_json(result["orders_key"])["orders"]
        orders.sort(key=newest_first_key, reverse=True)
        key = result_key(self.prefix, event["execution"])
        self.store.put_json(key, {"execution": event["execution"], "orders": orders})
        summary = {
            "total_orders": len(orders),
            "total_symbols_processed": len(event["results"]),
            "errors": errors,
        }
        return {"summary": summary, "s3_uri": self.store.uri(key), "s3_data_url": self.store.url(key)}


def _error_fields(error: dict[str, Any]) -> dict[str, Any]:
    return {"error": error.get("Error"), "cause": error.get("Cause")}

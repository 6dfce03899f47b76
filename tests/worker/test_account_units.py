"""Account units against the sandbox: the account's streams paged without a symbol list equal the union of
every symbol's truth; spot plan history is paged for the candidates only, and the report says which."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.common.account_scope import ACCOUNT_FUTURES, ACCOUNT_SPOT
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.worker.app import WorkerFunction
from tests.worker.test_sandbox_extraction import PROFILE, _install

pytestmark = pytest.mark.sandbox
SYMBOLS = [spec["symbol"] for spec in PROFILE["symbols"]]


@pytest.fixture
def exchange(make_sandbox):
    return make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)


@pytest.fixture
def worker(exchange, store) -> WorkerFunction:
    return _install(exchange, store)


def _orders(store, summary) -> list[dict[str, Any]]:
    with store.reader(summary["orders_key"]) as fh:
        return json.load(fh)["orders"]


def _truth(server, window, streams) -> set[tuple[str, str]]:
    rows = [
        order
        for symbol in SYMBOLS
        for order in server.truth(symbol, window["start_ms"], window["end_ms"])
        if order["stream"] in streams
    ]
    return {(o["stream"], o["orderId"]) for o in rows}


def test_futures_unit_equals_every_symbols_futures_truth(exchange, store, worker):
    summary = worker({"symbol": ACCOUNT_FUTURES, "execution": "acct"}, None)
    orders = _orders(store, summary)
    futures = {s for s in {o["stream"] for o in orders}}
    assert all(s.endswith(("-FUTURES", "-FUTURES_plan")) for s in futures)
    expected = {
        (o["stream"], o["orderId"])
        for symbol in SYMBOLS
        for o in exchange.truth(symbol, summary["window"]["start_ms"], summary["window"]["end_ms"])
        if not o["stream"].startswith("spot_")
    }
    assert {(o["stream"], o["orderId"]) for o in orders} == expected
    assert len(orders) == len(expected)  # no duplicates
    assert summary["complete"] and summary["account"] is True
    detail = store.get_json(summary["detail_key"])
    account = detail["account"]
    assert sum(account["orders_by_symbol"].values()) == len(orders)
    assert all(entry["complete"] and entry["symbol"] is None for entry in account["coverage"])
    # One query per stream, no symbol: no per-symbol probing of the market lists.
    paths = exchange.stats()["endpoints"]
    assert ep.FUTURES_CONTRACTS not in paths


def test_spot_unit_pages_spot_plan_for_candidate_symbols_only(exchange, store, worker):
    summary = worker(
        {"symbol": ACCOUNT_SPOT, "execution": "acct", "scope": {"spot_plan_symbols": ["EDGEUSDT"]}}, None
    )
    orders = _orders(store, summary)
    detail = store.get_json(summary["detail_key"])
    account = detail["account"]
    spot_symbols = {o["symbol"] for o in orders if o["stream"] in ("spot_normal", "spot_tpsl")}
    # EDGEUSDT has no spot_normal orders but one tpsl; named by the request anyway.
    assert set(account["spot_plan_symbols"]) == spot_symbols | {"EDGEUSDT"}
    window = summary["window"]
    expected = {
        (o["stream"], o["orderId"])
        for symbol in SYMBOLS
        for o in exchange.truth(symbol, window["start_ms"], window["end_ms"])
        if o["stream"] in ("spot_normal", "spot_tpsl")
        or (o["stream"] == "spot_plan" and o["symbol"] in account["spot_plan_symbols"])
    }
    assert {(o["stream"], o["orderId"]) for o in orders} == expected
    plan_keys = {e["key"] for e in account["coverage"] if e["stream"] == "spot_plan"}
    assert plan_keys == {f"spot_plan:{s}" for s in account["spot_plan_symbols"]}
    assert summary["complete"]
    # per-candidate counts are right
    for name, stream in detail["streams"].items():
        if name.startswith("spot_plan:"):
            symbol = name.split(":", 1)[1]
            assert stream["orders"] == sum(
                1 for o in orders if o["stream"] == "spot_plan" and o["symbol"] == symbol
            )


def test_the_aggregated_account_execution_counts_per_symbol_and_advances_the_sync_state(
    exchange, store, worker
):
    from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
    from lambda_functions.aggregator.settings import AggregatorSettings
    from lambda_functions.common import sync_state
    from lambda_functions.common.keys import manifest_key
    from tests.aggregator.factory import FakeClock
    from tests.worker.conftest import PREFIX

    scope = {"stream_starts": {}, "spot_plan_symbols": [], "since_last_sync": False}
    store.put_json(
        manifest_key(PREFIX, "acct"),
        {"execution": "acct", "status": "RUNNING", "symbols": ["ALL_SPOT", "ALL_FUTURES"], "account_id": "777",
         "account_scope": scope, "started_at": "2026-11-29T00:00:00.000Z", "execution_arn": "arn:x"},
    )  # fmt: skip
    end = exchange.now_ms()  # as the coordinator does: one window for every unit
    results = [
        worker({"symbol": unit, "execution": "acct", "scope": scope, "end_ms": end}, None)
        for unit in (ACCOUNT_SPOT, ACCOUNT_FUTURES)
    ]
    aggregator = AggregatorFunction(
        Dependencies(
            store=store, settings=AggregatorSettings(results_prefix=PREFIX, cleanup_per_symbol_files=False),
            clock=FakeClock(),
        )
    )  # fmt: skip
    response = aggregator(
        {"execution": "acct", "symbols": ["ALL_SPOT", "ALL_FUTURES"], "results": results}, None
    )
    summary = response["summary"]
    window = results[0]["window"]
    truth = [o for s in SYMBOLS for o in exchange.truth(s, window["start_ms"], window["end_ms"])]
    spot_plan = set(summary["spot_plan_symbols"])
    expected = [o for o in truth if o["stream"] != "spot_plan" or o["symbol"] in spot_plan]
    assert summary["total_orders"] == len(expected) and summary["complete"]
    by_symbol: dict[str, int] = {}
    for order in expected:
        by_symbol[order["symbol"]] = by_symbol.get(order["symbol"], 0) + 1
    assert summary["orders_by_symbol"] == dict(sorted(by_symbol.items()))
    assert response["account_id"] == "777" and response["scope"] == "account"
    state = sync_state.read(store, PREFIX, "777")
    assert state is not None
    keys = {e["key"] for e in summary["coverage"]}
    assert set(state["streams"]) == keys
    assert all(entry["synced_to_ms"] == window["end_ms"] for entry in state["streams"].values())
    assert state["spot_symbols"] == sorted(spot_plan)

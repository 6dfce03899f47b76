"""Account units against the sandbox: the account's streams paged without a symbol list equal the union of
every symbol's truth; spot plan history is paged for the candidates only, and the report says which."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_functions.common.account_scope import ACCOUNT_FUTURES, ACCOUNT_SPOT
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.worker import app
from tests.worker.test_sandbox_extraction import PROFILE, _install

pytestmark = pytest.mark.sandbox
SYMBOLS = [spec["symbol"] for spec in PROFILE["symbols"]]


@pytest.fixture
def exchange(make_sandbox, store):
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)
    _install(server, store)
    yield server
    app.set_dependencies(None)


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


def test_futures_unit_equals_every_symbols_futures_truth(exchange, store):
    summary = app.handler({"symbol": ACCOUNT_FUTURES, "execution": "acct"}, None)
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


def test_spot_unit_pages_spot_plan_for_candidate_symbols_only(exchange, store):
    summary = app.handler(
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

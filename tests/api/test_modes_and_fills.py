"""Unified accounts and fills through HTTP, end to end: the real coordinator, state machine, workers, aggregator
and ledger against the sandbox (SQLite and MariaDB), compared with the sandbox's own truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lambda_functions.common.streams import SIMULATION_PRODUCT_TYPES
from lambda_functions.common.timewindow import DAY_MS
from tests.api.test_account_history import ledger, run

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def kept_fills(client: Any, account: str) -> Counter[tuple[str, str]]:
    """(stream, tradeId) of every fill the ledger keeps for the account, counted (an export, streamed)."""
    answer = client.get(f"/accounts/{account}/fills/export", params={"format": "ndjson"})
    assert answer.status_code == 200, answer.text
    return Counter(
        (row["stream"], row["trade_id"]) for row in map(json.loads, answer.text.splitlines()) if row
    )


def window_of(result: dict[str, Any]) -> tuple[int, int]:
    coverage = result["summary"]["coverage"]
    return min(e["start_ms"] for e in coverage), max(e["end_ms"] for e in coverage)


def test_a_unified_account_is_extracted_whole_orders_and_fills_equal_to_the_truth(service) -> None:
    client, sandbox = service("uta")
    status = run(client, "/orders", {})
    result = status["result"]
    account = result["account_id"]
    assert (result["account_mode"], result["include_fills"]) == ("unified", True)
    start, end = window_of(result)
    orders = sandbox.truth(None, start, end)
    fills = sandbox.truth(None, start, end, kind="fills")
    assert orders and fills and all(o["stream"].startswith("uta_") for o in orders)
    kept = ledger(client, account)
    assert set(kept) == {(o["stream"], o["orderId"]) for o in orders} and max(kept.values()) == 1
    kept_f = kept_fills(client, account)
    assert set(kept_f) == {(f["stream"], f["execId"]) for f in fills} and max(kept_f.values()) == 1
    summary = result["summary"]
    assert (summary["total_orders"], summary["total_fills"]) == (len(orders), len(fills))
    # the execution's own fills, paged: the same set
    page = client.get(f"/orders/{status['executionArn']}/fills", params={"limit": 100}).json()
    assert page["fills"] and {f["stream"] for f in page["fills"]} <= {f["stream"] for f in fills}
    # the v3 fields reach the ledger's columns (one order checked against Bitget's own row)
    row = client.get(f"/accounts/{account}/orders", params={"limit": 1}).json()["orders"][0]
    truth_row = next(o for o in orders if o["orderId"] == row["order_id"])
    assert (row["size"], row["status"], row["price_avg"]) == (
        truth_row["qty"],
        truth_row["orderStatus"],
        truth_row["avgPrice"],
    )
    assert row["c_time"] == int(truth_row["createdTime"])


def test_a_classic_accounts_fills_equal_the_truth(service) -> None:
    client, sandbox = service("demo")
    status = run(client, "/orders", {})
    result = status["result"]
    assert (result["account_mode"], result["include_fills"]) == ("classic", True)
    start, end = window_of(result)
    simulated = tuple(SIMULATION_PRODUCT_TYPES)  # demo trading: not asked for by default
    fills = [
        f for f in sandbox.truth(None, start, end, kind="fills") if not f["stream"].startswith(simulated)
    ]
    kept = kept_fills(client, result["account_id"])
    assert {s for s, _ in kept} == {
        "spot_fills",
        "USDT-FUTURES_fills",
        "USDC-FUTURES_fills",
        "COIN-FUTURES_fills",
    }
    assert set(kept) == {(f["stream"], f["tradeId"]) for f in fills} and max(kept.values()) == 1
    assert result["summary"]["total_fills"] == len(fills)


def test_syncs_of_a_unified_account_keep_orders_finishing_late_and_every_fill(service) -> None:
    # GIVEN a living unified account (orders arrive as the clock moves, some stay open for days)
    profile = json.loads((Path(__file__).parents[2] / "sandbox" / "profiles" / "live.json").read_text())
    client, sandbox = service(profile | {"account_mode": "unified"})
    first = run(client, "/orders", {"since": "last_sync"})
    account = first["result"]["account_id"]
    start, _ = window_of(first["result"])
    open_at_first = {(o["stream"], o["orderId"]) for o in sandbox.truth(None, kind="open")}
    assert open_at_first and all(stream.startswith("uta_") for stream, _ in open_at_first)
    # WHEN the clock moves twice and the account is synced each time
    for days in (3, 5):
        sandbox.advance_clock(days * DAY_MS)
        status = run(client, f"/accounts/{account}/sync", {})
        assert status["result"]["account_mode"] == "unified"
    # THEN the ledger holds every order and fill of the span once, the late finishers included
    orders = {(o["stream"], o["orderId"]) for o in sandbox.truth(None, start)}
    fills = {(f["stream"], f["execId"]) for f in sandbox.truth(None, start, kind="fills")}
    kept, kept_f = ledger(client, account), kept_fills(client, account)
    assert set(kept) == orders and max(kept.values()) == 1
    assert set(kept_f) == fills and max(kept_f.values()) == 1
    assert open_at_first & orders, "orders open at the first sync finished since and are kept"

"""The account's history, kept: whole-account extraction, incremental syncs and the ledger, through HTTP, with
the real coordinator, state machine, workers and aggregator against the sandbox (SQLite and MariaDB)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from lambda_functions.common.streams import SIMULATION_PRODUCT_TYPES
from lambda_functions.common.timewindow import DAY_MS
from tests.api.test_end_to_end import wait_saved

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def run(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    started = client.post(path, json=body)
    assert started.status_code == 202, started.text
    status = wait_saved(client, started.json()["executionArn"])
    assert status["status"] == "SUCCEEDED" and status["database_info"]["state"] == "saved", status
    assert status["result"]["summary"]["complete"], status["result"]["summary"]["incomplete_streams"]
    return status


def ledger(client: Any, account: str) -> Counter[tuple[str, str]]:
    """(stream, orderId) of every order the ledger keeps for the account, counted (an export, streamed)."""
    answer = client.get(f"/accounts/{account}/orders/export", params={"format": "ndjson"})
    assert answer.status_code == 200, answer.text
    return Counter(
        (row["stream"], row["order_id"]) for row in map(json.loads, answer.text.splitlines()) if row
    )


def test_the_whole_account_equals_every_symbols_truth_and_the_ledger_keeps_it_once(service) -> None:
    client, sandbox = service("demo")
    status = run(client, "/orders", {})
    result = status["result"]
    account = result["account_id"]
    window = result["summary"]["coverage"][0]
    simulated = tuple(SIMULATION_PRODUCT_TYPES)  # demo trading: not asked for by default
    truth = [
        o
        for o in sandbox.truth(None, window["start_ms"], window["end_ms"])
        if not o["stream"].startswith(simulated)
    ]
    kept = ledger(client, account)
    assert set(kept) == {(o["stream"], o["orderId"]) for o in truth}
    assert max(kept.values()) == 1
    summary = result["summary"]
    assert summary["total_orders"] == len(truth)
    per_symbol = Counter(o["symbol"] for o in truth)
    assert summary["orders_by_symbol"] == dict(sorted(per_symbol.items()))
    assert set(summary["spot_plan_symbols"]) >= {o["symbol"] for o in truth if o["stream"] == "spot_plan"}
    # the execution's own view (links) answers as before
    page = client.get(f"/orders/{status['executionArn']}/database", params={"limit": 5}).json()
    assert page["pagination"]["total_orders"] == len(truth)
    # a second full extraction of the same account stores nothing twice
    run(client, "/orders", {"symbols": "all"})
    again = ledger(client, account)
    assert set(again) >= set(kept) and max(again.values()) == 1
    accounts = client.get("/accounts").json()["accounts"]
    assert [a["account_id"] for a in accounts] == [account]
    assert accounts[0]["orders_stored"] == len(again)


def test_three_syncs_with_orders_arriving_and_finishing_late_leave_the_ledger_equal_to_the_truth(
    service,
) -> None:
    client, sandbox = service("live")
    first = run(client, "/orders", {"since": "last_sync"})  # no earlier sync: the whole window
    account = first["result"]["account_id"]
    first_start = min(e["start_ms"] for e in first["result"]["summary"]["coverage"])
    open_at_first = {(o["stream"], o["orderId"]): o for o in sandbox.truth(None, kind="open")}
    assert open_at_first
    for days in (3, 5):
        sandbox.advance_clock(days * DAY_MS)
        status = run(client, f"/accounts/{account}/sync", {})
        assert status["result"]["scope"] == "account"
    truth = {(o["stream"], o["orderId"]) for o in sandbox.truth(None, first_start)}
    kept = ledger(client, account)
    assert set(kept) == truth  # nothing lost, nothing extra
    assert max(kept.values()) == 1  # and nothing twice
    late = [key for key in open_at_first if key in truth]
    assert late, "orders open at the first sync finished since and are kept"
    # each kept in its final form: the ledger's copy is the one with the newest uTime
    rows = {
        (row["stream"], row["order_id"]): row
        for row in map(json.loads, client.get(f"/accounts/{account}/orders/export", params={"format": "ndjson"}).text.splitlines())
    }  # fmt: skip
    final = {(o["stream"], o["orderId"]): o for o in sandbox.truth(None, first_start)}
    for key in late:
        assert rows[key]["u_time"] == int(final[key]["uTime"])
    summary = client.get(f"/accounts/{account}").json()
    assert summary["sync"]["last_execution"] and summary["sync"]["streams"]
    for stream in (s for s in summary["streams"] if s["coverage_scope"] == "account"):
        # the three syncs cover one span without a hole; only the moments since the last one are not covered
        (covered,) = stream["covered"]
        assert [(g["start_ms"], g["recoverable"]) for g in stream["gaps"]] in (
            [],
            [(covered["end_ms"], True)],
        )


def test_syncs_spaced_beyond_the_retention_report_an_unrecoverable_gap(service) -> None:
    client, sandbox = service("live")
    first = run(client, "/orders", {})
    account = first["result"]["account_id"]
    sandbox.advance_clock(100 * DAY_MS)
    summary = client.get(f"/accounts/{account}").json()
    assert "sync now" in (summary["sync"]["warning"] or "")  # the next sync would start past the edge
    run(client, f"/accounts/{account}/sync", {})
    summary = client.get(f"/accounts/{account}").json()
    normal = next(s for s in summary["streams"] if s["stream"] == "spot_normal")
    lost = [gap for gap in normal["gaps"] if not gap["recoverable"]]
    assert lost, normal
    first_end = max(e["end_ms"] for e in first["result"]["summary"]["coverage"] if e["key"] == "spot_normal")
    assert lost[0]["start_ms"] == first_end


def test_a_sync_for_another_account_is_refused(service) -> None:
    client, _ = service("demo")
    answer = client.post("/accounts/999/sync")
    assert answer.status_code == 409
    assert "belongs to account" in answer.json()["detail"]
    assert client.get("/orders/list").json()["executions"] == []

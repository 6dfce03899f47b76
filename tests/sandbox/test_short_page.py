"""The short_page fault: pages shorter than `limit` mid-stream, with the cursor of the last row returned."""

from __future__ import annotations

import time

import pytest
import requests

from tests.sandbox.bitget_http import get, page_all, rows_of

DAY = 86_400_000
SPOT = "/api/v2/spot/trade/history-orders"
SPOT_PLAN = "/api/v2/spot/trade/history-plan-order"
MIX = "/api/v2/mix/order/orders-history"
MIX_PLAN = "/api/v2/mix/order/orders-plan-history"
PROFILE = {
    "days": 80,
    "tie_share": 0.2,
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "orders": {"spot_normal": 250, "spot_plan": 250, "USDT-FUTURES": 250, "USDT-FUTURES_plan": 250},
        }
    ],
}


def queries() -> list[tuple[str, str, dict]]:
    """(stream, path, params) of one query per endpoint kind, over the last 89 days."""
    now = time.time_ns() // 1_000_000
    base = {"symbol": "BTCUSDT", "startTime": now - 89 * DAY, "endTime": now, "limit": 100}
    futures = {**base, "productType": "USDT-FUTURES"}
    return [
        ("spot_normal", SPOT, base),
        ("spot_plan", SPOT_PLAN, base),
        ("USDT-FUTURES", MIX, futures),
        ("USDT-FUTURES_plan", MIX_PLAN, {**futures, "planType": "normal_plan"}),
    ]


def expected_ids(server, stream: str, params: dict) -> list[str]:
    rows = server.truth("BTCUSDT", params["startTime"], params["endTime"])
    return [
        o["orderId"]
        for o in rows
        if o["stream"] == stream and params.get("planType") in (None, o.get("planType"))
    ]


@pytest.fixture
def server(make_sandbox):
    return make_sandbox(PROFILE, enforce_rate_limits=False)


def test_a_client_paging_until_an_empty_page_still_gets_everything(server) -> None:
    server.set_faults(short_page=0.7)
    for stream, path, params in queries():
        expected = expected_ids(server, stream, params)
        assert len(expected) > 100, stream
        assert [row["orderId"] for row in page_all(server, path, params)] == expected, stream
    counted = server.stats()["faults"]["short_page"]
    assert counted >= 8  # several short pages per endpoint, each counted where it happened


def test_a_client_stopping_on_a_short_page_loses_orders(server) -> None:
    server.set_faults(short_page=1.0)
    for stream, path, params in queries():
        got = [row["orderId"] for row in page_all(server, path, params, stop_on_short=True)]
        expected = expected_ids(server, stream, params)
        assert 0 < len(got) < len(expected), stream
        assert got == expected[: len(got)]  # what it got is right: it only stopped too early


def test_a_short_page_carries_the_cursor_of_its_last_row(server) -> None:
    server.set_faults(short_page=1.0)
    spot, plan, futures, _ = (params for _, _, params in queries())
    rows = get(server, SPOT, spot).json()["data"]
    assert 1 <= len(rows) < 100
    data = get(server, MIX, futures).json()["data"]
    assert 1 <= len(data["entrustedList"]) < 100
    assert data["endId"] == data["entrustedList"][-1]["orderId"]
    data = get(server, SPOT_PLAN, plan).json()["data"]
    assert 1 <= len(data["orderList"]) < 100
    assert (data["nextFlag"], data["idLessThan"]) == (True, data["orderList"][-1]["orderId"])
    # The rows it does return are the first ones of the full page, in order.
    server.set_faults()
    full = rows_of(get(server, SPOT_PLAN, plan).json()["data"])
    assert full[: len(data["orderList"])] == data["orderList"]


def test_short_pages_repeat_with_the_seed(server) -> None:
    _, path, params = queries()[0]
    lengths = []
    for _ in range(2):
        server.set_faults(short_page=0.5)
        lengths.append([len(get(server, path, params).json()["data"]) for _ in range(20)])
    assert lengths[0] == lengths[1]
    assert 100 in lengths[0] and min(lengths[0]) < 100


def test_endpoints_without_pages_and_single_row_pages_are_left_alone(server) -> None:
    server.set_faults(short_page=1.0)
    assert len(get(server, "/api/v2/spot/public/symbols", signed=False).json()["data"]) == 1
    _, path, params = queries()[0]
    assert len(get(server, path, {**params, "limit": 1}).json()["data"]) == 1
    assert "short_page" not in server.stats()["faults"]


def test_short_page_is_configured_like_the_other_faults(make_sandbox) -> None:
    server = make_sandbox({**PROFILE, "faults": {"short_page": 1.0}}, enforce_rate_limits=False)
    _, path, params = queries()[0]
    assert len(get(server, path, params).json()["data"]) < 100
    url = server.base_url + "/sandbox/faults"
    assert requests.post(url, json={"short_page": 0.25}, timeout=5).json()["faults"]["short_page"] == 0.25
    bad = requests.post(url, json={"short_page": 0.8, "reset": 0.3}, timeout=5)
    assert bad.status_code == 400
    assert "add up" in bad.json()["error"]

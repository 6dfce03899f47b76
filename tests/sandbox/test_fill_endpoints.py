"""The classic fill endpoints: spot fills and futures fill history (sandbox/fill_endpoints.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from sandbox.clock import DAY_MS
from tests.sandbox.bitget_http import get

SPOT_FILLS = "/api/v2/spot/trade/fills"
MIX_FILLS = "/api/v2/mix/order/fill-history"
SPOT_PLAN = "/api/v2/spot/trade/history-plan-order"
FUTURES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES")


@pytest.fixture(scope="module")
def classic():
    from sandbox import SandboxServer

    with SandboxServer("demo", seed=42, enforce_rate_limits=False) as server:
        yield server


def ok(server, path, params):
    body = get(server, path, params).json()
    assert body["code"] == "00000", body
    return body


def walk_spot(server, params):
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ok(server, SPOT_FILLS, {**params, **({"idLessThan": cursor} if cursor else {})})["data"]
        if not page:
            assert page == []
            return rows
        rows += page
        cursor = page[-1]["tradeId"]


def walk_mix(server, params):
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        data = ok(server, MIX_FILLS, {**params, **({"idLessThan": cursor} if cursor else {})})["data"]
        if not data["fillList"]:
            assert data == {"fillList": None, "endId": None}
            return rows
        assert data["endId"] == data["fillList"][-1]["tradeId"]
        rows += data["fillList"]
        cursor = data["endId"]


def strip(rows):
    return [{k: v for k, v in row.items() if k != "stream"} for row in rows]


def newest(rows):
    return sorted(rows, key=lambda row: (int(row["cTime"]), int(row["tradeId"])), reverse=True)


def test_spot_fills_need_a_symbol_like_spot_plan_history(classic) -> None:
    fills = get(classic, SPOT_FILLS, {})
    plan = get(classic, SPOT_PLAN, {})
    assert fills.status_code == plan.status_code == 400
    assert fills.json()["code"] == plan.json()["code"] == "40019"
    assert fills.json()["msg"] == plan.json()["msg"] == "Parameter symbol cannot be empty"
    assert get(classic, SPOT_FILLS, {"symbol": "BTCUSD"}).json()["code"] == "40034"


def test_windows_retention_and_spans(classic) -> None:
    now = classic.now_ms()
    old = {"startTime": now - 91 * DAY_MS, "endTime": now - 85 * DAY_MS}
    for path, params in [(SPOT_FILLS, {"symbol": "BTCUSDT"}), (MIX_FILLS, {"productType": "USDT-FUTURES"})]:
        response = get(classic, path, {**params, **old})
        assert (response.status_code, response.json()["code"], response.json()["msg"]) == (
            400,
            "43111",
            "param error time range illegal",
        )
    week = get(
        classic, MIX_FILLS, {"productType": "USDT-FUTURES", "startTime": now - 7 * DAY_MS - 1, "endTime": now}
    )
    assert (week.status_code, week.json()["code"], week.json()["msg"]) == (
        400,
        "00001",
        "startTime and endTime interval cannot be greater than 7 days",
    )
    assert isinstance(week.json()["requestTime"], str)  # mix envelopes carry a string requestTime
    fine = {"productType": "USDT-FUTURES", "startTime": now - 7 * DAY_MS, "endTime": now}
    assert ok(classic, MIX_FILLS, fine)["data"]["fillList"]
    # Only startTime: the 7 days after it; only endTime: the 7 days before it; neither: the last 7 days.
    after = ok(classic, MIX_FILLS, {"productType": "USDT-FUTURES", "startTime": now - 30 * DAY_MS})["data"]
    assert now - 30 * DAY_MS <= int(after["fillList"][-1]["cTime"]) <= int(after["fillList"][0]["cTime"])
    assert int(after["fillList"][0]["cTime"]) <= now - 23 * DAY_MS
    latest = ok(classic, MIX_FILLS, {"productType": "USDT-FUTURES", "limit": 100})["data"]["fillList"]
    assert (
        latest
        == strip(classic.truth(None, now - 7 * DAY_MS, kind="fills", stream="USDT-FUTURES_fills"))[:100]
    )
    spot_span = {"symbol": "BTCUSDT", "startTime": now - 89 * DAY_MS, "endTime": now + 2 * DAY_MS}
    assert get(classic, SPOT_FILLS, spot_span).json()["code"] == "40705"
    body = ok(classic, SPOT_FILLS, {"symbol": "BTCUSDT", "limit": 1})
    assert isinstance(body["requestTime"], int) and len(body["data"]) == 1


def test_the_whole_classic_account_walked_equals_the_fill_truth(classic) -> None:
    now = classic.now_ms()
    start = now - 90 * DAY_MS
    spot = []
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"):
        spot += walk_spot(classic, {"symbol": symbol, "startTime": start, "endTime": now})
    truth = strip(classic.truth(None, start, now, kind="fills", stream="spot_fills"))
    assert len(truth) > 3000 and newest(spot) == truth
    futures = []
    for product_type in FUTURES:
        low = start
        while low <= now:  # 7-day windows, oldest first
            high = min(now, low + 7 * DAY_MS)
            futures += walk_mix(classic, {"productType": product_type, "startTime": low, "endTime": high})
            low = high + 1
    truth = classic.truth(None, start, now, kind="fills")
    expected = strip(row for row in truth if row["stream"] != "spot_fills")
    assert {row["stream"] for row in truth} == {"spot_fills", *(f"{pt}_fills" for pt in FUTURES)}
    assert len(expected) > 2000 and newest(futures) == expected


def test_an_orders_fills_add_up_to_it(classic) -> None:
    orders = [o for o in classic.truth("ETHUSDT") if o["stream"] in ("spot_tpsl", "USDT-FUTURES")]
    filled = [o for o in orders if Decimal(o["baseVolume"])][:15]
    assert len({o["stream"] for o in filled}) == 2
    for order in filled:
        if order["stream"] == "spot_tpsl":
            rows = ok(classic, SPOT_FILLS, {"symbol": "ETHUSDT", "orderId": order["orderId"]})["data"]
            size, value = "size", "amount"
            detail = json.loads(order["feeDetail"], parse_float=Decimal)
            coin = next(name for name in detail if name != "newFees")
            assert sum(Decimal(r["feeDetail"]["totalFee"]) for r in rows) == detail[coin]["totalFee"]
            assert {r["feeDetail"]["feeCoin"] for r in rows} == {coin}
        else:
            query = {"productType": "USDT-FUTURES", "orderId": order["orderId"]}
            query |= {"startTime": int(order["cTime"]), "endTime": int(order["cTime"]) + 6 * DAY_MS}
            rows = ok(classic, MIX_FILLS, query)["data"]["fillList"]
            size, value = "baseVolume", "quoteVolume"
            assert sum(Decimal(r["feeDetail"][0]["totalFee"]) for r in rows) == Decimal(order["fee"])
        assert rows and {r["orderId"] for r in rows} == {order["orderId"]}
        assert sum(Decimal(r[size]) for r in rows) == Decimal(order["baseVolume"])
        assert sum(Decimal(r[value]) for r in rows) == Decimal(order["quoteVolume"])


def test_short_pages_and_strict_cursors(make_sandbox) -> None:
    profile = {
        "days": 6,
        "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 300, "USDT-FUTURES": 300}}],
    }
    server = make_sandbox(profile, enforce_rate_limits=False)
    truth_spot = strip(server.truth(None, kind="fills", stream="spot_fills"))
    truth_mix = strip(server.truth(None, kind="fills", stream="USDT-FUTURES_fills"))
    server.set_faults(short_page=0.6)
    assert newest(walk_spot(server, {"symbol": "BTCUSDT"})) == truth_spot
    assert newest(walk_mix(server, {"productType": "USDT-FUTURES"})) == truth_mix
    assert server.stats()["faults"]["short_page"] > 0
    server.set_faults()
    page = ok(server, SPOT_FILLS, {"symbol": "BTCUSDT", "idLessThan": truth_spot[3]["tradeId"], "limit": 2})
    assert page["data"] == truth_spot[4:6]


@pytest.mark.parametrize(
    ("path", "params"), [(SPOT_FILLS, {"symbol": "BTCUSDT"}), (MIX_FILLS, {"productType": "USDT-FUTURES"})]
)
def test_fill_endpoints_allow_10_per_second(sandbox, path, params) -> None:
    statuses = [get(sandbox, path, {**params, "limit": 1}).status_code for _ in range(13)]
    assert statuses[:10] == [200] * 10 and 429 in statuses

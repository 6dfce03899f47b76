"""Every /api/v2 endpoint: envelope, shapes, field sets, parameter and time-window errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.sandbox.bitget_http import get

DAY = 86_400_000
SPOT = "/api/v2/spot/trade/history-orders"
SPOT_PLAN = "/api/v2/spot/trade/history-plan-order"
MIX = "/api/v2/mix/order/orders-history"
MIX_PLAN = "/api/v2/mix/order/orders-plan-history"
SPOT_FIELDS = {
    "userId",
    "symbol",
    "orderId",
    "clientOid",
    "price",
    "size",
    "orderType",
    "side",
    "status",
    "priceAvg",
    "baseVolume",
    "quoteVolume",
    "enterPointSource",
    "feeDetail",
    "orderSource",
    "cTime",
    "uTime",
}
MIX_FIELDS = {
    "symbol",
    "size",
    "orderId",
    "clientOid",
    "baseVolume",
    "fee",
    "price",
    "priceAvg",
    "status",
    "side",
    "force",
    "totalProfits",
    "posSide",
    "marginCoin",
    "quoteVolume",
    "leverage",
    "marginMode",
    "enterPointSource",
    "tradeSide",
    "posMode",
    "orderType",
    "orderSource",
    "presetStopSurplusPrice",
    "presetStopLossPrice",
    "reduceOnly",
    "cTime",
    "uTime",
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_server_time_is_a_string_of_ms_and_request_time_a_number(sandbox) -> None:
    body = get(sandbox, "/api/v2/public/time", signed=False).json()
    assert body["msg"] == "success"
    assert isinstance(body["requestTime"], int)
    assert abs(int(body["data"]["serverTime"]) - now_ms()) < 5000


def test_spot_symbols_list_the_profile_spot_symbols_with_string_fields(sandbox) -> None:
    data = get(sandbox, "/api/v2/spot/public/symbols", signed=False).json()["data"]
    assert [row["symbol"] for row in data] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
    assert all(isinstance(value, str) for row in data for value in row.values())
    assert {"baseCoin", "quoteCoin", "pricePrecision", "quantityPrecision", "status"} <= set(data[0])
    one = get(sandbox, "/api/v2/spot/public/symbols", {"symbol": "ETHUSDT"}, signed=False).json()["data"]
    assert [row["symbol"] for row in one] == ["ETHUSDT"]


def test_contracts_need_product_type_case_insensitive(sandbox) -> None:
    missing = get(sandbox, "/api/v2/mix/market/contracts", signed=False)
    assert missing.status_code == 400
    assert missing.json()["code"] == "40019"
    assert "productType" in missing.json()["msg"]
    body = get(sandbox, "/api/v2/mix/market/contracts", {"productType": "coin-futures"}, signed=False).json()
    assert isinstance(body["requestTime"], str)
    assert [row["symbol"] for row in body["data"]] == ["BTCUSD", "ETHUSD"]
    assert body["data"][0]["supportMarginCoins"] == ["BTC"]
    demo = get(sandbox, "/api/v2/mix/market/contracts", {"productType": "SUSDT-FUTURES"}, signed=False).json()
    assert [(row["symbol"], row["baseCoin"], row["quoteCoin"]) for row in demo["data"]] == [
        ("SBTCSUSDT", "SBTC", "SUSDT")
    ]


def test_spot_history_rows_have_every_field_and_come_newest_first(sandbox) -> None:
    body = get(sandbox, SPOT, {"symbol": "BTCUSDT"}).json()
    rows = body["data"]
    assert isinstance(body["requestTime"], int)
    assert len(rows) == 100
    assert all(set(row) >= SPOT_FIELDS and isinstance(row["feeDetail"], str) for row in rows)
    ids = [int(row["orderId"]) for row in rows]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 100
    statuses = {
        row["status"] for row in get(sandbox, SPOT, {"symbol": "BTCUSDT", "limit": 100}).json()["data"]
    }
    assert statuses <= {"filled", "cancelled", "partially_fill"}
    assert "filled" in statuses


def test_spot_history_without_symbol_covers_all_spot_symbols(sandbox) -> None:
    rows = get(sandbox, SPOT, {}).json()["data"]
    assert len(rows) == 100
    assert {row["symbol"] for row in rows} > {"BTCUSDT"}


def test_spot_tpsl_is_its_own_stream(sandbox) -> None:
    rows = get(sandbox, SPOT, {"symbol": "BTCUSDT", "tpslType": "tpsl"}).json()["data"]
    truth_ids = {o["orderId"] for o in sandbox.truth("BTCUSDT") if o["stream"] == "spot_tpsl"}
    assert rows
    assert {row["orderId"] for row in rows} <= truth_ids
    bad = get(sandbox, SPOT, {"tpslType": "other"}).json()
    assert bad["code"] == "40020"
    assert "tpslType" in bad["msg"]


def test_spot_plan_requires_symbol_start_and_end(sandbox) -> None:
    now = now_ms()
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "symbol"),
        ({"symbol": "BTCUSDT"}, "startTime"),
        ({"symbol": "BTCUSDT", "startTime": now - DAY}, "endTime"),
    ]
    for params, missing in cases:
        body = get(sandbox, SPOT_PLAN, params).json()
        assert body["code"] == "40019"
        assert missing in body["msg"]
    data = get(
        sandbox, SPOT_PLAN, {"symbol": "BTCUSDT", "startTime": now - 89 * DAY, "endTime": now, "limit": 10}
    ).json()["data"]
    assert set(data) == {"nextFlag", "idLessThan", "orderList"}
    assert data["nextFlag"] is True
    assert data["idLessThan"] == data["orderList"][-1]["orderId"]


def test_futures_history_shape_and_hedge_mode_closes(sandbox) -> None:
    body = get(sandbox, MIX, {"productType": "USDT-FUTURES", "symbol": "BTCUSDT"}).json()
    data = body["data"]
    assert isinstance(body["requestTime"], str)
    assert set(data) == {"entrustedList", "endId"}
    rows = data["entrustedList"]
    assert len(rows) == 100
    assert data["endId"] == rows[-1]["orderId"]
    assert all(set(row) >= MIX_FIELDS for row in rows)
    all_rows = [o for o in sandbox.truth("BTCUSDT") if o["stream"] == "USDT-FUTURES"]
    assert {o["status"] for o in all_rows} == {"filled", "canceled"}
    assert any(
        o["side"] == "buy"
        and o["tradeSide"] == "close"
        and o["posSide"] == "long"
        and o["reduceOnly"] == "YES"
        for o in all_rows
    )
    assert any(o["orderType"] == "market" and o["price"] == "" for o in all_rows)


def test_futures_history_requires_a_known_product_type(sandbox) -> None:
    assert get(sandbox, MIX, {}).json()["code"] == "40019"
    bad = get(sandbox, MIX, {"productType": "SPOT"}).json()
    assert bad["code"] == "40020"
    assert "productType" in bad["msg"]


def test_futures_plan_requires_plan_type_and_filters_by_it(sandbox) -> None:
    missing = get(sandbox, MIX_PLAN, {"productType": "USDT-FUTURES"}).json()
    assert missing["code"] == "40019"
    assert "planType" in missing["msg"]
    assert get(sandbox, MIX_PLAN, {"productType": "USDT-FUTURES", "planType": "x"}).json()["code"] == "40020"
    rows = get(
        sandbox, MIX_PLAN, {"productType": "usdt-futures", "planType": "track_plan", "symbol": "BTCUSDT"}
    ).json()["data"]["entrustedList"]
    assert rows
    assert {row["planType"] for row in rows} == {"track_plan"}


def test_empty_pages_use_live_null_forms(sandbox) -> None:
    now = now_ms()
    for path, extra in [(MIX, {}), (MIX_PLAN, {"planType": "normal_plan"})]:
        params = {"productType": "USDT-FUTURES", "symbol": "BTCUSDT", "idLessThan": 1, **extra}
        assert get(sandbox, path, params).json()["data"] == {"entrustedList": None, "endId": None}
    plan = {"symbol": "BTCUSDT", "startTime": now - DAY, "endTime": now, "idLessThan": 1}
    assert get(sandbox, SPOT_PLAN, plan).json()["data"] == {
        "nextFlag": False,
        "idLessThan": None,
        "orderList": None,
    }
    body = get(sandbox, SPOT, {"symbol": "BTCUSDT", "idLessThan": 1}).json()
    assert (body["data"], body["msg"]) == ([], "success")  # spot history keeps [] unless asked otherwise


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (SPOT, {"symbol": "DOGEUSDT"}),
        (SPOT, {"symbol": "BTCUSDT_SPBL"}),
        (MIX, {"productType": "USDT-FUTURES", "symbol": "BTCUSDT_UMCBL"}),
        (MIX, {"productType": "COIN-FUTURES", "symbol": "BTCUSDT"}),
        ("/api/v2/spot/public/symbols", {"symbol": "SBTCSUSDT"}),
    ],
)
def test_unknown_symbol_is_40034_naming_it(sandbox, path, params) -> None:
    response = get(sandbox, path, params)
    assert response.status_code == 400
    assert response.json()["code"] == "40034"
    assert response.json()["msg"] == f"Parameter {params['symbol']} does not exist"


@pytest.mark.parametrize("name", ["limit", "startTime", "endTime", "idLessThan"])
def test_non_numeric_parameter_is_40020_naming_it(sandbox, name) -> None:
    body = get(sandbox, SPOT, {"symbol": "BTCUSDT", name: "abc"}).json()
    assert body["code"] == "40020"
    assert name in body["msg"]


def test_limit_above_100_is_capped_silently(sandbox) -> None:
    assert len(get(sandbox, SPOT, {"symbol": "BTCUSDT", "limit": 500}).json()["data"]) == 100
    assert len(get(sandbox, SPOT, {"symbol": "BTCUSDT", "limit": 7}).json()["data"]) == 7
    assert get(sandbox, SPOT, {"symbol": "BTCUSDT", "limit": 0}).json()["code"] == "40020"


def test_time_window_errors(sandbox) -> None:
    now = now_ms()
    cases = [
        ({"startTime": now, "endTime": now - 1}, "40707"),
        ({"startTime": now - 80 * DAY, "endTime": now + 11 * DAY}, "40705"),
        ({"startTime": now - 91 * DAY, "endTime": now - 89 * DAY}, "40704"),
        ({"endTime": now - 100 * DAY}, "40704"),
    ]
    for params, code in cases:
        for path, extra in [(SPOT, {}), (MIX, {"productType": "USDT-FUTURES"})]:
            body = get(sandbox, path, {"symbol": "BTCUSDT", **params, **extra}).json()
            assert body["code"] == code, (path, params, body)


def test_orders_in_the_window_only(sandbox) -> None:
    now = now_ms()
    start, end = now - 30 * DAY, now - 20 * DAY
    rows = get(sandbox, SPOT, {"symbol": "BTCUSDT", "startTime": start, "endTime": end}).json()["data"]
    assert rows
    assert all(start <= int(row["cTime"]) <= end for row in rows)


def test_order_id_filter_returns_that_order(sandbox) -> None:
    order = [o for o in sandbox.truth("ETHUSDT") if o["stream"] == "USDT-FUTURES"][5]
    rows = get(sandbox, MIX, {"productType": "USDT-FUTURES", "orderId": order["orderId"]}).json()["data"]
    assert [row["orderId"] for row in rows["entrustedList"]] == [order["orderId"]]


def test_unknown_path_is_404(sandbox) -> None:
    response = get(sandbox, "/api/v2/spot/trade/nothing-here", {})
    assert response.status_code == 404
    assert response.json()["code"] == "40404"

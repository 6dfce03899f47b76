"""Live Bitget's wire forms: padded spot decimals, market prices, `message` envelopes, `data: null` pages."""

from __future__ import annotations

import time

import requests

from tests.sandbox.bitget_http import get, page_all

DAY = 86_400_000
SPOT = "/api/v2/spot/trade/history-orders"
MIX = "/api/v2/mix/order/orders-history"


def test_endpoints_and_truth_serve_the_same_strings(sandbox) -> None:
    now = time.time_ns() // 1_000_000
    window = {"symbol": "SOLUSDT", "startTime": now - 89 * DAY, "endTime": now}
    truth = {o["orderId"]: o for o in sandbox.truth("SOLUSDT", window["startTime"], window["endTime"])}
    spot = page_all(sandbox, SPOT, window)
    futures = page_all(sandbox, MIX, {**window, "productType": "USDT-FUTURES"})
    assert spot and futures
    for row in spot + futures:
        assert {**row, "stream": truth[row["orderId"]]["stream"]} == truth[row["orderId"]]
    over_http = requests.get(sandbox.base_url + "/sandbox/truth", params={"symbol": "SOLUSDT"}, timeout=10)
    by_id = {o["orderId"]: o for o in over_http.json()["orders"]}
    assert all(by_id[row["orderId"]]["size"] == row["size"] for row in spot)
    market = [row for row in spot if row["orderType"] == "market"]
    assert market and {row["price"] for row in market} == {"0"}
    assert all(len(row["priceAvg"].partition(".")[2]) == 16 for row in spot)
    assert {row["price"] for row in futures if row["orderType"] == "market"} == {""}


def test_envelope_message_key_renames_msg_on_spot_history_success_only(make_sandbox) -> None:
    server = make_sandbox("demo", envelope_message_key=True)
    body = get(server, SPOT, {"symbol": "BTCUSDT", "limit": 2}).json()
    assert set(body) == {"code", "message", "requestTime", "data"}
    assert (body["message"], type(body["requestTime"])) == ("success", int)
    error = get(server, SPOT, {"symbol": "NOPEUSDT"}).json()
    assert (error["code"], "msg" in error) == ("40034", True)
    futures = get(server, MIX, {"productType": "USDT-FUTURES", "limit": 1}).json()
    assert ("msg" in futures, type(futures["requestTime"])) == (True, str)


def test_empty_spot_history_null_answers_data_null_on_empty_pages_only(make_sandbox) -> None:
    server = make_sandbox({"symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 3}}]})
    assert get(server, SPOT, {"symbol": "BTCUSDT", "idLessThan": 1}).json()["data"] == []
    nulls = make_sandbox(
        {"empty_spot_history_null": True, "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 3}}]}
    )
    assert len(get(nulls, SPOT, {"symbol": "BTCUSDT"}).json()["data"]) == 3
    assert get(nulls, SPOT, {"symbol": "BTCUSDT", "idLessThan": 1}).json()["data"] is None
    assert get(nulls, SPOT, {"symbol": "BTCUSDT", "tpslType": "tpsl"}).json()["data"] is None
    assert len(page_all(nulls, SPOT, {"symbol": "BTCUSDT", "limit": 2})) == 3

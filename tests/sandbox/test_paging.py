"""Paging with idLessThan to the end returns exactly the ground truth, for every stream kind and count."""

from __future__ import annotations

import time

import pytest

from tests.sandbox.bitget_http import get, page_all

DAY = 86_400_000
COUNTS = (0, 1, 99, 100, 101, 250)


def window() -> tuple[int, int]:
    now = time.time_ns() // 1_000_000
    return now - 89 * DAY, now


def truth_ids(server, symbol, stream, start, end):
    return [o["orderId"] for o in server.truth(symbol, start, end) if o["stream"] == stream]


def crawl(server, symbol: str, stream: str, start: int, end: int) -> list[str]:
    base = {"symbol": symbol, "startTime": start, "endTime": end}
    if stream == "spot_normal":
        rows = page_all(server, "/api/v2/spot/trade/history-orders", base)
    elif stream == "spot_tpsl":
        rows = page_all(server, "/api/v2/spot/trade/history-orders", {**base, "tpslType": "tpsl"})
    elif stream == "spot_plan":
        rows = page_all(server, "/api/v2/spot/trade/history-plan-order", base)
    elif stream.endswith("_plan"):
        rows = []
        for plan_type in ("normal_plan", "track_plan", "profit_loss"):
            rows += page_all(
                server,
                "/api/v2/mix/order/orders-plan-history",
                {**base, "productType": stream[:-5], "planType": plan_type},
            )
        rows.sort(key=lambda row: int(row["orderId"]), reverse=True)
    else:
        rows = page_all(server, "/api/v2/mix/order/orders-history", {**base, "productType": stream})
    return [row["orderId"] for row in rows]


@pytest.mark.parametrize(
    ("symbol", "stream"),
    [
        ("BTCUSDT", "spot_normal"),
        ("BTCUSDT", "spot_tpsl"),
        ("BTCUSDT", "spot_plan"),
        ("BTCUSDT", "USDT-FUTURES"),
        ("BTCUSDT", "USDT-FUTURES_plan"),
        ("BTCUSD", "COIN-FUTURES"),
        ("BTCPERP", "USDC-FUTURES_plan"),
        ("SBTCSUSDT", "SUSDT-FUTURES"),
    ],
)
def test_demo_streams_page_to_truth(make_sandbox, symbol, stream) -> None:
    server = make_sandbox("demo", enforce_rate_limits=False)
    start, end = window()
    expected = truth_ids(server, symbol, stream, start, end)
    assert expected
    assert crawl(server, symbol, stream, start, end) == expected


def edge_profile(count: int) -> dict:
    streams = {
        "spot_normal": count,
        "spot_tpsl": count,
        "spot_plan": count,
        "USDT-FUTURES": count,
        "USDT-FUTURES_plan": count,
    }
    return {"days": 80, "tie_share": 0.2, "symbols": [{"symbol": "BTCUSDT", "orders": streams}]}


@pytest.mark.parametrize("count", COUNTS)
def test_exact_counts_page_to_truth(make_sandbox, count) -> None:
    server = make_sandbox(edge_profile(count), enforce_rate_limits=False)
    start, end = window()
    for stream in ("spot_normal", "spot_tpsl", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan"):
        expected = truth_ids(server, "BTCUSDT", stream, start, end)
        assert len(expected) == count
        assert crawl(server, "BTCUSDT", stream, start, end) == expected


@pytest.mark.slow
def test_ten_thousand_orders_page_to_truth(make_sandbox) -> None:
    profile = {"days": 80, "symbols": [{"symbol": "BTCUSDT", "orders": {"spot_normal": 10_000}}]}
    server = make_sandbox(profile, enforce_rate_limits=False)
    start, end = window()
    expected = truth_ids(server, "BTCUSDT", "spot_normal", start, end)
    assert len(expected) == 10_000
    assert crawl(server, "BTCUSDT", "spot_normal", start, end) == expected


def test_id_less_than_is_strict_and_ties_are_not_lost(make_sandbox) -> None:
    server = make_sandbox(edge_profile(250), enforce_rate_limits=False)
    first = get(server, "/api/v2/spot/trade/history-orders", {"symbol": "BTCUSDT", "limit": 3}).json()["data"]
    after = get(
        server,
        "/api/v2/spot/trade/history-orders",
        {"symbol": "BTCUSDT", "limit": 3, "idLessThan": first[0]["orderId"]},
    ).json()["data"]
    assert after[:2] == first[1:]
    ctimes = [o["cTime"] for o in server.truth("BTCUSDT") if o["stream"] == "spot_normal"]
    assert len(set(ctimes)) < len(ctimes)  # the profile asked for ties, and paging still matched truth above


def test_spot_plan_next_flag_turns_false_on_the_last_page(make_sandbox) -> None:
    server = make_sandbox(edge_profile(101), enforce_rate_limits=False)
    start, end = window()
    params = {"symbol": "BTCUSDT", "startTime": start, "endTime": end}
    first = get(server, "/api/v2/spot/trade/history-plan-order", params).json()["data"]
    second = get(
        server, "/api/v2/spot/trade/history-plan-order", {**params, "idLessThan": first["idLessThan"]}
    ).json()["data"]
    assert (first["nextFlag"], len(first["orderList"])) == (True, 100)
    assert (second["nextFlag"], len(second["orderList"])) == (False, 1)


def test_truth_excludes_orders_past_retention(sandbox) -> None:
    """BTCUSDT spot_normal spans 120 days in the demo profile: the oldest 30 days are out of reach."""
    now = time.time_ns() // 1_000_000
    truth = sandbox.truth("BTCUSDT")
    generated = sandbox.app.account.stream_orders("BTCUSDT", "spot_normal")
    assert min(int(o["cTime"]) for o in generated) < now - 95 * DAY
    assert all(int(o["cTime"]) >= now - 90 * DAY for o in truth)
    assert [o["stream"] for o in truth].count("spot_normal") < len(generated)

"""The unified account's v3 endpoints: gates, windows, cursor semantics, end forms, limits, truth (sandbox/v3.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox.clock import DAY_MS
from sandbox.profiles import UTA_CATEGORIES
from tests.sandbox.bitget_http import get

HISTORY = "/api/v3/trade/history-orders"
FILLS = "/api/v3/trade/fills"
UNFILLED = "/api/v3/trade/unfilled-orders"
V3 = (HISTORY, FILLS, UNFILLED)
SPAN = 30 * DAY_MS
CLASSIC_MSG = "You are in Classic Account mode, and the Unified Account API is not supported at this time"
UNIFIED_MSG = "You are in Unified Account mode, and the Classic Account API is not supported at this time"


@pytest.fixture(scope="module")
def uta():
    from sandbox import SandboxServer

    with SandboxServer("uta", seed=42, enforce_rate_limits=False) as server:
        yield server


def call(server, path, params=None, **kwargs):
    return get(server, path, params, offset_ms=server.app.clock.offset_ms, **kwargs)


def ok(server, path, params):
    body = call(server, path, params).json()
    assert body["code"] == "00000", body
    return body["data"]


def walk(server, path, params):
    """Every row of one query, following `cursor` until a null cursor (or an empty/null list); also returns the
    pages seen, to check the end forms."""
    rows: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        data = ok(server, path, {**params, **({"cursor": cursor} if cursor else {})})
        pages.append(data)
        rows += data["list"] or []
        if not data["list"] or data["cursor"] is None:
            return rows, pages
        cursor = data["cursor"]


def windows(now: int, days: int = 90, span: int = SPAN):
    """[start, end] windows of at most `span` covering the last `days` days up to `now`, oldest first."""
    start = now - days * DAY_MS
    while start <= now:
        end = min(now, start + span)
        yield start, end
        start = end + 1


def crawl_account(server, path, per_category=True, limit=100):
    """What a client gets for the whole account: every category, 30-day windows over the 90-day lookback."""
    now = server.now_ms()
    rows = []
    for category in UTA_CATEGORIES if per_category else [None]:
        for start, end in windows(now):
            params = {"startTime": start, "endTime": end, "limit": limit}
            rows += walk(server, path, {**params, **({"category": category} if category else {})})[0]
    return now, rows


def strip(rows):
    return [{k: v for k, v in row.items() if k != "stream"} for row in rows]


def by_id(rows, key):
    return sorted(rows, key=lambda row: int(row[key]), reverse=True)


def test_a_classic_account_gets_40084_on_every_v3_endpoint(sandbox) -> None:
    for path in V3:
        response = call(sandbox, path, {"category": "SPOT"})
        assert (response.status_code, response.json()["code"], response.json()["msg"]) == (
            400,
            "40084",
            CLASSIC_MSG,
        )
        assert response.json()["data"] is None
        assert call(sandbox, path, {"category": "SPOT"}, secret="wrong").json()["code"] == "40009"
    assert call(sandbox, HISTORY, {}).json()["code"] == "40084"  # the mode before the parameters


def test_a_unified_account_gets_40085_on_every_private_v2_endpoint_public_ones_work(uta) -> None:
    private = [
        ("/api/v2/spot/trade/fills", {"symbol": "BTCUSDT"}),
        ("/api/v2/mix/order/fill-history", {"productType": "USDT-FUTURES"}),
        ("/api/v2/spot/trade/history-orders", {}),
        ("/api/v2/mix/order/orders-history", {"productType": "USDT-FUTURES"}),
        ("/api/v2/spot/account/info", {}),
    ]
    for path, params in private:
        response = call(uta, path, params, passphrase="wrong")  # 40085 comes before the passphrase
        assert (response.status_code, response.json()["code"], response.json()["msg"]) == (
            400,
            "40085",
            UNIFIED_MSG,
        )
    symbols = {row["symbol"] for row in ok(uta, "/api/v2/spot/public/symbols", {})}
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"} <= symbols
    contracts = ok(uta, "/api/v2/mix/market/contracts", {"productType": "COIN-FUTURES"})
    assert {row["symbol"] for row in contracts} == {"BTCUSD", "ETHUSD"}
    assert ok(uta, "/api/v3/account/settings", {})["accountMode"] == "unified"


@pytest.mark.parametrize(
    ("path", "params", "code", "msg"),
    [
        (HISTORY, {}, "400172", "Parameter verification failed"),
        (HISTORY, {"category": "SWAP"}, "400172", "Parameter verification failed"),
        (FILLS, {"category": "SPOTS"}, "400172", "Parameter verification failed"),
        (UNFILLED, {"category": "spot-margin"}, "400172", "Parameter verification failed"),
        (HISTORY, {"category": "SPOT", "cursor": "abc"}, "400172", "Parameter verification failed"),
        (FILLS, {"limit": "0"}, "400172", "Parameter verification failed"),
        (FILLS, {"startTime": "soon"}, "400172", "Parameter verification failed"),
        (HISTORY, {"category": "SPOT", "symbol": "BTCUSD"}, "40034", "Parameter BTCUSD does not exist"),
        (
            FILLS,
            {"category": "COIN-FUTURES", "symbol": "BTCUSDT"},
            "40034",
            "Parameter BTCUSDT does not exist",
        ),
    ],
)
def test_bad_parameters(uta, path, params, code, msg) -> None:
    response = call(uta, path, params)
    assert (response.status_code, response.json()["code"], response.json()["msg"]) == (400, code, msg)


@pytest.mark.parametrize("path", [HISTORY, FILLS])
def test_the_30_day_rule_and_the_90_day_lookback(uta, path) -> None:
    now = uta.now_ms()
    base = {"category": "SPOT"}
    too_long = call(uta, path, {**base, "startTime": now - SPAN - 1, "endTime": now})
    assert (too_long.status_code, too_long.json()["code"], too_long.json()["msg"]) == (
        400,
        "00001",
        "startTime and endTime interval cannot be greater than 30 days",
    )
    assert call(uta, path, {**base, "startTime": now - SPAN, "endTime": now}).json()["code"] == "00000"
    old = call(uta, path, {**base, "startTime": now - 91 * DAY_MS, "endTime": now - 70 * DAY_MS})
    assert (old.status_code, old.json()["code"], old.json()["msg"]) == (
        400,
        "43111",
        "param error time range illegal",
    )
    edge = {**base, "startTime": now - 90 * DAY_MS + 5_000, "endTime": now - 61 * DAY_MS}
    assert call(uta, path, edge).json()["code"] == "00000"
    backwards = call(uta, path, {**base, "startTime": now, "endTime": now - 1})
    assert backwards.json()["code"] == "40707"


def test_default_windows_are_the_last_30_days_or_30_days_after_start(uta) -> None:
    now = uta.now_ms()
    rows, _ = walk(uta, HISTORY, {"category": "SPOT"})
    truth = strip(uta.truth(None, now - SPAN + 60_000, now, stream="uta_SPOT"))
    assert rows[: len(truth)] == truth and len(rows) - len(truth) <= 3  # the clock moved a little
    start = now - 80 * DAY_MS
    rows, _ = walk(uta, HISTORY, {"category": "SPOT", "startTime": start})
    assert rows == strip(uta.truth(None, start, start + SPAN, stream="uta_SPOT"))
    end = now - 40 * DAY_MS
    rows, _ = walk(uta, FILLS, {"category": "USDT-FUTURES", "endTime": end})
    assert rows == strip(uta.truth(None, end - SPAN, end, kind="fills", stream="uta_USDT-FUTURES_fills"))


def test_the_whole_account_walked_with_cursors_equals_the_truth(uta) -> None:
    now, orders = crawl_account(uta, HISTORY)
    truth = strip(uta.truth(None, now - 90 * DAY_MS, now))
    assert len(truth) > 2500
    assert by_id(orders, "orderId") == by_id(truth, "orderId")
    assert {row["category"] for row in orders} == set(UTA_CATEGORIES)
    now, fills = crawl_account(uta, FILLS, per_category=False)
    truth = strip(uta.truth(None, now - 90 * DAY_MS, now, kind="fills"))
    assert len(truth) > 2500
    assert by_id(fills, "execId") == truth  # truth: newest first by time, then id; ids grow with time


def test_every_order_of_the_walk_has_fills_adding_up_to_it(uta) -> None:
    now = uta.now_ms()
    start = now - 20 * DAY_MS  # fills of older orders may lie before the window; keep to recent orders
    orders, _ = walk(uta, HISTORY, {"category": "MARGIN", "startTime": start, "endTime": now})
    fills, _ = walk(uta, FILLS, {"category": "MARGIN", "startTime": start, "endTime": now})
    assert len(orders) > 20
    for order in orders:
        mine = [fill for fill in fills if fill["orderId"] == order["orderId"]]
        assert sum((Decimal(f["execQty"]) for f in mine), Decimal(0)) == Decimal(order["cumExecQty"])
        assert sum((Decimal(f["execValue"]) for f in mine), Decimal(0)) == Decimal(order["cumExecValue"])
        if mine:
            assert sum(Decimal(f["feeDetail"][0]["fee"]) for f in mine) == Decimal(
                order["feeDetail"][0]["fee"]
            )
            by_order = ok(uta, FILLS, {"orderId": order["orderId"], "startTime": start, "endTime": now})
            assert by_order["list"] == mine


def test_cursor_forms_at_the_end(uta) -> None:
    now = uta.now_ms()
    window = {"startTime": now - 25 * DAY_MS, "endTime": now, "limit": 100}
    rows, pages = walk(uta, HISTORY, {**window, "category": "SPOT"})
    assert len(pages) >= 2 and all(page["cursor"] == page["list"][-1]["orderId"] for page in pages[:-1])
    assert pages[-1]["list"] and pages[-1]["cursor"] is None  # the page with the oldest row ends the walk
    assert [int(r["orderId"]) for r in rows] == sorted((int(r["orderId"]) for r in rows), reverse=True)
    exclusive = ok(uta, HISTORY, {**window, "category": "SPOT", "cursor": rows[5]["orderId"], "limit": 2})
    assert exclusive["list"] == rows[6:8]
    rows, pages = walk(uta, FILLS, {**window, "category": "SPOT"})
    assert all(page["cursor"] == page["list"][-1]["execId"] for page in pages[:-1])
    assert pages[-1] == {"list": None, "cursor": None}  # fills: a null list after the last row
    empty = {"startTime": now - 89 * DAY_MS, "endTime": now - 88 * DAY_MS, "category": "USDC-FUTURES"}
    assert ok(uta, HISTORY, empty) == {"list": [], "cursor": None}
    assert ok(uta, FILLS, empty) == {"list": None, "cursor": None}


def test_short_pages_are_not_the_end(make_sandbox) -> None:
    profile = {"days": 25, "symbols": [{"symbol": "BTCUSDT", "orders": {"uta_SPOT": 400, "uta_MARGIN": 150}}]}
    server = make_sandbox(profile, account_mode="unified", enforce_rate_limits=False)
    server.set_faults(short_page=0.6)
    now = server.now_ms()
    window = {"startTime": now - 29 * DAY_MS, "endTime": now}
    for path, category, kind, stream in [
        (HISTORY, "SPOT", "orders", "uta_SPOT"),
        (FILLS, "MARGIN", "fills", "uta_MARGIN_fills"),
    ]:
        rows, pages = walk(server, path, {**window, "category": category})
        assert rows == strip(server.truth(None, window["startTime"], now, kind=kind, stream=stream))
        assert any(page["list"] and len(page["list"]) < 100 and page["cursor"] for page in pages)
    assert server.stats()["faults"]["short_page"] > 0


def test_unfilled_orders_are_the_open_truth(make_sandbox) -> None:
    profile = {
        "days": 20,
        "future_days": 20,
        "open_share": 0.5,
        "open_days": 10,
        "symbols": [
            {"symbol": "BTCUSDT", "orders": {"uta_SPOT": 200, "uta_MARGIN": 100, "uta_USDT-FUTURES": 200}}
        ],
    }
    server = make_sandbox(profile, account_mode="unified", enforce_rate_limits=False)
    assert ok(server, UNFILLED, {"category": "SPOT", "symbol": "BTCUSDT"})["list"]
    server.advance_clock(5 * DAY_MS)
    truth = strip(server.truth(None, kind="open"))
    assert len(truth) > 40
    rows, pages = walk(server, UNFILLED, {"limit": 7})
    assert by_id(rows, "orderId") == by_id(truth, "orderId") == rows
    assert pages[-1]["cursor"] is None
    assert {row["orderStatus"] for row in rows} == {"live", "partially_filled"}
    margin, _ = walk(server, UNFILLED, {"category": "MARGIN", "limit": 100})
    assert margin == [row for row in truth if row["category"] == "MARGIN"]
    idle = make_sandbox("uta", enforce_rate_limits=False, now_ms=server.now_ms() - 400 * DAY_MS)
    assert ok(idle, UNFILLED, {"category": "USDC-FUTURES"}) == {"list": [], "cursor": None}


def test_v3_limits_are_20_per_second_per_path(make_sandbox) -> None:
    server = make_sandbox("uta")
    responses = [call(server, HISTORY, {"category": "SPOT", "limit": 1}) for _ in range(24)]
    statuses = [r.status_code for r in responses]
    assert statuses[:20] == [200] * 20 and 429 in statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert (refused.json()["code"], refused.headers["x-mbx-used-remain-limit"]) == ("429", "0")
    assert responses[0].headers["x-mbx-used-remain-limit"] == "19"
    other = call(server, FILLS, {"limit": 1})
    assert other.status_code == 200 and other.headers["x-mbx-used-remain-limit"] == "19"


def test_envelope_and_http_truth(uta) -> None:
    body = call(uta, HISTORY, {"category": "USDT-FUTURES", "limit": 1}).json()
    assert body["msg"] == "success" and isinstance(body["requestTime"], int)
    row = body["data"]["list"][0]
    assert {"orderId", "clientOid", "category", "qty", "cumExecQty", "cumExecValue", "avgPrice"} <= set(row)
    assert {"orderStatus", "feeDetail", "createdTime", "updatedTime", "tradeSide", "marginMode"} <= set(row)
    import requests

    url = f"{uta.base_url}/sandbox/truth"
    http = requests.get(url, params={"kind": "fills", "symbol": "BTCPERP"}, timeout=10).json()
    assert http == {"fills": uta.truth("BTCPERP", kind="fills")}
    assert {row["stream"] for row in http["fills"]} == {"uta_USDC-FUTURES_fills"}
    orders = requests.get(url, params={"stream": "uta_MARGIN"}, timeout=10).json()["orders"]
    assert orders and {row["category"] for row in orders} == {"MARGIN"}


def test_a_classic_profile_runs_unified_from_its_classic_counts(make_sandbox) -> None:
    from sandbox.profiles import load_profile

    bench = load_profile("bench").symbols[0]
    assert bench.uta_orders == {
        "uta_SPOT": bench.orders["spot_normal"],
        "uta_USDT-FUTURES": bench.orders["USDT-FUTURES"],
    }
    profile = {
        "days": 20,
        "symbols": [
            {"symbol": "BTCUSDT", "orders": {"spot_normal": 120, "spot_tpsl": 30, "USDT-FUTURES": 80}},
            {"symbol": "SBTCSUSDT", "orders": {"SUSDT-FUTURES": 40}},
        ],
    }
    server = make_sandbox(profile, account_mode="unified", enforce_rate_limits=False)
    truth = server.truth(None)
    counts = {
        stream: sum(row["stream"] == stream for row in truth) for stream in ("uta_SPOT", "uta_USDT-FUTURES")
    }
    assert counts == {"uta_SPOT": 120, "uta_USDT-FUTURES": 80} and len(truth) == 200
    rows, _ = walk(server, HISTORY, {"category": "USDT-FUTURES", "symbol": "BTCUSDT"})
    assert len(rows) == 80
    assert (
        call(server, HISTORY, {"category": "USDT-FUTURES", "symbol": "SBTCSUSDT"}).json()["code"] == "40034"
    )
    classic = make_sandbox(profile, enforce_rate_limits=False)
    assert {row["stream"] for row in classic.truth(None)} == {
        "spot_normal",
        "spot_tpsl",
        "USDT-FUTURES",
        "SUSDT-FUTURES",
    }

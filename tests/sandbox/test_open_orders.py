"""The open-order endpoints: rows, paging newest first with idLessThan, filters, null forms, errors, limits."""

from __future__ import annotations

import pytest

from sandbox.clock import DAY_MS
from sandbox.data import PLAN_QUERY_TYPES
from tests.sandbox.bitget_http import get, page_all

UNFILLED = "/api/v2/spot/trade/unfilled-orders"
SPOT_PLANS = "/api/v2/spot/trade/current-plan-order"
PENDING = "/api/v2/mix/order/orders-pending"
PLAN_PENDING = "/api/v2/mix/order/orders-plan-pending"
STREAMS = ("spot_normal", "spot_tpsl", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan")


def busy_profile() -> dict:
    """Two symbols with many orders open at once (after the clock moves 10 days)."""
    orders = dict.fromkeys(STREAMS, 200)
    return {
        "days": 30,
        "future_days": 30,
        "open_share": 0.5,
        "open_days": 20,
        "symbols": [{"symbol": "BTCUSDT", "orders": orders}, {"symbol": "ETHUSDT", "orders": orders}],
    }


@pytest.fixture
def busy(make_sandbox):
    server = make_sandbox(busy_profile(), enforce_rate_limits=False)
    server.advance_clock(10 * DAY_MS)
    return server


def call(server, path, params=None, **kwargs):
    return get(server, path, params, offset_ms=server.app.clock.offset_ms, **kwargs)


def crawl(server, path, params):
    return page_all(server, path, params, offset_ms=server.app.clock.offset_ms)


def open_truth(server, stream, symbol=None):
    return [
        {k: v for k, v in o.items() if k != "stream"}
        for o in server.truth(symbol, kind="open")
        if o["stream"] == stream
    ]


@pytest.mark.parametrize("symbol", ["BTCUSDT", None])
def test_every_endpoint_pages_to_the_open_truth(busy, symbol) -> None:
    base = {"limit": 3, **({"symbol": symbol} if symbol else {})}
    assert crawl(busy, UNFILLED, base) == open_truth(busy, "spot_normal", symbol)
    assert crawl(busy, UNFILLED, {**base, "tpslType": "tpsl"}) == open_truth(busy, "spot_tpsl", symbol)
    assert crawl(busy, SPOT_PLANS, base) == open_truth(busy, "spot_plan", symbol)
    assert crawl(busy, PENDING, {**base, "productType": "usdt-futures"}) == open_truth(
        busy, "USDT-FUTURES", symbol
    )
    plans = []
    for plan_type in PLAN_QUERY_TYPES:
        plans += crawl(busy, PLAN_PENDING, {**base, "productType": "USDT-FUTURES", "planType": plan_type})
    plans.sort(key=lambda row: int(row["orderId"]), reverse=True)
    assert plans == open_truth(busy, "USDT-FUTURES_plan", symbol)
    assert len(open_truth(busy, "spot_normal", symbol)) > 10


def test_open_rows_show_what_has_filled_so_far(busy) -> None:
    now = busy.now_ms()
    stored = {o["orderId"]: o for o in busy.app.account.stream_orders("BTCUSDT", "spot_normal")}
    rows = crawl(busy, UNFILLED, {"symbol": "BTCUSDT"})
    statuses = {row["status"] for row in rows}
    assert statuses == {"live", "partially_filled"}
    for row in rows:
        final = stored[row["orderId"]]
        assert int(row["cTime"]) <= now < int(final["uTime"])
        assert row["tpslType"] == "normal"
        assert {k for k in final if final[k] != row[k]} <= {
            "status",
            "baseVolume",
            "quoteVolume",
            "priceAvg",
            "feeDetail",
            "uTime",
        }
        if row["status"] == "live":
            assert row["uTime"] == row["cTime"] and float(row["baseVolume"]) == 0 and row["feeDetail"] == ""
        else:
            assert int(row["cTime"]) < int(row["uTime"]) <= now
            assert 0 < float(row["baseVolume"]) < float(final["baseVolume"])
            assert row["priceAvg"] == final["priceAvg"]
    futures = crawl(busy, PENDING, {"productType": "USDT-FUTURES"})
    assert {row["status"] for row in futures} == {"live", "partially_filled"}
    assert all(row["priceAvg"] == "" for row in futures if row["status"] == "live")
    plans = crawl(busy, PLAN_PENDING, {"productType": "USDT-FUTURES", "planType": "normal_plan"})
    assert plans and {(row["planStatus"], row["executeOrderId"]) for row in plans} == {("live", "")}
    assert {row["status"] for row in crawl(busy, SPOT_PLANS, {})} == {"live"}


def test_pending_status_filter_and_order_id(busy) -> None:
    everything = crawl(busy, PENDING, {"productType": "USDT-FUTURES"})
    for status in ("live", "partially_filled"):
        rows = crawl(busy, PENDING, {"productType": "USDT-FUTURES", "status": status})
        assert rows == [row for row in everything if row["status"] == status]
    one = everything[len(everything) // 2]
    by_id = call(busy, PENDING, {"productType": "USDT-FUTURES", "orderId": one["orderId"]}).json()["data"]
    assert by_id == {"entrustedList": [one], "endId": one["orderId"]}
    by_client = call(busy, PENDING, {"productType": "USDT-FUTURES", "clientOid": one["clientOid"]}).json()
    assert by_client["data"]["entrustedList"] == [one]


def test_cursor_fields_and_time_filters(busy) -> None:
    first = call(busy, SPOT_PLANS, {}).json()["data"]
    assert len(first["orderList"]) == 20  # current-plan-order's default limit
    assert first["nextFlag"] is True and first["idLessThan"] == first["orderList"][-1]["orderId"]
    flags, cursor = [], None
    while True:
        params = {"limit": 7, **({"idLessThan": cursor} if cursor else {})}
        data = call(busy, SPOT_PLANS, params).json()["data"]
        if not data["orderList"]:
            break
        flags.append(data["nextFlag"])
        cursor = data["idLessThan"]
    assert len(flags) > 2 and flags[-1] is False and all(flags[:-1])
    page = call(busy, PENDING, {"productType": "USDT-FUTURES", "limit": 4}).json()["data"]
    assert page["endId"] == page["entrustedList"][-1]["orderId"]
    now = busy.now_ms()
    recent = crawl(busy, UNFILLED, {"startTime": now - 2 * DAY_MS, "endTime": now})
    assert recent and all(int(row["cTime"]) >= now - 2 * DAY_MS for row in recent)
    assert len(recent) < len(crawl(busy, UNFILLED, {}))


def test_empty_answers_use_the_null_forms(make_sandbox) -> None:
    server = make_sandbox("demo", enforce_rate_limits=False)  # nothing is open in the demo profile
    assert call(server, UNFILLED).json()["data"] == []
    assert call(server, SPOT_PLANS, {"symbol": "BTCUSDT"}).json()["data"] == {
        "nextFlag": False,
        "idLessThan": None,
        "orderList": None,
    }
    empty = {"entrustedList": None, "endId": None}
    assert call(server, PENDING, {"productType": "USDT-FUTURES"}).json()["data"] == empty
    query = {"productType": "USDT-FUTURES", "planType": "track_plan"}
    assert call(server, PLAN_PENDING, query).json()["data"] == empty
    assert server.truth(kind="open") == []


def test_spot_list_options_apply_to_unfilled_orders(make_sandbox) -> None:
    server = make_sandbox("demo", empty_spot_history_null=True, envelope_message_key=True)
    body = call(server, UNFILLED).json()
    assert (body["data"], body["message"]) == (None, "success")
    assert isinstance(body["requestTime"], int)
    assert isinstance(call(server, PENDING, {"productType": "USDT-FUTURES"}).json()["requestTime"], str)


@pytest.mark.parametrize(
    ("path", "params", "code", "msg"),
    [
        (PENDING, {}, "40019", "Parameter productType cannot be empty"),
        (PENDING, {"productType": "MARGIN"}, "40020", "Parameter productType error"),
        (PENDING, {"productType": "USDT-FUTURES", "status": "filled"}, "40020", "Parameter status error"),
        (
            PENDING,
            {"productType": "USDT-FUTURES", "symbol": "NOPEUSDT"},
            "40034",
            "Parameter NOPEUSDT does not exist",
        ),
        (PLAN_PENDING, {"productType": "USDT-FUTURES"}, "40019", "Parameter planType cannot be empty"),
        (PLAN_PENDING, {"productType": "USDT-FUTURES", "planType": "x"}, "40020", "Parameter planType error"),
        (PLAN_PENDING, {"planType": "normal_plan"}, "40019", "Parameter productType cannot be empty"),
        (UNFILLED, {"tpslType": "all"}, "40020", "Parameter tpslType error"),
        (UNFILLED, {"limit": 0}, "40020", "Parameter limit error"),
        (UNFILLED, {"idLessThan": "abc"}, "40020", "Parameter idLessThan error"),
        (UNFILLED, {"startTime": 20, "endTime": 10}, "40707", "Start time is greater than end time"),
        (
            SPOT_PLANS,
            {"startTime": 0, "endTime": 91 * DAY_MS},
            "40705",
            "The start and end time cannot exceed 90 days",
        ),
        (SPOT_PLANS, {"symbol": "BTCUSDT_SPBL"}, "40034", "Parameter BTCUSDT_SPBL does not exist"),
    ],
)
def test_bad_parameters_get_bitgets_errors(busy, path, params, code, msg) -> None:
    answer = call(busy, path, params)
    assert (answer.status_code, answer.json()["code"], answer.json()["msg"]) == (400, code, msg)


@pytest.mark.parametrize("path", [UNFILLED, SPOT_PLANS, PENDING, PLAN_PENDING])
def test_open_order_endpoints_are_signed(busy, path) -> None:
    answer = call(busy, path, {"productType": "USDT-FUTURES", "planType": "normal_plan"}, key=None)
    assert answer.json()["code"] == "40006"


@pytest.mark.parametrize(
    ("path", "limit"), [(UNFILLED, 20), (SPOT_PLANS, 20), (PENDING, 10), (PLAN_PENDING, 10)]
)
def test_rate_limits_per_key_like_the_history_siblings(make_sandbox, path, limit) -> None:
    server = make_sandbox("demo")
    params = {"productType": "USDT-FUTURES", "planType": "normal_plan"}
    answers = [get(server, path, params) for _ in range(limit + 1)]
    assert [a.status_code for a in answers[:limit]] == [200] * limit
    assert answers[-1].status_code == 429
    assert answers[0].headers["x-mbx-used-remain-limit"] == str(limit - 1)

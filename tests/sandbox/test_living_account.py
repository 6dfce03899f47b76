"""Time passes for the account: orders appear after the anchor (future_days), resting orders finish late
(open_share, open_days), the history serves finished orders only; existing profiles are unchanged."""

from __future__ import annotations

import hashlib
import json

import pytest

from sandbox.clock import DAY_MS, HOUR_MS
from sandbox.data import PLAN_QUERY_TYPES, generate_stream_orders
from sandbox.history import Account
from sandbox.lifecycle import can_rest
from sandbox.profiles import load_profile
from sandbox.truth import truth
from tests.sandbox.bitget_http import get, page_all

ANCHOR = 1_795_000_000_000
# sha256 of every generated order and of the truth at the anchor, per built-in profile, seed 42, computed with
# the sandbox as of commit 510481d, before the account became "living": future_days and open_share default to
# 0, so nothing may change.
BEFORE = {
    "demo": (
        "35f946152f6abcb88cd618607298b5cae9bcd563ee8709b8a506b1150b955e8b",
        "0cdfbde1aef78c594d98f26ae38321eb1135e494ea599286f1dccc6eeeb45c45",
    ),
    "bench": (
        "b95ec24f11ccc00ce6b2c25e1ab897ea5090d788332eae5ee0808b1891581068",
        "ff66e6768b81d039623aa08202e484c5338b3bdd6f1ba87477bffb62de9477c7",
    ),
}
RESTING = ("spot_normal", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan")


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_existing_profiles_generate_exactly_the_orders_they_did(name) -> None:
    profile = load_profile(name)
    account = Account(profile, 42, ANCHOR)
    orders, truths = hashlib.sha256(), hashlib.sha256()
    for spec in profile.symbols:
        for stream in spec.streams():
            orders.update(json.dumps(account.stream_orders(spec.symbol, stream), sort_keys=True).encode())
        truths.update(json.dumps(truth(account, spec.symbol, None, None, ANCHOR), sort_keys=True).encode())
    assert (orders.hexdigest(), truths.hexdigest()) == BEFORE[name]


def stream(count=300, days=60.0, **kwargs):
    return generate_stream_orders(9, "BTCUSDT", "spot_normal", count, ANCHOR, days, 0.05, **kwargs)


def test_future_orders_come_at_the_past_density_without_changing_the_past() -> None:
    past = stream()
    both = stream(future_days=90)
    future = [o for o in both if int(o["cTime"]) > ANCHOR]
    assert len(future) == round(300 * 90 / 60) == 450
    assert both[len(future) :] == past  # newest first: the past orders follow, unchanged
    assert all(ANCHOR < int(o["cTime"]) <= ANCHOR + 90 * DAY_MS for o in future)
    ids = [int(o["orderId"]) for o in both]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert max(int(o["uTime"]) for o in future) > ANCHOR + 89 * DAY_MS  # not capped at the anchor


def test_late_finishes_touch_only_the_utime_of_resting_orders() -> None:
    plain = stream(count=2000, future_days=30)
    late = stream(count=2000, future_days=30, open_share=0.3, open_days=20)
    assert len(plain) == len(late)
    changed = [(a, b) for a, b in zip(plain, late, strict=True) if a != b]
    for before, after in changed:
        assert {k for k in before if before[k] != after[k]} == {"uTime"}
        assert after["orderType"] == "limit"  # spot market orders cannot rest
        life = int(after["uTime"]) - int(after["cTime"])
        assert HOUR_MS <= life <= 20 * DAY_MS
    resting = [o for o in plain if can_rest("spot_normal", o)]
    assert 0.25 < len(changed) / len(resting) < 0.35
    assert any(int(a["uTime"]) > ANCHOR >= int(a["cTime"]) for _, a in changed)  # open at the anchor


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"future_days": -1}, "future_days"),
        ({"future_days": "10"}, "future_days"),
        ({"open_share": 1.5}, "open_share"),
        ({"open_days": 0.01}, "open_days"),
        ({"symbols_extra": {"future_days": {"spot_normal": -2}}}, "future_days"),
    ],
)
def test_bad_living_profile_keys_are_refused(raw, needle) -> None:
    symbol = {"symbol": "BTCUSDT", "orders": {"spot_normal": 1}}
    symbol.update(raw.pop("symbols_extra", {}))
    with pytest.raises(ValueError, match=needle):
        load_profile({**raw, "symbols": [symbol]})


def test_future_days_and_open_settings_per_symbol_and_per_stream() -> None:
    profile = load_profile(
        {
            "days": 30,
            "future_days": 10,
            "open_share": 0.1,
            "symbols": [
                {"symbol": "BTCUSDT", "orders": {"spot_normal": 30, "USDT-FUTURES": 30}},
                {
                    "symbol": "ETHUSDT",
                    "orders": {"spot_normal": 30},
                    "future_days": {"spot_normal": 60},
                    "open_share": 0,
                    "open_days": 2,
                },
            ],
        }
    )
    btc, eth = profile.symbols
    assert btc.future_days["spot_normal"] == btc.future_days["USDT-FUTURES"] == 10
    assert (btc.open_share, btc.open_days) == (0.1, 20)
    assert (eth.future_days["spot_normal"], eth.open_share, eth.open_days) == (60, 0, 2)
    account = Account(profile, 1, ANCHOR)
    assert len(account.stream_orders("ETHUSDT", "spot_normal")) == 30 + 60
    assert len(account.stream_orders("BTCUSDT", "USDT-FUTURES")) == 30 + 10
    merged = load_profile(
        {
            "future_days": {"spot_normal": 5},
            "symbols": [
                {"symbol": "BTCUSDT", "orders": {"spot_normal": 1}, "markets": ["spot", "USDT-FUTURES"]},
                {"symbol": "ETHUSDT", "orders": {"spot_normal": 1}, "future_days": {"spot_plan": 7}},
            ],
        }
    )
    assert merged.symbols[0].future_days == {
        "spot_normal": 5,
        "spot_tpsl": 0,
        "spot_plan": 0,
        "USDT-FUTURES": 0,
        "USDT-FUTURES_plan": 0,
    }
    assert merged.symbols[1].future_days == {"spot_normal": 5, "spot_tpsl": 0, "spot_plan": 7}


def test_live_profile_shape() -> None:
    live = load_profile("live")
    markets = sorted(spec.markets for spec in live.symbols)
    assert markets == [("USDT-FUTURES",), ("spot",), ("spot", "USDT-FUTURES"), ("spot", "USDT-FUTURES")]
    assert {(s.open_share, s.open_days) for s in live.symbols} == {(0.05, 20)}
    assert all(set(s.future_days.values()) == {120} for s in live.symbols)
    assert all(100 <= n <= 500 for s in live.symbols for n in s.orders.values() if n)


def history_ids(server, symbol: str, stream_name: str) -> list[str]:
    """Every history row of one stream, crawled over HTTP (signed with the server's clock)."""
    offset = server.app.clock.offset_ms
    if stream_name.startswith("spot_"):
        if stream_name == "spot_plan":
            now = server.now_ms()
            params = {"symbol": symbol, "startTime": now - 90 * DAY_MS + 60_000, "endTime": now}
            rows = page_all(server, "/api/v2/spot/trade/history-plan-order", params, offset_ms=offset)
        else:
            params = {"symbol": symbol, "tpslType": stream_name[5:]}
            rows = page_all(server, "/api/v2/spot/trade/history-orders", params, offset_ms=offset)
    elif stream_name.endswith("_plan"):
        rows = []
        for plan_type in PLAN_QUERY_TYPES:
            params = {"symbol": symbol, "productType": stream_name[:-5], "planType": plan_type}
            rows += page_all(server, "/api/v2/mix/order/orders-plan-history", params, offset_ms=offset)
        rows.sort(key=lambda row: int(row["orderId"]), reverse=True)
    else:
        params = {"symbol": symbol, "productType": stream_name}
        rows = page_all(server, "/api/v2/mix/order/orders-history", params, offset_ms=offset)
    return [row["orderId"] for row in rows]


def truth_ids(server, symbol: str, stream_name: str) -> list[str]:
    return [o["orderId"] for o in server.truth(symbol) if o["stream"] == stream_name]


def test_orders_appear_as_the_clock_passes_them(make_sandbox) -> None:
    server = make_sandbox("live", enforce_rate_limits=False)
    generated = server.app.account.stream_orders("BTCUSDT", "spot_normal")
    before = history_ids(server, "BTCUSDT", "spot_normal")
    assert before == truth_ids(server, "BTCUSDT", "spot_normal")
    assert max(int(o["cTime"]) for o in generated) > server.anchor_ms + 100 * DAY_MS  # they exist, unseen
    server.advance_clock(10 * DAY_MS)
    after = history_ids(server, "BTCUSDT", "spot_normal")
    assert after == truth_ids(server, "BTCUSDT", "spot_normal")
    now = server.now_ms()
    new = set(after) - set(before)
    by_id = {o["orderId"]: o for o in generated}
    created = {
        oid for oid, o in by_id.items() if server.anchor_ms < int(o["cTime"]) and int(o["uTime"]) <= now
    }
    assert created <= new  # every order created since the start, and finished, is there
    # The rest are older orders that were open at the start and finished since.
    assert all(
        int(by_id[oid]["cTime"]) <= server.anchor_ms < int(by_id[oid]["uTime"]) for oid in new - created
    )
    assert 40 <= len(created) <= 100  # 400 orders / 60 days: about 67 in 10 days
    assert all(int(o["cTime"]) <= now for o in server.truth())


def late_profile() -> dict:
    orders = dict.fromkeys(RESTING, 150)
    return {
        "days": 30,
        "future_days": 30,
        "open_share": 0.4,
        "open_days": 20,
        "symbols": [{"symbol": "BTCUSDT", "orders": orders}],
    }


def open_rows(server, stream_name: str, row: dict) -> list[dict]:
    """The open-order endpoint of `stream_name` for the symbol (and planType) of `row`."""
    offset = server.app.clock.offset_ms
    base = {"symbol": row["symbol"]}
    if stream_name == "spot_normal":
        path, params = "/api/v2/spot/trade/unfilled-orders", base
    elif stream_name == "spot_plan":
        path, params = "/api/v2/spot/trade/current-plan-order", base
    elif stream_name.endswith("_plan"):
        query = next(q for q, types in PLAN_QUERY_TYPES.items() if row["planType"] in types)
        path = "/api/v2/mix/order/orders-plan-pending"
        params = {**base, "productType": stream_name[:-5], "planType": query}
    else:
        path, params = "/api/v2/mix/order/orders-pending", {**base, "productType": stream_name}
    return page_all(server, path, params, offset_ms=offset)


@pytest.mark.parametrize("stream_name", RESTING)
def test_an_order_open_at_a_sync_finishes_after_it(make_sandbox, stream_name) -> None:
    server = make_sandbox(late_profile(), enforce_rate_limits=False)
    now = server.now_ms()
    stored = server.app.account.stream_orders("BTCUSDT", stream_name)
    # Created days before now, finishing days after: the order a cTime high-water mark would lose.
    order = next(
        o for o in stored if int(o["cTime"]) < now - 3 * DAY_MS and int(o["uTime"]) > now + 2 * DAY_MS
    )
    oid = order["orderId"]
    assert oid not in history_ids(server, "BTCUSDT", stream_name)
    assert oid not in {o["orderId"] for o in server.truth("BTCUSDT")}
    shown = {row["orderId"]: row for row in open_rows(server, stream_name, order)}
    assert oid in shown
    assert shown[oid] == {
        k: v
        for k, v in next(o for o in server.truth(kind="open") if o["orderId"] == oid).items()
        if k != "stream"
    }
    status = shown[oid].get("status", shown[oid].get("planStatus"))
    assert status in ("live", "partially_filled")

    server.advance_clock(int(order["uTime"]) - now + 1_000)
    assert oid in history_ids(server, "BTCUSDT", stream_name)
    assert oid not in {row["orderId"] for row in open_rows(server, stream_name, order)}
    final = next(o for o in server.truth("BTCUSDT") if o["orderId"] == oid)
    assert {k: v for k, v in final.items() if k != "stream"} == order  # its final values, old cTime


def test_history_pages_stay_exact_and_full_across_open_orders(make_sandbox) -> None:
    server = make_sandbox(late_profile(), enforce_rate_limits=False)
    server.advance_clock(10 * DAY_MS)  # many orders open now, interleaved with finished ones
    open_now = [o for o in server.truth(kind="open") if o["stream"] == "spot_normal"]
    assert len(open_now) >= 10
    offset = server.app.clock.offset_ms
    pages, cursor = [], None
    while True:
        params = {"symbol": "BTCUSDT", "limit": 7, **({"idLessThan": cursor} if cursor else {})}
        body = get(server, "/api/v2/spot/trade/history-orders", params, offset_ms=offset).json()
        pages.append(body["data"])
        if not body["data"]:
            break
        cursor = body["data"][-1]["orderId"]
    ids = [row["orderId"] for page in pages for row in page]
    assert ids == truth_ids(server, "BTCUSDT", "spot_normal")
    assert all(len(page) == 7 for page in pages[:-2])  # open orders are skipped, pages stay full
    assert not {o["orderId"] for o in open_now} & set(ids)


def test_spot_plan_next_flag_is_exact_when_open_orders_follow_the_last_finished_one(make_sandbox) -> None:
    server = make_sandbox(late_profile(), enforce_rate_limits=False)
    server.advance_clock(10 * DAY_MS)
    offset = server.app.clock.offset_ms
    now = server.now_ms()
    params = {"symbol": "BTCUSDT", "startTime": now - 89 * DAY_MS, "endTime": now, "limit": 9}
    flags, total = [], 0
    while True:
        data = get(server, "/api/v2/spot/trade/history-plan-order", params, offset_ms=offset).json()["data"]
        if not data["orderList"]:
            break
        flags.append(data["nextFlag"])
        total += len(data["orderList"])
        params["idLessThan"] = data["idLessThan"]
    assert total == len(truth_ids(server, "BTCUSDT", "spot_plan"))
    assert flags[-1] is False and all(flags[:-1])

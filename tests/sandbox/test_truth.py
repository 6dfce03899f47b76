"""The judge: `truth()` and `GET /sandbox/truth`, for one symbol or the whole account, kinds orders and open."""

from __future__ import annotations

import pytest
import requests

from sandbox.clock import DAY_MS, RETENTION_MS
from sandbox.history import StreamIndex

PROFILE = {
    "days": 100,
    "future_days": 20,
    "open_share": 0.3,
    "symbols": [
        {"symbol": "BTCUSDT", "orders": {"spot_normal": 300, "USDT-FUTURES_plan": 100}},
        {"symbol": "XRPUSDT", "markets": ["USDT-FUTURES"], "orders": {"USDT-FUTURES": 200}},
    ],
}


def admin_truth(server, **params) -> requests.Response:
    return requests.get(f"{server.base_url}/sandbox/truth", params=params, timeout=30)


@pytest.fixture
def server(make_sandbox):
    started = make_sandbox(PROFILE, enforce_rate_limits=False)
    started.advance_clock(5 * DAY_MS)
    return started


def test_orders_are_the_finished_ones_within_retention(server) -> None:
    now = server.now_ms()
    rows = server.truth()
    everything = [
        o
        for spec in server.profile.symbols
        for s in spec.streams()
        for o in server.app.account.stream_orders(spec.symbol, s)
    ]
    expected = {
        o["orderId"] for o in everything if now - RETENTION_MS <= int(o["cTime"]) and int(o["uTime"]) <= now
    }
    assert {o["orderId"] for o in rows} == expected
    assert any(int(o["cTime"]) > server.anchor_ms for o in rows)  # created after the start, finished since
    assert any(int(o["cTime"]) < now - RETENTION_MS for o in everything)  # some are past retention
    keys = [(int(o["cTime"]), int(o["orderId"]), o["stream"]) for o in rows]
    assert keys == sorted(keys, reverse=True)
    assert {o["stream"] for o in rows} == {"spot_normal", "USDT-FUTURES_plan", "USDT-FUTURES"}


def test_open_are_the_orders_on_the_book_now(server) -> None:
    now = server.now_ms()
    rows = server.truth(kind="open")
    stored = {
        o["orderId"]: o
        for spec in server.profile.symbols
        for s in spec.streams()
        for o in server.app.account.stream_orders(spec.symbol, s)
    }
    expected = {oid for oid, o in stored.items() if int(o["cTime"]) <= now < int(o["uTime"])}
    assert {o["orderId"] for o in rows} == expected and len(expected) > 10
    assert not expected & {o["orderId"] for o in server.truth()}
    assert {o.get("status", o.get("planStatus")) for o in rows} <= {"live", "partially_filled"}


def test_no_symbol_is_the_union_of_every_symbol(server) -> None:
    for kind in ("orders", "open"):
        union = server.truth("BTCUSDT", kind=kind) + server.truth("XRPUSDT", kind=kind)
        union.sort(key=lambda o: (int(o["cTime"]), int(o["orderId"]), o["stream"]), reverse=True)
        assert server.truth(kind=kind) == union
    assert server.truth("NOPEUSDT") == []


def test_bounds_narrow_by_ctime(server) -> None:
    now = server.now_ms()
    start, end = now - 30 * DAY_MS, now - 10 * DAY_MS
    rows = server.truth("BTCUSDT", start, end)
    assert rows and all(start <= int(o["cTime"]) <= end for o in rows)
    assert rows == [o for o in server.truth("BTCUSDT") if start <= int(o["cTime"]) <= end]
    early = server.truth(start_ms=0)
    assert early == server.truth()  # clipped to the retention anyway
    opened = server.truth(kind="open", start_ms=now - DAY_MS)
    assert opened == [o for o in server.truth(kind="open") if int(o["cTime"]) >= now - DAY_MS]


def test_http_truth_matches_in_process(server) -> None:
    assert admin_truth(server).json()["orders"] == server.truth()
    assert admin_truth(server, kind="open", symbol="XRPUSDT").json()["orders"] == server.truth(
        "XRPUSDT", kind="open"
    )
    now = server.now_ms()
    bounded = admin_truth(server, symbol="BTCUSDT", start_ms=now - 9 * DAY_MS, end_ms=now - DAY_MS).json()
    assert bounded["orders"] == server.truth("BTCUSDT", now - 9 * DAY_MS, now - DAY_MS)


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"kind": "closed"}, "kind"), ({"start_ms": "yesterday"}, "start_ms"), ({"end_ms": "-5"}, "end_ms")],
)
def test_bad_truth_queries_get_400(server, params, needle) -> None:
    answer = admin_truth(server, **params)
    assert answer.status_code == 400 and needle in answer.json()["error"]
    with pytest.raises(ValueError, match="kind"):
        server.truth(kind="everything")


def test_the_judge_does_not_use_the_endpoints_paging(server, monkeypatch) -> None:
    expected_orders, expected_open = server.truth(), server.truth(kind="open")

    def refuse(*args, **kwargs):
        raise AssertionError("truth went through the paging code")

    monkeypatch.setattr(StreamIndex, "page", refuse)
    monkeypatch.setattr(StreamIndex, "open_orders", refuse)
    monkeypatch.setattr(StreamIndex, "__init__", refuse)
    assert server.truth() == expected_orders
    assert server.truth(kind="open") == expected_open

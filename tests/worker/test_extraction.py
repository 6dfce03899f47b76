"""Extraction of one symbol with an in-memory client: streams, listings, slices, errors, results files."""

from __future__ import annotations

import json

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.streams import newest_first_key
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.worker.extraction import WorkerRequest, extract_symbol
from tests.worker.conftest import make_run
from tests.worker.fakes import FakeClient, FakeClock, make_orders

NOW = FakeClock().wall_ms()
ALL_MARKETS = {m: {"BTCUSDT"} for m in ("spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")}


def _read_orders(store, summary):
    with store.reader(summary["orders_key"]) as fh:
        return json.load(fh)


def test_orders_of_every_stream_are_written_newest_first_with_their_stream(store):
    client = FakeClient(
        {
            "spot_normal": make_orders(150, newest_ms=NOW - 10, first_id=1000),
            "spot_tpsl": make_orders(3, newest_ms=NOW - 5, first_id=5000),
            "USDT-FUTURES": make_orders(101, newest_ms=NOW - 7, first_id=9000),
        },
        listed={
            "spot": {"BTCUSDT"},
            "USDT-FUTURES": {"BTCUSDT"},
            "USDC-FUTURES": set(),
            "COIN-FUTURES": set(),
        },
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    document = _read_orders(store, summary)
    orders = document["orders"]
    assert list(document) == ["symbol", "execution", "orders"]
    assert summary["orders"] == len(orders) == 254
    assert orders == sorted(orders, key=newest_first_key, reverse=True)
    assert {o["stream"] for o in orders} == {"spot_normal", "spot_tpsl", "USDT-FUTURES"}
    assert len({(o["stream"], o["orderId"]) for o in orders}) == 254
    assert summary["complete"]
    assert summary["errors"] == {}
    assert summary["incomplete_streams"] == []
    # an unlisted futures market costs exactly one history request: Bitget's 40034 settles it
    assert client.history_calls("USDC-FUTURES") == client.history_calls("COIN-FUTURES") == 1
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDC-FUTURES"] == {
        "orders": 0,
        "pages": 0,
        "complete": True,
        "reason": "not_listed",
        "not_applicable": True,
        "error": None,
        "listed": False,
        "duration_s": 0.0,
    }
    assert detail["streams"]["spot_normal"]["pages"] == 2
    assert detail["streams"]["spot_normal"]["listed"] is True
    assert detail["smart_pagination"]["unlisted_markets_probed"] == 2
    assert detail["smart_pagination"]["unlisted_markets_with_orders"] == 0


def test_symbol_missing_from_the_lists_but_with_orders_is_paged_to_the_end(store):
    # A symbol delisted within the retention: no list has it any more, but its history is still there.
    spot = make_orders(250, newest_ms=NOW - 10, first_id=1000)
    futures = make_orders(101, newest_ms=NOW - 20, first_id=5000)
    client = FakeClient(
        {"spot_normal": spot, "COIN-FUTURES": futures},
        listed={m: {"ETHUSDT"} for m in ALL_MARKETS},
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert {(o["stream"], o["orderId"]) for o in orders} == {("spot_normal", o["orderId"]) for o in spot} | {
        ("COIN-FUTURES", o["orderId"]) for o in futures
    }
    assert summary["complete"]
    assert summary["errors"] == {}  # the symbol exists somewhere: not a symbol_not_found
    assert client.history_calls("spot_normal") == 3 and client.history_calls("COIN-FUTURES") == 2
    for stream in ("spot_tpsl", "USDT-FUTURES", "USDC-FUTURES"):
        assert client.history_calls(stream) == 1  # one probe, answered 40034
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["spot_normal"] | {"duration_s": 0} == {
        "orders": 250,
        "pages": 3,
        "complete": True,
        "reason": None,
        "not_applicable": False,
        "error": None,
        "listed": False,
        "duration_s": 0,
    }
    assert detail["streams"]["USDT-FUTURES"]["reason"] == "not_listed"
    assert detail["smart_pagination"]["unlisted_markets_probed"] == 5
    assert detail["smart_pagination"]["unlisted_markets_with_orders"] == 2


def test_symbol_listed_nowhere_is_one_symbol_not_found_and_one_request_per_stream(store):
    client = FakeClient(listed={m: {"ETHUSDT"} for m in ALL_MARKETS})
    summary = extract_symbol(
        WorkerRequest("BTCUSDT_UMCBL", "exec-1"), make_run(client, store, include_plan_orders=True)
    )
    assert summary["errors"] == {"symbol_not_found": 1}
    assert summary["orders"] == 0
    assert summary["complete"]
    # 9 streams (3 spot, 3 futures, 3 futures plan): one probe each, a plan stream's first planType only
    assert sorted(name for name, _ in client.calls) == sorted(
        ["spot_normal", "spot_tpsl", "spot_plan", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"]
        + [f"{pt}_plan:normal_plan" for pt in ("USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")]
    )
    assert "BTCUSDT" in store.get_json(summary["detail_key"])["hint"]


def test_40034_on_a_history_call_means_not_applicable_when_lists_are_unavailable(store):
    not_found = BitgetAPIError("40034", "Parameter BTCUSDT does not exist", 400)
    client = FakeClient(
        {"spot_normal": make_orders(5, newest_ms=NOW - 1)},
        listed={},  # every list call fails -> the history endpoint decides
        fail={
            "spot_tpsl": not_found,
            "USDT-FUTURES": not_found,
            "USDC-FUTURES": not_found,
            "COIN-FUTURES": not_found,
        },
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    assert summary["orders"] == 5
    assert summary["complete"]
    assert summary["errors"] == {}
    assert client.history_calls("USDC-FUTURES") == 1
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDC-FUTURES"]["not_applicable"]
    assert detail["streams"]["USDC-FUTURES"]["reason"] == "symbol_not_found"


def test_errors_are_categorised_and_keep_what_was_fetched(store):
    calls_until_failure = {"spot_normal": BitgetTimeoutError("read timeout")}
    client = FakeClient(
        {"USDT-FUTURES": make_orders(300, newest_ms=NOW - 1)},
        listed=ALL_MARKETS,
        fail={
            **calls_until_failure,
            "spot_tpsl": BitgetRateLimitError(),
            "USDT-FUTURES": lambda n: BitgetTransportError("reset") if n == 2 else None,
            "USDC-FUTURES": BitgetAPIError("40009", "sign signature error", 400),
            "COIN-FUTURES": BitgetAPIError("40017", "Parameter verification failed", 400),
        },
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    assert summary["errors"] == {
        "auth": 1,
        "client_error": 1,
        "rate_limit": 1,
        "server_error": 1,
        "timeout": 1,
    }
    assert not summary["complete"]
    assert sorted(summary["incomplete_streams"]) == sorted(
        ["spot_normal", "spot_tpsl", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"]
    )
    assert summary["orders"] == 100  # the first USDT-FUTURES page survived the failure of the second
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDT-FUTURES"] | {"duration_s": 0} == {
        "orders": 100,
        "pages": 1,
        "complete": False,
        "reason": "server_error",
        "not_applicable": False,
        "error": "server_error",
        "listed": True,
        "duration_s": 0,
    }


def test_unexpected_exception_in_a_stream_is_a_worker_error_not_a_crash(store):
    client = FakeClient(
        {"spot_normal": [{"cTime": str(NOW - 1)}]},  # no orderId: a shape the worker cannot use
        listed={"spot": {"BTCUSDT"}, "USDT-FUTURES": set(), "USDC-FUTURES": set(), "COIN-FUTURES": set()},
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    assert summary["errors"] == {"worker_error": 1}
    assert summary["incomplete_streams"] == ["spot_normal"]


def test_window_beyond_retention_is_clamped_and_says_so(store):
    client = FakeClient(listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}})
    start = NOW - 200 * DAY_MS
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", start, NOW), make_run(client, store))
    assert summary["window"] == {"start_ms": NOW - RETENTION_MS, "end_ms": NOW, "clamped": True}
    assert store.get_json(summary["detail_key"])["window"]["requested_start_ms"] == start
    assert all(call["start"] == NOW - RETENTION_MS for _, call in client.calls)


def test_long_window_is_sliced_and_border_orders_are_not_duplicated(store):
    end = NOW + 60 * DAY_MS  # a window reaching into the future: 150 days -> two slices
    border = end - 90 * DAY_MS
    rows = make_orders(5, newest_ms=border + 2, step_ms=1)  # border+2 .. border-2: straddles the border
    client = FakeClient({"spot_normal": rows}, listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}})
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", NOW - 80 * DAY_MS, end), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert [o["orderId"] for o in orders] == [r["orderId"] for r in rows]
    slices = [(c["start"], c["end"]) for s, c in client.calls if s == "spot_normal"]
    assert slices == [(border, end), (NOW - 80 * DAY_MS, border)]


def test_plan_streams_are_the_union_of_plan_types(store):
    client = FakeClient(
        {
            "spot_plan": make_orders(120, newest_ms=NOW - 1, first_id=100),
            "USDT-FUTURES_plan:normal_plan": make_orders(2, newest_ms=NOW - 1, first_id=1000),
            "USDT-FUTURES_plan:track_plan": make_orders(1, newest_ms=NOW - 1, first_id=2000),
            "USDT-FUTURES_plan:profit_loss": make_orders(3, newest_ms=NOW - 1, first_id=3000),
        },
        listed={
            "spot": {"BTCUSDT"},
            "USDT-FUTURES": {"BTCUSDT"},
            "USDC-FUTURES": set(),
            "COIN-FUTURES": set(),
        },
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e"), make_run(client, store, include_plan_orders=True))
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["spot_plan"]["orders"] == 120
    assert detail["streams"]["USDT-FUTURES_plan"]["orders"] == 6
    assert detail["streams"]["USDT-FUTURES_plan"]["pages"] == 3
    assert summary["orders"] == 126
    assert summary["complete"]


def test_simulation_markets_only_when_enabled(store):
    client = FakeClient(listed={m: set() for m in ALL_MARKETS} | {"SUSDT-FUTURES": {"BTCUSDT"}})
    off = store.get_json(extract_symbol(WorkerRequest("BTCUSDT", "a"), make_run(client, store))["detail_key"])
    on_run = make_run(client, store, include_simulation=True)
    on = store.get_json(extract_symbol(WorkerRequest("BTCUSDT", "b"), on_run)["detail_key"])
    assert "SUSDT-FUTURES" not in off["streams"]
    assert on["streams"]["SUSDT-FUTURES"]["not_applicable"] is False


def test_page_cap_marks_the_stream_incomplete_max_pages(store):
    client = FakeClient(
        {"USDT-FUTURES": make_orders(1000, newest_ms=NOW - 1)},
        listed={m: set() for m in ALL_MARKETS} | {"USDT-FUTURES": {"BTCUSDT"}},
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e"), make_run(client, store, futures_max_pages=4))
    assert summary["orders"] == 400
    assert summary["incomplete_streams"] == ["USDT-FUTURES"]
    assert summary["errors"] == {"max_pages": 1}


def test_exhausted_budget_marks_streams_incomplete_timeout(store):
    clock = FakeClock(tick=1.0)
    client = FakeClient(
        {"spot_normal": make_orders(10_000, newest_ms=NOW - 1)},
        listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}},
    )
    run = make_run(client, store, clock, max_execution_time=20, budget_safety_margin_s=1)
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e"), run)
    assert "spot_normal" in summary["incomplete_streams"]
    assert summary["errors"] == {"timeout": len(summary["incomplete_streams"])}
    assert 0 < summary["orders"] < 10_000
    # An unlisted market whose one probe the budget could not afford is incomplete too, never "not applicable"
    # (threads share the ticking clock, so which probes got through before the budget ran out varies).
    detail = store.get_json(summary["detail_key"])
    for name in ("USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES"):
        stream = detail["streams"][name]
        assert (
            stream["not_applicable"]
            == (stream["reason"] == "not_listed")
            == (client.history_calls(name) == 1)
        )

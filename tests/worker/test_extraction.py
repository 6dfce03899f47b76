"""Extraction of one symbol with an in-memory client: streams, listings, slices, errors, results files."""

from __future__ import annotations

import json
from decimal import Decimal

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.streams import newest_first_key
from lambda_functions.common.timewindow import DAY_MS, RETENTION_MS
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.extraction import extract_symbol
from lambda_functions.worker.window import MAX_SPAN_MS, RETENTION_EDGE_MARGIN_MS
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
    # a USDT-quoted symbol cannot exist in USDC- or COIN-FUTURES: those markets are not asked at all
    assert client.history_calls("USDC-FUTURES") == client.history_calls("COIN-FUTURES") == 0
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDC-FUTURES"] | {"duration_s": 0} == {
        "orders": 0,
        "pages": 0,
        "shards": 0,
        "complete": True,
        "reason": "name_rule",
        "not_applicable": True,
        "error": None,
        "error_code": None,
        "error_message": None,
        "rejected_rows": 0,
        "rejected": [],
        "second_passes": 0,
        "rows_outside_query": 0,
        "listed": False,
        "duration_s": 0,
    }
    assert detail["streams"]["spot_normal"]["pages"] == 3  # 100 + 50 + the empty page that proves the end
    assert detail["streams"]["spot_normal"]["listed"] is True
    assert detail["smart_pagination"]["requests_saved_by_name"] == 2
    assert detail["smart_pagination"]["unlisted_markets_probed"] == 0
    assert detail["smart_pagination"]["unlisted_markets_with_orders"] == 0


def test_symbol_missing_from_the_lists_but_with_orders_is_paged_to_the_end(store):
    # A symbol delisted within the retention: no list has it any more, but its history is still there.
    spot = make_orders(250, newest_ms=NOW - 10, first_id=1000, symbol="BTCUSD")
    futures = make_orders(101, newest_ms=NOW - 20, first_id=5000, symbol="BTCUSD")
    client = FakeClient(
        {"spot_normal": spot, "COIN-FUTURES": futures},
        listed={m: {"ETHUSDT"} for m in ALL_MARKETS},
    )
    summary = extract_symbol(WorkerRequest("BTCUSD", "exec-1"), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert {(o["stream"], o["orderId"]) for o in orders} == {("spot_normal", o["orderId"]) for o in spot} | {
        ("COIN-FUTURES", o["orderId"]) for o in futures
    }
    assert summary["complete"]
    assert summary["errors"] == {}  # the symbol exists somewhere: not a symbol_not_found
    assert client.history_calls("spot_normal") == 4 and client.history_calls("COIN-FUTURES") == 3
    assert client.history_calls("spot_tpsl") == 1  # one probe, answered 40034
    # a coin-margined name (BTCUSD) rules out USDT- and USDC-FUTURES: not asked
    assert client.history_calls("USDT-FUTURES") == client.history_calls("USDC-FUTURES") == 0
    detail = store.get_json(summary["detail_key"])
    spot_detail = detail["streams"]["spot_normal"]
    assert (spot_detail["orders"], spot_detail["pages"], spot_detail["complete"]) == (250, 4, True)
    assert (spot_detail["reason"], spot_detail["error"], spot_detail["listed"]) == (None, None, False)
    assert detail["streams"]["spot_tpsl"]["reason"] == "not_listed"
    assert detail["streams"]["USDT-FUTURES"]["reason"] == "name_rule"
    assert detail["smart_pagination"]["unlisted_markets_probed"] == 3
    assert detail["smart_pagination"]["unlisted_markets_with_orders"] == 2


def test_symbol_listed_nowhere_is_one_symbol_not_found_and_one_request_per_stream(store):
    client = FakeClient(listed={m: {"ETHUSDT"} for m in ALL_MARKETS})
    summary = extract_symbol(
        WorkerRequest("BTCUSDT_UMCBL", "exec-1"), make_run(client, store, include_plan_orders=True)
    )
    assert summary["errors"] == {"symbol_not_found": 1}
    assert summary["orders"] == 0
    assert summary["complete"]
    # The v1 name says nothing reliable about its market: every stream is asked once (9 streams: 3 spot,
    # 3 futures, 3 futures plan whose first planType is asked alone; its 40034 settles the stream)
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
    assert client.history_calls("USDT-FUTURES") == 1
    detail = store.get_json(summary["detail_key"])
    assert detail["streams"]["USDT-FUTURES"]["not_applicable"]
    assert detail["streams"]["USDT-FUTURES"]["reason"] == "symbol_not_found"


def test_errors_are_categorised_keep_bitgets_code_and_what_was_fetched(store):
    client = FakeClient(
        {"USDT-FUTURES": make_orders(300, newest_ms=NOW - 1)},
        listed=ALL_MARKETS,
        fail={
            "spot_normal": BitgetTimeoutError("read timeout"),
            "spot_tpsl": BitgetRateLimitError(),
            "USDT-FUTURES": lambda n: BitgetTransportError("reset") if n >= 2 else None,
            "spot_plan": BitgetAPIError("40009", "sign signature error", 400),
            "USDT-FUTURES_plan:normal_plan": BitgetAPIError("40017", "Parameter verification failed", 400),
        },
    )
    summary = extract_symbol(
        WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store, include_plan_orders=True)
    )
    assert summary["errors"] == {
        "auth": 1,
        "client_error": 1,
        "rate_limit": 1,
        "server_error": 1,
        "timeout": 1,
    }
    assert not summary["complete"]
    assert sorted(summary["incomplete_streams"]) == sorted(
        ["spot_normal", "spot_tpsl", "spot_plan", "USDT-FUTURES", "USDT-FUTURES_plan"]
    )
    assert summary["orders"] == 100  # the first USDT-FUTURES page survived the failure of the second
    # transient failures got one second pass from the same cursor before the stream was given up
    assert client.history_calls("USDT-FUTURES") == 3
    assert client.history_calls("spot_normal") == 2
    assert client.history_calls("spot_plan") == 1  # an auth error is not retried
    detail = store.get_json(summary["detail_key"])
    futures = detail["streams"]["USDT-FUTURES"]
    assert (futures["orders"], futures["pages"], futures["complete"]) == (100, 1, False)
    assert (futures["reason"], futures["error"], futures["second_passes"]) == (
        "server_error",
        "server_error",
        1,
    )
    assert futures["error_code"] is None and "reset" in futures["error_message"]
    plan = detail["streams"]["spot_plan"]
    assert (plan["error"], plan["error_code"], plan["error_message"]) == (
        "auth",
        "40009",
        "sign signature error",
    )
    assert detail["streams"]["USDT-FUTURES_plan"]["error_code"] == "40017"


def test_a_second_pass_that_succeeds_leaves_the_stream_complete(store):
    client = FakeClient(
        {"USDT-FUTURES": make_orders(300, newest_ms=NOW - 1)},
        listed=ALL_MARKETS,
        fail={"USDT-FUTURES": lambda n: BitgetTransportError("reset") if n == 2 else None},
    )
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    assert summary["complete"] and summary["orders"] == 300
    assert store.get_json(summary["detail_key"])["streams"]["USDT-FUTURES"]["second_passes"] == 1


def test_malformed_rows_are_rejected_with_their_reason_and_the_rest_is_kept(store, monkeypatch):
    rows = make_orders(150, newest_ms=NOW - 10)
    rows[40] = {**rows[40], "cTime": "not-a-time"}
    rows[60] = {"orderId": None, "cTime": rows[60]["cTime"]}
    client = FakeClient({"spot_normal": rows}, listed=ALL_MARKETS)
    monkeypatch.setattr(client, "_page", _by_position(client))
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert {o["orderId"] for o in orders} == {r["orderId"] for i, r in enumerate(rows) if i not in (40, 60)}
    assert summary["rejected_rows"] == 2 and summary["complete"]
    rejected = store.get_json(summary["detail_key"])["streams"]["spot_normal"]["rejected"]
    assert [r["row"] for r in rejected] == [rows[40], rows[60]]
    assert "cTime" in rejected[0]["reason"] and "orderId" in rejected[1]["reason"]


def _by_position(client):
    """Serve a stream's rows in list order, cursor by position: malformed rows are served as they are."""

    def serve(stream, symbol, start_ms, end_ms, id_less_than, limit):
        client.stats.requests += 1
        client.calls.append((stream, {"start": start_ms, "end": end_ms, "idLessThan": id_less_than}))
        rows = client.orders.get(stream, [])
        start = 0
        if id_less_than is not None:
            start = next(i for i, r in enumerate(rows) if r.get("orderId") == id_less_than) + 1
        return [dict(r) for r in rows[start : start + limit]]

    return serve


def test_unexpected_exception_in_a_stream_is_a_worker_error_not_a_crash(store, monkeypatch):
    client = FakeClient(
        {"spot_normal": make_orders(3, newest_ms=NOW - 1)},
        listed={"spot": {"BTCUSDT"}, "USDT-FUTURES": set(), "USDC-FUTURES": set(), "COIN-FUTURES": set()},
    )
    monkeypatch.setattr(client, "spot_history_orders", lambda *a, **k: 42)  # a shape the worker cannot use
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    assert summary["errors"] == {"worker_error": 2}
    assert summary["incomplete_streams"] == ["spot_normal", "spot_tpsl"]


def test_window_beyond_retention_is_clamped_and_says_so(store):
    client = FakeClient(listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}})
    start = NOW - 200 * DAY_MS
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", start, NOW), make_run(client, store))
    edge = NOW - RETENTION_MS + RETENTION_EDGE_MARGIN_MS
    assert summary["window"] == {"start_ms": edge, "end_ms": NOW, "clamped": True}
    assert store.get_json(summary["detail_key"])["window"]["requested_start_ms"] == start
    # every request starts at the retention edge by Bitget's clock, a few seconds inside it (never 40704)
    assert all(call["start"] == NOW - RETENTION_MS + RETENTION_EDGE_MARGIN_MS for _, call in client.calls)


def test_long_window_is_sliced_and_border_orders_are_not_duplicated(store):
    end = NOW + 60 * DAY_MS  # a window reaching into the future: 150 days -> two slices
    border = end - MAX_SPAN_MS + 1  # the newest slice owns border..end, the older one ..border-1
    rows = make_orders(5, newest_ms=border + 2, step_ms=1)  # border+2 .. border-2: straddles the border
    client = FakeClient({"spot_normal": rows}, listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}})
    summary = extract_symbol(WorkerRequest("BTCUSDT", "e", NOW - 80 * DAY_MS, end), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert [o["orderId"] for o in orders] == [r["orderId"] for r in rows]
    # each slice asks one ms beyond its own range on both sides (Bitget's bounds may be exclusive) and keeps
    # only its own milliseconds: the rows at border-1 and border come back twice, and are kept once
    slices = sorted({(c["start"], c["end"]) for s, c in client.calls if s == "spot_normal"}, reverse=True)
    assert slices == [(border - 1, end + 1), (NOW - 80 * DAY_MS - 1, border)]


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
    assert detail["streams"]["USDT-FUTURES_plan"]["pages"] == 6  # a page and the empty one, per planType
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


def test_a_budget_spent_too_near_the_execution_deadline_reports_the_open_streams_incomplete(store):
    clock = FakeClock(tick=1.0)
    client = FakeClient(
        {"spot_normal": make_orders(10_000, newest_ms=NOW - 1)},
        listed={m: set() for m in ALL_MARKETS} | {"spot": {"BTCUSDT"}},
    )
    run = make_run(client, store, clock, max_execution_time=20, budget_safety_margin_s=1)
    # the execution ends in 5 s: too little for another invocation (CONTINUATION_MIN_S 15)
    request = WorkerRequest("BTCUSDT", "e", deadline_ms=clock.wall_ms() + 5_000)
    summary = extract_symbol(request, run)
    assert (summary["done"], summary["continue"], summary["reason"]) == (False, False, "deadline")
    assert "spot_normal" in summary["incomplete_streams"]
    assert summary["errors"] == {"deadline": len(summary["incomplete_streams"])}
    assert 0 < summary["orders"] < 10_000
    # An unlisted market whose one probe the budget could not afford is incomplete too, never "not applicable"
    # (threads share the ticking clock, so which probes got through before the budget ran out varies).
    detail = store.get_json(summary["detail_key"])
    for name in ("USDC-FUTURES", "COIN-FUTURES"):
        assert detail["streams"][name]["reason"] == "name_rule" and client.history_calls(name) == 0
    for name in ("USDT-FUTURES",):
        stream = detail["streams"][name]
        assert (
            stream["not_applicable"]
            == (stream["reason"] == "not_listed")
            == (client.history_calls(name) == 1)
        )


def test_numbers_bitget_sends_as_json_numbers_are_written_digit_for_digit(store):
    rows = make_orders(3, newest_ms=NOW - 10)
    rows[1] = {**rows[1], "fee": Decimal("-0.00000001"), "size": "20.0000000000000000"}
    client = FakeClient({"spot_normal": rows}, listed=ALL_MARKETS)
    summary = extract_symbol(WorkerRequest("BTCUSDT", "exec-1"), make_run(client, store))
    with store.reader(summary["orders_key"]) as fh:
        text = fh.read().decode()
    assert '"fee":-0.00000001' in text and '"size":"20.0000000000000000"' in text
    assert "e-08" not in text.lower()


class _AgingClient(FakeClient):
    """Bitget's clock moves on by `step_ms` with every history request (a long run, compressed), and like
    Bitget it refuses a startTime beyond its 90-day retention (40704) and forgets expired orders."""

    def __init__(self, orders, clock: FakeClock, step_ms: int, **kwargs):
        super().__init__(orders, server_ms=clock.wall, **kwargs)
        self.clock, self.step_ms = clock, step_ms

    def _page(self, stream, symbol, start_ms, end_ms, id_less_than, limit):
        self.clock.wall += self.step_ms
        self.server_ms = self.clock.wall
        edge = self.server_ms - RETENTION_MS
        if start_ms is not None and start_ms < edge:
            raise BitgetAPIError("40704", "Can only check the data of the last three months", 400)
        return [
            r
            for r in super()._page(stream, symbol, start_ms, end_ms, id_less_than, limit)
            if int(r["cTime"]) >= edge
        ]


def test_a_run_crossing_the_retention_edge_keeps_going_and_loses_only_what_expired(store):
    clock = FakeClock()
    oldest = NOW - RETENTION_MS + 60_000  # orders from a minute inside the retention...
    rows = make_orders(2000, newest_ms=NOW - 10, step_ms=(NOW - 10 - oldest) // 1999)
    client = _AgingClient({"spot_normal": rows}, clock, step_ms=2_000, listed=ALL_MARKETS)
    # ...while each request takes 2 s of Bitget's clock: the oldest orders expire during the run
    summary = extract_symbol(WorkerRequest("BTCUSDT", "edge"), make_run(client, store, clock))
    assert summary["complete"] and summary["errors"] == {}  # never a 40704
    got = {o["orderId"] for o in _read_orders(store, summary)["orders"]}
    still_there = {
        r["orderId"] for r in rows if int(r["cTime"]) >= clock.wall - RETENTION_MS + RETENTION_EDGE_MARGIN_MS
    }
    assert still_there <= got  # everything Bitget still keeps at the end was fetched
    assert got <= {r["orderId"] for r in rows}


def test_rows_whose_ids_disagree_with_their_times_are_still_written_newest_first(store):
    # Bitget pages by orderId; should a higher id ever carry an earlier cTime, the file is still in order
    rows = make_orders(250, newest_ms=NOW - 10)
    rows[50]["cTime"], rows[120]["cTime"] = rows[120]["cTime"], rows[50]["cTime"]
    client = FakeClient({"spot_normal": rows}, listed=ALL_MARKETS)
    summary = extract_symbol(WorkerRequest("BTCUSDT", "order"), make_run(client, store))
    orders = _read_orders(store, summary)["orders"]
    assert orders == sorted(orders, key=newest_first_key, reverse=True)
    assert {o["orderId"] for o in orders} == {r["orderId"] for r in rows} and summary["complete"]


def test_when_a_probe_fails_the_streams_other_queries_are_still_asked(store):
    # GIVEN no market list, a futures plan stream whose first planType keeps failing and whose second has orders
    client = FakeClient(
        {"USDT-FUTURES_plan:track_plan": make_orders(5, newest_ms=NOW - 1)},
        listed={},
        fail={"USDT-FUTURES_plan:normal_plan": BitgetTransportError("reset")},
    )
    summary = extract_symbol(
        WorkerRequest("BTCUSDT", "probe"), make_run(client, store, include_plan_orders=True)
    )
    # THEN the failure is reported, and the track_plan orders were fetched all the same
    assert "USDT-FUTURES_plan" in summary["incomplete_streams"]
    plan = [o for o in _read_orders(store, summary)["orders"] if o["stream"] == "USDT-FUTURES_plan"]
    assert len(plan) == 5
    assert client.history_calls("USDT-FUTURES_plan:profit_loss") >= 1

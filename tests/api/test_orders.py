"""The /orders endpoints with a fake orchestrator, on SQLite and MariaDB: happy paths, and every bad input
getting a clear 4xx that changes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from lambda_functions.coordinator.validation import DAY_MS, RequestError, normalise_symbol
from tests.api.fakes import ARN_PREFIX, EXPRESS_PREFIX, UNKNOWN_ARN, order

NOW_MS = int(time.time() * 1000)
START, END = NOW_MS - 10 * DAY_MS, NOW_MS - 5 * DAY_MS  # inside Bitget's 90-day retention

MALFORMED_ARNS = [
    "not-an-arn",
    "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders",
    "arn:aws:lambda:us-east-2:123456789012:execution:bitget-orders:x",
    "arn:aws:states:us-east-2:12345678901234:execution:bitget-orders:x",
    "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:bad name",
]


# ---- POST /orders -----------------------------------------------------------------------------------------
def test_post_orders_starts_and_records_at_once(api) -> None:
    response = api.client.post(
        "/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"], "start_ms": START, "end_ms": END}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "started"
    assert body["executionArn"] == ARN_PREFIX + "exec-1"
    assert body["symbols"] == ["BTCUSDT", "ETHUSDT"]
    assert (body["start_ms"], body["end_ms"]) == (START, END)
    assert body["message"] == "Procesamiento iniciado para 2 símbolos"
    assert body["database_saved"] is True
    assert body["database_message"]
    assert api.counts()["execution_results"] == 1
    listed = api.client.get("/orders/list").json()
    assert listed["executions"][0]["execution_arn"] == body["executionArn"]
    assert listed["executions"][0]["status"] == "RUNNING"


def test_post_orders_deduplicates_symbols(api) -> None:
    response = api.client.post("/orders", json={"symbols": ["BTCUSDT", "BTCUSDT", "ETHUSDT"]})
    assert response.status_code == 202
    assert api.orchestrator.started[0].symbols == ["BTCUSDT", "ETHUSDT"]


BAD_BODIES = [
    ({"symbols": []}, 422, "symbols"),
    ({"symbols": ["BTCUSDT"], "since": "last_sync"}, 422, "syncs the whole account: omit 'symbols'"),
    ({"since": "yesterday"}, 422, "since"),
    ({"since": "last_sync", "start_ms": START}, 422, "do not send 'start_ms' with it"),
    ({"symbols": ["BTCUSDT"], "spot_plan_symbols": ["ETHUSDT"]}, 422, "for account-wide requests"),
    ({"spot_plan_symbols": ["BTC-USDT"]}, 422, "invalid symbol 'BTC-USDT'"),
    ({"symbols": "everything"}, 422, "symbols"),
    ({"symbols": "BTCUSDT"}, 422, "symbols"),
    ({"symbols": ["BTC-USDT"]}, 422, "invalid symbol 'BTC-USDT'"),
    ({"symbols": ["BTCUSDT", ""]}, 422, "invalid symbol ''"),
    ({"symbols": ["BTCUSDT", 7]}, 422, "every symbol must be a string"),
    ({"symbols": ["A" * 31]}, 422, "2 to 30 letters and digits"),
    ({"symbols": ["BTCUSDT_XYZ"]}, 422, "invalid symbol 'BTCUSDT_XYZ'"),
    ({"symbols": ["A1", "B2", "C3", "D4", "E5", "F6"]}, 400, "MAX_SYMBOLS"),
    (
        {"symbols": ["BTCUSDT"], "start_ms": START, "end_ms": START},
        422,
        f"'start_ms' ({START}) must be before",
    ),
    ({"symbols": ["BTCUSDT"], "start_ms": END, "end_ms": START}, 422, "must be before"),
    ({"symbols": ["BTCUSDT"], "start_ms": -1}, 422, "start_ms"),
    ({"symbols": ["BTCUSDT"], "end_ms": "soon"}, 422, "end_ms"),
    ({"symbols": ["BTCUSDT"], "start_ms": str(START)}, 422, "start_ms"),
    ({"symbols": ["BTCUSDT"], "end_ms": str(END)}, 422, "end_ms"),
    ({"symbols": ["BTCUSDT"], "start_ms": True}, 422, "start_ms"),
    ({"symbols": ["BTCUSDT"], "start_ms": 10**30, "end_ms": 10**31}, 422, "4102444800000"),
    ({"symbols": ["BTCUSDT"], "end_ms": 4102444800001}, 422, "4102444800000"),
    ({"symbols": ["BTCUSDT"], "start_ms": 1_000, "end_ms": 2_000}, 422, "90-day order-history retention"),
    (
        {"symbols": ["BTCUSDT"], "start_ms": NOW_MS + DAY_MS, "end_ms": NOW_MS + 2 * DAY_MS},
        422,
        "is in the future",
    ),
    ({"symbols": ["BTCUSDT"], "colour": "red"}, 422, "colour"),
    ({"symbols": ["NOSUCHCOIN"]}, 400, "NOSUCHCOIN"),
]


@pytest.mark.parametrize(("body", "status", "named"), BAD_BODIES)
def test_post_orders_rejects_bad_bodies_and_changes_nothing(sqlite_api, body, status, named) -> None:
    before = sqlite_api.counts()
    response = sqlite_api.client.post("/orders", json=body)
    assert response.status_code == status
    assert named in response.text
    assert sqlite_api.counts() == before
    assert [s for s in sqlite_api.orchestrator.started if s.symbols != ["NOSUCHCOIN"]] == []


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [(["btcusdt", " ethusdt "], ["BTCUSDT", "ETHUSDT"]), (["BTCUSDT_UMCBL", "BTCUSDT"], ["BTCUSDT"])],
)
def test_post_orders_normalises_symbols_as_the_coordinator_does(sqlite_api, raw, normalised) -> None:
    # GIVEN lower-case and v1-suffixed symbols, which the coordinator normalises
    # WHEN they are posted
    response = sqlite_api.client.post("/orders", json={"symbols": raw})
    # THEN the API accepts them and hands the coordinator the same normalised names
    assert response.status_code == 202, response.text
    assert sqlite_api.orchestrator.started[0].symbols == normalised


@pytest.mark.parametrize("symbol", ["B", "BTC-USDT", "A" * 31, "BTCUSDT_XYZ", "   "])
def test_post_orders_rejects_symbols_with_the_coordinators_message(sqlite_api, symbol) -> None:
    with pytest.raises(RequestError) as coordinator:
        normalise_symbol(symbol)
    response = sqlite_api.client.post("/orders", json={"symbols": [symbol]})
    assert response.status_code == 422
    assert str(coordinator.value) in response.json()["detail"][0]["msg"]
    assert sqlite_api.orchestrator.started == []


def test_window_starting_before_the_retention_but_ending_inside_it_is_accepted(sqlite_api) -> None:
    body = {"symbols": ["BTCUSDT"], "start_ms": NOW_MS - 365 * DAY_MS, "end_ms": END}
    response = sqlite_api.client.post("/orders", json=body)
    assert response.status_code == 202, response.text
    assert (response.json()["start_ms"], response.json()["end_ms"]) == (NOW_MS - 365 * DAY_MS, END)


def test_a_database_error_after_the_start_is_reported_not_a_500(sqlite_api, monkeypatch) -> None:
    # GIVEN a database that fails with a non-SQLAlchemy error when the started execution is recorded
    def broken(**_kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(sqlite_api.client.app.state.runtime.db.executions, "record_execution", broken)
    # WHEN an execution is started
    response = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT"]})
    # THEN the 202 reports the execution with database_saved false and the reason
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["executionArn"] == ARN_PREFIX + "exec-1"
    assert body["database_saved"] is False
    assert "OverflowError" in body["database_message"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ('{"symbols": ["BTCUSDT"', "application/json"),
        ("symbols=BTCUSDT", "text/plain"),
        ("", "application/json"),
    ],
)
def test_post_orders_malformed_json_is_4xx(api, content, content_type) -> None:
    before = api.counts()
    response = api.client.post("/orders", content=content, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert api.counts() == before
    assert api.orchestrator.started == []


# ---- GET /orders/list --------------------------------------------------------------------------------------
def test_list_is_newest_first_and_paginated(api) -> None:
    arns = [api.start() for _ in range(3)]
    page = api.client.get("/orders/list", params={"skip": 1, "limit": 1}).json()
    assert page["total_executions"] == 3
    assert [e["execution_arn"] for e in page["executions"]] == [arns[1]]
    full = api.client.get("/orders/list").json()
    assert [e["execution_arn"] for e in full["executions"]] == arns[::-1]
    assert full["executions"][0]["symbols"] == ["BTCUSDT", "ETHUSDT"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"skip": -1}, {"skip": "x"}, {"skip": 10**20}, {"skip": 10_000_001}],
)
def test_list_rejects_bad_paging(sqlite_api, params) -> None:
    response = sqlite_api.client.get("/orders/list", params=params)
    assert response.status_code == 422
    assert next(iter(params)) in response.text


# ---- GET /orders/{arn} ----------------------------------------------------------------------------------
def test_status_running_reports_progress(api) -> None:
    arn = api.start()
    body = api.client.get(f"/orders/{arn}").json()
    assert body["status"] == "RUNNING"
    assert body["progress"] == {"symbols_done": 0, "symbols_total": 2}
    assert body["processing_time_seconds"] >= 0
    assert api.counts()["orders"] == 0


def test_status_succeeded_hydrates_exactly_once(api) -> None:
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(30)])
    body = api.client.get(f"/orders/{arn}").json()
    assert body["status"] == "SUCCEEDED"
    assert body["result"]["summary"]["total_orders"] == 30
    details = body["aws_execution_details"]
    assert (details["duration_seconds"], details["duration_formatted"]) == (75.5, "1m 15.500s")
    assert details["stateMachineArn"].endswith(":stateMachine:bitget-orders")
    assert body["database_info"]["state"] == "saved"
    assert body["database_info"]["orders_in_db"] == 30
    again = api.client.get(f"/orders/{arn}").json()
    assert again["database_info"]["orders_in_db"] == 30
    assert api.counts()["orders"] == 30
    row = api.client.get("/orders/list").json()["executions"][0]
    assert (row["status"], row["total_orders"]) == ("SUCCEEDED", 30)


def test_status_failed_reports_the_cause(api) -> None:
    arn = api.start()
    api.orchestrator.fail(arn)
    body = api.client.get(f"/orders/{arn}").json()
    assert (body["status"], body["error"]) == ("FAILED", "States.TaskFailed")
    assert "aggregator" in body["cause"]
    assert api.client.get("/orders/list").json()["executions"][0]["status"] == "FAILED"
    assert api.counts()["orders"] == 0


def test_status_falls_back_to_the_database(api) -> None:
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(3)])
    api.client.get(f"/orders/{arn}")
    del api.orchestrator.states[arn]  # e.g. an EXPRESS execution whose manifest is gone
    body = api.client.get(f"/orders/{arn}").json()
    assert body["status"] == "SUCCEEDED"
    assert body["database_info"]["orders_in_db"] == 3


def test_status_unknown_arn_is_404(api) -> None:
    before = api.counts()
    response = api.client.get(f"/orders/{UNKNOWN_ARN}")
    assert response.status_code == 404
    assert "never-started" in response.json()["detail"]
    assert api.counts() == before


@pytest.mark.parametrize("arn", MALFORMED_ARNS)
def test_malformed_arns_are_422_everywhere(sqlite_api, arn) -> None:
    before = sqlite_api.counts()
    client = sqlite_api.client
    for response in (
        client.get(f"/orders/{arn}"),
        client.get(f"/orders/{arn}/database"),
        client.post(f"/orders/{arn}/save-from-url", params={"public_url": "http://127.0.0.1:8000/results/x"}),
    ):
        assert response.status_code == 422
        assert "execution_arn" in response.text
    assert sqlite_api.counts() == before


# ---- GET /orders/{arn}/database ----------------------------------------------------------------------------
@pytest.fixture
def saved(api):
    """An execution with 25 orders saved: 15 BTCUSDT spot_normal, 10 ETHUSDT USDT-FUTURES."""
    arn = api.start()
    orders = [order(i) for i in range(15)] + [order(100 + i, "ETHUSDT", "spot_tpsl") for i in range(10)]
    api.orchestrator.succeed(arn, orders)
    assert api.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
    return api, arn


def test_database_page_by_offset(saved) -> None:
    api, arn = saved
    body = api.client.get(f"/orders/{arn}/database", params={"skip": 20, "limit": 10}).json()
    assert body["execution_arn"] == arn
    assert body["execution_info"]["status"] == "SUCCEEDED"
    assert body["pagination"] == {
        "skip": 20, "limit": 10, "total_orders": 25, "returned_count": 5, "has_more": False,
        "next_cursor": None,
    }  # fmt: skip
    default = api.client.get(f"/orders/{arn}/database").json()
    assert default["pagination"]["limit"] == 10
    assert default["orders"][0]["order_id"] == order(0)["orderId"]  # newest first


def test_database_cursor_walks_the_same_orders_as_offsets(saved) -> None:
    api, arn = saved
    by_offset = [
        o["order_id"]
        for skip in (0, 10, 20)
        for o in api.client.get(f"/orders/{arn}/database", params={"skip": skip, "limit": 10}).json()[
            "orders"
        ]
    ]
    by_cursor, cursor = [], None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(f"/orders/{arn}/database", params=params).json()
        by_cursor += [o["order_id"] for o in page["orders"]]
        cursor = page["pagination"]["next_cursor"]
        if not cursor:
            break
    assert by_cursor == by_offset
    assert len(set(by_cursor)) == 25


def test_database_filters_by_symbol_and_stream(saved) -> None:
    api, arn = saved
    eth = api.client.get(f"/orders/{arn}/database", params={"symbol": "ETHUSDT", "limit": 100}).json()
    assert eth["pagination"]["total_orders"] == 10
    assert {o["symbol"] for o in eth["orders"]} == {"ETHUSDT"}
    tpsl = api.client.get(f"/orders/{arn}/database", params={"stream": "spot_normal", "limit": 100}).json()
    assert {o["stream"] for o in tpsl["orders"]} == {"spot_normal"}
    assert tpsl["pagination"]["returned_count"] == 15


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"limit": 101}, 422, "limit"),
        ({"limit": 0}, 422, "limit"),
        ({"skip": -1}, 422, "skip"),
        ({"skip": 10**20}, 422, "skip"),
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"symbol": "btc usdt"}, 422, "symbol"),
        ({"stream": "spot normal;"}, 422, "stream"),
    ],
)
def test_database_rejects_bad_parameters(saved, params, status, named) -> None:
    api, arn = saved
    before = api.counts()
    response = api.client.get(f"/orders/{arn}/database", params=params)
    assert response.status_code == status
    assert named in response.text
    assert api.counts() == before


def test_database_unknown_arn_is_404(api) -> None:
    assert api.client.get(f"/orders/{UNKNOWN_ARN}/database").status_code == 404


# ---- POST /orders/{arn}/save-from-url -------------------------------------------------------------------
def test_save_from_url_saves_once(api) -> None:
    arn = api.start()
    url = api.orchestrator.succeed(arn, [order(i) for i in range(12)])
    first = api.client.post(f"/orders/{arn}/save-from-url", params={"public_url": url})
    assert first.status_code == 200
    body = first.json()
    assert (body["success"], body["saved_orders_count"], body["execution_arn"]) == (True, 12, arn)
    second = api.client.post(f"/orders/{arn}/save-from-url", params={"public_url": url}).json()
    assert second["success"] is True
    assert api.counts()["orders"] == 12


def _foreign_urls(url: str, arn: str) -> list[str]:
    other = url.replace(arn.rsplit(":", 1)[-1], "exec-999")
    return [
        "https://evil.example.com/result.json",
        url.replace("127.0.0.1:8000", "evil.example.com"),
        url.replace("http://", "https://"),
        "http://127.0.0.1:8000/results/../../etc/passwd",
        "http://127.0.0.1:8000/results/other-prefix/result.json",
        "http://127.0.0.1:8000/results/bitget-results/%2e%2e/%2e%2e/secret.json",
        other,
        url.replace("result.json", "manifest.json"),
        "file:///etc/passwd",
        "s3://some-bucket/result.json",
    ]


def test_save_from_url_refuses_foreign_urls_and_fetches_nothing(api, monkeypatch) -> None:
    arn = api.start()
    url = api.orchestrator.succeed(arn, [order(i) for i in range(5)])
    reads: list[str] = []
    real_reader = api.store.reader

    def counting_reader(key: str) -> Any:
        reads.append(key)
        return real_reader(key)

    monkeypatch.setattr(api.store, "reader", counting_reader)
    before = api.counts()
    for foreign in _foreign_urls(url, arn):
        response = api.client.post(f"/orders/{arn}/save-from-url", params={"public_url": foreign})
        assert response.status_code == 400, foreign
        assert "public_url" in response.json()["detail"]
    assert reads == []
    assert api.counts() == before


def test_save_from_url_unknown_execution_is_404(sqlite_api) -> None:
    url = f"http://127.0.0.1:8000/results/bitget-results/{UNKNOWN_ARN.rsplit(':', 1)[-1]}/result.json"
    response = sqlite_api.client.post(f"/orders/{UNKNOWN_ARN}/save-from-url", params={"public_url": url})
    assert response.status_code == 404


def test_save_from_url_without_url_is_422(sqlite_api) -> None:
    arn = sqlite_api.start()
    assert sqlite_api.client.post(f"/orders/{arn}/save-from-url").status_code == 422


# ---- EXPRESS executions, stale hydrations -------------------------------------------------------------
def test_express_arns_work_on_every_route(api) -> None:
    # GIVEN an orchestrator answering EXPRESS ARNs (...:express:<machine>:<name>:<run id>), as AWS does
    api.orchestrator.express = True
    arn = api.start()
    assert arn.startswith(EXPRESS_PREFIX + "exec-1:")
    # WHEN it is polled while running, then after it succeeded
    running = api.client.get(f"/orders/{arn}")
    url = api.orchestrator.succeed(arn, [order(i) for i in range(7)])
    done = api.client.get(f"/orders/{arn}").json()
    # THEN every route accepts the ARN and finds the execution's results by its name
    assert (running.status_code, running.json()["status"]) == (200, "RUNNING")
    assert (done["status"], done["database_info"]["state"]) == ("SUCCEEDED", "saved")
    assert done["database_info"]["orders_in_db"] == 7
    page = api.client.get(f"/orders/{arn}/database", params={"limit": 100}).json()
    assert page["pagination"]["total_orders"] == 7
    saved = api.client.post(f"/orders/{arn}/save-from-url", params={"public_url": url})
    assert (saved.status_code, saved.json()["saved_orders_count"]) == (200, 7)
    assert api.counts()["orders"] == 7


def test_a_stale_saving_hydration_is_taken_over_and_completed_by_a_poll(api) -> None:
    # GIVEN a succeeded execution whose hydration died an hour ago after saving 4 of its 9 orders
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(9)])
    assert api.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
    engine = create_engine(api.database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "DELETE FROM execution_orders WHERE c_time >= :t "
                "AND execution_id = (SELECT id FROM execution_results WHERE execution_arn = :a)"
            ),
            {"a": arn, "t": int(order(4)["cTime"])},  # the 5 newest: the 4 oldest stay, as saved
        )
        connection.execute(
            text(
                "UPDATE execution_results SET hydration_state = 'saving', hydration_token = 'dead', "
                "hydration_heartbeat_at = :t, orders_saved = 4 WHERE execution_arn = :a"
            ),
            {"t": dt.datetime(2000, 1, 1), "a": arn},
        )
    engine.dispose()
    assert api.counts()["orders"] == 4
    # WHEN it is polled
    api.client.get(f"/orders/{arn}")
    api.client.app.state.runtime.db.hydration.join_background(30)
    final = api.client.get(f"/orders/{arn}").json()
    # THEN the poll took the hydration over and completed it, without a duplicate
    assert final["database_info"]["state"] == "saved"
    assert final["database_info"]["orders_in_db"] == 9
    assert api.counts()["orders"] == 9


def test_a_cursor_with_values_beyond_bigint_is_a_400_not_a_500(saved) -> None:
    api, arn = saved
    huge = base64.urlsafe_b64encode(b"[1000000000000000000000000000000,1,1]").decode().rstrip("=")

    response = api.client.get(f"/orders/{arn}/database", params={"cursor": huge})

    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


# ---- completeness and rejected rows ---------------------------------------------------------------------
INCOMPLETE = {
    "symbol": "ETHUSDT",
    "stream": "USDT-FUTURES",
    "reason": "rate_limit",
    "error_code": "429",
    "error_message": "Too Many Requests",
}


def test_an_incomplete_execution_says_so_everywhere(api) -> None:
    # GIVEN an execution whose aggregator reported a futures stream it could not page to the end
    arn = api.start()
    api.orchestrator.succeed(arn, [order(i) for i in range(4)])
    output = api.orchestrator.states[arn].output
    output["success"] = False
    output["message"] = "Extraction incomplete: 1 stream of 1 symbol could not be paged to the end (...)"
    output["summary"] |= {
        "complete": False,
        "incomplete_streams": [INCOMPLETE],
        "incomplete_streams_count": 1,
    }
    # WHEN it is polled, listed and paged
    status = api.client.get(f"/orders/{arn}").json()
    listed = api.client.get("/orders/list").json()["executions"][0]
    info = api.client.get(f"/orders/{arn}/database").json()["execution_info"]
    # THEN the result, the list row and the execution info all carry completeness and the stream
    assert status["result"]["success"] is False
    assert status["result"]["summary"]["incomplete_streams"] == [INCOMPLETE]
    assert (listed["complete"], listed["incomplete_streams"], listed["incomplete_streams_count"]) == (
        False,
        [INCOMPLETE],
        1,
    )
    assert (info["complete"], info["incomplete_streams"], info["incomplete_streams_count"]) == (
        False,
        [INCOMPLETE],
        1,
    )
    assert status["database_info"]["rows_rejected"] == 0


def test_completeness_is_unknown_while_running_and_true_when_complete(api) -> None:
    arn = api.start()
    running = api.client.get("/orders/list").json()["executions"][0]
    assert (running["complete"], running["incomplete_streams"]) == (None, [])
    api.orchestrator.succeed(arn, [order(i) for i in range(2)])
    api.orchestrator.states[arn].output["summary"] |= {"complete": True, "incomplete_streams": []}
    api.client.get(f"/orders/{arn}")
    done = api.client.get("/orders/list").json()["executions"][0]
    assert (done["complete"], done["incomplete_streams"], done["incomplete_streams_count"]) == (True, [], 0)


def test_a_failed_execution_is_listed_as_not_complete(api) -> None:
    arn = api.start()
    api.orchestrator.fail(arn)
    api.client.get(f"/orders/{arn}")
    assert api.client.get("/orders/list").json()["executions"][0]["complete"] is False


def test_a_malformed_order_is_skipped_and_reported_not_failing_the_execution(api) -> None:
    # GIVEN a results document with an order whose cTime cannot be parsed, between good ones
    arn = api.start()
    orders = [order(i) for i in range(6)]
    orders[3]["cTime"] = "not-a-time"
    api.orchestrator.succeed(arn, orders)
    # WHEN the execution is polled
    body = api.client.get(f"/orders/{arn}").json()
    # THEN the other orders are saved, and the database info counts the rejected one
    info = body["database_info"]
    assert (info["state"], info["orders_in_db"], info["rows_rejected"]) == ("saved", 5, 1)
    page = api.client.get(f"/orders/{arn}/database", params={"limit": 100}).json()
    assert page["execution_info"]["rows_rejected"] == 1
    assert order(3)["orderId"] not in {o["order_id"] for o in page["orders"]}
    assert api.counts()["orders"] == 5


@pytest.mark.parametrize(
    "body", [{}, {"symbols": "all"}, {"symbols": "ALL", "spot_plan_symbols": ["xrpusdt"]}]
)
def test_post_orders_without_symbols_starts_the_whole_account(sqlite_api, body) -> None:
    response = sqlite_api.client.post("/orders", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["symbols"] == ["ALL_SPOT", "ALL_FUTURES"]
    (options,) = sqlite_api.orchestrator.options
    assert options.since is None
    assert options.spot_plan_symbols == (["XRPUSDT"] if "spot_plan_symbols" in body else None)


def test_sync_an_account_starts_an_incremental_account_wide_execution_for_that_account(sqlite_api) -> None:
    response = sqlite_api.client.post("/accounts/6281043197/sync", json={"spot_plan_symbols": ["ethusdt"]})
    assert response.status_code == 202, response.text
    (options,) = sqlite_api.orchestrator.options
    assert (options.since, options.expected_account_id) == ("last_sync", "6281043197")
    assert options.spot_plan_symbols == ["ETHUSDT"]
    assert sqlite_api.client.post("/accounts/6281043197/sync").status_code == 202  # the body is optional


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/accounts/bad%20id/sync", None, "account_id"),
        ("/accounts/1/sync", {"since": "last_sync"}, "since"),
        ("/accounts/1/sync", {"spot_plan_symbols": ["BTC-USDT"]}, "invalid symbol"),
    ],
)
def test_sync_rejects_bad_input_and_starts_nothing(sqlite_api, path, body, named) -> None:
    response = sqlite_api.client.post(path, json=body)
    assert response.status_code == 422
    assert named in response.text
    assert sqlite_api.orchestrator.started == []

"""Where the API's layers meet the database (SQLite and MariaDB): executions hydrated by the real hydration path
(the fake orchestrator writes result.json, GET /orders/{arn} saves it) and read back through HTTP.

1. Two executions hydrated in one database, sharing orders: every page and every total, filtered by stream,
   symbol or both, counts only its own execution's links, before and after the other one is deleted.
2. Page edges on GET /orders/{arn}/database and GET /accounts/{id}/orders: `limit=1` walks every order once,
   and a last page that is exactly full says `has_more: false` with no cursor (no empty page after it).
3. A window that was not clamped says `window_clamped: false`, and the worker events it becomes carry that
   window unchanged (the worker's side of it: tests/worker/test_layer_seams.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from lambda_functions.common.timewindow import DAY_MS
from lambda_functions.worker.window import resolve_window as worker_window
from tests.api.conftest import Api
from tests.api.fakes import order
from tests.api.test_orders_start import make_service, now_ms  # noqa: F401 (make_service: a fixture used)

STREAMS = ("spot_normal", "spot_tpsl", "USDT-FUTURES")
SYMBOLS = ("BTCUSDT", "ETHUSDT")
FULL = 3  # a page size that divides every filtered count below: the last page is exactly full


def orders(numbers: range | list[int]) -> list[dict[str, Any]]:
    """Order records spread over STREAMS and SYMBOLS (deterministic per number)."""
    return [order(i, SYMBOLS[i % 2], STREAMS[i % 3]) for i in numbers]


def saved(api: Api, records: list[dict[str, Any]]) -> str:
    """An execution started through the API, ended with `records`, and hydrated by reading its status."""
    arn = api.start()
    api.orchestrator.succeed(arn, records)
    assert api.client.get(f"/orders/{arn}").json()["database_info"]["state"] == "saved"
    return arn


def walk(api: Api, path: str, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every page of `path` followed by cursor: (the orderIds shown, the pagination objects)."""
    ids: list[str] = []
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = api.client.get(path, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [o["order_id"] for o in body["orders"]]
        seen.append(body["pagination"])
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return ids, seen


def newest_first_ids(records: list[dict[str, Any]], **match: str) -> list[str]:
    chosen = [r for r in records if all(r[k] == v for k, v in match.items())]
    return [
        r["orderId"] for r in sorted(chosen, key=lambda r: (int(r["cTime"]), int(r["orderId"])), reverse=True)
    ]


FILTERS = [
    {},
    {"stream": "spot_normal"},
    {"stream": "spot_tpsl"},
    {"stream": "USDT-FUTURES"},
    {"symbol": "ETHUSDT"},
    {"symbol": "BTCUSDT", "stream": "spot_tpsl"},
]


def _answers(api: Api, arn: str) -> dict[str, tuple[int, list[str]]]:
    """Per filter: the total every page reports (one value) and the ids walked with limit 2."""
    answers = {}
    for match in FILTERS:
        ids, paginations = walk(api, f"/orders/{arn}/database", limit=2, **match)
        totals = {p["total_orders"] for p in paginations}
        assert len(totals) == 1, (match, totals)
        answers[repr(match)] = (totals.pop(), ids)
    return answers


def test_two_executions_in_one_database_keep_their_own_pages_and_totals(api: Api) -> None:
    # Mutants this fails on: the execution count's `e.execution_id = ?` turned into `>=` (a total crossing
    # executions); the totals cache key without the stream (`(record.id, record.execution_arn, query.symbol)`);
    # the saved-execution shortcut taken with a stream filter (`if query.symbol is None and
    # record.hydration_state == "saved"`); removal unlinking every execution's links to its orders.
    # GIVEN two executions of one account hydrated into one database: the second saw 4 of the first's orders
    first_records, second_records = orders(range(12)), orders([0, 3, 6, 9, 20, 21, 22, 23, 24, 25])
    first, second = saved(api, first_records), saved(api, second_records)
    assert api.counts()["ledger_orders"] == 12 + 6
    expected = {
        first: {repr(m): newest_first_ids(first_records, **m) for m in FILTERS},
        second: {repr(m): newest_first_ids(second_records, **m) for m in FILTERS},
    }
    # WHEN each is read with every filter, in turns (a cached total must not leak between filters or runs)
    answers = {arn: _answers(api, arn) for arn in (first, second, first)}
    # THEN each total and each walk is exactly its own execution's
    for arn in (first, second):
        for key, ids in expected[arn].items():
            assert answers[arn][key] == (len(ids), ids), (arn, key)
    assert (
        answers[first][repr({"stream": "spot_tpsl"})][0] != answers[second][repr({"stream": "spot_tpsl"})][0]
    )
    # WHEN the first is deleted
    response = api.client.delete(f"/orders/{first}")
    assert response.status_code == 200, response.text
    assert response.json()["removed"]["orders"] == 12
    # THEN the second's pages and totals are unchanged, and the ledger keeps what it saw (shared orders too)
    assert _answers(api, second) == answers[second]
    assert api.counts()["ledger_orders"] == len(second_records)
    assert api.client.get(f"/orders/{first}/database", params={"stream": "spot_tpsl"}).status_code == 404


@pytest.mark.parametrize("match", [{}, {"stream": "spot_tpsl"}])
def test_limit_one_and_an_exactly_full_last_page_on_an_executions_orders(api: Api, match: dict) -> None:
    # Mutants this fails on: `has_more = len(rows) >= query.limit` (a full last page promises more), the page
    # asked with `query.limit` rows instead of one more (no page ever has more), the cursor taken from the
    # extra row (`rows[-1]`: one order skipped per page).
    records = orders(range(36))  # 12 per stream
    arn = saved(api, records)
    truth = newest_first_ids(records, **match)
    assert len(truth) % FULL == 0
    ids, paginations = walk(api, f"/orders/{arn}/database", limit=1, **match)
    assert ids == truth
    assert [p["returned_count"] for p in paginations] == [1] * len(truth)
    assert [p["has_more"] for p in paginations] == [True] * (len(truth) - 1) + [False]
    assert {p["total_orders"] for p in paginations} == {len(truth)}
    ids, paginations = walk(api, f"/orders/{arn}/database", limit=FULL, **match)
    assert ids == truth and len(paginations) == len(truth) // FULL  # no empty page after the full last one
    assert (paginations[-1]["returned_count"], paginations[-1]["has_more"]) == (FULL, False)
    # the same edges by offset
    path = f"/orders/{arn}/database"
    last = api.client.get(path, params={"limit": 1, "skip": len(truth) - 1, **match}).json()
    assert [o["order_id"] for o in last["orders"]] == truth[-1:]
    assert (last["pagination"]["has_more"], last["pagination"]["next_cursor"]) == (False, None)
    before = api.client.get(path, params={"limit": 1, "skip": len(truth) - 2, **match}).json()
    assert before["pagination"]["has_more"] is True
    full = api.client.get(path, params={"limit": FULL, "skip": len(truth) - FULL, **match}).json()
    assert (full["pagination"]["returned_count"], full["pagination"]["has_more"]) == (FULL, False)


@pytest.mark.parametrize("match", [{}, {"stream": "USDT-FUTURES"}, {"symbol": "ETHUSDT"}])
def test_limit_one_and_an_exactly_full_last_page_on_an_accounts_orders(api: Api, match: dict) -> None:
    # Mutants this fails on: account_rows' `has_more = len(rows) >= limit`, its query asking `limit` rows,
    # its cursor from the extra row.
    first_records, second_records = orders(range(24)), orders(range(12, 36))  # 36 distinct orders, 12 shared
    saved(api, first_records)
    saved(api, second_records)
    accounts = api.client.get("/accounts").json()["accounts"]
    assert len(accounts) == 1
    path = f"/accounts/{accounts[0]['account_id']}/orders"
    truth = newest_first_ids(orders(range(36)), **match)
    assert len(truth) % FULL == 0
    ids, paginations = walk(api, path, limit=1, **match)
    assert ids == truth  # every distinct order once, though two executions saw 12 of them
    assert [p["has_more"] for p in paginations] == [True] * (len(truth) - 1) + [False]
    ids, paginations = walk(api, path, limit=FULL, **match)
    assert ids == truth and len(paginations) == len(truth) // FULL
    assert (paginations[-1]["returned_count"], paginations[-1]["has_more"]) == (FULL, False)


def test_a_window_that_was_not_clamped_says_so_from_the_answer_to_the_worker(
    request: pytest.FixtureRequest,
) -> None:
    # Mutants this fails on: Window.clamped in the coordinator reporting a note-less window (`return True`);
    # the embedded orchestrator's echo (`"window_clamped": True`); the worker reporting the coordinator's
    # default window clamped once it runs (its `start >= oldest - EXPIRED_SINCE_ASKED_MS` branch removed).
    service = request.getfixturevalue("make_service")()  # the real coordinator, a fake worker
    bodies: list[dict[str, Any]] = [
        {"symbols": ["BTCUSDT"]},  # the default window: the last 90 days, from the retention edge
        {"symbols": ["ETHUSDT"], "start_ms": now_ms() - 5 * DAY_MS},
    ]
    for body in bodies:
        response = service.client.post("/orders", json=body)
        assert response.status_code == 202, response.text
        answer = response.json()
        assert (answer["window_clamped"], answer["window_note"]) == (False, None)
        service.wait(answer["executionArn"])
        (event,) = [e for e in service.worker.events if e["symbol"] == body["symbols"][0]]
        assert (event["start_ms"], event["end_ms"]) == (answer["start_ms"], answer["end_ms"])
        # the worker that gets this event a minute later, by Bitget's clock, pages it unclamped
        window = worker_window(event["start_ms"], event["end_ms"], now_ms() + 60_000)
        assert window.as_dict()["clamped"] is False and window.end_ms == answer["end_ms"]


def test_a_symbol_bitget_sends_with_a_dollar_is_stored_and_can_be_filtered(api: Api) -> None:
    # Failed before the symbol rules were one (common/symbols.py): the filters' own `^[A-Z0-9]{2,40}$` refused
    # with 422 a symbol the ledger holds, since Bitget's spot market has `$ALTUSDT`.
    records = [order(i, "$ALTUSDT" if i % 3 == 0 else "BTCUSDT") for i in range(9)]
    arn = saved(api, records)
    expected = newest_first_ids(records, symbol="$ALTUSDT")
    ids, paginations = walk(api, f"/orders/{arn}/database", limit=2, symbol="$ALTUSDT")
    assert ids == expected and paginations[0]["total_orders"] == 3
    (account,) = api.client.get("/accounts").json()["accounts"]
    ids, _ = walk(api, f"/accounts/{account['account_id']}/orders", limit=2, symbol="$ALTUSDT")
    assert ids == expected
    csv = api.client.get(f"/orders/{arn}/export", params={"symbol": "$ALTUSDT", "format": "csv"})
    assert csv.status_code == 200 and csv.text.count("$ALTUSDT,") == 3
    # a request still names symbols by the request rule, with today's message
    refused = api.client.post("/orders", json={"symbols": ["$ALTUSDT"]})
    assert refused.status_code == 422
    assert "a Bitget v2 symbol is 2 to 30 letters and digits, like BTCUSDT" in refused.text
    for bad in ("btcusdt", "BTC-USDT", "A" * 41):
        assert api.client.get(f"/orders/{arn}/database", params={"symbol": bad}).status_code == 422

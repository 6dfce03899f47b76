"""GET /accounts, /accounts/{id}, /accounts/{id}/orders over HTTP (SQLite and MariaDB, ledger rows written
directly): the answers, keyset pages equal to the truth, and every bad input a clear 4xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core.db import make_engine
from lambda_functions.common.timewindow import DAY_MS
from tests.api.conftest import Api
from tests.services import ledger_fixtures as fixtures
from tests.services.ledger_fixtures import BASE_MS, LedgerWriter, make_ledger_orders, newest_first

ledger_mysql_url, ledger_database = fixtures.ledger_mysql_url, fixtures.ledger_database
ACCOUNT = "1187837411"
ARN = "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:ledger-reads"
COUNT = 260


@pytest.fixture
def stored(make_api: Callable[..., Api], ledger_database: str) -> tuple[Api, list[dict[str, Any]]]:
    api = make_api(ledger_database, auto_migrate=False)  # the schema comes from the models (fixtures)
    writer = LedgerWriter(make_engine(ledger_database))
    rows = make_ledger_orders(COUNT, ACCOUNT)
    writer.orders(rows)
    writer.execution_with_orders(ARN, ACCOUNT, rows)
    writer.coverage(ACCOUNT, "spot_normal", BASE_MS - 30 * DAY_MS, BASE_MS, ARN)
    writer.engine.dispose()
    return api, rows


def walk(api: Api, limit: int, **params: Any) -> list[dict[str, Any]]:
    orders, cursor = [], None
    while True:
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = api.client.get(f"/accounts/{ACCOUNT}/orders", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        orders += body["orders"]
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            assert body["pagination"]["has_more"] is False
            return orders


def test_accounts_list_and_summary(stored: tuple[Api, list[Any]]) -> None:
    api, rows = stored
    listed = api.client.get("/accounts").json()
    assert listed["total_accounts"] == 1
    account = listed["accounts"][0]
    assert (account["account_id"], account["orders_stored"]) == (ACCOUNT, COUNT)
    assert sum(account["streams"].values()) == COUNT
    assert account["last_extraction"]["execution_arn"] == ARN
    summary = api.client.get(f"/accounts/{ACCOUNT}").json()
    normal = next(s for s in summary["streams"] if s["stream"] == "spot_normal")
    assert normal["covered"] == [{"start_ms": BASE_MS - 30 * DAY_MS, "end_ms": BASE_MS}]
    assert normal["orders_stored"] == sum(r["stream"] == "spot_normal" for r in rows)
    assert normal["gaps"][-1]["end_ms"] == summary["now_ms"] and normal["gaps"][-1]["start_ms"] == BASE_MS
    assert summary["sync"] is None


@pytest.mark.parametrize(
    "params",
    [{}, {"symbol": "ETHUSDT", "side": "sell"}, {"stream": "spot_tpsl", "start_ms": BASE_MS - 2_000_000}],
)
def test_account_orders_walk_equals_truth(stored: tuple[Api, list[Any]], params: dict[str, Any]) -> None:
    api, rows = stored

    def keep(r: dict[str, Any]) -> bool:
        start = params.get("start_ms", 0)
        return r["c_time"] >= start and all(
            r[k] == params[k] for k in ("symbol", "side", "stream") if k in params
        )

    assert [o["id"] for o in walk(api, 30, **params)] == [r["id"] for r in newest_first(rows) if keep(r)]


def test_account_orders_default_page_and_raw(stored: tuple[Api, list[Any]]) -> None:
    api, rows = stored
    body = api.client.get(f"/accounts/{ACCOUNT}/orders").json()
    assert len(body["orders"]) == 100 and "raw" not in body["orders"][0]  # default limit 100, no raw
    raw = api.client.get(f"/accounts/{ACCOUNT}/orders", params={"limit": 1, "include_raw": "true"}).json()
    assert raw["orders"][0]["raw"]["orderId"] == newest_first(rows)[0]["order_id"]


def _detail(response: Any) -> str:
    return str(response.json()["detail"])


BAD_QUERIES = [
    ({"limit": 0}, 422, "greater than or equal to 1"),
    ({"limit": 101}, 422, "less than or equal to 100"),
    ({"symbol": "btc-usdt"}, 422, "symbol"),
    ({"side": "BUY!"}, 422, "side"),
    ({"start_ms": -1}, 422, "start_ms"),
    ({"end_ms": "soon"}, 422, "end_ms"),
    ({"include_raw": "maybe"}, 422, "include_raw"),
    ({"start_ms": 10, "end_ms": 10}, 400, "start_ms (10) must be before end_ms (10)"),
    ({"cursor": "garbage!"}, 400, "cursor is malformed"),
    ({"cursor": "x" * 513}, 422, "cursor"),
]


@pytest.mark.parametrize(("params", "status", "message"), BAD_QUERIES)
def test_bad_account_queries(
    stored: tuple[Api, list[Any]], params: dict[str, Any], status: int, message: str
) -> None:
    api, _ = stored
    before = fixtures.row_counts(api.database_url)
    response = api.client.get(f"/accounts/{ACCOUNT}/orders", params=params)
    assert response.status_code == status, response.text
    assert message in _detail(response)
    assert fixtures.row_counts(api.database_url) == before


def test_cursor_from_other_filters_is_400(stored: tuple[Api, list[Any]]) -> None:
    api, _ = stored
    first = api.client.get(f"/accounts/{ACCOUNT}/orders", params={"symbol": "BTCUSDT", "limit": 5}).json()
    response = api.client.get(
        f"/accounts/{ACCOUNT}/orders",
        params={"symbol": "ETHUSDT", "cursor": first["pagination"]["next_cursor"]},
    )
    assert response.status_code == 400 and "issued for other filters" in _detail(response)


def test_unknown_and_malformed_accounts(stored: tuple[Api, list[Any]]) -> None:
    api, _ = stored
    for path in ("/accounts/4242", "/accounts/4242/orders", "/accounts/4242/orders/export"):
        response = api.client.get(path)
        assert response.status_code == 404 and "account not found: 4242" in _detail(response), path
    response = api.client.get("/accounts/bad%20id/orders")
    assert response.status_code == 422 and "account_id" in response.text


@pytest.mark.parametrize(
    ("path", "params", "status", "detail"),
    [
        ("/accounts/4242", {}, 404, "account not found: 4242 (no stored order or extraction; GET /accounts lists the accounts)"),
        ("/accounts/4242/orders", {}, 404, "account not found: 4242 (no stored order or extraction; GET /accounts lists the accounts)"),
        ("/accounts/4242/orders/export", {}, 404, "account not found: 4242 (no stored order or extraction; GET /accounts lists the accounts)"),
        ("/accounts/4242/fills", {}, 404, "account not found: 4242 (no stored order or extraction; GET /accounts lists the accounts)"),
        ("/accounts/4242/fills/export", {}, 404, "account not found: 4242 (no stored order or extraction; GET /accounts lists the accounts)"),
        (f"/accounts/{ACCOUNT}/orders", {"start_ms": 9, "end_ms": 3}, 400, "start_ms (9) must be before end_ms (3): the window is [start_ms, end_ms) on the orders' creation time (c_time)"),
        (f"/accounts/{ACCOUNT}/orders/export", {"start_ms": 9, "end_ms": 9}, 400, "start_ms (9) must be before end_ms (9): the window is [start_ms, end_ms) on the orders' creation time (c_time)"),
        (f"/accounts/{ACCOUNT}/fills", {"start_ms": 9, "end_ms": 3}, 400, "start_ms (9) must be before end_ms (3): the window is [start_ms, end_ms) on the fills' time (c_time)"),
        (f"/accounts/{ACCOUNT}/fills/export", {"start_ms": 9, "end_ms": 3}, 400, "start_ms (9) must be before end_ms (3): the window is [start_ms, end_ms) on the fills' time (c_time)"),
    ],
)  # fmt: skip
def test_an_unknown_account_and_an_inverted_window_answer_one_json_detail_on_every_route(
    stored: tuple[Api, list[Any]], path: str, params: dict[str, Any], status: int, detail: str
) -> None:
    # GIVEN an account's ledger; WHEN a route of another account, or a window ending before it starts, is asked
    api, _ = stored
    response = api.client.get(path, params=params)
    # THEN the answer is the whole message as `detail`, JSON, whichever route (page or export, orders or fills)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert response.headers["content-type"] == "application/json"


def test_openapi_documents_the_response_models(stored: tuple[Api, list[Any]]) -> None:
    api, _ = stored
    paths = api.client.get("/openapi.json").json()["paths"]
    page = paths["/accounts/{account_id}/orders"]["get"]
    assert page["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "AccountOrdersPage"
    )
    assert {p["name"] for p in page["parameters"]} >= {
        "symbol",
        "stream",
        "start_ms",
        "end_ms",
        "side",
        "status",
        "cursor",
    }
    assert paths["/accounts/{account_id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["$ref"].endswith("AccountSummary")
    database = paths["/orders/{execution_arn}/database"]["get"]
    assert database["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "OrdersPageResponse"
    )
    assert "include_raw" in {p["name"] for p in database["parameters"]}

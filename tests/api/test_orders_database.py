"""GET /orders/{arn}/database over the ledger (ledger rows and links written directly, SQLite and MariaDB):
today's answer (fields, order, pagination, errors), `include_raw`, and the status refresh of an execution the
database has as unfinished."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.core.db import make_engine
from app.orchestration.base import ExecutionState
from tests.api.conftest import Api
from tests.services import ledger_fixtures as fixtures
from tests.services.ledger_fixtures import LedgerWriter, make_ledger_orders, newest_first

ledger_mysql_url, ledger_database = fixtures.ledger_mysql_url, fixtures.ledger_database
ARN = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders:exec-ledger"
COUNT = 150
ORDER_FIELDS = [
    "id", "symbol", "order_id", "stream", "market", "product_type", "client_oid", "side", "trade_side", "status",
    "order_type", "price", "price_avg", "size", "base_volume", "quote_volume", "fee", "leverage", "margin_mode",
    "pos_side", "c_time", "u_time", "created_at", "raw",
]  # fmt: skip


@pytest.fixture
def stored(
    make_api: Callable[..., Api], ledger_database: str
) -> Iterator[tuple[Api, list[dict[str, Any]], LedgerWriter]]:
    api = make_api(ledger_database, auto_migrate=False)
    writer = LedgerWriter(make_engine(ledger_database))
    rows = make_ledger_orders(COUNT, "1187837411")
    writer.orders(rows)
    writer.execution_with_orders(ARN, "1187837411", rows)
    yield api, rows, writer
    writer.engine.dispose()


def test_page_is_todays_answer(stored: tuple[Api, list[Any], LedgerWriter]) -> None:
    api, rows, _ = stored
    body = api.client.get(f"/orders/{ARN}/database", params={"skip": 20, "limit": 10}).json()
    assert list(body) == ["execution_arn", "execution_info", "orders", "pagination"]
    assert body["execution_arn"] == ARN
    assert body["execution_info"] == {
        "status": "SUCCEEDED", "total_orders": None, "total_symbols": 3, "symbols": list(fixtures.SYMBOLS), "s3_uri": None,
        "created_at": "2026-11-01T12:00:00.123456Z", "hydration_state": "saved", "complete": None,
        "incomplete_streams": [], "incomplete_streams_count": None, "rows_rejected": None,
    }  # fmt: skip
    assert [o["id"] for o in body["orders"]] == [r["id"] for r in newest_first(rows)][20:30]
    assert all(list(o) == ORDER_FIELDS for o in body["orders"])
    assert body["pagination"] == {
        "skip": 20, "limit": 10, "total_orders": COUNT, "returned_count": 10, "has_more": True,
        "next_cursor": body["pagination"]["next_cursor"],
    }  # fmt: skip
    assert len(api.client.get(f"/orders/{ARN}/database").json()["orders"]) == 10  # default limit


def test_cursor_walk_and_filters(stored: tuple[Api, list[Any], LedgerWriter]) -> None:
    api, rows, _ = stored
    ids: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 40, "stream": "spot_tpsl"}
        if cursor:
            params["cursor"] = cursor
        body = api.client.get(f"/orders/{ARN}/database", params=params).json()
        ids += [o["id"] for o in body["orders"]]
        assert body["pagination"]["total_orders"] == sum(r["stream"] == "spot_tpsl" for r in rows)
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert ids == [r["id"] for r in newest_first(rows) if r["stream"] == "spot_tpsl"]


def test_include_raw_false_drops_only_raw(stored: tuple[Api, list[Any], LedgerWriter]) -> None:
    api, _, _ = stored
    full = api.client.get(f"/orders/{ARN}/database", params={"limit": 100}).json()
    lean = api.client.get(f"/orders/{ARN}/database", params={"limit": 100, "include_raw": "false"})
    assert lean.headers["content-type"] == "application/json"
    assert lean.json()["orders"] == [{k: v for k, v in o.items() if k != "raw"} for o in full["orders"]]
    assert len(lean.content) < len(api.client.get(f"/orders/{ARN}/database", params={"limit": 100}).content)


def test_unfinished_execution_shows_the_orchestrators_status(
    stored: tuple[Api, list[Any], LedgerWriter],
) -> None:
    api, _, writer = stored
    arn = ARN + "-running"
    writer.execution(arn, "1187837411", status="RUNNING", hydration_state="pending")
    now = dt.datetime.now(dt.UTC)
    api.orchestrator.states[arn] = ExecutionState(arn, "FAILED", start_date=now, error="States.TaskFailed")
    body = api.client.get(f"/orders/{arn}/database").json()
    assert body["execution_info"]["status"] == "FAILED" and body["orders"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        (f"/orders/{ARN}x/database", {}, 404, f"execution not found: {ARN}x"),
        (f"/orders/{ARN}/database", {"cursor": "nope!"}, 400, "cursor is malformed"),
        (f"/orders/{ARN}/database", {"limit": 101}, 422, "less than or equal to 100"),
        (f"/orders/{ARN}/database", {"include_raw": "perhaps"}, 422, "include_raw"),
        ("/orders/not-an-arn/database", {}, 422, "execution_arn"),
    ],
)
def test_errors_are_todays(
    stored: tuple[Api, list[Any], LedgerWriter], path: str, params: dict[str, Any], status: int, message: str
) -> None:
    api, _, _ = stored
    response = api.client.get(path, params=params)
    assert response.status_code == status and message in response.text

"""The exact bodies the JSON endpoints answer: key order, null against absent, numbers against strings.

Each body is compared as text (what a client parses), with only the values that change from run to run masked:
times, durations and the test's own temporary directory. A change of shape (a key added, dropped, moved, or a
number turned into a string) fails here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_functions.common.keys import checkpoint_key
from tests.api.fakes import ARN_PREFIX, order

PREFIX = "bitget-results/"
ARN = ARN_PREFIX + "exec-1"
RESULTS = "http://127.0.0.1:8000/results/bitget-results/exec-1"
TIME = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"')
SECONDS = re.compile(r'"(processing_time_seconds|duration_s)":\d+(\.\d+)?')


def masked(text: str, tmp_path: Path) -> str:
    return SECONDS.sub(r'"\1":"<seconds>"', TIME.sub('"<time>"', text)).replace(str(tmp_path), "<tmp>")


def compact(expected: Any) -> str:
    """`expected` as the API writes JSON: no spaces, UTF-8 text as is."""
    return json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def expect(tmp_path: Path) -> Callable[..., None]:
    """`expect(response, status, body)`: the response has that status and, once masked, exactly that body."""

    def check(response: Any, status: int, expected: Any) -> None:
        assert response.status_code == status, response.text
        assert masked(response.text, tmp_path) == compact(expected)

    return check


def saved(client: Any, arn: str) -> Any:
    """The status once the orders are saved (the first poll may still be saving them)."""
    deadline = time.monotonic() + 20
    while True:
        answer = client.get(f"/orders/{arn}")
        if '"state":"saved"' in answer.text or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


ARN2, ARN3 = ARN_PREFIX + "exec-2", ARN_PREFIX + "exec-3"
STARTED = {
    "status": "started",
    "executionArn": ARN,
    "execution_name": "exec-1",
    "symbols": ["BTCUSDT", "ETHUSDT"],
    "start_ms": 1,
    "end_ms": 2,
    "message": "Procesamiento iniciado para 2 símbolos",
    "database_saved": True,
    "database_message": "ExecutionArn guardado automáticamente en base de datos",
    "status_url": f"/orders/{ARN}",
    "requested_start_ms": None,
    "requested_end_ms": None,
    "window_clamped": False,
    "window_note": None,
    "include_plan_orders": None,
    "include_simulation": None,
    "include_fills": None,
    "account_mode": None,
    "account_id": None,
    "account_check": None,
    "scope": None,
    "since": None,
    "stream_starts": None,
    "spot_plan_symbols": None,
    "sync_note": None,
}
FAKE_MACHINE = "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders"
SECONDS_MASK = "<seconds>"


def listed(status: str, total_orders: int | None) -> dict[str, Any]:
    return {
        "total_executions": 1,
        "skip": 0,
        "limit": 50,
        "executions": [
            {
                "id": 1,
                "execution_arn": ARN,
                "symbols": ["BTCUSDT", "ETHUSDT"],
                "status": status,
                "total_orders": total_orders,
                "created_at": "<time>",
                "updated_at": "<time>",
                "complete": None,
                "incomplete_streams": [],
                "incomplete_streams_count": None,
            }
        ],
    }


def result(name: str, orders: int, **summary: Any) -> dict[str, Any]:
    key = f"bitget-results/{name}/result.json"
    return {
        "success": True,
        "summary": {"total_orders": orders, "total_symbols_processed": 2, **summary},
        "s3_uri": f"file://<tmp>/results/{key}",
        "s3_data_url": f"http://127.0.0.1:8000/results/{key}",
    }


def finished_details() -> dict[str, Any]:
    return {
        "startDate": "<time>",
        "stopDate": "<time>",
        "duration_seconds": 75.5,
        "duration_formatted": "1m 15.500s",
        "stateMachineArn": FAKE_MACHINE,
        "runs": 1,
    }


def database_info(orders: int) -> dict[str, Any]:
    return {
        "state": "saved",
        "orders_in_db": orders,
        "orders_saved": orders,
        "processing_time_seconds": SECONDS_MASK,
        "created_at": "<time>",
        "finished_at": "<time>",
        "rows_rejected": 0,
        "fills_in_db": 0,
        "fills_saved": 0,
    }


def test_post_orders_answers_every_field_nulls_included(sqlite_api, expect) -> None:
    expect(sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"]}), 202, STARTED)


def test_an_account_sync_leaves_out_what_is_null(sqlite_api, expect) -> None:
    sync_arn = ARN_PREFIX + "exec-1"
    expect(
        sqlite_api.client.post("/accounts/123/sync"),
        202,
        {
            "status": "started",
            "executionArn": sync_arn,
            "execution_name": "exec-1",
            "symbols": ["ALL_SPOT", "ALL_FUTURES"],
            "start_ms": 1,
            "end_ms": 2,
            "message": "Procesamiento iniciado para 2 símbolos",
            "database_saved": True,
            "database_message": "ExecutionArn guardado automáticamente en base de datos",
            "status_url": f"/orders/{sync_arn}",
            "window_clamped": False,
        },
    )


def test_a_running_execution_its_list_and_its_progress(sqlite_api, expect) -> None:
    client = sqlite_api.client
    client.post("/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"]})
    expect(client.get("/orders/list"), 200, listed("RUNNING", None))
    running = {
        "executionArn": ARN,
        "status": "RUNNING",
        "startDate": "<time>",
        "processing_time_seconds": SECONDS_MASK,
        "progress": {"symbols_done": 0, "symbols_total": 2},
        "aws_execution_details": {"startDate": "<time>", "runs": 1},
    }
    expect(client.get(f"/orders/{ARN}"), 200, running)
    sqlite_api.store.put_json(
        checkpoint_key(PREFIX, "exec-1", "BTCUSDT"),
        {
            "symbol": "BTCUSDT",
            "finished": False,
            "streams": {"spot_normal": {"pages": 2}, "spot_plan": {"pages": 0}},
            "shards": [{"stream": "spot_normal", "pages": 2, "kept": 150, "end": None}],
            "client_stats": {"requests": 3, "retries": 1, "http_429": 0},
        },
    )
    sqlite_api.store.put_json(
        checkpoint_key(PREFIX, "exec-1", "ETHUSDT"),
        {
            "symbol": "ETHUSDT",
            "finished": True,
            "shards": [{"stream": "spot_normal", "pages": 1, "kept": 7, "end": "complete"}],
            "summary": {
                "orders": 7,
                "requests": 2,
                "retries": 0,
                "http_429": 0,
                "duration_s": 1,
                "complete": True,
            },
        },
    )
    totals = {"streams_done": 1, "streams_total": 3, "orders": 157, "requests": 5, "http_429": 0}
    totals["requests_limit_per_s"] = 40
    running["progress"] = {"symbols_done": 0, "symbols_total": 2, **totals}
    expect(client.get(f"/orders/{ARN}"), 200, running)
    btc_streams = [
        {"stream": "spot_normal", "pages": 2, "orders": 150, "state": "open"},
        {"stream": "spot_plan", "pages": 0, "orders": 0, "state": "open"},
    ]
    expect(
        client.get(f"/orders/{ARN}/progress"),
        200,
        {
            "symbols_total": 2,
            **totals,
            "symbols": [
                {
                    "symbol": "BTCUSDT",
                    "finished": False,
                    "orders": 150,
                    "requests": 3,
                    "retries": 1,
                    "http_429": 0,
                    "duration_s": None,
                    "complete": None,
                    "streams": btc_streams,
                },
                {
                    "symbol": "ETHUSDT",
                    "finished": True,
                    "orders": 7,
                    "requests": 2,
                    "retries": 0,
                    "http_429": 0,
                    "duration_s": SECONDS_MASK,
                    "complete": True,
                    "streams": [{"stream": "spot_normal", "pages": 1, "orders": 7, "state": "complete"}],
                },
            ],
        },
    )
    assert '"duration_s":1.0,' in client.get(f"/orders/{ARN}/progress").text  # a float, even from an int


def test_cancel_then_success_save_and_the_database_s_word(sqlite_api, expect) -> None:
    client = sqlite_api.client
    client.post("/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"]})
    expect(
        client.post(f"/orders/{ARN}/cancel"),
        202,
        {
            "executionArn": ARN,
            "status": "ABORTING",
            "message": "Cancel requested: the workers stop at their next page; the execution then reads ABORTED "
            "with what was fetched until then",
            "status_url": f"/orders/{ARN}",
        },
    )
    sqlite_api.orchestrator.succeed(ARN, [order(1), order(2), order(3, "ETHUSDT")])
    expect(
        saved(client, ARN),
        200,
        {
            "executionArn": ARN,
            "status": "SUCCEEDED",
            "result": result("exec-1", 3),
            "aws_execution_details": finished_details(),
            "database_info": database_info(3),
        },
    )
    expect(client.get("/orders/list"), 200, listed("SUCCEEDED", 3))
    expect(
        client.post(f"/orders/{ARN}/save-from-url", params={"public_url": f"{RESULTS}/result.json"}),
        200,
        {
            "success": True,
            "message": "Datos guardados exitosamente desde URL pública",
            "saved_orders_count": 3,
            "execution_arn": ARN,
            "processing_time_seconds": SECONDS_MASK,
            "state": "saved",
        },
    )
    del sqlite_api.orchestrator.states[ARN]  # e.g. an EXPRESS execution's history is gone
    expect(
        client.get(f"/orders/{ARN}"),
        200,
        {
            "executionArn": ARN,
            "status": "SUCCEEDED",
            "message": "Status read from the database (the orchestrator no longer knows this execution)",
            "result": result("exec-1", 3),
            "database_info": database_info(3),
        },
    )


def test_a_failure_its_resume_an_abort_and_a_delete(sqlite_api, expect) -> None:
    client = sqlite_api.client
    client.post("/orders", json={"symbols": ["BTCUSDT"]})
    client.post("/orders", json={"symbols": ["BTCUSDT"]})
    client.post("/orders", json={"symbols": ["BTCUSDT"]})
    sqlite_api.orchestrator.fail(ARN2)
    expect(
        client.get(f"/orders/{ARN2}"),
        200,
        {
            "executionArn": ARN2,
            "status": "FAILED",
            "message": "The execution did not succeed: `error` and `cause` say why; POST /orders/{arn}/resume goes "
            "on from its checkpoints",
            "aws_execution_details": {
                "startDate": "<time>",
                "stopDate": "<time>",
                "duration_seconds": 0.0,
                "duration_formatted": "0.000s",
                "runs": 1,
            },
            "error": "States.TaskFailed",
            "cause": "the aggregator could not write the results",
        },
    )
    expect(
        client.post(f"/orders/{ARN2}/resume"),
        202,
        {
            "executionArn": ARN2,
            "execution_name": "exec-2",
            "status": "RUNNING",
            "previous_status": "FAILED",
            "run": 1,
            "run_arn": f"{ARN2}-r1",
            "message": "Execution resumed from its checkpoints (failed shards are reopened)",
            "status_url": f"/orders/{ARN2}",
        },
    )
    sqlite_api.orchestrator.abort(ARN3, [order(4)])
    expect(
        saved(client, ARN3),
        200,
        {
            "executionArn": ARN3,
            "status": "ABORTED",
            "message": "The execution was cancelled; what was fetched until then can be read",
            "result": result("exec-3", 1, complete=False),
            "aws_execution_details": finished_details(),
            "database_info": database_info(1),
        },
    )
    expect(
        client.delete(f"/orders/{ARN3}"),
        200,
        {
            "execution_arn": ARN3,
            "deleted": True,
            "status": "ABORTED",
            "message": "Execution deleted: 1 orders and 2 results objects",
            "removed": {
                "orders": 1,
                "fills": 0,
                "processing_logs": 2,
                "execution_record": True,
                "results_prefix": "bitget-results/exec-3/",
                "results_objects": 2,
                "results_keys": ["bitget-results/exec-3/manifest.json", "bitget-results/exec-3/result.json"],
            },
        },
    )


def test_symbols_fresh_then_cached(sqlite_api, expect) -> None:
    def symbols(cached: bool) -> dict[str, Any]:
        return {
            "symbols": [
                {"symbol": "BTCUSDT", "status": "online", "product_type": "spot"},
                {"symbol": "ETHUSDT", "status": "halt", "product_type": "spot"},
                {"symbol": "BTCUSDT", "status": "normal", "product_type": "usdt-futures"},
                {"symbol": "BTCPERP", "status": "normal", "product_type": "usdc-futures"},
            ],
            "total_count": 4,
            "product_types_summary": {
                "spot": {"count": 2, "description": "Spot trading pairs (v2)"},
                "usdt-futures": {"count": 1, "description": "USDT-margined futures (v2)"},
                "usdc-futures": {"count": 1, "description": "USDC-margined futures (v2)"},
                "coin-futures": {"count": 0, "description": "Coin-margined futures (v2)"},
            },
            "api_info": {
                "note": "Only v2 symbols (no underscore) are included",
                "endpoints_used": ["/api/v2/spot/public/symbols", "/api/v2/mix/market/contracts"],
                "exchange": "none",
                "base_url": "",
                "cache_seconds": 300.0,
                "fetched_at": "<time>",
                "cached": cached,
            },
        }

    expect(sqlite_api.client.get("/symbols"), 200, symbols(cached=False))
    expect(sqlite_api.client.get("/symbols"), 200, symbols(cached=True))


def test_root_health_and_info(sqlite_api, expect) -> None:
    description = "Extracts the complete order history of a Bitget account into a database you can query"
    expect(
        sqlite_api.client.get("/"),
        200,
        {
            "message": "Bitget Orders API",
            "version": "1.0.0",
            "description": description,
            "docs": "/docs",
            "redoc": "/redoc",
            "health": "/health",
        },
    )
    expect(
        sqlite_api.client.get("/health"),
        200,
        {"status": "healthy", "service": "Bitget Orders API", "version": "1.0.0"},
    )
    checks = {"configuration": True, "database": True, "results_store": True, "exchange": True}
    expect(
        sqlite_api.client.get("/info"),
        200,
        {
            "application": {"name": "Bitget Orders API", "version": "1.0.0", "description": description},
            "configuration": {
                "aws_region": "us-east-2",
                "mysql_host": None,
                "mysql_port": 3306,
                "mysql_database": "bitget_orders",
                "log_level": "WARNING",
                "include_plan_orders": True,
                "include_simulation": False,
                "account_precheck": True,
                "auto_resume": True,
                "valid": True,
                "checks": checks,
                "problems": [],
            },
            "modes": {
                "orchestration": "fake",
                "results_store": "local",
                "database": "sqlite",
                "exchange": "none",
            },
            "exchange": {"mode": "none", "base_url": "", "credentials_configured": False},
            "results_store": {
                "kind": "local",
                "prefix": "bitget-results/",
                "bucket": None,
                "directory": "<tmp>/results",
                "base_url": "http://127.0.0.1:8000/results",
            },
            "database": {"backend": "sqlite", "url": "sqlite:///<tmp>/api.db", "source": "DATABASE_URL"},
            "account": {
                "status": "not_checked",
                "message": "no Bitget credentials in this process: the account cannot be checked here",
            },
            "endpoints": {
                "orders": "/orders",
                "orders_list": "/orders/list",
                "symbols": "/symbols",
                "results": "/results/{key}",
                "health": "/health",
                "docs": "/docs",
                "redoc": "/redoc",
            },
        },
    )

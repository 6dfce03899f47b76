"""Durable executions through the whole embedded service against the sandbox: nothing fetched is thrown away.

A worker whose time budget is spent, an execution that reaches its time limit, a service stopped in the middle:
each goes on from its checkpoints, and the orders in the database equal the sandbox's truth, each once.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from app.main import Exchange, Overrides, create_app
from lambda_functions.common.keys import checkpoint_key
from tests.api.conftest import TestClient, test_settings
from tests.api.test_end_to_end import saved_orders

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PREFIX = "bitget-results/"
SYMBOL, OTHER = "BTCUSDT", "ETHUSDT"  # 50,000 and 20,000 orders
BIG = {
    "name": "durable",
    "days": 60,
    "symbols": [
        {"symbol": SYMBOL, "orders": {"spot_normal": 30_000, "USDT-FUTURES": 20_000}},
        {"symbol": OTHER, "orders": {"spot_normal": 12_000, "USDT-FUTURES": 8_000}},
    ],
}


@pytest.fixture(scope="module")
def big_sandbox():
    from sandbox.server import SandboxServer

    server = SandboxServer(BIG, seed=5, enforce_rate_limits=False).start()
    yield server
    server.stop()


def service(sandbox, database_url: str, tmp_path: Path, **settings):
    values = {"map_max_concurrency": 2, "hydration_wait_seconds": 0.5, "account_precheck": False}
    creds = sandbox.credentials
    exchange = Exchange("sandbox", sandbox.base_url, creds.api_key, creds.api_secret, creds.passphrase)
    app = create_app(
        test_settings(database_url, tmp_path, **(values | settings)), overrides=Overrides(exchange=exchange)
    )
    return TestClient(app)


def truth(sandbox, started: dict) -> set[tuple[str, str]]:
    (symbol,) = started["symbols"]
    orders = sandbox.truth(symbol, started["start_ms"], started["end_ms"])
    return {(order["stream"], order["orderId"]) for order in orders}


def wait_for_rows(database_url: str, arn: str, expected: int, timeout_s: float = 180.0) -> list:
    """The saved rows once there are `expected` (nobody polls the execution), or what there is at the timeout."""
    deadline = time.monotonic() + timeout_s
    while len(rows := saved_orders(database_url, arn)) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return rows


def checkpoint(tmp_path: Path, name: str, symbol: str = SYMBOL) -> dict:
    return json.loads((tmp_path / "results" / checkpoint_key(PREFIX, name, symbol)).read_text())


def assert_exactly_the_truth(rows: list, expected: set) -> None:
    assert len(rows) == len(set(rows)), "an order was saved twice"
    assert set(rows) == expected


def test_a_two_second_worker_budget_reaches_the_exact_truth_through_continuations(
    big_sandbox, sqlite_url, tmp_path
) -> None:
    # GIVEN workers whose Lambda time is 2 seconds, and a symbol of 50,000 orders
    with service(big_sandbox, sqlite_url, tmp_path, lambda_timeout_seconds=2.0) as client:
        started = client.post("/orders", json={"symbols": [SYMBOL]}).json()
        arn, name = started["executionArn"], started["execution_name"]
        expected = truth(big_sandbox, started)
        assert len(expected) == 50_000
        # WHEN nobody polls: the state machine's loop continues the worker until it is done
        rows = wait_for_rows(sqlite_url, arn, len(expected))
        client.app.state.runtime.db.hydration.join_background(60)
        status = client.get(f"/orders/{arn}").json()
    # THEN every order is saved once, the execution complete, and it took several invocations
    assert_exactly_the_truth(saved_orders(sqlite_url, arn), expected)
    assert len(rows) >= len(expected)
    assert (status["status"], status["result"]["summary"]["complete"]) == ("SUCCEEDED", True)
    assert checkpoint(tmp_path, name)["invocations"] >= 3


def test_an_execution_time_limit_is_continued_in_new_runs_under_the_same_arn(
    big_sandbox, sqlite_url, tmp_path
) -> None:
    # GIVEN executions limited to 3 seconds (as EXPRESS ones are to 5 minutes)
    with service(big_sandbox, sqlite_url, tmp_path, execution_time_limit_s=3.0) as client:
        started = client.post("/orders", json={"symbols": [OTHER]}).json()
        arn = started["executionArn"]
        expected = truth(big_sandbox, started)
        # WHEN nobody polls: each run stops at its deadline, the service starts the next one itself
        wait_for_rows(sqlite_url, arn, len(expected))
        client.app.state.runtime.db.hydration.join_background(60)
        status = client.get(f"/orders/{arn}").json()
    # THEN one execution, under the ARN the user got, in several runs, with exactly the truth saved
    assert status["executionArn"] == arn
    assert (status["status"], status["result"]["summary"]["complete"]) == ("SUCCEEDED", True)
    assert status["aws_execution_details"]["runs"] >= 2
    assert status["aws_execution_details"]["latest_run_arn"].endswith(
        f"-r{status['aws_execution_details']['runs'] - 1}"
    )
    assert status["result"]["execution_arn"] == arn
    assert_exactly_the_truth(saved_orders(sqlite_url, arn), expected)


def test_a_service_stopped_mid_extraction_resumes_at_start_up_and_saves_the_truth_once(
    big_sandbox, sqlite_url, tmp_path, caplog
) -> None:
    # GIVEN an extraction under way (2-second invocations, so work in flight ends soon after a stop)
    settings = {"lambda_timeout_seconds": 2.0}
    with service(big_sandbox, sqlite_url, tmp_path, **settings) as client:
        started = client.post("/orders", json={"symbols": [OTHER]}).json()
        arn, name = started["executionArn"], started["execution_name"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            path = tmp_path / "results" / checkpoint_key(PREFIX, name, OTHER)
            if path.exists() and checkpoint(tmp_path, name, OTHER)["invocations"] >= 2:
                break
            time.sleep(0.05)
        # WHEN the service stops in the middle (its runner is closed; the execution's record stays RUNNING)
    assert not checkpoint(tmp_path, name, OTHER)["finished"], (
        "the extraction ended before the stop: nothing to resume"
    )
    time.sleep(2.5)  # the invocation in flight ends at its 2-second budget, writing its checkpoint
    expected = truth(big_sandbox, started)
    with caplog.at_level(logging.INFO), service(big_sandbox, sqlite_url, tmp_path, **settings) as client:
        # THEN the service that starts again resumes it by itself, says so, and saves the orders once
        assert f"resuming execution {name}: its process is gone" in caplog.text
        wait_for_rows(sqlite_url, arn, len(expected))
        client.app.state.runtime.db.hydration.join_background(60)
        status = client.get(f"/orders/{arn}").json()
    assert (status["status"], status["aws_execution_details"]["runs"]) == ("SUCCEEDED", 2)
    assert status["result"]["summary"]["complete"] is True
    assert_exactly_the_truth(saved_orders(sqlite_url, arn), expected)


def test_cancel_with_the_real_workers_then_resume_reaches_the_truth(
    big_sandbox, sqlite_url, tmp_path
) -> None:
    with service(big_sandbox, sqlite_url, tmp_path, lambda_timeout_seconds=2.0) as client:
        started = client.post("/orders", json={"symbols": [OTHER]}).json()
        arn, name = started["executionArn"], started["execution_name"]
        path = tmp_path / "results" / checkpoint_key(PREFIX, name, OTHER)
        deadline = time.monotonic() + 60
        while not (path.exists() and checkpoint(tmp_path, name, OTHER)["segments"]):
            assert time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.05)
        # WHEN it is cancelled mid-extraction
        assert client.post(f"/orders/{arn}/cancel").status_code == 202
        deadline = time.monotonic() + 60
        while (status := client.get(f"/orders/{arn}").json())["status"] == "RUNNING":
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        client.app.state.runtime.db.hydration.join_background(60)
        # THEN it is ABORTED with what was fetched readable, and those orders saved
        assert status["status"] == "ABORTED", status
        fetched = status["result"]["summary"]["total_orders"]
        assert 0 < fetched < 20_000
        assert len(saved_orders(sqlite_url, arn)) == fetched
        # AND a resume goes on from the checkpoints to exactly the truth, under the same ARN
        assert client.post(f"/orders/{arn}/resume").status_code == 202
        expected = truth(big_sandbox, started)
        wait_for_rows(sqlite_url, arn, len(expected))
        client.app.state.runtime.db.hydration.join_background(60)
        final = client.get(f"/orders/{arn}").json()
    assert (final["status"], final["result"]["summary"]["complete"]) == ("SUCCEEDED", True)
    assert_exactly_the_truth(saved_orders(sqlite_url, arn), expected)

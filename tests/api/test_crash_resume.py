"""A real crash: the service process is killed (SIGKILL) in the middle of an extraction, started again, and
resumes the execution by itself; the database then holds exactly the sandbox's truth, each order once.

The service runs as `python run.py` in a child process (embedded mode, SQLite, local results), the sandbox in
another (bench/sandbox_process.py), so the kill takes nothing but the service with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from bench.ports import free_port
from bench.sandbox_process import SandboxProcess
from lambda_functions.common.keys import checkpoint_key, manifest_key

# The orders an execution saw (its links to the ledger), as the per-execution `orders` table held them.
SAVED = (
    "(SELECT e.execution_arn, l.stream, l.order_id FROM execution_orders x "
    "JOIN ledger_orders l ON l.id = x.order_pk JOIN execution_results e ON e.id = x.execution_id) AS o"
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "bitget-results/"
SYMBOL = "BTCUSDT"
PROFILE = {  # Bitget's rate limits enforced: several seconds of paging, time to kill it in the middle
    "name": "crash",
    "days": 30,
    "symbols": [{"symbol": SYMBOL, "orders": {"spot_normal": 6_000, "USDT-FUTURES": 6_000}}],
}


class Service:
    """`python run.py` on a port of its own, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "run.py"],
                cwd=ROOT,
                env=env | {"PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def sandbox():
    with SandboxProcess(PROFILE, 7) as server:
        yield server


def service_env(tmp_path: Path, sandbox: SandboxProcess) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("BITGET_", "AWS_", "MYSQL_", "DATABASE_"))
    }
    creds = sandbox.credentials
    return keep | {
        "ORCHESTRATION_MODE": "embedded",
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "RESULTS_STORE": "local",
        "RESULTS_DIR": str(tmp_path / "results"),
        "BITGET_BASE": sandbox.base_url,
        "BITGET_API_KEY": creds.api_key,
        "BITGET_API_SECRET": creds.api_secret,
        "BITGET_API_PASSPHRASE": creds.passphrase,
        "ACCOUNT_PRECHECK": "false",
        "LOG_LEVEL": "INFO",
        "WATCH_INTERVAL_S": "1",
        "CHECKPOINT_INTERVAL_S": "0.5",
    }


def saved_orders(database: Path, arn: str) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            query = text(f"SELECT stream, order_id FROM {SAVED} WHERE execution_arn = :arn")  # noqa: S608
            return [(stream, order_id) for stream, order_id in connection.execute(query, {"arn": arn})]
    finally:
        engine.dispose()


def test_a_service_killed_mid_extraction_resumes_after_a_restart_and_saves_the_truth_once(tmp_path, sandbox):
    env = service_env(tmp_path, sandbox)
    log = tmp_path / "service.log"
    results = tmp_path / "results"
    # GIVEN an extraction under way in a service process
    first = Service(env, log)
    try:
        started = requests.post(f"{first.url}/orders", json={"symbols": [SYMBOL]}, timeout=30).json()
        arn, name = started["executionArn"], started["execution_name"]
        checkpoint = results / checkpoint_key(PREFIX, name, SYMBOL)
        deadline = time.monotonic() + 60
        while not (checkpoint.exists() and json.loads(checkpoint.read_text()).get("segments")):
            assert time.monotonic() < deadline, "no checkpoint with a segment was written"
            time.sleep(0.05)
        # WHEN the process is killed in the middle (SIGKILL: nothing runs on the way out)
        first.kill()
    finally:
        first.stop()
    manifest = json.loads((results / manifest_key(PREFIX, name)).read_text())
    assert manifest["status"] == "RUNNING"
    assert not json.loads(checkpoint.read_text())["finished"], "it finished before the kill: nothing resumed"

    # THEN the service started again resumes it by itself and says so
    second = Service(env, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            status = requests.get(f"{second.url}/orders/{arn}", timeout=60).json()
            if status["status"] != "RUNNING" and status.get("database_info", {}).get("state") == "saved":
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
    finally:
        second.stop()
    assert f"resuming execution {name}: its process is gone" in log.read_text()
    # AND one execution, under the user's ARN, ends complete with every order saved once
    assert status["status"] == "SUCCEEDED", status
    assert status["result"]["summary"]["complete"] is True
    assert status["aws_execution_details"]["runs"] == 2
    rows = saved_orders(tmp_path / "service.db", arn)
    truth = {
        (o["stream"], o["orderId"]) for o in sandbox.truth(SYMBOL, started["start_ms"], started["end_ms"])
    }
    assert len(truth) == 12_000
    assert len(rows) == len(set(rows)), "an order was saved twice"
    assert set(rows) == truth

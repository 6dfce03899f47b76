"""The CLI as a user runs it: a subprocess against the real service (run.py, itself a subprocess with its sandbox
exchange, a temporary SQLite database and results directory, on a free loopback port).

GIVEN the service WHEN `bitget-orders extract ...` runs THEN progress appears on stderr, the summary on stdout,
and the exit code says complete (0), incomplete (2: the sandbox answers 5xx to every request) or error (1);
`orders NAME --format csv` writes exactly the rows GET /orders/{arn}/database serves.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE", "DATABASE_URL", "MYSQL_HOST")


def service_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment `make run` would see on a fresh machine, with everything under `tmp`."""
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite'}",
        RESULTS_DIR=str(tmp / "results"),
        LOG_LEVEL="WARNING",
        BITGET_RETRIES="0",  # an injected 5xx ends a stream at once: the incomplete run takes a second
        SECOND_PASSES="0",
        **extra,
    )
    return env


class Service:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sandbox = requests.get(f"{url}/info", timeout=10).json()["exchange"]["base_url"]

    def faults(self, **fields: float) -> None:
        requests.post(f"{self.sandbox}/sandbox/faults", json=fields, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("cli-service")
    port = free_port()
    log = (tmp / "service.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py")],
        cwd=tmp,
        env=service_env(tmp, PORT=str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, tmp / "service.log")
        yield Service(url)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the service exited: {log.read_text()[-2000:]}"
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the service did not answer within 60 s: {log.read_text()[-2000:]}")


def cli(
    *args: str,
    url: str | None = None,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bitget_orders", *args]
    if url is not None:
        command += ["--url", url]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def complete_run(service: Service) -> subprocess.CompletedProcess[str]:
    return cli("extract", "SOLUSDT", "XRPUSDT", url=service.url)


def execution_of(run: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"started (arn:\S+)", run.stderr)
    assert match, run.stderr
    return match.group(1)


def test_extract_shows_progress_then_a_summary_and_exits_0_when_complete(
    service: Service, complete_run: subprocess.CompletedProcess[str]
) -> None:
    run = complete_run
    assert run.returncode == 0, run.stderr + run.stdout
    assert re.search(
        r"RUNNING · symbols \d/2", run.stderr
    )  # live progress, one line per change off a terminal
    assert "SUCCEEDED · symbols 2/2" in run.stderr
    assert re.search(r"window: +\d{4}-\d\d-\d\dT.*\(\d+\.\d days\) \[start_ms \d+, end_ms \d+\]", run.stderr)
    status = requests.get(f"{service.url}/orders/{execution_of(run)}", timeout=30).json()
    by_stream = status["result"]["summary"]["orders_by_stream"]
    # the table has a row per symbol and stream, counted from the saved orders; the total is the API's
    for symbol in ("SOLUSDT", "XRPUSDT"):
        assert re.search(rf"│ {symbol} +│ spot_normal +│ +[\d,]+ │ yes", run.stdout), run.stdout
    assert f"{status['result']['summary']['total_orders']:,}" in run.stdout
    assert sum(by_stream.values()) == status["result"]["summary"]["total_orders"]
    assert "complete: " in run.stdout and "every stream paged to its end" in run.stdout


def test_orders_csv_is_exactly_the_api_rows(
    service: Service, complete_run: subprocess.CompletedProcess[str]
) -> None:
    arn = execution_of(complete_run)
    name = arn.rsplit(":", 1)[1]
    run = cli("orders", name, "--format", "csv", url=service.url)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout, newline="")))
    pages = database_pages(service.url, arn)
    assert len(rows) == len(pages) > 0
    for row, order in zip(rows, pages, strict=True):
        for key, value in order.items():
            assert key in row, key
            if key == "raw":
                assert json.loads(row[key]) == value
            else:
                assert row[key] == ("" if value is None else str(value)), (key, row[key], value)


def database_pages(url: str, arn: str) -> list[dict[str, Any]]:
    """Every saved order, through GET /orders/{arn}/database's cursor pages."""
    orders: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{url}/orders/{arn}/database", params=params, timeout=30).json()
        orders += page["orders"]
        cursor = page["pagination"]["next_cursor"]
        if not page["pagination"]["has_more"]:
            return orders


def test_incomplete_extraction_exits_2_naming_bitgets_code_then_resume_completes_it(service: Service) -> None:
    service.faults(error_5xx=1.0)
    try:
        run = cli("extract", "XRPUSDT", "--no-plan", url=service.url)
    finally:
        service.faults()
    assert run.returncode == 2, run.stderr + run.stdout
    assert "NO: server_error (Bitget 45001" in run.stdout
    assert "INCOMPLETE" in run.stdout and "bitget-orders resume" in run.stdout
    name = execution_of(run).rsplit(":", 1)[1]
    assert cli("status", name, url=service.url).returncode == 2
    resumed = cli("resume", name, url=service.url)
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert "complete: " in resumed.stdout


def test_api_errors_exit_1_with_the_apis_message(service: Service) -> None:
    run = cli("extract", "BTC-USDT", url=service.url)
    assert run.returncode == 1
    assert "HTTP 422" in run.stderr and "invalid symbol 'BTC-USDT'" in " ".join(run.stderr.split())
    unknown = cli(
        "status", "arn:aws:states:us-east-2:000000000000:execution:bitget-orders:nope", url=service.url
    )
    assert unknown.returncode == 1 and "execution not found" in unknown.stderr


def test_list_and_status_read_the_same_executions(
    service: Service, complete_run: subprocess.CompletedProcess[str]
) -> None:
    arn = execution_of(complete_run)
    listed = cli("list", "--json", url=service.url)
    assert listed.returncode == 0
    assert arn in [row["execution_arn"] for row in json.loads(listed.stdout)["executions"]]
    status = cli("status", arn, "--json", url=service.url)
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "SUCCEEDED"


def test_embedded_runs_the_service_inside_the_command(tmp_path: Path) -> None:
    env = service_env(tmp_path, PYTHONPATH=str(ROOT))
    run = cli("extract", "XRPUSDT", "--no-plan", "--embedded", cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "SUCCEEDED" in run.stderr and "│ XRPUSDT" in run.stdout
    assert (tmp_path / "db.sqlite").exists()


def test_unreachable_service_exits_1_saying_how_to_start_it() -> None:
    run = cli("list", url=f"http://127.0.0.1:{free_port()}")
    assert run.returncode == 1
    message = " ".join(run.stderr.split())
    assert "cannot reach http://127.0.0.1:" in message and "make run" in message and "--embedded" in message

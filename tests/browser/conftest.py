"""Browser fixtures: the real service (run.py, embedded mode with its sandbox) in a subprocess, and headless
Debian Chromium driven by selenium through /usr/bin/chromedriver.

Chromium or chromedriver missing: skipped locally with the reason, FAILED when CI=true (.ci/run installs them:
`apt-get install -y chromium chromium-driver`). The browser can reach loopback only: every other host goes to
a dead proxy (and name lookups fail), and the tests read every request Chromium made from its performance log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60
# Slow enough that an extraction lasts a few seconds (progress can be watched), small enough to stay quick:
# every Bitget request waits LATENCY_MS, and the workers write their checkpoints every half second.
LATENCY_MS = 150
PROFILE = {
    "name": "browser",
    "days": 60,
    "latency_ms": LATENCY_MS,
    "symbols": [
        {"symbol": "BTCUSDT", "orders": {"spot_normal": 1500, "spot_tpsl": 20, "USDT-FUTURES": 800}},
        {"symbol": "ETHUSDT", "orders": {"spot_normal": 900, "USDT-FUTURES": 300}},
        {"symbol": "SOLUSDT", "orders": {"spot_normal": 400}},
    ],
}


def _missing_browser() -> str | None:
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install -y chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    missing = _missing_browser()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run: {missing}")
    pytest.skip(f"browser tests skipped: {missing}")


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **kwargs: Any) -> Any:
        response = requests.get(self.base_url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        response = requests.post(self.base_url + path, json=body, timeout=30)
        assert response.status_code == 202, response.text
        return response.json()

    def wait_saved(self, arn: str, timeout_s: float = 45) -> dict[str, Any]:
        """Polls GET /orders/{arn} until the execution ended and its orders are saved."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            answer: dict[str, Any] = self.get(f"/orders/{arn}")
            if (answer.get("database_info") or {}).get("state") == "saved":
                return answer
            time.sleep(0.3)
        raise AssertionError(f"{arn} not saved within {timeout_s}s: {answer}")


@pytest.fixture(scope="module")
def service(browser_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`python run.py` on a free loopback port: SQLite and results in a temp folder, the sandbox on PROFILE."""
    folder = tmp_path_factory.mktemp("service")
    profile = folder / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BITGET_", "MYSQL_", "DATABASE_", "RESULTS_", "SANDBOX_", "AWS_"))
    }
    env |= {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{folder / 'orders.db'}",
        "RESULTS_DIR": str(folder / "results"),
        "SANDBOX_PROFILE": str(profile),
        "SANDBOX_SEED": "7",
        "CHECKPOINT_INTERVAL_S": "0.5",
        "MAP_MAX_CONCURRENCY": "2",
        "SYNC_INTERVAL_MINUTES": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    log = folder / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py")], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    service = Service(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(service)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(service: Service) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise AssertionError(f"the service exited at start:\n{service.log.read_text()[-3000:]}")
        try:
            if requests.get(service.base_url + "/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"the service did not answer within {STARTUP_S}s:\n{service.log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="module")
def browser(browser_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium that can reach loopback only, with its requests recorded (performance log)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
        # Nothing but loopback: other hosts go through a proxy that does not exist, names do not resolve.
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1;localhost",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=DriverService(shutil.which("chromedriver")))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: Any) -> list[str]:
    """Every URL Chromium asked for since the last call (its performance log; blocked requests included)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls

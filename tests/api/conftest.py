"""API test fixtures: an app on a fresh database (SQLite in tmp_path; MariaDB when marked `mysql`) with a fake
orchestrator and a fake symbols client, and helpers to count rows.

MariaDB: database `bitget_orders_api_test_<pid>`, created and migrated once per session, emptied after each test,
dropped at the end. Unreachable: skip locally, FAIL when CI=true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.config import Settings, load_settings
from app.core.db import run_migrations
from app.main import Exchange, Overrides, create_app
from lambda_functions.common.results_store import LocalResultsStore
from tests.api.fakes import FakeOrchestrator, FakeSymbolsClient
from tests.api.runtime import runtime_of
from tests.mariadb import scratch_database

TABLES = (
    "execution_orders",
    "ledger_orders",
    "execution_fills",
    "ledger_fills",
    "account_coverage",
    "processing_logs",
    "execution_results",
)
BASE_URL = "http://127.0.0.1:8000/results"


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    with scratch_database("bitget_orders_api_test") as url:
        run_migrations(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'api.db'}"
        return
    url = request.getfixturevalue("mysql_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant table names
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


def test_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": database_url,
        "results_dir": str(tmp_path / "results"),
        "results_base_url": BASE_URL,
        "log_level": "WARNING",
        "max_symbols": 5,
        "hydration_wait_seconds": 5.0,
        "watch_interval_s": 0,  # the watcher's and the retention sweep's own tests turn them on
        "results_retention_days": 0,
    }
    return load_settings(**(values | overrides))


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@dataclass
class Api:
    client: TestClient
    orchestrator: FakeOrchestrator
    symbols: FakeSymbolsClient
    store: LocalResultsStore
    database_url: str

    def counts(self) -> dict[str, int]:
        """Rows per table: bad input must leave these unchanged. "orders" counts the orders executions saw
        (their links to the ledger), as the per-execution `orders` table did."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                query = "SELECT COUNT(*) FROM {}"  # constant table names only
                counts = {t: connection.execute(text(query.format(t))).scalar_one() for t in TABLES}
        finally:
            engine.dispose()
        return {"orders": counts["execution_orders"], **counts}

    def start(self, symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")) -> str:
        response = self.client.post("/orders", json={"symbols": list(symbols)})
        assert response.status_code == 202, response.text
        return str(response.json()["executionArn"])


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """`make_api(database_url, **settings)`: a started app with fakes; closed at teardown."""
    opened: list[TestClient] = []

    def make(url: str, **overrides: Any) -> Api:
        settings = test_settings(url, tmp_path, **overrides)
        store = LocalResultsStore(settings.results_dir, settings.results_base_url)
        orchestrator, symbols = FakeOrchestrator(store, settings.results_prefix), FakeSymbolsClient()
        app = create_app(settings, overrides=Overrides(orchestrator, symbols, store))
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return Api(client, orchestrator, symbols, store, url)

    yield make
    for client in opened:
        runtime_of(client).db.hydration.join_background(30)
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Callable[..., Api], database_url: str) -> Api:
    """The app on SQLite and on MariaDB."""
    return make_api(database_url)


@pytest.fixture
def sqlite_api(make_api: Callable[..., Api], sqlite_url: str) -> Api:
    """The app on SQLite only (for tests that do not touch the database's behaviour)."""
    return make_api(sqlite_url)


@pytest.fixture
def service(make_sandbox, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A factory: the embedded service in front of a sandbox of the given profile."""
    monkeypatch.setenv("INCLUDE_PLAN_ORDERS", "true")
    clients: list[Any] = []

    def start(profile: str | dict[str, Any]) -> tuple[Any, Any]:
        sandbox = make_sandbox(profile, seed=21, enforce_rate_limits=False)
        settings = test_settings(database_url, tmp_path, hydration_wait_seconds=0.5)
        creds = sandbox.credentials
        exchange = Exchange("sandbox", sandbox.base_url, creds.api_key, creds.api_secret, creds.passphrase)
        client = TestClient(create_app(settings, overrides=Overrides(exchange=exchange)))
        client.__enter__()
        clients.append(client)
        return client, sandbox

    yield start
    for client in clients:
        client.app.state.runtime.db.hydration.join_background(60)
        client.__exit__(None, None, None)

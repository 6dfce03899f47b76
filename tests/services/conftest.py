"""Database fixtures: every DB test runs on SQLite (a file in tmp_path) and on MariaDB (marked `mysql`).

MariaDB tests use a database of their own (`bitget_orders_test_<random>`), created and migrated once per
session and dropped at the end; each test empties the tables it may have written. When MariaDB is unreachable
they skip locally and FAIL under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from app.core.db import make_engine, make_session_factory, run_migrations
from app.services.database import Database, open_database
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


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A fresh, migrated MariaDB database for this test session (dropped afterwards)."""
    with scratch_database("bitget_orders_test") as url:
        run_migrations(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of a migrated, empty database (SQLite file or MariaDB)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'orders.db'}"
        run_migrations(url)
        return url
    return request.getfixturevalue("mysql_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        if engine.dialect.name != "sqlite":
            with engine.begin() as connection:
                for table in TABLES:
                    connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed table names)
        engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    database = open_database(make_session_factory(engine), chunk_rows=500)
    yield database
    database.hydration.join_background(timeout_s=60)

"""0005_fills adds the fills tables and execution_results.fills_saved, keeps every existing row, and downgrades
cleanly (SQLite and MariaDB)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from app.core.db import alembic_config, make_engine, run_migrations

FILL_TABLES = {"ledger_fills", "execution_fills"}


def _schema(url: str) -> tuple[set[str], set[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return set(inspector.get_table_names()), {
            c["name"] for c in inspector.get_columns("execution_results")
        }
    finally:
        engine.dispose()


def _execution_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT COUNT(*) FROM execution_results")).scalar_one())
    finally:
        engine.dispose()


def _down_and_up(url: str) -> None:
    # GIVEN a database at head with one execution
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, created_at, "
                "updated_at) VALUES ('arn:m', 'SUCCEEDED', 'saved', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    tables, columns = _schema(url)
    assert tables >= FILL_TABLES and "fills_saved" in columns
    # WHEN it is downgraded to 0004_ledger: THEN the fills tables and the column are gone, the execution kept
    command.downgrade(alembic_config(url), "0004_ledger")
    tables, columns = _schema(url)
    assert not FILL_TABLES & tables and "fills_saved" not in columns and "ledger_orders" in tables
    assert _execution_count(url) == 1
    # WHEN upgraded again: THEN everything is back, the execution with fills_saved NULL
    run_migrations(url)
    tables, columns = _schema(url)
    assert tables >= FILL_TABLES and "fills_saved" in columns and _execution_count(url) == 1


def test_0005_downgrades_and_upgrades(database_url: str) -> None:
    try:
        _down_and_up(database_url)
    finally:
        run_migrations(database_url)  # the session's MariaDB database goes back to head whatever happened
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM execution_results WHERE execution_arn = 'arn:m'"))
        engine.dispose()

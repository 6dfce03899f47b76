"""0006_drop_symbol_metadata drops the table nothing used, keeps every other row, and downgrades to the empty
table 0001_initial made (SQLite and MariaDB)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from app.core.db import alembic_config, make_engine, run_migrations


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _executions(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT COUNT(*) FROM execution_results")).scalar_one())
    finally:
        engine.dispose()


def test_0006_drops_symbol_metadata_and_downgrades_to_the_empty_table(database_url: str) -> None:
    try:
        # GIVEN a database at head with one execution: no symbol_metadata
        _execute(
            database_url,
            "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, created_at, "
            "updated_at) VALUES ('arn:m6', 'SUCCEEDED', 'saved', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        )
        assert "symbol_metadata" not in _tables(database_url)
        # WHEN downgraded to 0005_fills: THEN the table is back (empty, writable as 0001 made it), the execution kept
        command.downgrade(alembic_config(database_url), "0005_fills")
        assert "symbol_metadata" in _tables(database_url)
        _execute(
            database_url,
            "INSERT INTO symbol_metadata (symbol, product_type, updated_at) "
            "VALUES ('BTCUSDT', 'spot', '2026-01-01 00:00:00')",
        )
        assert _executions(database_url) == 1
        # WHEN upgraded again: THEN it is gone and the execution is still there
        run_migrations(database_url)
        assert "symbol_metadata" not in _tables(database_url)
        assert _executions(database_url) == 1
    finally:
        run_migrations(database_url)  # the session's MariaDB database goes back to head whatever happened
        _execute(database_url, "DELETE FROM execution_results WHERE execution_arn = 'arn:m6'")

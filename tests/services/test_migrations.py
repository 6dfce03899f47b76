"""Migrations create the whole schema on SQLite and MariaDB, and re-running them is harmless."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from app.core.db import run_migrations
from app.models.database import Base


def test_migrations_create_every_table_column_and_index(engine: Engine, database_url: str) -> None:
    # GIVEN a migrated database  WHEN it is migrated again
    run_migrations(database_url)
    inspector = inspect(engine)
    # THEN every model table exists with exactly the model's columns
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("orders")}
    assert indexes["ix_orders_execution_newest"] == ["execution_arn", "c_time", "order_id_num", "id"]
    assert indexes["ix_orders_execution_symbol_newest"][:2] == ["execution_arn", "symbol"]
    assert indexes["ix_orders_execution_stream_newest"][:2] == ["execution_arn", "stream"]
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("orders")}
    if not uniques:  # MariaDB reports unique constraints as unique indexes
        uniques = {tuple(i["column_names"]) for i in inspector.get_indexes("orders") if i["unique"]}
    assert ("execution_arn", "stream", "order_id") in uniques


def test_upgrading_from_0001_keeps_executions_with_unknown_completeness(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.core.db import alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001_initial")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, "
                    "created_at, updated_at) VALUES ('arn:old', 'SUCCEEDED', 'saved', 3, '2026-01-01', '2026-01-01')"
                )
            )
        run_migrations(url)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT status, complete, incomplete_streams, rows_rejected FROM execution_results")
            ).one()
        assert tuple(row) == ("SUCCEEDED", None, None, None)
        command.downgrade(alembic_config(url), "0001_initial")
        assert "complete" not in {c["name"] for c in inspect(engine).get_columns("execution_results")}
    finally:
        engine.dispose()


def test_0003_adds_the_hydration_owner_and_downgrades_cleanly(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.core.db import alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0002_completeness")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # a hydration claimed before owners were recorded
            connection.execute(
                text(
                    "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, "
                    "hydration_token, created_at, updated_at) "
                    "VALUES ('arn:old', 'SUCCEEDED', 'saving', 3, 'tok', '2026-01-01', '2026-01-01')"
                )
            )
        run_migrations(url)
        columns = {c["name"]: c for c in inspect(engine).get_columns("execution_results")}
        assert columns["hydration_owner"]["nullable"]
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT hydration_state, hydration_token, hydration_owner FROM execution_results")
            ).one()
        assert tuple(row) == ("saving", "tok", None)  # no owner: the heartbeat rule decides for this claim
        command.downgrade(alembic_config(url), "0002_completeness")
        assert "hydration_owner" not in {c["name"] for c in inspect(engine).get_columns("execution_results")}
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT hydration_token FROM execution_results")).scalar_one()
                == "tok"
            )
        run_migrations(url)  # and up again
        assert "hydration_owner" in {c["name"] for c in inspect(engine).get_columns("execution_results")}
    finally:
        engine.dispose()


@pytest.mark.mysql
def test_0003_upgrades_and_downgrades_on_mariadb(mysql_url: str) -> None:
    from alembic import command

    from app.core.db import alembic_config, make_engine

    engine = make_engine(mysql_url)
    try:
        command.downgrade(alembic_config(mysql_url), "0002_completeness")
        assert "hydration_owner" not in {c["name"] for c in inspect(engine).get_columns("execution_results")}
    finally:
        run_migrations(mysql_url)  # the session's database goes back to head whatever happened
    try:
        assert "hydration_owner" in {c["name"] for c in inspect(engine).get_columns("execution_results")}
    finally:
        engine.dispose()

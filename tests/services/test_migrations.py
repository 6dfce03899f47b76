"""Migrations create the whole schema on SQLite and MariaDB exactly as the models declare it, re-running them is
harmless, and 0004_ledger moves existing orders into the ledger (and back on downgrade)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, Table, UniqueConstraint, inspect, text

from app.core.db import alembic_config, make_engine, run_migrations
from app.models.database import Base


def _schema_of_model(table: Table) -> dict[str, Any]:
    return {
        "columns": {c.name for c in table.columns},
        "primary_key": [c.name for c in table.primary_key.columns],
        "indexes": {i.name: [c.name for c in i.columns] for i in table.indexes},
        "uniques": {
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        },
    }


def _schema_in_database(engine: Engine, name: str) -> dict[str, Any]:
    inspector = inspect(engine)
    indexes = inspector.get_indexes(name)
    # an index on an expression has None for that column: the type says so, the schema here has none
    uniques: set[tuple[str | None, ...]] = {
        tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
    }
    uniques |= {
        tuple(i["column_names"]) for i in indexes if i["unique"]
    }  # MariaDB: unique constraints are indexes
    return {
        "columns": {c["name"] for c in inspector.get_columns(name)},
        "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
        "indexes": {i["name"]: i["column_names"] for i in indexes if not i["unique"]},
        "uniques": uniques,
    }


def test_migrations_create_every_table_column_and_index_of_the_models(
    engine: Engine, database_url: str
) -> None:
    # GIVEN a migrated database  WHEN it is migrated again
    run_migrations(database_url)
    # THEN every model table exists with exactly the model's columns, keys and indexes, and no other table
    for table in Base.metadata.sorted_tables:
        assert _schema_in_database(engine, table.name) == _schema_of_model(table), table.name
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    assert "orders" not in tables


def test_upgrading_from_0001_keeps_executions_with_unknown_completeness(tmp_path) -> None:
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


# ---- 0004_ledger: today's orders into the ledger ------------------------------------------------------------

AGGREGATED = json.dumps({"success": True, "account_id": "111", "summary": {"total_orders": 4}})
STARTED = json.dumps({"status": "started", "account_id": 111, "symbols": ["BTCUSDT"]})  # the start's echo
EXECUTIONS = {"arn:e1": AGGREGATED, "arn:e2": STARTED, "arn:e3": None}
# (execution, order id, u_time), inserted in this order: ids grow down the list. e1 and e2 (account 111) share
# X, Y, Z, W; e3 (no account known) sees X too; an orphan row names an execution that has no record.
OLD_ROWS = [
    ("arn:e1", "X", 100), ("arn:e1", "Y", 200), ("arn:e1", "Z", None), ("arn:e1", "W", 50),
    ("arn:e2", "X", 150), ("arn:e2", "Y", 200), ("arn:e2", "Z", 5), ("arn:e2", "W", None),
    ("arn:e3", "X", 999), ("arn:orphan", "V", 1),
]  # fmt: skip
ORDER_IDS = {"X": 1001, "Y": 1002, "Z": 1003, "W": 1004, "V": 1005}
# The copy each ledger row must hold: greatest u_time (NULL oldest), ties to the newest row.
WINNERS = {
    ("111", "X"): "arn:e2", ("111", "Y"): "arn:e2", ("111", "Z"): "arn:e2", ("111", "W"): "arn:e1",
    ("unknown", "X"): "arn:e3", ("unknown", "V"): "arn:orphan",
}  # fmt: skip


def _fill_0003(engine: Engine) -> None:
    """Executions and their `orders` rows as a 0003 database holds them."""
    with engine.begin() as connection:
        for arn, result in EXECUTIONS.items():
            connection.execute(
                text(
                    "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, "
                    "result_data, created_at, updated_at) "
                    "VALUES (:arn, 'SUCCEEDED', 'saved', 4, :result, '2026-01-01', '2026-01-01')"
                ),
                {"arn": arn, "result": result},
            )
        for arn, name, u_time in OLD_ROWS:
            connection.execute(
                text(
                    "INSERT INTO orders (execution_arn, symbol, order_id, order_id_num, stream, market, c_time, "
                    "u_time, raw, created_at) VALUES (:arn, 'BTCUSDT', :oid, :num, 'spot_normal', 'spot', 7, "
                    ":u, :raw, '2026-01-01 00:00:00.000000')"
                ),
                {
                    "arn": arn,
                    "oid": str(ORDER_IDS[name]),
                    "num": ORDER_IDS[name],
                    "u": u_time,
                    "raw": json.dumps({"copy": arn, "orderId": name}),
                },
            )


def _ledger(engine: Engine) -> dict[tuple[str, str], str]:
    """(account, order name) -> the execution whose copy the ledger holds."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT account_id, raw FROM ledger_orders")).all()
    return {(account, json.loads(raw)["orderId"]): json.loads(raw)["copy"] for account, raw in rows}


def _links(engine: Engine) -> list[tuple[str, str, str]]:
    """(execution, account of the linked row, order name) of every link."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.execution_arn, l.account_id, l.raw FROM execution_orders x "
                "JOIN execution_results e ON e.id = x.execution_id JOIN ledger_orders l ON l.id = x.order_pk"
            )
        ).all()
    return sorted((arn, account, json.loads(raw)["orderId"]) for arn, account, raw in rows)


def _check_migrated(engine: Engine) -> None:
    assert "orders" not in inspect(engine).get_table_names()
    assert _ledger(engine) == WINNERS
    account = {"arn:e1": "111", "arn:e2": "111", "arn:e3": "unknown", "arn:orphan": "unknown"}
    assert _links(engine) == sorted((arn, account[arn], name) for arn, name, _ in OLD_ROWS)
    with engine.connect() as connection:
        records = connection.execute(
            text("SELECT execution_arn, account_id, status, orders_saved FROM execution_results")
        ).all()
    assert sorted(tuple(r) for r in records) == [
        ("arn:e1", "111", "SUCCEEDED", 4),
        ("arn:e2", "111", "SUCCEEDED", 4),
        ("arn:e3", "unknown", "SUCCEEDED", 4),
        ("arn:orphan", "unknown", "UNKNOWN", 1),  # adopted, so its row was not dropped
    ]


def _check_downgraded(engine: Engine) -> None:
    """`orders` is back with one row per link, each the ledger's copy; the ledger tables are gone."""
    tables = set(inspect(engine).get_table_names())
    assert "orders" in tables and not tables & {"ledger_orders", "execution_orders", "account_coverage"}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT execution_arn, order_id, raw FROM orders")).all()
    restored = sorted((arn, json.loads(raw)["orderId"], json.loads(raw)["copy"]) for arn, _, raw in rows)
    account = {"arn:e1": "111", "arn:e2": "111", "arn:e3": "unknown", "arn:orphan": "unknown"}
    assert restored == sorted((arn, name, WINNERS[(account[arn], name)]) for arn, name, _ in OLD_ROWS)


def _migrate(url: str, revision: str, batch_rows: int | None = None, down: bool = False) -> None:
    config = alembic_config(url)
    if batch_rows is not None:
        config.attributes["ledger_batch_rows"] = batch_rows
    (command.downgrade if down else command.upgrade)(config, revision)


@pytest.mark.parametrize("batch_rows", [3, 5000])
def test_0004_moves_orders_into_the_ledger_and_back(tmp_path, batch_rows: int) -> None:
    # GIVEN a 0003 database where executions share orders with different uTimes
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _migrate(url, "0003_hydration_owner")
    engine = make_engine(url)
    try:
        _fill_0003(engine)
        # WHEN it is upgraded (in batches of 3 rows: four batches, shared orders across them)
        _migrate(url, "head", batch_rows)
        # THEN one ledger row per account and order, the newest copy winning, one link per old row
        _check_migrated(engine)
        # AND a downgrade gives `orders` back, and an upgrade again ends the same
        _migrate(url, "0003_hydration_owner", batch_rows, down=True)
        _check_downgraded(engine)
        _migrate(url, "head", batch_rows)
        _check_migrated(engine)
    finally:
        engine.dispose()


def _cut_after_the_first_batch(engine: Engine) -> None:
    """What an upgrade cut short leaves: the new tables and column committed, e1's account recorded and its
    first order moved and linked; `orders` and the version (0003) as they were."""
    new_tables = [
        Base.metadata.tables[name] for name in ("ledger_orders", "execution_orders", "account_coverage")
    ]
    Base.metadata.create_all(engine, tables=new_tables)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE execution_results ADD COLUMN account_id VARCHAR(32)"))
        connection.execute(
            text("CREATE INDEX ix_execution_results_account_id ON execution_results (account_id)")
        )
        connection.execute(
            text("UPDATE execution_results SET account_id = '111' WHERE execution_arn = 'arn:e1'")
        )
        connection.execute(
            text(
                "INSERT INTO ledger_orders (account_id, symbol, order_id, order_id_num, stream, market, c_time, "
                "u_time, raw, created_at, updated_at) SELECT '111', symbol, order_id, order_id_num, stream, market, "
                "c_time, u_time, raw, created_at, created_at FROM orders WHERE id = 1"
            )
        )
        connection.execute(
            text(
                "INSERT INTO execution_orders (execution_id, order_pk, symbol, stream, c_time, order_id_num) "
                "SELECT 1, 1, symbol, stream, c_time, order_id_num FROM ledger_orders"
            )
        )


def test_0004_run_again_after_a_cut_ends_as_a_clean_run(tmp_path) -> None:
    # GIVEN a 0003 database whose upgrade was cut after its first batch
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _migrate(url, "0003_hydration_owner")
    engine = make_engine(url)
    try:
        _fill_0003(engine)
        _cut_after_the_first_batch(engine)
        assert _ledger(engine) == {("111", "X"): "arn:e1"}
        # WHEN it is upgraded again  THEN it ends as a clean run does
        _migrate(url, "head", 3)
        _check_migrated(engine)
    finally:
        engine.dispose()


@pytest.fixture
def mariadb_at_0003(mysql_url: str) -> Iterator[Engine]:
    """The session's MariaDB database downgraded to 0003 (and migrated back to head afterwards)."""
    engine = make_engine(mysql_url)
    try:
        _migrate(mysql_url, "0003_hydration_owner", down=True)
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM execution_results"))
            for table in inspect(engine).get_table_names():
                if table in ("orders", "ledger_orders", "execution_orders", "account_coverage"):
                    connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
        run_migrations(mysql_url)
        engine.dispose()


@pytest.mark.mysql
def test_0004_moves_orders_into_the_ledger_and_back_on_mariadb(
    mariadb_at_0003: Engine, mysql_url: str
) -> None:
    engine = mariadb_at_0003
    assert "hydration_owner" in {c["name"] for c in inspect(engine).get_columns("execution_results")}
    _fill_0003(engine)
    _migrate(mysql_url, "head", 3)
    _check_migrated(engine)
    _migrate(mysql_url, "0003_hydration_owner", 3, down=True)
    _check_downgraded(engine)
    _migrate(mysql_url, "head", 3)
    _check_migrated(engine)


@pytest.mark.mysql
def test_0003_upgrades_and_downgrades_on_mariadb(mysql_url: str) -> None:
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

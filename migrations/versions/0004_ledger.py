"""The account ledger: ledger_orders (one row per account, stream and order), execution_orders (the links "this
execution saw that order"), account_coverage, and execution_results.account_id; today's `orders` move into them.

Upgrade, in this order:
1. the new tables and column (each skipped when it exists: a run cut short can simply be run again);
2. the account of every execution: the top-level `account_id` of its stored result (the aggregator's response,
   or the started response's echo), else "unknown";
3. `orders` rows whose execution has no record (none are expected) get a bare record, so nothing is dropped;
4. the rows move in batches of `BATCH_ROWS` by id, one transaction each (bounded memory and transactions for
   millions of rows): one ledger row per (account, stream, order_id), the copy with the greatest u_time
   winning (NULL the oldest), ties to the newest row; one link per old row. Doing a batch again changes
   nothing, so a second run after a crash ends the same;
5. `orders` is dropped.
Downgrade recreates `orders` from the links and the ledger (each execution gets the ledger's copy of its
orders; orders no execution links, and the coverage, are lost), in batches, then drops the new tables.

Revision ID: 0004_ledger
Revises: 0003_hydration_owner
Create Date: 2026-12-15
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine

revision: str = "0004_ledger"
down_revision: str | None = "0003_hydration_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
BATCH_ROWS = 5000  # old rows per transaction; Alembic callers may set config.attributes["ledger_batch_rows"]
EXECUTION_BATCH = 100  # execution records per transaction (a stored result is up to ~256 KiB)
UNKNOWN = "unknown"
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # as app/services/ledger_writes/accounts.py
ACCOUNT = (
    f"COALESCE(e.account_id, '{UNKNOWN}')"  # every record has one by then; a record added meanwhile may not
)
ORDER_FIELDS = (
    "symbol", "order_id", "order_id_num", "stream", "market", "product_type", "client_oid", "size", "price",
    "price_avg", "status", "side", "order_type", "trade_side", "leverage", "margin_mode", "pos_side", "fee",
    "quote_volume", "base_volume", "c_time", "u_time", "raw",
)  # fmt: skip
# Replaced by a winning copy; u_time last: MySQL assigns left to right and every test must see the old one.
REPLACED = (*(f for f in ORDER_FIELDS if f not in ("stream", "order_id", "u_time")), "updated_at", "u_time")


def _batch_rows() -> int:
    return int(context.config.attributes.get("ledger_batch_rows", BATCH_ROWS))


def _text(name: str, length: int | None = None, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=nullable)


def _order_columns() -> list[sa.Column]:
    """The order fields as `orders` (0001_initial) and the ledger hold them."""
    return [
        _text("symbol", 50, nullable=False),
        _text("order_id", 50, nullable=False),
        sa.Column("order_id_num", sa.BigInteger(), nullable=False),
        _text("stream", 32, nullable=False),
        _text("market", 10, nullable=False),
        _text("product_type", 20),
        _text("client_oid", 100),
        _text("size", 50),
        _text("price", 50),
        _text("price_avg", 50),
        _text("status", 32),
        _text("side", 10),
        _text("order_type", 20),
        _text("trade_side", 32),
        _text("leverage", 10),
        _text("margin_mode", 20),
        _text("pos_side", 10),
        _text("fee", 50),
        _text("quote_volume", 50),
        _text("base_volume", 50),
        sa.Column("c_time", sa.BigInteger(), nullable=False),
        sa.Column("u_time", sa.BigInteger()),
        _text("raw", nullable=False),
    ]


def _create_ledger_orders() -> None:
    op.create_table(
        "ledger_orders",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _text("account_id", 32, nullable=False),
        *_order_columns(),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("account_id", "stream", "order_id", name="uq_ledger_account_stream_order"),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "order_id_num", "id"]
    op.create_index("ix_ledger_account_newest", "ledger_orders", ["account_id", *newest])
    op.create_index("ix_ledger_account_symbol_newest", "ledger_orders", ["account_id", "symbol", *newest])
    op.create_index("ix_ledger_account_stream_newest", "ledger_orders", ["account_id", "stream", *newest])


def _create_execution_orders() -> None:
    op.create_table(
        "execution_orders",
        sa.Column("execution_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("order_pk", sa.BigInteger(), primary_key=True, autoincrement=False),
        _text("symbol", 50, nullable=False),
        _text("stream", 32, nullable=False),
        sa.Column("c_time", sa.BigInteger(), nullable=False),
        sa.Column("order_id_num", sa.BigInteger(), nullable=False),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "order_id_num", "order_pk"]
    op.create_index("ix_execution_orders_newest", "execution_orders", ["execution_id", *newest])
    op.create_index(
        "ix_execution_orders_symbol_newest", "execution_orders", ["execution_id", "symbol", *newest]
    )
    op.create_index(
        "ix_execution_orders_stream_newest", "execution_orders", ["execution_id", "stream", *newest]
    )
    op.create_index("ix_execution_orders_order", "execution_orders", ["order_pk"])


def _create_account_coverage() -> None:
    op.create_table(
        "account_coverage",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _text("account_id", 32, nullable=False),
        _text("stream", 32, nullable=False),
        _text("symbol", 50, nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        _text("execution_arn", 255, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint(
            "execution_arn", "stream", "symbol", name="uq_account_coverage_execution_stream_symbol"
        ),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_account_coverage_account", "account_coverage", ["account_id", "stream", "symbol", "start_ms"]
    )


def _create_schema() -> None:
    inspector = sa.inspect(op.get_bind())
    if "account_id" not in {c["name"] for c in inspector.get_columns("execution_results")}:
        op.add_column("execution_results", sa.Column("account_id", sa.String(32)))
        op.create_index("ix_execution_results_account_id", "execution_results", ["account_id"])
    tables = set(inspector.get_table_names())
    for name, create in (
        ("ledger_orders", _create_ledger_orders),
        ("execution_orders", _create_execution_orders),
        ("account_coverage", _create_account_coverage),
    ):
        if name not in tables:
            create()


def account_of(result_data: str | None) -> str:
    """The top-level `account_id` of a stored result (aggregator or started response), else "unknown"."""
    try:
        result = json.loads(result_data) if result_data else None
    except ValueError:
        return UNKNOWN
    value = result.get("account_id") if isinstance(result, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return UNKNOWN
    text = str(value).strip()
    return text if ACCOUNT_ID.fullmatch(text) else UNKNOWN


def _record_accounts(engine: Engine) -> None:
    """execution_results.account_id of every execution that has none, EXECUTION_BATCH records at a time."""
    select_ = sa.text(
        "SELECT id, result_data FROM execution_results WHERE id > :last AND account_id IS NULL ORDER BY id LIMIT :n"
    )
    update = sa.text("UPDATE execution_results SET account_id = :account WHERE id = :id")
    last = 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(select_, {"last": last, "n": EXECUTION_BATCH}).all()
            if not rows:
                return
            connection.execute(
                update, [{"id": row.id, "account": account_of(row.result_data)} for row in rows]
            )
        last = rows[-1].id


def _adopt_orphans(engine: Engine) -> None:
    """A bare, saved record for each ARN of `orders` without one (as ExecutionRecords.ensure_execution makes)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO execution_results (execution_arn, status, hydration_state, orders_saved, account_id, "
                "created_at, updated_at) SELECT o.execution_arn, 'UNKNOWN', 'saved', COUNT(*), :unknown, :now, :now "
                "FROM orders o LEFT JOIN execution_results e ON e.execution_arn = o.execution_arn "
                "WHERE e.id IS NULL GROUP BY o.execution_arn"
            ),
            {"unknown": UNKNOWN, "now": now},
        )


def _ledger_upsert_sql(dialect: str) -> str:
    """Old rows with ids in (:lo, :hi] into the ledger, oldest row first: a copy replaces the stored one when its
    u_time is greater or equal (NULL the oldest), so the greatest u_time wins and, among equals, the newest row."""
    columns = ", ".join(("account_id", *ORDER_FIELDS, "created_at", "updated_at"))
    values = ", ".join((ACCOUNT, *(f"o.{f}" for f in ORDER_FIELDS), "o.created_at", "o.created_at"))
    select_ = (
        f"SELECT {values} FROM orders o JOIN execution_results e ON e.execution_arn = o.execution_arn "  # noqa: S608 (fixed names)
        "WHERE o.id > :lo AND o.id <= :hi ORDER BY o.id"
    )
    insert = f"INSERT INTO ledger_orders ({columns}) {select_}"
    if dialect == "sqlite":
        wins = "COALESCE(excluded.u_time, -1) >= COALESCE(ledger_orders.u_time, -1)"
        changes = ", ".join(f"{c} = excluded.{c}" for c in REPLACED)
        return f"{insert} ON CONFLICT (account_id, stream, order_id) DO UPDATE SET {changes} WHERE {wins}"
    wins = "COALESCE(VALUES(u_time), -1) >= COALESCE(ledger_orders.u_time, -1)"
    changes = ", ".join(f"ledger_orders.{c} = IF({wins}, VALUES({c}), ledger_orders.{c})" for c in REPLACED)
    return f"{insert} ON DUPLICATE KEY UPDATE {changes}"


def _links_sql(dialect: str) -> str:
    """One link per old row with an id in (:lo, :hi], to its ledger row."""
    verb = "INSERT OR IGNORE" if dialect == "sqlite" else "INSERT IGNORE"
    return (
        f"{verb} INTO execution_orders (execution_id, order_pk, symbol, stream, c_time, order_id_num) "  # noqa: S608
        "SELECT e.id, l.id, o.symbol, o.stream, o.c_time, o.order_id_num FROM orders o "
        "JOIN execution_results e ON e.execution_arn = o.execution_arn "
        f"JOIN ledger_orders l ON l.account_id = {ACCOUNT} AND l.stream = o.stream AND l.order_id = o.order_id "
        "WHERE o.id > :lo AND o.id <= :hi"
    )


def _batch_end(connection: Connection, table: str, column: str, after: int, where: str = "") -> int | None:
    """The `column` value closing the next batch after `after` (the batch's last), None when none is left."""
    params: dict[str, Any] = {"after": after, "skip": _batch_rows() - 1}
    query = f"SELECT {column} FROM {table} WHERE {column} > :after {where}"  # noqa: S608 (fixed names)
    end = connection.scalar(sa.text(f"{query} ORDER BY {column} LIMIT 1 OFFSET :skip"), params)
    if end is None:
        end = connection.scalar(
            sa.text(query.replace(f"SELECT {column}", f"SELECT MAX({column})", 1)), params
        )
    return None if end is None else int(end)


def _move_orders(engine: Engine) -> None:
    upsert, links = _ledger_upsert_sql(engine.dialect.name), _links_sql(engine.dialect.name)
    last = 0
    while True:
        with engine.begin() as connection:
            end = _batch_end(connection, "orders", "id", last)
            if end is None:
                return
            connection.execute(sa.text(upsert), {"lo": last, "hi": end})
            connection.execute(sa.text(links), {"lo": last, "hi": end})
        last = end


def upgrade() -> None:
    if context.is_offline_mode():
        raise RuntimeError("0004_ledger moves rows in batches: run it against a database, not with --sql")
    _create_schema()
    inspector = sa.inspect(op.get_bind())
    has_orders = "orders" in inspector.get_table_names()
    # The new tables are committed here; every batch below commits on its own connection.
    with op.get_context().autocommit_block():
        engine = op.get_bind().engine
        _record_accounts(engine)
        if has_orders:
            _adopt_orphans(engine)
            _move_orders(engine)
    if has_orders:
        op.drop_table("orders")


def _create_orders() -> None:
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _text("execution_arn", 255, nullable=False),
        *_order_columns(),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("execution_arn", "stream", "order_id", name="uq_orders_execution_stream_order"),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "order_id_num", "id"]
    op.create_index("ix_orders_execution_newest", "orders", ["execution_arn", *newest])
    op.create_index("ix_orders_execution_symbol_newest", "orders", ["execution_arn", "symbol", *newest])
    op.create_index("ix_orders_execution_stream_newest", "orders", ["execution_arn", "stream", *newest])


def _restore_orders(engine: Engine) -> None:
    """`orders` rows from each execution's links, in batches of links (by execution, then order)."""
    verb = "INSERT OR IGNORE" if engine.dialect.name == "sqlite" else "INSERT IGNORE"
    fields = ", ".join(ORDER_FIELDS)
    restore = sa.text(
        f"{verb} INTO orders (execution_arn, {fields}, created_at) "  # noqa: S608 (fixed names)
        f"SELECT e.execution_arn, {', '.join(f'l.{f}' for f in ORDER_FIELDS)}, l.created_at "
        "FROM execution_orders x JOIN ledger_orders l ON l.id = x.order_pk "
        "JOIN execution_results e ON e.id = x.execution_id "
        "WHERE x.execution_id = :execution AND x.order_pk > :lo AND x.order_pk <= :hi"
    )
    with engine.connect() as connection:
        executions = connection.scalars(sa.text("SELECT DISTINCT execution_id FROM execution_orders")).all()
    for execution in executions:  # ids only: a few bytes per execution
        last = 0
        while True:
            with engine.begin() as connection:
                where = f"AND execution_id = {int(execution)}"
                end = _batch_end(connection, "execution_orders", "order_pk", last, where)
                if end is None:
                    break
                connection.execute(restore, {"execution": execution, "lo": last, "hi": end})
            last = end


def downgrade() -> None:
    if context.is_offline_mode():
        raise RuntimeError("0004_ledger moves rows in batches: run it against a database, not with --sql")
    if "orders" not in sa.inspect(op.get_bind()).get_table_names():
        _create_orders()
    with op.get_context().autocommit_block():
        _restore_orders(op.get_bind().engine)
    for table in ("account_coverage", "execution_orders", "ledger_orders"):
        op.drop_table(table)
    op.drop_index("ix_execution_results_account_id", table_name="execution_results")
    with op.batch_alter_table("execution_results") as batch:
        batch.drop_column("account_id")

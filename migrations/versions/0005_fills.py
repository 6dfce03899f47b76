"""Fills: ledger_fills (one row per account, stream and trade id), execution_fills (the links "this execution
saw that fill"), and execution_results.fills_saved.

Nothing moves: fills are new. Executions saved before this revision keep `fills_saved` NULL (they read no
fills). Each step is skipped when already done, so an upgrade cut short can simply be run again. Downgrade drops
the fills (they cannot be kept anywhere in the 0004 schema) and the column.

Revision ID: 0005_fills
Revises: 0004_ledger
Create Date: 2027-01-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005_fills"
down_revision: str | None = "0004_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _text(name: str, length: int | None = None, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=nullable)


def _create_ledger_fills() -> None:
    op.create_table(
        "ledger_fills",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _text("account_id", 32, nullable=False),
        _text("symbol", 50, nullable=False),
        _text("trade_id", 50, nullable=False),
        sa.Column("trade_id_num", sa.BigInteger(), nullable=False),
        _text("order_id", 50),
        _text("stream", 32, nullable=False),
        _text("market", 10, nullable=False),
        _text("product_type", 20),
        _text("side", 10),
        _text("trade_side", 50),
        _text("order_type", 20),
        _text("trade_scope", 16),
        _text("price", 50),
        _text("size", 50),
        _text("amount", 50),
        _text("fee", 50),
        _text("fee_coin", 50),
        _text("profit", 50),
        sa.Column("c_time", sa.BigInteger(), nullable=False),
        sa.Column("u_time", sa.BigInteger()),
        _text("raw", nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("account_id", "stream", "trade_id", name="uq_ledger_fills_account_stream_trade"),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "trade_id_num", "id"]
    op.create_index("ix_ledger_fills_account_newest", "ledger_fills", ["account_id", *newest])
    for column in ("symbol", "stream", "order"):
        name = "order_id" if column == "order" else column
        op.create_index(
            f"ix_ledger_fills_account_{column}_newest", "ledger_fills", ["account_id", name, *newest]
        )


def _create_execution_fills() -> None:
    op.create_table(
        "execution_fills",
        sa.Column("execution_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("fill_pk", sa.BigInteger(), primary_key=True, autoincrement=False),
        _text("symbol", 50, nullable=False),
        _text("stream", 32, nullable=False),
        sa.Column("c_time", sa.BigInteger(), nullable=False),
        sa.Column("trade_id_num", sa.BigInteger(), nullable=False),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "trade_id_num", "fill_pk"]
    op.create_index("ix_execution_fills_newest", "execution_fills", ["execution_id", *newest])
    op.create_index(
        "ix_execution_fills_symbol_newest", "execution_fills", ["execution_id", "symbol", *newest]
    )
    op.create_index(
        "ix_execution_fills_stream_newest", "execution_fills", ["execution_id", "stream", *newest]
    )
    op.create_index("ix_execution_fills_fill", "execution_fills", ["fill_pk"])


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "fills_saved" not in {c["name"] for c in inspector.get_columns("execution_results")}:
        with op.batch_alter_table("execution_results") as batch:
            batch.add_column(sa.Column("fills_saved", sa.Integer()))
    tables = set(inspector.get_table_names())
    if "ledger_fills" not in tables:
        _create_ledger_fills()
    if "execution_fills" not in tables:
        _create_execution_fills()


def downgrade() -> None:
    for table in ("execution_fills", "ledger_fills"):
        op.drop_table(table)
    with op.batch_alter_table("execution_results") as batch:
        batch.drop_column("fills_saved")

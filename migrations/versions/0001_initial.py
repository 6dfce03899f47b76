"""Initial schema: execution_results, orders, processing_logs, symbol_metadata.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, primary_key=True, autoincrement=True)


def _text(name: str, length: int | None = None, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=nullable)


def _create_execution_results() -> None:
    op.create_table(
        "execution_results",
        _id(),
        sa.Column("execution_arn", sa.String(255), nullable=False, unique=True),
        _text("execution_name", 128),
        sa.Column("status", sa.String(50), nullable=False),
        _text("symbols"),
        sa.Column("start_ms", sa.BigInteger()),
        sa.Column("end_ms", sa.BigInteger()),
        sa.Column("total_symbols", sa.Integer()),
        sa.Column("total_orders", sa.Integer()),
        _text("s3_uri"),
        _text("public_url"),
        _text("result_data"),
        sa.Column("processing_time_seconds", sa.Float()),
        _text("error"),
        sa.Column("hydration_state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("orders_saved", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("hydration_started_at", TIMESTAMP),
        sa.Column("hydration_finished_at", TIMESTAMP),
        _text("hydration_source"),
        _text("hydration_token", 36),
        sa.Column("hydration_heartbeat_at", TIMESTAMP),
        _text("hydration_error"),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        **MYSQL_TABLE,
    )


def _create_orders() -> None:
    op.create_table(
        "orders",
        _id(),
        _text("execution_arn", 255, nullable=False),
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
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("execution_arn", "stream", "order_id", name="uq_orders_execution_stream_order"),
        **MYSQL_TABLE,
    )
    newest = ["c_time", "order_id_num", "id"]
    op.create_index("ix_orders_execution_newest", "orders", ["execution_arn", *newest])
    op.create_index("ix_orders_execution_symbol_newest", "orders", ["execution_arn", "symbol", *newest])
    op.create_index("ix_orders_execution_stream_newest", "orders", ["execution_arn", "stream", *newest])


def _create_processing_logs() -> None:
    op.create_table(
        "processing_logs",
        _id(),
        _text("execution_arn", 255, nullable=False),
        _text("level", 20, nullable=False),
        _text("message", nullable=False),
        _text("details"),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        **MYSQL_TABLE,
    )
    op.create_index("ix_processing_logs_execution", "processing_logs", ["execution_arn", "id"])


def _create_symbol_metadata() -> None:
    op.create_table(
        "symbol_metadata",
        _id(),
        _text("symbol", 50, nullable=False),
        _text("product_type", 20, nullable=False),
        _text("status", 32),
        _text("base_coin", 32),
        _text("quote_coin", 32),
        _text("data"),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("symbol", "product_type", name="uq_symbol_metadata_symbol_type"),
        **MYSQL_TABLE,
    )


def upgrade() -> None:
    _create_execution_results()
    _create_orders()
    _create_processing_logs()
    _create_symbol_metadata()


def downgrade() -> None:
    for table in ("symbol_metadata", "processing_logs", "orders", "execution_results"):
        op.drop_table(table)

"""Drop `symbol_metadata`: nothing read or wrote it (GET /symbols keeps its list in memory, for
SYMBOLS_CACHE_SECONDS), so the table only ever held nothing.

Skipped when the table is already gone, so an upgrade cut short is simply run again. Downgrade (to
`0005_fills`) recreates the empty table exactly as `0001_initial` made it.

Revision ID: 0006_drop_symbol_metadata
Revises: 0005_fills
Create Date: 2027-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006_drop_symbol_metadata"
down_revision: str | None = "0005_fills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "symbol_metadata"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _exists() -> bool:
    return TABLE in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if _exists():
        op.drop_table(TABLE)


def downgrade() -> None:
    if _exists():
        return
    op.create_table(
        TABLE,
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("symbol", sa.String(50), nullable=False),
        sa.Column("product_type", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("base_coin", sa.String(32), nullable=True),
        sa.Column("quote_coin", sa.String(32), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("symbol", "product_type", name="uq_symbol_metadata_symbol_type"),
        **MYSQL_TABLE,
    )

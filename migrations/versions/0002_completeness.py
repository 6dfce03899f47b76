"""Completeness of an execution and rows its hydration rejected: execution_results.complete,
incomplete_streams, incomplete_streams_count, rows_rejected.

Revision ID: 0002_completeness
Revises: 0001_initial
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_completeness"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("complete", "incomplete_streams", "incomplete_streams_count", "rows_rejected")


def upgrade() -> None:
    # Nullable: executions recorded before this revision (and running ones) have unknown completeness.
    with op.batch_alter_table("execution_results") as batch:
        batch.add_column(sa.Column("complete", sa.Boolean()))
        batch.add_column(sa.Column("incomplete_streams", sa.Text()))  # JSON list, as in the summary
        batch.add_column(sa.Column("incomplete_streams_count", sa.Integer()))
        batch.add_column(sa.Column("rows_rejected", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("execution_results") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)

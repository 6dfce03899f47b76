"""Owner of a hydration claim: execution_results.hydration_owner (host:pid:process start).

A hydration whose owner process is known to be dead is taken over at once instead of after the heartbeat goes
stale; claims recorded before this revision have no owner and keep the heartbeat rule.

Revision ID: 0003_hydration_owner
Revises: 0002_completeness
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_hydration_owner"
down_revision: str | None = "0002_completeness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("execution_results") as batch:
        batch.add_column(sa.Column("hydration_owner", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("execution_results") as batch:
        batch.drop_column("hydration_owner")

"""Recording how a hydration ended ('saved' with its counts, or 'failed' with its error), fenced by the claim's
token like every progress write (`fenced_writes.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionResult, utcnow
from app.services.hydration.fenced_writes import LoadTarget
from app.services.ledger_writes.accounts import UNKNOWN_ACCOUNT
from app.services.ledger_writes.coverage import replace_coverage


def record_outcome(
    sessions: sessionmaker[Session],
    execution_arn: str,
    token: str,
    state: str,
    *,
    orders_saved: int | None = None,
    fills_saved: int | None = None,
    rows_rejected: int | None = None,
    error: str | None = None,
    target: LoadTarget | None = None,
) -> bool:
    """Record the outcome while our claim holds (False: it was taken over; nothing written). A `target`
    (a successful load) replaces the execution's coverage rows in the same transaction."""
    now = utcnow()
    values: dict[str, Any] = {
        "hydration_state": state,
        "hydration_finished_at": now,
        "hydration_error": error,
        "updated_at": now,
    }
    if orders_saved is not None:
        values["orders_saved"] = orders_saved
    if fills_saved is not None:
        values["fills_saved"] = fills_saved
    if rows_rejected is not None:
        values["rows_rejected"] = rows_rejected
    table = ExecutionResult
    with sessions() as session, session.begin():
        connection = session.connection()
        result = connection.execute(
            update(table)
            .where(table.execution_arn == execution_arn, table.hydration_token == token)
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        if target is not None:
            # An unknown account mixes whatever accounts ran without a check: no coverage is claimed for it.
            known = target.account_id != UNKNOWN_ACCOUNT
            replace_coverage(connection, execution_arn, target.account_id, target.coverage if known else [])
    return True

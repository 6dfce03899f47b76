"""Shared by the DatabaseService parts: naive-UTC timestamps out as ISO strings, JSON text columns in and out,
the count of an execution's stored orders, and the retry of a MySQL deadlock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionOrder, ExecutionResult

logger = logging.getLogger(__name__)
T = TypeVar("T")
# MySQL/MariaDB: ER_LOCK_DEADLOCK (InnoDB rolled the transaction back), ER_LOCK_WAIT_TIMEOUT.
_DEADLOCK_CODES = (1213, 1205)
DEADLOCK_ATTEMPTS = 3


class UsesSessions:
    """Base of the DatabaseService parts: each opens its own sessions from the one factory."""

    _sessions: sessionmaker[Session]

    def _write_engine(self) -> Engine:
        """The engine behind the sessions (for a connection of one's own, e.g. under a ledger lock)."""
        with self._sessions() as session:
            bind = session.get_bind()
        return bind if isinstance(bind, Engine) else bind.engine


def count_stored_orders(sessions: sessionmaker[Session], execution_arn: str) -> int:
    """The orders stored for one execution: its links to the ledger."""
    execution_id = select(ExecutionResult.id).where(ExecutionResult.execution_arn == execution_arn)
    query = (
        select(func.count())
        .select_from(ExecutionOrder)
        .where(ExecutionOrder.execution_id == execution_id.scalar_subquery())
    )
    with sessions() as session:
        return session.scalar(query) or 0


def is_deadlock(exc: BaseException) -> bool:
    """A MySQL/MariaDB deadlock or lock wait timeout: the transaction was rolled back and may simply be re-run."""
    code = getattr(getattr(exc, "orig", None), "args", (None,))[0]
    return isinstance(exc, OperationalError) and code in _DEADLOCK_CODES


def retry_on_deadlock(run: Callable[[], T], attempts: int = DEADLOCK_ATTEMPTS) -> T:
    """`run()` (one whole transaction), run again when the database rolled it back for a deadlock."""
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except OperationalError as exc:
            if attempt == attempts or not is_deadlock(exc):
                raise
            logger.warning("deadlock, transaction retried", extra={"attempt": attempt})
    raise AssertionError("unreachable")


def iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


def json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None

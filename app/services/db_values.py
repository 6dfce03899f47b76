"""Shared by the database parts (app/services/database.py): the engine behind a session factory, naive-UTC
timestamps out as ISO strings, JSON text columns in and out, and the retry of a MySQL deadlock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)
T = TypeVar("T")
# MySQL/MariaDB: ER_LOCK_DEADLOCK (InnoDB rolled the transaction back), ER_LOCK_WAIT_TIMEOUT.
_DEADLOCK_CODES = (1213, 1205)
DEADLOCK_ATTEMPTS = 3


def bound_engine(sessions: sessionmaker[Session]) -> Engine:
    """The engine behind the sessions (for connections of one's own: reads, writes under a ledger lock)."""
    with sessions() as session:
        bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


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

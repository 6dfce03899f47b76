"""An execution's hydration as its row records it (state, counts, times, error), and the text stored there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionResult
from app.services.db_values import aware

# "deleting": DELETE /orders/{arn} holds the execution while it removes it (nothing may claim it then).
HydrationStatus = Literal["pending", "saving", "saved", "failed", "deleting"]

_MAX_ERROR_CHARS = 1000
_URL_QUERY = re.compile(r"(\w+://[^\s?#]+)\?[^\s]*")


@dataclass
class HydrationState:
    state: HydrationStatus
    orders_saved: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: str | None
    rows_rejected: int | None = None  # order and fill records the last finished hydration skipped
    fills_saved: int | None = None  # fills the execution saw and linked (None: saved before fills existed)


def redact(text: str) -> str:
    """Text safe to store and show: URL query strings (presigned signatures) cut, length bounded."""
    return _URL_QUERY.sub(r"\1?…", text)[:_MAX_ERROR_CHARS]


def read_state(sessions: sessionmaker[Session], execution_arn: str) -> HydrationState:
    """The execution's hydration columns; 'pending' with nothing saved for an execution not recorded."""
    with sessions() as session:
        row = session.execute(
            select(
                ExecutionResult.hydration_state,
                ExecutionResult.orders_saved,
                ExecutionResult.hydration_started_at,
                ExecutionResult.hydration_finished_at,
                ExecutionResult.hydration_error,
                ExecutionResult.rows_rejected,
                ExecutionResult.fills_saved,
            ).where(ExecutionResult.execution_arn == execution_arn)
        ).first()
    if row is None:
        return HydrationState("pending", 0, None, None, None, None)
    state, saved, started, finished, error, rejected, fills = row
    duration = (finished - started).total_seconds() if started and finished else None
    return HydrationState(
        cast(HydrationStatus, state),
        saved,
        aware(started),
        aware(finished),
        duration,
        error,
        rejected,
        fills,
    )

"""Shared by the DatabaseService parts: naive-UTC timestamps out as ISO strings, JSON text columns in and out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import Order


class UsesSessions:
    """Base of the DatabaseService parts: each opens its own sessions from the one factory."""

    _sessions: sessionmaker[Session]


def count_stored_orders(sessions: sessionmaker[Session], execution_arn: str) -> int:
    """Rows in `orders` for one execution."""
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Order).where(Order.execution_arn == execution_arn)
            )
            or 0
        )


def iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


def json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None

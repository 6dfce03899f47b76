"""Bulk inserts: every row stored once, duplicates under the unique key skipped and not counted."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from app.models.database import Order, utcnow
from app.models.order_rows import order_row
from app.services.order_inserts import insert_rows, sqlite_batches
from tests.services.factories import make_orders

ARN = "arn:test:inserts"


def test_batches_are_equal_within_the_limit_and_keep_every_value() -> None:
    rows = [(i, f"r{i}") for i in range(2000)]
    batches = list(sqlite_batches(rows, most=1310))
    assert [count for count, _ in batches] == [1000, 1000]
    assert [value for _, params in batches for value in params] == [v for row in rows for v in row]
    assert [count for count, _ in sqlite_batches(rows[:7], most=3)] == [3, 3, 1]
    assert list(sqlite_batches([], most=3)) == []


def test_rows_beyond_one_statement_are_all_stored_once(engine: Engine) -> None:
    now = utcnow()
    rows = [order_row(order, ARN, now) for order in make_orders(3000)]  # > 1 SQLite statement's worth
    with engine.begin() as connection:
        assert insert_rows(connection, rows) == 3000
    with engine.begin() as connection:
        assert insert_rows(connection, rows[:10] + rows[-5:]) == 0  # already there: ignored, not counted
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Order).where(Order.execution_arn == ARN))
        created = connection.scalar(select(Order.created_at).where(Order.execution_arn == ARN).limit(1))
    assert stored == 3000
    assert created == now

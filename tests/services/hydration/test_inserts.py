"""The hot path's statements: ledger rows stored once per (account, stream, order), replaced only by a newer
copy; links added once per execution and order."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from app.models.database import ExecutionOrder, LedgerOrder, utcnow
from app.models.ledger_tables import ORDERS
from app.models.order_rows import ORDER_COLUMNS, order_row
from app.services.hydration.inserts import link_rows, sqlite_batches, upsert_rows
from tests.services.factories import make_orders

ACCOUNT = "1234567890"
U_TIME = ORDER_COLUMNS.index("u_time")


def test_batches_are_equal_within_the_limit_and_keep_every_value() -> None:
    rows = [(i, f"r{i}") for i in range(2000)]
    batches = list(sqlite_batches(rows, most=1310))
    assert [count for count, _ in batches] == [1000, 1000]
    assert [value for _, params in batches for value in params] == [v for row in rows for v in row]
    assert [count for count, _ in sqlite_batches(rows[:7], most=3)] == [3, 3, 1]
    assert list(sqlite_batches([], most=3)) == []


def _with_u_time(row: tuple, u_time: int | None, price: str) -> tuple:
    values = list(row)
    values[U_TIME], values[ORDER_COLUMNS.index("price")] = u_time, price
    return tuple(values)


def _stored(engine: Engine) -> dict[str, tuple[int | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(LedgerOrder.order_id, LedgerOrder.u_time, LedgerOrder.price)).all()
    return {order_id: (u_time, price) for order_id, u_time, price in rows}


def test_rows_beyond_one_statement_are_stored_once_and_linked_once(engine: Engine) -> None:
    now = utcnow()
    rows = [order_row(order, ACCOUNT, now) for order in make_orders(3000)]  # > 1 SQLite statement's worth
    with engine.begin() as connection:
        upsert_rows(connection, ORDERS, rows)
        assert link_rows(connection, ORDERS, 7, ACCOUNT, rows) == 3000
    with engine.begin() as connection:
        upsert_rows(connection, ORDERS, rows[:10] + rows[-5:])  # already there: nothing added
        assert link_rows(connection, ORDERS, 7, ACCOUNT, rows[:10] + rows[-5:]) == 0
        assert link_rows(connection, ORDERS, 8, ACCOUNT, rows[:10]) == 10  # another execution: links only
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(LedgerOrder)) == 3000
        links = connection.execute(
            select(ExecutionOrder.execution_id, func.count()).group_by(ExecutionOrder.execution_id)
        ).all()
        created = connection.scalar(select(LedgerOrder.created_at).limit(1))
    assert sorted(tuple(link) for link in links) == [(7, 3000), (8, 10)]
    assert created == now


def test_a_stored_copy_is_replaced_only_by_a_newer_one(engine: Engine) -> None:
    # GIVEN four orders stored with uTime 100, 100, NULL and 100
    a, b, c, d = (order_row(order, ACCOUNT, utcnow()) for order in make_orders(4))
    with engine.begin() as connection:
        upsert_rows(
            connection,
            ORDERS,
            [
                _with_u_time(a, 100, "first"),
                _with_u_time(b, 100, "first"),
                _with_u_time(c, None, "first"),
                _with_u_time(d, 100, "first"),
            ],
        )
    # WHEN copies arrive: newer, older, newer than NULL, and without uTime
    with engine.begin() as connection:
        upsert_rows(
            connection,
            ORDERS,
            [
                _with_u_time(a, 200, "newer"),
                _with_u_time(b, 50, "older"),
                _with_u_time(c, 1, "any"),
                _with_u_time(d, None, "none"),
            ],
        )
    # THEN only the newer copies replaced the stored ones (NULL counts as the oldest)
    stored = _stored(engine)
    assert stored[a[2]] == (200, "newer")
    assert stored[b[2]] == (100, "first")
    assert stored[c[2]] == (1, "any")
    assert stored[d[2]] == (100, "first")
    # AND an equal uTime keeps the stored copy
    with engine.begin() as connection:
        upsert_rows(connection, ORDERS, [_with_u_time(a, 200, "same time")])
    assert _stored(engine)[a[2]] == (200, "newer")


def test_the_same_order_of_two_accounts_is_two_ledger_rows(engine: Engine) -> None:
    row = order_row(make_orders(1)[0], ACCOUNT, utcnow())
    other = ("999", *row[1:])
    with engine.begin() as connection:
        upsert_rows(connection, ORDERS, [row, other])
        assert link_rows(connection, ORDERS, 1, ACCOUNT, [row]) == 1
        assert link_rows(connection, ORDERS, 2, "999", [other]) == 1
    with engine.connect() as connection:
        accounts = connection.scalars(select(LedgerOrder.account_id).order_by(LedgerOrder.account_id)).all()
    assert accounts == ["1234567890", "999"]

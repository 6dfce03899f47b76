"""Bulk INSERT of `orders` rows (tuples in ORDER_COLUMNS order), straight to the driver.

SQLAlchemy's per-row parameter processing measured as costly as the insert itself, so rows go to the DB-API
cursor through `exec_driver_sql`. Rows already present under the unique key (execution_arn, stream, order_id)
are skipped (INSERT OR IGNORE / INSERT IGNORE): the safety net behind the hydration claim.

SQLite gets multi-row `INSERT ... VALUES (...), (...), ...` statements of up to ~1,300 rows instead of
`executemany`: the database work is the same, but sqlite3 releases the GIL around each statement's execution,
so one release per statement instead of one per row lets the parsing thread run alongside instead of fighting
over the GIL row by row (measured: docs/database.md). PyMySQL already turns `executemany` into multi-row
INSERTs, so MySQL keeps it.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection

from app.models.order_rows import ORDER_COLUMNS

TABLE = "orders"
# The statement text is built once per row count (cached, and sqlite3 caches the prepared statement too).
_SQLITE_ROW = "(" + ", ".join("?" * len(ORDER_COLUMNS)) + ")"


@lru_cache(maxsize=8)
def sqlite_insert_sql(row_count: int) -> str:
    """INSERT OR IGNORE of `row_count` rows in one statement."""
    values = ", ".join([_SQLITE_ROW] * row_count)
    return f"INSERT OR IGNORE INTO {TABLE} ({', '.join(ORDER_COLUMNS)}) VALUES {values}"  # noqa: S608 (fixed names)


def mysql_insert_sql() -> str:
    markers = ", ".join(["%s"] * len(ORDER_COLUMNS))
    return f"INSERT IGNORE INTO {TABLE} ({', '.join(ORDER_COLUMNS)}) VALUES ({markers})"  # noqa: S608 (fixed names)


def sqlite_rows_per_statement(dbapi_connection: Any) -> int:
    """As many rows as the connection's bound-variable limit allows (32,766 variables since SQLite 3.32)."""
    limit = dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // len(ORDER_COLUMNS))


def sqlite_batches(rows: Sequence[tuple[Any, ...]], most: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row count, flat parameters) per statement: equal statements of at most `most` rows.

    2,000 rows with a limit of 1,310 become 2 x 1,000, not 1,310 + 690: one statement text, prepared once.
    """
    if not rows:
        return
    statements = -(-len(rows) // most)
    per_statement = -(-len(rows) // statements)
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        yield len(batch), tuple(itertools.chain.from_iterable(batch))


def insert_rows(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert the rows in the connection's transaction; returns how many were new."""
    if connection.dialect.name != "sqlite":
        result = connection.exec_driver_sql(mysql_insert_sql(), list(rows))
        return result.rowcount if result.rowcount >= 0 else len(rows)
    most = sqlite_rows_per_statement(connection.connection.dbapi_connection)
    added = 0
    for count, params in sqlite_batches(rows, most):
        added += connection.exec_driver_sql(sqlite_insert_sql(count), params).rowcount
    return added

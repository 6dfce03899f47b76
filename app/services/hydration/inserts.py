"""The hydration hot path's statements: a chunk of ledger rows and the execution's links to them, straight to
the driver. Orders and fills share them: their `LedgerTable` (app/models/ledger_tables.py) names what differs.

SQLAlchemy's per-row parameter processing measured as costly as the insert itself, so rows go to the DB-API
cursor through `exec_driver_sql`.

- `upsert_rows`: one ledger row per (account_id, stream, record id). A row already there is replaced only by a
  copy whose `u_time` is newer (NULL counts as oldest; an equal one keeps the stored copy); `created_at` stays
  when it was first stored. SQLite: `INSERT ... ON CONFLICT DO UPDATE SET ... WHERE <newer>`. MySQL/MariaDB:
  `INSERT ... ON DUPLICATE KEY UPDATE col = IF(<newer>, VALUES(col), col)`, with `u_time` assigned last:
  MySQL assigns left to right, so every other column's test still sees the stored `u_time`.
- `link_rows`: `INSERT ... SELECT` of the links from the ledger by its unique key, one statement per stream
  of the chunk, duplicates ignored; returns how many links are new.

SQLite gets multi-row `INSERT ... VALUES (...), (...), ...` statements of up to ~1,200 rows instead of
`executemany`: the database work is the same, but sqlite3 releases the GIL around each statement's execution,
so one release per statement instead of one per row lets a parsing thread run alongside (docs/database.md).
PyMySQL already turns `executemany` into multi-row INSERTs (its ON DUPLICATE KEY clause included).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection

from app.models.ledger_tables import ORDERS, LedgerTable

# Record ids per link statement: well within SQLite's bound-variable limit whatever chunk_rows is.
LINK_IDS_PER_STATEMENT = 1000


@lru_cache(maxsize=16)
def sqlite_upsert_sql(table: LedgerTable, row_count: int) -> str:
    """The ledger upsert of `row_count` rows in one statement (SQLite)."""
    row = "(" + ", ".join("?" * len(table.columns)) + ")"
    newer = f"excluded.u_time > COALESCE({table.name}.u_time, -1)"
    changes = ", ".join(f"{c} = excluded.{c}" for c in table.replaced)
    return (
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES {', '.join([row] * row_count)} "  # noqa: S608 (fixed names)
        f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {changes} WHERE {newer}"
    )


@lru_cache(maxsize=4)
def mysql_upsert_sql(table: LedgerTable) -> str:
    """The ledger upsert of one row (PyMySQL's executemany makes it multi-row)."""
    markers = ", ".join(["%s"] * len(table.columns))
    newer = "VALUES(u_time) > COALESCE(u_time, -1)"
    changes = ", ".join(f"{c} = IF({newer}, VALUES({c}), {c})" for c in table.replaced)
    return (
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({markers}) "  # noqa: S608 (fixed names)
        f"ON DUPLICATE KEY UPDATE {changes}"
    )


@lru_cache(maxsize=128)
def link_sql(table: LedgerTable, dialect: str, id_count: int) -> str:
    """Links of one execution to `id_count` records of one account and stream, taken from the ledger."""
    mark = "?" if dialect == "sqlite" else "%s"
    verb = "INSERT OR IGNORE" if dialect == "sqlite" else "INSERT IGNORE"
    ids = ", ".join([mark] * id_count)
    number = f"{table.record_id}_num"
    return (
        f"{verb} INTO {table.links} (execution_id, {table.link_pk}, symbol, stream, c_time, {number}) "  # noqa: S608 (fixed names)
        f"SELECT {mark}, id, symbol, stream, c_time, {number} FROM {table.name} "
        f"WHERE account_id = {mark} AND stream = {mark} AND {table.record_id} IN ({ids})"
    )


def sqlite_rows_per_statement(dbapi_connection: Any, table: LedgerTable = ORDERS) -> int:
    """As many rows as the connection's bound-variable limit allows (32,766 variables since SQLite 3.32)."""
    limit = dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // len(table.columns))


def sqlite_batches(rows: Sequence[tuple[Any, ...]], most: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row count, flat parameters) per statement: equal statements of at most `most` rows.

    2,000 rows with a limit of 1,260 become 2 x 1,000, not 1,260 + 740: one statement text, prepared once.
    """
    if not rows:
        return
    statements = -(-len(rows) // most)
    per_statement = -(-len(rows) // statements)
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        yield len(batch), tuple(itertools.chain.from_iterable(batch))


def upsert_rows(connection: Connection, table: LedgerTable, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert the rows into the ledger table, or replace stored copies they are newer than (caller's
    transaction)."""
    if connection.dialect.name != "sqlite":
        # Sorted by the unique key: concurrent hydrations lock shared rows in one order, never in a cycle.
        connection.exec_driver_sql(mysql_upsert_sql(table), sorted(rows, key=table.stream_and_id))
        return
    most = sqlite_rows_per_statement(connection.connection.dbapi_connection, table)
    for count, params in sqlite_batches(rows, most):
        connection.exec_driver_sql(sqlite_upsert_sql(table, count), params)


def link_rows(
    connection: Connection,
    table: LedgerTable,
    execution_id: int,
    account_id: str,
    rows: Sequence[tuple[Any, ...]],
) -> int:
    """Link the execution to the ledger rows of `rows` (upserted before); returns how many links are new."""
    by_stream: dict[str, list[str]] = {}
    stream_and_id = table.stream_and_id
    for row in rows:
        stream, record_id = stream_and_id(row)
        by_stream.setdefault(stream, []).append(record_id)
    dialect, added = connection.dialect.name, 0
    for stream, record_ids in by_stream.items():
        for start in range(0, len(record_ids), LINK_IDS_PER_STATEMENT):
            ids = record_ids[start : start + LINK_IDS_PER_STATEMENT]
            sql = link_sql(table, dialect, len(ids))
            added += connection.exec_driver_sql(sql, (execution_id, account_id, stream, *ids)).rowcount
    return added

"""A hydration's fill statements: a chunk of `ledger_fills` rows (FILL_COLUMNS tuples) and the execution's links
to them, straight to the driver, as app/services/order_inserts.py does for orders (same reasons, same forms).

- `upsert_fills`: one ledger row per (account_id, stream, trade_id). A fill is immutable: a second copy replaces
  the stored one only when its `u_time` is newer (NULL counts as oldest, an equal one keeps the stored copy; v2
  futures fills have no uTime, so their first copy stays); `created_at` stays when it was first stored.
- `link_fills`: `INSERT ... SELECT` of the links from the ledger by its unique key, one statement per stream of
  the chunk, duplicates ignored; returns how many links are new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection

from app.models.fill_rows import FILL_COLUMNS
from app.services.order_inserts import LINK_IDS_PER_STATEMENT, sqlite_batches

TABLE = "ledger_fills"
LINKS = "execution_fills"
_KEY = ("account_id", "stream", "trade_id")
# Replaced with a newer copy: everything but the key and when the fill was first stored; u_time last (MySQL).
_REPLACED = (*(c for c in FILL_COLUMNS if c not in (*_KEY, "created_at", "u_time")), "u_time")
_STREAM, _TRADE_ID = FILL_COLUMNS.index("stream"), FILL_COLUMNS.index("trade_id")
_LINK_COLUMNS = "execution_id, fill_pk, symbol, stream, c_time, trade_id_num"
_SQLITE_ROW = "(" + ", ".join("?" * len(FILL_COLUMNS)) + ")"
_COLUMNS = ", ".join(FILL_COLUMNS)


@lru_cache(maxsize=8)
def sqlite_upsert_sql(row_count: int) -> str:
    """The fills upsert of `row_count` rows in one statement (SQLite)."""
    values = ", ".join([_SQLITE_ROW] * row_count)
    newer = f"excluded.u_time > COALESCE({TABLE}.u_time, -1)"
    changes = ", ".join(f"{c} = excluded.{c}" for c in _REPLACED)
    return (
        f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES {values} "  # noqa: S608 (fixed names)
        f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {changes} WHERE {newer}"
    )


@lru_cache(maxsize=1)
def mysql_upsert_sql() -> str:
    """The fills upsert of one row (PyMySQL's executemany makes it multi-row); u_time assigned last."""
    markers = ", ".join(["%s"] * len(FILL_COLUMNS))
    newer = "VALUES(u_time) > COALESCE(u_time, -1)"
    changes = ", ".join(f"{c} = IF({newer}, VALUES({c}), {c})" for c in _REPLACED)
    return f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({markers}) ON DUPLICATE KEY UPDATE {changes}"  # noqa: S608


@lru_cache(maxsize=64)
def link_sql(dialect: str, id_count: int) -> str:
    """Links of one execution to `id_count` fills of one account and stream, taken from the ledger."""
    mark = "?" if dialect == "sqlite" else "%s"
    verb = "INSERT OR IGNORE" if dialect == "sqlite" else "INSERT IGNORE"
    ids = ", ".join([mark] * id_count)
    return (
        f"{verb} INTO {LINKS} ({_LINK_COLUMNS}) "  # noqa: S608 (fixed names)
        f"SELECT {mark}, id, symbol, stream, c_time, trade_id_num FROM {TABLE} "
        f"WHERE account_id = {mark} AND stream = {mark} AND trade_id IN ({ids})"
    )


def upsert_fills(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert the rows into the fills ledger, or replace stored copies they are newer than (caller's
    transaction)."""
    if connection.dialect.name != "sqlite":
        # Sorted by the unique key: concurrent hydrations lock shared fills in one order, never in a cycle.
        connection.exec_driver_sql(mysql_upsert_sql(), sorted(rows, key=itemgetter(_STREAM, _TRADE_ID)))
        return
    dbapi: Any = connection.connection.dbapi_connection
    limit = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # 32,766 since SQLite 3.32
    for count, params in sqlite_batches(rows, max(1, limit // len(FILL_COLUMNS))):
        connection.exec_driver_sql(sqlite_upsert_sql(count), params)


def link_fills(
    connection: Connection, execution_id: int, account_id: str, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Link the execution to the ledger fills of `rows` (upserted before); returns how many links are new."""
    by_stream: dict[str, list[str]] = {}
    for row in rows:
        by_stream.setdefault(row[_STREAM], []).append(row[_TRADE_ID])
    dialect, added = connection.dialect.name, 0
    for stream, trade_ids in by_stream.items():
        for start in range(0, len(trade_ids), LINK_IDS_PER_STATEMENT):
            ids = trade_ids[start : start + LINK_IDS_PER_STATEMENT]
            sql = link_sql(dialect, len(ids))
            added += connection.exec_driver_sql(sql, (execution_id, account_id, stream, *ids)).rowcount
    return added

"""A hydration's fill statements: a chunk of `ledger_fills` rows (FILL_COLUMNS tuples) and the execution's links
to them, by the very statements of orders (app/services/order_inserts.py) on the fills' table.

- `upsert_fills`: one ledger row per (account_id, stream, trade_id). A fill is immutable: a second copy replaces
  the stored one only when its `u_time` is newer (NULL counts as oldest, an equal one keeps the stored copy; v2
  futures fills have no uTime, so their first copy stays); `created_at` stays when it was first stored.
- `link_fills`: `INSERT ... SELECT` of the links from the ledger by its unique key, one statement per stream of
  the chunk, duplicates ignored; returns how many links are new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from app.models.fill_rows import FILL_COLUMNS
from app.services.order_inserts import LedgerTable, link_rows, upsert_rows

FILLS = LedgerTable("ledger_fills", FILL_COLUMNS, "trade_id", "execution_fills", "fill_pk")


def upsert_fills(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert the rows into the fills ledger, or replace stored copies they are newer than (caller's
    transaction)."""
    upsert_rows(connection, FILLS, rows)


def link_fills(
    connection: Connection, execution_id: int, account_id: str, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Link the execution to the ledger fills of `rows` (upserted before); returns how many links are new."""
    return link_rows(connection, FILLS, execution_id, account_id, rows)

"""An execution's links to the ledger (to its orders, and to its fills: `Linked`): counting them, and removing
them in bounded batches.

Removing an execution (DELETE /orders/{arn}) also removes the ledger orders no other execution links, as if
it had never run. The check must not race a hydration of another execution that is linking the same orders
right now. The caller runs each batch under the account's ledger lock (locks.py), which already keeps such a
hydration's chunks out of it; the batch itself does not rely on that:
1. it deletes this execution's links first (on SQLite the first write takes the database's write lock: no
   other writer commits until this batch does);
2. on MySQL/MariaDB it locks the candidate ledger rows (`SELECT ... FOR UPDATE`): a hydration that upserted one
   of them holds its row lock until its chunk, links included, commits, so this waits for it; one that comes
   later waits for this batch, finds the order gone and stores it anew;
3. it reads which candidates other executions still link (committed links: READ COMMITTED) and deletes the
   rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Column, Connection, delete, func, select

from app.models.ledger_tables import ORDERS, LedgerTable

BATCH_ROWS = 10_000


def _execution_id(kind: LedgerTable) -> Column[int]:
    return cast("Column[int]", kind.links_table.c.execution_id)


def _link_pk(kind: LedgerTable) -> Column[int]:
    """The links' column naming the ledger row."""
    return cast("Column[int]", kind.links_table.c[kind.link_pk])


def _ledger_id(kind: LedgerTable) -> Column[int]:
    return cast("Column[int]", kind.ledger_table.c.id)


@dataclass(frozen=True)
class RemovedBatch:
    links: int
    orders: int  # ledger rows (orders, or fills) deleted: no other execution linked them

    def __bool__(self) -> bool:
        return self.links > 0


def count_links(connection: Connection, execution_id: int, kind: LedgerTable = ORDERS) -> int:
    """The execution's links: the orders (or fills) it saw (its `orders_saved` / `fills_saved`)."""
    query = select(func.count()).select_from(kind.links_table).where(_execution_id(kind) == execution_id)
    return connection.scalar(query) or 0


def _batch(connection: Connection, execution_id: int, limit: int, kind: LedgerTable) -> list[int]:
    link_pk = _link_pk(kind)
    query = select(link_pk).where(_execution_id(kind) == execution_id).order_by(link_pk).limit(limit)
    return list(connection.scalars(query).all())


def _unlink(connection: Connection, execution_id: int, pks: list[int], kind: LedgerTable) -> int:
    links = kind.links_table
    return int(
        connection.execute(
            delete(links).where(_execution_id(kind) == execution_id, _link_pk(kind).in_(pks))
        ).rowcount
    )


def unlink_batch(
    connection: Connection, execution_id: int, limit: int = BATCH_ROWS, kind: LedgerTable = ORDERS
) -> int:
    """Delete up to `limit` links of the execution, keeping the ledger rows; 0 when none are left."""
    pks = _batch(connection, execution_id, limit, kind)
    return _unlink(connection, execution_id, pks, kind) if pks else 0


def remove_batch(
    connection: Connection, execution_id: int, limit: int = BATCH_ROWS, kind: LedgerTable = ORDERS
) -> RemovedBatch:
    """Delete up to `limit` links of the execution and the ledger rows they leave unlinked (the module doc's
    steps). Run it in a transaction of its own; an empty result means the execution has no links left."""
    pks = _batch(connection, execution_id, limit, kind)
    if not pks:
        return RemovedBatch(0, 0)
    links = _unlink(connection, execution_id, pks, kind)
    ledger_id, link_pk = _ledger_id(kind), _link_pk(kind)
    locked = select(ledger_id).where(ledger_id.in_(pks)).with_for_update()
    existing = set(connection.scalars(locked).all())  # SQLite ignores FOR UPDATE: step 1 holds the lock
    still_linked = select(link_pk).where(link_pk.in_(pks)).distinct()
    orphans = sorted(existing - set(connection.scalars(still_linked).all()))
    if orphans:
        connection.execute(delete(kind.ledger_table).where(ledger_id.in_(orphans)))
    return RemovedBatch(links, len(orphans))

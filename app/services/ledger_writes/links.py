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

from sqlalchemy import Column, Connection, Table, delete, func, select

from app.models.database import ExecutionFill, ExecutionOrder, LedgerFill, LedgerOrder

BATCH_ROWS = 10_000


@dataclass(frozen=True)
class Linked:
    """A kind of ledger record and the links executions hold to it: orders, or fills (same rules)."""

    links: Table
    pk: str  # the links' column naming the ledger row
    ledger: Table

    @property
    def execution_id(self) -> Column[int]:
        return cast("Column[int]", self.links.c.execution_id)

    @property
    def link_pk(self) -> Column[int]:
        return cast("Column[int]", self.links.c[self.pk])

    @property
    def ledger_id(self) -> Column[int]:
        return cast("Column[int]", self.ledger.c.id)


ORDERS = Linked(cast(Table, ExecutionOrder.__table__), "order_pk", cast(Table, LedgerOrder.__table__))
FILLS = Linked(cast(Table, ExecutionFill.__table__), "fill_pk", cast(Table, LedgerFill.__table__))


@dataclass(frozen=True)
class RemovedBatch:
    links: int
    orders: int  # ledger rows (orders, or fills) deleted: no other execution linked them

    def __bool__(self) -> bool:
        return self.links > 0


def count_links(connection: Connection, execution_id: int, kind: Linked = ORDERS) -> int:
    """The execution's links: the orders (or fills) it saw (its `orders_saved` / `fills_saved`)."""
    query = select(func.count()).select_from(kind.links).where(kind.execution_id == execution_id)
    return connection.scalar(query) or 0


def _batch(connection: Connection, execution_id: int, limit: int, kind: Linked) -> list[int]:
    query = select(kind.link_pk).where(kind.execution_id == execution_id).order_by(kind.link_pk).limit(limit)
    return list(connection.scalars(query).all())


def _unlink(connection: Connection, execution_id: int, pks: list[int], kind: Linked) -> int:
    return int(
        connection.execute(
            delete(kind.links).where(kind.execution_id == execution_id, kind.link_pk.in_(pks))
        ).rowcount
    )


def unlink_batch(
    connection: Connection, execution_id: int, limit: int = BATCH_ROWS, kind: Linked = ORDERS
) -> int:
    """Delete up to `limit` links of the execution, keeping the ledger rows; 0 when none are left."""
    pks = _batch(connection, execution_id, limit, kind)
    return _unlink(connection, execution_id, pks, kind) if pks else 0


def remove_batch(
    connection: Connection, execution_id: int, limit: int = BATCH_ROWS, kind: Linked = ORDERS
) -> RemovedBatch:
    """Delete up to `limit` links of the execution and the ledger rows they leave unlinked (the module doc's
    steps). Run it in a transaction of its own; an empty result means the execution has no links left."""
    pks = _batch(connection, execution_id, limit, kind)
    if not pks:
        return RemovedBatch(0, 0)
    links = _unlink(connection, execution_id, pks, kind)
    locked = select(kind.ledger_id).where(kind.ledger_id.in_(pks)).with_for_update()
    existing = set(connection.scalars(locked).all())  # SQLite ignores FOR UPDATE: step 1 holds the lock
    still_linked = select(kind.link_pk).where(kind.link_pk.in_(pks)).distinct()
    orphans = sorted(existing - set(connection.scalars(still_linked).all()))
    if orphans:
        connection.execute(delete(kind.ledger).where(kind.ledger_id.in_(orphans)))
    return RemovedBatch(links, len(orphans))

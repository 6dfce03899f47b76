"""An execution's links to the ledger: counting them, and removing them in bounded batches.

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

from sqlalchemy import Connection, delete, func, select

from app.models.database import ExecutionOrder, LedgerOrder

BATCH_ROWS = 10_000


@dataclass(frozen=True)
class RemovedBatch:
    links: int
    orders: int  # ledger orders deleted (no other execution linked them)

    def __bool__(self) -> bool:
        return self.links > 0


def count_links(connection: Connection, execution_id: int) -> int:
    """The execution's links: the orders it saw (its `orders_saved`)."""
    query = (
        select(func.count()).select_from(ExecutionOrder).where(ExecutionOrder.execution_id == execution_id)
    )
    return connection.scalar(query) or 0


def _batch(connection: Connection, execution_id: int, limit: int) -> list[int]:
    query = (
        select(ExecutionOrder.order_pk)
        .where(ExecutionOrder.execution_id == execution_id)
        .order_by(ExecutionOrder.order_pk)
        .limit(limit)
    )
    return list(connection.scalars(query).all())


def _unlink(connection: Connection, execution_id: int, order_pks: list[int]) -> int:
    links = ExecutionOrder
    return int(
        connection.execute(
            delete(links).where(links.execution_id == execution_id, links.order_pk.in_(order_pks))
        ).rowcount
    )


def unlink_batch(connection: Connection, execution_id: int, limit: int = BATCH_ROWS) -> int:
    """Delete up to `limit` links of the execution, keeping the ledger rows; 0 when none are left."""
    order_pks = _batch(connection, execution_id, limit)
    return _unlink(connection, execution_id, order_pks) if order_pks else 0


def remove_batch(connection: Connection, execution_id: int, limit: int = BATCH_ROWS) -> RemovedBatch:
    """Delete up to `limit` links of the execution and the orders they leave unlinked (the module doc's steps).

    Run it in a transaction of its own; an empty result means the execution has no links left.
    """
    order_pks = _batch(connection, execution_id, limit)
    if not order_pks:
        return RemovedBatch(0, 0)
    links = _unlink(connection, execution_id, order_pks)
    locked = select(LedgerOrder.id).where(LedgerOrder.id.in_(order_pks)).with_for_update()
    existing = set(connection.scalars(locked).all())  # SQLite ignores FOR UPDATE: step 1 holds the lock
    still_linked = select(ExecutionOrder.order_pk).where(ExecutionOrder.order_pk.in_(order_pks)).distinct()
    orphans = sorted(existing - set(connection.scalars(still_linked).all()))
    if orphans:
        connection.execute(delete(LedgerOrder).where(LedgerOrder.id.in_(orphans)))
    return RemovedBatch(links, len(orphans))

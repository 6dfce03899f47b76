"""One writer at a time per account's ledger on MySQL/MariaDB.

Hydrations and removals of executions of the same account write the same ledger rows, and InnoDB locks rows
in the order a statement reaches them: an upsert in unique-key order, a removal in id order. Two such writers
deadlock (measured: a removal during another execution's hydration of the same 3,000 orders made the
hydration fail, after 3 immediate retries, in 5 runs of 8). So every transaction that writes an account's
ledger holds the account's named lock (`GET_LOCK`) from before its first statement until after its commit or
rollback: writers of one account take turns, a chunk or a batch at a time; other accounts' writers never
wait. A named lock belongs to the database session, so a writer that dies releases it with its connection.
SQLite needs none: a transaction that writes already holds the database's only write lock.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 60  # a chunk or a batch takes well under a second: a minute means something is stuck


class LedgerBusyError(RuntimeError):
    """The account's ledger lock could not be taken in time."""


def lock_name(database: str | None, account_id: str) -> str:
    """The named lock of an account's ledger in one database (named locks are server-wide; at most 64 chars)."""
    digest = hashlib.sha1(f"{database}/{account_id}".encode()).hexdigest()  # noqa: S324 (a name, not a secret)
    return f"bitget_orders.ledger.{digest}"


@contextmanager
def ledger_transaction(engine: Engine, account_id: str) -> Iterator[Connection]:
    """A transaction on a connection of its own, holding the account's ledger lock (MySQL/MariaDB)."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            with connection.begin():
                yield connection
            return
        name = lock_name(connection.engine.url.database, account_id)
        taken = connection.exec_driver_sql("SELECT GET_LOCK(%s, %s)", (name, LOCK_TIMEOUT_S)).scalar()
        connection.commit()  # the lock outlives transactions; ours starts clean below
        if taken != 1:
            raise LedgerBusyError(f"the ledger of account {account_id} stayed locked for {LOCK_TIMEOUT_S} s")
        try:
            with connection.begin():
                yield connection
        finally:
            _release(connection, name)


def _release(connection: Connection, name: str) -> None:
    try:
        connection.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))
        connection.commit()
    except Exception:  # a broken connection: dropping it ends the database session, and the lock with it
        logger.warning("ledger lock not released; connection dropped", exc_info=True)
        connection.invalidate()

"""One hydration's writes into its account's ledger, fenced by the claim's token (`claim.py` takes the claim):
where it writes, the links a failed attempt left, and each chunk.

Every write that publishes progress is an UPDATE of the execution's row `WHERE hydration_token = <ours>`, in the
same transaction as the writes it covers: a writer whose claim was taken over finds 0 rows, its transaction
rolls back and it stops (`HydrationClaimLostError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionResult, utcnow
from app.models.ledger_tables import FILLS, ORDERS
from app.models.order_rows import RecordKind
from app.services.db_values import retry_on_deadlock
from app.services.hydration.inserts import link_rows, upsert_rows
from app.services.ledger_writes.accounts import execution_account
from app.services.ledger_writes.coverage import CoverageEntry, complete_coverage
from app.services.ledger_writes.links import unlink_batch
from app.services.ledger_writes.locks import ledger_transaction

# Per kind of record: its ledger table, and the execution's column counting its links.
_WRITERS = {"orders": (ORDERS, "orders_saved"), "fills": (FILLS, "fills_saved")}


class HydrationClaimLostError(RuntimeError):
    """Another caller took over this hydration (our claim went stale); this writer must stop."""


@dataclass(frozen=True)
class LoadTarget:
    """Where a claimed hydration writes: the execution's row, its account's ledger, and what it covered."""

    execution_arn: str
    execution_id: int
    account_id: str
    coverage: list[CoverageEntry]


def _fenced_update(connection: Connection, execution_arn: str, token: str, **values: Any) -> None:
    table = ExecutionResult
    result = connection.execute(
        update(table)
        .where(table.execution_arn == execution_arn, table.hydration_token == token)
        .values(**values)
    )
    if result.rowcount != 1:
        raise HydrationClaimLostError(f"hydration of {execution_arn} was taken over by another caller")


def prepare(sessions: sessionmaker[Session], engine: Engine, execution_arn: str, token: str) -> LoadTarget:
    """Settle the execution's account (stored on its row), then delete the links (to orders and to fills) a
    failed attempt left (in bounded batches; not their ledger rows: other executions may link them, and the
    retry links them again)."""
    table = ExecutionResult
    with sessions() as session, session.begin():
        connection = session.connection()
        row = connection.execute(
            select(table.id, table.result_data, table.account_id).where(table.execution_arn == execution_arn)
        ).one()
        account = execution_account(row.result_data, row.account_id)
        _fenced_update(connection, execution_arn, token, account_id=account)
    for kind in (ORDERS, FILLS):
        while True:
            with ledger_transaction(engine, account) as connection:
                if not unlink_batch(connection, row.id, kind=kind):
                    break
    return LoadTarget(execution_arn, row.id, account, complete_coverage(row.result_data))


def write_chunk(
    engine: Engine,
    target: LoadTarget,
    token: str,
    rows: Sequence[tuple[Any, ...]],
    before: int,
    kind: RecordKind = "orders",
) -> int:
    """Upsert the chunk's ledger rows (orders, or fills), link them, and publish progress, in one transaction
    holding the account's ledger lock (a deadlock all the same is retried); returns the links added."""
    table, counter = _WRITERS[kind]

    def write() -> int:
        with ledger_transaction(engine, target.account_id) as connection:
            upsert_rows(connection, table, rows)
            added = link_rows(connection, table, target.execution_id, target.account_id, rows)
            values = {counter: before + added, "hydration_heartbeat_at": utcnow()}
            _fenced_update(connection, target.execution_arn, token, **values)
        return added

    return retry_on_deadlock(write)

"""Removing an execution from the database (DELETE /orders/{arn}): its links, the ledger orders and fills only
it saw, its coverage rows, processing log and record, as if it had never run.

Removal first takes the execution the way a hydration does, with one atomic UPDATE to `hydration_state =
'deleting'`, refused while a hydration may still be running (a 'saving' claim whose owner is alive and whose
heartbeat is fresh). From then on no hydration can claim it, and a hydration whose claim was stale or dead finds
its fencing token gone at its next chunk and stops. The links then go in batches (bounded transactions even
for a million rows), each with the ledger orders no other execution links (ledger_writes/links.py: safe
against another execution's hydration linking the same orders meanwhile); another execution's orders and
counts are untouched. The coverage rows, the log and the record go last, in one transaction. A removal cut
short leaves the record in 'deleting'; the next DELETE finishes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import AccountCoverage, ExecutionResult, ProcessingLog, utcnow
from app.models.ledger_tables import FILLS, ORDERS, LedgerTable
from app.services.db_values import bound_engine, retry_on_deadlock
from app.services.hydration import claim_owner
from app.services.hydration.claim import Claims
from app.services.ledger_writes.accounts import UNKNOWN_ACCOUNT
from app.services.ledger_writes.links import RemovedBatch, remove_batch
from app.services.ledger_writes.locks import ledger_transaction

DELETE_BATCH_ROWS = 10_000
_NOT_RUNNING = ("pending", "failed", "saved", "deleting")


class ExecutionBusyError(Exception):
    """The execution cannot be removed now (running, or its orders are being saved): HTTP 409."""


@dataclass(frozen=True)
class RemovedRows:
    orders: int  # the execution's orders (its links)
    processing_logs: int
    execution_record: bool
    ledger_orders: int = 0  # of those, the ones no other execution saw: deleted from the ledger
    coverage_rows: int = 0
    fills: int = 0  # the execution's fills (its links to ledger_fills)
    ledger_fills: int = 0  # of those, the ones no other execution saw: deleted


class ExecutionRemoval:
    """Removes executions; `claims` tells whether a hydration of one may still be running."""

    def __init__(self, sessions: sessionmaker[Session], claims: Claims) -> None:
        self._sessions = sessions
        # Batches run on connections of their own, under the ledger lock.
        self._engine = bound_engine(sessions)
        self._claims = claims

    def begin_delete(self, execution_arn: str) -> str | None:
        """Take the execution for removal; returns its previous hydration state (None: no record).

        Raises ExecutionBusyError while a hydration of it may still be running."""
        held = self._claims.current(execution_arn)
        if held is None:
            return None
        previous = held.state
        table = ExecutionResult
        now = utcnow()
        removable = self._claims.takeable_from(_NOT_RUNNING, held, now)
        with self._sessions() as session, session.begin():
            result = session.connection().execute(
                update(table)
                .where(table.execution_arn == execution_arn, removable)
                .values(
                    hydration_state="deleting",
                    hydration_token=uuid.uuid4().hex,
                    hydration_owner=claim_owner.current_owner(),
                    hydration_heartbeat_at=now,
                    updated_at=now,
                )
            )
        if result.rowcount != 1:
            raise ExecutionBusyError(
                f"the orders of {execution_arn} are being saved to the database right now; "
                "delete it once that finished"
            )
        return previous

    def abort_delete(self, execution_arn: str, previous: str | None) -> None:
        """Give the execution back after a removal that could not proceed (its results could not be deleted)."""
        if previous is None:
            return
        state = previous if previous in ("pending", "failed", "saved") else "failed"
        with self._sessions() as session, session.begin():
            session.execute(
                update(ExecutionResult)
                .where(
                    ExecutionResult.execution_arn == execution_arn,
                    ExecutionResult.hydration_state == "deleting",
                )
                .values(hydration_state=state, hydration_token=None, updated_at=utcnow())
            )

    def finish_delete(self, execution_arn: str) -> RemovedRows:
        """Delete the links and the orders and fills only this execution saw (in batches), then its coverage
        rows, processing log and record."""
        with self._sessions() as session:
            row = session.execute(
                select(ExecutionResult.id, ExecutionResult.account_id).where(
                    ExecutionResult.execution_arn == execution_arn
                )
            ).first()
        links = orders = fill_links = fills = 0
        if row is not None:
            account = row.account_id or UNKNOWN_ACCOUNT
            remove = partial(self._remove_batch, row.id, account, ORDERS)
            while batch := retry_on_deadlock(remove):
                links, orders = links + batch.links, orders + batch.orders
            remove = partial(self._remove_batch, row.id, account, FILLS)
            while batch := retry_on_deadlock(remove):
                fill_links, fills = fill_links + batch.links, fills + batch.orders
        with self._sessions() as session, session.begin():
            connection = session.connection()
            coverage = connection.execute(
                delete(AccountCoverage).where(AccountCoverage.execution_arn == execution_arn)
            ).rowcount
            logs = connection.execute(
                delete(ProcessingLog).where(ProcessingLog.execution_arn == execution_arn)
            ).rowcount
            record = connection.execute(
                delete(ExecutionResult).where(ExecutionResult.execution_arn == execution_arn)
            ).rowcount
        return RemovedRows(
            links,
            logs,
            record == 1,
            ledger_orders=orders,
            coverage_rows=coverage,
            fills=fill_links,
            ledger_fills=fills,
        )

    def _remove_batch(self, execution_id: int, account_id: str, kind: LedgerTable) -> RemovedBatch:
        """One batch, holding the account's ledger lock (its rows are the ones another hydration writes)."""
        with ledger_transaction(self._engine, account_id) as connection:
            return remove_batch(connection, execution_id, DELETE_BATCH_ROWS, kind)

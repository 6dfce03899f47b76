"""Execution records (one row per extraction) and their processing log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, desc, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.models.database import ExecutionResult, ProcessingLog, utcnow
from app.services.db_values import iso, json_or_none
from app.services.ledger_writes.accounts import account_of_result

FAILED_STATUSES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
FINISHED_STATUSES = FAILED_STATUSES | {"SUCCEEDED"}


@dataclass(frozen=True)
class UnfinishedExecution:
    """An execution whose orders are not in the database yet and which did not fail (the watcher's work)."""

    id: int
    execution_arn: str
    status: str
    hydration_state: str
    hydration_finished_at: datetime | None


def _execution_dict(row: ExecutionResult) -> dict[str, Any]:
    return {
        "id": row.id,
        "execution_arn": row.execution_arn,
        "execution_name": row.execution_name,
        "symbols": json_or_none(row.symbols) or [],
        "status": row.status,
        "start_ms": row.start_ms,
        "end_ms": row.end_ms,
        "total_symbols": row.total_symbols,
        "total_orders": row.total_orders,
        "s3_uri": row.s3_uri,
        "public_url": row.public_url,
        "result": json_or_none(row.result_data),
        "processing_time_seconds": row.processing_time_seconds,
        "error": row.error,
        "complete": row.complete,
        "incomplete_streams": json_or_none(row.incomplete_streams) or [],
        "incomplete_streams_count": row.incomplete_streams_count,
        "hydration_state": row.hydration_state,
        "orders_saved": row.orders_saved,
        "hydration_started_at": iso(row.hydration_started_at),
        "hydration_finished_at": iso(row.hydration_finished_at),
        "hydration_source": row.hydration_source,
        "hydration_error": row.hydration_error,
        "rows_rejected": row.rows_rejected,
        "account_id": row.account_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


_ENTRY_FIELDS = ("symbol", "stream", "reason", "error_code", "error_message")


def _entry(values: dict[str, Any]) -> dict[str, Any]:
    """The five fields of an entry, as text or null (a result is stored as it came; the API needs this shape)."""
    entry = {name: None if values.get(name) is None else str(values[name]) for name in _ENTRY_FIELDS}
    entry["symbol"] = entry["symbol"] or "?"
    return entry


def incomplete_streams_of(summary: dict[str, Any]) -> tuple[list[dict[str, Any]], int] | None:
    """(entries, count of all) of an aggregator summary's `incomplete_streams`; None when it has none.

    Entries are `{symbol, stream, reason, error_code, error_message}`; a summary written before they carried
    reasons (`{"count", "streams": ["SYMBOL/stream"]}`) gives entries without them.
    """
    streams = summary.get("incomplete_streams")
    if isinstance(streams, list):
        entries = [_entry(e) for e in streams if isinstance(e, dict)]
        count = summary.get("incomplete_streams_count")
    elif isinstance(streams, dict) and isinstance(streams.get("streams"), list):
        names = [str(name).partition("/") for name in streams["streams"]]
        entries = [_entry({"symbol": symbol, "stream": stream or None}) for symbol, _, stream in names]
        count = streams.get("count")
    else:
        return None
    return entries, count if isinstance(count, int) and not isinstance(count, bool) else len(entries)


class ExecutionRecords:
    """Executions and their processing log (the database's bookkeeping part)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # ---- executions -------------------------------------------------------------------------------------

    def record_execution(
        self, *, execution_arn: str, execution_name: str, symbols: list[str], start_ms: int, end_ms: int
    ) -> dict[str, Any]:
        """Store a started execution (status RUNNING); recording the same ARN again changes nothing."""
        existing = self.get_execution(execution_arn)
        if existing is not None:
            return existing
        try:
            with self._sessions() as session, session.begin():
                session.add(
                    ExecutionResult(
                        execution_arn=execution_arn,
                        execution_name=execution_name,
                        status="RUNNING",
                        symbols=json.dumps(symbols),
                        total_symbols=len(symbols),
                        start_ms=start_ms,
                        end_ms=end_ms,
                    )
                )
        except IntegrityError:
            pass  # a concurrent call recorded it first: same outcome
        found = self.get_execution(execution_arn)
        assert found is not None
        return found

    def get_execution(self, execution_arn: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.scalar(
                select(ExecutionResult).where(ExecutionResult.execution_arn == execution_arn)
            )
            return _execution_dict(row) if row else None

    def list_executions(self, *, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """(total, page) newest first."""
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(ExecutionResult)) or 0
            rows = session.scalars(
                select(ExecutionResult).order_by(desc(ExecutionResult.id)).offset(skip).limit(limit)
            ).all()
            return total, [_execution_dict(row) for row in rows]

    def unfinished_executions(self, *, after_id: int, limit: int) -> list[UnfinishedExecution]:
        """Executions not failed and not saved (nor being deleted), by id after `after_id`: running ones,
        succeeded ones whose orders are not saved yet, and ABORTED ones with a result (what was fetched before
        the cancel) not saved yet."""
        table = ExecutionResult
        with self._sessions() as session:
            rows = session.execute(
                select(
                    table.id,
                    table.execution_arn,
                    table.status,
                    table.hydration_state,
                    table.hydration_finished_at,
                )
                .where(
                    or_(
                        table.status.not_in(FAILED_STATUSES),
                        and_(table.status == "ABORTED", table.result_data.is_not(None)),
                    ),
                    table.hydration_state.not_in(("saved", "deleting")),
                    table.id > after_id,
                )
                .order_by(table.id)
                .limit(limit)
            ).all()
        return [UnfinishedExecution(*row) for row in rows]

    def running_executions(self, *, after_id: int = 0, limit: int = 500) -> list[tuple[int, str]]:
        """(id, ARN) of the executions recorded RUNNING, by id after `after_id` (start-up's auto-resume)."""
        table = ExecutionResult
        with self._sessions() as session:
            rows = session.execute(
                select(table.id, table.execution_arn)
                .where(table.status == "RUNNING", table.id > after_id)
                .order_by(table.id)
                .limit(limit)
            ).all()
        return [(int(row[0]), str(row[1])) for row in rows]

    def reopen_execution(self, execution_arn: str) -> bool:
        """A resumed execution: RUNNING again under the same ARN, its error cleared, and its orders due to be
        saved again when it ends (hydration 'pending'; the claim token cleared, so a save of the previous run
        still going stops at its next chunk). The next save replaces every order of the execution, so the
        database ends equal to the final result. False (nothing changed) while the execution is being deleted.
        """
        self.ensure_execution(execution_arn)
        now = utcnow()
        table = ExecutionResult
        with self._sessions() as session, session.begin():
            result = session.execute(
                update(table)
                .where(table.execution_arn == execution_arn, table.hydration_state != "deleting")
                .values(
                    status="RUNNING",
                    error=None,
                    complete=None,
                    hydration_state="pending",
                    hydration_token=None,
                    hydration_owner=None,
                    hydration_heartbeat_at=None,
                    hydration_finished_at=None,
                    hydration_error=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def names_awaiting_save(self, names: list[str]) -> set[str]:
        """Of these execution names, those recorded here whose orders are not saved yet (their results must
        not expire)."""
        if not names:
            return set()
        table = ExecutionResult
        with self._sessions() as session:
            found = session.scalars(
                select(table.execution_name).where(
                    table.execution_name.in_(names), table.hydration_state != "saved"
                )
            ).all()
        return {name for name in found if name}

    def update_execution(
        self,
        execution_arn: str,
        *,
        status: str,
        result: dict[str, Any] | None = None,
        s3_uri: str | None = None,
        public_url: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record a status change (and the aggregator's response on success); creates the row if missing.

        A failed execution without a result is not complete; otherwise completeness comes from the result.
        """
        self.ensure_execution(execution_arn)
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if result is not None:
            values.update(self._result_values(result))
        elif status in FAILED_STATUSES:
            values["complete"] = False
        for column, value in (("s3_uri", s3_uri), ("public_url", public_url), ("error", error)):
            if value is not None:
                values[column] = value
        with self._sessions() as session, session.begin():
            session.execute(
                update(ExecutionResult).where(ExecutionResult.execution_arn == execution_arn).values(**values)
            )

    @staticmethod
    def _result_values(result: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"result_data": json.dumps(result, default=str)}
        account = account_of_result(result)  # the aggregator names the account it read (its ledger)
        if account is not None:
            values["account_id"] = account
        summary: dict[str, Any] = result["summary"] if isinstance(result.get("summary"), dict) else {}
        if isinstance(summary.get("total_orders"), int):
            values["total_orders"] = summary["total_orders"]
        if isinstance(summary.get("total_symbols_processed"), int):
            values["total_symbols"] = summary["total_symbols_processed"]
        duration = result.get("aws_total_duration_seconds", result.get("processing_time_seconds"))
        if isinstance(duration, int | float):
            values["processing_time_seconds"] = float(duration)
        if isinstance(summary.get("complete"), bool):
            values["complete"] = summary["complete"]
        streams = incomplete_streams_of(summary)
        if streams is not None:
            values["incomplete_streams"] = json.dumps(streams[0])
            values["incomplete_streams_count"] = streams[1]
        return values

    def ensure_execution(self, execution_arn: str) -> None:
        """Create a bare row for an ARN we have not recorded (e.g. an execution started before a DB reset)."""
        with self._sessions() as session:
            exists = session.scalar(
                select(ExecutionResult.id).where(ExecutionResult.execution_arn == execution_arn)
            )
        if exists is not None:
            return
        try:
            with self._sessions() as session, session.begin():
                session.add(ExecutionResult(execution_arn=execution_arn, status="UNKNOWN"))
        except IntegrityError:
            pass  # created concurrently

    # ---- logs ----------------------------------------------------------------------------------------

    def add_log(
        self, execution_arn: str, level: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        with self._sessions() as session, session.begin():
            session.add(
                ProcessingLog(
                    execution_arn=execution_arn,
                    level=level.upper(),
                    message=message,
                    details=json.dumps(details, default=str) if details is not None else None,
                )
            )

    def list_logs(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's processing log, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ProcessingLog)
                .where(ProcessingLog.execution_arn == execution_arn)
                .order_by(ProcessingLog.id)
            ).all()
            return [
                {
                    "level": r.level,
                    "message": r.message,
                    "details": json_or_none(r.details),
                    "created_at": iso(r.created_at),
                }
                for r in rows
            ]

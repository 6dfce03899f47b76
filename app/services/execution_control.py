"""Stopping and resuming executions (POST /orders/{arn}/cancel and /resume), continuations, and the embedded
start-up's resume of executions whose process is gone (issue 9, section 1; docs/CONTRACTS.md).

- cancel: only a RUNNING execution (else 409); writes cancel.json through the orchestrator. The workers stop
  at the next page, the aggregator records ABORTED with what was fetched, and the database follows (status
  ABORTED; the orders fetched are saved like a success's).
- resume: 404 unknown; 409 while RUNNING (its process alive), or SUCCEEDED and complete; otherwise the
  coordinator's resume action with `reopen_failed` true. The database row goes back to RUNNING under the same
  ARN, and its orders are saved again when it ends: the save replaces every order of the execution, so the
  database ends equal to the final result.json.
- continuations (a run stopped at the execution's deadline, `continuation_needed`): the embedded orchestrator
  continues them itself; in aws mode the watcher calls `continue_if_needed`.
- `resume_interrupted` (embedded start-up, AUTO_RESUME): every execution the database records RUNNING whose
  process is gone gets a new run ("resuming execution X: its process is gone").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.orchestration.base import ExecutionConflictError, ExecutionNotFoundError, ExecutionState
from app.schemas.orders import CancelResponse, ResumeResponse
from app.services.orders_service import OrdersService, execution_name
from lambda_functions.common.logs import log_context
from lambda_functions.coordinator.naming import execution_name_from_arn

log = logging.getLogger(__name__)


def _complete(state: ExecutionState, row: dict[str, Any] | None) -> bool:
    """Whether a SUCCEEDED execution got everything: its result's `summary.complete`, else the database's;
    unknown counts as complete (nothing known to be missing)."""
    summary = (state.output or {}).get("summary")
    if isinstance(summary, dict) and isinstance(summary.get("complete"), bool):
        return bool(summary["complete"])
    return (row or {}).get("complete") is not False


class ExecutionControl:
    def __init__(self, orders: OrdersService) -> None:
        self.orders = orders
        self.orchestrator = orders.orchestrator
        self.db = orders.db

    # POST /orders/{arn}/cancel -----------------------------------------------------------------------------
    def cancel(self, execution_arn: str) -> CancelResponse:
        state, row = self._current(execution_arn)
        if state.status != "RUNNING":
            raise ExecutionConflictError(
                f"execution {execution_arn} is {state.status}: only a RUNNING execution can be cancelled"
            )
        self.orchestrator.cancel(execution_arn)
        self._log(execution_arn, row, "INFO", "cancel requested", {})
        log.info("cancel requested")
        return CancelResponse(
            executionArn=execution_arn,
            status="ABORTING",
            message="Cancel requested: the workers stop at their next page; the execution then reads "
            "ABORTED with what was fetched until then",
            status_url=f"/orders/{execution_arn}",
        )

    # POST /orders/{arn}/resume -----------------------------------------------------------------------------
    def resume(self, execution_arn: str) -> ResumeResponse:
        state, row = self._current(execution_arn)
        previous = state.status
        if state.status == "RUNNING":
            raise ExecutionConflictError(
                f"execution {execution_arn} is RUNNING: it can be resumed once it has stopped "
                "(cancel it first to stop it now)"
            )
        if state.status == "SUCCEEDED" and _complete(state, row):
            raise ExecutionConflictError(
                f"execution {execution_arn} SUCCEEDED and is complete: there is nothing to resume"
            )
        if row is None:
            row = self.orders.record_from_manifest(execution_arn)
        if row is not None and row.get("hydration_state") == "deleting":
            raise ExecutionConflictError(f"execution {execution_arn} is being deleted")
        # The row first: a run that ends at once then finds it RUNNING with its orders due to be saved again.
        if not self.db.executions.reopen_execution(execution_arn):
            raise ExecutionConflictError(f"execution {execution_arn} is being deleted")
        try:
            resumed = self.orchestrator.resume(execution_arn, reopen_failed=True)
        except Exception:
            # Nothing started: the database follows the orchestrator's word again (the watcher would, too).
            try:
                self.orders.refresh(execution_arn)
            except Exception:
                log.exception("could not restore the status")
            raise
        details = {"previous_status": previous, "run": resumed.run, "run_arn": resumed.run_arn}
        self._log(execution_arn, row, "INFO", "execution resumed", details)
        log.info("execution resumed", extra=details)
        self._follow(execution_arn)
        return ResumeResponse(
            executionArn=execution_arn,
            execution_name=resumed.execution_name or execution_name(execution_arn),
            status="RUNNING",
            previous_status=previous,
            run=resumed.run,
            run_arn=resumed.run_arn,
            message="Execution resumed from its checkpoints (failed shards are reopened)",
            status_url=f"/orders/{execution_arn}",
        )

    # continuations and start-up ----------------------------------------------------------------------------
    def continue_if_needed(self, execution_arn: str) -> str | None:
        """The watcher's call for an execution that waits for its continuation (aws mode)."""
        outcome = self.orchestrator.continue_if_needed(execution_arn)
        if outcome is not None:
            row = self.db.executions.get_execution(execution_arn)
            message = "execution continued" if outcome == "resumed" else "execution aborted before continuing"
            self._log(execution_arn, row, "INFO", message, {})
            log.info(message)
        return outcome

    def resume_interrupted(self, batch: int = 500) -> list[str]:
        """Embedded start-up: resume every execution recorded RUNNING whose process is gone (or that waits for
        a continuation); returns their ARNs. Errors are logged, never raised."""
        resume: Callable[[str], bool] | None = getattr(self.orchestrator, "resume_interrupted", None)
        if resume is None:
            return []
        resumed: list[str] = []
        after = 0
        while True:
            rows = self.db.executions.running_executions(after_id=after, limit=batch)
            for row_id, arn in rows:
                after = row_id
                with log_context(execution=execution_name_from_arn(arn)):
                    try:
                        if resume(arn):
                            resumed.append(arn)
                            self._log(arn, {}, "WARNING", "execution resumed: its process is gone", {})
                            self._follow(arn)
                    except Exception:
                        log.exception("could not resume an interrupted execution")
            if len(rows) < batch:
                return resumed

    # helpers -----------------------------------------------------------------------------------------------
    def _current(self, execution_arn: str) -> tuple[ExecutionState, dict[str, Any] | None]:
        """The orchestrator's state and the database row; 404 when the orchestrator does not know it (nothing
        to stop or to resume from: never started here, deleted, or its results expired)."""
        execution_name(execution_arn)  # a malformed ARN: 404
        row = self.db.executions.get_execution(execution_arn)
        try:
            return self.orchestrator.describe(execution_arn), row
        except ExecutionNotFoundError:
            detail = "" if row is None else " (its results are gone: deleted or expired)"
            raise ExecutionNotFoundError(f"execution not found: {execution_arn}{detail}") from None

    def _follow(self, execution_arn: str) -> None:
        """Embedded: save the orders as soon as it ends (the watcher does it otherwise)."""
        when_finished = getattr(self.orchestrator, "when_finished", None)
        if when_finished is not None:
            when_finished(execution_arn, lambda: self.orders.status(execution_arn))

    def _log(
        self,
        execution_arn: str,
        row: dict[str, Any] | None,
        level: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        if row is None:
            return
        try:
            self.db.executions.add_log(execution_arn, level, message, details)
        except Exception:  # the processing log is a convenience: never fail the action for it
            log.exception("could not write the processing log")

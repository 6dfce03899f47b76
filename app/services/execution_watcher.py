"""The watcher: saves the orders of executions that ended, without anyone polling (issue 9, section 2).

Every WATCH_INTERVAL_S seconds (`PeriodicTask`, started in the API's lifespan) `tick()` takes the next
WATCH_BATCH_SIZE executions the database records as unfinished (not failed, orders not saved: running ones, and
succeeded ones whose save has not happened, failed, or was cut off by a crash) and calls
`OrdersService.refresh` for each: the GET's own path (manifest, plus DescribeExecution for STANDARD), which
records the status and claims and starts the save of a succeeded one, without waiting for it. So the work per tick
is bounded:
- at most WATCH_BATCH_SIZE executions are examined; the next tick continues after the last one (round robin);
- no new execution is examined while `MAX_PARALLEL_SAVES` saves started by this process are still running;
- a save that failed is retried after 1 min, then 2, 4... up to 1 h (a GET still retries at once);
- an execution the orchestrator no longer knows (results gone, e.g. expired) is left alone until the next start;
- errors are logged, never raised (one execution's failure does not stop the others);
- an execution whose run stopped at its deadline (`continuation_needed`) is continued (`continue_if_needed`:
  a resume with reopen_failed false, or ABORTED when a cancel was asked meanwhile).
Embedded mode saves when the runner reports the end (`EmbeddedOrchestrator.when_finished`); the watcher is the
safety net there (a restart, a save cut off by a crash). In aws mode it is how orders reach the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.services.database import Database
from app.services.execution_control import ExecutionControl
from app.services.execution_records import UnfinishedExecution
from app.services.orders_service import OrdersService
from lambda_functions.common.logs import log_context
from lambda_functions.coordinator.naming import execution_name_from_arn

log = logging.getLogger(__name__)

MAX_PARALLEL_SAVES = 2
RETRY_FAILED_SAVE_S = 60.0
RETRY_FAILED_SAVE_MAX_S = 3600.0


@dataclass
class TickReport:
    examined: int = 0
    changed: list[tuple[str, str, str | None]] = field(default_factory=list)  # (arn, status, database state)
    errors: int = 0
    continued: list[tuple[str, str]] = field(default_factory=list)  # (arn, "resumed" | "aborted")


class ExecutionWatcher:
    def __init__(
        self,
        orders: OrdersService,
        db: Database,
        *,
        batch_size: int = 20,
        max_parallel_saves: int = MAX_PARALLEL_SAVES,
        clock: Callable[[], float] = time.monotonic,
        control: ExecutionControl | None = None,
    ) -> None:
        self.orders = orders
        self.control = control or ExecutionControl(orders)
        self.db = db
        self.batch_size = batch_size
        self.max_parallel_saves = max_parallel_saves
        self.clock = clock
        self._after_id = 0
        self._unknown: set[str] = set()
        self._failed_saves: dict[str, int] = {}  # arn -> retries of a failed save so far
        self._errors: dict[str, tuple[int, float]] = {}  # arn -> (consecutive errors, next attempt)

    def tick(self) -> TickReport:
        report = TickReport()
        rows = self.db.executions.unfinished_executions(after_id=self._after_id, limit=self.batch_size)
        next_after = rows[-1].id if len(rows) == self.batch_size else 0  # a short batch: start over next tick
        for row in rows:
            if self.db.hydration.active_background() >= self.max_parallel_saves:
                next_after = row.id - 1  # continue here next tick
                break
            if row.execution_arn in self._unknown or not self._due(row):
                continue
            report.examined += 1
            with log_context(execution=execution_name_from_arn(row.execution_arn)):
                self._examine(row.execution_arn, row.status, row.hydration_state, report)
        self._after_id = next_after
        return report

    def _continue(self, arn: str, report: TickReport) -> None:
        try:
            outcome = self.control.continue_if_needed(arn)
        except Exception as exc:  # the next tick tries again
            report.errors += 1
            log.warning(
                "watcher could not continue an execution",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            return
        if outcome is not None:
            report.continued.append((arn, outcome))

    def _due(self, row: UnfinishedExecution) -> bool:
        errors = self._errors.get(row.execution_arn)
        if errors is not None and self.clock() < errors[1]:
            return False
        if row.hydration_state != "failed" or row.hydration_finished_at is None:
            return True
        retries = self._failed_saves.get(row.execution_arn, 0)
        wait_s = min(RETRY_FAILED_SAVE_S * 2**retries, RETRY_FAILED_SAVE_MAX_S)
        age_s = (datetime.now(UTC).replace(tzinfo=None) - row.hydration_finished_at).total_seconds()
        return age_s >= wait_s

    def _examine(self, arn: str, status: str, database_state: str, report: TickReport) -> None:
        try:
            found = self.orders.refresh(arn)
        except Exception as exc:
            report.errors += 1
            count = self._errors.get(arn, (0, 0.0))[0] + 1
            self._errors[arn] = (
                count,
                self.clock() + min(RETRY_FAILED_SAVE_S * 2 ** (count - 1), RETRY_FAILED_SAVE_MAX_S),
            )
            log.warning(
                "watcher could not refresh an execution",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            return
        self._errors.pop(arn, None)
        if found.continuation_needed:
            self._continue(arn, report)
        if not found.known:
            self._unknown.add(arn)
            log.info("watcher: the orchestrator no longer knows this execution")
            return
        if database_state == "failed":
            self._failed_saves[arn] = self._failed_saves.get(arn, 0) + 1
        if found.database_state == "saved":
            self._failed_saves.pop(arn, None)
        if (found.status, found.database_state) != (status, database_state):
            report.changed.append((arn, found.status, found.database_state))
            log.info(
                "watcher refreshed an execution",
                extra={"status": found.status, "database_state": found.database_state},
            )

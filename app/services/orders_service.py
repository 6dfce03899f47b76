"""Starting extractions, reporting their status, and deciding when the database is hydrated.

Policy for GET /orders/{arn}: the orchestrator (the manifest in the results store, or Step Functions) is the
source of truth for the status; the database keeps a copy. On success the consolidated document is read
*through the results store by key* (never through the presigned URL, which may have expired), in a background
thread that the database's hydration claims atomically: concurrent polls never duplicate orders and never
block for long; they report "saving" with the count so far. Every poll of a SUCCEEDED execution not yet "saved"
asks for the claim, so a hydration cut off by a crash (its heartbeat gone stale) is taken over and completed.

The database follows the execution, not the poll: embedded mode saves when the runner reports the end
(`when_finished`); the API's watcher (app/services/execution_watcher.py) calls `refresh` for every execution the
database records as unfinished, which is the GET's own path; and the list and `/database` re-read the status of
the rows they show that are not finished yet (`_fresh`), so they never show RUNNING for an execution the
orchestrator says has ended.

POST /orders validates the whole request with the coordinator's own rules before anything starts; once the
execution has started, nothing (not even a database failure) turns the answer into an error: the 202 reports
`database_saved: false` with the reason, and the first GET records the execution from its manifest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.orchestration.base import (
    ExecutionNotFoundError,
    ExecutionState,
    ExtractionOptions,
    InvalidRequestError,
    OrchestrationError,
    Orchestrator,
)
from app.schemas.orders import (
    AwsExecutionDetails,
    DatabaseInfo,
    DeleteExecutionResponse,
    ExecutionListItem,
    ExecutionListResponse,
    ExecutionStatusResponse,
    OrdersStartedResponse,
    RemovedItems,
    SaveFromUrlResponse,
)
from app.services.database import Database
from app.services.execution_progress import ExecutionProgress, read_progress
from app.services.execution_records import FINISHED_STATUSES
from app.services.execution_removal import ExecutionBusyError
from app.services.hydration.state import HydrationState
from lambda_functions.aggregator.timefmt import format_duration
from lambda_functions.common import keys
from lambda_functions.common.logs import log_context
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore
from lambda_functions.coordinator.events import StartRequest
from lambda_functions.coordinator.naming import execution_name_from_arn
from lambda_functions.coordinator.validation import DEFAULT_WINDOW_DAYS, RequestError, parse_request

log = logging.getLogger(__name__)


MAX_LISTED_KEYS = 50


@dataclass(frozen=True)
class Refreshed:
    """What `OrdersService.refresh` found: the status, and where the saving of the orders stands."""

    status: str
    database_state: str | None  # None while running, or when the execution failed
    known: bool  # False: the orchestrator no longer knows it (the database's word was used)
    continuation_needed: bool = False  # its run stopped at the deadline: it waits for a resume


@dataclass(frozen=True)
class ExecutionPage:
    """A page of GET /orders/list: the database's rows, each with its status refreshed (the web page shows
    more of a row than the API's `ExecutionListItem`)."""

    total: int
    skip: int
    limit: int
    rows: list[dict[str, Any]]

    def response(self) -> ExecutionListResponse:
        executions = [ExecutionListItem.model_validate(row) for row in self.rows]
        return ExecutionListResponse(
            total_executions=self.total, skip=self.skip, limit=self.limit, executions=executions
        )


def execution_name(execution_arn: str) -> str:
    """The name inside a standard or express execution ARN; unknown execution (404) when there is none."""
    name = execution_name_from_arn(execution_arn)
    if name is None:
        raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
    return name


class OrdersService:
    """The use cases behind /orders; routes stay thin, commits happen in the database's parts."""

    def __init__(
        self,
        orchestrator: Orchestrator,
        db: Database,
        store: ResultsStore,
        *,
        results_prefix: str,
        max_symbols: int,
        window_days: int = DEFAULT_WINDOW_DAYS,
        hydration_wait_s: float = 2.0,
    ) -> None:
        self.orchestrator = orchestrator
        self.db = db
        self.store = store
        self.results_prefix = results_prefix
        self.max_symbols = max_symbols
        self.window_days = window_days
        self.hydration_wait_s = hydration_wait_s

    # POST /orders ------------------------------------------------------------------------------------------
    def start(
        self,
        symbols: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> OrdersStartedResponse:
        """Start an extraction of `symbols`, or with None of the whole account (options.since: a sync)."""
        unique = None if symbols is None else self._validated(symbols, start_ms, end_ms)
        started = self.orchestrator.start(unique, start_ms, end_ms, options or ExtractionOptions())
        saved, db_message = self._record_started(started.execution_arn, started.execution_name, started)
        with log_context(execution=started.execution_name):
            log.info("execution started", extra={"symbols": len(started.symbols)})
        when_finished = getattr(self.orchestrator, "when_finished", None)
        if when_finished is not None:  # embedded: save the orders as soon as it ends, nobody needs to poll
            arn = started.execution_arn
            when_finished(arn, lambda: self.status(arn))
        return OrdersStartedResponse(
            executionArn=started.execution_arn,
            execution_name=started.execution_name,
            symbols=started.symbols,
            start_ms=started.start_ms,
            end_ms=started.end_ms,
            message=(
                "Procesamiento iniciado para toda la cuenta"
                if started.scope == "account"
                else f"Procesamiento iniciado para {len(started.symbols)} símbolos"
            ),
            database_saved=saved,
            database_message=db_message,
            status_url=f"/orders/{started.execution_arn}",
            **started.echo(),  # the window requested and whether it was clamped, the options, the account
        )

    def _validated(self, symbols: list[str], start_ms: int | None, end_ms: int | None) -> list[str]:
        """The coordinator's own checks with this service's limits, so it is only ever called with valid input."""
        asked = StartRequest(symbols, start_ms, end_ms)
        try:
            request = parse_request(asked, int(time.time() * 1000), self.max_symbols, self.window_days)
        except RequestError as exc:
            raise InvalidRequestError(str(exc)) from None
        return request.symbols

    def _record_started(self, arn: str, name: str, started: Any) -> tuple[bool, str]:
        try:
            self.db.executions.record_execution(
                execution_arn=arn,
                execution_name=name,
                symbols=list(started.symbols),
                start_ms=int(started.start_ms),
                end_ms=int(started.end_ms),
            )
        except Exception as exc:  # any error (e.g. a driver's OverflowError): it has started, never a 500
            # The execution runs anyway; the first GET /orders/{arn} records it from the manifest.
            with log_context(execution=name):
                log.error("could not record execution", extra={"error": type(exc).__name__})
            return (
                False,
                f"could not record the execution in the database ({type(exc).__name__}): it runs anyway, and "
                "the first GET of its status_url records it",
            )
        return True, "ExecutionArn guardado automáticamente en base de datos"

    # GET /orders/list --------------------------------------------------------------------------------------
    def list_executions(self, skip: int, limit: int) -> ExecutionPage:
        total, rows = self.db.executions.list_executions(skip=skip, limit=limit)
        return ExecutionPage(total, skip, limit, [self._fresh(row) for row in rows])

    def _fresh(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row, its status first re-read from the orchestrator when the database does not have it as
        finished: the manifest's word (plus DescribeExecution for STANDARD) wins over a stale RUNNING. Only the
        status is recorded here; saving the orders is the GET's and the watcher's work."""
        if row.get("status") in FINISHED_STATUSES:
            return row
        arn = row["execution_arn"]
        try:
            state = self.orchestrator.describe(arn)
        except ExecutionNotFoundError:
            return row
        except OrchestrationError as exc:  # e.g. throttled: show what the database has, never fail the read
            with log_context(execution=execution_name_from_arn(arn)):  # a list's row: the request binds none
                log.warning("status refresh failed", extra={"error": str(exc)})
            return row
        if state.status == row.get("status"):
            return row
        self._record_status(state)
        return self.db.executions.get_execution(arn) or row

    def refresh_unfinished(self, execution_arn: str) -> None:
        """Record the orchestrator's status of an execution the database has as unfinished (what
        GET /orders/{arn}/database shows first); saving its orders is left to the status read and the watcher."""
        row = self.db.executions.get_execution(execution_arn)
        if row is not None:
            self._fresh(row)

    def _record_status(self, state: ExecutionState) -> None:
        """Copy a finished execution's status (and on success its result) into its database record."""
        if state.status == "SUCCEEDED":
            output = state.output or {}
            key = self._result_key(state.execution_arn, output)
            self.db.executions.update_execution(
                state.execution_arn,
                status="SUCCEEDED",
                result=output,
                s3_uri=output.get("s3_uri") or self.store.uri(key),
                public_url=output.get("s3_data_url"),
            )
        elif state.status == "ABORTED" and state.output:  # what was fetched before the cancel
            output = state.output
            self.db.executions.update_execution(
                state.execution_arn,
                status="ABORTED",
                result=output,
                s3_uri=output.get("s3_uri"),
                public_url=output.get("s3_data_url"),
                error=state.error or state.cause,
            )
        elif state.status != "RUNNING":
            self.db.executions.update_execution(
                state.execution_arn, status=state.status, error=state.error or state.cause
            )

    # GET /orders/{arn} -------------------------------------------------------------------------------------
    def status(self, execution_arn: str) -> ExecutionStatusResponse:
        return self._status(execution_arn, self.hydration_wait_s)[0]

    def refresh(self, execution_arn: str) -> Refreshed:
        """What GET /orders/{arn} does (record the status, start saving the orders once it succeeded), without
        waiting for the save: the watcher's call."""
        answer, state = self._status(execution_arn, 0.0)
        saving = answer.database_info.state if answer.database_info is not None else None
        waiting = state is not None and state.continuation_needed
        return Refreshed(answer.status, saving, state is not None, waiting)

    def _status(
        self, execution_arn: str, wait_s: float
    ) -> tuple[ExecutionStatusResponse, ExecutionState | None]:
        """The answer, and the orchestrator's state (None: it no longer knows the execution)."""
        row = self.db.executions.get_execution(execution_arn)
        try:
            state = self.orchestrator.describe(execution_arn)
        except ExecutionNotFoundError:
            if row is None:
                raise ExecutionNotFoundError(f"execution not found: {execution_arn}") from None
            return self._status_from_db(row), None
        if row is None:
            row = self.record_from_manifest(execution_arn)
        if state.status == "RUNNING":
            return self._running(state), state
        if state.status == "SUCCEEDED":
            return self._succeeded(state, row, wait_s), state
        return self._failed(state, row, wait_s), state

    def _running(self, state: ExecutionState) -> ExecutionStatusResponse:
        elapsed = (datetime.now(UTC) - state.start_date).total_seconds() if state.start_date else None
        return ExecutionStatusResponse(
            executionArn=state.execution_arn,
            status="RUNNING",
            startDate=state.start_date,
            processing_time_seconds=round(elapsed, 3) if elapsed is not None else None,
            progress=(dict(state.progress) | self._checkpoint_totals(state.execution_arn)) or None,
            aws_execution_details=self._details(state),
        )

    def _checkpoint_totals(self, execution_arn: str) -> dict[str, int]:
        """The workers' figures so far; none before a worker wrote its first checkpoint."""
        progress = self.progress(execution_arn)
        return progress.totals() if progress.symbols_total else {}

    def progress(self, execution_arn: str) -> ExecutionProgress:
        """Per symbol and stream, what the workers' checkpoints say so far (execution_progress.py)."""
        return read_progress(self.store, self.results_prefix, execution_name(execution_arn))

    def known_progress(self, execution_arn: str) -> ExecutionProgress:
        """`progress` of an execution this service knows (its record or its manifest); ExecutionNotFoundError
        otherwise."""
        if self.db.executions.get_execution(execution_arn) is None:
            try:
                self.store.get_json(keys.manifest_key(self.results_prefix, execution_name(execution_arn)))
            except ResultNotFoundError:
                raise ExecutionNotFoundError(f"execution not found: {execution_arn}") from None
        return self.progress(execution_arn)

    def _succeeded(
        self, state: ExecutionState, row: dict[str, Any] | None, wait_s: float
    ) -> ExecutionStatusResponse:
        output = state.output or {}
        key = self._result_key(state.execution_arn, output)
        if row is not None and row.get("status") != "SUCCEEDED":
            self._record_status(state)
        hydration = self._hydrate(state.execution_arn, key, wait_s)
        return ExecutionStatusResponse(
            executionArn=state.execution_arn,
            status="SUCCEEDED",
            result=output,
            aws_execution_details=self._details(state),
            database_info=self._database_info(state.execution_arn, hydration, row),
        )

    def _failed(
        self, state: ExecutionState, row: dict[str, Any] | None, wait_s: float
    ) -> ExecutionStatusResponse:
        if row is not None and row.get("status") != state.status:
            self._record_status(state)
        answer = ExecutionStatusResponse(
            executionArn=state.execution_arn,
            status=state.status,
            message="The execution did not succeed: `error` and `cause` say why; POST /orders/{arn}/resume "
            "goes on from its checkpoints",
            error=state.error,
            cause=state.cause,
            aws_execution_details=self._details(state),
        )
        if state.status == "ABORTED":
            answer.message = "The execution was cancelled; what was fetched until then can be read"
            key = self._result_key(state.execution_arn, state.output or {})
            if state.output and self.store.exists(key):  # the orders fetched before the cancel are saved too
                hydration = self._hydrate(state.execution_arn, key, wait_s)
                answer.result = state.output
                answer.database_info = self._database_info(state.execution_arn, hydration, row)
        return answer

    def _status_from_db(self, row: dict[str, Any]) -> ExecutionStatusResponse:
        """The orchestrator no longer knows the execution (e.g. EXPRESS history gone): answer from the DB."""
        arn = row["execution_arn"]
        hydration = self.db.hydration.hydration_state(arn)
        return ExecutionStatusResponse(
            executionArn=arn,
            status=row.get("status") or "UNKNOWN",
            message="Status read from the database (the orchestrator no longer knows this execution)",
            result=row.get("result"),
            database_info=self._database_info(arn, hydration, row),
        )

    def record_from_manifest(self, execution_arn: str) -> dict[str, Any] | None:
        """Record an execution the DB has not seen (started elsewhere, or its first save failed).

        The coordinator writes the manifest before it starts anything, so an execution with neither a record nor
        a manifest was deleted (DELETE /orders/{arn}) or its results expired: unknown here, and not recorded
        again (a STANDARD execution stays in AWS's history for 90 days after it ended)."""
        name = execution_name(execution_arn)
        try:
            manifest = self.store.get_json(keys.manifest_key(self.results_prefix, name))
        except ResultNotFoundError:
            raise ExecutionNotFoundError(
                f"execution not found: {execution_arn} (no record here and no results: deleted or expired)"
            ) from None
        except ValueError:
            manifest = {}
        self.db.executions.record_execution(
            execution_arn=execution_arn,
            execution_name=name,
            symbols=list(manifest.get("symbols") or []),
            start_ms=int(manifest.get("start_ms") or 0),
            end_ms=int(manifest.get("end_ms") or 0),
        )
        return self.db.executions.get_execution(execution_arn)

    def _result_key(self, execution_arn: str, output: dict[str, Any]) -> str:
        """The consolidated document's key: from the result's s3_uri when it is ours, else from the name."""
        uri = str(output.get("s3_uri") or "")
        return self.store.key_from_uri(uri) or keys.result_key(
            self.results_prefix, execution_name(execution_arn)
        )

    def _hydrate(self, execution_arn: str, key: str, wait_s: float) -> HydrationState:
        current = self.db.hydration.hydration_state(execution_arn)
        if current.state in ("saved", "deleting"):  # a read, not a claim attempt (a write), on each poll
            return current
        # "saving" too: the claim fails while the hydrating process is alive and its heartbeat fresh (its state is
        # returned), and succeeds once its process is known to be dead or its heartbeat is stale, so a cut-off
        # hydration is completed.
        return self.db.hydration.hydrate_in_background(
            execution_arn,
            lambda: self.store.reader(key),
            source=self.store.uri(key),
            wait_s=wait_s,
        )

    def _database_info(
        self, execution_arn: str, hydration: HydrationState, row: dict[str, Any] | None
    ) -> DatabaseInfo:
        return DatabaseInfo(
            state=hydration.state,
            orders_in_db=self.db.orders.count_orders(execution_arn),
            orders_saved=hydration.orders_saved,
            processing_time_seconds=round(hydration.duration_s, 3) if hydration.duration_s else None,
            created_at=(row or {}).get("created_at"),
            finished_at=hydration.finished_at,
            error=hydration.error,
            rows_rejected=hydration.rows_rejected,
            fills_in_db=self.db.fills.count_fills(execution_arn),
            fills_saved=hydration.fills_saved,
        )

    @staticmethod
    def _details(state: ExecutionState) -> AwsExecutionDetails:
        duration = None
        if state.start_date and state.stop_date:
            duration = round((state.stop_date - state.start_date).total_seconds(), 3)
        return AwsExecutionDetails(
            startDate=state.start_date,
            stopDate=state.stop_date,
            duration_seconds=duration,
            duration_formatted=None if duration is None or duration < 0 else format_duration(duration),
            stateMachineArn=state.state_machine_arn,
            runs=state.runs,
            latest_run_arn=state.run_arn,
        )

    # POST /orders/{arn}/save-from-url ----------------------------------------------------------------------
    def save_from_url(self, execution_arn: str, public_url: str) -> SaveFromUrlResponse:
        expected = keys.result_key(self.results_prefix, execution_name(execution_arn))
        key = self.store.key_from_url(public_url)
        if key is None:
            raise InvalidRequestError(
                "public_url is not a results URL of this deployment; nothing was fetched"
            )
        if key != expected:
            raise InvalidRequestError(
                "public_url does not point at this execution's consolidated results "
                f"(expected the key {expected}); nothing was fetched"
            )
        self._known_row(execution_arn)
        if not self.store.exists(key):
            raise ExecutionNotFoundError(f"no results found at public_url for {execution_arn}")
        began = time.monotonic()
        hydration = self.db.hydration.hydrate(
            execution_arn, lambda: self.store.reader(key), source=self.store.uri(key)
        )
        saved = hydration.state == "saved"
        return SaveFromUrlResponse(
            success=saved,
            message="Datos guardados exitosamente desde URL pública"
            if saved
            else f"Guardado no completado (estado: {hydration.state})",
            saved_orders_count=hydration.orders_saved,
            execution_arn=execution_arn,
            processing_time_seconds=round(time.monotonic() - began, 3),
            state=hydration.state,
        )

    def _known_row(self, execution_arn: str) -> dict[str, Any]:
        row = self.db.executions.get_execution(execution_arn)
        if row is None:
            raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
        return row

    # DELETE /orders/{arn} ----------------------------------------------------------------------------------
    def delete(self, execution_arn: str) -> DeleteExecutionResponse:
        """Remove an execution: its results-store objects (everything under its prefix), then its orders,
        processing log and record. 404 when neither the database nor the orchestrator knows it; 409 while it
        runs or while its orders are being saved."""
        name = execution_name(execution_arn)
        row = self.db.executions.get_execution(execution_arn)
        manifest = read_manifest(self.store, self.results_prefix, name)
        if row is None and manifest is None:  # nothing here to remove (e.g. already deleted), whatever AWS
            raise ExecutionNotFoundError(f"execution not found: {execution_arn}")  # remembers of it
        try:
            state: ExecutionState | None = self.orchestrator.describe(execution_arn)
        except ExecutionNotFoundError:
            state = None
        if state is None and row is None:
            raise ExecutionNotFoundError(f"execution not found: {execution_arn}")
        if state is not None and state.status == "RUNNING":
            raise ExecutionBusyError(
                f"execution {execution_arn} is RUNNING: it can be deleted once it has ended"
            )
        prefix = keys.execution_prefix(self.results_prefix, name)
        # Its objects are ours to remove when the orchestrator recognised the ARN, or when no manifest says they
        # belong to another execution of that name (a same-name ARN of another account, region or machine).
        owns_objects = state is not None or manifest is None
        previous = self.db.removal.begin_delete(execution_arn)
        try:
            removed_keys = self.store.list_keys(prefix) if owns_objects else []
            self.store.delete(removed_keys)
            self.store.prune(prefix)
        except Exception:
            self.db.removal.abort_delete(execution_arn, previous)
            raise
        rows = self.db.removal.finish_delete(execution_arn)
        log.info(
            "execution deleted",
            extra={"orders": rows.orders, "objects": len(removed_keys)},
        )
        status = state.status if state is not None else (row or {}).get("status") or "UNKNOWN"
        return DeleteExecutionResponse(
            execution_arn=execution_arn,
            deleted=True,
            status=status,
            message=f"Execution deleted: {rows.orders} orders and {len(removed_keys)} results objects",
            removed=RemovedItems(
                orders=rows.orders,
                fills=rows.fills,
                processing_logs=rows.processing_logs,
                execution_record=rows.execution_record,
                results_prefix=prefix,
                results_objects=len(removed_keys),
                results_keys=removed_keys[:MAX_LISTED_KEYS],
            ),
        )

"""Embedded mode: the coordinator called in-process (typed requests and answers), the ASL run by the in-process
runner.

One execution (the user's ARN) may take several state-machine runs: a resume (POST /orders/{arn}/resume, a
continuation, an interrupted execution picked up again) starts `NAME-r{n}`, recorded in the manifest's `runs`.
`describe` follows the latest run and answers under the original ARN.

A process restart loses the runner's executions. A RUNNING manifest this runner does not know, whose owner
(host:pid:id) is an orchestrator of this process that is no longer alive (a restart re-creates it; live ones are
kept in a process-level registry, so two orchestrators of one process, as in tests and benchmarks, never touch
each other's executions) or a process of this host that no longer exists, was interrupted. With `auto_resume`
(AUTO_RESUME, the default) it is resumed from its checkpoints ("resuming execution X: its process is gone");
without, `describe` reports (and records) FAILED "interrupted by a restart of the service".

Continuations: when a run ends with the manifest saying `continuation_needed` (its deadline came), the
orchestrator resumes it (reopen_failed false) itself, from `describe` and from the `when_finished` follow-up;
a cancel asked meanwhile stays in force, so that run's workers stop at once and it ends ABORTED with a result.

`describe` answers only for ARNs this deployment started: an ARN whose name matches a manifest but whose
account, region or state machine differ is unknown (404), and nothing is written for it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from app.orchestration.base import (
    ExecutionNotFoundError,
    ExecutionState,
    ExtractionOptions,
    OrchestrationError,
)
from app.orchestration.coordinator_io import api_error, resumed_under, start_request
from app.orchestration.definition import load_definition
from app.orchestration.local_sfn import LocalFunction, LocalStepFunctions
from app.orchestration.manifest import (
    arn_belongs_to_manifest,
    continue_execution,
    failed_manifest,
    latest_run_arn,
    needs_continuation,
    overlay_run,
    progress,
    request_cancel,
    state_from_manifest,
)
from app.services.hydration.claim_owner import process_start
from lambda_functions.common.keys import manifest_key
from lambda_functions.common.logs import carry_context, log_context
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.answers import Refusal, ResumedExecution, StartedExecution
from lambda_functions.coordinator.naming import execution_name_from_arn
from lambda_functions.coordinator.service import (
    DEFAULT_MAP_MAX_CONCURRENCY,
    Coordinator,
    OptionDefaults,
)
from lambda_functions.coordinator.validation import DEFAULT_MAX_SYMBOLS, DEFAULT_WINDOW_DAYS

INTERRUPTED_ERROR = "ServiceRestarted"
INTERRUPTED_CAUSE = "interrupted by a restart of the service"
STATE_MACHINE_NAME = "bitget-orders"
FOLLOW_TIMEOUT_S = (
    7 * 24 * 3600.0
)  # how long a finished-execution follow-up waits (the process ends it sooner)
FOLLOW_POLL_S = 0.1  # one cheap status read per execution every 100 ms
FOLLOW_IDLE_S = 1.0  # between reads of an execution whose latest run this runner does not know
log = logging.getLogger(__name__)

_LIVE_OWNERS: set[str] = set()  # owners of the orchestrators alive in this process
_LIVE_OWNERS_LOCK = threading.Lock()


def _register_owner(owner: str) -> None:
    with _LIVE_OWNERS_LOCK:
        _LIVE_OWNERS.add(owner)


def _forget_owner(owner: str) -> None:
    with _LIVE_OWNERS_LOCK:
        _LIVE_OWNERS.discard(owner)


def _owner_alive_here(owner: str) -> bool:
    with _LIVE_OWNERS_LOCK:
        return owner in _LIVE_OWNERS


def new_owner() -> str:
    """Identifies a runner in the manifests it starts: host, pid, a random id and the process's start time
    (`host:pid:id.start`): a pid reused by a later process is not mistaken for the owner."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:12]}.{process_start(pid) or ''}"


def build_runner(
    worker_handler: Callable[[dict[str, Any], Any], Any],
    aggregator_handler: Callable[[dict[str, Any], Any], Any],
    *,
    map_max_concurrency: int = 5,
    worker_timeout_s: float = 900.0,
    aggregator_timeout_s: float = 900.0,
    runner: LocalStepFunctions | None = None,
) -> tuple[LocalStepFunctions, str]:
    """A runner with step_functions/init.json loaded; returns it and the state machine ARN."""
    runner = runner or LocalStepFunctions()
    values = {
        "WorkerFunctionArn": runner.register_function(
            LocalFunction("bitget-worker", worker_handler, worker_timeout_s)
        ),
        "AggregatorFunctionArn": runner.register_function(
            LocalFunction("bitget-aggregator", aggregator_handler, aggregator_timeout_s)
        ),
        "MapMaxConcurrency": map_max_concurrency,
    }
    created = runner.create_state_machine(name=STATE_MACHINE_NAME, definition=load_definition(values))
    return runner, created["stateMachineArn"]


def _owner_is_gone(owner: Any, me: str) -> bool:
    """True when the process that started an execution cannot be running it any more."""
    if not isinstance(owner, str) or owner.count(":") < 2:
        return True  # no owner recorded: nobody can be running it
    host, pid, token = owner.rsplit(":", 2)
    if owner == me or host != socket.gethostname():
        return False  # ours (the runner knows it) or another host's (we cannot tell)
    if not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        # Our pid: another orchestrator of this process (alive: it runs it) or of an earlier life (restarted).
        return not _owner_alive_here(owner)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    started = token.partition(".")[2]  # owners recorded before the start time was added have none
    current = process_start(int(pid))
    return bool(started and current and current != started)  # the pid now belongs to a later process


class EmbeddedOrchestrator:
    mode = "embedded"

    def __init__(
        self,
        runner: LocalStepFunctions,
        state_machine_arn: str,
        store: ResultsStore,
        *,
        results_prefix: str,
        max_symbols: int = DEFAULT_MAX_SYMBOLS,
        default_window_days: int = DEFAULT_WINDOW_DAYS,
        map_max_concurrency: int = DEFAULT_MAP_MAX_CONCURRENCY,
        defaults: OptionDefaults = OptionDefaults(),  # noqa: B008 - frozen dataclass
        account_checker: AccountChecker | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        auto_resume: bool = False,
        execution_time_limit_s: float | None = None,
    ) -> None:
        self.runner = runner
        self.auto_resume = auto_resume  # resume (not fail) an execution whose process is gone
        self._continuing = threading.Lock()  # one resume decision at a time (follow-ups, describe, startup)
        self._closed = threading.Event()
        self.store = store
        self.results_prefix = results_prefix
        self.clock = clock
        self.owner = new_owner()
        _register_owner(self.owner)
        # An orchestrator dropped without close() no longer runs anything either.
        self._forget = weakref.finalize(self, _forget_owner, self.owner)
        self.state_machine_arn = state_machine_arn
        self.coordinator = Coordinator(
            runner,
            store,
            state_machine_arn,
            results_prefix,
            max_symbols=max_symbols,
            window_days=default_window_days,
            manifest_extra={"owner": self.owner},
            clock=clock,
            map_max_concurrency=map_max_concurrency,
            defaults=defaults,
            account_checker=account_checker,
            time_limit_s=execution_time_limit_s,  # none by default: the runner has no 5-minute limit
        )

    def start(
        self,
        symbols: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> StartedExecution:
        try:
            return self.coordinator.start(start_request(symbols, start_ms, end_ms, options))
        except Refusal as refusal:
            raise api_error(refusal) from refusal

    def resume(self, execution_arn: str, reopen_failed: bool) -> ResumedExecution:
        name = self._own_name(execution_arn)
        try:
            resumed = self.coordinator.resume(name, bool(reopen_failed))
        except Refusal as refusal:
            raise api_error(refusal) from refusal
        return resumed_under(resumed, execution_arn)

    def cancel(self, execution_arn: str) -> None:
        name = self._own_name(execution_arn)
        request_cancel(self.store, self.results_prefix, name, self.clock())
        self.continue_if_needed(execution_arn)  # waiting: its next run stops at once (ABORTED with a result)

    def continue_if_needed(self, execution_arn: str) -> str | None:
        name = execution_name_from_arn(execution_arn) or ""
        with self._continuing:
            manifest = self._manifest(execution_arn, name)
            if (
                not needs_continuation(manifest)
                or manifest is None
                or self._run_is_going(execution_arn, manifest)
            ):
                return None
            if not self._mine_or_orphaned(manifest):
                return None  # another live process of this host runs it: it continues it
            return continue_execution(
                lambda: self._resume_logged(execution_arn, "its run stopped at the deadline")
            )

    def resume_interrupted(self, execution_arn: str) -> bool:
        """Resume an execution RUNNING under an owner whose process is gone (start-up, with AUTO_RESUME), or
        continue it when it was waiting for a continuation. True when a new run was started."""
        name = execution_name_from_arn(execution_arn) or ""
        with self._continuing:
            manifest = self._manifest(execution_arn, name)
            if manifest is None or manifest.get("status") != "RUNNING":
                return False
            if self._run_is_going(execution_arn, manifest):
                return False
            if not needs_continuation(manifest) and not _owner_is_gone(manifest.get("owner"), self.owner):
                return False
            if needs_continuation(manifest) and not self._mine_or_orphaned(manifest):
                return False
            why = (
                "its process is gone"
                if not needs_continuation(manifest)
                else "its run stopped at the deadline"
            )
            outcome = continue_execution(lambda: self._resume_logged(execution_arn, why))
            return outcome == "resumed"

    def _resume_logged(self, execution_arn: str, why: str) -> ResumedExecution:
        name = execution_name_from_arn(execution_arn) or ""
        with log_context(execution=name):
            log.warning("resuming execution %s: %s", name, why)
        return self.resume(execution_arn, reopen_failed=False)

    def _own_name(self, execution_arn: str) -> str:
        """The execution's name when this deployment knows the ARN (its manifest); else 404."""
        name = execution_name_from_arn(execution_arn)
        if not name or self._manifest(execution_arn, name) is None:
            raise ExecutionNotFoundError(execution_arn)
        return name

    def _manifest(self, execution_arn: str, name: str) -> dict[str, Any] | None:
        manifest = read_manifest(self.store, self.results_prefix, name) if name else None
        if manifest is not None and not arn_belongs_to_manifest(
            execution_arn, name, manifest, self.state_machine_arn
        ):
            return None  # same name, another account/region/machine: not ours
        return manifest

    def _live(self, run_arn: str) -> dict[str, Any] | None:
        try:
            return self.runner.describe_execution(executionArn=run_arn)
        except ClientError:
            return None

    def _run_is_going(self, execution_arn: str, manifest: dict[str, Any]) -> bool:
        live = self._live(latest_run_arn(manifest, execution_arn))
        return live is not None and live["status"] == "RUNNING"

    def _mine_or_orphaned(self, manifest: dict[str, Any]) -> bool:
        owner = manifest.get("owner")
        return owner == self.owner or _owner_is_gone(owner, self.owner)

    def when_finished(self, execution_arn: str, callback: Callable[[], object]) -> None:
        """Call `callback` (in a thread of its own) once the execution has left RUNNING, across its runs (a
        continuation is started here when its run stops at the deadline): the service saves its orders then,
        without anyone polling."""

        def follow() -> None:
            deadline = time.monotonic() + FOLLOW_TIMEOUT_S
            try:
                while not self._closed.is_set() and time.monotonic() < deadline:
                    name = execution_name_from_arn(execution_arn) or ""
                    run_arn = latest_run_arn(self._manifest(execution_arn, name), execution_arn)
                    if self._live(run_arn) is not None:
                        self.runner.wait(run_arn, timeout_s=FOLLOW_TIMEOUT_S, poll_s=FOLLOW_POLL_S)
                    else:
                        self._closed.wait(FOLLOW_IDLE_S)
                    if self._closed.is_set():
                        return
                    state = self.describe(execution_arn)  # continues it when its manifest asks for it
                    if state.status != "RUNNING":
                        callback()
                        return
                    if (state.run_arn or execution_arn) == run_arn:
                        self._closed.wait(FOLLOW_IDLE_S)  # no new run (another process has it): look again
            except Exception:  # shutdown, or a failing save: the next GET tries again
                log.exception("follow-up of a finished execution failed")

        with log_context(execution=execution_name_from_arn(execution_arn)):
            follow_here = carry_context(follow)  # its lines (and the save it triggers) name the execution
        threading.Thread(target=follow_here, name="follow-execution", daemon=True).start()

    def close(self) -> None:
        """Stop owning executions (shutdown): from now on they count as interrupted by a restart."""
        self._closed.set()
        self._forget()
        self.runner.close()

    def describe(self, execution_arn: str) -> ExecutionState:
        name = execution_name_from_arn(execution_arn) or ""
        manifest = self._manifest(execution_arn, name)
        if needs_continuation(manifest):
            try:
                if self.continue_if_needed(execution_arn):
                    manifest = self._manifest(execution_arn, name)
            except OrchestrationError:  # reported RUNNING (waiting); the next describe tries again
                with log_context(execution=name):
                    log.exception("could not continue execution")
        live = self._live(latest_run_arn(manifest, execution_arn))
        if manifest is None and live is None:
            raise ExecutionNotFoundError(execution_arn)
        if live is None:
            return self._from_manifest_only(execution_arn, name, manifest or {})
        return self._from_runner(execution_arn, name, manifest, live)

    def _from_manifest_only(self, arn: str, name: str, manifest: dict[str, Any]) -> ExecutionState:
        running = manifest.get("status") == "RUNNING" and not needs_continuation(manifest)
        if running and _owner_is_gone(manifest.get("owner"), self.owner):
            if self.auto_resume and self._auto_resumed(arn):
                manifest = self._manifest(arn, name) or manifest
                live = self._live(latest_run_arn(manifest, arn))
                if live is not None:
                    return self._from_runner(arn, name, manifest, live)
                return self._state(arn, name, manifest)
            manifest = failed_manifest(manifest, INTERRUPTED_ERROR, INTERRUPTED_CAUSE, self.clock())
            self.store.put_json(manifest_key(self.results_prefix, name), manifest)
        return self._state(arn, name, manifest)

    def _auto_resumed(self, arn: str) -> bool:
        """AUTO_RESUME: True when the interrupted execution has a new run (or was recorded ABORTED); a refused
        resume is logged and the execution reported interrupted (FAILED), as without AUTO_RESUME."""
        try:
            return self.resume_interrupted(arn)
        except OrchestrationError:
            with log_context(execution=execution_name_from_arn(arn)):
                log.exception("could not resume an interrupted execution")
            return False

    def _from_runner(
        self, arn: str, name: str, manifest: dict[str, Any] | None, live: dict[str, Any]
    ) -> ExecutionState:
        status = live["status"]
        # No manifest while the runner knows the execution: its results were deleted (DELETE /orders/{arn}) or
        # expired; the runner's word is reported, and no manifest is written back.
        had_manifest = manifest is not None
        if had_manifest and status != "RUNNING":
            # read again now that the run has ended: the manifest read before may predate its aggregator's
            manifest = self._manifest(arn, name) or manifest
        manifest = manifest or {
            "execution": name,
            "symbols": json.loads(live.get("input") or "{}").get("symbols", []),
        }
        waiting = needs_continuation(
            manifest
        )  # the run ended at its deadline; the next one is not started yet
        if (
            had_manifest
            and status != "RUNNING"
            and not waiting
            and manifest.get("status") in (None, "RUNNING")
        ):
            # The state machine ended without a final manifest (e.g. an uncatchable error): record it now.
            if status == "SUCCEEDED":
                manifest = manifest | {
                    "status": "SUCCEEDED",
                    "result": json.loads(live.get("output") or "null"),
                }
            else:
                manifest = failed_manifest(
                    manifest, live.get("error") or status, live.get("cause") or "", self.clock()
                )
            self.store.put_json(manifest_key(self.results_prefix, name), manifest)
        return overlay_run(self._state(arn, name, manifest), manifest, live)

    def _state(self, arn: str, name: str, manifest: dict[str, Any]) -> ExecutionState:
        symbols = manifest.get("symbols") or []
        counts = progress(self.store, self.results_prefix, name, len(symbols)) if name else {}
        return state_from_manifest(arn, manifest, counts)

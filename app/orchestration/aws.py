"""AWS mode: the coordinator Lambda starts the real state machine; status comes from the manifest.

STANDARD executions are also described with DescribeExecution. EXPRESS ones never are (AWS rejects it): their
status is the manifest alone, and a RUNNING manifest older than Express's 5-minute limit (plus a grace period)
is reported FAILED, since such an execution can no longer be running.

One execution (the user's ARN) may take several state-machine runs (`runs` in the manifest: resumes and
continuations, started by the coordinator Lambda's resume action); STANDARD describes the latest run, and the
answer is always under the original ARN. A manifest saying `continuation_needed` reads RUNNING (the API's
watcher continues it through `continue_if_needed`); ABORTED (a cancelled execution) reads ABORTED.

An ARN whose name matches a manifest but whose account, region or state machine differ from the manifest's is
unknown (404). DescribeExecution's ExecutionDoesNotExist means "unknown" (404, or the manifest's word when
there is one); any other AWS failure (throttling, AccessDenied, network) is an OrchestrationError (502), never
a false "not found".
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from app.orchestration.base import (
    ExecutionNotFoundError,
    ExecutionState,
    ExtractionOptions,
    OrchestrationError,
)
from app.orchestration.coordinator_io import api_error, resumed_under, start_request
from app.orchestration.manifest import (
    arn_belongs_to_manifest,
    continue_execution,
    latest_run_arn,
    needs_continuation,
    overlay_run,
    parse_time,
    progress,
    request_cancel,
    runs_of,
    state_from_manifest,
)
from lambda_functions.common.logs import log_context
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.answers import (
    Refusal,
    ResumedExecution,
    StartedExecution,
    resumed_from_response,
    started_from_response,
)
from lambda_functions.coordinator.naming import execution_name_from_arn

log = logging.getLogger(__name__)
StateMachineType = Literal["EXPRESS", "STANDARD"]
EXPRESS_LIMIT_S = 300
EXPRESS_TIMEOUT_ERROR = "States.Timeout"
EXPRESS_TIMEOUT_CAUSE = "no final manifest within the 5-minute limit of an EXPRESS execution"


class AwsOrchestrator:
    mode = "aws"

    def __init__(
        self,
        lambda_client: Any,
        sfn_client: Any,
        store: ResultsStore,
        *,
        coordinator_function: str,
        results_prefix: str,
        state_machine_type: StateMachineType = "EXPRESS",
        express_grace_s: int = 60,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.lambda_client = lambda_client
        self.sfn_client = sfn_client
        self.store = store
        self.coordinator_function = coordinator_function
        self.results_prefix = results_prefix
        self.state_machine_type = state_machine_type
        self.express_grace_s = express_grace_s
        self.clock = clock

    def start(
        self,
        symbols: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> StartedExecution:
        answer = self._invoke(start_request(symbols, start_ms, end_ms, options).body())
        try:
            return started_from_response(answer)
        except Refusal as refusal:
            raise api_error(refusal) from refusal

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """The coordinator Lambda's response to `event`; a failing function is an OrchestrationError."""
        payload = json.dumps(event).encode()
        try:
            answer = self.lambda_client.invoke(FunctionName=self.coordinator_function, Payload=payload)
        except (ClientError, BotoCoreError) as exc:
            raise OrchestrationError(
                f"could not invoke the coordinator Lambda: {type(exc).__name__}"
            ) from exc
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            kind = body.get("errorType", "error") if isinstance(body, dict) else "error"
            raise OrchestrationError(f"the coordinator Lambda failed: {kind}")
        return body if isinstance(body, dict) else {}

    def resume(self, execution_arn: str, reopen_failed: bool) -> ResumedExecution:
        name, _ = self._known(execution_arn)
        answer = self._invoke({"action": "resume", "execution": name, "reopen_failed": bool(reopen_failed)})
        try:
            return resumed_under(resumed_from_response(answer), execution_arn)
        except Refusal as refusal:
            raise api_error(refusal) from refusal

    def cancel(self, execution_arn: str) -> None:
        name, _ = self._known(execution_arn)
        request_cancel(self.store, self.results_prefix, name, self.clock())
        self.continue_if_needed(execution_arn)  # waiting: its next run stops at once (ABORTED with a result)

    def continue_if_needed(self, execution_arn: str) -> str | None:
        """The watcher's call for an execution whose manifest says `continuation_needed`."""
        _, manifest = self._known(execution_arn)
        if not needs_continuation(manifest) or self._latest_run_is_going(execution_arn, manifest):
            return None
        return continue_execution(lambda: self.resume(execution_arn, reopen_failed=False))

    def _known(self, execution_arn: str) -> tuple[str, dict[str, Any]]:
        name = execution_name_from_arn(execution_arn)
        manifest = read_manifest(self.store, self.results_prefix, name) if name else None
        if name is None or manifest is None or not arn_belongs_to_manifest(execution_arn, name, manifest):
            raise ExecutionNotFoundError(execution_arn)
        return name, manifest

    def _latest_run_is_going(self, execution_arn: str, manifest: dict[str, Any]) -> bool:
        """STANDARD: DescribeExecution of the latest run says RUNNING (its last state is still finishing).
        EXPRESS runs cannot be described: the aggregator's manifest is the last thing a run does."""
        if self.state_machine_type != "STANDARD":
            return False
        try:
            live = self.sfn_client.describe_execution(executionArn=latest_run_arn(manifest, execution_arn))
        except (ClientError, BotoCoreError):
            return False
        return bool(live.get("status") == "RUNNING")

    def describe(self, execution_arn: str) -> ExecutionState:
        name = execution_name_from_arn(execution_arn)
        if name is None:
            raise ExecutionNotFoundError(execution_arn)
        manifest = read_manifest(self.store, self.results_prefix, name)
        if manifest is not None and not arn_belongs_to_manifest(execution_arn, name, manifest):
            raise ExecutionNotFoundError(execution_arn)  # same name, another account/region/machine
        if needs_continuation(manifest):  # any status read continues it, as the watcher does
            try:
                if self.continue_if_needed(execution_arn):
                    manifest = read_manifest(self.store, self.results_prefix, name) or manifest
            except OrchestrationError:  # reported RUNNING (waiting); the next read tries again
                with log_context(execution=name):
                    log.warning("could not continue execution", exc_info=True)
        if self.state_machine_type == "STANDARD":
            return self._describe_standard(execution_arn, name, manifest)
        if manifest is None:
            raise ExecutionNotFoundError(execution_arn)
        return self._describe_express(execution_arn, name, manifest)

    def _state(self, arn: str, name: str, manifest: dict[str, Any]) -> ExecutionState:
        counts = progress(self.store, self.results_prefix, name, len(manifest.get("symbols") or []))
        return state_from_manifest(arn, manifest, counts)

    def _describe_express(self, arn: str, name: str, manifest: dict[str, Any]) -> ExecutionState:
        state = self._state(arn, name, manifest)
        limit = dt.timedelta(seconds=EXPRESS_LIMIT_S + self.express_grace_s)
        runs = runs_of(manifest)
        run_start = parse_time(runs[-1].get("started_at")) if runs else state.start_date
        if (
            state.status == "RUNNING"
            and not state.continuation_needed  # its run ended; it waits for the watcher's resume
            and run_start
            and self.clock() - run_start > limit
        ):
            state.status, state.error, state.cause = "FAILED", EXPRESS_TIMEOUT_ERROR, EXPRESS_TIMEOUT_CAUSE
        return state

    def _describe_standard(self, arn: str, name: str, manifest: dict[str, Any] | None) -> ExecutionState:
        try:
            live = self.sfn_client.describe_execution(executionArn=latest_run_arn(manifest, arn))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code != "ExecutionDoesNotExist":
                raise OrchestrationError(f"DescribeExecution failed: {code or type(exc).__name__}") from exc
            if manifest is None:
                raise ExecutionNotFoundError(arn) from exc
            return self._state(arn, name, manifest)
        except BotoCoreError as exc:  # network, credentials, timeouts
            raise OrchestrationError(f"DescribeExecution failed: {type(exc).__name__}") from exc
        state = self._state(
            arn, name, manifest or {"symbols": json.loads(live.get("input") or "{}").get("symbols")}
        )
        return overlay_run(state, manifest, live)

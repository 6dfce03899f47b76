"""AWS mode: the coordinator Lambda starts the real state machine; status comes from the manifest.

STANDARD executions are also described with DescribeExecution. EXPRESS ones never are (AWS rejects it): their
status is the manifest alone, and a RUNNING manifest older than Express's 5-minute limit (plus a grace period)
is reported FAILED, since such an execution can no longer be running.

An ARN whose name matches a manifest but whose account, region or state machine differ from the manifest's is
unknown (404). DescribeExecution's ExecutionDoesNotExist means "unknown" (404, or the manifest's word when
there is one); any other AWS failure (throttling, AccessDenied, network) is an OrchestrationError (502), never
a false "not found".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from app.orchestration.base import (
    ExecutionNotFoundError,
    ExecutionState,
    ExtractionOptions,
    OrchestrationError,
    StartedExecution,
)
from app.orchestration.embedded import coordinator_event, started_from_response
from app.orchestration.manifest import arn_belongs_to_manifest, progress, state_from_manifest
from lambda_functions.common.manifest import read_manifest
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.naming import execution_name_from_arn

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
        symbols: list[str],
        start_ms: int | None,
        end_ms: int | None,
        options: ExtractionOptions | None = None,
    ) -> StartedExecution:
        payload = json.dumps(coordinator_event(symbols, start_ms, end_ms, options)).encode()
        answer = self.lambda_client.invoke(FunctionName=self.coordinator_function, Payload=payload)
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            kind = body.get("errorType", "error") if isinstance(body, dict) else "error"
            raise OrchestrationError(f"the coordinator Lambda failed: {kind}")
        return started_from_response(body)

    def describe(self, execution_arn: str) -> ExecutionState:
        name = execution_name_from_arn(execution_arn)
        if name is None:
            raise ExecutionNotFoundError(execution_arn)
        manifest = read_manifest(self.store, self.results_prefix, name)
        if manifest is not None and not arn_belongs_to_manifest(execution_arn, name, manifest):
            raise ExecutionNotFoundError(execution_arn)  # same name, another account/region/machine
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
        if state.status == "RUNNING" and state.start_date and self.clock() - state.start_date > limit:
            state.status, state.error, state.cause = "FAILED", EXPRESS_TIMEOUT_ERROR, EXPRESS_TIMEOUT_CAUSE
        return state

    def _describe_standard(self, arn: str, name: str, manifest: dict[str, Any] | None) -> ExecutionState:
        try:
            live = self.sfn_client.describe_execution(executionArn=arn)
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
        state.status = live["status"]
        state.start_date = live.get("startDate") or state.start_date
        state.stop_date = live.get("stopDate") or state.stop_date
        state.state_machine_arn = live.get("stateMachineArn") or state.state_machine_arn
        if state.status == "SUCCEEDED" and state.output is None and live.get("output"):
            state.output = json.loads(live["output"])
        if state.status != "SUCCEEDED":
            state.error = live.get("error") or state.error
            state.cause = live.get("cause") or state.cause
        return state

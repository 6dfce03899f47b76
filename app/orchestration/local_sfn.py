"""An in-process Step Functions: moto's vendored ASL interpreter with Task states calling our Python handlers.

The interpreter (LocalStack's, vendored in moto) runs the real definition: Map with MaxConcurrency, Retry,
Catch, the 256 KiB quota. For Lambda Task states it asks `lambda_eval_utils.boto_client_for` for a Lambda
client; we swap that function for one returning a client whose `invoke` calls the registered Python handler
(AWS_LOCAL.md). Functions not registered here fall through to moto's own client, so `mock_aws` tests in the
same process still work. This relies on moto internals: moto is pinned exactly and
tests/orchestration/test_local_sfn.py fails loudly on an upgrade that moves the hook.

`LocalStepFunctions` mimics the few boto3 Step Functions calls we use (create_state_machine, start_execution,
describe_execution), so the coordinator code is the same in both modes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

Handler = Callable[[dict[str, Any], Any], Any]

_REGISTRY: dict[str, LocalFunction] = {}
_REGISTRY_LOCK = threading.Lock()
# moto's interpreter logs at ERROR every JSONPath it evaluates to nothing, including the `IsPresent` test of
# the worker loop's `HasContinue` Choice (a worker's error item has no `continue`): the run goes on as AWS's
# would, so those lines only alarm. Real failures still surface as the execution's status and cause.
logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
_ORIGINAL_CLIENT_FACTORY = lambda_eval_utils.boto_client_for


@dataclass(frozen=True)
class LocalFunction:
    """A Python handler standing in for a Lambda function."""

    name: str
    handler: Handler
    timeout_s: float = 900.0
    memory_mb: int = 512


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object our handlers use."""

    function_name: str
    invoked_function_arn: str
    timeout_s: float
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke_local(function: LocalFunction, arn: str, payload: bytes) -> dict[str, Any]:
    """Run the handler as Lambda would; answer like `lambda.invoke` (FunctionError on an exception)."""
    context = LambdaContext(function.name, arn, function.timeout_s, function.memory_mb)
    try:
        result = function.handler(json.loads(payload or b"{}"), context)
    except Exception as exc:
        error = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        return {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": io.BytesIO(json.dumps(error).encode()),
        }
    return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


class _DispatchingLambdaClient:
    """What the interpreter gets instead of a boto3 Lambda client."""

    def __init__(self, region: str, state_credentials: Any) -> None:
        self._region = region
        self._credentials = state_credentials

    def invoke(self, FunctionName: str, Payload: bytes = b"", **kwargs: Any) -> dict[str, Any]:
        function = _REGISTRY.get(FunctionName)
        if function is None:  # not ours: let moto's own client (mock_aws, ThreadedMotoServer) handle it
            client = _ORIGINAL_CLIENT_FACTORY(
                region=self._region, service="lambda", state_credentials=self._credentials
            )
            return dict(client.invoke(FunctionName=FunctionName, Payload=Payload, **kwargs))
        return invoke_local(function, FunctionName, Payload)


def _client_factory(region: str, service: str, state_credentials: Any = None) -> Any:
    if service == "lambda":
        return _DispatchingLambdaClient(region, state_credentials)
    return _ORIGINAL_CLIENT_FACTORY(region=region, service=service, state_credentials=state_credentials)


def install_hook() -> None:
    """Route the interpreter's Lambda calls through the registry (idempotent)."""
    lambda_eval_utils.boto_client_for = _client_factory


def _not_found(operation: str, message: str) -> ClientError:
    code = "ExecutionDoesNotExist" if operation == "DescribeExecution" else "StateMachineDoesNotExist"
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def _iso_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


class LocalStepFunctions:
    """A Step Functions client for this process; executions run in background threads.

    Every instance gets its own function names (a random suffix), so several runners can share the process.
    """

    def __init__(self, region: str = "us-east-1", account_id: str = "000000000000") -> None:
        install_hook()
        self.region = region
        self.account_id = account_id
        self._suffix = uuid.uuid4().hex[:8]
        self._backend = StepFunctionsParserBackend(region_name=region, account_id=account_id)
        self._arns: list[str] = []

    def register_function(self, function: LocalFunction) -> str:
        """Make `function` invokable from Task states; returns the ARN to put in the definition."""
        name = f"{function.name}-{self._suffix}"
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        with _REGISTRY_LOCK:
            _REGISTRY[arn] = LocalFunction(name, function.handler, function.timeout_s, function.memory_mb)
        self._arns.append(arn)
        return arn

    def handler_of(self, name: str) -> Handler:
        """The handler registered as `name` (e.g. "bitget-worker"): what this runner's Task states call."""
        with _REGISTRY_LOCK:
            for arn in self._arns:
                if arn.endswith(f":function:{name}-{self._suffix}"):
                    return _REGISTRY[arn].handler
        raise KeyError(name)

    def close(self) -> None:
        """Forget this runner's functions (running executions calling them then fail)."""
        with _REGISTRY_LOCK:
            for arn in self._arns:
                _REGISTRY.pop(arn, None)
        self._arns.clear()

    def create_state_machine(
        self, *, name: str, definition: str, roleArn: str = "", type: str = "STANDARD"
    ) -> dict:
        role = roleArn or f"arn:aws:iam::{self.account_id}:role/local-state-machine"
        machine = self._backend.create_state_machine(
            name=name, definition=definition, roleArn=role, sm_type=type
        )
        return {"stateMachineArn": machine.arn, "creationDate": machine.creation_date}

    def start_execution(self, *, stateMachineArn: str, name: str | None = None, input: str = "{}") -> dict:
        execution = self._backend.start_execution(
            stateMachineArn, name=name or str(uuid.uuid4()), execution_input=input
        )
        return {"executionArn": execution.execution_arn, "startDate": _iso_or_none(execution.start_date)}

    def describe_execution(self, *, executionArn: str) -> dict:
        """Like boto3's: output is a JSON string; an unknown ARN raises ClientError ExecutionDoesNotExist."""
        try:
            # typed as moto's plain Execution; the parser backend returns its own richer one
            execution: Any = self._backend.describe_execution(executionArn)
        except Exception as exc:  # moto raises its own exception types; translate them at this boundary
            raise _not_found("DescribeExecution", f"Execution Does Not Exist: '{executionArn}'") from exc
        answer: dict[str, Any] = {
            "executionArn": executionArn,
            "stateMachineArn": execution.state_machine.arn,
            "name": execution.name,
            "status": execution.exec_status.value,
            "startDate": _iso_or_none(execution.start_date),
            "input": execution.input_data
            if isinstance(execution.input_data, str)
            else json.dumps(execution.input_data),
        }
        if execution.stop_date is not None:
            answer["stopDate"] = _iso_or_none(execution.stop_date)
        if answer["status"] == "SUCCEEDED":
            answer["output"] = json.dumps(execution.output)
        if execution.error is not None:
            answer["error"] = execution.error
        if execution.cause is not None:
            answer["cause"] = execution.cause
        return answer

    def wait(self, execution_arn: str, timeout_s: float = 60.0, poll_s: float = 0.02) -> dict:
        """Poll until the execution leaves RUNNING (tests, benchmarks, CLI)."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.describe_execution(executionArn=execution_arn)
            if state["status"] != "RUNNING" or time.monotonic() > deadline:
                return state
            time.sleep(poll_s)

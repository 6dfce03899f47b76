"""The moto hook: our Python handlers run as Lambda Task states with Retry, Catch and MaxConcurrency.

These tests fail loudly if a moto upgrade moves the hook (moto is pinned exactly for this reason).
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from app.orchestration.definition import load_definition
from app.orchestration.local_sfn import LocalFunction, LocalStepFunctions


class FlakyError(Exception):
    pass


@pytest.fixture
def runner():
    runner = LocalStepFunctions()
    yield runner
    runner.close()


def tiny_definition(task_arn: str) -> str:
    return json.dumps(
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": task_arn,
                    "Retry": [{"ErrorEquals": ["FlakyError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        }
    )


def test_task_calls_python_handler_with_lambda_context_and_retries(runner):
    # GIVEN a handler that fails once with a retryable error, then answers
    calls = []

    def handler(event, context):
        calls.append((event, context.function_name, context.get_remaining_time_in_millis()))
        if len(calls) == 1:
            raise FlakyError("first call fails")
        return {"doubled": event["n"] * 2}

    arn = runner.register_function(LocalFunction("doubler", handler, timeout_s=30))
    machine = runner.create_state_machine(name="tiny", definition=tiny_definition(arn))["stateMachineArn"]
    # WHEN an execution runs
    started = runner.start_execution(stateMachineArn=machine, name="run1", input=json.dumps({"n": 21}))
    final = runner.wait(started["executionArn"])
    # THEN the retry made it succeed with the handler's result
    assert final["status"] == "SUCCEEDED"
    assert json.loads(final["output"]) == {"doubled": 42}
    assert len(calls) == 2
    assert calls[0][1].startswith("doubler-")
    assert 0 < calls[0][2] <= 30_000


def test_unhandled_error_is_caught_with_its_python_class_name(runner):
    def handler(event, context):
        raise ValueError("bad symbol")

    arn = runner.register_function(LocalFunction("broken", handler))
    machine = runner.create_state_machine(name="tiny", definition=tiny_definition(arn))["stateMachineArn"]
    started = runner.start_execution(stateMachineArn=machine, name="run1", input="{}")
    final = runner.wait(started["executionArn"])
    assert final["status"] == "SUCCEEDED"
    error = json.loads(final["output"])["error"]
    assert error["Error"] == "ValueError"
    assert json.loads(error["Cause"])["errorMessage"] == "bad symbol"


def test_map_max_concurrency_from_the_substitution_is_respected(runner):
    # GIVEN the real definition with MapMaxConcurrency=2 and workers that record concurrency and cannot
    # finish until a second one runs beside them (a Barrier of 2, not a sleep): the peak reaches 2 whatever
    # the machine's speed. Each then stays a moment so that a Map wrongly running a third one at once shows
    # a peak above 2 (that pause only helps catch a bug; the passing case never depends on timing).
    lock, active, peak = threading.Lock(), [0], [0]
    pair = threading.Barrier(2, timeout=10)

    def worker(event, context):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            pair.wait()  # BrokenBarrierError after 10 s if the Map never runs two at once
            time.sleep(0.05)
        finally:
            with lock:
                active[0] -= 1
        return {"symbol": event["symbol"]}

    values = {
        "WorkerFunctionArn": runner.register_function(LocalFunction("worker", worker)),
        "AggregatorFunctionArn": runner.register_function(LocalFunction("agg", lambda event, context: event)),
        "MapMaxConcurrency": 2,
    }
    machine = runner.create_state_machine(name="m", definition=load_definition(values))["stateMachineArn"]
    symbols = [f"SYM{i}" for i in range(6)]
    payload = {
        "execution": "e1", "symbols": symbols, "start_ms": 1, "end_ms": 2, "include_plan_orders": True,
        "include_simulation": False, "rate_share": 0.5, "account_id": None,
    }  # fmt: skip
    started = runner.start_execution(stateMachineArn=machine, name="e1", input=json.dumps(payload))
    final = runner.wait(started["executionArn"])
    # THEN never more than 2 workers at once, and every symbol reached the aggregator in order
    assert final["status"] == "SUCCEEDED", final
    assert not pair.broken
    assert peak[0] == 2
    assert [r["symbol"] for r in json.loads(final["output"])["results"]] == symbols


def test_unknown_execution_raises_client_error(runner):
    with pytest.raises(ClientError) as info:
        runner.describe_execution(executionArn="arn:aws:states:us-east-1:000000000000:execution:x:nope")
    assert info.value.response["Error"]["Code"] == "ExecutionDoesNotExist"

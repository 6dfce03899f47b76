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
from app.orchestration.embedded import build_runner
from app.orchestration.local_sfn import LocalFunction, LocalStepFunctions
from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common.keys import manifest_key
from lambda_functions.common.map_items import MAX_ERROR_ITEM_BYTES, error_item, exception_item, item_bytes
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.worker import app as worker_app
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.wiring import build_dependencies
from tests.orchestration.fakes import PREFIX


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
        "include_simulation": False, "rate_share": 0.5, "account_id": None, "deadline_ms": None, "resume": False, "scope": None, "include_fills": False, "account_mode": None,
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


# --- States.DataLimitExceeded cannot be caught: every Map item stays small, whatever its worker did ---------

EXECUTION = "20250101T000000Z-abcdef12-abcdef"
QUOTA_BYTES = 256 * 1024  # Step Functions' state size limit, enforced by moto's interpreter


def thousand_symbols() -> list[str]:
    return [f"SYMBOL{i:04d}LONGNAMEUSDT" for i in range(1000)]  # 20 characters each


def run_the_real_definition(worker, tmp_path, symbols, **input_changes):
    """step_functions/init.json with `worker` and the real aggregator (local store); returns the final
    description, the aggregator's event and the store."""
    store = LocalResultsStore(tmp_path / "results", "http://test/results")
    settings = AggregatorSettings(_env_file=None, results_prefix=PREFIX)
    real_aggregator = AggregatorFunction(Dependencies(store=store, settings=settings))
    seen: list[dict] = []

    def aggregator(event, context):
        if event.get("mode") != "failure":
            seen.append(event)
        return real_aggregator(event, context)

    runner, machine = build_runner(worker, aggregator, map_max_concurrency=40)
    payload = {
        "execution": EXECUTION, "symbols": symbols, "start_ms": 1, "end_ms": 2, "include_plan_orders": True,
        "include_simulation": False, "rate_share": 1 / 40, "account_id": None, "deadline_ms": None, "resume": False, "scope": None, "include_fills": False, "account_mode": None,
        **input_changes,
    }  # fmt: skip
    try:
        started = runner.start_execution(stateMachineArn=machine, name=EXECUTION, input=json.dumps(payload))
        final = runner.wait(started["executionArn"], timeout_s=240)
    finally:
        runner.close()
    return final, (seen[0] if seen else None), store


def test_a_thousand_workers_crashing_with_huge_causes_still_aggregate(tmp_path):
    # GIVEN 1,000 symbols whose workers all die outside the handler's control with a 100 KB message (a stack
    # trace, a runtime crash): every one reaches the Map's Catch with a Cause of ~100 KB
    def crashing_worker(event, context):
        raise MemoryError("traceback line\n" * 7_000)

    # WHEN the real definition runs them (moto's interpreter enforces the 256 KiB quota)
    final, aggregated, store = run_the_real_definition(crashing_worker, tmp_path, thousand_symbols())
    # THEN the execution succeeds and the aggregator reports every symbol as failed, by error name
    assert final["status"] == "SUCCEEDED", (final.get("error"), final.get("cause"))
    symbols = thousand_symbols()
    results = aggregated["results"]
    assert results == [{"symbol": s, "error": {"Error": "MemoryError"}} for s in symbols]  # no Cause at all
    assert item_bytes(aggregated) < QUOTA_BYTES // 2
    summary = json.loads(final["output"])["summary"]
    assert summary["total_symbols_failed"] == 1000
    assert summary["error_summary"] == {"worker_error": {"count": 1000}}
    assert set(summary["failed_symbols"]["reasons"].values()) == {"MemoryError"}
    assert store.get_json(manifest_key(PREFIX, EXECUTION))["status"] == "SUCCEEDED"


def test_a_thousand_worker_errors_with_huge_messages_stay_bounded_with_their_cause(tmp_path, monkeypatch):
    # GIVEN the real worker handler, whose dependencies fail to build with a 100 KB message on every item
    # (say a Secrets Manager error): the handler reports it as an error item instead of raising
    def unavailable():
        raise ValueError("could not read the Bitget secret: " + "AccessDenied " * 8_000)

    monkeypatch.setattr(worker_app, "default_function", unavailable)
    symbols = thousand_symbols()
    # WHEN the real definition runs 1,000 of them
    final, aggregated, _ = run_the_real_definition(worker_app.handler, tmp_path, symbols)
    # THEN it succeeds; each item is at most MAX_ERROR_ITEM_BYTES with the start of its Cause, and the Map
    # output (with the rest of the state) is under the quota
    assert final["status"] == "SUCCEEDED", (final.get("error"), final.get("cause"))
    results = aggregated["results"]
    assert [item["symbol"] for item in results] == symbols
    for item in results:
        assert item_bytes(item) <= MAX_ERROR_ITEM_BYTES
        assert item["error"]["Error"] == "ValueError"
        assert item["error"]["Cause"].startswith("could not read the Bitget secret: AccessDenied")
        assert item["error"]["Cause"].endswith("...")
    assert item_bytes(aggregated) < QUOTA_BYTES
    summary = json.loads(final["output"])["summary"]
    assert summary["total_symbols_failed"] == 1000
    entry = summary["incomplete_streams"][0]
    assert (entry["symbol"], entry["reason"]) == (symbols[0], "worker_error")
    assert entry["error_message"].startswith("ValueError: could not read the Bitget secret: AccessDenied")


def test_malformed_worker_events_are_reported_per_symbol(tmp_path):
    # GIVEN an execution input whose window the worker refuses (a coordinator bypassed or out of date)
    symbols = ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    worker = WorkerFunction(build_dependencies(WorkerSettings(_env_file=None), LocalResultsStore(tmp_path)))
    final, aggregated, _ = run_the_real_definition(worker, tmp_path, symbols, start_ms="yesterday")
    # THEN every symbol is reported failed with the worker's own words, and the execution still succeeds
    assert final["status"] == "SUCCEEDED", (final.get("error"), final.get("cause"))
    assert [item["symbol"] for item in aggregated["results"]] == symbols
    for item in aggregated["results"]:
        assert item["error"] == {
            "Error": "ValueError",
            "Cause": "'start_ms' must be a non-negative integer of milliseconds, got 'yesterday'",
        }
    summary = json.loads(final["output"])["summary"]
    assert summary["failed_symbols"]["symbols"] == symbols


@pytest.mark.parametrize(
    ("symbol", "error", "cause"),
    [
        ("BTCUSDT", "ValueError", "x" * 100_000),
        ("\u00e9" * 500, "E" * 1_000, "\u4e2d" * 10_000),  # non-ASCII: 6 bytes each as moto counts them
        ("BTCUSDT", "RuntimeError", '"quoted" \\ and \x00 control ' * 5_000),
        ("BTCUSDT", "Error", ""),
    ],
)
def test_an_error_item_never_exceeds_its_bound(symbol, error, cause):
    item = error_item(symbol, error, cause)
    assert item_bytes(item) <= MAX_ERROR_ITEM_BYTES
    assert len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()) <= MAX_ERROR_ITEM_BYTES
    assert item["symbol"] and item["error"]["Error"]
    assert cause.startswith(item["error"]["Cause"].removesuffix("...").split(" ")[0])


def test_the_error_item_keeps_short_causes_whole_on_one_line():
    item = exception_item({"symbol": " BTCUSDT "}, LookupError("a\n  b"))
    assert item == {"symbol": "BTCUSDT", "error": {"Error": "LookupError", "Cause": "a b"}}
    assert exception_item(None, ValueError("bad"))["symbol"] == "?"
    assert exception_item({"symbol": 5}, ValueError("bad"))["symbol"] == "5"

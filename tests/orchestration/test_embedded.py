"""EmbeddedOrchestrator end to end with fake worker/aggregator handlers and a local results store."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from app.orchestration.base import (
    AccountRejectedError,
    ExecutionNotFoundError,
    ExtractionOptions,
    InvalidRequestError,
)
from app.orchestration.embedded import INTERRUPTED_CAUSE, EmbeddedOrchestrator, build_runner
from lambda_functions.common.bitget import Credentials, RetryPolicy
from lambda_functions.common.keys import manifest_key, result_key
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.service import OptionDefaults
from lambda_functions.coordinator.validation import DAY_MS
from tests.orchestration.fakes import PREFIX, FakeAggregator, FakeWorker, fake_orders

DEAD_OWNER = f"{socket.gethostname()}:{os.getpid()}:gone"  # this process, an orchestrator no longer alive


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def store(tmp_path):
    return LocalResultsStore(tmp_path / "results", "http://test/results")


def make_orchestrator(store, worker=None, aggregator=None, concurrency=5):
    runner, arn = build_runner(
        worker or FakeWorker(store), aggregator or FakeAggregator(store), map_max_concurrency=concurrency
    )
    return EmbeddedOrchestrator(runner, arn, store, results_prefix=PREFIX, map_max_concurrency=concurrency)


def wait_done(orchestrator, arn):
    orchestrator.runner.wait(arn, timeout_s=60)
    return orchestrator.describe(arn)


def test_start_runs_every_symbol_and_reports_success(store):
    orchestrator = make_orchestrator(store)
    start_ms, end_ms = now_ms() - 10 * DAY_MS, now_ms() - DAY_MS
    started = orchestrator.start(["btcusdt", "ETHUSDT", "BTCUSDT_UMCBL"], start_ms, end_ms)
    assert started.symbols == ["BTCUSDT", "ETHUSDT"]
    assert (started.start_ms, started.end_ms) == (start_ms, end_ms)

    state = wait_done(orchestrator, started.execution_arn)

    assert state.status == "SUCCEEDED"
    assert state.output["summary"]["total_orders"] == 6
    assert state.progress == {"symbols_done": 2, "symbols_total": 2}
    merged = store.get_json(result_key(PREFIX, started.execution_name))["orders"]
    assert merged == sorted(
        fake_orders("BTCUSDT") + fake_orders("ETHUSDT"), key=lambda o: int(o["cTime"]), reverse=True
    )
    manifest = store.get_json(manifest_key(PREFIX, started.execution_name))
    assert manifest["status"] == "SUCCEEDED"
    assert manifest["execution_arn"] == started.execution_arn


def test_a_failing_symbol_becomes_an_error_result_and_the_rest_succeed(store):
    orchestrator = make_orchestrator(store)
    started = orchestrator.start(["BTCUSDT", "BADCOIN"], None, None)
    state = wait_done(orchestrator, started.execution_arn)
    assert state.status == "SUCCEEDED"
    assert state.output["summary"]["errors"] == {"BADCOIN": "SymbolNotFoundError"}
    assert state.output["summary"]["total_orders"] == 3


def test_aggregator_failure_records_a_failed_manifest_and_fails_the_execution(store):
    aggregator = FakeAggregator(store, fail_with=RuntimeError("disk full"))
    orchestrator = make_orchestrator(store, aggregator=aggregator)
    started = orchestrator.start(["BTCUSDT"], None, None)
    state = wait_done(orchestrator, started.execution_arn)
    assert state.status == "FAILED"
    assert state.error == "RuntimeError"
    assert "disk full" in state.cause
    (failure_event,) = aggregator.failure_events
    assert failure_event["mode"] == "failure"
    assert failure_event["execution"] == started.execution_name
    assert failure_event["error"]["Error"] == "RuntimeError"
    assert store.get_json(manifest_key(PREFIX, started.execution_name))["status"] == "FAILED"


def test_invalid_request_raises_and_writes_nothing(store):
    orchestrator = make_orchestrator(store)
    with pytest.raises(InvalidRequestError, match="start_ms"):
        orchestrator.start(["BTCUSDT"], 5, 5)
    assert store.list_keys("") == []


def test_unknown_execution_is_not_found(store):
    orchestrator = make_orchestrator(store)
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.describe("arn:aws:states:us-east-1:000000000000:execution:bitget-orders:nope")


def test_running_execution_reports_progress(store):
    gate = threading.Event()
    orchestrator = make_orchestrator(store, worker=FakeWorker(store, gate=gate))
    started = orchestrator.start(["BTCUSDT", "ETHUSDT"], None, None)
    try:
        state = orchestrator.describe(started.execution_arn)
        assert state.status == "RUNNING"
        assert state.progress == {"symbols_done": 0, "symbols_total": 2}
    finally:
        gate.set()
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"


def test_execution_interrupted_by_a_restart_is_reported_failed(store):
    # GIVEN an execution still running in the "old" service process
    gate = threading.Event()
    before = make_orchestrator(store, worker=FakeWorker(store, gate=gate))
    started = before.start(["BTCUSDT"], None, None)
    try:
        # WHEN the old orchestrator is gone and a restarted one (same store) is asked about it
        before.close()
        after = make_orchestrator(store)
        state = after.describe(started.execution_arn)
        # THEN it is FAILED with the restart as the reason, and the manifest says so too
        assert state.status == "FAILED"
        assert state.cause == INTERRUPTED_CAUSE
        manifest = store.get_json(manifest_key(PREFIX, started.execution_name))
        assert (manifest["status"], manifest["cause"]) == ("FAILED", INTERRUPTED_CAUSE)
    finally:
        gate.set()
        before.runner.wait(started.execution_arn)


def test_manifest_of_another_host_is_left_running(store):
    orchestrator = make_orchestrator(store)
    name = "20250101T000000Z-abcdef12-abcdef"
    manifest = {"execution": name, "status": "RUNNING", "symbols": ["BTCUSDT"], "owner": "elsewhere:1:abc"}
    store.put_json(manifest_key(PREFIX, name), manifest)
    state = orchestrator.describe(f"arn:aws:states:us-east-1:000000000000:execution:bitget-orders:{name}")
    assert state.status == "RUNNING"
    assert json.loads(json.dumps(store.get_json(manifest_key(PREFIX, name))))["status"] == "RUNNING"


def test_an_owner_whose_pid_now_belongs_to_a_later_process_is_gone():
    from app.orchestration.embedded import _owner_is_gone, new_owner
    from app.services.hydration.claim_owner import process_start

    parent = os.getppid()  # alive, and not this process
    host = socket.gethostname()
    me = new_owner()
    assert me.rsplit(".", 1)[1] == process_start(os.getpid())  # the owner records its start time
    assert not _owner_is_gone(f"{host}:{parent}:abc.{process_start(parent)}", me)  # that process itself
    assert _owner_is_gone(f"{host}:{parent}:abc.1", me)  # the pid, reused by a later process
    assert not _owner_is_gone(f"{host}:{parent}:abc", me)  # recorded without a start: cannot tell


def test_two_live_orchestrators_of_one_process_leave_each_others_executions_running(store):
    # GIVEN two orchestrators alive in one process, the first running an execution
    gate = threading.Event()
    first = make_orchestrator(store, worker=FakeWorker(store, gate=gate))
    started = first.start(["BTCUSDT"], None, None)
    try:
        # WHEN the second is asked about it
        state = make_orchestrator(store).describe(started.execution_arn)
        # THEN it is still RUNNING, in the answer and in the manifest
        assert state.status == "RUNNING"
        assert store.get_json(manifest_key(PREFIX, started.execution_name))["status"] == "RUNNING"
    finally:
        gate.set()
    assert wait_done(first, started.execution_arn).status == "SUCCEEDED"


@pytest.mark.parametrize(
    "foreign",
    [
        "arn:aws:states:us-east-1:999999999999:execution:bitget-orders:{name}",
        "arn:aws:states:eu-west-1:000000000000:execution:bitget-orders:{name}",
        "arn:aws:states:us-east-1:000000000000:execution:other-machine:{name}",
        "arn:aws:states:us-east-1:999999999999:express:bitget-orders:{name}:run-1",
    ],
)
def test_a_same_name_foreign_arn_is_not_found_and_writes_nothing(store, foreign):
    # GIVEN a RUNNING manifest left by a process that no longer exists (describe would mark it FAILED)
    orchestrator = make_orchestrator(store)
    name = "20250101T000000Z-abcdef12-abcdef"
    manifest = {"execution": name, "status": "RUNNING", "symbols": ["BTCUSDT"], "owner": DEAD_OWNER}
    store.put_json(manifest_key(PREFIX, name), manifest)
    # WHEN an ARN with that name but another account, region or machine is described
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.describe(foreign.format(name=name))
    # THEN it is unknown and the manifest is unchanged
    assert store.get_json(manifest_key(PREFIX, name)) == manifest


@pytest.mark.slow
def test_500_symbols_fit_in_the_map_output(store):
    # GIVEN MAX_SYMBOLS symbols and workers returning full-size summaries
    orchestrator = make_orchestrator(store, concurrency=40)
    symbols = [f"SYM{i:04d}USDT" for i in range(500)]
    started = orchestrator.start(symbols, None, None)
    # WHEN the whole Map output reaches the aggregator
    state = wait_done(orchestrator, started.execution_arn)
    # THEN it stayed under Step Functions' 256 KiB limit (the runner enforces it, see the next test)
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    assert state.output["summary"]["total_symbols_processed"] == 500
    assert state.output["summary"]["total_orders"] == 1500


def test_oversized_map_output_fails_the_execution_with_a_recorded_reason(store):
    # The check above only means something if the runner enforces the quota: 300 x 1 KiB summaries exceed it.
    aggregator = FakeAggregator(store)
    orchestrator = make_orchestrator(
        store, worker=lambda event, context: {"pad": "x" * 1024}, aggregator=aggregator
    )
    started = orchestrator.start([f"SYM{i:03d}" for i in range(300)], None, None)
    state = wait_done(orchestrator, started.execution_arn)
    assert state.status == "FAILED"
    assert state.error == "States.DataLimitExceeded"
    # States.DataLimitExceeded is terminal (no Catch matches it, as on AWS): describe() records the failure
    assert aggregator.failure_events == []
    manifest = store.get_json(manifest_key(PREFIX, started.execution_name))
    assert (manifest["status"], manifest["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_options_clamped_window_and_rate_share_reach_the_worker_events(store):
    # GIVEN the embedded runner (MaxConcurrency 2) with a worker that records the events the Map hands it
    worker = FakeWorker(store)
    orchestrator = make_orchestrator(store, worker=worker, concurrency=2)
    now = now_ms()
    # WHEN three symbols are asked with both options set and a window from a year ago to next week
    options = ExtractionOptions(include_plan_orders=False, include_simulation=True)
    started = orchestrator.start(
        ["BTCUSDT", "ETHUSDT", "XRPUSDT"], now - 365 * DAY_MS, now + 7 * DAY_MS, options
    )
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"
    # THEN the window used is [now - 90 days, now], echoed with what was asked and why it changed
    later = now_ms()
    assert now <= started.end_ms <= later
    assert started.start_ms == started.end_ms - 90 * DAY_MS
    assert (started.requested_start_ms, started.requested_end_ms) == (now - 365 * DAY_MS, now + 7 * DAY_MS)
    assert (
        started.window_clamped and "retention edge" in started.window_note and "future" in started.window_note
    )
    # AND every worker event carries that window, the options and its share (1 / 2 workers at once)
    assert sorted(event["symbol"] for event in worker.events) == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    for event in worker.events:
        assert (event["start_ms"], event["end_ms"]) == (started.start_ms, started.end_ms)
        assert (event["include_plan_orders"], event["include_simulation"]) == (False, True)
        assert event["rate_share"] == 0.5
        assert set(event) == {
            "symbol", "execution", "start_ms", "end_ms", "include_plan_orders", "include_simulation", "rate_share",
            "deadline_ms", "resume", "scope", "include_fills", "account_mode",
        }  # fmt: skip
        assert (event["deadline_ms"], event["resume"]) == (None, False)  # no time limit; a first run


def test_absent_options_are_the_service_defaults_in_every_worker_event(store):
    worker = FakeWorker(store)
    runner, arn = build_runner(worker, FakeAggregator(store), map_max_concurrency=5)
    defaults = OptionDefaults(include_plan_orders=False, include_simulation=False)
    orchestrator = EmbeddedOrchestrator(runner, arn, store, results_prefix=PREFIX, defaults=defaults)
    started = orchestrator.start(["BTCUSDT"], None, None, ExtractionOptions(include_simulation=True))
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"
    (event,) = worker.events
    assert (event["include_plan_orders"], event["include_simulation"], event["rate_share"]) == (
        False,
        True,
        1.0,
    )
    assert (started.include_plan_orders, started.include_simulation) == (False, True)


def test_a_non_boolean_option_is_refused_and_starts_nothing(store):
    orchestrator = make_orchestrator(store)
    not_a_boolean: Any = "yes"  # what a JSON client could send: the orchestrator must refuse it
    with pytest.raises(InvalidRequestError, match="'include_plan_orders' must be true, false or null"):
        orchestrator.start(["BTCUSDT"], None, None, ExtractionOptions(include_plan_orders=not_a_boolean))
    assert store.list_keys("") == []


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("options", "passphrase", "status", "problem"),
    [
        ({}, "wrong-passphrase", 401, "credentials"),
        ({"deny": "permission"}, "sandbox-pass", 403, "permission_missing"),
    ],
)
def test_a_refused_account_starts_no_execution(
    store, make_sandbox, monkeypatch, options, passphrase, status, problem
):
    # GIVEN an embedded orchestrator whose account check Bitget (the sandbox) refuses
    server = make_sandbox("demo", seed=9, **options)
    credentials = Credentials("sandbox-key", "sandbox-secret", passphrase)
    worker = FakeWorker(store)
    runner, arn = build_runner(worker, FakeAggregator(store))
    checker = AccountChecker(server.base_url, credentials, retry=RetryPolicy(retries=0))
    orchestrator = EmbeddedOrchestrator(runner, arn, store, results_prefix=PREFIX, account_checker=checker)
    starts: list[dict] = []
    monkeypatch.setattr(runner, "start_execution", lambda **kwargs: starts.append(kwargs))
    # WHEN an extraction is asked
    with pytest.raises(AccountRejectedError) as raised:
        orchestrator.start(["BTCUSDT"], None, None)
    # THEN it names the problem with Bitget's code, and nothing was started or written
    assert (raised.value.status_code, raised.value.problem) == (status, problem)
    assert raised.value.bitget_code is not None and raised.value.bitget_code in str(raised.value)
    assert (starts, store.list_keys(""), worker.events) == ([], [], [])


@pytest.mark.sandbox
def test_an_accepted_account_starts_with_its_user_id(store, sandbox):
    checker = AccountChecker(sandbox.base_url, Credentials("sandbox-key", "sandbox-secret", "sandbox-pass"))
    runner, arn = build_runner(FakeWorker(store), FakeAggregator(store))
    orchestrator = EmbeddedOrchestrator(runner, arn, store, results_prefix=PREFIX, account_checker=checker)
    started = orchestrator.start(["BTCUSDT"], None, None)
    assert (started.account_check, started.account_id) == ("ok", sandbox.app.account.user_id)
    live = runner.describe_execution(executionArn=started.execution_arn)
    assert json.loads(live["input"])["account_id"] == sandbox.app.account.user_id
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"


def test_a_finished_execution_whose_results_were_deleted_gets_no_manifest_back(store):
    # GIVEN a finished execution whose results were deleted (DELETE /orders/{arn}, or retention)
    orchestrator = make_orchestrator(store)
    started = orchestrator.start(["BTCUSDT"], None, None)
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"
    store.delete(store.list_keys(f"{PREFIX}{started.execution_name}/"))
    # WHEN it is described: the runner still remembers it
    state = orchestrator.describe(started.execution_arn)
    # THEN its status is reported, but nothing is written back to the results store
    assert state.status == "SUCCEEDED"
    assert store.list_keys(f"{PREFIX}{started.execution_name}/") == []


# ---- resume, cancel, continuations, auto-resume (issue 9 §1) ------------------------------------------------
def with_resume(orchestrator):
    """Records the resume actions the orchestrator asks of its coordinator (in-process, typed)."""
    real = orchestrator.coordinator.resume
    calls = []

    def resume(name, reopen_failed):
        calls.append({"execution": name, "reopen_failed": reopen_failed})
        return real(name, reopen_failed)

    orchestrator.coordinator.resume = resume
    orchestrator.resume_calls = calls
    return orchestrator


@dataclass
class DeadlineOnce(FakeAggregator):
    """The first run stops at its deadline: the manifest stays RUNNING with continuation_needed."""

    runs: int = 0

    def __call__(self, event, context):
        self.runs += 1
        if self.runs == 1 and event.get("mode") != "failure":
            key = manifest_key(self.prefix, event["execution"])
            self.store.put_json(key, self.store.get_json(key) | {"continuation_needed": True})
            return {"continuation_needed": True}
        return super().__call__(event, context)


@dataclass
class AbortingAggregator(FakeAggregator):
    """Records ABORTED with what exists (as the aggregator does when a worker says cancelled)."""

    def __call__(self, event, context):
        answer = super().__call__(event, context)
        key = manifest_key(self.prefix, event["execution"])
        self.store.put_json(key, self.store.get_json(key) | {"status": "ABORTED"})
        return answer


def wait_status(orchestrator, arn, status, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        state = orchestrator.describe(arn)
        if state.status == status or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def test_resume_starts_a_new_run_and_describe_follows_it_under_the_original_arn(store):
    orchestrator = with_resume(make_orchestrator(store))
    started = orchestrator.start(["BTCUSDT"], None, None)
    assert wait_done(orchestrator, started.execution_arn).status == "SUCCEEDED"
    resumed = orchestrator.resume(started.execution_arn, reopen_failed=True)
    assert resumed.execution_arn == started.execution_arn
    assert resumed.run_arn.endswith(f":{started.execution_name}-r1")
    assert orchestrator.resume_calls[-1]["reopen_failed"] is True
    state = wait_status(orchestrator, started.execution_arn, "SUCCEEDED")
    assert (state.execution_arn, state.status, state.run_arn, state.runs) == (
        started.execution_arn,
        "SUCCEEDED",
        resumed.run_arn,
        2,
    )


def test_a_continuation_needed_manifest_reads_running_and_is_continued_by_the_orchestrator(store):
    # GIVEN an execution whose first run stops at its deadline
    aggregator = DeadlineOnce(store)
    orchestrator = with_resume(make_orchestrator(store, aggregator=aggregator))
    finished = threading.Event()
    started = orchestrator.start(["BTCUSDT", "ETHUSDT"], None, None)
    orchestrator.when_finished(started.execution_arn, finished.set)
    # WHEN the runs go on (nobody polls: the follow-up continues it)
    assert finished.wait(30)
    # THEN it was continued once, with reopen_failed false, and ended SUCCEEDED under the original ARN
    assert [c["reopen_failed"] for c in orchestrator.resume_calls] == [False]
    state = orchestrator.describe(started.execution_arn)
    assert (state.status, state.runs, state.continuation_needed) == ("SUCCEEDED", 2, False)
    manifest = store.get_json(manifest_key(PREFIX, started.execution_name))
    assert manifest["execution_arn"] == started.execution_arn
    assert len(manifest["runs"]) == 1


def test_describe_continues_a_waiting_execution_and_never_reports_it_ended(store):
    orchestrator = with_resume(make_orchestrator(store, aggregator=DeadlineOnce(store)))
    started = orchestrator.start(["BTCUSDT"], None, None)
    orchestrator.runner.wait(started.execution_arn, timeout_s=30)  # the first run ended at its deadline
    assert orchestrator.describe(started.execution_arn).status == "RUNNING"  # and that describe continued it
    assert wait_status(orchestrator, started.execution_arn, "SUCCEEDED").status == "SUCCEEDED"
    assert len(orchestrator.resume_calls) == 1


def test_cancel_writes_cancel_json_and_an_aborted_manifest_reads_aborted(store):
    from lambda_functions.common.keys import cancel_key

    gate = threading.Event()
    orchestrator = make_orchestrator(
        store, worker=FakeWorker(store, gate=gate), aggregator=AbortingAggregator(store)
    )
    started = orchestrator.start(["BTCUSDT"], None, None)
    orchestrator.cancel(started.execution_arn)
    assert "requested_at" in store.get_json(cancel_key(PREFIX, started.execution_name))
    gate.set()
    state = wait_done(orchestrator, started.execution_arn)
    assert state.status == "ABORTED"
    assert state.output is not None and state.output["summary"]["total_orders"] == 3


def test_cancel_while_waiting_for_a_continuation_runs_it_with_the_cancel_in_force(store):
    # (its workers then stop at once and the aggregator records ABORTED with what was fetched: the real
    # handlers do that in tests/api/test_durable.py)
    from lambda_functions.common.keys import cancel_key

    orchestrator = with_resume(make_orchestrator(store, aggregator=DeadlineOnce(store)))
    started = orchestrator.start(["BTCUSDT"], None, None)
    orchestrator.runner.wait(started.execution_arn, timeout_s=30)
    orchestrator.cancel(started.execution_arn)
    assert orchestrator.resume_calls == [{"execution": started.execution_name, "reopen_failed": False}]
    assert store.exists(cancel_key(PREFIX, started.execution_name))  # a continuation keeps the request


def test_cancel_and_resume_of_an_unknown_execution_are_not_found(store):
    orchestrator = with_resume(make_orchestrator(store))
    arn = "arn:aws:states:us-east-1:000000000000:execution:bitget-orders:nope"
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.cancel(arn)
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.resume(arn, reopen_failed=True)


def test_an_interrupted_execution_is_resumed_with_auto_resume(store, caplog):
    # GIVEN an execution left RUNNING by an orchestrator that is gone
    gate = threading.Event()
    before = make_orchestrator(store, worker=FakeWorker(store, gate=gate))
    started = before.start(["BTCUSDT"], None, None)
    before.close()
    try:
        runner, machine = build_runner(FakeWorker(store), FakeAggregator(store))
        after = with_resume(
            EmbeddedOrchestrator(runner, machine, store, results_prefix=PREFIX, auto_resume=True)
        )
        # WHEN the new one is asked about it
        with caplog.at_level("WARNING"):
            state = after.describe(started.execution_arn)
        # THEN it is resumed (logged, naming it), not failed, and ends SUCCEEDED under the same ARN
        assert state.status == "RUNNING"
        assert f"resuming execution {started.execution_name}: its process is gone" in caplog.text
        assert [c["reopen_failed"] for c in after.resume_calls] == [False]
        assert wait_status(after, started.execution_arn, "SUCCEEDED").status == "SUCCEEDED"
    finally:
        gate.set()

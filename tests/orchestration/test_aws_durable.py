"""Durable executions on the AWS path (moto runs the ASL; boto3 Lambda invokes reach the real handlers): an
EXPRESS execution that reaches its deadline is continued in new runs, and a STANDARD run stopped in the middle
is resumed; both end with exactly the sandbox's truth under the user's original ARN."""

from __future__ import annotations

import time

import boto3
import pytest
import requests
from moto.awslambda_simple.models import LambdaSimpleBackend

from app.orchestration.aws import StateMachineType
from lambda_functions.common.keys import checkpoint_key
from lambda_functions.common.streams import newest_first_key
from lambda_functions.coordinator import app as coordinator_app
from tests.orchestration.test_aws import REGION, aws, deploy, dispatcher
from tests.orchestration.test_end_to_end import PREFIX, install_worker, real_aggregator

pytestmark = [pytest.mark.aws, pytest.mark.sandbox, pytest.mark.slow]

__all__ = ["aws"]  # the moto fixture, shared with test_aws.py

SYMBOL = "BTCUSDT"
PROFILE = {
    "name": "aws-durable",
    "days": 30,
    "symbols": [{"symbol": SYMBOL, "orders": {"spot_normal": 12_000, "USDT-FUTURES": 8_000}}],
}


@pytest.fixture
def stack(aws, monkeypatch, make_sandbox):
    """deploy(machine_type, worker_s, **coordinator_env) -> (orchestrator, store), with the real handlers."""
    server = make_sandbox(PROFILE, seed=3, enforce_rate_limits=False)

    def build(machine_type: StateMachineType, worker_s: float = 60.0, **coordinator_env: str):
        for name, value in coordinator_env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("STATE_MACHINE_TYPE", machine_type)
        orchestrator, _, store = deploy(aws, monkeypatch, machine_type)
        handlers = {
            "bitget-coordinator": coordinator_app.handler,
            "bitget-worker": install_worker(server, store),
            "bitget-aggregator": real_aggregator(store),
        }
        monkeypatch.setattr(LambdaSimpleBackend, "invoke", dispatcher(handlers, {"bitget-worker": worker_s}))
        return orchestrator, store

    return server, build


def follow(orchestrator, arn: str, timeout_s: float = 180.0):
    """Poll as the API's watcher does: continue the execution whenever its run stopped at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = orchestrator.describe(arn)
        if state.continuation_needed:
            orchestrator.continue_if_needed(arn)
        elif state.status != "RUNNING":
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.1)


def assert_the_truth(server, started, state) -> None:
    document = requests.get(state.output["s3_data_url"], timeout=30).json()
    truth = sorted(server.truth(SYMBOL, started.start_ms, started.end_ms), key=newest_first_key, reverse=True)
    assert len(truth) == 20_000
    assert [(o["stream"], o["orderId"]) for o in document["orders"]] == [
        (o["stream"], o["orderId"]) for o in truth
    ]
    assert document["execution_arn"] == started.execution_arn
    assert state.output["summary"]["complete"] is True


def test_an_express_execution_at_its_deadline_is_continued_under_the_same_arn(stack):
    server, build = stack
    # GIVEN EXPRESS executions whose limit is 3 seconds (5 minutes on AWS) and a symbol that needs more
    orchestrator, _ = build("EXPRESS", EXECUTION_TIME_LIMIT_S="3")
    # 250 ms answers: its ~200 pages on 6 + 4 threads take about 5 s whatever the machine's speed (without it,
    # a fast machine finished in one 3-second run and the test proved nothing)
    server.set_faults(latency_ms=250)
    started = orchestrator.start([SYMBOL], None, None)
    # WHEN its runs stop at their deadline and the watcher continues them
    state = follow(orchestrator, started.execution_arn)
    # THEN one execution under the original ARN took several runs and holds exactly the truth
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    assert state.execution_arn == started.execution_arn
    assert state.runs >= 2
    assert_the_truth(server, started, state)


def test_a_stopped_standard_run_is_resumed_from_its_checkpoints(stack):
    server, build = stack
    # GIVEN a STANDARD execution whose workers have 1 second per invocation (the Map loops them), paging
    # with 40 ms of latency so that the stop comes well before the end
    orchestrator, store = build("STANDARD", worker_s=1.0)
    server.set_faults(latency_ms=40)
    started = orchestrator.start([SYMBOL], None, None)
    key = checkpoint_key(PREFIX, started.execution_name, SYMBOL)
    deadline = time.monotonic() + 60
    while not (store.exists(key) and store.get_json(key)["invocations"] >= 1):
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)
    # WHEN its run is stopped in the middle (as StopExecution, a Lambda timeout or exhausted retries would)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.stop_execution(executionArn=started.execution_arn)
    # (AWS says ABORTED; moto's interpreter fails the stopped Map instead, and the Catch records FAILED)
    assert follow(orchestrator, started.execution_arn).status in ("ABORTED", "FAILED")
    assert not store.get_json(key)["finished"]
    time.sleep(1.5)  # the invocation in flight ends at its 1-second budget
    server.set_faults(latency_ms=0)
    # AND the user resumes it
    resumed = orchestrator.resume(started.execution_arn, reopen_failed=True)
    # THEN the next run goes on from the checkpoints and ends with exactly the truth, under the same ARN
    state = follow(orchestrator, started.execution_arn)
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    assert (state.runs, state.run_arn) == (2, resumed.run_arn)
    assert_the_truth(server, started, state)

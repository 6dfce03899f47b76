"""The coordinator's resume action and deadlines: one more run of an existing execution, from its manifest."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from lambda_functions.common.keys import cancel_key, manifest_key
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.deadline import deadline_ms, time_limit_s
from lambda_functions.coordinator.service import Coordinator, OptionDefaults
from lambda_functions.coordinator.validation import DAY_MS

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
MACHINE = "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders"
EXECUTIONS = "arn:aws:states:us-east-2:123456789012:execution:bitget-orders"
NAME = "20250301T115000Z-abcdef12-abcdef"


class FakeSfn:
    """start_execution records; describe_execution answers `statuses` (ARN -> status), else does not exist."""

    def __init__(self, statuses=None, fail=False, express=False):
        self.calls = []
        self.statuses = statuses or {}
        self.fail = fail
        self.express = express

    def start_execution(self, **kwargs):
        if self.fail:
            raise RuntimeError("throttled")
        self.calls.append(kwargs)
        if self.express:
            return {"executionArn": f"{MACHINE.replace('stateMachine', 'express')}:{kwargs['name']}:run-id-1"}
        return {"executionArn": f"{EXECUTIONS}:{kwargs['name']}"}

    def describe_execution(self, executionArn):
        if executionArn not in self.statuses:
            error = {"Error": {"Code": "ExecutionDoesNotExist", "Message": "no"}}
            raise ClientError(error, "DescribeExecution")
        return {"executionArn": executionArn, "status": self.statuses[executionArn]}


@pytest.fixture
def store(tmp_path):
    return LocalResultsStore(tmp_path)


def coordinator(store, sfn, clock=lambda: NOW, **kwargs):
    return Coordinator(
        sfn, store, MACHINE, "p/", clock=clock, manifest_extra={"owner": "host:1:me"}, **kwargs
    )


def manifest(store, **changes):
    document = {
        "execution": NAME,
        "execution_arn": f"{EXECUTIONS}:{NAME}",
        "state_machine_arn": MACHINE,
        "status": "SUCCEEDED",
        "symbols": ["BTCUSDT", "ETHUSDT"],
        "start_ms": NOW_MS - 10 * DAY_MS,
        "end_ms": NOW_MS - 5 * DAY_MS,
        "include_plan_orders": True,
        "include_simulation": False,
        "account_id": "u1",
        "started_at": "2025-03-01T11:50:00.000Z",
        "stopped_at": "2025-03-01T11:52:00.000Z",
        "result": {"success": True},
        "error": None,
        "cause": None,
        "owner": "host:0:dead",
    } | changes
    store.put_json(manifest_key("p/", NAME), document)
    return document


def resume(store, sfn, reopen_failed=True, **kwargs):
    event = {"action": "resume", "execution": NAME, "reopen_failed": reopen_failed}
    answer = coordinator(store, sfn, **kwargs).handle(event)
    return answer["statusCode"], json.loads(answer["body"])


def test_resume_starts_the_next_run_with_the_original_request_and_keeps_the_users_arn(store):
    # GIVEN a finished execution and a cancel request left behind
    manifest(store)
    store.put_json(cancel_key("p/", NAME), {"requested_at": "x"})
    sfn = FakeSfn()
    # WHEN it is resumed explicitly (re-open failed shards)
    status, body = resume(store, sfn, time_limit_s=300.0)
    # THEN run 1 starts as NAME-r1 with the manifest's request, a fresh deadline and resume: true
    assert status == 202
    assert body == {
        "executionArn": f"{EXECUTIONS}:{NAME}",
        "run_arn": f"{EXECUTIONS}:{NAME}-r1",
        "execution": NAME,
        "status": "resumed",
        "run": 1,
    }
    (call,) = sfn.calls
    assert (call["stateMachineArn"], call["name"]) == (MACHINE, f"{NAME}-r1")
    assert json.loads(call["input"]) == {
        "execution": NAME,  # the results stay under the execution's own prefix
        "symbols": ["BTCUSDT", "ETHUSDT"],
        "start_ms": NOW_MS - 10 * DAY_MS,
        "end_ms": NOW_MS - 5 * DAY_MS,
        "include_plan_orders": True,
        "include_simulation": False,
        "account_id": "u1",
        "rate_share": 0.5,
        "deadline_ms": NOW_MS + 240_000,  # 300 s less the 60 s reserve for the aggregator
        "resume": True,
        "scope": None,  # a symbol list, not the whole account
        "include_fills": False,  # a manifest from before fills: none
        "account_mode": None,
    }
    # AND the manifest is RUNNING again, same ARN, the run recorded, the owner this process, the cancel withdrawn
    after = store.get_json(manifest_key("p/", NAME))
    assert (after["status"], after["execution_arn"], after["result"], after["owner"]) == (
        "RUNNING",
        f"{EXECUTIONS}:{NAME}",
        None,
        "host:1:me",
    )
    assert after["runs"] == [
        {
            "name": f"{NAME}-r1",
            "run_arn": f"{EXECUTIONS}:{NAME}-r1",
            "started_at": "2025-03-01T12:00:00.000Z",
            "stopped_at": None,
        }
    ]
    assert after["busy_s"] == 120.0  # the first run: 11:50 -> 11:52
    assert not store.exists(cancel_key("p/", NAME))


def test_a_continuation_keeps_a_cancel_request_and_numbers_runs_on(store):
    # GIVEN an execution whose first resumed run stopped at its deadline, and a cancel asked meanwhile
    first = {
        "name": f"{NAME}-r1",
        "run_arn": f"{EXECUTIONS}:{NAME}-r1",
        "started_at": "2025-03-01T11:55:00.000Z",
    }
    manifest(
        store,
        status="RUNNING",
        continuation_needed=True,
        run_stopped_at="2025-03-01T11:59:00.000Z",
        busy_s=100.0,
        runs=[first | {"stopped_at": None}],
    )
    store.put_json(cancel_key("p/", NAME), {"requested_at": "x"})
    sfn = FakeSfn(statuses={f"{EXECUTIONS}:{NAME}-r1": "SUCCEEDED"})
    # WHEN the service continues it
    status, body = resume(store, sfn, reopen_failed=False)
    # THEN run 2 starts without re-opening failed shards and the cancel request stays for its workers
    assert (status, body["run"], body["run_arn"]) == (202, 2, f"{EXECUTIONS}:{NAME}-r2")
    assert json.loads(sfn.calls[0]["input"])["resume"] is False
    assert json.loads(sfn.calls[0]["input"])["deadline_ms"] is None  # no time limit configured
    assert store.exists(cancel_key("p/", NAME))
    after = store.get_json(manifest_key("p/", NAME))
    assert after["continuation_needed"] is False and after["run_stopped_at"] is None
    assert [run["stopped_at"] for run in after["runs"]] == ["2025-03-01T11:59:00.000Z", None]
    assert after["busy_s"] == 340.0  # 100 earlier + run 1's four minutes


def test_resume_refuses_while_the_latest_run_is_going(store):
    manifest(store, status="RUNNING", stopped_at=None)
    sfn = FakeSfn(statuses={f"{EXECUTIONS}:{NAME}": "RUNNING"})
    status, body = resume(store, sfn)
    assert status == 409
    assert "is running" in body["error"]
    assert sfn.calls == []
    assert store.get_json(manifest_key("p/", NAME))["status"] == "RUNNING"
    assert "runs" not in store.get_json(manifest_key("p/", NAME))


def test_a_running_manifest_whose_run_is_gone_is_resumed(store):
    # a restarted embedded service: the runner does not know the run any more
    manifest(store, status="RUNNING", stopped_at=None)
    status, _ = resume(store, FakeSfn())
    assert status == 202


def test_an_express_run_that_may_still_be_going_is_refused_then_allowed_after_its_limit(store):
    manifest(store, status="RUNNING", stopped_at=None, started_at="2025-03-01T11:58:00.000Z")
    status, body = resume(store, FakeSfn(express=True), state_machine_type="EXPRESS")
    assert status == 409
    assert "may still be running" in body["error"]
    later = NOW + dt.timedelta(minutes=6)
    status, body = resume(store, FakeSfn(express=True), state_machine_type="EXPRESS", clock=lambda: later)
    assert status == 202
    # an EXPRESS ARN ends in a run id: the predicted one is corrected once started
    runs = store.get_json(manifest_key("p/", NAME))["runs"]
    assert runs[-1]["run_arn"] == f"{MACHINE.replace('stateMachine', 'express')}:{NAME}-r1:run-id-1"


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        ({"action": "resume", "execution": "nope"}, 404, "no execution named nope"),
        ({"action": "resume", "execution": "a/b"}, 400, "'execution' must be an execution name"),
        ({"action": "resume"}, 400, "'execution' must be an execution name"),
        ({"action": "resume", "execution": NAME, "reopen_failed": "yes"}, 400, "'reopen_failed' must be"),
    ],
)
def test_bad_resume_events_are_refused_naming_the_problem(store, event, status, message):
    manifest(store)
    before = store.get_json(manifest_key("p/", NAME))
    sfn = FakeSfn()
    answer = coordinator(store, sfn).handle(event)
    assert answer["statusCode"] == status
    assert message in json.loads(answer["body"])["error"]
    assert sfn.calls == []
    assert store.get_json(manifest_key("p/", NAME)) == before


def test_a_function_url_request_cannot_resume(store):
    # the (possibly public) Function URL takes extraction requests only
    manifest(store)
    event = {"requestContext": {}, "body": json.dumps({"action": "resume", "execution": NAME})}
    answer = coordinator(store, FakeSfn()).handle(event)
    assert answer["statusCode"] == 400
    assert store.get_json(manifest_key("p/", NAME))["status"] == "SUCCEEDED"


def test_a_refused_start_leaves_the_execution_as_it_was(store):
    before = manifest(store)
    store.put_json(cancel_key("p/", NAME), {"requested_at": "x"})
    status, body = resume(store, FakeSfn(fail=True))
    assert status == 502
    assert "could not start the state machine" in body["error"]
    assert store.get_json(manifest_key("p/", NAME)) == before
    assert store.exists(cancel_key("p/", NAME))  # the cancel request stands


def test_an_express_start_hands_every_worker_the_deadline(store):
    sfn = FakeSfn()
    limit = time_limit_s("EXPRESS", None)
    answer = Coordinator(
        sfn, store, MACHINE, "p/", clock=lambda: NOW, time_limit_s=limit, defaults=OptionDefaults()
    ).handle({"symbols": ["BTCUSDT"], "start_ms": NOW_MS - DAY_MS, "end_ms": NOW_MS - 1})
    assert answer["statusCode"] == 202
    assert json.loads(sfn.calls[0]["input"])["deadline_ms"] == NOW_MS + 240_000


def test_deadlines():
    assert time_limit_s("EXPRESS", None) == 300.0
    assert time_limit_s("STANDARD", None) is None
    assert time_limit_s("STANDARD", 20.0) == 20.0
    assert deadline_ms(NOW, None, 60.0) is None
    assert deadline_ms(NOW, 8.0, 60.0) == NOW_MS + 6_000  # the reserve is at most a quarter of a short limit


def test_a_describe_failure_other_than_does_not_exist_refuses_rather_than_guess(store):
    class ThrottledSfn(FakeSfn):
        def describe_execution(self, executionArn):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Describe")

    manifest(store, status="RUNNING", stopped_at=None)
    sfn = ThrottledSfn()
    status, body = resume(store, sfn)
    assert status == 502
    assert "ThrottlingException" in body["error"]
    assert sfn.calls == []


def test_two_resumes_that_read_the_same_manifest_start_one_run(store):
    # GIVEN two resumes racing (two API replicas' watchers): both read the manifest before either writes it
    manifest(store, status="RUNNING", continuation_needed=True, run_stopped_at="2025-03-01T11:59:00.000Z")
    stale = store.get_json(manifest_key("p/", NAME))
    sfn = FakeSfn()
    first = coordinator(store, sfn)
    assert first.handle({"action": "resume", "execution": NAME})["statusCode"] == 202
    store.put_json(manifest_key("p/", NAME), stale)  # the second one still sees the old manifest
    # WHEN the second one goes on THEN it is refused: run 1 exists, it is never started twice
    answer = coordinator(store, sfn).handle({"action": "resume", "execution": NAME})
    assert answer["statusCode"] == 409
    assert "already started" in json.loads(answer["body"])["error"]
    assert [call["name"] for call in sfn.calls] == [f"{NAME}-r1"]


def test_a_refused_start_frees_its_run_number(store):
    manifest(store)
    assert resume(store, FakeSfn(fail=True))[0] == 502
    status, body = resume(store, FakeSfn())
    assert (status, body["run"]) == (202, 1)

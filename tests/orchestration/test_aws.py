"""AwsOrchestrator through real boto3 calls against moto: Lambda invoke -> coordinator handler -> Step
Functions (moto executes the ASL) -> our Python handlers, results in S3.

moto's Lambda runs no code without Docker; `LambdaSimpleBackend.invoke` is replaced by a dispatcher that calls
our handlers (shared/AWS_LOCAL.md).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import traceback

import boto3
import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import DefaultConfig

from app.orchestration.aws import EXPRESS_TIMEOUT_CAUSE, AwsOrchestrator, StateMachineType
from app.orchestration.base import (
    AccountRejectedError,
    ExecutionNotFoundError,
    ExtractionOptions,
    InvalidRequestError,
    OrchestrationError,
)
from app.orchestration.definition import load_definition
from app.orchestration.local_sfn import LambdaContext
from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import LocalResultsStore, S3ResultsStore
from lambda_functions.coordinator import app as coordinator_app
from lambda_functions.coordinator.validation import DAY_MS
from tests.api.runtime import runtime_of
from tests.orchestration.fakes import PREFIX, FakeAggregator, FakeWorker, fake_orders

# The orders an execution saw (its links to the ledger), as the per-execution `orders` table held them.
SAVED = (
    "(SELECT e.execution_arn, l.stream, l.order_id FROM execution_orders x "
    "JOIN ledger_orders l ON l.id = x.order_pk JOIN execution_results e ON e.id = x.execution_id) AS o"
)

pytestmark = pytest.mark.aws

REGION, ACCOUNT, BUCKET = "us-east-1", "123456789012", "results-bucket"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:bitget-orders"
NAME = "20250101T000000Z-abcdef12-abcdef"


def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def dispatcher(handlers, timeouts_s=None):
    """moto's Lambda invoke calling our handlers; each gets a context of `timeouts_s[name]` seconds (60)."""

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        name = function_name.rsplit(":", 1)[-1]
        context = LambdaContext(name, lambda_arn(name), (timeouts_s or {}).get(name, 60))
        try:
            return json.dumps(handlers[name](json.loads(body or b"{}"), context)).encode()
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(error).encode()

    return invoke


@pytest.fixture
def aws(monkeypatch):
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "RESULTS_STORE": "s3",
        "RESULTS_BUCKET": BUCKET,
        "RESULTS_PREFIX": PREFIX,
        "ACCOUNT_PRECHECK": "false",  # fake workers, no exchange; the check has its own tests below
    }.items():
        monkeypatch.setenv(var, value)
    config: DefaultConfig = {
        "stepfunctions": {"execute_state_machine": True},
        "lambda": {"use_docker": False},
    }
    with mock_aws(config=config):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3
    coordinator_app.coordinator.cache_clear()


def deploy(
    aws, monkeypatch, machine_type: StateMachineType, worker: FakeWorker | None = None, concurrency: int = 5
) -> tuple[AwsOrchestrator, list[str], S3ResultsStore]:
    """Create the state machine, point the coordinator at it, route Lambda invokes to our handlers.

    `concurrency` is the template's MapMaxConcurrency: the Map's limit and the coordinator's MAP_MAX_CONCURRENCY."""
    store = S3ResultsStore(aws, BUCKET, REGION)
    handlers = {
        "bitget-coordinator": coordinator_app.handler,
        "bitget-worker": worker or FakeWorker(store),
        "bitget-aggregator": FakeAggregator(store),
    }
    monkeypatch.setattr(LambdaSimpleBackend, "invoke", dispatcher(handlers))
    monkeypatch.setenv("MAP_MAX_CONCURRENCY", str(concurrency))
    definition = load_definition(
        {
            "WorkerFunctionArn": lambda_arn("bitget-worker"),
            "AggregatorFunctionArn": lambda_arn("bitget-aggregator"),
            "MapMaxConcurrency": concurrency,
        }
    )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name="bitget-orders",
        definition=definition,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        type=machine_type,
    )
    monkeypatch.setenv("STATE_MACHINE_ARN", machine["stateMachineArn"])
    coordinator_app.coordinator.cache_clear()
    calls: list[str] = []
    sfn.meta.events.register("before-call.*.*", lambda model, **kwargs: calls.append(model.name))
    orchestrator = AwsOrchestrator(
        boto3.client("lambda", region_name=REGION),
        sfn,
        store,
        coordinator_function="bitget-coordinator",
        results_prefix=PREFIX,
        state_machine_type=machine_type,
    )
    return orchestrator, calls, store


def wait(orchestrator, arn, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while (state := orchestrator.describe(arn)).status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    return state


def test_express_end_to_end_never_calls_describe_execution(aws, monkeypatch):
    orchestrator, calls, _ = deploy(aws, monkeypatch, "EXPRESS")
    started = orchestrator.start(["BTCUSDT", "ethusdt", "BADCOIN"], None, None)
    assert started.symbols == ["BTCUSDT", "ETHUSDT", "BADCOIN"]

    state = wait(orchestrator, started.execution_arn)

    assert state.status == "SUCCEEDED"
    assert state.output["summary"]["errors"] == {"BADCOIN": "SymbolNotFoundError"}
    assert state.progress == {"symbols_done": 3, "symbols_total": 3}
    assert "DescribeExecution" not in calls
    # the presigned URL downloads the consolidated document
    document = requests.get(state.output["s3_data_url"], timeout=10).json()
    expected = sorted(
        fake_orders("BTCUSDT") + fake_orders("ETHUSDT"), key=lambda o: int(o["cTime"]), reverse=True
    )
    assert document["orders"] == expected


def test_standard_describes_the_execution(aws, monkeypatch):
    orchestrator, calls, _ = deploy(aws, monkeypatch, "STANDARD")
    started = orchestrator.start(["BTCUSDT"], None, None)
    state = wait(orchestrator, started.execution_arn)
    assert state.status == "SUCCEEDED"
    assert state.output["summary"]["total_orders"] == 3
    assert "DescribeExecution" in calls


def test_invalid_request_starts_and_writes_nothing(aws, monkeypatch):
    orchestrator, calls, _ = deploy(aws, monkeypatch, "EXPRESS")
    with pytest.raises(InvalidRequestError, match="invalid symbol 'X'"):
        orchestrator.start(["X"], None, None)
    assert "StartExecution" not in calls
    assert aws.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_options_clamped_window_and_rate_share_reach_every_worker(aws, monkeypatch):
    # GIVEN the stack with MapMaxConcurrency 2 and a worker that records its events
    worker = FakeWorker(S3ResultsStore(aws, BUCKET, REGION))
    orchestrator, _, store = deploy(aws, monkeypatch, "STANDARD", worker=worker, concurrency=2)
    now = int(time.time() * 1000)
    # WHEN three symbols are asked with both options and a window ending tomorrow
    options = ExtractionOptions(include_plan_orders=False, include_simulation=True)
    started = orchestrator.start(["BTCUSDT", "ETHUSDT", "XRPUSDT"], now - 10 * DAY_MS, now + DAY_MS, options)
    assert wait(orchestrator, started.execution_arn).status == "SUCCEEDED"
    # THEN the answer says the end was clamped to now, and the start was kept
    assert (started.start_ms, started.requested_end_ms, started.window_clamped) == (
        now - 10 * DAY_MS,
        now + DAY_MS,
        True,
    )
    assert now <= started.end_ms <= int(time.time() * 1000)
    assert (started.include_plan_orders, started.include_simulation, started.account_check) == (
        False,
        True,
        "off",
    )
    # AND each worker got the window used, both options and a half share (two run at once)
    assert sorted(event["symbol"] for event in worker.events) == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    for event in worker.events:
        assert (event["start_ms"], event["end_ms"]) == (started.start_ms, started.end_ms)
        assert (event["include_plan_orders"], event["include_simulation"]) == (False, True)
        assert event["rate_share"] == 0.5
    manifest = store.get_json(manifest_key(PREFIX, started.execution_name))
    assert (manifest["requested_end_ms"], manifest["window_clamped"]) == (now + DAY_MS, True)


def secret_arn(credentials: dict[str, str]) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    return client.create_secret(Name="bitget-orders/api", SecretString=json.dumps(credentials))["ARN"]


SANDBOX_SECRET = {"api_key": "sandbox-key", "api_secret": "sandbox-secret", "passphrase": "sandbox-pass"}


@pytest.mark.sandbox
def test_the_coordinator_checks_the_account_with_the_workers_secret(aws, monkeypatch, make_sandbox):
    # GIVEN the coordinator Lambda with ACCOUNT_PRECHECK on and the Bitget secret in Secrets Manager
    server = make_sandbox("demo", seed=5)
    for name, value in (("ACCOUNT_PRECHECK", "true"), ("BITGET_BASE", server.base_url)):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BITGET_SECRET_ARN", secret_arn(SANDBOX_SECRET))
    orchestrator, _, store = deploy(aws, monkeypatch, "EXPRESS")
    # WHEN an extraction starts
    started = orchestrator.start(["BTCUSDT"], None, None)
    # THEN Bitget was asked once, and the account's userId is in the answer and in the execution's manifest
    assert (started.account_check, started.account_id) == ("ok", server.app.account.user_id)
    assert server.stats()["endpoints"]["/api/v2/spot/account/info"]["requests"] == 1
    assert store.get_json(manifest_key(PREFIX, started.execution_name))["account_id"] == started.account_id
    assert wait(orchestrator, started.execution_arn).status == "SUCCEEDED"


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("sandbox_options", "secret", "status", "code"),
    [
        ({"deny": "ip"}, SANDBOX_SECRET, 403, "40018"),
        ({}, SANDBOX_SECRET | {"passphrase": "wrong-passphrase"}, 401, "40012"),
    ],
)
def test_a_refused_account_starts_nothing_on_aws(
    aws, monkeypatch, make_sandbox, sandbox_options, secret, status, code
):
    server = make_sandbox("demo", seed=5, **sandbox_options)
    monkeypatch.setenv("ACCOUNT_PRECHECK", "true")
    monkeypatch.setenv("BITGET_BASE", server.base_url)
    monkeypatch.setenv("BITGET_SECRET_ARN", secret_arn(secret))
    orchestrator, calls, _ = deploy(aws, monkeypatch, "EXPRESS")
    with pytest.raises(AccountRejectedError) as raised:
        orchestrator.start(["BTCUSDT"], None, None)
    assert (raised.value.status_code, raised.value.bitget_code) == (status, code)
    assert "wrong-passphrase" not in str(raised.value.body())
    assert "StartExecution" not in calls
    assert aws.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0  # no manifest


def test_express_running_past_the_limit_is_reported_failed(tmp_path):
    store = LocalResultsStore(tmp_path)
    name = "20250101T000000Z-abcdef12-abcdef"
    started = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    manifest = {
        "execution": name,
        "status": "RUNNING",
        "symbols": ["BTCUSDT"],
        "started_at": started.isoformat(),
        "state_machine_arn": MACHINE_ARN,
    }
    store.put_json(manifest_key(PREFIX, name), manifest)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:express:bitget-orders:{name}:0a1b2c"

    def orchestrator_at(minutes):
        clock = lambda: started + dt.timedelta(minutes=minutes)  # noqa: E731
        return AwsOrchestrator(
            None, None, store, coordinator_function="c", results_prefix=PREFIX, clock=clock
        )

    assert orchestrator_at(4).describe(arn).status == "RUNNING"
    late = orchestrator_at(10).describe(arn)
    assert (late.status, late.cause) == ("FAILED", EXPRESS_TIMEOUT_CAUSE)


class StubSfn:
    """DescribeExecution answering with a fixed error, counting calls."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def describe_execution(self, **kwargs):
        self.calls += 1
        raise self.error


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "DescribeExecution")


def standard_with(store, sfn) -> AwsOrchestrator:
    return AwsOrchestrator(
        None, sfn, store, coordinator_function="c", results_prefix=PREFIX, state_machine_type="STANDARD"
    )


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException"),
        client_error("AccessDeniedException"),
        EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com"),
    ],
)
def test_standard_describe_failure_other_than_does_not_exist_is_an_orchestration_error(tmp_path, error):
    # GIVEN a STANDARD deployment whose DescribeExecution fails for a reason other than "does not exist"
    orchestrator = standard_with(LocalResultsStore(tmp_path), StubSfn(error))
    # WHEN an execution is described
    with pytest.raises(OrchestrationError) as raised:
        orchestrator.describe(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bitget-orders:{NAME}")
    # THEN it is an OrchestrationError (502), never "not found" (404)
    assert not isinstance(raised.value, ExecutionNotFoundError)


def test_standard_execution_does_not_exist_is_not_found(tmp_path):
    orchestrator = standard_with(LocalResultsStore(tmp_path), StubSfn(client_error("ExecutionDoesNotExist")))
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.describe(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bitget-orders:{NAME}")


@pytest.mark.parametrize("machine_type", ["EXPRESS", "STANDARD"])
@pytest.mark.parametrize(
    "foreign",
    [
        f"arn:aws:states:{REGION}:999999999999:execution:bitget-orders:{NAME}",
        f"arn:aws:states:eu-west-1:{ACCOUNT}:execution:bitget-orders:{NAME}",
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:other-machine:{NAME}",
        f"arn:aws:states:{REGION}:999999999999:express:bitget-orders:{NAME}:run-1",
    ],
)
def test_a_same_name_foreign_arn_is_not_found_and_writes_nothing(tmp_path, machine_type, foreign):
    # GIVEN the manifest of one of our executions, already past Express's limit
    store = LocalResultsStore(tmp_path)
    ours = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bitget-orders:{NAME}"
    manifest = {
        "execution": NAME, "status": "RUNNING", "symbols": ["BTCUSDT"], "execution_arn": ours,
        "state_machine_arn": MACHINE_ARN, "started_at": "2025-01-01T00:00:00Z",
    }  # fmt: skip
    store.put_json(manifest_key(PREFIX, NAME), manifest)
    sfn = StubSfn(client_error("AccessDeniedException"))
    orchestrator = AwsOrchestrator(
        None, sfn, store, coordinator_function="c", results_prefix=PREFIX, state_machine_type=machine_type
    )
    # WHEN an ARN with the same name but another account, region or machine is described
    with pytest.raises(ExecutionNotFoundError):
        orchestrator.describe(foreign)
    # THEN it is unknown, AWS was not asked, and the manifest is unchanged
    assert sfn.calls == 0
    assert store.get_json(manifest_key(PREFIX, NAME)) == manifest


@pytest.mark.parametrize("machine_type", ["EXPRESS", "STANDARD"])
def test_the_api_watcher_saves_the_orders_of_an_aws_execution_nobody_polls(
    aws, monkeypatch, tmp_path, machine_type
):
    # GIVEN the API in aws mode (moto's Lambda, Step Functions and S3) with its watcher on
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from app.core.config import load_settings
    from app.main import Overrides, create_app
    from tests.api.fakes import FakeSymbolsClient

    orchestrator, calls, store = deploy(aws, monkeypatch, machine_type)
    database_url = f"sqlite:///{tmp_path / 'api.db'}"
    settings = load_settings(
        _env_file=None,
        orchestration_mode="aws",
        coord_lambda_name="bitget-coordinator",
        results_bucket=BUCKET,
        results_prefix=PREFIX,
        state_machine_type=machine_type,
        database_url=database_url,
        watch_interval_s=0.1,
        results_retention_days=0,
        log_level="WARNING",
    )
    app = create_app(settings, overrides=Overrides(orchestrator, FakeSymbolsClient(), store))
    with TestClient(app) as client:
        # WHEN an execution is started and nobody calls GET /orders/{arn}
        started = client.post("/orders", json={"symbols": ["BTCUSDT", "ETHUSDT"]})
        assert started.status_code == 202, started.text
        arn = started.json()["executionArn"]
        expected = {o["orderId"] for s in ("BTCUSDT", "ETHUSDT") for o in fake_orders(s)}
        engine = create_engine(database_url)

        def saved() -> set[str]:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(f"SELECT order_id FROM {SAVED} WHERE execution_arn = :a"),  # noqa: S608
                    {"a": arn},
                )
                return {row[0] for row in rows}

        deadline = time.monotonic() + 30
        while saved() != expected:
            assert time.monotonic() < deadline, "the watcher did not save the orders"
            time.sleep(0.1)
        db = runtime_of(client).db
        db.hydration.join_background(30)
        # THEN the orders are in the database once, and the record says SUCCEEDED and saved
        record = db.executions.get_execution(arn)
        assert record is not None
        assert (record["status"], record["hydration_state"], record["orders_saved"]) == (
            "SUCCEEDED",
            "saved",
            6,
        )
        assert ("DescribeExecution" in calls) == (machine_type == "STANDARD")
        # AND the list agrees, and DELETE removes the S3 objects under its prefix
        assert client.get("/orders/list").json()["executions"][0]["status"] == "SUCCEEDED"
        name = started.json()["execution_name"]
        assert store.list_keys(f"{PREFIX}{name}/")
        deleted = client.delete(f"/orders/{arn}").json()
        assert deleted["removed"]["orders"] == 6 and deleted["removed"]["results_objects"] >= 2
        assert store.list_keys(f"{PREFIX}{name}/") == []
        assert client.delete(f"/orders/{arn}").status_code == 404
        engine.dispose()


# ---- resume, cancel, continuations (issue 9 §1) -------------------------------------------------------------
class StubLambda:
    """The coordinator Lambda answering the resume action as docs/CONTRACTS.md shapes it."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.events: list[dict] = []

    def invoke(self, FunctionName, Payload):
        import io

        event = json.loads(Payload)
        self.events.append(event)
        name = event["execution"]
        body = {"executionArn": STANDARD_ARN, "run_arn": f"{STANDARD_ARN}-r1", "execution": name}
        body |= {"status": "resumed", "run": 1} if self.status == 202 else {"error": f"no execution {name}"}
        answer = {"statusCode": self.status, "body": json.dumps(body)}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


class RecordingSfn:
    """DescribeExecution of a fixed status, recording which ARNs were described."""

    def __init__(self, status: str = "SUCCEEDED") -> None:
        self.status = status
        self.described: list[str] = []

    def describe_execution(self, executionArn):
        self.described.append(executionArn)
        started = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        answer = {"executionArn": executionArn, "status": self.status, "startDate": started}
        if self.status != "RUNNING":
            answer["stopDate"] = started + dt.timedelta(minutes=1)
        return answer


STANDARD_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:bitget-orders:{NAME}"


def put_manifest(store, **fields):
    manifest = {
        "execution": NAME,
        "execution_arn": STANDARD_ARN,
        "state_machine_arn": MACHINE_ARN,
        "status": "RUNNING",
        "symbols": ["BTCUSDT"],
        "started_at": "2025-01-01T00:00:00Z",
    }
    store.put_json(manifest_key(PREFIX, NAME), manifest | fields)


def aws_with(store, lambda_client=None, sfn=None, machine_type="STANDARD", clock=None):
    return AwsOrchestrator(
        lambda_client or StubLambda(),
        sfn or RecordingSfn(),
        store,
        coordinator_function="c",
        results_prefix=PREFIX,
        state_machine_type=machine_type,
        **({"clock": clock} if clock else {}),
    )


def test_standard_describe_follows_the_latest_run_under_the_original_arn(tmp_path):
    store = LocalResultsStore(tmp_path)
    run_arn = f"{STANDARD_ARN}-r2"
    put_manifest(store, runs=[{"run_arn": f"{STANDARD_ARN}-r1"}, {"run_arn": run_arn}])
    sfn = RecordingSfn("RUNNING")
    state = aws_with(store, sfn=sfn).describe(STANDARD_ARN)
    assert sfn.described == [run_arn]
    assert (state.execution_arn, state.status, state.run_arn, state.runs) == (
        STANDARD_ARN,
        "RUNNING",
        run_arn,
        3,
    )


@pytest.mark.parametrize("machine_type", ["EXPRESS", "STANDARD"])
def test_a_continuation_needed_manifest_reads_running_and_aborted_reads_aborted(tmp_path, machine_type):
    store = LocalResultsStore(tmp_path)
    late = lambda: dt.datetime(2025, 1, 2, tzinfo=dt.UTC)  # noqa: E731 - long past EXPRESS's limit
    put_manifest(store, continuation_needed=True)
    state = aws_with(store, machine_type=machine_type, clock=late).describe(STANDARD_ARN)
    assert (state.status, state.continuation_needed) == ("RUNNING", True)
    put_manifest(store, status="ABORTED", result={"summary": {"total_orders": 2}})
    state = aws_with(store, machine_type=machine_type, clock=late).describe(STANDARD_ARN)
    assert state.status == "ABORTED"
    assert state.output == {"summary": {"total_orders": 2}}


def test_continue_if_needed_invokes_the_coordinators_resume_action(tmp_path):
    store = LocalResultsStore(tmp_path)
    lam = StubLambda()
    orchestrator = aws_with(store, lambda_client=lam)
    put_manifest(store)
    assert orchestrator.continue_if_needed(STANDARD_ARN) is None  # nothing to continue
    put_manifest(store, continuation_needed=True)
    assert orchestrator.continue_if_needed(STANDARD_ARN) == "resumed"
    assert lam.events == [{"action": "resume", "execution": NAME, "reopen_failed": False}]


def test_resume_answers_and_errors(tmp_path):
    store = LocalResultsStore(tmp_path)
    put_manifest(store, status="FAILED")
    resumed = aws_with(store).resume(STANDARD_ARN, reopen_failed=True)
    assert (resumed.execution_arn, resumed.run_arn, resumed.run) == (STANDARD_ARN, f"{STANDARD_ARN}-r1", 1)
    with pytest.raises(ExecutionNotFoundError):
        aws_with(store, lambda_client=StubLambda(404)).resume(STANDARD_ARN, reopen_failed=True)
    with pytest.raises(ExecutionNotFoundError):
        aws_with(LocalResultsStore(tmp_path / "empty")).resume(STANDARD_ARN, reopen_failed=True)


def test_cancel_writes_cancel_json_and_a_waiting_execution_gets_its_run_with_the_cancel_in_force(tmp_path):
    # the run's workers stop at once and its aggregator records ABORTED with what was fetched
    from lambda_functions.common.keys import cancel_key

    store = LocalResultsStore(tmp_path)
    lam = StubLambda()
    put_manifest(store, continuation_needed=True)
    orchestrator = aws_with(store, lambda_client=lam)
    orchestrator.cancel(STANDARD_ARN)
    assert "requested_at" in store.get_json(cancel_key(PREFIX, NAME))
    assert lam.events == [{"action": "resume", "execution": NAME, "reopen_failed": False}]

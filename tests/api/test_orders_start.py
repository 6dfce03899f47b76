"""POST /orders: the per-request options, the window echoed after clamping, and the account check before
anything starts. Through HTTP with the real coordinator (embedded orchestrator, fake worker and aggregator),
and against the sandbox exchange for the account check."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.main import Overrides, create_app
from app.orchestration.embedded import EmbeddedOrchestrator, build_runner
from lambda_functions.common.bitget import Credentials, RetryPolicy
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.service import OptionDefaults
from lambda_functions.coordinator.validation import DAY_MS
from tests.api.conftest import TestClient, test_settings
from tests.api.fakes import FakeSymbolsClient
from tests.api.runtime import runtime_of
from tests.orchestration.fakes import FakeAggregator, FakeWorker

GOOD = Credentials("sandbox-key", "sandbox-secret", "sandbox-pass")


def now_ms() -> int:
    return int(time.time() * 1000)


# ---- with the fake orchestrator: what reaches it ---------------------------------------------------------
@pytest.mark.parametrize(
    ("sent", "received"),
    [
        ({}, (None, None)),
        ({"include_plan_orders": None, "include_simulation": None}, (None, None)),
        ({"include_plan_orders": False}, (False, None)),
        ({"include_plan_orders": True, "include_simulation": True}, (True, True)),
    ],
)
def test_options_reach_the_orchestrator(sqlite_api, sent, received) -> None:
    response = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT"]} | sent)
    assert response.status_code == 202, response.text
    (options,) = sqlite_api.orchestrator.options
    assert (options.include_plan_orders, options.include_simulation) == received


@pytest.mark.parametrize("value", ["true", "yes", 1, 0, [], {"on": True}])
@pytest.mark.parametrize("name", ["include_plan_orders", "include_simulation"])
def test_non_boolean_options_are_422_naming_the_field_and_start_nothing(sqlite_api, name, value) -> None:
    before = sqlite_api.counts()
    response = sqlite_api.client.post("/orders", json={"symbols": ["BTCUSDT"], name: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", name]
    assert sqlite_api.orchestrator.started == []
    assert sqlite_api.counts() == before


def test_the_options_are_documented_with_an_example(sqlite_api) -> None:
    schema = sqlite_api.client.get("/openapi.json").json()["components"]["schemas"]
    request = schema["OrdersRequest"]
    for name in ("include_plan_orders", "include_simulation"):
        assert "service default" in request["properties"][name]["description"]
    assert any("include_plan_orders" in example for example in request["examples"])
    answer = schema["OrdersStartedResponse"]["properties"]
    for name in ("window_clamped", "requested_start_ms", "requested_end_ms", "window_note", "account_id"):
        assert name in answer


# ---- with the real coordinator ------------------------------------------------------------------------------
@dataclass
class Service:
    client: TestClient
    worker: FakeWorker
    store: LocalResultsStore
    database_url: str

    def wait(self, arn: str) -> None:
        """Let an execution finish before the app (and its runner) closes."""
        orchestrator = runtime_of(self.client).orders.orchestrator
        assert isinstance(orchestrator, EmbeddedOrchestrator)
        orchestrator.runner.wait(arn)

    def executions(self) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text("SELECT COUNT(*) FROM execution_results")).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture
def make_service(tmp_path: Path, sqlite_url: str) -> Iterator[Callable[..., Service]]:
    """An app whose orchestrator is the real embedded coordinator + state machine with a fake worker."""
    opened: list[tuple[TestClient, Any]] = []

    def make(checker: AccountChecker | None = None, defaults: OptionDefaults | None = None) -> Service:
        settings = test_settings(sqlite_url, tmp_path)
        store = LocalResultsStore(settings.results_dir, settings.results_base_url)
        worker = FakeWorker(store, settings.results_prefix)
        runner, arn = build_runner(
            worker, FakeAggregator(store, settings.results_prefix), map_max_concurrency=2
        )
        orchestrator = EmbeddedOrchestrator(
            runner, arn, store, results_prefix=settings.results_prefix, map_max_concurrency=2,
            defaults=defaults or OptionDefaults(), account_checker=checker,
        )  # fmt: skip
        app = create_app(settings, overrides=Overrides(orchestrator, FakeSymbolsClient(), store))
        client = TestClient(app)
        client.__enter__()
        opened.append((client, orchestrator))
        return Service(client, worker, store, sqlite_url)

    yield make
    for client, orchestrator in opened:
        client.__exit__(None, None, None)
        orchestrator.close()


def test_a_clamped_window_is_echoed_and_the_options_reach_every_worker(make_service) -> None:
    service = make_service()
    asked_start, asked_end = now_ms() - 200 * DAY_MS, now_ms() + 3 * DAY_MS
    body = {
        "symbols": ["BTCUSDT", "ETHUSDT", "XRPUSDT"],
        "start_ms": asked_start,
        "end_ms": asked_end,
        "include_plan_orders": False,
        "include_simulation": True,
    }
    response = service.client.post("/orders", json=body)
    assert response.status_code == 202, response.text
    answer = response.json()
    # the window used: ends now (not next week), starts at the retention edge (not 200 days ago)
    assert answer["end_ms"] <= now_ms() < asked_end
    assert answer["start_ms"] == answer["end_ms"] - 90 * DAY_MS
    assert (answer["requested_start_ms"], answer["requested_end_ms"]) == (asked_start, asked_end)
    assert answer["window_clamped"] is True
    assert "in the future: clamped to now" in answer["window_note"]
    assert "clamped to the retention edge" in answer["window_note"]
    assert (answer["include_plan_orders"], answer["include_simulation"]) == (False, True)
    assert answer["account_check"] == "off"
    service.wait(answer["executionArn"])
    assert len(service.worker.events) == 3
    for event in service.worker.events:
        assert (event["start_ms"], event["end_ms"]) == (answer["start_ms"], answer["end_ms"])
        assert (event["include_plan_orders"], event["include_simulation"], event["rate_share"]) == (
            False,
            True,
            0.5,
        )


def test_a_window_inside_the_retention_is_not_clamped(make_service) -> None:
    service = make_service(defaults=OptionDefaults(include_plan_orders=True, include_simulation=False))
    start, end = now_ms() - 10 * DAY_MS, now_ms() - DAY_MS
    answer = service.client.post(
        "/orders", json={"symbols": ["BTCUSDT"], "start_ms": start, "end_ms": end}
    ).json()
    assert (answer["start_ms"], answer["end_ms"], answer["window_clamped"], answer["window_note"]) == (
        start,
        end,
        False,
        None,
    )
    assert (answer["include_plan_orders"], answer["include_simulation"]) == (True, False)
    service.wait(answer["executionArn"])


def test_a_window_ending_before_the_retention_is_still_refused(make_service) -> None:
    service = make_service()
    end = now_ms() - 91 * DAY_MS
    response = service.client.post(
        "/orders", json={"symbols": ["BTCUSDT"], "start_ms": end - DAY_MS, "end_ms": end}
    )
    assert response.status_code == 422
    assert "90-day order-history retention" in response.text
    assert service.executions() == 0


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("sandbox_options", "credentials", "status", "problem", "code"),
    [
        ({}, Credentials("sandbox-key", "sandbox-secret", "not-the-passphrase"), 401, "credentials", "40012"),
        ({}, Credentials("no-such-key", "sandbox-secret", "sandbox-pass"), 401, "credentials", "40037"),
        ({"deny": "ip"}, GOOD, 403, "ip_not_allowed", "40018"),
        ({"deny": "permission"}, GOOD, 403, "permission_missing", "40014"),
    ],
)
def test_a_refused_account_answers_4xx_and_nothing_is_started_or_recorded(
    make_service, make_sandbox, sandbox_options, credentials, status, problem, code
) -> None:
    server = make_sandbox("demo", seed=4, **sandbox_options)
    checker = AccountChecker(server.base_url, credentials, retry=RetryPolicy(retries=0))
    service = make_service(checker)
    response = service.client.post("/orders", json={"symbols": ["BTCUSDT"]})
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["problem"], body["bitget_code"]) == (problem, code)
    assert f"Bitget code {code}" in body["detail"] and body["bitget_message"] in body["detail"]
    assert "not-the-passphrase" not in response.text and "sandbox-secret" not in response.text
    assert service.store.list_keys("") == []  # no manifest
    assert service.executions() == 0  # nothing recorded
    assert service.worker.events == []


@pytest.mark.sandbox
def test_an_accepted_account_starts_and_answers_its_user_id(make_service, sandbox) -> None:
    service = make_service(AccountChecker(sandbox.base_url, GOOD))
    answer = service.client.post("/orders", json={"symbols": ["BTCUSDT"]}).json()
    assert (answer["account_check"], answer["account_id"]) == ("ok", sandbox.app.account.user_id)
    assert answer["account_mode"] == "classic"
    assert service.executions() == 1
    service.wait(answer["executionArn"])


@pytest.mark.sandbox
def test_a_unified_account_is_accepted_and_its_mode_reaches_the_workers(make_service, make_sandbox) -> None:
    server = make_sandbox("demo", seed=4, account_mode="unified")
    service = make_service(AccountChecker(server.base_url, GOOD, retry=RetryPolicy(retries=0)))
    answer = service.client.post("/orders", json={"symbols": ["BTCUSDT"]}).json()
    assert (answer["account_check"], answer["account_mode"]) == ("ok", "unified")
    assert answer["account_id"] == server.app.account.user_id  # the v3 settings' uid
    service.wait(answer["executionArn"])
    assert {event["account_mode"] for event in service.worker.events} == {"unified"}

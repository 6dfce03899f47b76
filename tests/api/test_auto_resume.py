"""Embedded start-up: executions recorded RUNNING whose process is gone are resumed (AUTO_RESUME, default true),
logged by name; with AUTO_RESUME=false they are reported FAILED "interrupted by a restart" as before."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from app.main import Overrides, create_app
from app.orchestration.embedded import INTERRUPTED_CAUSE, EmbeddedOrchestrator, build_runner
from lambda_functions.common.results_store import LocalResultsStore
from tests.api.conftest import test_settings
from tests.api.fakes import FakeSymbolsClient
from tests.api.runtime import runtime_of
from tests.orchestration.fakes import FakeAggregator, FakeWorker
from tests.orchestration.test_embedded import with_resume

PREFIX = "bitget-results/"


def orchestrator(store, worker=None, auto_resume=False):
    runner, machine = build_runner(worker or FakeWorker(store, PREFIX), FakeAggregator(store, PREFIX))
    built = EmbeddedOrchestrator(runner, machine, store, results_prefix=PREFIX, auto_resume=auto_resume)
    return with_resume(built)


def wait_for(client, arn, status, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(f"/orders/{arn}").json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


@pytest.mark.parametrize("auto_resume", [True, False])
def test_an_execution_whose_process_is_gone_is_resumed_at_start_up(sqlite_url, tmp_path, caplog, auto_resume):
    settings = test_settings(sqlite_url, tmp_path, auto_resume=auto_resume, account_precheck=False)
    store = LocalResultsStore(settings.results_dir, settings.results_base_url)
    gate = threading.Event()
    # GIVEN an execution started by a service that then stopped while it was running
    first_orchestrator = orchestrator(store, FakeWorker(store, PREFIX, gate=gate))
    first = TestClient(
        create_app(settings, overrides=Overrides(first_orchestrator, FakeSymbolsClient(), store))
    )
    with first:
        started = first.post("/orders", json={"symbols": ["BTCUSDT"]})
        assert started.status_code == 202, started.text
        arn, name = started.json()["executionArn"], started.json()["execution_name"]
    first_orchestrator.close()  # its process is gone (an injected orchestrator is closed by its owner)
    try:
        # WHEN the service starts again
        second_orchestrator = orchestrator(store, auto_resume=auto_resume)
        app = create_app(settings, overrides=Overrides(second_orchestrator, FakeSymbolsClient(), store))
        with caplog.at_level("INFO"), TestClient(app) as second:
            if auto_resume:
                # THEN it was resumed at start-up (logged by name), and ends SUCCEEDED with its orders saved
                assert [c["reopen_failed"] for c in second_orchestrator.resume_calls] == [False]
                assert f"resuming execution {name}: its process is gone" in caplog.text
                body = wait_for(second, arn, "SUCCEEDED")
                assert body["status"] == "SUCCEEDED"
                runtime_of(second).db.hydration.join_background(30)
                info = second.get(f"/orders/{arn}").json()["database_info"]
                assert (info["state"], info["orders_saved"]) == ("saved", 3)
                listed = second.get("/orders/list").json()["executions"]
                assert [(e["execution_arn"], e["status"]) for e in listed] == [(arn, "SUCCEEDED")]
            else:
                # THEN nothing was resumed: it reads FAILED, interrupted by the restart
                assert "resuming execution" not in caplog.text
                assert second_orchestrator.resume_calls == []
                body = second.get(f"/orders/{arn}").json()
                assert (body["status"], body["cause"]) == ("FAILED", INTERRUPTED_CAUSE)
    finally:
        gate.set()

"""The coordinator and the aggregator bind the execution once: their lines carry it without passing it."""

from __future__ import annotations

import json

from lambda_functions.aggregator.aggregation import record_failure
from lambda_functions.aggregator.events import FailureRequest
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common.map_items import reports_errors_as_items
from lambda_functions.common.results_store import LocalResultsStore
from lambda_functions.coordinator.service import Coordinator
from tests.common.test_log_context import json_lines
from tests.coordinator.test_coordinator import END, MACHINE, NOW, START, RecordingSfn


def test_the_coordinators_start_lines_carry_the_execution_it_named(tmp_path):
    store = LocalResultsStore(tmp_path)
    coordinator = Coordinator(RecordingSfn(), store, MACHINE, "p/", clock=lambda: NOW)
    with json_lines() as lines:
        answer = coordinator.handle({"symbols": ["BTCUSDT"], "start_ms": START, "end_ms": END})

    name = json.loads(answer["body"])["execution"]
    (started,) = [line for line in lines if line["message"] == "execution started"]
    assert started["execution"] == name
    assert started["execution_arn"].endswith(f":{name}")


def test_the_coordinators_failed_start_line_carries_the_execution(tmp_path):
    store = LocalResultsStore(tmp_path)
    coordinator = Coordinator(RecordingSfn(fail=True), store, MACHINE, "p/", clock=lambda: NOW)
    with json_lines() as lines:
        answer = coordinator.handle({"symbols": ["BTCUSDT"], "start_ms": START, "end_ms": END})

    (failed,) = [line for line in lines if line["message"] == "start_execution failed"]
    assert failed["execution"] == json.loads(answer["body"])["execution"]
    assert "exception" in failed


def test_the_aggregators_failure_line_carries_the_execution(tmp_path):
    request = FailureRequest(mode="failure", execution="exec-1", error={"Error": "States.Timeout"})
    with json_lines() as lines:
        record_failure(
            request, LocalResultsStore(tmp_path), AggregatorSettings(results_prefix="p/"), lambda: 0.0
        )

    (failed,) = [line for line in lines if line["message"] == "execution failed"]
    assert (failed["execution"], failed["error"]) == ("exec-1", "States.Timeout")


def test_a_map_items_failure_line_carries_its_execution_and_symbol():
    # GIVEN a worker handler that fails outright (before any binding of its own)
    @reports_errors_as_items
    def failing(event, context=None):
        raise RuntimeError("boom")

    with json_lines() as lines:
        item = failing({"symbol": "BTCUSDT", "execution": "exec-7"}, None)
        failing({"symbol": "ETHUSDT", "execution": "not a name!"}, None)

    # THEN the error item is returned and the logged line names the item's execution and symbol
    assert item["error"]["Error"] == "RuntimeError"
    first, second = [line for line in lines if line["message"].startswith("map item failed")]
    assert (first["execution"], first["symbol"]) == ("exec-7", "BTCUSDT")
    assert "execution" not in second and second["symbol"] == "ETHUSDT"  # an invalid name is not logged

"""Fixtures: a local results store in tmp_path and the aggregator wired to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common.keys import manifest_key
from lambda_functions.common.results_store import LocalResultsStore
from tests.aggregator.factory import EXECUTION, PREFIX, FakeClock

RUNNING_MANIFEST = {
    "execution": EXECUTION,
    "execution_arn": f"arn:aws:states:us-east-2:123456789012:execution:bitget-orders:{EXECUTION}",
    "state_machine_arn": "arn:aws:states:us-east-2:123456789012:stateMachine:bitget-orders",
    "status": "RUNNING",
    "symbols": ["BTCUSDT", "ETHUSDT"],
    "start_ms": 1,
    "end_ms": 2,
    "started_at": "2025-10-09T08:51:40.000Z",
    "stopped_at": None,
    "result": None,
    "error": None,
    "cause": None,
}


@pytest.fixture
def store(tmp_path) -> LocalResultsStore:
    return LocalResultsStore(tmp_path / "results", "http://127.0.0.1:8000/results")


@pytest.fixture
def run(store) -> Callable[..., dict[str, Any]]:
    """Calls the real handler with the store, a fake clock and settings overrides."""

    def invoke(event: dict[str, Any], **settings: Any) -> dict[str, Any]:
        aggregator = AggregatorFunction(
            Dependencies(
                store=store, settings=AggregatorSettings(results_prefix=PREFIX, **settings), clock=FakeClock()
            )
        )
        return aggregator(event, None)

    return invoke


@pytest.fixture
def running_manifest(store) -> dict[str, Any]:
    store.put_json(manifest_key(PREFIX, EXECUTION), RUNNING_MANIFEST)
    return RUNNING_MANIFEST

"""Aggregator Lambda: thin handler over `aggregation.py`.

Dependencies (results store, settings, clock) are built once per process so warm invocations reuse the S3
client; tests replace them with `set_dependencies`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lambda_functions.aggregator.aggregation import Clock, aggregate, record_failure
from lambda_functions.aggregator.events import FailureRequest, parse_event
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common.config import default_results_store
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.common.results_store import ResultsStore


@dataclass(frozen=True)
class Dependencies:
    store: ResultsStore
    settings: AggregatorSettings
    clock: Clock = time.time


_dependencies: Dependencies | None = None


def get_dependencies() -> Dependencies:
    global _dependencies
    if _dependencies is None:
        _dependencies = Dependencies(store=default_results_store(), settings=AggregatorSettings())
    return _dependencies


def set_dependencies(dependencies: Dependencies | None) -> None:
    """Replace (or with None, reset) the cached dependencies."""
    global _dependencies
    _dependencies = dependencies


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Aggregate event → optimised response; failure event → FAILED manifest."""
    configure_json_logging()
    deps = get_dependencies()
    request = parse_event(event)
    if isinstance(request, FailureRequest):
        return record_failure(request, deps.store, deps.settings, deps.clock)
    return aggregate(request, deps.store, deps.settings, deps.clock)

"""Aggregator Lambda: thin handler over `aggregation.py`.

`AggregatorFunction(deps)` is the handler bound to its dependencies (results store, settings, clock): the
embedded mode builds one from the API's store, tests from theirs. On AWS, `handler` builds the default one from
the environment on the first invocation, so warm invocations reuse the S3 client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
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


class AggregatorFunction:
    """The aggregator handler over explicit dependencies: call it as `(event, context)`."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Aggregate event → optimised response; failure event → FAILED manifest."""
        configure_json_logging()
        deps = self.deps
        request = parse_event(event)
        if isinstance(request, FailureRequest):
            return record_failure(request, deps.store, deps.settings, deps.clock)
        return aggregate(request, deps.store, deps.settings, deps.clock)


@cache
def default_function() -> AggregatorFunction:
    """The Lambda's aggregator, built from the environment on first use."""
    return AggregatorFunction(Dependencies(default_results_store(), AggregatorSettings()))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (template.yaml): the default aggregator."""
    return default_function()(event, context)

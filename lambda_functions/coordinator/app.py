"""Coordinator Lambda: validates an extraction request and starts the state machine.

Event: `{"symbols": [...], "start_ms": int?, "end_ms": int?}` directly, or a Function URL request with that
JSON as its body. Returns 202 with the execution ARN, or 400 naming what is wrong (docs/CONTRACTS.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lambda_functions.common.config import StoreSettings, build_results_store
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.coordinator.service import Coordinator
from lambda_functions.coordinator.settings import CoordinatorSettings


@lru_cache(maxsize=1)
def coordinator() -> Coordinator:
    """Built once per container, so warm invocations reuse the boto3 clients."""
    import boto3

    settings = CoordinatorSettings()  # STATE_MACHINE_ARN comes from the environment
    configure_json_logging(settings.log_level)
    store = build_results_store(StoreSettings())
    sfn = boto3.client("stepfunctions", region_name=settings.aws_default_region)
    return Coordinator(
        sfn,
        store,
        settings.state_machine_arn,
        settings.results_prefix,
        max_symbols=settings.max_symbols,
        window_days=settings.default_window_days,
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return coordinator().handle(event)

"""Coordinator Lambda: validates an extraction request, checks the Bitget account and starts the state machine.

Event: `{"symbols": [...], "start_ms": int?, "end_ms": int?, "include_plan_orders": bool?,
"include_simulation": bool?}` directly, or a Function URL request with that JSON as its body. Returns 202 with
the execution ARN, 400 naming what is wrong, or 401/403/400 when Bitget refuses the account
(docs/CONTRACTS.md). `{"action": "resume", "execution", "reopen_failed"}` starts one more run of an existing
execution (resume.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lambda_functions.common.bitget import Credentials
from lambda_functions.common.config import StoreSettings, build_results_store
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.deadline import time_limit_s
from lambda_functions.coordinator.service import Coordinator, OptionDefaults
from lambda_functions.coordinator.settings import CoordinatorSettings


def credentials(settings: CoordinatorSettings) -> Credentials | None:
    """The worker's credentials: the Secrets Manager secret (BITGET_SECRET_ARN, read by the worker's own
    function), else the three plain variables; None when none are set."""
    if settings.bitget_secret_arn.strip():
        from lambda_functions.worker.credentials import secret_credentials

        return secret_credentials(settings.bitget_secret_arn.strip())
    values = (settings.bitget_api_key, settings.bitget_api_secret, settings.bitget_api_passphrase)
    if not all(value.get_secret_value() for value in values):
        return None
    key, secret, passphrase = (value.get_secret_value() for value in values)
    return Credentials(api_key=key, api_secret=secret, passphrase=passphrase)


def account_checker(settings: CoordinatorSettings) -> AccountChecker | None:
    """None with ACCOUNT_PRECHECK=false; the secret is read on the first check, not at import."""
    if not settings.account_precheck:
        return None
    return AccountChecker(settings.bitget_base, lambda: credentials(settings))


@lru_cache(maxsize=1)
def coordinator() -> Coordinator:
    """Built once per container, so warm invocations reuse the boto3 clients and the account check."""
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
        map_max_concurrency=settings.map_max_concurrency,
        defaults=OptionDefaults(settings.include_plan_orders, settings.include_simulation),
        account_checker=account_checker(settings),
        state_machine_type=settings.state_machine_type,
        time_limit_s=time_limit_s(settings.state_machine_type, settings.execution_time_limit_s),
        aggregate_reserve_s=settings.aggregate_reserve_s,
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return coordinator().handle(event)

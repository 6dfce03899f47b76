"""One place that builds the orchestrator for either mode; the API wires its settings into it."""

from __future__ import annotations

from typing import Any, Literal

from app.orchestration.aws import AwsOrchestrator, StateMachineType
from app.orchestration.base import Orchestrator
from app.orchestration.embedded import EmbeddedOrchestrator, build_runner
from app.orchestration.local_sfn import Handler, LocalStepFunctions
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.service import OptionDefaults


def build_orchestrator(
    mode: Literal["embedded", "aws"],
    store: ResultsStore,
    *,
    results_prefix: str,
    region: str = "us-east-2",
    coordinator_function: str = "",
    state_machine_type: StateMachineType = "EXPRESS",
    map_max_concurrency: int = 5,
    max_symbols: int = 500,
    default_window_days: int = 90,
    worker_timeout_s: float = 900.0,
    aggregator_timeout_s: float = 900.0,
    defaults: OptionDefaults = OptionDefaults(),  # noqa: B008 - frozen dataclass
    account_checker: AccountChecker | None = None,
    lambda_client: Any = None,
    sfn_client: Any = None,
    aws_session: Any = None,
    auto_resume: bool = False,
    execution_time_limit_s: float | None = None,
    worker: Handler | None = None,
    aggregator: Handler | None = None,
) -> Orchestrator:
    """`embedded`: the real worker and aggregator handlers in this process; `aws`: the deployed stack.

    `defaults` and `account_checker` serve the in-process coordinator (embedded); on AWS the coordinator Lambda
    has its own (INCLUDE_PLAN_ORDERS, ACCOUNT_PRECHECK, ... in its environment). `worker` and `aggregator`
    (embedded, required): the handlers the runner calls, built with their dependencies. boto3 clients are created here (from `aws_session` when given: a boto3 Session with
    explicit credentials) only when none are handed in. `auto_resume` (AUTO_RESUME, embedded): an execution
    whose process is gone is resumed from its checkpoints instead of being reported FAILED. `execution_time_limit_s`
    (EXECUTION_TIME_LIMIT_S, embedded): the executions' deadline, continued in new runs as EXPRESS ones on AWS.
    """
    if mode == "embedded":
        if worker is None or aggregator is None:
            # Never the Lambdas' defaults: they would read another store and prefix from the environment.
            raise ValueError("embedded orchestration needs the worker and aggregator handlers it runs")
        runner, machine_arn = build_runner(
            worker,
            aggregator,
            runner=LocalStepFunctions(region=region),
            map_max_concurrency=map_max_concurrency,
            worker_timeout_s=worker_timeout_s,
            aggregator_timeout_s=aggregator_timeout_s,
        )
        return EmbeddedOrchestrator(
            runner,
            machine_arn,
            store,
            results_prefix=results_prefix,
            max_symbols=max_symbols,
            default_window_days=default_window_days,
            map_max_concurrency=map_max_concurrency,
            defaults=defaults,
            account_checker=account_checker,
            auto_resume=auto_resume,
            execution_time_limit_s=execution_time_limit_s,
        )
    if mode != "aws":
        raise ValueError(f"unknown orchestration mode {mode!r}: use 'embedded' or 'aws'")
    if not coordinator_function:
        raise ValueError("aws orchestration needs COORD_LAMBDA_NAME (the coordinator function name or ARN)")
    if lambda_client is None or sfn_client is None:
        import boto3

        session = aws_session or boto3.Session()
        lambda_client = lambda_client or session.client("lambda", region_name=region)
        sfn_client = sfn_client or session.client("stepfunctions", region_name=region)
    return AwsOrchestrator(
        lambda_client,
        sfn_client,
        store,
        coordinator_function=coordinator_function,
        results_prefix=results_prefix,
        state_machine_type=state_machine_type,
    )

"""The coordinator Lambda's settings, from its environment (template.yaml sets them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambda_functions.coordinator.deadline import DEFAULT_AGGREGATE_RESERVE_S
from lambda_functions.coordinator.service import DEFAULT_MAP_MAX_CONCURRENCY
from lambda_functions.coordinator.validation import DEFAULT_MAX_SYMBOLS, DEFAULT_WINDOW_DAYS


class CoordinatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    state_machine_arn: str = Field(min_length=1)  # STATE_MACHINE_ARN
    max_symbols: int = Field(default=DEFAULT_MAX_SYMBOLS, ge=1)  # MAX_SYMBOLS
    default_window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=1, le=3650)  # DEFAULT_WINDOW_DAYS
    # The Map's MaxConcurrency (same template parameter): each worker's share of the rate limits follows it.
    map_max_concurrency: int = Field(default=DEFAULT_MAP_MAX_CONCURRENCY, ge=1, le=40)  # MAP_MAX_CONCURRENCY
    include_plan_orders: bool = True  # INCLUDE_PLAN_ORDERS: default of the per-request option
    include_simulation: bool = False  # INCLUDE_SIMULATION: default of the per-request option
    # The execution's deadline (deadline.py): EXPRESS runs end after 5 minutes, so workers stop with checkpoints
    # AGGREGATE_RESERVE_S before; EXECUTION_TIME_LIMIT_S overrides the limit (unset: EXPRESS 300 s, STANDARD none).
    state_machine_type: Literal["EXPRESS", "STANDARD"] = "EXPRESS"  # STATE_MACHINE_TYPE
    execution_time_limit_s: float | None = Field(default=None, gt=0)  # EXECUTION_TIME_LIMIT_S
    aggregate_reserve_s: float = Field(default=DEFAULT_AGGREGATE_RESERVE_S, ge=0)  # AGGREGATE_RESERVE_S
    results_prefix: str = "bitget-results/"  # RESULTS_PREFIX
    aws_default_region: str = "us-east-2"  # AWS_DEFAULT_REGION
    log_level: str = "INFO"  # LOG_LEVEL

    # The account check before each start (ACCOUNT_PRECHECK); the credentials as the worker takes them:
    # BITGET_SECRET_ARN on AWS, else BITGET_API_KEY / BITGET_API_SECRET / BITGET_API_PASSPHRASE.
    account_precheck: bool = True
    bitget_base: str = "https://api.bitget.com"  # BITGET_BASE
    bitget_secret_arn: str = ""
    bitget_api_key: SecretStr = SecretStr("")
    bitget_api_secret: SecretStr = SecretStr("")
    bitget_api_passphrase: SecretStr = SecretStr("")

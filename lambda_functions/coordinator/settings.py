"""The coordinator Lambda's settings, from its environment (template.yaml sets them)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambda_functions.coordinator.validation import DEFAULT_MAX_SYMBOLS, DEFAULT_WINDOW_DAYS


class CoordinatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    state_machine_arn: str = Field(min_length=1)  # STATE_MACHINE_ARN
    max_symbols: int = Field(default=DEFAULT_MAX_SYMBOLS, ge=1)  # MAX_SYMBOLS
    default_window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=1, le=3650)  # DEFAULT_WINDOW_DAYS
    results_prefix: str = "bitget-results/"  # RESULTS_PREFIX
    aws_default_region: str = "us-east-2"  # AWS_DEFAULT_REGION
    log_level: str = "INFO"  # LOG_LEVEL

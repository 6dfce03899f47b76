"""The worker's settings, read once from its environment (the original's names and meaning where it had them).

Page caps: the original defaulted SPOT_MAX_PAGES / FUTURES_MAX_PAGES to 25, which cuts an account at 2,500
orders per stream, silently. Here the default is 20,000 pages (2,000,000 orders per stream) and hitting a cap
never truncates silently: the stream is reported incomplete with reason `max_pages`. The time budget, not
the page cap, is what normally bounds a run.

Rate share: Bitget's limits are per account (UID), so N workers running at once (Step Functions Map with
MaxConcurrency N) must split them. Set WORKER_RATE_SHARE=1/N, or set MAP_MAX_CONCURRENCY=N and leave
WORKER_RATE_SHARE unset to have it derived.

Credentials: on AWS, BITGET_SECRET_ARN names a Secrets Manager secret (JSON `api_key`, `api_secret`,
`passphrase`) that the worker reads once per process (credentials.py, when wiring.py builds its dependencies);
locally or embedded, BITGET_API_KEY / BITGET_API_SECRET / BITGET_API_PASSPHRASE give them directly. Setting both
is a configuration error.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambda_functions.common.bitget.pages import MAX_PAGE_LIMIT


class WorkerSettings(BaseSettings):
    """Environment of the worker Lambda. Validation errors name the variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    bitget_api_key: SecretStr = SecretStr("")
    bitget_api_secret: SecretStr = SecretStr("")
    bitget_api_passphrase: SecretStr = SecretStr("")
    bitget_secret_arn: str = ""  # Secrets Manager secret holding the three above (AWS deployments)
    bitget_base: str = "https://api.bitget.com"
    results_prefix: str = "bitget-results/"  # RESULTS_PREFIX: where the execution's files go in the store
    bitget_timeout: float = Field(
        default=15.0, gt=0
    )  # seconds per request, before the time budget shortens it
    bitget_retries: int = Field(default=6, ge=0, le=10)
    # after the client's retries are spent on a transient failure: pause, then the same page again
    second_passes: int = Field(default=1, ge=0, le=5)
    second_pass_pause_s: float = Field(default=5.0, ge=0)

    spot_max_pages: int = Field(
        default=20000, ge=1, validation_alias=AliasChoices("SPOT_MAX_PAGES", "BITGET_MAX_PAGES")
    )
    futures_max_pages: int = Field(
        default=20000, ge=1, validation_alias=AliasChoices("FUTURES_MAX_PAGES", "BITGET_MAX_PAGES")
    )
    min_page_size: int = Field(default=50, ge=1, le=MAX_PAGE_LIMIT)
    max_page_size: int = Field(
        default=MAX_PAGE_LIMIT,
        ge=1,
        le=MAX_PAGE_LIMIT,
        validation_alias=AliasChoices("MAX_PAGE_SIZE", "BITGET_PAGE_LIMIT"),
    )

    # seconds; used when no Lambda context gives the real deadline
    max_execution_time: float = Field(default=50.0, gt=0)
    budget_safety_margin_s: float = Field(default=3.0, ge=0)  # kept free at the end to write the results
    # Seconds between checkpoints: a crash refetches about this much (checkpointing.py, bench resume)
    checkpoint_interval_s: float = Field(default=2.0, gt=0, le=300)
    # An invocation stopped by its time budget is continued only if the execution's deadline leaves this much
    continuation_min_s: float = Field(default=15.0, ge=0)
    # threads per endpoint path (each path has its own rate limit): enough requests in flight to reach the
    # limit at the latency of the link (20/s at 300 ms needs 6)
    max_concurrent_spot: int = Field(default=6, ge=1, le=32)
    max_concurrent_futures: int = Field(default=4, ge=1, le=32)
    max_shards_per_stream: int = Field(default=64, ge=1, le=1024)
    worker_tmp_dir: str = ""  # where pages are spooled while a symbol is paged (default: the system temp dir)

    enable_circuit_breaker: bool = True
    circuit_breaker_failures: int = Field(default=3, ge=1)
    circuit_breaker_recovery_s: float = Field(default=30.0, gt=0)
    enable_smart_pagination: bool = True
    adaptive_page_sizing: bool = True

    include_simulation: bool = False
    include_plan_orders: bool = True
    markets_ttl_s: float = Field(default=300.0, ge=0)  # how long the spot symbol / contract lists stay cached

    worker_rate_share: float | None = Field(default=None, gt=0, le=1)
    map_max_concurrency: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> WorkerSettings:
        if self.min_page_size > self.max_page_size:
            raise ValueError(
                f"MIN_PAGE_SIZE ({self.min_page_size}) must not exceed MAX_PAGE_SIZE ({self.max_page_size})"
            )
        if not self.bitget_base.startswith(("http://", "https://")):
            raise ValueError("BITGET_BASE must be an http(s) URL")
        self.bitget_secret_arn = self.bitget_secret_arn.strip()
        plain = [
            name
            for name, value in (
                ("BITGET_API_KEY", self.bitget_api_key),
                ("BITGET_API_SECRET", self.bitget_api_secret),
                ("BITGET_API_PASSPHRASE", self.bitget_api_passphrase),
            )
            if value.get_secret_value()
        ]
        if self.bitget_secret_arn and plain:
            raise ValueError(
                f"BITGET_SECRET_ARN is set together with {', '.join(plain)}: give the Bitget credentials either "
                "as a Secrets Manager secret (BITGET_SECRET_ARN) or as BITGET_API_KEY / BITGET_API_SECRET / "
                "BITGET_API_PASSPHRASE, not both"
            )
        return self

    @property
    def rate_share(self) -> float:
        """Fraction of Bitget's per-account limits this worker may use."""
        if self.worker_rate_share is not None:
            return self.worker_rate_share
        if self.map_max_concurrency:
            return 1.0 / self.map_max_concurrency
        return 1.0


def settings_from_environment(**overrides: Any) -> WorkerSettings:
    """WorkerSettings from the environment (and `overrides`); a ValueError naming each bad setting, never
    echoing the input.

    pydantic's ValidationError text repeats the input values, which include the Bitget secret: only each
    error's location and message are kept, and the original is not chained.
    """
    try:
        return WorkerSettings(**overrides)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False, include_context=False)
        ]
        raise ValueError("invalid worker settings: " + "; ".join(problems)) from None

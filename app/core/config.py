"""The service's settings: one object, read once from the environment / `.env` (names of `.env.example`).

Each part picks its mode from configuration, with embedded defaults on a fresh machine:

    orchestration  ORCHESTRATION_MODE=embedded (in-process state machine) | aws (COORD_LAMBDA_NAME)
    results store  RESULTS_STORE=local (RESULTS_DIR, served at /results) | s3 (RESULTS_BUCKET);
                   default: follows the orchestration mode
    database       DATABASE_URL, else MYSQL_* when MYSQL_HOST is set, else SQLite under ./data
    exchange       the sandbox when no BITGET_API_KEY/SECRET/PASSPHRASE are set, else BITGET_BASE (live)

An inconsistent configuration fails at start with `ConfigError`, whose message names the variable and the fix;
values are never echoed (they may be secrets), URLs only with their userinfo masked (app/core/masking.py).
What can only be checked by trying (the database answers, the port is free) is app/core/startup_checks.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.core.masking import mask_url
from lambda_functions.coordinator.validation import (
    DEFAULT_MAX_SYMBOLS,
    DEFAULT_WINDOW_DAYS,
    MAX_SYMBOLS_CEILING,
)

APP_NAME = "Bitget Orders API"
APP_VERSION = "1.0.0"
# GET / and /info's `description` (the original's was Spanish; the OpenAPI page has the long one: app/api/openapi.py)
APP_DESCRIPTION = "Extracts the complete order history of a Bitget account into a database you can query"
DEFAULT_SQLITE_PATH = "./data/bitget_orders.db"
DEFAULT_MAX_REQUEST_BODY_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """The configuration is inconsistent; the message names the variable(s) to fix."""


class Settings(BaseSettings):
    """Everything the API process reads from its environment. Secrets are `SecretStr`: never printed."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The service itself
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Larger request bodies are refused with 413 before they are read whole (a POST /orders body of 500 symbols
    # is about 6 KB).
    max_request_body_bytes: int = Field(DEFAULT_MAX_REQUEST_BODY_BYTES, ge=1024, le=64 * 1024 * 1024)

    # Orchestration
    orchestration_mode: Literal["embedded", "aws"] = "embedded"
    coord_lambda_name: str = ""
    state_machine_type: Literal["EXPRESS", "STANDARD"] = "EXPRESS"
    max_symbols: int = Field(DEFAULT_MAX_SYMBOLS, ge=1, le=MAX_SYMBOLS_CEILING)
    default_window_days: int = Field(DEFAULT_WINDOW_DAYS, ge=1, le=3650)
    map_max_concurrency: int = Field(5, ge=1, le=40)  # Inline Map runs at most 40 iterations at once
    lambda_timeout_seconds: float = Field(900.0, gt=0, le=900)  # embedded: per-invocation limit, as on Lambda
    # Defaults of POST /orders' per-request options (the embedded coordinator's; on AWS the Lambda's own).
    include_plan_orders: bool = True
    include_simulation: bool = False
    # One signed request to Bitget before each execution starts (false: never, e.g. tests with fakes).
    account_precheck: bool = True
    # Embedded: at start-up (and when asked about one), an execution left RUNNING by a process that is gone is
    # resumed from its checkpoints; false: it is reported FAILED "interrupted by a restart of the service".
    auto_resume: bool = True
    # Embedded: an execution's time limit, as EXPRESS's 5 minutes on AWS (unset: none). Its workers stop with
    # checkpoints before it and the service continues the execution in a new run (shows continuations locally).
    execution_time_limit_s: float | None = Field(None, gt=0, le=365 * 24 * 3600)

    # Results store
    results_store: Literal["local", "s3"] | None = None
    results_bucket: str = ""
    results_prefix: str = "bitget-results/"
    results_dir: str = "./data/results"
    results_base_url: str = ""  # default: http://HOST:PORT/results (this service's results route)
    presigned_url_expires: int = Field(3600, ge=60, le=7 * 24 * 3600)
    # Days the results-store objects of a finished execution are kept (0: forever). The local store is swept by
    # the API; on S3 the bucket's lifecycle rule expires them. Database rows are never expired.
    results_retention_days: int = Field(30, ge=0, le=36500)

    # Database
    database_url: SecretStr = SecretStr("")
    mysql_host: str = ""
    mysql_port: int = Field(3306, ge=1, le=65535)
    mysql_user: str = "root"
    mysql_password: SecretStr = SecretStr("")
    mysql_database: str = "bitget_orders"
    auto_migrate: bool = True
    hydration_wait_seconds: float = Field(2.0, ge=0, le=60)
    # The watcher: every WATCH_INTERVAL_S seconds (0: off) it refreshes up to WATCH_BATCH_SIZE executions the
    # database records as unfinished, saving the orders of those that succeeded, as a GET would.
    watch_interval_s: float = Field(5.0, ge=0, le=3600)
    watch_batch_size: int = Field(20, ge=1, le=1000)
    # Embedded mode: an incremental sync of the account every SYNC_INTERVAL_MINUTES (0: off). On AWS, the
    # template's EventBridge schedule (SyncSchedule) does it.
    sync_interval_minutes: int = Field(0, ge=0, le=60 * 24 * 80)

    # AWS
    aws_access_key_id: SecretStr = SecretStr("")
    aws_secret_access_key: SecretStr = SecretStr("")
    aws_default_region: str = "us-east-2"

    # Exchange
    bitget_api_key: SecretStr = SecretStr("")
    bitget_api_secret: SecretStr = SecretStr("")
    bitget_api_passphrase: SecretStr = SecretStr("")
    bitget_base: str = "https://api.bitget.com"
    bitget_timeout: float = Field(15.0, gt=0)
    symbols_cache_seconds: float = Field(300.0, ge=0)

    # The sandbox exchange (used when no Bitget credentials are set)
    sandbox_profile: str = "demo"
    sandbox_seed: int = 42
    sandbox_port: int = Field(0, ge=0, le=65535)  # 0: a free port

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.results_store is None:
            self.results_store = "s3" if self.orchestration_mode == "aws" or self.results_bucket else "local"
        if not self.results_base_url:
            self.results_base_url = f"http://{self.host}:{self.port or 8000}/results"
        problems = _consistency_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Derived choices -------------------------------------------------------------------------------------
    @property
    def has_bitget_credentials(self) -> bool:
        return all(s.get_secret_value() for s in self._bitget_secrets())

    @property
    def exchange_mode(self) -> Literal["sandbox", "live"]:
        return "live" if self.has_bitget_credentials else "sandbox"

    @property
    def database_source(self) -> Literal["DATABASE_URL", "MYSQL_*", "sqlite-default"]:
        if self.database_url.get_secret_value():
            return "DATABASE_URL"
        return "MYSQL_*" if self.mysql_host else "sqlite-default"

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL in use (contains the password: never log it; see `safe_database_url`)."""
        if self.database_source == "DATABASE_URL":
            return self.database_url.get_secret_value()
        if self.database_source == "MYSQL_*":
            url = URL.create(
                "mysql+pymysql",
                username=self.mysql_user,
                password=self.mysql_password.get_secret_value() or None,
                host=self.mysql_host,
                port=self.mysql_port,
                database=self.mysql_database,
                query={"charset": "utf8mb4"},
            )
            return url.render_as_string(hide_password=False)
        return f"sqlite:///{Path(DEFAULT_SQLITE_PATH).resolve()}"

    @property
    def safe_database_url(self) -> str:
        """The database URL with the password masked, fit for logs and /info."""
        return make_url(self.effective_database_url).render_as_string(hide_password=True)

    @property
    def safe_bitget_base(self) -> str:
        """BITGET_BASE with any userinfo masked, fit for logs and /info."""
        return mask_url(self.bitget_base)

    @property
    def safe_results_base_url(self) -> str:
        """RESULTS_BASE_URL with any userinfo masked."""
        return mask_url(self.results_base_url)

    @property
    def database_backend(self) -> str:
        return make_url(self.effective_database_url).get_backend_name()

    def _bitget_secrets(self) -> tuple[SecretStr, SecretStr, SecretStr]:
        return (self.bitget_api_key, self.bitget_api_secret, self.bitget_api_passphrase)


def _consistency_problems(s: Settings) -> list[str]:
    """Every combination of variables that cannot work, each naming the variable to set or change."""
    problems: list[str] = []
    if s.orchestration_mode == "aws":
        if not s.coord_lambda_name:
            problems.append("ORCHESTRATION_MODE=aws needs COORD_LAMBDA_NAME (the coordinator Lambda's name)")
        if not s.results_bucket:
            problems.append("ORCHESTRATION_MODE=aws needs RESULTS_BUCKET (where the Lambdas write results)")
        if s.results_store == "local":
            problems.append(
                "RESULTS_STORE=local cannot be used with ORCHESTRATION_MODE=aws: "
                "the Lambdas cannot write to this machine's disk; set RESULTS_STORE=s3"
            )
    if s.results_store == "s3" and not s.results_bucket and s.orchestration_mode != "aws":
        problems.append("RESULTS_STORE=s3 needs RESULTS_BUCKET")
    names = ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE")
    present = [bool(v.get_secret_value()) for v in s._bitget_secrets()]
    if any(present) and not all(present):
        missing = ", ".join(n for n, ok in zip(names, present, strict=True) if not ok)
        problems.append(
            f"partial Bitget credentials: set {missing} too (or none of the three for the sandbox)"
        )
    for name, value, like in (
        ("BITGET_BASE", s.bitget_base, "https://api.bitget.com"),
        ("RESULTS_BASE_URL", s.results_base_url, "http://127.0.0.1:8000/results"),
    ):
        problem = _http_url_problem(value)
        if problem:
            problems.append(f"{name} {problem}: write it like {like}")
    if s.database_url.get_secret_value():
        problems.extend(_database_url_problems(s.database_url.get_secret_value()))
    return problems


def _http_url_problem(value: str) -> str | None:
    """Why `value` is not a usable http(s) URL with a host, or None. Never quotes userinfo."""
    shown = repr(mask_url(value)[:80])
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError:
        return f"is not a valid URL ({shown})"
    if parts.scheme not in ("http", "https"):
        return f"must be an http(s) URL, got {shown}"
    if not parts.hostname:
        return f"has no host ({shown})"
    return None


def _database_url_problems(value: str) -> list[str]:
    example = (
        "mysql+pymysql://user:password@localhost:3306/bitget_orders or sqlite:///./data/bitget_orders.db"
    )
    try:
        url = make_url(value)
    except ArgumentError:
        return [f"DATABASE_URL is not a valid SQLAlchemy URL: write it like {example}"]
    if url.get_backend_name() in ("mysql", "mariadb") and not url.host:
        shown = url.render_as_string(hide_password=True)
        return [f"DATABASE_URL has no host ({shown!r}): write it like {example}"]
    return []


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (plus overrides); raises ConfigError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """One line per problem, naming the environment variable; input values are left out (may be secrets)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        variable = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}: {message}" if variable else message)
    return "invalid configuration: " + "; ".join(lines)

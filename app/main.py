"""The FastAPI application: `create_app(settings)` plus a lifespan that builds every part once.

At start (each choice logged): migrations (AUTO_MIGRATE), the database engine, the results store, the exchange
(the sandbox on loopback when no Bitget credentials are set), the orchestrator, the Bitget client for /symbols,
and two background tasks: the watcher that saves the orders of executions that ended (WATCH_INTERVAL_S) and,
with the local results store, the results retention sweep (RESULTS_RETENTION_DAYS). At shutdown, the reverse
(the background tasks stop first). `uvicorn app.main:app` builds the app from the environment on first
access.

Embedded mode runs the worker and aggregator handlers in this process. On Lambda they build their dependencies
from their own environment (lambda_functions/*/settings.py); here they are built as objects over the API's
instead (`WorkerFunction`, `AggregatorFunction`), so they use the same results store, exchange (the sandbox URL
and credentials) and RESULTS_PREFIX as the API. Nothing is written to os.environ: AWS keys configured in .env
reach boto3 through an explicit Session.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from app.api.deps import Runtime
from app.api.routes import account_sync, accounts, fills, health, orders, results, symbols
from app.api.surface import install_surface
from app.core.config import APP_DESCRIPTION, APP_NAME, APP_VERSION, Settings, load_settings
from app.core.db import make_engine, make_session_factory, run_migrations
from app.core.masking import mask_url
from app.orchestration.base import (
    AccountRejectedError,
    ExecutionConflictError,
    ExecutionNotFoundError,
    ExtractionOptions,
    InvalidRequestError,
    OrchestrationError,
    Orchestrator,
)
from app.orchestration.factory import build_orchestrator
from app.schemas.health import StartupInfo
from app.schemas.orders import OrdersStartedResponse
from app.services.account_sync import SyncScheduler, sync_info
from app.services.database import Database, open_database
from app.services.execution_control import ExecutionControl
from app.services.execution_removal import ExecutionBusyError
from app.services.execution_watcher import ExecutionWatcher
from app.services.health_service import HealthChecks
from app.services.ledger_reads.account_pages import InvalidFiltersError
from app.services.ledger_reads.cursors import InvalidCursorError
from app.services.ledger_reads.summaries import AccountNotFoundError
from app.services.orders_service import OrdersService
from app.services.periodic import PeriodicTask
from app.services.retention import SWEEP_INTERVAL_S, expire_results
from app.services.symbols_service import SymbolsClient, SymbolsService
from app.ui import install_ui
from lambda_functions.common.config import StoreSettings, build_results_store
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.coordinator.account_check import AccountChecker
from lambda_functions.coordinator.service import OptionDefaults

if TYPE_CHECKING:
    from lambda_functions.aggregator.app import AggregatorFunction
    from lambda_functions.worker.app import WorkerFunction

log = logging.getLogger("app")


@dataclass(frozen=True)
class Exchange:
    mode: str  # "sandbox" | "live"
    base_url: str
    api_key: str = field(default="", repr=False)
    api_secret: str = field(default="", repr=False)
    passphrase: str = field(default="", repr=False)


@dataclass
class Overrides:
    """Parts handed in instead of built (tests, benchmarks)."""

    orchestrator: Orchestrator | None = None
    symbols_client: SymbolsClient | None = None
    store: ResultsStore | None = None
    exchange: Exchange | None = None  # e.g. a sandbox the caller already runs


def create_app(settings: Settings | None = None, *, overrides: Overrides | None = None) -> FastAPI:
    """The application for `settings` (default: from the environment; ConfigError names a bad variable)."""
    settings = settings or load_settings()
    overrides = overrides or Overrides()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:
            app.state.runtime = build_runtime(settings, overrides, stack)
            yield

    app = FastAPI(
        title=APP_NAME,
        version=APP_VERSION,
        description=APP_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are app.ui's, with their assets served here (no CDN)
        redoc_url=None,
    )
    for module in (health, orders, accounts, account_sync, fills, symbols, results):
        app.include_router(module.router)
    install_ui(app)
    _add_error_handlers(app)
    install_surface(app, settings)  # body limit, JSON guard, bounded errors, the OpenAPI description
    return app


def _add_error_handlers(app: FastAPI) -> None:
    def handler(status: int) -> Any:
        async def respond(_request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc.args[0]) if exc.args else type(exc).__name__}, status)

        return respond

    async def account_rejected(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AccountRejectedError)
        return JSONResponse(exc.body(), exc.status_code)

    app.add_exception_handler(InvalidRequestError, handler(400))
    app.add_exception_handler(InvalidCursorError, handler(400))
    app.add_exception_handler(ExecutionNotFoundError, handler(404))
    app.add_exception_handler(AccountNotFoundError, handler(404))
    app.add_exception_handler(InvalidFiltersError, handler(400))
    app.add_exception_handler(ExecutionBusyError, handler(409))
    app.add_exception_handler(ExecutionConflictError, handler(409))
    app.add_exception_handler(AccountRejectedError, account_rejected)
    app.add_exception_handler(OrchestrationError, handler(502))


def build_runtime(settings: Settings, overrides: Overrides, stack: ExitStack) -> Runtime:
    """Every long-lived part, built once; `stack` closes them in reverse order at shutdown."""
    configure_json_logging(settings.log_level)
    aws_session = _aws_session(settings)
    db, engine = _database(settings, stack)
    store = overrides.store or _results_store(settings, aws_session)
    log.info("results store: %s (%s)", settings.results_store, _store_location(settings))
    needs_exchange = overrides.orchestrator is None or overrides.symbols_client is None
    exchange = overrides.exchange or (_exchange(settings, stack) if needs_exchange else Exchange("none", ""))
    checker = _account_checker(settings, exchange, stack)
    orchestrator = overrides.orchestrator or _orchestrator(
        settings, store, exchange, checker, stack, aws_session
    )
    log.info("orchestration: %s", orchestrator.mode)
    symbols_client = overrides.symbols_client or _symbols_client(settings, exchange, stack)
    health = HealthChecks(
        engine,
        store,
        settings.results_prefix,
        _exchange_probe(exchange, symbols_client, stack),
        account=checker.check if checker is not None else None,
    )
    orders = OrdersService(
        orchestrator,
        db,
        store,
        results_prefix=settings.results_prefix,
        max_symbols=settings.max_symbols,
        window_days=settings.default_window_days,
        hydration_wait_s=settings.hydration_wait_seconds,
    )
    control = ExecutionControl(orders)
    _resume_interrupted(settings, control)
    return Runtime(
        settings=settings,
        store=store,
        db=db,
        orders=orders,
        control=control,
        tasks=_background_tasks(settings, orders, db, store, stack, control),
        symbols=SymbolsService(
            symbols_client,
            cache_seconds=settings.symbols_cache_seconds,
            exchange_info={"exchange": exchange.mode, "base_url": mask_url(exchange.base_url)},
        ),
        exchange_base_url=exchange.base_url,
        info=_info(settings, orchestrator, exchange),
        health=health,
    )


def _resume_interrupted(settings: Settings, control: ExecutionControl) -> None:
    """Embedded, AUTO_RESUME: executions recorded RUNNING whose process is gone get a new run (each logged)."""
    if settings.orchestration_mode != "embedded" or not settings.auto_resume:
        return
    try:
        resumed = control.resume_interrupted()
    except Exception:  # e.g. the database is down: the watcher's describes resume them later
        log.exception("auto-resume at start-up failed")
        return
    if resumed:
        log.info("auto-resume: %s interrupted execution(s) resumed", len(resumed))


def _background_tasks(
    settings: Settings,
    orders: OrdersService,
    db: Database,
    store: ResultsStore,
    stack: ExitStack,
    control: ExecutionControl | None = None,
) -> dict[str, PeriodicTask]:
    """The watcher (WATCH_INTERVAL_S > 0) and, for the local results store, the retention sweep
    (RESULTS_RETENTION_DAYS > 0; on S3 the bucket's lifecycle rule expires results). Registered last on the
    stack, so they stop before the parts they use are closed."""
    tasks: dict[str, PeriodicTask] = {}
    if settings.watch_interval_s > 0:
        watcher = ExecutionWatcher(orders, db, batch_size=settings.watch_batch_size, control=control)
        tasks["watcher"] = PeriodicTask("watch-executions", settings.watch_interval_s, watcher.tick)
        log.info(
            "watcher: every %ss, up to %s unfinished executions",
            settings.watch_interval_s,
            settings.watch_batch_size,
        )
    if settings.results_retention_days > 0 and settings.results_store == "local":

        def sweep() -> None:
            expire_results(
                store,
                settings.results_prefix,
                retention_days=settings.results_retention_days,
                awaiting_save=db.executions.names_awaiting_save,
            )

        tasks["retention"] = PeriodicTask("expire-results", SWEEP_INTERVAL_S, sweep)
        log.info("results retention: %s days (swept hourly)", settings.results_retention_days)
    if settings.sync_interval_minutes > 0:
        tasks["sync"] = _sync_task(settings, orders, store)
    for task in tasks.values():
        task.start()
        stack.callback(task.stop)
    return tasks


def _sync_task(settings: Settings, orders: OrdersService, store: ResultsStore) -> PeriodicTask:
    """SYNC_INTERVAL_MINUTES: the account's incremental sync on a schedule, warning before history is lost."""
    interval_s = settings.sync_interval_minutes * 60
    account: dict[str, str] = {}

    def start(options: ExtractionOptions) -> OrdersStartedResponse:
        started = orders.start(None, None, None, options)
        if started.account_id:
            account["id"] = started.account_id
        return started

    def warn() -> str | None:
        if "id" not in account:
            return None
        now_ms = int(time.time() * 1000)
        info = sync_info(
            store, settings.results_prefix, account["id"], now_ms, settings.sync_interval_minutes
        )
        return info.warning if info is not None else None

    def is_running(arn: str) -> bool:
        return orders.status(arn).status == "RUNNING"

    scheduler = SyncScheduler(start, is_running, warn)
    log.info("account sync: every %s minutes", settings.sync_interval_minutes)
    return PeriodicTask("account-sync", interval_s, scheduler.tick, first_delay_s=min(60.0, interval_s))


def _aws_session(settings: Settings) -> Any:
    """A boto3 Session holding the AWS keys configured in .env, which boto3 itself does not read; None when the
    environment has its own (they win, with their session token) or none are configured: boto3's own chain."""
    key, secret = settings.aws_access_key_id, settings.aws_secret_access_key
    if not (key.get_secret_value() and secret.get_secret_value()) or os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    import boto3

    return boto3.Session(
        aws_access_key_id=key.get_secret_value(), aws_secret_access_key=secret.get_secret_value()
    )


def _database(settings: Settings, stack: ExitStack) -> tuple[Database, Engine]:
    url = settings.effective_database_url
    log.info("database: %s from %s", settings.safe_database_url, settings.database_source)
    if settings.auto_migrate:
        run_migrations(url)
    engine = make_engine(url)
    stack.callback(engine.dispose)
    db = open_database(make_session_factory(engine))
    # Let a running hydration commit its chunk before the engine goes.
    stack.callback(db.hydration.join_background, 5.0)
    return db, engine


def store_settings(settings: Settings) -> StoreSettings:
    return StoreSettings(
        _env_file=None,
        results_store=settings.results_store,
        results_bucket=settings.results_bucket,
        results_prefix=settings.results_prefix,
        results_dir=settings.results_dir,
        results_base_url=settings.results_base_url,
        aws_default_region=settings.aws_default_region,
    )


def _results_store(settings: Settings, aws_session: Any) -> ResultsStore:
    return build_results_store(store_settings(settings), session=aws_session)


def _store_location(settings: Settings) -> str:
    if settings.results_store == "s3":
        return f"s3://{settings.results_bucket}/{settings.results_prefix}"
    return f"{os.path.abspath(settings.results_dir)}, served at {settings.safe_results_base_url}"


def _exchange(settings: Settings, stack: ExitStack) -> Exchange:
    if settings.has_bitget_credentials:
        log.info("exchange: LIVE Bitget at %s (credentials configured)", settings.safe_bitget_base)
        return Exchange(
            "live",
            settings.bitget_base,
            settings.bitget_api_key.get_secret_value(),
            settings.bitget_api_secret.get_secret_value(),
            settings.bitget_api_passphrase.get_secret_value(),
        )
    from sandbox.server import SandboxServer

    server = SandboxServer(
        profile=settings.sandbox_profile, seed=settings.sandbox_seed, port=settings.sandbox_port
    )
    server.start()
    stack.callback(server.stop)
    creds = server.credentials
    log.warning(
        "exchange: SANDBOX at %s (profile %s, seed %s): no BITGET_API_KEY/SECRET/PASSPHRASE set, "
        "orders are synthetic demo data",
        server.base_url,
        settings.sandbox_profile,
        settings.sandbox_seed,
    )
    return Exchange("sandbox", server.base_url, creds.api_key, creds.api_secret, creds.passphrase)


def _account_checker(settings: Settings, exchange: Exchange, stack: ExitStack) -> AccountChecker | None:
    """The authenticated check of the account this process extracts (embedded), or that its API credentials
    name (aws, when configured here; the coordinator Lambda checks with its own before every start)."""
    if not exchange.api_key or (settings.orchestration_mode == "aws" and exchange.mode != "live"):
        return None
    from lambda_functions.common.bitget import Credentials

    checker = AccountChecker(
        exchange.base_url, Credentials(exchange.api_key, exchange.api_secret, exchange.passphrase)
    )
    stack.callback(checker.close)
    return checker


def _orchestrator(
    settings: Settings,
    store: ResultsStore,
    exchange: Exchange,
    checker: AccountChecker | None,
    stack: ExitStack,
    aws_session: Any,
) -> Orchestrator:
    worker, aggregator = (
        _embedded_functions(settings, store, exchange, stack)
        if settings.orchestration_mode == "embedded"
        else (None, None)
    )
    orchestrator = build_orchestrator(
        settings.orchestration_mode,
        store,
        results_prefix=settings.results_prefix,
        region=settings.aws_default_region,
        coordinator_function=settings.coord_lambda_name,
        state_machine_type=settings.state_machine_type,
        map_max_concurrency=settings.map_max_concurrency,
        max_symbols=settings.max_symbols,
        default_window_days=settings.default_window_days,
        worker_timeout_s=settings.lambda_timeout_seconds,
        aggregator_timeout_s=settings.lambda_timeout_seconds,
        defaults=OptionDefaults(settings.include_plan_orders, settings.include_simulation),
        account_checker=checker if settings.account_precheck else None,
        auto_resume=settings.auto_resume,
        execution_time_limit_s=settings.execution_time_limit_s,
        worker=worker,
        aggregator=aggregator,
        aws_session=aws_session,
    )
    close = getattr(orchestrator, "close", None)
    if close is not None:
        stack.callback(close)  # embedded: its executions now count as interrupted; the runner forgets them
    return orchestrator


def _embedded_functions(
    settings: Settings, store: ResultsStore, exchange: Exchange, stack: ExitStack
) -> tuple[WorkerFunction, AggregatorFunction]:
    """The in-process worker and aggregator, handed the API's store and exchange (the sandbox URL and
    credentials) and its RESULTS_PREFIX; the worker's other settings come from the environment, as on Lambda."""
    from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
    from lambda_functions.aggregator.settings import AggregatorSettings
    from lambda_functions.common.bitget import RateLimiter
    from lambda_functions.worker.app import WorkerFunction
    from lambda_functions.worker.limiter_pool import LimiterPool
    from lambda_functions.worker.settings import settings_from_environment
    from lambda_functions.worker.wiring import build_dependencies, http_session

    worker_settings = settings_from_environment(  # errors never echo the credentials
        results_prefix=settings.results_prefix,
        bitget_base=exchange.base_url,
        bitget_api_key=exchange.api_key,
        bitget_api_secret=exchange.api_secret,
        bitget_api_passphrase=exchange.passphrase,
        bitget_timeout=settings.bitget_timeout,
        map_max_concurrency=settings.map_max_concurrency,
        # The coordinator puts both options in every worker event; these only serve direct invokes.
        include_plan_orders=settings.include_plan_orders,
        include_simulation=settings.include_simulation,
    )
    # In one process every worker invocation, of every concurrent execution, spends the same account's
    # budget: one limiter at the full published limits keeps them together under it whatever the number
    # of executions, and lends an idle worker's share to the busy ones. Separate Lambdas cannot share a
    # limiter and take the coordinator's fixed `rate_share` instead (1 / the workers running at once); the
    # shared pool ignores it, since N such shares would exceed the account limit as soon as two executions
    # overlap.
    session = stack.enter_context(http_session())  # the worker's connections close with the app
    deps = build_dependencies(
        worker_settings, store, session=session, limiters=LimiterPool.shared(RateLimiter())
    )
    aggregator_settings = AggregatorSettings(
        results_prefix=settings.results_prefix, presigned_url_expires=settings.presigned_url_expires
    )
    return WorkerFunction(deps), AggregatorFunction(Dependencies(store=store, settings=aggregator_settings))


def _symbols_client(settings: Settings, exchange: Exchange, stack: ExitStack) -> SymbolsClient:
    from lambda_functions.common.bitget import BitgetClient

    client = BitgetClient(exchange.base_url, timeout_s=settings.bitget_timeout)  # public endpoints: no keys
    stack.callback(client.close)
    return client


def _exchange_probe(
    exchange: Exchange, symbols_client: SymbolsClient, stack: ExitStack
) -> Callable[[], Any] | None:
    """Asks the exchange for its server time: quickly (2 s, no retry), so /info answers fast when it is down."""
    if exchange.base_url:
        from lambda_functions.common.bitget import BitgetClient, RetryPolicy

        client = BitgetClient(exchange.base_url, timeout_s=2.0, retry=RetryPolicy(retries=0))
        stack.callback(client.close)
        return client.server_time_ms
    return getattr(symbols_client, "server_time_ms", None)  # an injected client (tests) may offer it


def _info(settings: Settings, orchestrator: Orchestrator, exchange: Exchange) -> StartupInfo:
    """What GET /info shows: modes and non-secret settings (the DB URL with its password masked)."""
    exchange_info: dict[str, Any] = {
        "mode": exchange.mode,
        "base_url": exchange.base_url,
        "credentials_configured": settings.has_bitget_credentials,
    }
    if exchange.mode == "sandbox":
        exchange_info["warning"] = "SANDBOX exchange: synthetic demo orders, not your Bitget account"
    return StartupInfo(
        configuration={
            "aws_region": settings.aws_default_region,
            "mysql_host": settings.mysql_host or None,
            "mysql_port": settings.mysql_port,
            "mysql_database": settings.mysql_database,
            "log_level": settings.log_level,
            "include_plan_orders": settings.include_plan_orders,
            "include_simulation": settings.include_simulation,
            "account_precheck": settings.account_precheck,
            "auto_resume": settings.auto_resume,
        },
        modes={
            "orchestration": orchestrator.mode,
            "results_store": settings.results_store,
            "database": settings.database_backend,
            "exchange": exchange.mode,
        },
        exchange=exchange_info,
        results_store={
            "kind": settings.results_store,
            "prefix": settings.results_prefix,
            "bucket": settings.results_bucket or None,
            "directory": os.path.abspath(settings.results_dir) if settings.results_store == "local" else None,
            "base_url": settings.results_base_url if settings.results_store == "local" else None,
        },
        database={
            "backend": settings.database_backend,
            "url": settings.safe_database_url,
            "source": settings.database_source,
        },
        account={"status": "not_checked", "message": NOT_CHECKED[settings.orchestration_mode == "aws"]},
    )


NOT_CHECKED = {
    False: "no Bitget credentials in this process: the account cannot be checked here",
    True: "aws mode: the coordinator Lambda checks the account with its own credentials (BITGET_SECRET_ARN) "
    "before each execution; set BITGET_API_KEY/SECRET/PASSPHRASE here to check it from /info too",
}


def __getattr__(name: str) -> Any:
    """`app.main.app`, built from the environment on first access (`uvicorn app.main:app`)."""
    if name == "app":
        globals()["app"] = application = create_app()
        return application
    raise AttributeError(name)

"""Worker Lambda: extract every order of one symbol into the results store and return a compact summary.

Event: {"symbol": "BTCUSDT", "execution": "<name>", "start_ms": int?, "end_ms": int?} (default window: the
last 90 days); `symbol` may be an account unit (`ALL_SPOT`, `ALL_FUTURES`) with its `scope`
(common/account_scope.py). Data problems (unknown symbol, rate limits, timeouts, Bitget errors) never raise: they are
categorised in the summary. An invalid event (ValueError) or any other exception becomes a bounded error
item `{"symbol", "error": {"Error", "Cause"}}` (common/map_items.py), like the Map's Catch.

Dependencies that warm invocations reuse (settings, HTTP session, results store, market lists, circuit
breaker, rate limiters) are built once per process; tests replace them with `set_dependencies`. Each
invocation gets its own client (its own counters) and borrows one rate limiter (limiter_pool.py), shared
by its threads and sized by WORKER_RATE_SHARE.

Credentials: with BITGET_SECRET_ARN set (AWS deployments) the Secrets Manager secret is read once, when the
dependencies are built at cold start; otherwise BITGET_API_KEY / BITGET_API_SECRET / BITGET_API_PASSPHRASE.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from lambda_functions.common import account_mode
from lambda_functions.common.account_scope import ACCOUNT_UNITS, AccountScope, is_account_unit
from lambda_functions.common.bitget import BitgetClient, Credentials, RateLimiter, RetryPolicy
from lambda_functions.common.bitget.session import pooled_session
from lambda_functions.common.config import StoreSettings, default_results_store
from lambda_functions.common.execution_names import is_execution_name
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.common.map_items import reports_errors_as_items
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.symbols import is_symbol
from lambda_functions.worker.budget import Clock, TimeBudget
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.extraction import Extraction, WorkerRequest, extract_symbol
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.settings import WorkerSettings, settings_from_environment

_SECRET_FIELDS = ("api_key", "api_secret", "passphrase")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$")


@dataclass
class Dependencies:
    settings: WorkerSettings
    store: ResultsStore
    results_prefix: str
    catalog: MarketCatalog
    breaker: CircuitBreaker
    limiters: LimiterPool  # one limiter lent to each invocation, kept across invocations
    make_client: Callable[[RateLimiter], Any]  # a client for one invocation (own counters, shared session)
    clock: Clock


_deps: Dependencies | None = None
_deps_lock = threading.Lock()


def credentials(settings: WorkerSettings, secrets_client: Any = None) -> Credentials | None:
    """The API credentials, or None when not configured (signed calls then fail with an auth error).

    With BITGET_SECRET_ARN they come from Secrets Manager (one GetSecretValue call); callers build them once.
    """
    if settings.bitget_secret_arn:
        return secret_credentials(settings.bitget_secret_arn, secrets_client)
    key = settings.bitget_api_key.get_secret_value()
    if not key:
        return None
    return Credentials(
        api_key=key,
        api_secret=settings.bitget_api_secret.get_secret_value(),
        passphrase=settings.bitget_api_passphrase.get_secret_value(),
    )


def secret_credentials(arn: str, secrets_client: Any = None) -> Credentials:
    """Credentials from the Secrets Manager secret `arn`, whose SecretString is JSON
    {"api_key": ..., "api_secret": ..., "passphrase": ...}. Errors name the secret and the problem, never
    its value."""
    where = f"Bitget secret {arn} (BITGET_SECRET_ARN)"
    if secrets_client is None:
        import boto3

        match = _SECRET_ARN.match(arn)
        region = match.group(1) if match else StoreSettings().aws_default_region
        secrets_client = boto3.client("secretsmanager", region_name=region)
    try:
        response = secrets_client.get_secret_value(SecretId=arn)
    except Exception as exc:  # botocore ClientError / connection errors: their text never holds the value
        error = getattr(exc, "response", None)
        error = error.get("Error", {}) if isinstance(error, dict) else {}
        reason = ": ".join(str(part) for part in (error.get("Code"), error.get("Message")) if part)
        raise ValueError(f"could not read the {where}: {reason or type(exc).__name__}") from None
    text = response.get("SecretString")
    if not isinstance(text, str):
        raise ValueError(f"the {where} has no SecretString; store JSON with keys {', '.join(_SECRET_FIELDS)}")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValueError(
            f"the {where} is not a JSON object; store JSON with keys {', '.join(_SECRET_FIELDS)}"
        ) from None
    bad = [name for name in _SECRET_FIELDS if not isinstance(data.get(name), str) or not data[name].strip()]
    if bad:
        raise ValueError(f"the {where} lacks non-empty string values for: {', '.join(bad)}")
    return Credentials(
        api_key=data["api_key"].strip(),
        api_secret=data["api_secret"].strip(),
        passphrase=data["passphrase"].strip(),
    )


def client_factory(
    settings: WorkerSettings, session: requests.Session | None = None, secrets_client: Any = None
) -> Callable[[RateLimiter], Any]:
    """Clients for single invocations (own counters) sharing one HTTP session (warm connections).

    The credentials (from the secret when BITGET_SECRET_ARN is set) are resolved here, once."""
    creds = credentials(settings, secrets_client)
    retry = RetryPolicy(retries=settings.bitget_retries)

    def make(limiter: RateLimiter) -> BitgetClient:
        return BitgetClient(
            settings.bitget_base,
            creds,
            timeout_s=settings.bitget_timeout,
            retry=retry,
            limiter=limiter,
            session=session,
        )

    return make


def http_session() -> requests.Session:
    """A pooled session for all invocations of this process; retries are the client's, never urllib3's."""
    return pooled_session(pool_maxsize=32)


def build_dependencies(
    settings: WorkerSettings | None = None,
    store: ResultsStore | None = None,
    secrets_client: Any = None,
) -> Dependencies:
    """Everything warm invocations share; reads the Bitget secret (when configured) exactly once."""
    settings = settings or settings_from_environment()
    clock = Clock()
    return Dependencies(
        settings=settings,
        store=store or default_results_store(),
        results_prefix=StoreSettings().results_prefix,
        catalog=MarketCatalog(settings.markets_ttl_s, monotonic=clock.monotonic),
        breaker=CircuitBreaker(
            settings.circuit_breaker_failures,
            settings.circuit_breaker_recovery_s,
            enabled=settings.enable_circuit_breaker,
            monotonic=clock.monotonic,
        ),
        limiters=LimiterPool(lambda share: RateLimiter(share=share), settings.rate_share),
        make_client=client_factory(settings, http_session(), secrets_client),
        clock=clock,
    )


def dependencies() -> Dependencies:
    """The process-wide dependencies, built on first use."""
    global _deps
    with _deps_lock:
        if _deps is None:
            _deps = build_dependencies()
        return _deps


def set_dependencies(deps: Dependencies | None) -> None:
    """Replace (or with None, reset) the process-wide dependencies; for tests and embedded runs."""
    global _deps
    with _deps_lock:
        _deps = deps


def parse_event(event: Any) -> WorkerRequest:
    """The worker event as a typed request; ValueError naming the problem when it is malformed."""
    if not isinstance(event, dict):
        raise ValueError(f"worker event must be a JSON object, got {type(event).__name__}")
    symbol = event.get("symbol")
    if not isinstance(symbol, str) or not is_symbol(symbol.strip().upper()):
        raise ValueError(f"'symbol' must be a Bitget symbol like BTCUSDT, got {symbol!r}")
    execution = event.get("execution")
    if not is_execution_name(execution):
        raise ValueError(
            f"'execution' must be an execution name (1-80 letters, digits, - and _), got {execution!r}"
        )
    bounds = {}
    for name in ("start_ms", "end_ms"):
        value = event.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"'{name}' must be a non-negative integer of milliseconds, got {value!r}")
        bounds[name] = value
    start, end = bounds["start_ms"], bounds["end_ms"]
    if start is not None and end is not None and start >= end:
        raise ValueError(f"'start_ms' ({start}) must be before 'end_ms' ({end})")
    scope = AccountScope.from_json(event.get("scope"))
    if scope is not None and not is_account_unit(symbol.strip().upper()):
        raise ValueError(f"'scope' is for the account units {', '.join(ACCOUNT_UNITS)}, not {symbol!r}")
    deadline = event.get("deadline_ms")
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, int) or deadline <= 0
    ):
        raise ValueError(
            f"'deadline_ms' must be a positive integer of epoch milliseconds or null, got {deadline!r}"
        )
    return WorkerRequest(
        symbol.strip().upper(),
        execution,
        start,
        end,
        rate_share=_optional_share(event),
        deadline_ms=deadline,
        resume=_optional_bool(event, "resume") or False,
        include_plan_orders=_optional_bool(event, "include_plan_orders"),
        include_simulation=_optional_bool(event, "include_simulation"),
        include_fills=_optional_bool(event, "include_fills"),
        account_mode=account_mode.checked(event.get("account_mode")),
        scope=scope,
    )


def _optional_bool(event: dict[str, Any], name: str) -> bool | None:
    value = event.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"'{name}' must be true, false or absent, got {value!r}")
    return value


def _optional_share(event: dict[str, Any]) -> float | None:
    value = event.get("rate_share")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(f"'rate_share' must be a number in (0, 1], got {value!r}")
    return float(value)


@reports_errors_as_items  # an exception becomes a bounded error item (common/map_items.py)
def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: parse, extract with the injected dependencies, return the summary."""
    configure_json_logging()
    request = parse_event(event)
    deps = dependencies()
    with deps.limiters.lend(request.rate_share) as limiter:
        return extract_symbol(request, _extraction(deps, limiter, context, request.deadline_ms))


def _extraction(
    deps: Dependencies, limiter: RateLimiter, context: Any, deadline_ms: int | None
) -> Extraction:
    settings = deps.settings
    return Extraction(
        client=deps.make_client(limiter),
        store=deps.store,
        settings=settings,
        catalog=deps.catalog,
        breaker=deps.breaker,
        budget=TimeBudget.for_invocation(
            context,
            max_execution_s=settings.max_execution_time,
            request_timeout_s=settings.bitget_timeout,
            safety_margin_s=settings.budget_safety_margin_s,
            monotonic=deps.clock.monotonic,
            deadline_s=None if deadline_ms is None else (deadline_ms - deps.clock.wall_ms()) / 1000,
        ),
        clock=deps.clock,
        results_prefix=deps.results_prefix,
    )

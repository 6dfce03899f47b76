"""The worker's dependencies: what warm invocations share, built once from the settings and handed to
`WorkerFunction` (app.py).

The HTTP session is pooled (common/bitget/session.py) so warm invocations reuse their connections; each
invocation gets its own client (its own counters) over it and borrows one rate limiter (limiter_pool.py),
shared by its threads and sized by WORKER_RATE_SHARE. The Bitget secret (when BITGET_SECRET_ARN is set) is read
here, once (credentials.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from lambda_functions.common.bitget import BitgetClient, RateLimiter, RetryPolicy
from lambda_functions.common.bitget.session import pooled_session
from lambda_functions.common.config import default_results_store
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.worker.budget import Clock
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.credentials import credentials
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.settings import WorkerSettings, settings_from_environment


@dataclass
class Dependencies:
    settings: WorkerSettings
    store: ResultsStore
    catalog: MarketCatalog
    breaker: CircuitBreaker
    limiters: LimiterPool  # one limiter lent to each invocation, kept across invocations
    make_client: Callable[[RateLimiter], Any]  # a client for one invocation (own counters, shared session)
    clock: Clock


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
    *,
    session: requests.Session | None = None,
    limiters: LimiterPool | None = None,
) -> Dependencies:
    """Everything warm invocations share; reads the Bitget secret (when configured) exactly once. `session` and
    `limiters` default to a pooled session this process keeps and a pool sized by WORKER_RATE_SHARE; a host
    that outlives its worker (the API, embedded) hands in a session it closes and the account-wide limiter."""
    settings = settings or settings_from_environment()
    clock = Clock()
    return Dependencies(
        settings=settings,
        store=store or default_results_store(),
        catalog=MarketCatalog(settings.markets_ttl_s, monotonic=clock.monotonic),
        breaker=CircuitBreaker(
            settings.circuit_breaker_failures,
            settings.circuit_breaker_recovery_s,
            enabled=settings.enable_circuit_breaker,
            monotonic=clock.monotonic,
        ),
        limiters=limiters or LimiterPool(lambda share: RateLimiter(share=share), settings.rate_share),
        make_client=client_factory(settings, session or http_session(), secrets_client),
        clock=clock,
    )

"""Worker Lambda: extract every order of one symbol into the results store and return a compact summary.

Event (events.py): {"symbol": "BTCUSDT", "execution": "<name>", "start_ms": int?, "end_ms": int?} (default
window: the last 90 days); `symbol` may be an account unit (`ALL_SPOT`, `ALL_FUTURES`) with its `scope`
(common/account_scope.py). Data problems (unknown symbol, rate limits, timeouts, Bitget errors) never raise: they
are categorised in the summary. An invalid event (ValueError) or any other exception becomes a bounded error
item `{"symbol", "error": {"Error", "Cause"}}` (common/map_items.py), like the Map's Catch.

`WorkerFunction(deps)` is the handler bound to its dependencies (wiring.py): the embedded mode builds one from
the API's store and exchange, tests from fakes. On AWS, `handler` builds the default one from the environment on
the first invocation, so warm invocations reuse its session, market lists, breaker and limiters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.common.logs import configure_json_logging
from lambda_functions.common.map_items import reports_errors_as_items
from lambda_functions.worker.budget import TimeBudget
from lambda_functions.worker.events import parse_event
from lambda_functions.worker.extraction import Extraction, extract_symbol
from lambda_functions.worker.wiring import Dependencies, build_dependencies


class WorkerFunction:
    """The worker handler over explicit dependencies: call it as `(event, context)`."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self._handle = reports_errors_as_items(self._extract)  # exceptions become bounded error items

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        configure_json_logging()
        result: dict[str, Any] = self._handle(event, context)
        return result

    def _extract(self, event: Any, context: Any) -> dict[str, Any]:
        request = parse_event(event)
        with self.deps.limiters.lend(request.rate_share) as limiter:
            return extract_symbol(request, self._extraction(limiter, context, request.deadline_ms))

    def _extraction(self, limiter: RateLimiter, context: Any, deadline_ms: int | None) -> Extraction:
        deps, settings = self.deps, self.deps.settings
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
        )


@cache
def default_function() -> WorkerFunction:
    """The Lambda's worker, built from the environment on first use (the Bitget secret is read then)."""
    return WorkerFunction(build_dependencies())


@reports_errors_as_items  # a failure to build the dependencies (e.g. an unreadable secret) too
def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point (template.yaml): the default worker."""
    return default_function()(event, context)

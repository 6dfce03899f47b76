"""Extract every order of one symbol: plan the streams, run them in parallel, write the results, summarise.

Streams: spot normal and tpsl (and spot plan with INCLUDE_PLAN_ORDERS) on a pool of MAX_CONCURRENT_SPOT
threads; futures order history per product type (and its plan history) on a pool of MAX_CONCURRENT_FUTURES
threads. All threads share the worker's one client, hence its one rate limiter. A stream never raises: its
errors are categorised into its `StreamResult`, and whatever it fetched before an error is kept (the stream
is then marked incomplete). Orders are deduplicated per (stream, orderId), sorted newest first and written
item by item.

A market whose current list lacks the symbol is still asked once: a symbol delisted within the retention
still has orders there. Bitget answers 40034/40309 for a symbol it does not know, which ends the stream after
that one request as not applicable (`not_listed`); an answer with data is paged to its end as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lambda_functions.common import keys
from lambda_functions.common.bitget import BitgetError
from lambda_functions.common.results_store import ResultsStore, dumps_compact
from lambda_functions.common.streams import (
    FUTURES_PLAN_TYPES,
    FUTURES_PRODUCT_TYPES,
    SIMULATION_PRODUCT_TYPES,
    SPOT_NORMAL,
    SPOT_PLAN,
    SPOT_TPSL,
    futures_plan_stream,
    newest_first_key,
)
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import Clock, TimeBudget
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.markets import SPOT, MarketCatalog
from lambda_functions.worker.page_size import PageSizer
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.summary import (
    AUTH,
    CIRCUIT_OPEN,
    NOT_LISTED,
    SERVER_ERROR,
    SYMBOL_NOT_FOUND,
    WORKER_ERROR,
    ExtractionResult,
    StreamResult,
    build_detail,
    build_summary,
    categorize,
)
from lambda_functions.worker.window import Window, resolve_window, slices

log = logging.getLogger(__name__)

PERMANENT = frozenset({SYMBOL_NOT_FOUND, AUTH})  # failures a retry cannot heal: the breaker counts these
INCOMPLETE_CATEGORY = {pg.MAX_PAGES: pg.MAX_PAGES, pg.TIMEOUT: pg.TIMEOUT, pg.CURSOR_STALLED: SERVER_ERROR}


@dataclass(frozen=True)
class WorkerRequest:
    symbol: str
    execution: str
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass(frozen=True)
class StreamSpec:
    """One stream: its market (listing check), its family (pool, page cap), its queries per slice."""

    name: str
    market: str
    family: str  # "spot" | "futures"
    queries: Callable[[int, int], list[pg.FetchPage]]


@dataclass
class Extraction:
    """Everything one run needs, injected (the handler builds it; tests pass fakes)."""

    client: Any
    store: ResultsStore
    settings: WorkerSettings
    catalog: MarketCatalog
    breaker: CircuitBreaker
    budget: TimeBudget
    clock: Clock
    results_prefix: str


def plan_streams(client: Any, symbol: str, settings: WorkerSettings) -> list[StreamSpec]:
    """The streams the settings ask for, spot first."""
    specs = [
        StreamSpec(SPOT_NORMAL, SPOT, "spot", lambda s, e: [pg.spot_fetcher(client, symbol, "normal", s, e)]),
        StreamSpec(SPOT_TPSL, SPOT, "spot", lambda s, e: [pg.spot_fetcher(client, symbol, "tpsl", s, e)]),
    ]
    if settings.include_plan_orders:
        specs.append(
            StreamSpec(SPOT_PLAN, SPOT, "spot", lambda s, e: [pg.spot_plan_fetcher(client, symbol, s, e)])
        )
    product_types = FUTURES_PRODUCT_TYPES + (SIMULATION_PRODUCT_TYPES if settings.include_simulation else ())
    for pt in product_types:
        specs.append(StreamSpec(pt, pt, "futures", _futures_queries(client, pt, symbol)))
        if settings.include_plan_orders:
            specs.append(
                StreamSpec(futures_plan_stream(pt), pt, "futures", _plan_queries(client, pt, symbol))
            )
    return specs


def _futures_queries(client: Any, pt: str, symbol: str) -> Callable[[int, int], list[pg.FetchPage]]:
    return lambda s, e: [pg.futures_fetcher(client, pt, symbol, s, e)]


def _plan_queries(client: Any, pt: str, symbol: str) -> Callable[[int, int], list[pg.FetchPage]]:
    # A futures plan stream is the union of one paged query per planType.
    return lambda s, e: [pg.futures_fetcher(client, pt, symbol, s, e, plan) for plan in FUTURES_PLAN_TYPES]


def extract_symbol(request: WorkerRequest, run: Extraction) -> dict[str, Any]:
    """Run every stream of one symbol, write orders + detail to the results store, return the summary."""
    started = run.clock.monotonic()
    window = resolve_window(request.start_ms, request.end_ms, run.clock.wall_ms())
    specs = plan_streams(run.client, request.symbol, run.settings)
    results = _run_streams(specs, request, window, run)
    streams_done = run.clock.monotonic()

    orders = [order for result in results for order in result.orders]
    orders.sort(key=newest_first_key, reverse=True)
    prefix, execution, symbol = run.results_prefix, request.execution, request.symbol
    orders_key = keys.symbol_orders_key(prefix, execution, symbol)
    write_orders(run.store, orders_key, symbol, execution, orders)
    written = run.clock.monotonic()

    result = ExtractionResult(
        symbol=symbol,
        execution=execution,
        window=window,
        streams=results,
        order_count=len(orders),
        client_stats=dict(run.client.stats.snapshot()),
        orders_key=orders_key,
        detail_key=keys.symbol_detail_key(prefix, execution, symbol),
        duration_s=written - started,
        timings={"streams_s": streams_done - started, "write_orders_s": written - streams_done},
    )
    summary = build_summary(result)
    detail = build_detail(result, summary)
    if "_" in symbol and result.error_counts().get(SYMBOL_NOT_FOUND):
        detail["hint"] = (
            "v1 symbols (e.g. BTCUSDT_UMCBL) do not exist on Bitget v2: use the plain symbol (BTCUSDT)"
        )
    run.store.put_json(result.detail_key, detail)
    log.info("worker finished", extra={"execution": execution, "symbol": symbol, "summary": summary})
    return summary


def _run_streams(
    specs: list[StreamSpec], request: WorkerRequest, window: Window, run: Extraction
) -> list[StreamResult]:
    """Spot and futures streams on their own pools, both pools at once; results in plan order."""
    windows = slices(window)
    spot_pool = ThreadPoolExecutor(run.settings.max_concurrent_spot, thread_name_prefix="worker-spot")
    futures_pool = ThreadPoolExecutor(
        run.settings.max_concurrent_futures, thread_name_prefix="worker-futures"
    )
    with spot_pool, futures_pool:
        jobs = [
            (spot_pool if spec.family == "spot" else futures_pool).submit(
                run_stream, spec, request, windows, run
            )
            for spec in specs
        ]
        return [job.result() for job in jobs]


def run_stream(
    spec: StreamSpec, request: WorkerRequest, windows: list[tuple[int, int]], run: Extraction
) -> StreamResult:
    """Page one stream to its end (or to its cap / the budget); never raises."""
    result = StreamResult(spec.name)
    started = run.clock.monotonic()
    seen: dict[str, dict[str, Any]] = {}
    breaker_key = f"{request.symbol}:{spec.name}"
    try:
        result.listed = run.catalog.listed(run.client, spec.market, request.symbol)
        if _breaker_skips(run.breaker, result, breaker_key):
            return result
        _page_stream(spec, request, windows, run, result, seen)
        run.breaker.record_success(breaker_key)
        if result.listed is False and result.complete and not seen:
            result.not_applicable, result.reason = True, NOT_LISTED  # unlisted, and Bitget had nothing
    except BitgetError as exc:
        _record_error(result, categorize(exc), bool(seen), run.breaker, breaker_key)
    except Exception:  # a bug or an unexpected shape: the stream is incomplete, the worker goes on
        log.exception("stream failed", extra={"execution": request.execution, "symbol": request.symbol})
        result.complete, result.reason, result.error = False, WORKER_ERROR, WORKER_ERROR
    finally:
        result.orders = [_annotate(row, spec.name, request.symbol) for row in seen.values()]
        result.duration_s = run.clock.monotonic() - started
    return result


def _breaker_skips(breaker: CircuitBreaker, result: StreamResult, breaker_key: str) -> bool:
    """Skip without a history request only while the breaker is open for this symbol+stream."""
    if breaker.allow(breaker_key):
        return False
    result.breaker_skipped, result.reason = True, CIRCUIT_OPEN
    if breaker.open_category(breaker_key) == SYMBOL_NOT_FOUND:
        result.not_applicable = True  # repeatedly told the symbol does not exist there: nothing can be missed
    else:
        result.complete, result.error = False, CIRCUIT_OPEN
    return True


def _page_stream(
    spec: StreamSpec,
    request: WorkerRequest,
    windows: list[tuple[int, int]],
    run: Extraction,
    result: StreamResult,
    seen: dict[str, dict[str, Any]],
) -> None:
    settings = run.settings
    max_pages = settings.spot_max_pages if spec.family == "spot" else settings.futures_max_pages
    state = pg.PagingState(max_pages)
    sizer = PageSizer(settings.min_page_size, settings.max_page_size, adaptive=settings.adaptive_page_sizing)
    try:
        for start, end in windows:
            for fetch in spec.queries(start, end):
                pages = pg.paginate(
                    fetch,
                    state,
                    sizer,
                    run.budget,
                    smart=settings.enable_smart_pagination,
                    monotonic=run.clock.monotonic,
                )
                for rows in pages:
                    for row in rows:  # the first (newest slice's) copy wins across slice borders
                        seen.setdefault(str(row["orderId"]), row)
                if not state.complete:
                    result.complete, result.reason = False, state.end
                    result.error = INCOMPLETE_CATEGORY.get(state.end or "", SERVER_ERROR)
                    return
    finally:
        result.pages, result.requests_saved = state.pages, state.requests_saved
        result.page_size, result.page_size_adjustments = sizer.size, sizer.adjustments


def _record_error(
    result: StreamResult, category: str, has_orders: bool, breaker: CircuitBreaker, breaker_key: str
) -> None:
    if category in PERMANENT:
        breaker.record_failure(breaker_key, category)
    else:
        breaker.record_success(breaker_key)  # a transient failure proves nothing: never keep the breaker shut
    if category == SYMBOL_NOT_FOUND and not has_orders:
        # 40034/40309 = Bitget does not know the symbol in this market: not applicable, not an error
        result.not_applicable = True
        result.reason = NOT_LISTED if result.listed is False else SYMBOL_NOT_FOUND
        return
    result.complete, result.reason, result.error = False, category, category


def _annotate(row: dict[str, Any], stream: str, symbol: str) -> dict[str, Any]:
    """Bitget's raw fields, plus the stream, plus the symbol where Bitget left it out (spot plan rows)."""
    row["stream"] = stream
    if not row.get("symbol"):
        row["symbol"] = symbol
    return row


def write_orders(
    store: ResultsStore, key: str, symbol: str, execution: str, orders: list[dict[str, Any]]
) -> None:
    """The per-symbol orders file, written item by item (`orders` last so readers can stream it)."""
    with store.writer(key) as fh:
        fh.write(
            b'{"symbol":'
            + dumps_compact(symbol)
            + b',"execution":'
            + dumps_compact(execution)
            + b',"orders":['
        )
        for index, order in enumerate(orders):
            if index:
                fh.write(b",")
            fh.write(dumps_compact(order))
        fh.write(b"]}")

"""Extract every order of one symbol: plan the streams, page them as shards at the rate limit, write, summarise.

1. The window comes from Bitget's clock (`client.server_now_ms()`), never the local one.
2. Each stream (`stream_plan.py`) is checked against the symbol's name rules, the market lists and the circuit
   breaker; a market the name rules out is not asked (USDT-quoted symbols cannot trade in COIN- or
   USDC-FUTURES), an unlisted one is asked once (a symbol delisted within the retention still has history).
3. Every query of every stream starts as one shard per ≤90-day slice; shards split themselves when heavy
   (`shards.py`) and run on one lane per endpoint path (`scheduler.py`), all sharing the invocation's client and
   so its rate limiter.
4. Rows go to part files as they arrive (`parts.py`); the per-symbol orders file is their streaming merge, so
   memory never holds the symbol's orders.
5. The per-stream detail (completeness, Bitget's error code and message, rejected rows) goes beside the orders;
   the compact summary is returned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lambda_functions.common import keys
from lambda_functions.common.bitget import BitgetError
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import Clock, TimeBudget
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.markets import MarketCatalog, excluded_by_name
from lambda_functions.worker.parts import PartSet, merge_parts
from lambda_functions.worker.scheduler import Lane, run_lanes
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.shard_job import RunContext, ShardJob, StreamRun
from lambda_functions.worker.stream_plan import StreamSpec, is_spot_path, plan_streams
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
)
from lambda_functions.worker.window import Window, resolve_window, slices

log = logging.getLogger(__name__)

PERMANENT = frozenset({SYMBOL_NOT_FOUND, AUTH})  # failures a retry cannot heal: the breaker counts these
INCOMPLETE_CATEGORY = {pg.MAX_PAGES: pg.MAX_PAGES, pg.TIMEOUT: pg.TIMEOUT, "not_asked": WORKER_ERROR}
# A range that aged out of Bitget's 90-day retention while the run went on holds nothing Bitget can still
# serve: like the window's own clamp to the retention, it ends the shard without making the stream incomplete.
FINISHED = frozenset({pg.COMPLETE, pg.EXPIRED})
NOT_ASKED = "not_asked"


@dataclass(frozen=True)
class WorkerRequest:
    symbol: str
    execution: str
    start_ms: int | None = None
    end_ms: int | None = None
    include_plan_orders: bool | None = None  # None: the worker's INCLUDE_PLAN_ORDERS
    include_simulation: bool | None = None  # None: the worker's INCLUDE_SIMULATION
    rate_share: float | None = None  # the share of the account's limits (aws mode; the coordinator sets it)


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
    sleep: Callable[[float], object] | None = None


def extract_symbol(request: WorkerRequest, run: Extraction) -> dict[str, Any]:
    """Run every stream of one symbol, write orders + detail to the results store, return the summary."""
    started = run.clock.monotonic()
    settings = run.settings
    specs = plan_streams(
        run.client,
        request.symbol,
        plan_orders=_choose(request.include_plan_orders, settings.include_plan_orders),
        simulation=_choose(request.include_simulation, settings.include_simulation),
    )
    # Bitget's clock and the market lists are independent requests: ask them at once.
    markets = sorted({spec.market for spec in specs})
    with ThreadPoolExecutor(len(markets) + 1, thread_name_prefix="worker-setup") as pool:
        clock_job = pool.submit(server_clock, run.client, run.clock)
        listed = dict(
            zip(
                markets,
                pool.map(lambda m: run.catalog.listed(run.client, m, request.symbol), markets),
                strict=True,
            )
        )
        server_now_ms, clock_note = clock_job.result()
    window = resolve_window(request.start_ms, request.end_ms, server_now_ms())
    parts = PartSet(settings.worker_tmp_dir or None)
    try:
        streams = _run_streams(specs, request, window, run, parts, server_now_ms, listed)
        streams_done = run.clock.monotonic()
        prefix, execution, symbol = run.results_prefix, request.execution, request.symbol
        orders_key = keys.symbol_orders_key(prefix, execution, symbol)
        counts = merge_parts(parts, run.store, orders_key, symbol, execution)
    finally:
        parts.cleanup()
    written = run.clock.monotonic()
    for stream in streams:
        stream.order_count = counts.get(stream.stream, 0)
    result = ExtractionResult(
        symbol=symbol,
        execution=execution,
        window=window,
        streams=streams,
        order_count=sum(counts.values()),
        client_stats=dict(run.client.stats.snapshot()),
        orders_key=orders_key,
        detail_key=keys.symbol_detail_key(prefix, execution, symbol),
        duration_s=written - started,
        timings={"streams_s": streams_done - started, "write_orders_s": written - streams_done},
    )
    summary = build_summary(result)
    detail = build_detail(result, summary)
    detail["clock"] = clock_note
    if "_" in symbol and result.symbol_not_found():
        detail["hint"] = (
            "v1 symbols (e.g. BTCUSDT_UMCBL) do not exist on Bitget v2: use the plain symbol (BTCUSDT)"
        )
    run.store.put_json(result.detail_key, detail)
    log.info("worker finished", extra={"execution": execution, "symbol": symbol, "summary": summary})
    return summary


def server_clock(client: Any, clock: Clock) -> tuple[Callable[[], int], dict[str, Any]]:
    """Bitget's clock for this invocation: the local clock plus the offset read once from the server.

    Windows and the retention edge follow Bitget's clock; a local clock minutes off must not lose an order.
    When the server time cannot be read the local clock is used, and the detail says so.
    """
    try:
        offset = int(client.server_now_ms()) - clock.wall_ms()
    except BitgetError as exc:
        log.warning("server time unavailable, using the local clock", extra={"error": str(exc)[:200]})
        return clock.wall_ms, {"source": "local", "reason": f"{type(exc).__name__}: {exc}"[:300]}
    return (lambda: clock.wall_ms() + offset), {"source": "server", "offset_ms": offset}


def _path_busy(client: Any) -> Callable[[str], bool]:
    """Whether callers are already queued on a path's rate limit (shared by every worker in embedded mode)."""
    limiter = getattr(client, "limiter", None)
    if limiter is None:
        return lambda path: False
    return lambda path: bool(limiter.waiting(path))


def _choose(requested: bool | None, default: bool) -> bool:
    return default if requested is None else requested


def _run_streams(
    specs: list[StreamSpec],
    request: WorkerRequest,
    window: Window,
    run: Extraction,
    parts: PartSet,
    server_now_ms: Callable[[], int],
    listed: dict[str, bool | None],
) -> list[StreamResult]:
    """Shards of every stream on one lane per endpoint path; results in plan order."""
    settings = run.settings
    lanes: dict[str, Lane[ShardJob]] = {}

    def lane(path: str) -> Lane[ShardJob]:
        if path not in lanes:
            threads = settings.max_concurrent_spot if is_spot_path(path) else settings.max_concurrent_futures
            lanes[path] = Lane(path, threads, ShardJob.step)
        return lanes[path]

    context = RunContext(
        symbol=request.symbol,
        budget=run.budget,
        server_now_ms=server_now_ms,
        parts=parts,
        spawn=lambda job: lane(job.path).add(job),
        idle_threads=lambda path: lane(path).idle_threads(),
        path_busy=_path_busy(run.client),
        sleep=run.sleep or time.sleep,
        monotonic=run.clock.monotonic,
        min_page_size=settings.min_page_size,
        max_page_size=settings.max_page_size,
        adaptive_page_sizing=settings.adaptive_page_sizing,
        second_pass_pause_s=settings.second_pass_pause_s,
        second_passes=settings.second_passes,
    )
    started = run.clock.monotonic()
    planned = [(spec, _open_stream(spec, request.symbol, listed[spec.market], run)) for spec in specs]
    for spec, outcome in planned:
        if isinstance(outcome, StreamRun):
            jobs = [
                ShardJob(outcome, q, start, end, context)
                for q in spec.queries
                for start, end in slices(window)
            ]
            outcome.shards = len(jobs)
            if outcome.listed is not True or len(jobs) == 1:
                jobs[0].probe = True  # its 40034 settles the stream (a market that does not know the symbol)
            if outcome.listed is not True:
                jobs, outcome.waiting = jobs[:1], jobs[1:]  # probe first (stream_run.waiting)
            for job in jobs:
                context.spawn(job)
    run_lanes(list(lanes.values()))
    elapsed = run.clock.monotonic() - started
    return [_finish(spec, item, request.symbol, run.breaker, elapsed) for spec, item in planned]


def _open_stream(
    spec: StreamSpec, symbol: str, listed: bool | None, run: Extraction
) -> StreamRun | StreamResult:
    """A StreamRun to page, or the final StreamResult of a stream that needs no request."""
    if listed is not True and excluded_by_name(symbol, spec.market):
        return StreamResult(
            spec.name, listed=listed, not_applicable=True, reason="name_rule", skipped_by_name=True
        )
    key = f"{symbol}:{spec.name}"
    if not run.breaker.allow(key):
        result = StreamResult(spec.name, listed=listed, breaker_skipped=True, reason=CIRCUIT_OPEN)
        if run.breaker.open_category(key) == SYMBOL_NOT_FOUND:
            result.not_applicable = (
                True  # repeatedly told the symbol does not exist there: nothing can be missed
            )
        else:
            result.complete, result.error = False, CIRCUIT_OPEN
        return result
    settings = run.settings
    max_pages = settings.spot_max_pages if spec.market == "spot" else settings.futures_max_pages
    return StreamRun(spec.name, symbol, listed, max_pages, settings.max_shards_per_stream)


def _finish(
    spec: StreamSpec, item: StreamRun | StreamResult, symbol: str, breaker: CircuitBreaker, elapsed: float
) -> StreamResult:
    """The StreamResult of a paged stream, and the breaker told how it went."""
    if isinstance(item, StreamResult):
        return item
    result = StreamResult(
        spec.name,
        pages=item.pages,
        shards=item.shards,
        listed=item.listed,
        rejected_rows=item.rejected.count,
        rejected=item.rejected.samples,
        second_passes=item.second_passes,
        rows_outside_query=item.outside_query,
        page_size_adjustments=item.page_size_adjustments,
        duration_s=elapsed,
    )
    key = f"{symbol}:{spec.name}"
    if item.not_applicable:
        result.not_applicable, result.reason = True, item.reason
        breaker.record_failure(key, SYMBOL_NOT_FOUND)
        return result
    failed = [end for end in item.ends if end not in FINISHED]
    if len(item.ends) < item.shards:
        failed.append(NOT_ASKED)  # a shard that never ran cannot be called complete
    if not failed and item.listed is False and item.rows == 0:
        result.not_applicable, result.reason = True, NOT_LISTED  # unlisted, and Bitget had nothing

    if failed:
        result.complete, result.reason = False, failed[0]
        if item.error is not None:
            result.error, result.error_code, result.error_message = item.error
        else:
            result.error = INCOMPLETE_CATEGORY.get(failed[0], SERVER_ERROR)
    if item.error is not None and item.error[0] in PERMANENT:
        breaker.record_failure(key, item.error[0])
    else:
        breaker.record_success(key)  # a transient failure proves nothing: never keep the breaker shut
    return result

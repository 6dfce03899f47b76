"""Extract every order of one symbol: plan the streams, page them as shards at the rate limit, write, summarise.

1. The window comes from Bitget's clock (`client.server_now_ms()`), never the local one.
2. Each stream (`stream_plan.py`) is checked against the symbol's name rules, the market lists and the circuit
   breaker; a market the name rules out is not asked (USDT-quoted symbols cannot trade in COIN- or
   USDC-FUTURES), an unlisted one is asked once (a symbol delisted within the retention still has history).
3. Every query of every stream starts as one shard per ≤90-day slice; shards split themselves when heavy
   (`shards.py`) and run on one lane per endpoint path (`scheduler.py`), all sharing the invocation's client and
   so its rate limiter.
4. Rows go to part files as they arrive (`parts.py`) and from there, every CHECKPOINT_INTERVAL_S, to durable
   segments named by the symbol's checkpoint (`checkpointing.py`); the per-symbol orders file is the streaming
   merge of the segments, so memory never holds the symbol's orders.
5. A worker always goes on from its symbol's checkpoint: shards continue from their cursors, segments are never
   fetched again, a finished symbol returns its stored summary without a request. When its time budget (or a
   cancel request) stops it with pages left, it returns `done: false` (docs/CONTRACTS.md "Worker result").
6. The per-stream detail (completeness, Bitget's error code and message, rejected rows) goes beside the orders;
   the compact summary is returned.

An account unit (`ALL_SPOT`, `ALL_FUTURES`) goes the same way over the account's streams without a symbol, with
what account_unit.py adds: the open-order check and lookups before the first page, spot plan per candidate
symbol after the rest, and the unit's report in the detail.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from lambda_functions.common import account_mode, keys
from lambda_functions.common.account_scope import is_account_unit
from lambda_functions.common.bitget import BitgetError
from lambda_functions.common.logs import carry_context, log_context
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.streams import is_fill_stream
from lambda_functions.worker import account_unit
from lambda_functions.worker import checkpoint as ck
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.budget import Clock, TimeBudget
from lambda_functions.worker.checkpointing import Checkpointer
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.events import WorkerRequest
from lambda_functions.worker.markets import MarketCatalog, excluded_by_name
from lambda_functions.worker.parts import PartSet, write_orders_file
from lambda_functions.worker.scheduler import Lane, run_lanes
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.shard_job import RunContext, ShardJob, StreamRun
from lambda_functions.worker.stream_plan import StreamSpec, is_fast_path, plan_account_streams, plan_streams
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
# Why a worker stopped with pages left (docs/CONTRACTS.md "Worker result").
TIME_BUDGET = "time_budget"  # its invocation's time is spent: the state machine invokes it again
CANCELLED = "cancelled"  # POST /orders/{arn}/cancel
DEADLINE = "deadline"  # the execution's own deadline is too close for another invocation
STALLED = "stalled"  # an invocation that could not fetch a single page: another would not either
INCOMPLETE_CATEGORY = {
    pg.MAX_PAGES: pg.MAX_PAGES,
    pg.TIMEOUT: pg.TIMEOUT,
    "not_asked": WORKER_ERROR,
    CANCELLED: CANCELLED,
    DEADLINE: DEADLINE,
    STALLED: STALLED,
}
# A range that aged out of Bitget's 90-day retention while the run went on holds nothing Bitget can still
# serve: like the window's own clamp to the retention, it ends the shard without making the stream incomplete.
FINISHED = frozenset({pg.COMPLETE, pg.EXPIRED})
NOT_ASKED = "not_asked"


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
    sleep: Callable[[float], object] | None = None


def extract_symbol(request: WorkerRequest, run: Extraction) -> dict[str, Any]:
    """Run (or go on with) every stream of one symbol; write orders + detail; return the worker's result.

    Every line it logs, on any of its threads, carries the execution and the symbol (common/logs.py)."""
    with log_context(execution=request.execution, symbol=request.symbol):
        return _extract(request, run)


def _extract(request: WorkerRequest, run: Extraction) -> dict[str, Any]:
    started = run.clock.monotonic()
    prefix, execution, symbol = run.settings.results_prefix, request.execution, request.symbol
    doc = ck.load(run.store, keys.checkpoint_key(prefix, execution, symbol))
    if doc is not None and request.resume:
        reopen_failed_shards(doc)
    if doc is not None and doc.finished and doc.summary is not None:
        return _stored_result(doc, run)  # a Map retry, or a continuation of an execution: nothing to fetch
    settings = run.settings
    plan_orders = _choose(request.include_plan_orders, settings.include_plan_orders)
    simulation = _choose(request.include_simulation, settings.include_simulation)
    fills = bool(request.include_fills)
    if doc is not None:  # the plan the checkpoint was made for
        plan_orders, simulation, fills = doc.plan_orders, doc.simulation, doc.fills
        mode = doc.account_mode
    else:
        mode = request.account_mode or _probe_mode(run.client)
    account = is_account_unit(symbol)
    plan = plan_account_streams if account else plan_streams
    specs = plan(run.client, symbol, plan_orders=plan_orders, simulation=simulation, fills=fills, mode=mode)
    # Bitget's clock and the market lists are independent requests: ask them at once. An account unit pages
    # what the account has, whatever the lists say: it asks none.
    markets = [] if account else sorted({spec.market for spec in specs})
    with ThreadPoolExecutor(len(markets) + 1, thread_name_prefix="worker-setup") as pool:
        clock_job = pool.submit(carry_context(server_clock), run.client, run.clock)
        listed: dict[str, bool | None] = dict(
            zip(
                markets,
                pool.map(carry_context(partial(run.catalog.listed, run.client, symbol=symbol)), markets),
                strict=True,
            )
        )
        server_now_ms, clock_note = clock_job.result()
    if doc is None:
        window = resolve_window(request.start_ms, request.end_ms, server_now_ms())
        doc = ck.Checkpoint(symbol, execution, window, plan_orders, simulation, fills, mode)
        if account:
            doc.account = account_unit.new_state(request.scope)
    if account:
        specs = account_unit.streams(run.client, doc)
        listed = dict.fromkeys({spec.market for spec in specs}, True)
    doc.invocations += 1
    pages_before = sum(state.pages for state in doc.shards)
    stream_runs: dict[str, StreamRun] = {}
    journal = Checkpointer(
        run.store,
        prefix,
        doc,
        client_stats=lambda: dict(run.client.stats.snapshot()),
        stream_states=lambda: {name: item.state() for name, item in stream_runs.items()},
    )
    journal.cancel_requested()  # a run started after a cancel (a continuation) stops before its first page
    if account and not journal.cancelled:
        account_unit.before_paging(run.client, doc, specs)
    parts = PartSet(settings.worker_tmp_dir or None)
    try:
        planned = _run_streams(specs, request, doc, run, parts, server_now_ms, listed, journal, stream_runs)
        if account_unit.needs_candidates(doc) and not any(s.end is None for s in journal.states()):
            journal.flush()
            phase2 = account_unit.spot_plan_phase(run.client, doc, journal.rows())
            listed |= dict.fromkeys({spec.market for spec in phase2}, True)
            planned += _run_streams(
                phase2, request, doc, run, parts, server_now_ms, listed, journal, stream_runs
            )
            specs += phase2
        journal.flush()  # everything fetched is durable before anything is reported
    finally:
        parts.cleanup()
    streams_done = run.clock.monotonic()
    open_shards = [state for state in journal.states() if state.end is None]
    progressed = sum(state.pages for state in journal.states()) > pages_before
    stop = _stop_reason(open_shards, journal.cancelled, progressed, request, run)
    if stop == TIME_BUDGET:
        log.info("worker continues", extra={"open": len(open_shards)})
        return {
            "symbol": symbol,
            "done": False,
            "continue": True,
            "reason": TIME_BUDGET,
            "orders_so_far": journal.durable_rows(),
            "checkpoint": journal.key,
        }
    orders_key = keys.symbol_orders_key(prefix, execution, symbol)
    by_symbol: Counter[tuple[str, str]] | None = Counter() if account else None
    rows = account_unit.with_found_rows(journal.rows(), doc) if account else journal.rows()
    counts = write_orders_file(rows, run.store, orders_key, symbol, execution, by_symbol)
    written = run.clock.monotonic()
    open_streams = {state.stream for state in open_shards}
    streams = [
        _finish(
            spec,
            item,
            symbol,
            run.breaker,
            streams_done - started,
            stop if spec.name in open_streams else None,
        )
        for spec, item in planned
    ]
    if account:
        account_unit.mark_failed_lookups(doc, specs, streams)
    for spec, stream in zip(specs, streams, strict=True):
        if spec.label is None:
            stream.order_count = counts.get(stream.stream, 0)
        elif by_symbol is not None:
            stream.order_count = by_symbol.get((spec.label, spec.symbol or ""), 0)
    result = ExtractionResult(
        symbol=symbol,
        execution=execution,
        window=doc.window,
        streams=streams,
        order_count=sum(n for stream, n in counts.items() if not is_fill_stream(stream)),
        fill_count=sum(n for stream, n in counts.items() if is_fill_stream(stream)) if fills else None,
        client_stats=dict(run.client.stats.snapshot()) | doc.client_stats,
        orders_key=orders_key,
        detail_key=keys.symbol_detail_key(prefix, execution, symbol),
        duration_s=written - started,
        timings={"streams_s": streams_done - started, "write_orders_s": written - streams_done},
    )
    summary = build_summary(result) | {"done": stop is None}
    if doc.account_mode != account_mode.CLASSIC:
        summary["account_mode"] = doc.account_mode  # the probe's answer, when the coordinator had none
    if stop is not None:
        summary |= {"continue": False, "reason": stop}
    if by_symbol is not None:
        summary["account"] = True
    detail = build_detail(result, summary)
    detail["clock"] = clock_note
    detail["account_mode"] = doc.account_mode
    if by_symbol is not None:
        detail["account"] = account_unit.report(doc, specs, streams, by_symbol)
    detail["checkpoint"] = {"key": journal.key, "invocations": doc.invocations, "segments": len(doc.segments)}
    if "_" in symbol and not account and result.symbol_not_found():
        detail["hint"] = (
            "v1 symbols (e.g. BTCUSDT_UMCBL) do not exist on Bitget v2: use the plain symbol (BTCUSDT)"
        )
    run.store.put_json(result.detail_key, detail)
    if stop is None:
        doc.finished, doc.summary = True, summary
        ck.save(run.store, journal.key, doc)
    log.info("worker finished", extra={"summary": summary})
    return summary


def _probe_mode(client: Any) -> str:
    """The account's mode when the coordinator could not tell: probed once here. An answer that proves nothing
    reads the classic endpoints, whose 40085 then makes every stream incomplete with Bitget's own message
    (never "0 orders, complete")."""
    mode, _ = account_mode.probe(client)
    return mode or account_mode.CLASSIC


def reopen_failed_shards(doc: ck.Checkpoint) -> int:
    """Open again, from their cursors, the shards that ended on a failure (retries exhausted, page cap...);
    their streams forget the error. Returns how many."""
    reopened = 0
    for state in doc.shards:
        stream = doc.streams.get(state.stream)
        if state.end is None or state.end in FINISHED or stream is None or stream.not_applicable:
            continue
        state.end = None
        stream.error, stream.reason = None, None
        reopened += 1
    if reopened:
        doc.finished, doc.summary = False, None
    return reopened


def _stored_result(doc: ck.Checkpoint, run: Extraction) -> dict[str, Any]:
    """The finished symbol's summary; its orders file is rebuilt from the segments if it was removed since."""
    summary = dict(doc.summary or {})
    orders_key = keys.symbol_orders_key(run.settings.results_prefix, doc.execution, doc.symbol)
    if not run.store.exists(orders_key):
        journal = Checkpointer(run.store, run.settings.results_prefix, doc)
        write_orders_file(journal.rows(), run.store, orders_key, doc.symbol, doc.execution)
    return summary | {"done": True}


def _stop_reason(
    open_shards: list[ck.ShardState],
    cancelled: bool,
    progressed: bool,
    request: WorkerRequest,
    run: Extraction,
) -> str | None:
    """None when every shard ended; else why the worker stopped with pages left."""
    if not open_shards:
        return None
    if cancelled:
        return CANCELLED
    near_deadline = request.deadline_ms is not None and (
        (request.deadline_ms - run.clock.wall_ms()) / 1000 < run.settings.continuation_min_s
    )
    # An item that started (nearly) at the deadline had no time to progress: the next run goes on with it.
    if near_deadline and (progressed or run.budget.total_s < run.settings.continuation_min_s):
        return DEADLINE
    if not progressed:
        return STALLED
    return TIME_BUDGET


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
    doc: ck.Checkpoint,
    run: Extraction,
    parts: PartSet,
    server_now_ms: Callable[[], int],
    listed: dict[str, bool | None],
    journal: Checkpointer,
    stream_runs: dict[str, StreamRun],
) -> list[tuple[StreamSpec, StreamRun | StreamResult]]:
    """Shards of every stream (new, or as the checkpoint left them) on one lane per endpoint path, with the
    checkpoint flushed in the background; the streams in plan order."""
    settings = run.settings
    lanes: dict[str, Lane[ShardJob]] = {}

    def lane(path: str) -> Lane[ShardJob]:
        if path not in lanes:
            threads = settings.max_concurrent_spot if is_fast_path(path) else settings.max_concurrent_futures
            lanes[path] = Lane(path, threads, ShardJob.step)
        return lanes[path]

    def stop_reason() -> str | None:
        if journal.cancelled:
            return CANCELLED
        return TIME_BUDGET if run.budget.exhausted() else None

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
        journal=journal,
        stop_reason=stop_reason,
    )
    journal.cancel_requested()  # a cancelled execution asks nothing more
    planned = [
        (spec, _open_stream(spec, request.symbol, listed[spec.market], run, resumed=spec.name in doc.streams))
        for spec in specs
    ]
    for spec, outcome in planned:
        if not isinstance(outcome, StreamRun):
            continue
        stream_runs[spec.name] = outcome
        if spec.name in doc.streams:
            jobs = _restored_jobs(spec, outcome, doc, context)
        else:
            jobs = _new_jobs(spec, outcome, account_unit.stream_window(spec, doc), context)
        for job in jobs:
            context.spawn(job)
    journal.start(settings.checkpoint_interval_s)
    try:
        run_lanes(list(lanes.values()))
    finally:
        journal.stop()
    return planned


def _new_jobs(spec: StreamSpec, stream: StreamRun, window: Window, context: RunContext) -> list[ShardJob]:
    """One shard per query and ≤90-day slice, recorded in the checkpoint before any is asked; the jobs to
    start now (a probe goes first where the market may not know the symbol)."""
    jobs = [
        ShardJob(stream, query, index, start, end, context)
        for index, query in enumerate(spec.queries)
        for start, end in slices(window, query.max_span_ms)
    ]
    stream.shards = len(jobs)
    if stream.listed is not True or len(jobs) == 1:
        jobs[0].probe = True  # its 40034 settles the stream (a market that does not know the symbol)
    if stream.listed is not True:
        for job in jobs[1:]:
            job.waiting = True
        jobs, stream.waiting = jobs[:1], jobs[1:]  # probe first (stream_run.waiting)
    context.journal.record([job.state() for job in jobs + stream.waiting])
    return jobs


def _restored_jobs(
    spec: StreamSpec, stream: StreamRun, doc: ck.Checkpoint, context: RunContext
) -> list[ShardJob]:
    """The stream as its checkpoint left it: counters restored, its open shards continued from their cursors."""
    states = [state for state in doc.shards if state.stream == spec.name]
    if any(state.query >= len(spec.queries) for state in states):
        raise ck.CheckpointError(
            f"checkpoint of {spec.name} does not match its plan of {len(spec.queries)} queries"
        )
    stream.restore(doc.streams[spec.name], states)
    open_states = [state for state in states if state.end is None]
    jobs = [
        ShardJob(stream, spec.queries[state.query], state.query, state.lo, state.hi, context, state)
        for state in open_states
    ]
    probe_pending = any(job.probe and job.walker.pages == 0 for job in jobs)
    if probe_pending:
        stream.waiting = [job for job in jobs if job.waiting]
        return [job for job in jobs if not job.waiting]
    for job in jobs:
        job.waiting = False
    return jobs


def _open_stream(
    spec: StreamSpec, symbol: str, listed: bool | None, run: Extraction, *, resumed: bool = False
) -> StreamRun | StreamResult:
    """A StreamRun to page, or the final StreamResult of a stream that needs no request. A stream the
    checkpoint already pages (`resumed`) goes on whatever the breaker says now."""
    if not resumed:
        settled = _settled_without_request(spec, symbol, listed, run.breaker)
        if settled is not None:
            return settled
    settings = run.settings
    max_pages = settings.spot_max_pages if spec.market == "spot" else settings.futures_max_pages
    stream_symbol = spec.symbol if is_account_unit(symbol) else symbol
    return StreamRun(
        spec.name, stream_symbol, listed, max_pages, settings.max_shards_per_stream, label=spec.label
    )


def _settled_without_request(
    spec: StreamSpec, symbol: str, listed: bool | None, breaker: CircuitBreaker
) -> StreamResult | None:
    """The result of a stream its name rules out or the circuit breaker skips; None: it must be paged."""
    if listed is not True and excluded_by_name(symbol, spec.market):
        return StreamResult(
            spec.name, listed=listed, not_applicable=True, reason="name_rule", skipped_by_name=True
        )
    key = f"{symbol}:{spec.name}"
    if breaker.allow(key):
        return None
    result = StreamResult(spec.name, listed=listed, breaker_skipped=True, reason=CIRCUIT_OPEN)
    if breaker.open_category(key) == SYMBOL_NOT_FOUND:
        result.not_applicable = True  # repeatedly told the symbol does not exist there: nothing can be missed
    else:
        result.complete, result.error = False, CIRCUIT_OPEN
    return result


def _finish(
    spec: StreamSpec,
    item: StreamRun | StreamResult,
    symbol: str,
    breaker: CircuitBreaker,
    elapsed: float,
    stopped: str | None = None,
) -> StreamResult:
    """The StreamResult of a paged stream, and the breaker told how it went. `stopped`: why the stream still
    has open shards (cancelled, deadline, stalled): it is incomplete for that reason."""
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
    failed = [stopped] if stopped is not None else []
    failed += [end for end in item.ends if end not in FINISHED]
    if len(item.ends) < item.shards:
        failed.append(NOT_ASKED)  # a shard that never ran cannot be called complete
    if not failed and item.listed is False and item.rows == 0:
        result.not_applicable, result.reason = True, NOT_LISTED  # unlisted, and Bitget had nothing

    if failed:
        result.complete, result.reason = False, failed[0]
        if item.error is not None and stopped is None:
            result.error, result.error_code, result.error_message = item.error
        else:
            result.error = INCOMPLETE_CATEGORY.get(failed[0], SERVER_ERROR)
    if item.error is not None and item.error[0] in PERMANENT:
        breaker.record_failure(key, item.error[0])
    else:
        breaker.record_success(key)  # a transient failure proves nothing: never keep the breaker shut
    return result

"""The aggregation itself: merge the per-symbol files into one document, record success, clean up.

A run whose workers stopped at the execution's deadline is not aggregated: the manifest says
`continuation_needed` and every file stays for the next run (runs.py). A cancelled one is aggregated over what
was fetched and recorded ABORTED, its per-symbol files kept for a resume.

Order matters for safety: the consolidated document first, then the SUCCEEDED manifest that points at it, and
only then (CLEANUP_PER_SYMBOL_FILES) the per-symbol files. A Step Functions retry after a success finds the
SUCCEEDED manifest and returns the recorded response instead of merging files that may already be gone.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from lambda_functions.aggregator.account import account_summary, record_sync
from lambda_functions.aggregator.digest import WorkerDigest, digest_results
from lambda_functions.aggregator.events import AggregateRequest, FailureRequest
from lambda_functions.aggregator.manifest import (
    SUCCEEDED,
    read_manifest,
    write_continuation,
    write_failed,
    write_succeeded,
)
from lambda_functions.aggregator.merge import MergeStats, merge_newest_first, read_orders, read_size_for
from lambda_functions.aggregator.response_optimizer import build_response, build_summary
from lambda_functions.aggregator.runs import (
    CANCELLED,
    DEADLINE,
    busy_seconds,
    close_run,
    pending_symbols,
    stop_reason,
)
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.aggregator.sources import open_orders
from lambda_functions.aggregator.writer import write_document
from lambda_functions.common.account_mode import CLASSIC, UNIFIED
from lambda_functions.common.exact_json import dumps_exact
from lambda_functions.common.keys import execution_prefix, result_key, symbol_detail_key, symbol_orders_key
from lambda_functions.common.logs import log_context
from lambda_functions.common.results_store import ResultNotFoundError, ResultsStore
from lambda_functions.common.streams import is_fill_stream
from lambda_functions.common.utc import iso_ms_from_epoch

logger = logging.getLogger(__name__)

Clock = Callable[[], float]  # seconds since the epoch (time.time in production)


def symbol_files(store: ResultsStore, prefix: str, execution: str) -> list[str]:
    """Every key under the execution's `symbols/` folder (orders and detail files)."""
    return store.list_keys(f"{execution_prefix(prefix, execution)}symbols/")


def _detail_loader(
    store: ResultsStore, prefix: str, execution: str, available: set[str]
) -> Callable[[str], dict | None]:
    """Reads a worker's detail file (small) when it exists; unreadable detail only loses metrics and codes.

    Numbers with a fraction are read as Decimal: the raw rows it keeps go to the document exactly.
    """

    def load(symbol: str) -> dict | None:
        if symbol not in available:
            return None
        try:
            with store.reader(symbol_detail_key(prefix, execution, symbol)) as fh:
                detail = json.load(fh, parse_float=Decimal)
        except (ResultNotFoundError, ValueError):
            logger.warning("unreadable worker detail", extra={"symbol": symbol})
            return None
        return detail if isinstance(detail, dict) else None

    return load


def _rejected_rows(
    digest: WorkerDigest, load_detail: Callable[[str], dict | None], stats: MergeStats
) -> Iterator[dict[str, Any]]:
    """The document's `rejected_rows`: the workers' samples (re-read one detail file at a time, so memory
    holds one symbol's), then the rows the merge set aside."""
    for symbol in digest.symbols_with_rejected:
        streams = (load_detail(symbol) or {}).get("streams")
        for stream, entry in streams.items() if isinstance(streams, dict) else ():
            rejected = entry.get("rejected") if isinstance(entry, dict) else None
            for sample in rejected if isinstance(rejected, list) else ():
                if isinstance(sample, dict):
                    reason = str(sample.get("reason") or "rejected")
                    yield {"symbol": symbol, "stream": stream, "reason": reason, "row": sample.get("row")}
    yield from stats.rejected_rows


class _FillSpill:
    """Fills taken out of the merge while the orders are written, spooled to a temporary file (one exact-JSON
    line each, memory bounded), and read back for the document's `fills` array."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh

    def orders_only(self, records: Iterable[dict]) -> Iterator[dict]:
        for record in records:
            if is_fill_stream(str(record.get("stream", ""))):
                self.fh.write(dumps_exact(record).encode() + b"\n")
            else:
                yield record

    def fills(self) -> Iterator[dict]:
        self.fh.seek(0)
        for line in self.fh:
            yield json.loads(line, parse_float=Decimal)  # numbers back exactly as the merge read them


def _tap(orders: Iterable[dict], head: list[dict], limit: int) -> Iterator[dict]:
    """Passes orders through, keeping the first `limit` (the newest) for the response."""
    for order in orders:
        if len(head) < limit:
            head.append(order)
        yield order


def aggregate(
    request: AggregateRequest, store: ResultsStore, settings: AggregatorSettings, clock: Clock
) -> dict[str, Any]:
    """Merges, writes the document and the SUCCEEDED manifest, cleans up; returns the optimised response.

    Every line it logs carries the execution (common/logs.py)."""
    with log_context(execution=request.execution):
        return _aggregate(request, store, settings, clock)


def _aggregate(
    request: AggregateRequest, store: ResultsStore, settings: AggregatorSettings, clock: Clock
) -> dict[str, Any]:
    started = clock()
    prefix, execution = settings.results_prefix, request.execution
    manifest = read_manifest(store, prefix, execution)
    doc_key = result_key(prefix, execution)
    if manifest and manifest.get("status") == SUCCEEDED and manifest.get("result") and store.exists(doc_key):
        logger.info("already aggregated; returning the recorded response")
        _cleanup(store, settings, execution)
        return dict(manifest["result"])

    stop = stop_reason(request.results)
    if stop == DEADLINE:
        return _continuation(request, store, prefix, manifest, iso_ms_from_epoch(clock()))
    if manifest is not None:
        manifest = close_run(manifest, request.execution_arn, iso_ms_from_epoch(started))
    symbols = request.symbol_list()
    existing_keys = set(symbol_files(store, prefix, execution))
    present = [s for s in symbols if symbol_orders_key(prefix, execution, s) in existing_keys]
    details = {s for s in symbols if symbol_detail_key(prefix, execution, s) in existing_keys}
    loader = _detail_loader(store, prefix, execution, details)
    digest = digest_results(symbols, request.results, set(present), loader)
    # the user's ARN: a resumed execution's later runs have ARNs of their own ($$.Execution.Id)
    execution_arn = str((manifest or {}).get("execution_arn") or request.execution_arn or "")
    header = {
        "execution": execution,
        "execution_arn": execution_arn,
        "generated_at": iso_ms_from_epoch(started),
    }
    stats = MergeStats()
    head: list[dict[str, Any]] = []
    keys = {s: symbol_orders_key(prefix, execution, s) for s in present}
    summary = _write_consolidated(
        store, doc_key, header, keys, stats, (head, settings.response_max_orders),
        lambda: build_summary(symbols, digest, stats)
        | account_summary(symbols, request.results, digest.failed, stats.read_by_source, loader),
        lambda: _rejected_rows(digest, loader, stats),
    )  # fmt: skip

    finished = clock()
    response = build_response(
        execution=execution,
        execution_arn=execution_arn,
        summary=summary,
        s3_uri=store.uri(doc_key),
        s3_data_url=store.url(doc_key, settings.presigned_url_expires),
        url_expires_s=settings.presigned_url_expires,
        aggregator_seconds=max(0.0, finished - started),
        execution_seconds=busy_seconds(manifest, finished),
        head=head,
        max_orders=settings.response_max_orders,
    )
    # The account it read (the coordinator's check) and the request's scope, for the ledger (docs/CONTRACTS.md).
    response["account_id"] = (manifest or {}).get("account_id")
    response["scope"] = "account" if (manifest or {}).get("account_scope") is not None else "symbols"
    response["account_mode"] = account_mode_of(manifest, digest)
    response["include_fills"] = bool((manifest or {}).get("include_fills"))
    aborted = stop == CANCELLED
    if not aborted:
        record_sync(store, prefix, manifest, execution, summary, datetime.now(UTC))
    write_succeeded(
        store, prefix, execution, manifest, response, iso_ms_from_epoch(finished), aborted=aborted
    )
    logger.info(
        "aggregated",
        extra={"orders": stats.orders, "symbols": len(symbols), "aborted": aborted},
    )
    if not aborted:  # a cancelled execution may be resumed: its workers' detail files stay
        _cleanup(store, settings, execution)
    return response


def account_mode_of(manifest: dict[str, Any] | None, digest: WorkerDigest) -> str:
    """The coordinator's probe, else what workers that probed found (they report only `unified`)."""
    mode = (manifest or {}).get("account_mode")
    if isinstance(mode, str):
        return mode
    return UNIFIED if UNIFIED in digest.account_modes else CLASSIC


def _continuation(
    request: AggregateRequest,
    store: ResultsStore,
    prefix: str,
    manifest: dict[str, Any] | None,
    stopped_at: str,
) -> dict[str, Any]:
    """The run stopped at its deadline: record it, keep every file, answer briefly (the Map output is bounded)."""
    if manifest is not None:
        manifest = close_run(manifest, request.execution_arn, stopped_at)
    write_continuation(store, prefix, request.execution, manifest, stopped_at)
    pending = pending_symbols(request.results)
    logger.info(
        "run stopped at the deadline; continuation needed",
        extra={"pending": len(pending)},
    )
    return {
        "execution": request.execution,
        "status": "RUNNING",
        "continuation_needed": True,
        "symbols_pending": len(pending),
    }


def _write_consolidated(
    store: ResultsStore,
    doc_key: str,
    header: dict[str, Any],
    keys: dict[str, str],
    stats: MergeStats,
    head: tuple[list[dict], int],
    summarize: Callable[[], dict[str, Any]],
    rejected_rows: Callable[[], Iterable[dict[str, Any]]],
) -> dict[str, Any]:
    """Streams the merge of the files `keys` (symbol -> key) into the document; returns its summary.

    `head` is (list, limit): the newest `limit` orders are kept in the list for the response.
    """
    summary: dict[str, Any] = {}

    def summary_after_orders() -> dict[str, Any]:
        summary.update(summarize())
        return summary

    with ExitStack() as stack:
        sources = {
            symbol: read_orders(
                stack.enter_context(open_orders(store, key, len(keys))), read_size_for(len(keys))
            )
            for symbol, key in keys.items()
        }
        spill = _FillSpill(stack.enter_context(tempfile.TemporaryFile()))
        orders = _tap(spill.orders_only(merge_newest_first(sources, stats)), *head)
        with store.writer(doc_key) as fh:
            write_document(fh, header, orders, summary_after_orders, rejected_rows, spill.fills)
    return summary


def _cleanup(store: ResultsStore, settings: AggregatorSettings, execution: str) -> None:
    """Deletes the per-symbol files; a failure is logged, never fatal (the result is already recorded)."""
    if not settings.cleanup_per_symbol_files:
        return
    try:
        store.delete(symbol_files(store, settings.results_prefix, execution))
    except Exception:
        logger.exception("cleanup of per-symbol files failed")


def record_failure(
    request: FailureRequest, store: ResultsStore, settings: AggregatorSettings, clock: Clock
) -> dict[str, Any]:
    """Writes the FAILED manifest (error, cause, stopped_at) and returns it."""
    with log_context(execution=request.execution):
        manifest = write_failed(
            store,
            settings.results_prefix,
            request.execution,
            request.error_name,
            request.cause,
            iso_ms_from_epoch(clock()),
        )
        logger.warning("execution failed", extra={"error": request.error_name})
    return manifest

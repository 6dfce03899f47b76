"""The optimised response of the original aggregator: counts and references, never bulk data.

Step Functions caps a task result at 256 KiB, so the response carries totals, errors counted by category, the
workers' real request counters and where the full document is (`s3_uri`, `s3_data_url`). Every list in it is
capped (`MAX_NAMED`) and orders appear only when RESPONSE_MAX_ORDERS > 0, within a byte budget, so the size
stays bounded whatever the number of symbols or orders.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.aggregator.merge import MergeStats
from lambda_functions.aggregator.timefmt import format_duration

MAX_NAMED = 50  # symbols / streams named in a list; the count always covers all of them
MAX_CATEGORIES = 20
ORDERS_BYTE_BUDGET = 128 * 1024  # orders in the response never push it near 256 KiB
WORKER_ERROR = "worker_error"
# Counters a worker summary may carry (top level or under "performance"); summed as reported, never estimated.
REQUEST_KEYS = ("requests", "retries", "http_429")
OPTIMISATION_KEYS = ("circuit_breaker_saves", "smart_pagination_stops", "adaptive_size_adjustments")
PERF_KEYS = REQUEST_KEYS + OPTIMISATION_KEYS
DetailLoader = Callable[[str], Mapping[str, Any] | None]
MESSAGE_OK = "Órdenes procesadas exitosamente"


@dataclass
class WorkerDigest:
    """What the worker results say, folded into counts and short lists."""

    errors: Counter[str] = field(default_factory=Counter)
    failed: dict[str, str] = field(default_factory=dict)  # symbol -> short reason
    incomplete_symbols: list[str] = field(default_factory=list)
    incomplete_streams: list[str] = field(default_factory=list)  # "SYMBOL/stream"
    reported_orders: dict[str, int] = field(default_factory=dict)
    perf: Counter[str] = field(default_factory=Counter)
    worker_seconds: list[float] = field(default_factory=list)


def digest_results(
    symbols: Sequence[str],
    results: Iterable[Any],
    files_present: set[str],
    load_detail: DetailLoader | None = None,
) -> WorkerDigest:
    """Folds worker summaries and Catch items; a symbol without result or orders file counts as failed.

    Optimisation counters missing from a summary are read from the worker's detail file via `load_detail`.
    """
    digest = WorkerDigest()
    for item in results:
        _fold_item(digest, item, load_detail)
    for symbol in symbols:
        if symbol in digest.failed:
            continue
        if symbol not in digest.reported_orders:
            _fail(digest, symbol, "no worker result")
        elif symbol not in files_present:
            _fail(digest, symbol, "orders file missing")
    return digest


def _fold_item(digest: WorkerDigest, item: Any, load_detail: DetailLoader | None) -> None:
    if not isinstance(item, Mapping):
        digest.errors[WORKER_ERROR] += 1  # malformed Map output: counted, nothing to name
        return
    symbol = str(item.get("symbol", "?"))
    error = item.get("error")
    if isinstance(error, Mapping):  # the Map's Catch: {"symbol", "error": {"Error", "Cause"}}
        _fail(digest, symbol, str(error.get("Error") or "Unknown")[:100])
        return
    for category, count in (item.get("errors") or {}).items():
        if isinstance(count, int) and count > 0:
            digest.errors[str(category)] += count
    digest.reported_orders[symbol] = int(item.get("orders") or 0)
    streams = [_stream_name(s) for s in item.get("incomplete_streams") or []]
    digest.incomplete_streams.extend(f"{symbol}/{s}" for s in streams)
    if streams or item.get("complete") is False:
        digest.incomplete_symbols.append(symbol)
    performance = dict(item["performance"]) if isinstance(item.get("performance"), Mapping) else {}
    if load_detail and not any(k in item or k in performance for k in OPTIMISATION_KEYS):
        performance.update(optimisation_counters(load_detail(symbol)))
    for key in PERF_KEYS:
        value = item.get(key, performance.get(key))
        if isinstance(value, int) and not isinstance(value, bool):  # counters are whole numbers
            digest.perf[key] += value
    if isinstance(item.get("duration_s"), int | float):
        digest.worker_seconds.append(float(item["duration_s"]))


def optimisation_counters(detail: Mapping[str, Any] | None) -> dict[str, int]:
    """The worker detail's real counters under the original's metric names (docs/worker.md)."""
    if not isinstance(detail, Mapping):
        return {}

    def number(section: str, key: str) -> int:
        value = (detail.get(section) or {}).get(key, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return {
        "circuit_breaker_saves": number("circuit_breaker", "skipped_streams"),
        "smart_pagination_stops": number("smart_pagination", "requests_saved_short_page"),
        "adaptive_size_adjustments": number("page_size", "adjustments"),
    }


def _stream_name(entry: Any) -> str:
    return str(entry.get("stream", "?")) if isinstance(entry, Mapping) else str(entry)


def _fail(digest: WorkerDigest, symbol: str, reason: str) -> None:
    if symbol not in digest.failed:
        digest.failed[symbol] = reason
        digest.errors[WORKER_ERROR] += 1


def _named(names: Sequence[str], label: str) -> dict[str, Any]:
    return {"count": len(names), label: list(names[:MAX_NAMED]), "truncated": len(names) > MAX_NAMED}


def build_summary(symbols: Sequence[str], digest: WorkerDigest, stats: MergeStats) -> dict[str, Any]:
    """The `summary` of the response and of the consolidated document."""
    mismatched = [
        s
        for s, n in digest.reported_orders.items()
        if s not in digest.failed and n != stats.read_by_source[s]
    ]
    categories = dict(digest.errors.most_common(MAX_CATEGORIES))
    failed = sorted(digest.failed)
    return {
        "total_orders": stats.orders,
        "total_symbols_processed": len(symbols),
        "total_symbols_with_data": sum(1 for s in symbols if stats.read_by_source[s] > 0),
        "total_symbols_failed": len(failed),
        "complete": not (failed or digest.incomplete_symbols or mismatched),
        "orders_by_stream": dict(sorted(stats.orders_by_stream.items())),
        "duplicates_dropped": stats.duplicates_dropped,
        "error_summary": {category: {"count": count} for category, count in categories.items()},
        "failed_symbols": _named(failed, "symbols")
        | {"reasons": {s: digest.failed[s] for s in failed[:MAX_NAMED]}},
        "incomplete_symbols": _named(sorted(set(digest.incomplete_symbols)), "symbols"),
        "incomplete_streams": _named(sorted(digest.incomplete_streams), "streams"),
        "orders_count_mismatch": _named(sorted(mismatched), "symbols"),
        "performance_metrics": _performance(digest),
    }


def _performance(digest: WorkerDigest) -> dict[str, Any]:
    metrics: dict[str, Any] = {key: digest.perf[key] for key in PERF_KEYS if key in digest.perf}
    if digest.worker_seconds:
        total, slowest = sum(digest.worker_seconds), max(digest.worker_seconds)
        metrics["worker_seconds_total"] = round(total, 3)
        metrics["worker_seconds_max"] = round(slowest, 3)
        metrics["worker_seconds_max_formatted"] = format_duration(slowest)
    return metrics


def message_for(summary: Mapping[str, Any]) -> str:
    if summary["complete"]:
        return MESSAGE_OK
    return (
        f"Órdenes procesadas con incidencias: {summary['total_symbols_failed']} símbolos con errores, "
        f"{summary['incomplete_symbols']['count']} símbolos incompletos"
    )


def orders_for_response(head: Sequence[Mapping[str, Any]], max_orders: int) -> list[Mapping[str, Any]]:
    """The first `max_orders` newest orders that fit the byte budget."""
    chosen: list[Mapping[str, Any]] = []
    used = 0
    for order in head[:max_orders]:
        used += len(json.dumps(order, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        if used > ORDERS_BYTE_BUDGET:
            break
        chosen.append(order)
    return chosen


def build_response(
    *,
    execution: str,
    execution_arn: str,
    summary: dict[str, Any],
    s3_uri: str,
    s3_data_url: str,
    url_expires_s: int,
    aggregator_seconds: float,
    execution_seconds: float | None,
    head: Sequence[Mapping[str, Any]],
    max_orders: int,
) -> dict[str, Any]:
    """The aggregator's return value (also stored as the manifest's `result`)."""
    response: dict[str, Any] = {
        "success": True,
        "message": message_for(summary),
        "execution": execution,
        "execution_arn": execution_arn,
        "summary": summary,
        "s3_uri": s3_uri,
        "s3_data_url": s3_data_url,
        "s3_data_url_expires_in_seconds": url_expires_s,
        "aggregator_duration_seconds": round(aggregator_seconds, 3),
        "aggregator_duration_formatted": format_duration(aggregator_seconds),
    }
    if execution_seconds is not None:
        # The original's names for the whole execution's duration (start manifest -> aggregation done).
        response["aws_total_duration_seconds"] = round(execution_seconds, 3)
        response["aws_total_duration_formatted"] = format_duration(execution_seconds)
    if max_orders > 0:
        orders = orders_for_response(head, max_orders)
        response["orders"] = orders
        response["orders_in_response"] = len(orders)
        response["orders_truncated"] = len(orders) < summary["total_orders"]
    return response

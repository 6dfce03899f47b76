"""The optimised response of the original aggregator: counts and references, never bulk data.

Step Functions caps a task result at 256 KiB, so the response carries totals, errors counted by category, the
workers' real request counters and where the full document is (`s3_uri`, `s3_data_url`). Every list in it is
capped (`MAX_NAMED`, `MAX_INCOMPLETE_LISTED`, `MAX_NOT_FOUND_LISTED`) with a count covering all, and orders
appear only when RESPONSE_MAX_ORDERS > 0, within a byte budget, so the size stays bounded whatever the number
of symbols, streams or orders.

`success` is true only when the extraction is complete (`summary.complete`): every symbol's worker finished,
paged every stream to its end, and its file holds the orders it reported. Otherwise `success` is false and
`message` says what is missing (docs/aggregator.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from lambda_functions.aggregator.digest import PERF_KEYS, WORKER_ERROR, WorkerDigest, incomplete_entry
from lambda_functions.aggregator.merge import MergeStats
from lambda_functions.aggregator.timefmt import format_duration
from lambda_functions.common.exact_json import to_plain

MAX_NAMED = 50  # symbols named in a list; the count always covers all of them
MAX_INCOMPLETE_LISTED = 100  # summary.incomplete_streams entries; incomplete_streams_count covers all
MAX_NOT_FOUND_LISTED = 500  # the coordinator's symbol limit: every unknown symbol named
MAX_CATEGORIES = 20
MESSAGE_EXAMPLES = 3  # incomplete streams / failed symbols quoted in the message
ORDERS_BYTE_BUDGET = 128 * 1024  # orders in the response never push it near 256 KiB
RESPONSE_BYTE_BUDGET = 200 * 1024  # the whole response with its orders
MESSAGE_OK = "Órdenes procesadas exitosamente"


def _named(names: Sequence[str], label: str) -> dict[str, Any]:
    return {"count": len(names), label: list(names[:MAX_NAMED]), "truncated": len(names) > MAX_NAMED}


def build_summary(symbols: Sequence[str], digest: WorkerDigest, stats: MergeStats) -> dict[str, Any]:
    """The `summary` of the response and of the consolidated document."""
    mismatched = sorted(
        s
        for s, n in digest.reported_orders.items()
        if s not in digest.failed and n != stats.read_by_source[s]
    )
    failed = sorted(digest.failed)
    incomplete = _incomplete_streams(digest, failed, mismatched, stats)
    categories = dict(digest.errors.most_common(MAX_CATEGORIES))
    not_found = sorted(set(digest.not_found))
    return {
        "total_orders": stats.orders,
        "total_symbols_processed": len(symbols),
        "total_symbols_with_data": sum(1 for s in symbols if stats.read_by_source[s] > 0),
        "total_symbols_failed": len(failed),
        "complete": not incomplete,
        "orders_by_stream": dict(sorted(stats.orders_by_stream.items())),
        "total_fills": stats.fills,
        "fills_by_stream": dict(sorted(stats.fills_by_stream.items())),
        "duplicates_dropped": stats.duplicates_dropped,
        "rejected_rows": digest.rejected_rows + stats.rejected,
        "error_summary": {category: {"count": count} for category, count in categories.items()},
        "symbols_not_found": not_found[:MAX_NOT_FOUND_LISTED],
        "symbols_not_found_count": len(not_found),
        "failed_symbols": _named(failed, "symbols")
        | {"reasons": {s: digest.failed[s] for s in failed[:MAX_NAMED]}},
        "incomplete_symbols": _named(sorted(set(digest.incomplete_symbols)), "symbols"),
        "incomplete_streams": incomplete[:MAX_INCOMPLETE_LISTED],
        "incomplete_streams_count": len(incomplete),
        "incomplete_streams_omitted": max(0, len(incomplete) - MAX_INCOMPLETE_LISTED),
        "orders_count_mismatch": _named(mismatched, "symbols"),
        "performance_metrics": _performance(digest),
    }


def _incomplete_streams(
    digest: WorkerDigest, failed: Sequence[str], mismatched: Sequence[str], stats: MergeStats
) -> list[dict[str, Any]]:
    """Every reason the extraction is not complete, one entry each, sorted by symbol then stream.

    Streams the workers could not page to the end; symbols whose worker failed (`stream` null: none of its
    streams is known to be complete); symbols whose file does not hold the count their worker reported.
    """
    entries = list(digest.incomplete_streams)
    entries += [
        incomplete_entry(s, None, WORKER_ERROR, None, digest.failure_messages.get(s) or digest.failed[s])
        for s in failed
    ]
    entries += [
        incomplete_entry(
            s,
            None,
            "orders_count_mismatch",
            None,
            f"worker reported {digest.reported_orders[s]} records, its file holds {stats.read_by_source[s]}",
        )
        for s in mismatched
    ]
    return sorted(entries, key=lambda e: (e["symbol"], e["stream"] or ""))


def _performance(digest: WorkerDigest) -> dict[str, Any]:
    metrics: dict[str, Any] = {key: digest.perf[key] for key in PERF_KEYS if key in digest.perf}
    if digest.worker_seconds:
        total, slowest = sum(digest.worker_seconds), max(digest.worker_seconds)
        metrics["worker_seconds_total"] = round(total, 3)
        metrics["worker_seconds_max"] = round(slowest, 3)
        metrics["worker_seconds_max_formatted"] = format_duration(slowest)
    return metrics


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _describe(entry: Mapping[str, Any]) -> str:
    where = entry["symbol"] + (f"/{entry['stream']}" if entry["stream"] else "")
    what = entry["reason"] + (f" {entry['error_code']}" if entry["error_code"] else "")
    return f"{where}: {what}" + (f" ({entry['error_message']})" if entry["error_message"] else "")


def message_for(summary: Mapping[str, Any]) -> str:
    """One sentence: the original's success message, or what is missing (a few examples, then counts)."""
    parts = [MESSAGE_OK if summary["complete"] else _incomplete_message(summary)]
    if summary["symbols_not_found_count"]:
        names = ", ".join(summary["symbols_not_found"][:MAX_NAMED])
        parts.append(f"{_plural(summary['symbols_not_found_count'], 'symbol')} not found on Bitget: {names}")
    if summary["rejected_rows"]:
        parts.append(
            f"{_plural(summary['rejected_rows'], 'row')} rejected (see rejected_rows in the document)"
        )
    return "; ".join(parts)


def _incomplete_message(summary: Mapping[str, Any]) -> str:
    failed, mismatched = summary["failed_symbols"]["count"], summary["orders_count_mismatch"]["count"]
    streams = summary["incomplete_streams_count"] - failed - mismatched
    what = []
    if streams:
        symbols = summary["incomplete_symbols"]["count"]
        what.append(
            f"{_plural(streams, 'stream')} of {_plural(symbols, 'symbol')} could not be paged to the end"
        )
    if failed:
        what.append(f"{_plural(failed, 'symbol')} failed")
    if mismatched:
        what.append(f"{_plural(mismatched, 'symbol')} with fewer or more orders than their worker reported")
    entries = summary["incomplete_streams"][:MESSAGE_EXAMPLES]
    more = summary["incomplete_streams_count"] - len(entries)
    examples = "; ".join(_describe(e) for e in entries) + (f"; {more} more" if more > 0 else "")
    return f"Extraction incomplete: {', '.join(what)} ({examples})"


def orders_for_response(head: Sequence[Mapping[str, Any]], max_orders: int, budget: int) -> list[Any]:
    """The first `max_orders` newest orders (plain JSON numbers) that fit `budget` bytes."""
    chosen: list[Any] = []
    used = 0
    for order in head[:max_orders]:
        plain = to_plain(order)
        used += len(json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        if used > budget:
            break
        chosen.append(plain)
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
        "success": summary["complete"] is True,
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
        room = RESPONSE_BYTE_BUDGET - len(json.dumps(response, ensure_ascii=False).encode())
        orders = orders_for_response(head, max_orders, min(ORDERS_BYTE_BUDGET, max(0, room)))
        response["orders"] = orders
        response["orders_in_response"] = len(orders)
        response["orders_truncated"] = len(orders) < summary["total_orders"]
    return response

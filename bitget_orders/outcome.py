"""What an execution's final status means: its exit code and its summary rows (per symbol and stream: orders,
complete or why not), read from GET /orders/{arn}'s `result.summary` (docs/aggregator.md).

Rows come from `summary.coverage` (one entry per stream, per symbol where the stream is per symbol; account-wide
streams have `symbol: null`); `summary.incomplete_streams` says why a stream is not complete (the worker's
reason, Bitget's code and message). Entries there that no coverage row covers (a whole symbol whose worker
failed: `stream: null`) become rows of their own. Results without coverage fall back to `orders_by_stream`.
Fill streams (named `..._fills`, issue 11) count fills (`fills_by_stream`) where order streams count orders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bitget_orders.api_client import execution_name
from bitget_orders.errors import EXIT_COMPLETE, EXIT_ERROR, EXIT_INCOMPLETE

ENDED_INCOMPLETE = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class StreamRow:
    """One line of the summary table. `symbol` None: the stream covers the whole account (or all symbols)."""

    symbol: str | None
    stream: str | None
    orders: int | None
    complete: bool
    why: str = ""


def summary_of(answer: dict[str, Any]) -> dict[str, Any]:
    result = answer.get("result")
    summary = result.get("summary") if isinstance(result, dict) else None
    return summary if isinstance(summary, dict) else {}


def is_complete(answer: dict[str, Any]) -> bool:
    """SUCCEEDED with every stream paged to its end (`summary.complete`, else the older `success`)."""
    if answer.get("status") != "SUCCEEDED":
        return False
    result = answer.get("result") or {}
    complete = summary_of(answer).get("complete")
    return bool(result.get("success") if complete is None else complete)


def exit_code(answer: dict[str, Any]) -> int:
    """0 complete; 2 incomplete, failed, cancelled or still running; 1 when its orders could not be saved."""
    if (answer.get("database_info") or {}).get("state") == "failed":
        return EXIT_ERROR
    return EXIT_COMPLETE if is_complete(answer) else EXIT_INCOMPLETE


def why(entry: dict[str, Any]) -> str:
    """`server_error (Bitget 45001: Service temporarily unavailable)`: the reason, then Bitget's word."""
    reason = str(entry.get("reason") or "incomplete")
    code, message = entry.get("error_code"), entry.get("error_message")
    if code and message:
        return f"{reason} (Bitget {code}: {message})"
    if code or message:
        return f"{reason} ({code or message})"
    return reason


def stream_rows(summary: dict[str, Any]) -> list[StreamRow]:
    """Every row of the summary table, in the result's order; `orders` where the summary alone tells it."""
    reasons = _reasons(summary)
    used: set[tuple[str | None, str | None]] = set()

    def reason_for(symbol: str | None, stream: str | None) -> str | None:
        keys = [(symbol, stream), (symbol, None)]
        if symbol is None:  # an account-wide stream: its entry names the account unit (ALL_SPOT...)
            keys += [key for key in reasons if key[1] == stream]
        found = [key for key in keys if key in reasons]
        used.update(found)
        return reasons[found[0]] if found else None

    by_stream = counts_by_stream(summary)
    coverage = [entry for entry in summary.get("coverage") or [] if isinstance(entry, dict)]
    rows: list[StreamRow] = []
    for entry in coverage:
        symbol, stream = entry.get("symbol"), entry.get("stream")
        reason = reason_for(symbol, stream)
        complete = bool(entry.get("complete")) and reason is None
        orders = by_stream.get(str(stream)) if symbol is None else None
        rows.append(
            StreamRow(
                symbol, stream, orders, complete, reason or ("" if complete else "not paged to its end")
            )
        )
    if not coverage:
        for stream, count in sorted(by_stream.items()):
            reason = reason_for(None, stream)
            rows.append(
                StreamRow(
                    None, stream, int(count), bool(summary.get("complete")) and not reason, reason or ""
                )
            )
    for (symbol, stream), reason in reasons.items():
        if (symbol, stream) not in used:
            rows.append(StreamRow(symbol, stream, None, False, reason))
    return _unique_stream_counts(rows, summary)


def is_fill_stream(stream: str | None) -> bool:
    return bool(stream and stream.endswith("_fills"))


def counts_by_stream(summary: dict[str, Any]) -> dict[str, int]:
    """Orders per order stream and fills per fill stream, as the result counted them."""
    counts: dict[str, int] = {}
    for key in ("orders_by_stream", "fills_by_stream"):
        value = summary.get(key)
        if isinstance(value, dict):
            counts.update({str(k): int(v) for k, v in value.items() if isinstance(v, int)})
    return counts


def _reasons(summary: dict[str, Any]) -> dict[tuple[str | None, str | None], str]:
    entries = summary.get("incomplete_streams")
    if not isinstance(entries, list):  # the older {"count", "streams"} shape names no reasons
        return {}
    reasons: dict[tuple[str | None, str | None], str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            reasons[_key(entry.get("symbol"), entry.get("stream"))] = why(entry)
    return reasons


def _key(symbol: Any, stream: Any) -> tuple[str | None, str | None]:
    """An account unit names a per-symbol stream `spot_plan:BTCUSDT` under its unit (ALL_SPOT): the row's
    key is (BTCUSDT, spot_plan), as coverage has it."""
    if isinstance(stream, str) and ":" in stream:
        stream, symbol = stream.split(":", 1)
    return (str(symbol) if symbol is not None else None, str(stream) if stream is not None else None)


def _unique_stream_counts(rows: list[StreamRow], summary: dict[str, Any]) -> list[StreamRow]:
    """A stream on one row only has all of its stream's records (`*_by_stream`): no query needed."""
    by_stream = counts_by_stream(summary)
    per_stream: dict[str | None, int] = {}
    for row in rows:
        per_stream[row.stream] = per_stream.get(row.stream, 0) + 1
    return [
        replace(row, orders=int(by_stream.get(row.stream, 0)))
        if row.orders is None and row.stream is not None and per_stream[row.stream] == 1
        else row
        for row in rows
    ]


def collapse_by_stream(rows: list[StreamRow]) -> list[StreamRow]:
    """One row per stream (symbols summed) for executions with too many rows to list them all."""
    merged: dict[str | None, StreamRow] = {}
    for row in rows:
        current = merged.get(row.stream)
        if current is None:
            merged[row.stream] = replace(row, symbol=None)
            continue
        orders = None if current.orders is None or row.orders is None else current.orders + row.orders
        reasons = current.why or row.why
        merged[row.stream] = StreamRow(None, row.stream, orders, current.complete and row.complete, reasons)
    return list(merged.values())


def records(summary: dict[str, Any]) -> str:
    """`3,598 orders`, or `5,074 orders and 9,024 fills` when the execution read fills."""
    orders, fills = summary.get("total_orders"), summary.get("total_fills")
    text = f"{orders:,} orders" if isinstance(orders, int) else "? orders"
    read_fills = isinstance(fills, int) and (fills > 0 or bool(summary.get("fills_by_stream")))
    return text + (f" and {fills:,} fills" if read_fills else "")


def headline(answer: dict[str, Any]) -> str:
    """One sentence for the end of a run: complete, incomplete (and what to do), failed, cancelled."""
    status = answer.get("status")
    name = execution_name(str(answer.get("executionArn", "")))
    summary = summary_of(answer)
    if is_complete(answer):
        return f"complete: {records(summary)}, every stream paged to its end"
    if status == "SUCCEEDED":
        count = summary.get("incomplete_streams_count") or len(summary.get("incomplete_streams") or [])
        return (
            f"INCOMPLETE: {count} stream(s) could not be paged to their end ({records(summary)} kept). "
            f"Try again from the checkpoints: bitget-orders resume {name}"
        )
    if status in ENDED_INCOMPLETE:
        cause = answer.get("cause") or answer.get("error") or answer.get("message") or ""
        text = f"{status}: {cause}".rstrip(": ")
        return f"{text}. Go on from the checkpoints: bitget-orders resume {name}"
    return f"{status}: still running; follow it with: bitget-orders status {name} --wait"

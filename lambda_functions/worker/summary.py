"""What a worker reports: error categories, per-stream results, the compact summary and the full detail.

The summary is the worker's return value and travels through the Step Functions Map (256 KiB for all symbols
together), so it stays a few hundred bytes: counts, flags, keys. The detail (per stream pages, completeness,
reasons, optimisation counters, timings) is written to the results store beside the orders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.bitget.codes import BUSY_CODES, RATE_LIMIT_CODE
from lambda_functions.worker.window import Window

SYMBOL_NOT_FOUND = "symbol_not_found"
RATE_LIMIT = "rate_limit"
AUTH = "auth"
TIMEOUT = "timeout"
SERVER_ERROR = "server_error"
MAX_PAGES = "max_pages"
CLIENT_ERROR = "client_error"
CIRCUIT_OPEN = "circuit_open"
WORKER_ERROR = "worker_error"
NOT_LISTED = "not_listed"  # a not-applicable reason, not an error: the market's list lacks the symbol

NOT_FOUND_CODES = frozenset({"40034", "40309"})
# Bitget's credential / signature / permission codes (BITGET_API.md §4).
AUTH_CODES = frozenset(
    {
        "40001",
        "40002",
        "40003",
        "40004",
        "40005",
        "40006",
        "40007",
        "40008",
        "40009",
        "40010",
        "40011",
        "40012",
        "40013",
        "40014",
        "40018",
        "40036",
        "40037",
    }
)


def categorize(exc: BaseException) -> str:
    """The error category of an exception raised while fetching (by type and Bitget code, never by text)."""
    if isinstance(exc, BitgetRateLimitError):
        return RATE_LIMIT
    if isinstance(exc, BitgetAPIError):
        code = str(exc.code)
        if code in NOT_FOUND_CODES:
            return SYMBOL_NOT_FOUND
        if code in AUTH_CODES or exc.http_status in (401, 403):
            return AUTH
        if code == RATE_LIMIT_CODE:
            return RATE_LIMIT
        if code in BUSY_CODES or (exc.http_status or 0) >= 500:
            return SERVER_ERROR
        return CLIENT_ERROR
    if isinstance(exc, BitgetTimeoutError):
        return TIMEOUT
    if isinstance(exc, BitgetTransportError):
        return SERVER_ERROR
    return WORKER_ERROR


@dataclass
class StreamResult:
    """The outcome of one stream (its orders are in the part files, never here)."""

    stream: str
    order_count: int = 0
    pages: int = 0
    shards: int = 0
    complete: bool = True
    reason: str | None = None  # why incomplete, or why not applicable
    not_applicable: bool = False
    error: str | None = None  # error category when the stream ended on an error
    error_code: str | None = None  # Bitget's code of that error, when Bitget gave one
    error_message: str | None = None  # Bitget's message (or the transport error), secrets removed
    rejected_rows: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # the first few, with reason and raw row
    second_passes: int = 0
    rows_outside_query: int = 0  # rows Bitget returned outside the time bounds asked (not kept, counted)
    skipped_by_name: bool = False  # not asked: the symbol's name rules this market out
    page_size_adjustments: int = 0
    breaker_skipped: bool = False
    listed: bool | None = None  # in the market's current list; None when the list could not be fetched
    duration_s: float = 0.0

    def detail(self) -> dict[str, Any]:
        return {
            "orders": self.order_count,
            "pages": self.pages,
            "shards": self.shards,
            "complete": self.complete,
            "reason": self.reason,
            "not_applicable": self.not_applicable,
            "error": self.error,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "rejected_rows": self.rejected_rows,
            "rejected": self.rejected,
            "second_passes": self.second_passes,
            "rows_outside_query": self.rows_outside_query,
            "listed": self.listed,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass
class ExtractionResult:
    symbol: str
    execution: str
    window: Window
    streams: list[StreamResult]
    order_count: int
    client_stats: dict[str, Any]
    orders_key: str
    detail_key: str
    duration_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    fill_count: int | None = None  # None: no fill stream was planned

    def symbol_not_found(self) -> bool:
        """Every stream that was asked answered that the symbol does not exist (most likely a typo)."""
        asked = [s for s in self.streams if not s.skipped_by_name]
        return bool(asked) and all(s.not_applicable for s in asked)

    def error_counts(self) -> dict[str, int]:
        """Non-zero categories only.

        A symbol no market knows (every stream not applicable) is most likely a typo: it counts as one
        symbol_not_found, not one per stream. A single market lacking the symbol is no error at all.
        """
        counts: Counter[str] = Counter(s.error for s in self.streams if s.error)
        if self.symbol_not_found():
            counts[SYMBOL_NOT_FOUND] += 1
        return dict(sorted(counts.items()))


def build_summary(result: ExtractionResult) -> dict[str, Any]:
    """The worker's return value (docs/CONTRACTS.md "Worker summary").

    500 of them must fit in the Map's 256 KiB output, so it stays near 400 bytes: the execution is in the Map
    item already, and `symbol_not_found` / `rejected_rows` appear only when they are true / non-zero.
    """
    incomplete = [s.stream for s in result.streams if not s.complete]
    summary: dict[str, Any] = {
        "symbol": result.symbol,
        "orders": result.order_count,
        "complete": not incomplete,
        "incomplete_streams": incomplete,
        "errors": result.error_counts(),
        "requests": int(result.client_stats.get("requests", 0)),
        "retries": int(result.client_stats.get("retries", 0)),
        "http_429": int(result.client_stats.get("http_429", 0)),
        "duration_s": round(result.duration_s, 3),
        "window": result.window.as_dict(),
        "orders_key": result.orders_key,
        "detail_key": result.detail_key,
    }
    if result.fill_count is not None:
        summary["fills"] = result.fill_count
    if result.symbol_not_found():
        summary["symbol_not_found"] = True
    rejected = sum(s.rejected_rows for s in result.streams)
    if rejected:
        summary["rejected_rows"] = rejected
    return summary


def build_detail(result: ExtractionResult, summary: dict[str, Any]) -> dict[str, Any]:
    """The full picture of one run, stored beside the orders."""
    streams = result.streams
    detail = {"execution": result.execution, **summary}
    if result.window.clamped:
        detail["window"] = {**summary["window"], "requested_start_ms": result.window.requested_start_ms}
    detail["streams"] = {s.stream: s.detail() for s in streams}
    detail["circuit_breaker"] = {"skipped_streams": sum(s.breaker_skipped for s in streams)}
    detail["smart_pagination"] = {
        # Markets the symbol's name rules out are not asked at all (markets.excluded_by_name).
        "requests_saved_by_name": sum(s.skipped_by_name for s in streams),
        # A market whose list lacks the symbol still gets one request (it may have been delisted lately).
        "unlisted_markets_probed": sum(
            s.listed is False and not s.breaker_skipped and not s.skipped_by_name for s in streams
        ),
        "unlisted_markets_with_orders": sum(s.listed is False and s.order_count > 0 for s in streams),
        "shards": sum(s.shards for s in streams),
        "second_passes": sum(s.second_passes for s in streams),
    }
    detail["page_size"] = {"adjustments": sum(s.page_size_adjustments for s in streams)}
    detail["client"] = {k: v for k, v in result.client_stats.items() if isinstance(v, int | float | dict)}
    detail["timings"] = {k: round(v, 3) for k, v in result.timings.items()}
    return detail

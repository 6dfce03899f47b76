"""What the workers reported, folded into counts and short lists for the summary.

Each Map result is a worker summary (CONTRACTS.md) or an error item `{"symbol", "error": {"Error", "Cause"?}}`
(the worker's own, with a bounded Cause, or the Map's Catch, with the error name only). A symbol without a
result, or whose orders file is missing, counts as failed. The worker's detail file
(`{SYMBOL}.detail.json`, read through a `DetailLoader`, at most once per symbol) supplies what the summary is too
small to carry: Bitget's error code and message of each incomplete stream, the optimisation counters, and
whether rejected rows were kept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Counters a worker summary may carry (top level or under "performance"); summed as reported, never estimated.
REQUEST_KEYS = ("requests", "retries", "http_429")
OPTIMISATION_KEYS = ("circuit_breaker_saves", "smart_pagination_stops", "adaptive_size_adjustments")
PERF_KEYS = REQUEST_KEYS + OPTIMISATION_KEYS
WORKER_ERROR = "worker_error"
MAX_REASON_CHARS = 100
MAX_MESSAGE_CHARS = 200  # Bitget's msg (already without secrets): one line, enough to act on
DetailLoader = Callable[[str], Mapping[str, Any] | None]


@dataclass
class WorkerDigest:
    """What the worker results say, folded into counts and short lists."""

    errors: Counter[str] = field(default_factory=Counter)
    failed: dict[str, str] = field(default_factory=dict)  # symbol -> short reason
    failure_messages: dict[str, str] = field(
        default_factory=dict
    )  # symbol -> "Error: Cause" when a Cause came
    incomplete_symbols: list[str] = field(default_factory=list)
    # {symbol, stream, reason, error_code, error_message}: one per stream not paged to its end
    incomplete_streams: list[dict[str, Any]] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    rejected_rows: int = 0  # rows the workers could not use (their samples are in the detail files)
    symbols_with_rejected: list[str] = field(default_factory=list)
    reported_orders: dict[str, int] = field(default_factory=dict)
    account_modes: set[str] = field(default_factory=set)  # what workers that probed the account found
    perf: Counter[str] = field(default_factory=Counter)
    worker_seconds: list[float] = field(default_factory=list)


def digest_results(
    symbols: Sequence[str],
    results: Iterable[Any],
    files_present: set[str],
    load_detail: DetailLoader | None = None,
) -> WorkerDigest:
    """Folds worker summaries and Catch items; a symbol without result or orders file counts as failed."""
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
    if isinstance(error, Mapping):  # an error item: {"symbol", "error": {"Error", "Cause"?}}
        name = str(error.get("Error") or "Unknown")[:MAX_REASON_CHARS]
        if symbol not in digest.failed and (cause := _cause_text(error.get("Cause"))):
            digest.failure_messages[symbol] = f"{name}: {cause}"[:MAX_MESSAGE_CHARS]
        _fail(digest, symbol, name)
        return
    for category, count in (item.get("errors") or {}).items():
        if isinstance(count, int) and count > 0:
            digest.errors[str(category)] += count
    # every record of its file: orders and fills (the merge counts what it reads of the file)
    digest.reported_orders[symbol] = _count(item.get("orders")) + _count(item.get("fills"))
    if isinstance(item.get("account_mode"), str):
        digest.account_modes.add(item["account_mode"])
    if item.get("symbol_not_found") is True:
        digest.not_found.append(symbol)
    detail = _LazyDetail(symbol, load_detail)
    _fold_completeness(digest, symbol, item, detail)
    _fold_rejected(digest, symbol, item)
    _fold_performance(digest, item, detail)


class _LazyDetail:
    """The worker's detail file, read on first use only (most symbols never need it)."""

    def __init__(self, symbol: str, load: DetailLoader | None) -> None:
        self._symbol, self._load = symbol, load
        self._value: Mapping[str, Any] | None = None
        self._loaded = False

    def loaded(self) -> Mapping[str, Any] | None:
        if not self._loaded:
            self._loaded = True
            value = self._load(self._symbol) if self._load else None
            self._value = value if isinstance(value, Mapping) else None
        return self._value

    def stream(self, name: str) -> Mapping[str, Any]:
        streams = (self.loaded() or {}).get("streams")
        entry = streams.get(name) if isinstance(streams, Mapping) else None
        return entry if isinstance(entry, Mapping) else {}


def _fold_completeness(
    digest: WorkerDigest, symbol: str, item: Mapping[str, Any], detail: _LazyDetail
) -> None:
    reported = item.get("incomplete_streams")
    reported = reported if isinstance(reported, list) else []
    names = [_stream_name(s) for s in reported]
    for name, inline in zip(names, reported, strict=True):
        entry = {**detail.stream(name), **(inline if isinstance(inline, Mapping) else {})}
        reason = entry.get("reason") or entry.get("error") or "incomplete"
        digest.incomplete_streams.append(
            incomplete_entry(symbol, name, reason, entry.get("error_code"), entry.get("error_message"))
        )
    if names or item.get("complete") is False:
        digest.incomplete_symbols.append(symbol)
    if not names and item.get("complete") is False:  # incomplete, streams not named: the whole symbol
        digest.incomplete_streams.append(incomplete_entry(symbol, None, "incomplete"))


def _fold_rejected(digest: WorkerDigest, symbol: str, item: Mapping[str, Any]) -> None:
    rejected = _count(item.get("rejected_rows"))
    if rejected:
        digest.rejected_rows += rejected
        digest.symbols_with_rejected.append(symbol)


def _fold_performance(digest: WorkerDigest, item: Mapping[str, Any], detail: _LazyDetail) -> None:
    performance = dict(item["performance"]) if isinstance(item.get("performance"), Mapping) else {}
    if not any(k in item or k in performance for k in OPTIMISATION_KEYS):
        performance.update(optimisation_counters(detail.loaded()))
    for key in PERF_KEYS:
        value = item.get(key, performance.get(key))
        if isinstance(value, int) and not isinstance(value, bool):  # counters are whole numbers
            digest.perf[key] += value
    if isinstance(item.get("duration_s"), int | float):
        digest.worker_seconds.append(float(item["duration_s"]))


def incomplete_entry(
    symbol: str, stream: str | None, reason: Any, error_code: Any = None, error_message: Any = None
) -> dict[str, Any]:
    """One `summary.incomplete_streams` entry (`stream` None: the whole symbol), every text bounded."""
    return {
        "symbol": symbol,
        "stream": stream,
        "reason": str(reason)[:MAX_REASON_CHARS],
        "error_code": None if error_code in (None, "") else str(error_code)[:MAX_REASON_CHARS],
        "error_message": None if error_message in (None, "") else str(error_message)[:MAX_MESSAGE_CHARS],
    }


def optimisation_counters(detail: Mapping[str, Any] | None) -> dict[str, int]:
    """The worker detail's real counters under the original's metric names (docs/worker.md)."""
    if not isinstance(detail, Mapping):
        return {}

    def number(section: str, key: str) -> int:
        value = (detail.get(section) or {}).get(key, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return {
        "circuit_breaker_saves": number("circuit_breaker", "skipped_streams"),
        # requests saved: markets the symbol's name rules out (older workers: the request after a short page)
        "smart_pagination_stops": number("smart_pagination", "requests_saved_by_name")
        + number("smart_pagination", "requests_saved_short_page"),
        "adaptive_size_adjustments": number("page_size", "adjustments"),
    }


def _cause_text(cause: Any) -> str:
    """A Cause on one line: Lambda's `{"errorMessage": ...}` JSON gives its message, anything else its text."""
    if not isinstance(cause, str) or not cause.strip():
        return ""
    text = cause.strip()
    if text.startswith("{"):
        try:
            message = json.loads(text).get("errorMessage")
        except (ValueError, AttributeError):
            message = None
        text = message if isinstance(message, str) and message.strip() else text
    return " ".join(text[: MAX_MESSAGE_CHARS * 4].split())


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _stream_name(entry: Any) -> str:
    return str(entry.get("stream", "?")) if isinstance(entry, Mapping) else str(entry)


def _fail(digest: WorkerDigest, symbol: str, reason: str) -> None:
    if symbol not in digest.failed:
        digest.failed[symbol] = reason
        digest.errors[WORKER_ERROR] += 1

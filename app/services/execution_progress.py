"""Per-symbol, per-stream progress and timings of an execution, read from its workers' checkpoints.

GET /orders/{arn}'s `progress` sums it up (streams done, orders and requests so far) and GET
/orders/{arn}/progress gives it per symbol and stream, for the CLI and the web page. The workers' checkpoints
(`{prefix}{execution}/checkpoints/{SYMBOL}.json`, docs/CONTRACTS.md) say more: every shard of every stream with
its pages, the rows kept and how it ended (null while open), the request counters and, once the symbol is
finished, its summary (duration, requests, 429s). They are rewritten every CHECKPOINT_INTERVAL_S while the
worker pages and stay after the execution ends, until the execution is deleted or its results expire.

Read-only: nothing here writes to the store. A checkpoint that cannot be read is skipped (the page shows what
it can), never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.schemas.progress import ProgressResponse, StreamProgress, SymbolProgress
from lambda_functions.common.bitget.endpoints import DEFAULT_LIMIT, PUBLISHED_LIMITS, history_path
from lambda_functions.common.keys import execution_prefix
from lambda_functions.common.results_store import ResultsStore

log = logging.getLogger(__name__)
MAX_SYMBOLS_SHOWN = 200  # an account of 500 symbols still reads in a second; the page says how many more


@dataclass
class ExecutionProgress:
    symbols: list[SymbolProgress]
    symbols_total: int  # checkpoints present (the page may show fewer: MAX_SYMBOLS_SHOWN)

    @property
    def orders(self) -> int:
        return sum(s.orders for s in self.symbols)

    @property
    def streams_done(self) -> int:
        return sum(s.streams_done for s in self.symbols)

    @property
    def streams_total(self) -> int:
        return sum(len(s.streams) for s in self.symbols)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.symbols)

    @property
    def http_429(self) -> int:
        return sum(s.http_429 for s in self.symbols)

    @property
    def requests_limit_per_s(self) -> int:
        """The account's rate limit on the endpoints still being paged (every one once all are done): the sum of
        Bitget's published per-path limits, what requests per second are measured against."""
        streams = [s for symbol in self.symbols for s in symbol.streams]
        paging = [s for s in streams if s.state == "open"] or streams
        paths = {history_path(s.stream) for s in paging}
        return int(sum(PUBLISHED_LIMITS.get(path, DEFAULT_LIMIT) for path in paths))

    def totals(self) -> dict[str, int]:
        """What GET /orders/{arn}'s `progress` adds to symbols done / total while an execution runs."""
        return {
            "streams_done": self.streams_done,
            "streams_total": self.streams_total,
            "orders": self.orders,
            "requests": self.requests,
            "http_429": self.http_429,
            "requests_limit_per_s": self.requests_limit_per_s,
        }

    def response(self) -> ProgressResponse:
        """GET /orders/{arn}/progress's answer."""
        return ProgressResponse(symbols_total=self.symbols_total, **self.totals(), symbols=self.symbols)


def read_progress(store: ResultsStore, prefix: str, execution: str) -> ExecutionProgress:
    """Every checkpoint of the execution, by symbol name."""
    folder = f"{execution_prefix(prefix, execution)}checkpoints/"
    try:
        keys = sorted(key for key in store.list_keys(folder) if key.endswith(".json"))
    except Exception:  # the store is unreachable: the page shows the status without the detail
        log.warning("checkpoints of %s could not be listed", execution, exc_info=True)
        return ExecutionProgress([], 0)
    symbols = []
    for key in keys[:MAX_SYMBOLS_SHOWN]:
        checkpoint = _read(store, key)
        if checkpoint is not None:
            symbols.append(symbol_progress(checkpoint, key.rsplit("/", 1)[-1].removesuffix(".json")))
    return ExecutionProgress(symbols, len(keys))


def _read(store: ResultsStore, key: str) -> Mapping[str, Any] | None:
    try:
        value = store.get_json(key)
    except Exception:  # removed meanwhile (retention, delete) or not JSON: skip it
        log.debug("checkpoint %s unreadable", key, exc_info=True)
        return None
    return value if isinstance(value, Mapping) else None


def symbol_progress(checkpoint: Mapping[str, Any], fallback_symbol: str) -> SymbolProgress:
    """One checkpoint, folded: streams from its shards, counters from its client stats or summary."""
    summary = _mapping(checkpoint.get("summary"))
    stats = _mapping(checkpoint.get("client_stats"))
    counters = summary if summary else stats
    streams = _streams(checkpoint)
    kept = sum(s.orders for s in streams)
    duration = summary.get("duration_s")
    complete = summary.get("complete")
    return SymbolProgress(
        symbol=str(checkpoint.get("symbol") or fallback_symbol),
        finished=checkpoint.get("finished") is True,
        orders=_int(summary.get("orders"), kept) if summary else kept,
        requests=_int(counters.get("requests")),
        retries=_int(counters.get("retries")),
        http_429=_int(counters.get("http_429")),
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        complete=complete if isinstance(complete, bool) else None,
        streams=streams,
    )


def _streams(checkpoint: Mapping[str, Any]) -> list[StreamProgress]:
    counters = _mapping(checkpoint.get("streams"))
    by_name: dict[str, StreamProgress] = {}
    ends: dict[str, list[Any]] = {}
    for shard in checkpoint.get("shards") or []:
        if not isinstance(shard, Mapping) or not isinstance(shard.get("stream"), str):
            continue
        name = shard["stream"]
        stream = by_name.setdefault(name, StreamProgress(name))
        stream.pages += _int(shard.get("pages"))
        stream.orders += _int(shard.get("kept"))
        ends.setdefault(name, []).append(shard.get("end"))
    for name, values in ends.items():
        by_name[name].state = _state(values)
    for name, entry in counters.items():  # a stream paged without shards yet, or one that does not apply
        info = _mapping(entry)
        if info.get("not_applicable") is True:
            by_name.pop(str(name), None)
        elif str(name) not in by_name:
            by_name[str(name)] = StreamProgress(str(name), pages=_int(info.get("pages")))
    return [by_name[name] for name in sorted(by_name)]


def _state(ends: list[Any]) -> str:
    if any(end is None for end in ends):
        return "open"
    failures = sorted({str(end) for end in ends if end != "complete"})
    return ", ".join(failures) if failures else "complete"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default

"""The account part of an execution's summary, and the account's sync state after an account-wide execution.

`summary.coverage` lists, per stream (and symbol), the window paged and whether it was paged to its end: the
API's ledger turns the complete ones into the account's coverage and gaps. An account unit reports its own
(worker detail "account"); a symbol's worker reports per stream, read from its detail file for up to
`MAX_SYMBOL_COVERAGE` symbols (the response travels through Step Functions, 256 KiB: beyond that the summary
says `coverage_truncated` and such an execution adds no coverage). `summary.orders_by_symbol` counts orders per
real symbol, whatever the Map's items were.

After a complete-or-not account-wide execution that was not cancelled, every stream it paged to its end
advances the account's sync state (common/sync_state.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lambda_functions.common import sync_state
from lambda_functions.common.account_scope import is_account_unit
from lambda_functions.common.logs import log_context
from lambda_functions.common.results_store import ResultsStore
from lambda_functions.common.streams import SPOT_FILLS, SPOT_PLAN

log = logging.getLogger(__name__)
MAX_SYMBOL_COVERAGE = 50
# An account unit's streams paged once per symbol (`spot_plan:BTCUSDT`): they advance the sync state per symbol.
PER_SYMBOL_STREAMS = frozenset({SPOT_PLAN, SPOT_FILLS})


def account_summary(
    symbols: Sequence[str],
    results: Sequence[Any],
    failed: Mapping[str, str],
    read_by_source: Mapping[str, int],
    load_detail: Callable[[str], Mapping[str, Any] | None],
) -> dict[str, Any]:
    """`orders_by_symbol`, `coverage` (+ `coverage_truncated`), and for account units `open_orders` and
    `spot_plan_symbols`."""
    windows = {
        str(item["symbol"]): item.get("window") or {}
        for item in results
        if isinstance(item, Mapping) and "symbol" in item and "error" not in item
    }
    per_symbol: Counter[str] = Counter()
    coverage: list[dict[str, Any]] = []
    open_orders: dict[str, Any] = {}
    plan_symbols: list[str] | None = None
    units = [s for s in symbols if is_account_unit(s)]
    listed = [s for s in symbols if not is_account_unit(s)]
    for unit in units:
        account = (load_detail(unit) or {}).get("account") if unit not in failed else None
        if not isinstance(account, Mapping):
            continue  # a failed unit: nothing of it is known to be complete
        per_symbol.update({str(k): int(v) for k, v in (account.get("orders_by_symbol") or {}).items()})
        coverage.extend(dict(entry) for entry in account.get("coverage") or [])
        open_orders.update(account.get("open_orders") or {})
        if account.get("spot_plan_symbols") is not None:
            plan_symbols = list(account["spot_plan_symbols"])
    fills = {
        str(item["symbol"]): int(item.get("fills") or 0)
        for item in results
        if isinstance(item, Mapping) and "symbol" in item
    }
    for symbol in listed:  # what its file holds, less its fills
        per_symbol[symbol] += int(read_by_source.get(symbol, 0)) - fills.get(symbol, 0)
    truncated = len(listed) > MAX_SYMBOL_COVERAGE
    if not truncated:
        for symbol in listed:
            if symbol not in failed:
                coverage.extend(_symbol_coverage(symbol, windows.get(symbol) or {}, load_detail(symbol)))
    summary: dict[str, Any] = {
        "orders_by_symbol": dict(sorted((s, n) for s, n in per_symbol.items() if n)),
        "coverage": coverage,
    }
    if truncated:
        summary["coverage_truncated"] = True
    if units:
        summary["open_orders"] = dict(sorted(open_orders.items()))
        summary["spot_plan_symbols"] = plan_symbols
    return summary


def _symbol_coverage(
    symbol: str, window: Mapping[str, Any], detail: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    streams = (detail or {}).get("streams")
    if not isinstance(streams, Mapping) or "start_ms" not in window:
        return []
    return [
        {
            "key": f"{name}:{symbol}",
            "stream": name,
            "symbol": symbol,
            "start_ms": int(window["start_ms"]),
            "end_ms": int(window["end_ms"]),
            "complete": bool(stream.get("complete")),
        }
        for name, stream in streams.items()
        if isinstance(stream, Mapping) and not stream.get("not_applicable")
    ]


def record_sync(
    store: ResultsStore,
    prefix: str,
    manifest: Mapping[str, Any] | None,
    execution: str,
    summary: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """Advance the account's sync state with what an account-wide execution paged to its end."""
    manifest = manifest or {}
    account_id = manifest.get("account_id")
    if manifest.get("account_scope") is None or not account_id:
        return
    coverage = [
        entry
        for entry in summary.get("coverage") or []
        if entry.get("symbol") is None or entry.get("stream") in PER_SYMBOL_STREAMS
    ]
    state = sync_state.updated(
        sync_state.read(store, prefix, str(account_id)),
        account_id=str(account_id),
        execution=execution,
        coverage=coverage,
        open_orders=dict(summary.get("open_orders") or {}),
        spot_symbols=list(summary.get("spot_plan_symbols") or []),
        now=now,
    )
    try:
        sync_state.write(store, prefix, str(account_id), state)
    except Exception:  # the next sync then starts from the previous state: more requests, nothing lost
        with log_context(account=str(account_id)):
            log.exception("could not write the account's sync state")

"""An account unit's plan (common/account_scope.py): the checks before its first page, its streams in two
phases and their windows, the rows its lookups found, its report.

Phase 1 pages the unit's streams without a symbol. On a classic account, `ALL_SPOT` then derives the
candidates for the v2 spot endpoints that need a symbol (plan history, fills) honestly: the symbols of the spot
orders phase 1 fetched, of the spot orders open at the start (open_orders.py), and the ones the scope names
(the request, earlier syncs). Phase 2 pages `spot_plan:SYMBOL` and `spot_fills:SYMBOL` for each. The
candidates are kept in the checkpoint, so a continuation pages the same ones. The report says which symbols
those streams covered: they are complete for those and never claimed for others. A unified account's v3
endpoints need no symbol: it has no phase 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from lambda_functions.common.account_mode import UNIFIED
from lambda_functions.common.account_scope import ACCOUNT_SPOT, AccountScope
from lambda_functions.common.streams import is_fill_stream
from lambda_functions.worker import checkpoint as ck
from lambda_functions.worker import lookups, open_orders
from lambda_functions.worker.parts import row_symbol
from lambda_functions.worker.segments import Row, merge_rows
from lambda_functions.worker.stream_plan import StreamSpec, plan_account_streams, spot_symbol_streams
from lambda_functions.worker.summary import StreamResult
from lambda_functions.worker.window import Window

SPOT_ROW_STREAMS = frozenset({"spot_normal", "spot_tpsl"})


def new_state(scope: AccountScope | None) -> dict[str, Any]:
    """The checkpoint's account part before the unit's first page."""
    return {
        "scope": (scope or AccountScope()).to_json(),
        "open_orders": None,  # read before the first history page (open_orders.py)
        "lookups": None,  # the last sync's open orders looked up by id (lookups.py)
        "plan_symbols": None,  # the spot plan candidates, once phase 1 is done
    }


def scope_of(doc: ck.Checkpoint) -> AccountScope:
    return AccountScope.from_json((doc.account or {}).get("scope")) or AccountScope()


def streams(client: Any, doc: ck.Checkpoint) -> list[StreamSpec]:
    """Phase 1, plus phase 2 when its candidates are already known (a continuation)."""
    specs = plan_account_streams(
        client,
        doc.symbol,
        plan_orders=doc.plan_orders,
        simulation=doc.simulation,
        fills=doc.fills,
        mode=doc.account_mode,
    )
    known = (doc.account or {}).get("plan_symbols")
    if known is not None:
        specs += _symbol_streams(client, doc, list(known))
    return specs


def _symbol_streams(client: Any, doc: ck.Checkpoint, symbols: list[str]) -> list[StreamSpec]:
    return spot_symbol_streams(client, symbols, plan_orders=doc.plan_orders, fills=doc.fills)


def before_paging(client: Any, doc: ck.Checkpoint, specs: list[StreamSpec]) -> None:
    """Once per execution, before any history page (the checkpoint keeps both): what is open now, which the
    next sync must come back for (common/sync_state.py); then the orders open at the last sync looked up by
    id (one still open now is in this check; one that finished since is found)."""
    state = doc.account
    if state is None:
        return
    if state.get("open_orders") is None:
        state["open_orders"] = open_orders.scan(
            client,
            doc.symbol,
            plan_orders=doc.plan_orders,
            simulation=doc.simulation,
            unified=doc.account_mode == UNIFIED,
        )
    if state.get("lookups") is None:
        keys = {spec.name for spec in specs}
        state["lookups"] = lookups.run(client, scope_of(doc), keys, lambda key: stream_start(doc, key))


def needs_candidates(doc: ck.Checkpoint) -> bool:
    return (
        doc.symbol == ACCOUNT_SPOT
        and doc.account_mode != UNIFIED
        and (doc.plan_orders or doc.fills)
        and (doc.account or {}).get("plan_symbols") is None
    )


def spot_plan_phase(client: Any, doc: ck.Checkpoint, rows: Iterable[tuple[Any, bytes]]) -> list[StreamSpec]:
    """Phase 2: the candidates, recorded in the checkpoint, and their per-symbol spot streams."""
    assert doc.account is not None
    doc.account["plan_symbols"] = candidates(rows, doc)
    return _symbol_streams(client, doc, doc.account["plan_symbols"])


def with_found_rows(rows: Iterator[Row], doc: ck.Checkpoint) -> Iterator[Row]:
    """The unit's rows with the ones the lookups found, merged newest first."""
    found = ((doc.account or {}).get("lookups") or {}).get("found")
    return merge_rows([rows, lookups.rows(found)]) if found else rows


def mark_failed_lookups(doc: ck.Checkpoint, specs: list[StreamSpec], results: list[StreamResult]) -> None:
    """A stream whose open order of the last sync could not be looked up is incomplete, with Bitget's code."""
    errors = ((doc.account or {}).get("lookups") or {}).get("errors") or {}
    for spec, result in zip(specs, results, strict=True):
        failure = errors.get(spec.name)
        if failure is not None:
            result.complete, result.reason = False, lookups.OPEN_ORDER_LOOKUP
            result.error = failure["error"]
            result.error_code, result.error_message = failure["error_code"], failure["error_message"]


def candidates(rows: Iterable[tuple[Any, bytes]], doc: ck.Checkpoint) -> list[str]:
    """Per-symbol spot candidates: symbols of the spot orders fetched, of the open orders, and the scope's."""
    seen = {row_symbol(body) for key, body in rows if key[2] in SPOT_ROW_STREAMS}
    checks = (doc.account or {}).get("open_orders") or {}
    seen |= set(open_orders.plan_symbols(checks))
    if doc.fills:
        seen |= set(open_orders.spot_symbols(checks))
    seen |= set(scope_of(doc).spot_plan_symbols)
    return sorted(symbol for symbol in seen if symbol)


def stream_window(spec: StreamSpec, doc: ck.Checkpoint) -> Window:
    """The stream's window: the execution's, started later where the scope says (incremental sync)."""
    window = doc.window
    start = stream_start(doc, spec.name)
    return window if start == window.start_ms else Window(start, window.end_ms)


def stream_start(doc: ck.Checkpoint, key: str) -> int:
    """Where the stream keyed `key` starts: the scope's start (an incremental sync), else the window's."""
    window = doc.window
    start = scope_of(doc).stream_starts.get(key) if doc.account is not None else None
    if start is None or start <= window.start_ms:
        return window.start_ms
    return min(start, window.end_ms - 1)


def report(
    doc: ck.Checkpoint,
    specs: list[StreamSpec],
    results: list[StreamResult],
    by_symbol: Counter[tuple[str, str]],
) -> dict[str, Any]:
    """What the aggregator needs of an account unit: per stream key its window and completeness (coverage),
    orders per symbol, the open-order check, the spot plan symbols covered."""
    state = doc.account or {}
    coverage = []
    for spec, result in zip(specs, results, strict=True):
        window = stream_window(spec, doc)
        coverage.append(
            {
                "key": spec.name,
                "stream": spec.row_stream,
                "symbol": spec.symbol,
                "start_ms": window.start_ms,
                "end_ms": window.end_ms,
                "complete": result.complete,
            }
        )
    per_symbol: Counter[str] = Counter()
    for (stream, symbol), count in by_symbol.items():
        if not is_fill_stream(stream):
            per_symbol[symbol] += count
    plan_symbols = state.get("plan_symbols")
    return {
        "unit": doc.symbol,
        "coverage": coverage,
        "orders_by_symbol": dict(sorted(per_symbol.items())),
        "open_orders": state.get("open_orders") or {},
        "spot_plan_symbols": plan_symbols,
        "since_last_sync": scope_of(doc).since_last_sync,
        "lookups": {
            "asked": sum(len(items) for items in scope_of(doc).lookups.values()),
            "found": len((state.get("lookups") or {}).get("found") or []),
            "errors": (state.get("lookups") or {}).get("errors") or {},
        },
    }

"""What was open when an account unit started: per stream, how many orders and the oldest one's cTime.

Read once per execution, before any history page (the checkpoint keeps it), from Bitget's open-order endpoints
(BITGET_API.md §12). The next incremental sync starts each stream no later than the oldest order open now,
because an order enters the history when it finishes but is filed under its creation time
(common/sync_state.py). A check that fails or cannot be paged to its end says `checked: false`, and the sync
then pages this execution's window again instead of trusting it.

A unified account's open orders come from one v3 endpoint, per category (`uta_SPOT`...); v3 history has no
lookup by id, so its streams are always paged back to the oldest open order's creation.

Spot plan orders are keyed per symbol (`spot_plan:BTCUSDT`, the key the plan history of that symbol is paged
under) and their symbols are candidates for the spot plan history (account_scope.py). Up to LOOKUP_MAX open
orders of a stream are also recorded by id, for the next sync to look up (lookups.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from lambda_functions.common.account_scope import ACCOUNT_SPOT, stream_key
from lambda_functions.common.bitget import BitgetError
from lambda_functions.common.bitget.pages import MAX_PAGE_LIMIT
from lambda_functions.common.logs import log_context
from lambda_functions.common.streams import (
    FUTURES_PLAN_TYPES,
    FUTURES_PRODUCT_TYPES,
    SIMULATION_PRODUCT_TYPES,
    SPOT_NORMAL,
    SPOT_PLAN,
    SPOT_TPSL,
    UTA_CATEGORIES,
    UTA_SPOT_CATEGORIES,
    futures_plan_stream,
    is_uta_stream,
    uta_stream,
)
from lambda_functions.worker.pagination import uta_record

log = logging.getLogger(__name__)

MAX_PAGES = 100  # 10,000 open orders of one query: beyond that the check gives up (checked: false)
# Up to this many open orders of a stream are recorded by id: the next sync looks each one up in the history
# (one request each) instead of paging the stream back to the oldest one's creation. Spot plan history has no
# lookup by id: its streams are always paged back.
LOOKUP_MAX = 20
_MESSAGE_LIMIT = 300
# (cursor) -> (rows, next cursor or None)
FetchOpen = Callable[[str | None], tuple[list[dict[str, Any]], str | None]]


class _Unfinished(Exception):
    """The open orders could not be paged to their end."""


def scan(
    client: Any, unit: str, *, plan_orders: bool, simulation: bool, unified: bool = False
) -> dict[str, dict[str, Any]]:
    """Per stream key: {"checked", "count", "oldest_ms"} (or {"checked": false, "error"...})."""
    queries: dict[str, list[FetchOpen]] = {}
    if unified:
        for category in UTA_CATEGORIES:
            if (category in UTA_SPOT_CATEGORIES) == (unit == ACCOUNT_SPOT):
                queries[uta_stream(category)] = [_uta(client, category)]
    elif unit == ACCOUNT_SPOT:
        queries[SPOT_NORMAL] = [_spot(client, "normal")]
        queries[SPOT_TPSL] = [_spot(client, "tpsl")]
        if plan_orders:
            queries[SPOT_PLAN] = [_spot_plans(client)]
    else:
        for pt in FUTURES_PRODUCT_TYPES + (SIMULATION_PRODUCT_TYPES if simulation else ()):
            queries[pt] = [_futures(client, pt, None)]
            if plan_orders:
                queries[futures_plan_stream(pt)] = [_futures(client, pt, plan) for plan in FUTURES_PLAN_TYPES]
    result: dict[str, dict[str, Any]] = {}
    for stream, fetchers in queries.items():
        with log_context(stream=stream):
            result.update(_check(stream, fetchers))
    return result


def _check(stream: str, fetchers: list[FetchOpen]) -> dict[str, dict[str, Any]]:
    """One stream's open orders paged to their end, summarised; a failure is reported, never raised."""
    try:
        return _summarise(stream, [row for fetch in fetchers for row in _walk(fetch)])
    except (BitgetError, _Unfinished, KeyError, TypeError, ValueError) as exc:
        log.warning("open-order check failed", extra={"error": str(exc)[:200]})
        return {
            stream: {
                "checked": False,
                "error_code": getattr(exc, "code", None),
                "error_message": str(exc)[:_MESSAGE_LIMIT],
            }
        }


def plan_symbols(checks: dict[str, dict[str, Any]]) -> list[str]:
    """The symbols that had open spot plan orders (candidates for spot plan history)."""
    prefix = SPOT_PLAN + ":"
    return sorted(key[len(prefix) :] for key in checks if key.startswith(prefix))


def spot_symbols(checks: dict[str, dict[str, Any]]) -> list[str]:
    """The symbols that had open spot orders (candidates for spot fills: an order open since before the window
    may have filled inside it)."""
    return sorted(
        {s for stream in (SPOT_NORMAL, SPOT_TPSL) for s in (checks.get(stream) or {}).get("symbols", [])}
    )


def _summarise(stream: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    times = [int(row["cTime"]) for row in rows]
    check: dict[str, Any] = {"checked": True, "count": len(rows), "oldest_ms": min(times) if times else None}
    if stream in (SPOT_NORMAL, SPOT_TPSL):
        check["symbols"] = sorted({str(row.get("symbol")) for row in rows if row.get("symbol")})
    if stream != SPOT_PLAN and not is_uta_stream(stream) and len(rows) <= LOOKUP_MAX:
        # Few enough to look up one by one at the next sync instead of paging back to the oldest (lookups.py).
        check["ids"] = [
            {"id": str(row["orderId"]), "c_time": c_time, "plan_type": row.get("planType")}
            for row, c_time in zip(rows, times, strict=True)
        ]
    out = {stream: check}
    if stream == SPOT_PLAN:  # also per symbol: each symbol's plan history is its own stream key
        by_symbol: dict[str, list[int]] = {}
        for row, c_time in zip(rows, times, strict=True):
            by_symbol.setdefault(str(row["symbol"]), []).append(c_time)
        for symbol, symbol_times in by_symbol.items():
            out[stream_key(SPOT_PLAN, symbol)] = {
                "checked": True,
                "count": len(symbol_times),
                "oldest_ms": min(symbol_times),
            }
    return out


def _walk(fetch: FetchOpen) -> Iterator[dict[str, Any]]:
    """Every row of one open-order query, newest first; only an empty page or no cursor ends it."""
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        rows, next_cursor = fetch(cursor)
        yield from rows
        if not rows or not next_cursor:
            return
        if next_cursor == cursor:
            raise _Unfinished("the open-order cursor did not move")
        cursor = next_cursor
    raise _Unfinished(f"more than {MAX_PAGES} pages of open orders")


def _last_id(rows: list[dict[str, Any]]) -> str | None:
    return str(rows[-1]["orderId"]) if rows else None


def _spot(client: Any, tpsl_type: str) -> FetchOpen:
    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        rows = client.spot_open_orders(id_less_than=cursor, tpsl_type=tpsl_type)
        return rows, _last_id(rows)

    return fetch


def _spot_plans(client: Any) -> FetchOpen:
    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        data = client.spot_open_plans(id_less_than=cursor)
        rows = data["orderList"]
        more = data.get("nextFlag")
        return rows, (data.get("idLessThan") or _last_id(rows)) if more is not False or len(
            rows
        ) >= MAX_PAGE_LIMIT else None

    return fetch


def _futures(client: Any, product_type: str, plan_type: str | None) -> FetchOpen:
    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        if plan_type is None:
            data = client.futures_open_orders(product_type, id_less_than=cursor)
        else:
            data = client.futures_open_plans(product_type, plan_type, id_less_than=cursor)
        rows = data["entrustedList"]
        return rows, data.get("endId") or _last_id(rows)

    return fetch


def _uta(client: Any, category: str) -> FetchOpen:
    def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        data = client.uta_open_orders(category=category, cursor=cursor)
        rows = [uta_record(row, fills=False) for row in data["list"]]
        return rows, data.get("cursor") or (_last_id(rows) if len(rows) >= MAX_PAGE_LIMIT else None)

    return fetch

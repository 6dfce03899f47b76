"""The unified account's v3 trade endpoints (BITGET_API.md §11): history-orders, fills, unfilled-orders.

Only a unified account reaches them (the app answers 40084 to a classic one). Rows are uta.py's (orders) and
fillrows.py's (fills), newest first by orderId / execId; `cursor` is exclusive (rows with an id less than it).
- `history-orders`: `category` required; finished orders with createdTime in the window; `data = {"list",
  "cursor"}`: cursor = the last row's orderId while older rows are left in the window, **null on the page that
  holds the oldest row** (a client must stop on a null cursor), `{"list": [], "cursor": null}` when the window
  has no row left;
- `fills`: `category` optional (none: every category), `orderId`, `symbol` optional; cursor = the last row's
  execId on every page with rows, `{"list": null, "cursor": null}` when nothing is left (as seen live, §10b);
- `unfilled-orders`: every parameter optional; the orders open now (as their open rows), cursor as on
  history-orders, `{"list": [], "cursor": null}` when none (as seen live).
Windows: at most 30 days (`00001`) within the 90-day retention (`43111`), defaults in windows.py. Parameter
errors are `400172 Parameter verification failed` (a missing or unknown category, a bad number); an unknown
symbol is 40034 as on v2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.data import builder_stream
from sandbox.endpoints import MAX_LIMIT
from sandbox.errors import ApiError, interval_too_long, unknown_symbol, verification_failed
from sandbox.fillrows import fill_row
from sandbox.history import Account
from sandbox.openview import open_row
from sandbox.profiles import UTA_CATEGORIES
from sandbox.uta import uta_order_row
from sandbox.windows import bounded_window, number

Params = Mapping[str, str]
SPAN_DAYS = 30


def _bad(name: str) -> ApiError:
    return verification_failed()


def _too_long() -> ApiError:
    return interval_too_long(SPAN_DAYS)


def _streams(params: Params, required: bool) -> tuple[str, ...]:
    """The unified streams a query covers: its `category`'s, or all of them when it may be omitted."""
    category = params.get("category")
    if category is None:
        if required:
            raise verification_failed()
        return tuple(f"uta_{name}" for name in UTA_CATEGORIES)
    if category.upper() not in UTA_CATEGORIES:
        raise verification_failed()
    return (f"uta_{category.upper()}",)


def _symbol(params: Params, account: Account, streams: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """(symbol or None, the streams it trades in); 40034 for a symbol none of `streams` has."""
    symbol = params.get("symbol")
    if symbol is None:
        return None, streams
    trading = tuple(stream for stream in streams if account.has(symbol, stream))
    if not trading:
        raise unknown_symbol(symbol)
    return symbol, trading


def _limit(params: Params) -> int:
    limit = number(params, "limit", _bad)
    if limit is None:
        return MAX_LIMIT
    if limit < 1:
        raise verification_failed()
    return min(limit, MAX_LIMIT)


def history_orders(account: Account, params: Params, now_ms: int) -> Any:
    (stream,) = _streams(params, required=True)
    symbol, _ = _symbol(params, account, (stream,))
    start, end = bounded_window(params, now_ms, SPAN_DAYS, _too_long, _bad)
    cursor, limit = number(params, "cursor", _bad), _limit(params)
    orders, more = account.index(stream, symbol, stream).page(start, end, cursor, limit, now_ms)
    rows = [uta_order_row(order, stream, account.coins(order["symbol"])) for order in orders]
    if not rows:
        return {"list": [], "cursor": None}
    return {"list": rows, "cursor": rows[-1]["orderId"] if more else None}


def fills(account: Account, params: Params, now_ms: int) -> Any:
    symbol, streams = _symbol(params, account, _streams(params, required=False))
    start, end = bounded_window(params, now_ms, SPAN_DAYS, _too_long, _bad)
    order_id = params.get("orderId")
    if order_id is not None:
        number(params, "orderId", _bad)
    cursor, limit = number(params, "cursor", _bad), _limit(params)
    page = account.fill_index(streams, symbol, order_id).page(start, end, cursor, limit, now_ms)[0]
    rows = [fill_row(fill) for fill in page]
    if not rows:
        return {"list": None, "cursor": None}
    return {"list": rows, "cursor": rows[-1]["execId"]}


def unfilled_orders(account: Account, params: Params, now_ms: int) -> Any:
    symbol, streams = _symbol(params, account, _streams(params, required=False))
    start, end = number(params, "startTime", _bad), number(params, "endTime", _bad)
    if start is not None and end is not None and start > end:
        raise ApiError("40707", "Start time is greater than end time")
    cursor, limit = number(params, "cursor", _bad), _limit(params)
    rows = [
        uta_order_row(
            open_row(order, builder_stream(stream), account.coins(order["symbol"]), now_ms),
            stream,
            account.coins(order["symbol"]),
        )
        for stream in streams
        for order in account.index(stream, symbol, stream).open_orders(now_ms, start, end)
        if cursor is None or int(order["orderId"]) < cursor
    ]
    rows.sort(key=lambda row: int(row["orderId"]), reverse=True)
    if not rows:
        return {"list": [], "cursor": None}
    page = rows[:limit]
    return {"list": page, "cursor": page[-1]["orderId"] if len(rows) > limit else None}

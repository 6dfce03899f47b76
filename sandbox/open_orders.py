"""The open-order endpoints (BITGET_API.md §12, §2.8): what is on the book at the server's now.

- `spot/trade/unfilled-orders`: open spot orders (tpslType `normal` by default, or `tpsl`), data an array;
- `spot/trade/current-plan-order`: untriggered spot plan orders, `{nextFlag, idLessThan, orderList}`;
- `mix/order/orders-pending`: open futures orders of a productType, `{entrustedList, endId}`;
- `mix/order/orders-plan-pending`: untriggered futures plan orders of one planType query, same shape.
All page newest first by orderId with `idLessThan` like their history siblings, with the same null forms when
empty. startTime/endTime are optional filters on cTime (no default window, no retention check: the orders of
the book are all recent). Rows come from openview.py, so they match `/sandbox/truth?kind=open`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.clock import RETENTION_MS
from sandbox.endpoints import (
    id_filter,
    int_param,
    limit_param,
    plan_type_filter,
    product_type_param,
    symbol_param,
)
from sandbox.errors import ApiError, bad_parameter
from sandbox.history import Account, Filters
from sandbox.openview import open_row

Params = Mapping[str, str]
PENDING_STATUSES = ("live", "partially_filled")
SPOT_PLAN_DEFAULT_LIMIT = 20  # current-plan-order's documented default (max 100 like the others)


def spot_unfilled_orders(account: Account, params: Params, now_ms: int) -> Any:
    symbol = symbol_param(params, account, "spot")
    tpsl_type = params.get("tpslType", "normal")
    if tpsl_type not in ("normal", "tpsl"):
        raise bad_parameter("tpslType")
    stream = f"spot_{tpsl_type}"
    by_id = id_filter(params)
    rows = _open_rows(account, params, now_ms, stream, symbol, "spot", by_id, cache=not by_id)
    return _newest(rows, params, limit_param(params))[0]


def spot_current_plans(account: Account, params: Params, now_ms: int) -> Any:
    # www.bitget.com marks `symbol` required; the sandbox also answers for the whole account without one.
    symbol = symbol_param(params, account, "spot")
    rows = _open_rows(account, params, now_ms, "spot_plan", symbol, "spot", (), cache=True)
    page, more = _newest(rows, params, limit_param(params, SPOT_PLAN_DEFAULT_LIMIT))
    if not page:
        return {"nextFlag": False, "idLessThan": None, "orderList": None}
    return {"nextFlag": more, "idLessThan": page[-1]["orderId"], "orderList": page}


def futures_pending(account: Account, params: Params, now_ms: int) -> Any:
    product_type = product_type_param(params)
    symbol = symbol_param(params, account, product_type)
    status = params.get("status")
    if status is not None and status not in PENDING_STATUSES:
        raise bad_parameter("status")
    by_id = id_filter(params, "clientOid")
    rows = _open_rows(account, params, now_ms, product_type, symbol, product_type, by_id, cache=not by_id)
    if status is not None:
        rows = [row for row in rows if row["status"] == status]
    return _futures_page(_newest(rows, params, limit_param(params))[0])


def futures_plan_pending(account: Account, params: Params, now_ms: int) -> Any:
    filters = plan_type_filter(params)
    product_type = product_type_param(params)
    symbol = symbol_param(params, account, product_type)
    by_id = id_filter(params, "clientOid")
    stream = product_type + "_plan"
    rows = _open_rows(account, params, now_ms, stream, symbol, product_type, filters + by_id, cache=not by_id)
    return _futures_page(_newest(rows, params, limit_param(params))[0])


def _open_rows(
    account: Account,
    params: Params,
    now_ms: int,
    stream: str,
    symbol: str | None,
    market: str,
    filters: Filters,
    cache: bool,
) -> list[dict[str, Any]]:
    """The open orders of the query as the endpoint shows them, oldest first (an index narrowed to one
    orderId or clientOid is not cached: there would be one per id asked)."""
    start, end = _window(params)
    index = account.index(stream, symbol, market, filters, cache=cache)
    return [
        open_row(order, stream, account.coins(order["symbol"]), now_ms)
        for order in index.open_orders(now_ms, start, end)
    ]


def _window(params: Params) -> tuple[int | None, int | None]:
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    if start is not None and end is not None:
        if start > end:
            raise ApiError("40707", "Start time is greater than end time")
        if end - start > RETENTION_MS:
            raise ApiError("40705", "The start and end time cannot exceed 90 days")
    return start, end


def _newest(rows: list[dict[str, Any]], params: Params, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` rows (given oldest first) with orderId < idLessThan, newest first; older ones left?"""
    id_less_than = int_param(params, "idLessThan")
    if id_less_than is not None:
        rows = [row for row in rows if int(row["orderId"]) < id_less_than]
    return rows[-limit:][::-1], len(rows) > limit


def _futures_page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {"entrustedList": None, "endId": None}
    return {"entrustedList": rows, "endId": rows[-1]["orderId"]}

"""The /api/v2 endpoints: parameter rules, 90-day time rules, paging, and the `data` each one returns.

Each handler takes the account, the query parameters (first value of each, blanks dropped) and the server's
clock in ms, and returns Bitget's `data`, or raises ApiError. Empty futures and spot plan pages use live
Bitget's null forms (`{"entrustedList": null, "endId": null}`, BITGET_API.md §10b). History endpoints serve the
orders finished at the server's now (history.py); the open-order endpoints are in open_orders.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.clock import RETENTION_MS
from sandbox.data import PLAN_QUERY_TYPES
from sandbox.errors import ApiError, bad_parameter, missing_parameter, unknown_symbol
from sandbox.history import Account, Filters
from sandbox.markets import contract_row, spot_symbol_row
from sandbox.profiles import PRODUCT_TYPES, SymbolSpec

Params = Mapping[str, str]
MAX_LIMIT = 100
# A startTime this little older than the retention edge is still accepted: a client that computes
# "now - 90 days" on its own clock must not be refused because the request took a few ms to arrive.
RETENTION_GRACE_MS = 60_000
PLAN_STATUSES = ("executed", "fail_trigger", "fail_execute", "cancelled")


def int_param(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.lstrip("-").isdigit():
        raise bad_parameter(name)
    return int(value)


def limit_param(params: Params, default: int = MAX_LIMIT) -> int:
    """`limit`: default 100; above 100 capped at 100 silently (as 3P-MEAS saw elsewhere); < 1 is 40020."""
    limit = int_param(params, "limit")
    if limit is None:
        return default
    if limit < 1:
        raise bad_parameter("limit")
    return min(limit, MAX_LIMIT)


def time_window(params: Params, now_ms: int) -> tuple[int, int]:
    """[start, end] after Bitget's rules: end defaults to now, start to end - 90 days (never before the
    retention edge); 40707 start > end, 40705 span > 90 days, 40704 start older than now - 90 days."""
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    end = now_ms if end is None else end
    retention_start = now_ms - RETENTION_MS
    if start is None:
        start = end - RETENTION_MS
        if start < retention_start <= end:
            start = retention_start
    if start > end:
        raise ApiError("40707", "Start time is greater than end time")
    if end - start > RETENTION_MS:
        raise ApiError("40705", "The start and end time cannot exceed 90 days")
    if start < retention_start - RETENTION_GRACE_MS:
        raise ApiError("40704", "Can only check the data of the last three months")
    return start, end


def symbol_param(params: Params, account: Account, market: str, required: bool = False) -> str | None:
    symbol = params.get("symbol")
    if symbol is None:
        if required:
            raise missing_parameter("symbol")
        return None
    if not account.has(symbol, market):
        raise unknown_symbol(symbol)
    return symbol


def product_type_param(params: Params) -> str:
    value = params.get("productType")
    if value is None:
        raise missing_parameter("productType")
    if value.upper() not in PRODUCT_TYPES:
        raise bad_parameter("productType")
    return value.upper()


def id_filter(params: Params, *names: str) -> Filters:
    """orderId (then clientOid) narrows a query to one order; orderId prevails when both are given."""
    if params.get("orderId") is not None:
        int_param(params, "orderId")
        return (("orderId", frozenset({params["orderId"]})),)
    for name in names:
        if params.get(name) is not None:
            return ((name, frozenset({params[name]})),)
    return ()


def plan_type_filter(params: Params) -> Filters:
    """The required planType of a futures plan query, as the order types it selects."""
    plan_type = params.get("planType")
    if plan_type is None:
        raise missing_parameter("planType")
    if plan_type not in PLAN_QUERY_TYPES:
        raise bad_parameter("planType")
    return (("planType", frozenset(PLAN_QUERY_TYPES[plan_type])),)


def server_time(account: Account, params: Params, now_ms: int) -> Any:
    return {"serverTime": str(now_ms)}


def _listed(account: Account, market: str, symbol: str | None) -> list[SymbolSpec]:
    """The market's current list: a delisted symbol ("listed": false) keeps its history but leaves the list."""
    return [spec for spec in account.symbols_in(market) if spec.listed and symbol in (None, spec.symbol)]


def spot_symbols(account: Account, params: Params, now_ms: int) -> Any:
    specs = _listed(account, "spot", symbol_param(params, account, "spot"))
    return [spot_symbol_row(spec.symbol, account.coins(spec.symbol)) for spec in specs]


def contracts(account: Account, params: Params, now_ms: int) -> Any:
    product_type = product_type_param(params)
    specs = _listed(account, product_type, symbol_param(params, account, product_type))
    launch = account.anchor_ms - 400 * 86_400_000
    return [contract_row(spec.symbol, product_type, account.coins(spec.symbol), launch) for spec in specs]


def spot_history_orders(account: Account, params: Params, now_ms: int) -> Any:
    symbol = symbol_param(params, account, "spot")
    tpsl_type = params.get("tpslType", "normal")
    if tpsl_type not in ("normal", "tpsl"):
        raise bad_parameter("tpslType")
    start, end = time_window(params, now_ms)
    id_less_than, limit = int_param(params, "idLessThan"), limit_param(params)
    by_id = id_filter(params)
    index = account.index(f"spot_{tpsl_type}", symbol, "spot", by_id, cache=not by_id)
    return index.page(start, end, id_less_than, limit, now_ms)[0]


def spot_plan_history(account: Account, params: Params, now_ms: int) -> Any:
    symbol = symbol_param(params, account, "spot", required=True)
    for name in ("startTime", "endTime"):
        if params.get(name) is None:
            raise missing_parameter(name)
    start, end = time_window(params, now_ms)
    id_less_than, limit = int_param(params, "idLessThan"), limit_param(params)
    rows, more = account.index("spot_plan", symbol, "spot").page(start, end, id_less_than, limit, now_ms)
    if not rows:
        return {"nextFlag": False, "idLessThan": None, "orderList": None}
    return {"nextFlag": more, "idLessThan": rows[-1]["orderId"], "orderList": rows}


def futures_history(account: Account, params: Params, now_ms: int) -> Any:
    product_type = product_type_param(params)
    symbol = symbol_param(params, account, product_type)
    by_id = id_filter(params, "clientOid")
    return _futures_page(account, params, now_ms, product_type, symbol, product_type, by_id, cache=not by_id)


def futures_plan_history(account: Account, params: Params, now_ms: int) -> Any:
    filters = plan_type_filter(params)
    product_type = product_type_param(params)
    symbol = symbol_param(params, account, product_type)
    status = params.get("planStatus")
    if status is not None:
        if status not in PLAN_STATUSES:
            raise bad_parameter("planStatus")
        filters += (("planStatus", frozenset({status})),)
    by_id = id_filter(params, "clientOid")
    return _futures_page(
        account,
        params,
        now_ms,
        product_type + "_plan",
        symbol,
        product_type,
        filters + by_id,
        cache=not by_id,
    )


def _futures_page(
    account: Account,
    params: Params,
    now_ms: int,
    stream: str,
    symbol: str | None,
    product_type: str,
    filters: Filters,
    cache: bool,
) -> Any:
    start, end = time_window(params, now_ms)
    id_less_than, limit = int_param(params, "idLessThan"), limit_param(params)
    index = account.index(stream, symbol, product_type, filters, cache=cache)
    rows, _ = index.page(start, end, id_less_than, limit, now_ms)
    if not rows:
        return {"entrustedList": None, "endId": None}
    return {"entrustedList": rows, "endId": rows[-1]["orderId"]}

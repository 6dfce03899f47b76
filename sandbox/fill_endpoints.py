"""The classic fill endpoints (BITGET_API.md §12): `/api/v2/spot/trade/fills` and `/api/v2/mix/order/fill-history`.

Both page newest first by tradeId with `idLessThan` (a tradeId, strict) and serve the fills that exist at the
server's now (fills.py), filtered on the fill's time:
- spot fills: `symbol` **required** (40019, as spot plan history), span <= 90 days (40705), `data` an array (its
  last row's tradeId is the next cursor), `[]` when nothing is left; fills of spot_normal and spot_tpsl orders;
- futures fill history: `productType` required, `symbol` optional, span <= 7 days (`00001`), `data =
  {"fillList", "endId"}` with endId the last row's tradeId, `{"fillList": null, "endId": null}` when nothing is
  left (as live orders-pending, §10b).
A startTime older than the 90-day retention is `43111` on both (windows.py has the defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.endpoints import int_param, limit_param, product_type_param, symbol_param
from sandbox.errors import ApiError, bad_parameter
from sandbox.fillrows import fill_row
from sandbox.history import Account
from sandbox.windows import bounded_window

Params = Mapping[str, str]
SPOT_SPAN_DAYS = 90
FUTURES_SPAN_DAYS = 7


def _spot_span_error() -> ApiError:
    return ApiError("40705", "The start and end time cannot exceed 90 days")


def _futures_span_error() -> ApiError:
    return ApiError(
        "00001", f"startTime and endTime interval cannot be greater than {FUTURES_SPAN_DAYS} days"
    )


def _order_id(params: Params) -> str | None:
    if params.get("orderId") is not None:
        int_param(params, "orderId")
    return params.get("orderId")


def spot_fills(account: Account, params: Params, now_ms: int) -> Any:
    symbol = symbol_param(params, account, "spot", required=True)
    start, end = bounded_window(params, now_ms, SPOT_SPAN_DAYS, _spot_span_error, bad_parameter)
    order_id, id_less_than, limit = _order_id(params), int_param(params, "idLessThan"), limit_param(params)
    index = account.fill_index(("spot_normal", "spot_tpsl"), symbol, order_id)
    return [fill_row(fill) for fill in index.page(start, end, id_less_than, limit, now_ms)[0]]


def futures_fill_history(account: Account, params: Params, now_ms: int) -> Any:
    product_type = product_type_param(params)
    symbol = symbol_param(params, account, product_type)
    start, end = bounded_window(params, now_ms, FUTURES_SPAN_DAYS, _futures_span_error, bad_parameter)
    order_id, id_less_than, limit = _order_id(params), int_param(params, "idLessThan"), limit_param(params)
    index = account.fill_index((product_type,), symbol, order_id)
    rows = [fill_row(fill) for fill in index.page(start, end, id_less_than, limit, now_ms)[0]]
    if not rows:
        return {"fillList": None, "endId": None}
    return {"fillList": rows, "endId": rows[-1]["tradeId"]}

"""How a fill looks on the endpoint that serves it (BITGET_API.md §11, §12).

- classic spot (`/api/v2/spot/trade/fills`): `feeDetail` an **object**, `totalFee` negative,
  `totalDeductionFee` "" (the doc example), `uTime` = `cTime`;
- classic futures (`/api/v2/mix/order/fill-history`): `feeDetail` an **array** of one object, `totalFee`
  negative, no `uTime`, `profit` the fill's share of the order's `totalProfits`;
- unified (`/api/v3/trade/fills`): `execId`, `feeDetail` `[{"feeCoin", "fee"}]` with the fee **positive**
  (as on v3 orders, uta.py), `execPnl`, `updatedTime` = `createdTime`, side/posSide/tradeSide as on the v3 order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.fills import Fill, plain
from sandbox.uta import category_of, position


def fill_row(fill: Fill) -> dict[str, Any]:
    """The row of `fill` as the fill endpoint of its order's stream serves it."""
    if fill.stream.startswith("uta_"):
        return uta_fill_row(fill)
    if fill.stream.startswith("spot_"):
        return spot_fill_row(fill)
    return mix_fill_row(fill)


def spot_fill_row(fill: Fill) -> dict[str, Any]:
    order = fill.order
    return {
        "userId": order["userId"],
        "symbol": order["symbol"],
        "orderId": order["orderId"],
        "tradeId": str(fill.trade_id),
        "orderType": order["orderType"],
        "side": order["side"],
        "priceAvg": fill.price,
        "size": fill.size,
        "amount": fill.value,
        "feeDetail": {
            "deduction": "no",
            "feeCoin": fill.fee_coin,
            "totalDeductionFee": "",
            "totalFee": fill.fee,
        },
        "tradeScope": fill.scope,
        "cTime": str(fill.time),
        "uTime": str(fill.time),
    }


def mix_fill_row(fill: Fill) -> dict[str, Any]:
    order = fill.order
    return {
        "tradeId": str(fill.trade_id),
        "symbol": order["symbol"],
        "marginCoin": order["marginCoin"],
        "orderId": order["orderId"],
        "price": fill.price,
        "baseVolume": fill.size,
        "quoteVolume": fill.value,
        "feeDetail": [
            {"deduction": "no", "feeCoin": fill.fee_coin, "totalDeductionFee": "0", "totalFee": fill.fee}
        ],
        "side": order["side"],
        "profit": fill.profit,
        "enterPointSource": order["enterPointSource"],
        "tradeSide": order["tradeSide"],
        "posMode": order["posMode"],
        "tradeScope": fill.scope,
        "cTime": str(fill.time),
    }


def uta_fill_row(fill: Fill) -> dict[str, Any]:
    order = fill.order
    category = category_of(fill.stream)
    if category in ("SPOT", "MARGIN"):
        place = {"side": order["side"], "posSide": "", "tradeSide": ""}
    else:
        place = position(order)
    return {
        "execId": str(fill.trade_id),
        "orderId": order["orderId"],
        "clientOid": order["clientOid"],
        "category": category,
        "symbol": order["symbol"],
        "orderType": order["orderType"],
        "side": place["side"],
        "execPrice": fill.price,
        "execQty": fill.size,
        "execValue": fill.value,
        "tradeScope": fill.scope,
        "feeDetail": [{"feeCoin": fill.fee_coin, "fee": plain(-Decimal(fill.fee))}],
        "execPnl": fill.profit,
        "posSide": place["posSide"],
        "tradeSide": place["tradeSide"],
        "createdTime": str(fill.time),
        "updatedTime": str(fill.time),
    }

"""A unified account's orders in Bitget's v3 form (BITGET_API.md §11).

A unified stream's orders are generated in the classic form of their kind (data.py `builder_stream`: spot and
margin as spot orders, futures as futures orders of the category), so the lifecycle, the open view and the fills
work on them unchanged; `uta_order_row` shows one (final, or its open row) as `/api/v3/trade/*` serves it:
- `qty` the order size in base coin (a spot market buy, sized in quote coin, shows its quote size in `amount`
  and its filled base size in `qty`); `amount` "0" otherwise, as in Bitget's example;
- `price` "0" for market orders, `avgPrice` "0" while nothing filled; decimals without trailing zeros;
- `orderStatus` `live`, `partially_filled` (open), `filled`, `cancelled` (finished; a spot order that finished
  partly filled is `cancelled` with its `cumExecQty`);
- `feeDetail` `[{"feeCoin", "fee"}]` with the fee **positive** (Bitget's examples; sign UNVERIFIED), or
  `[{"feeCoin": null, "fee": null}]` while nothing filled (the open-order example);
- futures: `holdMode` from the classic posMode; a hedge-mode close shows the side that closes (sell to close a
  long, as reported for UTA, UNVERIFIED) with `tradeSide` `close`; one-way orders have `posSide` and
  `tradeSide` "". `marginMode` on futures and margin rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.fills import order_fee, plain
from sandbox.markets import Coins

Order = Mapping[str, Any]
STATUSES = {
    "filled": "filled",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "partially_fill": "cancelled",  # a finished spot order that filled partly
    "live": "live",
    "partially_filled": "partially_filled",
}
NO_FEE = [{"feeCoin": None, "fee": None}]


def category_of(stream: str) -> str:
    return stream.removeprefix("uta_").removesuffix("_fills")


def position(order: Order) -> dict[str, str]:
    """side, posSide, tradeSide, holdMode of a classic futures order as a v3 row shows them."""
    if order["posMode"] != "hedge_mode":
        return {"side": order["side"], "posSide": "", "tradeSide": "", "holdMode": "one_way_mode"}
    side = order["side"]
    if order["tradeSide"] == "close":
        side = "sell" if side == "buy" else "buy"
    return {
        "side": side,
        "posSide": order["posSide"],
        "tradeSide": order["tradeSide"],
        "holdMode": "hedge_mode",
    }


def _number(text: str) -> str:
    return plain(Decimal(text)) if text else "0"


def uta_order_row(order: Order, stream: str, coins: Coins) -> dict[str, Any]:
    """The v3 row of a unified stream's order (classic form: the stored order, or its open row)."""
    category = category_of(stream)
    spot = category in ("SPOT", "MARGIN")
    form = "spot_normal" if spot else category
    filled = Decimal(order["baseVolume"] or "0")
    fee, coin = order_fee(order, form)
    status = STATUSES[order["status"]]
    market = order["orderType"] == "market"
    row: dict[str, Any] = {
        "orderId": order["orderId"],
        "clientOid": order["clientOid"],
        "category": category,
        "symbol": order["symbol"],
        "orderType": order["orderType"],
    }
    if spot:
        quote_sized = market and order["side"] == "buy"
        row.update(
            side=order["side"],
            price="0" if market else _number(order["price"]),
            qty=plain(filled) if quote_sized else _number(order["size"]),
            amount=_number(order["size"]) if quote_sized else "0",
            timeInForce="ioc" if market else "gtc",
            posSide="",
            holdMode="",
            reduceOnly="NO",
        )
    else:
        place = position(order)
        row.update(
            side=place["side"],
            price="0" if market else _number(order["price"]),
            qty=_number(order["size"]),
            amount="0",
            timeInForce=order["force"],
            posSide=place["posSide"],
            holdMode=place["holdMode"],
            reduceOnly=order["reduceOnly"],
        )
    row.update(
        cumExecQty=plain(filled),
        cumExecValue=_number(order["quoteVolume"]),
        avgPrice=_number(order["priceAvg"]) if filled else "0",
        orderStatus=status,
        feeDetail=[{"feeCoin": coin, "fee": plain(abs(fee))}] if filled else [dict(NO_FEE[0])],
        cancelReason="normal_cancel" if status == "cancelled" else "",
        execType="normal",
        stpMode="none",
        createdTime=order["cTime"],
        updatedTime=order["uTime"],
    )
    if not spot:
        row.update(tradeSide=position(order)["tradeSide"], marginMode=order["marginMode"])
    elif category == "MARGIN":
        # The spot builder draws no margin mode: a stable one from the orderId.
        row["marginMode"] = ("crossed", "isolated")[zlib.crc32(order["orderId"].encode()) % 2]
    return row

"""Deterministic order histories: one (symbol, stream) at a time, from a seed.

`generate_stream_orders` is the public entry point (benchmarks may call it directly). The same arguments
always give the same orders. Order ids are 19-digit strings `cTime * 10**6 + slot * 1000 + tie sequence`, so
they grow with cTime, orders sharing a cTime still get distinct increasing ids, and two streams with different
slots can never collide (the server gives every (symbol, stream) of the account its own slot).
"""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from sandbox.clock import DAY_MS, RETENTION_MS
from sandbox.lifecycle import LATE_MIN_MS, make_late
from sandbox.markets import Coins, coins_of, margin_coin

# No order is generated from 2 minutes before to 20 minutes after the retention edge as seen at the anchor:
# while a test session runs, that edge moves with the wall clock, and truth() and a crawl made a few seconds
# apart must agree.
EDGE_GUARD_BEFORE_MS = 120_000
EDGE_GUARD_AFTER_MS = 1_200_000
MAX_TIES = 999
# Live spot order decimals carry 16 places ("size":"20.0000000000000000", BITGET_API.md §10d).
SPOT_DECIMAL_PLACES = 16
_NO_CAP = 2**62  # the uTime cap of orders created after the anchor: none


def user_id_of(seed: int) -> str:
    """The account's userId: a stable 10-digit string derived from the seed."""
    return str(1_000_000_000 + random.Random(f"{seed}|user").randrange(10**9))


def default_slot(symbol: str, stream: str) -> int:
    """A slot for callers that generate one stream alone (the server assigns unique slots itself)."""
    return zlib.crc32(f"{symbol}|{stream}".encode()) % 1000


def generate_stream_orders(
    seed: int,
    symbol: str,
    stream: str,
    count: int,
    anchor_ms: int,
    days: float,
    tie_share: float,
    *,
    slot: int | None = None,
    coins: Coins | None = None,
    user_id: str | None = None,
    future_days: float = 0.0,
    open_share: float = 0.0,
    open_days: float = 20.0,
) -> list[dict[str, Any]]:
    """`count` orders of `symbol` in `stream`, cTime in [anchor - days, anchor], newest first; plus
    round(count * future_days / days) orders with cTime in (anchor, anchor + future_days] (they exist once the
    server clock passes them), and `open_share` of the orders that can rest finishing late (lifecycle.py).

    The past orders come from their own RNG stream, the future ones and the late finishes from two others, so
    with future_days 0 and open_share 0 the orders are exactly those of earlier versions."""
    if count < 0 or days <= 0 or not 0 <= tie_share < 1:
        raise ValueError(
            f"need count >= 0, days > 0 and 0 <= tie_share < 1 (got {count}, {days}, {tie_share})"
        )
    if future_days < 0 or not 0 <= open_share <= 1 or open_days * DAY_MS < LATE_MIN_MS:
        raise ValueError(
            "need future_days >= 0, 0 <= open_share <= 1 and open_days >= 1 hour"
            f" (got {future_days}, {open_share}, {open_days})"
        )
    coins = coins or coins_of(symbol)
    slot = default_slot(symbol, stream) if slot is None else slot
    user_id = user_id or user_id_of(seed)
    build = _builder(stream)
    rng = random.Random(f"{seed}|{symbol}|{stream}")
    span = int(days * DAY_MS)
    form = builder_stream(stream)  # the builders read the product type (margin coin) from the stream name
    orders = [
        build(rng, symbol, form, coins, _order_id(ctime, slot, seq), ctime, anchor_ms, user_id)
        for ctime, seq in _times(rng, count, tie_share, lambda: anchor_ms - _offset(rng, span))
    ]
    if future_days:
        ahead = random.Random(f"{seed}|{symbol}|{stream}|future")
        future_span = int(future_days * DAY_MS)
        future_count = round(count * future_days / days)
        # A future order's uTime is not capped at the anchor: it is created, and finishes, after it.
        orders += [
            build(ahead, symbol, form, coins, _order_id(ctime, slot, seq), ctime, _NO_CAP, user_id)
            for ctime, seq in _times(
                ahead, future_count, tie_share, lambda: anchor_ms + ahead.randint(1, future_span)
            )
        ]
    make_late(orders, stream, random.Random(f"{seed}|{symbol}|{stream}|late"), open_share, open_days)
    orders.reverse()
    return orders


def _order_id(ctime: int, slot: int, seq: int) -> str:
    return str(ctime * 1_000_000 + slot * 1000 + seq)


def _times(
    rng: random.Random, count: int, tie_share: float, draw: Callable[[], int]
) -> list[tuple[int, int]]:
    """(cTime, tie sequence) pairs, oldest first, cTimes from `draw`; about `tie_share` of the orders repeat an
    earlier cTime."""
    ties = round(count * tie_share) if count > 1 else 0
    times = [draw() for _ in range(count - ties)]
    counts = Counter(times)
    while ties:
        ctime = rng.choice(times)
        if counts[ctime] < MAX_TIES:
            counts[ctime] += 1
            times.append(ctime)
            ties -= 1
    times.sort()
    seen: Counter[int] = Counter()
    result = []
    for ctime in times:
        result.append((ctime, seen[ctime]))
        seen[ctime] += 1
    return result


def _offset(rng: random.Random, span: int) -> int:
    """Distance back from the anchor, uniform over [0, span] minus the retention-edge guard band."""
    low, high = RETENTION_MS - EDGE_GUARD_AFTER_MS, RETENTION_MS + EDGE_GUARD_BEFORE_MS
    if span < low:
        return rng.randint(0, span)
    skipped = min(span, high) - low
    offset = rng.randint(0, span - skipped)
    return offset + skipped if offset >= low else offset


def builder_stream(stream: str) -> str:
    """The classic stream whose order form a stream's orders take: a unified account's spot and margin orders
    are built as spot orders, its futures orders as futures orders of the category (uta.py shows them in v3
    form); classic streams are their own."""
    if stream in ("uta_SPOT", "uta_MARGIN"):
        return "spot_normal"
    return stream.removeprefix("uta_")


def _builder(stream: str) -> Callable[..., dict[str, Any]]:
    stream = builder_stream(stream)
    if stream in ("spot_normal", "spot_tpsl"):
        return _spot_order
    if stream == "spot_plan":
        return _spot_plan_order
    if stream.endswith("-FUTURES"):
        return _futures_order
    if stream.endswith("-FUTURES_plan"):
        return _futures_plan_order
    raise ValueError(f"unknown stream {stream!r}")


def fmt(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def spot_fmt(value: float, places: int) -> str:
    """`value` rounded to the market's `places`, then zero-padded to 16 decimals as live spot orders are."""
    text = f"{value:.{places}f}"  # rounding in decimal first keeps binary noise out of the padding
    return text + ("" if places else ".") + "0" * (SPOT_DECIMAL_PLACES - places)


def _price(rng: random.Random, coins: Coins) -> float:
    return coins.price * (1 + rng.gauss(0, 0.04))


def _size(rng: random.Random, coins: Coins, price: float) -> float:
    unit = 10**-coins.quantity_place
    return max(unit, round(rng.uniform(10, 5000) / price, coins.quantity_place))


def _client_oid(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}{rng.getrandbits(32):08x}"


def _utime(rng: random.Random, ctime: int, anchor: int, slow: bool) -> str:
    return str(min(anchor, ctime + (rng.randint(1000, 6 * 3_600_000) if slow else rng.randint(20, 2000))))


def _fee_detail(rng: random.Random, coin: str, fee: float) -> str:
    """Spot `feeDetail`: a JSON-encoded string (BITGET_API.md §2.4), in the coin received."""
    fee = round(-abs(fee), 10)
    return json.dumps(
        {
            "newFees": {"c": 0, "d": 0, "deduction": False, "r": fee, "t": fee, "totalDeductionFee": 0},
            coin: {"deduction": False, "feeCoinCode": coin, "totalDeductionFee": 0, "totalFee": fee},
        },
        separators=(",", ":"),
    )


def _spot_order(rng, symbol, stream, coins, order_id, ctime, anchor, user_id):
    side = rng.choice(("buy", "sell"))
    order_type = "market" if rng.random() < 0.3 else "limit"
    status = (
        "filled"
        if order_type == "market"
        else rng.choices(("filled", "cancelled", "partially_fill"), (0.6, 0.3, 0.1))[0]
    )
    price = _price(rng, coins)
    base = _size(rng, coins, price)
    filled = {"filled": 1.0, "cancelled": 0.0, "partially_fill": rng.uniform(0.1, 0.9)}[status]
    if rng.random() < 0.05 and status == "cancelled" and order_type == "limit":
        filled = 0.0
    base_volume = round(base * filled, coins.quantity_place)
    avg = price * (1 + rng.uniform(-0.001, 0.001)) if base_volume else 0.0
    quote_volume = base_volume * avg
    # A market buy is sized in quote coin (BITGET_API.md §2.4).
    size = (
        spot_fmt(quote_volume, 4)
        if order_type == "market" and side == "buy"
        else spot_fmt(base, coins.quantity_place)
    )
    fee_coin, fee = (
        (coins.base, base_volume * 0.001) if side == "buy" else (coins.quote, quote_volume * 0.001)
    )
    return {
        "userId": user_id,
        "symbol": symbol,
        "orderId": order_id,
        "clientOid": _client_oid(rng),
        # Market orders carry price "0" on spot (futures: ""), as in Bitget's example and ccxt's notes.
        "price": "0" if order_type == "market" else spot_fmt(price, coins.price_place),
        "size": size,
        "orderType": order_type,
        "side": side,
        "status": status,
        "priceAvg": spot_fmt(avg, coins.price_place),
        "baseVolume": spot_fmt(base_volume, coins.quantity_place),
        "quoteVolume": spot_fmt(quote_volume, 8),
        "enterPointSource": rng.choice(("API", "WEB", "APP", "API")),
        "feeDetail": _fee_detail(rng, fee_coin, fee) if base_volume else "",
        "orderSource": "market" if order_type == "market" else "normal",
        "cancelReason": "",
        "cTime": str(ctime),
        "uTime": _utime(rng, ctime, anchor, order_type == "limit"),
    }


def _spot_plan_order(rng, symbol, stream, coins, order_id, ctime, anchor, user_id):
    order_type = rng.choice(("limit", "market"))
    trigger = _price(rng, coins)
    status = rng.choices(("executed", "cancelled", "fail_execute"), (0.55, 0.4, 0.05))[0]
    return {
        "orderId": order_id,
        "clientOid": _client_oid(rng),
        "symbol": symbol,
        "size": fmt(_size(rng, coins, trigger), coins.quantity_place),
        "executePrice": "0" if order_type == "market" else fmt(trigger * 1.001, coins.price_place),
        "triggerPrice": fmt(trigger, coins.price_place),
        "status": status,
        "orderType": order_type,
        "side": rng.choice(("buy", "sell")),
        "planType": rng.choice(("amount", "total")),
        "triggerType": rng.choice(("fill_price", "mark_price")),
        "enterPointSource": "API",
        "uTime": _utime(rng, ctime, anchor, True),
        "cTime": str(ctime),
    }


def _position(rng: random.Random) -> dict[str, str]:
    """Position fields; a hedge-mode close keeps the position's side (buy+close+long, BITGET_API.md §2.6)."""
    if rng.random() < 0.3:
        side = rng.choice(("buy", "sell"))
        return {
            "side": side,
            "posSide": "net",
            "tradeSide": f"{side}_single",
            "posMode": "one_way_mode",
            "reduceOnly": "NO",
        }
    pos_side, trade_side = rng.choice(("long", "short")), rng.choice(("open", "close"))
    side = "buy" if pos_side == "long" else "sell"
    return {
        "side": side,
        "posSide": pos_side,
        "tradeSide": trade_side,
        "posMode": "hedge_mode",
        "reduceOnly": "YES" if trade_side == "close" else "NO",
    }


def _futures_order(rng, symbol, stream, coins, order_id, ctime, anchor, user_id):
    position = _position(rng)
    order_type = "market" if rng.random() < 0.35 else "limit"
    status = "filled" if order_type == "market" else rng.choices(("filled", "canceled"), (0.65, 0.35))[0]
    price = _price(rng, coins)
    size = _size(rng, coins, price)
    base_volume = size if status == "filled" else 0.0
    avg = price * (1 + rng.uniform(-0.001, 0.001)) if base_volume else 0.0
    quote_volume = base_volume * avg
    closing = position["tradeSide"] == "close"
    return {
        "symbol": symbol,
        "size": fmt(size, coins.quantity_place),
        "orderId": order_id,
        "clientOid": _client_oid(rng),
        "baseVolume": fmt(base_volume, coins.quantity_place),
        "fee": fmt(-quote_volume * 0.0006, 8) if base_volume else "0",
        "price": "" if order_type == "market" else fmt(price, coins.price_place),
        "priceAvg": fmt(avg, coins.price_place) if base_volume else "",
        "status": status,
        "side": position["side"],
        "force": "gtc" if order_type == "limit" else "ioc",
        "totalProfits": fmt(rng.gauss(0, quote_volume * 0.02), 8) if closing and base_volume else "0",
        "posSide": position["posSide"],
        "marginCoin": margin_coin(stream, coins),
        "quoteVolume": fmt(quote_volume, 8),
        "leverage": str(rng.choice((5, 10, 20, 25, 50))),
        "marginMode": rng.choice(("crossed", "isolated")),
        "enterPointSource": rng.choice(("API", "WEB", "APP")),
        "tradeSide": position["tradeSide"],
        "posMode": position["posMode"],
        "orderType": order_type,
        "orderSource": "market" if order_type == "market" else "normal",
        "presetStopSurplusPrice": fmt(price * 1.05, coins.price_place) if rng.random() < 0.2 else "",
        "presetStopLossPrice": fmt(price * 0.95, coins.price_place) if rng.random() < 0.2 else "",
        "reduceOnly": position["reduceOnly"],
        "liqPrice": "",
        "cTime": str(ctime),
        "uTime": _utime(rng, ctime, anchor, order_type == "limit"),
    }


# Bitget's planType query values and the row planTypes each returns (BITGET_API.md §2.7).
PLAN_QUERY_TYPES = {
    "normal_plan": ("normal_plan",),
    "track_plan": ("track_plan",),
    "profit_loss": ("profit_plan", "loss_plan", "moving_plan", "pos_profit", "pos_loss"),
}


def _futures_plan_order(rng, symbol, stream, coins, order_id, ctime, anchor, user_id):
    query_type = rng.choices(tuple(PLAN_QUERY_TYPES), (0.5, 0.15, 0.35))[0]
    plan_type = rng.choice(PLAN_QUERY_TYPES[query_type])
    position = _position(rng)
    trigger = _price(rng, coins)
    status = rng.choices(("executed", "cancelled", "fail_trigger"), (0.5, 0.45, 0.05))[0]
    executed = status == "executed"
    order_type = rng.choice(("limit", "market"))
    size = _size(rng, coins, trigger)
    tpsl = query_type == "normal_plan" and rng.random() < 0.3
    return {
        "planType": plan_type,
        "symbol": symbol,
        "size": fmt(size, coins.quantity_place),
        "orderId": order_id,
        "executeOrderId": str(int(order_id) + 500) if executed else "",
        "clientOid": _client_oid(rng),
        "planStatus": status,
        "price": fmt(trigger, coins.price_place) if order_type == "limit" else "0",
        "executePrice": fmt(trigger, coins.price_place) if order_type == "limit" else "0",
        "priceAvg": fmt(trigger * 1.0005, coins.price_place) if executed else "",
        "baseVolume": fmt(size, coins.quantity_place) if executed else "0",
        "callbackRatio": f"{rng.uniform(0.5, 5):.2f}" if plan_type == "track_plan" else "",
        "triggerPrice": fmt(trigger, coins.price_place),
        "triggerType": rng.choice(("mark_price", "fill_price")),
        "side": position["side"],
        "posSide": position["posSide"],
        "marginCoin": margin_coin(stream[:-5], coins),
        "marginMode": rng.choice(("crossed", "isolated")),
        "enterPointSource": "API",
        "tradeSide": position["tradeSide"],
        "posMode": position["posMode"],
        "orderType": order_type,
        "cTime": str(ctime),
        "uTime": _utime(rng, ctime, anchor, True),
        "stopSurplusExecutePrice": "",
        "stopSurplusTriggerPrice": fmt(trigger * 1.05, coins.price_place) if tpsl else "",
        "stopSurplusTriggerType": "fill_price" if tpsl else "",
        "stopLossExecutePrice": "",
        "stopLossTriggerPrice": fmt(trigger * 0.95, coins.price_place) if tpsl else "",
        "stopLossTriggerType": "fill_price" if tpsl else "",
    }

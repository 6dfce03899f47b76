"""Fills: the executions of every order that filled something, consistent with the order to the last digit.

An order whose filled size (`baseVolume`) is > 0 has 1..4 fills. They happen at two moments at most, so the
fills that exist at any server time add up to what the order shows at that time (openview.py): an order with a
partial phase fills its partial amount at that moment (`partial_fill`) and the rest when it finishes (uTime);
one without fills everything at uTime. Per order, exactly (decimal, not float):
- the sizes add up to its `baseVolume` (open: the partial `baseVolume` its open row shows);
- the values add up to its `quoteVolume`, the fees to its fee (spot `feeDetail` totalFee, futures `fee`),
  the profits to its `totalProfits`.
Plan orders have no fills of their own. Trade ids are `time * 10**6 + slot * 1000 + sequence` with the slot of
the order's (symbol, stream), so they grow with time and are unique across the account. Everything is seeded
by the account's seed and the orderId.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sandbox.clock import RETENTION_MS
from sandbox.data import EDGE_GUARD_AFTER_MS, EDGE_GUARD_BEFORE_MS, MAX_TIES, builder_stream
from sandbox.markets import Coins
from sandbox.openview import open_row, partial_fill

Order = Mapping[str, Any]
VALUE_QUANTUM = Decimal("1e-8")  # quoteVolume carries 8 decimals (spot padded further with zeros)
SPOT_FEE_QUANTUM = Decimal("1e-10")  # spot feeDetail fees are rounded to 10 decimals
FUTURES_FEE_QUANTUM = Decimal("1e-8")
MAX_FILLS = {"market": 3, "limit": 4}  # fills of one order at most, over both moments


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution in the classic form: decimal texts, the fee negative as on the order (fillrows.py gives it
    the shape of the endpoint that serves it)."""

    trade_id: int
    time: int
    stream: str  # the order's stream
    order: Order
    size: str
    price: str
    value: str
    fee: str
    fee_coin: str
    profit: str
    scope: str  # taker | maker


def plain(value: Decimal) -> str:
    """A decimal as Bitget prints it in fills: no exponent, no trailing zeros ("9.1", "13000")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def has_fills(stream: str) -> bool:
    """Plan orders trigger other orders and have no fills of their own."""
    return not builder_stream(stream).endswith("_plan")


def order_fee(order: Order, form: str) -> tuple[Decimal, str]:
    """(fee as the order shows it, negative; fee coin) of a classic-form order (final or open row)."""
    if form.startswith("spot_"):
        if not order["feeDetail"]:
            return Decimal(0), ""
        detail = json.loads(order["feeDetail"], parse_float=Decimal, parse_int=Decimal)
        coin = next(name for name in detail if name != "newFees")
        return Decimal(detail[coin]["totalFee"]), coin
    return Decimal(order["fee"] or "0"), order["marginCoin"]


def stream_fills(
    orders: Iterable[Order], stream: str, coins: Coins, slot: int, seed: int, anchor_ms: int
) -> list[Fill]:
    """Every fill of a stream's orders (past and future alike), oldest first with their trade ids."""
    if not has_fills(stream):
        return []
    form = builder_stream(stream)
    parts = [
        part
        for order in orders
        for part in _order_parts(
            order, form, coins, random.Random(f"{seed}|fills|{order['orderId']}"), anchor_ms
        )
    ]
    parts.sort(key=lambda part: (part[0], int(part[1]["orderId"]), part[2]), reverse=True)
    fills, seen = [], Counter[int]()
    for time, order, _, size, price, value, fee, coin, profit, scope in parts:
        # A stream has room for 1000 fills a millisecond; more (a huge profile whose orders finish at the
        # anchor together) move to the milliseconds before, never before their order's creation.
        while seen[time] > MAX_TIES:
            time -= 1
            if time < int(order["cTime"]):
                raise ValueError(f"too many fills of one stream before {time + 1}")
        trade_id = time * 1_000_000 + slot * 1000 + MAX_TIES - seen[time]
        seen[time] += 1
        fills.append(Fill(trade_id, time, stream, order, size, price, value, fee, coin, profit, scope))
    fills.sort(key=lambda fill: fill.trade_id)
    return fills


def _order_parts(
    order: Order, form: str, coins: Coins, rng: random.Random, anchor_ms: int
) -> list[tuple[Any, ...]]:
    base = Decimal(order["baseVolume"] or "0")
    if not base:
        return []
    quote = Decimal(order["quoteVolume"])
    fee, coin = order_fee(order, form)
    utime = int(order["uTime"])
    groups = [(utime, base, quote, fee)]
    when, _ = partial_fill(order)
    if when is not None:
        partial = open_row(order, form, coins, when)
        p_base, p_quote = Decimal(partial["baseVolume"]), Decimal(partial["quoteVolume"])
        p_fee = order_fee(partial, form)[0]
        # The open row rounds its share on its own; use it only when both moments keep their signs.
        if 0 < p_base < base and 0 <= p_quote <= quote and abs(p_fee) <= abs(fee):
            groups = [(when, p_base, p_quote, p_fee), (utime, base - p_base, quote - p_quote, fee - p_fee)]
    unit = Decimal(1).scaleb(-coins.quantity_place)
    fee_quantum = SPOT_FEE_QUANTUM if form.startswith("spot_") else FUTURES_FEE_QUANTUM
    price_quantum = Decimal(1).scaleb(-coins.price_place)
    most = MAX_FILLS.get(order["orderType"], 1) // len(groups)  # per moment
    parts: list[list[Any]] = []
    for number, (time, size, value, group_fee) in enumerate(groups):
        total_units = int(size / unit)
        units = _split_units(rng, total_units, rng.randint(1, max(1, min(most, total_units))))
        # Prices differ a little between fills; the values still add up to the group's value exactly.
        weights = [n * (10_000 + rng.randint(-5, 5)) for n in units]
        values = _apportion(value, weights, VALUE_QUANTUM)
        fees = _apportion(group_fee, units, fee_quantum)
        at = _clear_of_edge(time, int(order["cTime"]), anchor_ms)
        for index, (n, part_value, part_fee) in enumerate(zip(units, values, fees, strict=True)):
            part_size = n * unit
            price = (part_value / part_size).quantize(price_quantum)
            scope = "taker" if order["orderType"] == "market" or rng.random() < 0.3 else "maker"
            parts.append(
                [at, order, number * 10 + index, part_size, price, part_value, part_fee, coin, None, scope]
            )
    profits = _apportion(Decimal(order.get("totalProfits") or "0"), [p[3] for p in parts], VALUE_QUANTUM)
    return [
        (at, o, key, plain(size), plain(price), plain(value), plain(fee), coin, plain(profit), scope)
        for (at, o, key, size, price, value, fee, coin, _, scope), profit in zip(parts, profits, strict=True)
    ]


def _split_units(rng: random.Random, units: int, count: int) -> list[int]:
    """`units` (>= count) cut into `count` positive integers at seeded points."""
    cuts = sorted(rng.sample(range(1, units), count - 1)) if count > 1 else []
    return [high - low for low, high in zip([0, *cuts], [*cuts, units], strict=True)]


def _apportion(total: Decimal, weights: list[Any], quantum: Decimal) -> list[Decimal]:
    """`total` shared in proportion to `weights`: each share rounded toward zero to `quantum`, the last one the
    remainder, so the shares add up to `total` exactly and all keep its sign."""
    whole = sum(weights)
    shares = [(total * weight / whole).quantize(quantum, ROUND_DOWN) for weight in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def _clear_of_edge(time: int, ctime: int, anchor_ms: int) -> int:
    """A fill time moved out of the retention-edge guard band (data.py) to just before it, as orders are kept
    out of it: a truth read and a crawl made seconds apart then agree at the moving edge."""
    low = anchor_ms - RETENTION_MS - EDGE_GUARD_BEFORE_MS
    high = anchor_ms - RETENTION_MS + EDGE_GUARD_AFTER_MS
    return low - 1 if low <= time <= high and ctime < low else time


class FillIndex:
    """Fills sorted by trade id (= by time), answering page queries: a fill exists once the clock passed it."""

    def __init__(self, fills: list[Fill]) -> None:
        self._fills = sorted(fills, key=lambda fill: fill.trade_id)
        self._ids = [fill.trade_id for fill in self._fills]
        self._times = [fill.time for fill in self._fills]

    def __len__(self) -> int:
        return len(self._fills)

    def page(
        self, start_ms: int, end_ms: int, id_less_than: int | None, limit: int, now_ms: int
    ) -> tuple[list[Fill], bool]:
        """Up to `limit` fills with time in [start, min(end, now)] and trade id < id_less_than, newest first;
        are older ones left in the window?"""
        low = bisect_left(self._times, start_ms)
        high = bisect_right(self._times, min(end_ms, now_ms))
        if id_less_than is not None:
            high = min(high, bisect_left(self._ids, id_less_than))
        first = max(low, high - limit)
        return self._fills[first:high][::-1], first > low

"""The account's order history: streams generated lazily from the profile, indexed for paging.

Every (symbol, stream) is generated on first use and cached, so even the bench profile starts instantly.
Order ids grow with cTime, so within an index ascending id order is ascending cTime order, a time window is a
contiguous slice, and `idLessThan` is a bisection. Orders not yet finished at the server's now (created after
it, or still open: lifecycle.py) are left out of history pages; an index whose orders have all finished pages
by slicing alone.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from typing import Any

from sandbox.clock import HOUR_MS
from sandbox.data import generate_stream_orders, user_id_of
from sandbox.fills import Fill, FillIndex, stream_fills
from sandbox.markets import Coins, coins_of
from sandbox.profiles import Profile, SymbolSpec

Order = dict[str, Any]
Filters = tuple[tuple[str, frozenset[str]], ...]
# Orders finish within 6 hours of their creation unless they finish late (data.py, lifecycle.py).
SHORT_LIFE_MS = 6 * HOUR_MS


class StreamIndex:
    """Orders sorted by id, answering Bitget's page queries: finished orders for the history, open ones for
    the open-order endpoints."""

    def __init__(self, orders: list[Order]) -> None:
        self._orders = sorted(orders, key=lambda order: int(order["orderId"]))
        self._ids = [int(order["orderId"]) for order in self._orders]
        self._ctimes = [int(order["cTime"]) for order in self._orders]
        self._utimes = [int(order["uTime"]) for order in self._orders]
        # From this server time on every order has finished: history pages are plain slices.
        self._settled_ms = max(self._utimes, default=0)
        # Open orders at `now` are the short-lived ones created in the last `_short_life_ms` plus the few that
        # live longer (late finishes), kept apart so finding them never scans the whole index.
        lives = [utime - ctime for ctime, utime in zip(self._ctimes, self._utimes, strict=True)]
        self._long_lived = [i for i, life in enumerate(lives) if life > SHORT_LIFE_MS]
        self._short_life_ms = max((life for life in lives if life <= SHORT_LIFE_MS), default=0)

    def __len__(self) -> int:
        return len(self._orders)

    def page(
        self, start_ms: int, end_ms: int, id_less_than: int | None, limit: int, now_ms: int
    ) -> tuple[list[Order], bool]:
        """Up to `limit` orders finished at `now_ms` with cTime in [start, end] and id < id_less_than, newest
        first; are older finished ones left in the window?"""
        low = bisect_left(self._ctimes, start_ms)
        high = bisect_right(self._ctimes, min(end_ms, now_ms))  # an order created after now finishes after it
        if id_less_than is not None:
            high = min(high, bisect_left(self._ids, id_less_than))
        if now_ms >= self._settled_ms:
            first = max(low, high - limit)
            return self._orders[first:high][::-1], first > low
        # Some orders are still open: skip them (a minority) while collecting the page; the page stays full.
        rows: list[Order] = []
        position = high
        while position > low and len(rows) < limit:
            position -= 1
            if self._utimes[position] <= now_ms:
                rows.append(self._orders[position])
        more = any(self._utimes[i] <= now_ms for i in range(position - 1, low - 1, -1))
        return rows, more

    def open_orders(self, now_ms: int, start_ms: int | None, end_ms: int | None) -> list[Order]:
        """Orders open at `now_ms` (cTime <= now < uTime) with cTime in [start, end], oldest first."""
        recent = range(
            bisect_left(self._ctimes, now_ms - self._short_life_ms), bisect_right(self._ctimes, now_ms)
        )
        positions = sorted(set(recent).union(self._long_lived))
        low = -1 if start_ms is None else start_ms
        high = now_ms if end_ms is None else min(end_ms, now_ms)
        return [
            self._orders[i] for i in positions if low <= self._ctimes[i] <= high and now_ms < self._utimes[i]
        ]


class Account:
    """One Bitget account: its mode (classic or unified), the profile's symbols and their lazily generated
    order streams."""

    def __init__(self, profile: Profile, seed: int, anchor_ms: int, mode: str = "classic") -> None:
        self.profile = profile
        self.seed = seed
        self.anchor_ms = anchor_ms
        self.mode = mode
        self.user_id = user_id_of(seed)  # the userId of every spot order, and of /spot/account/info
        self._coins = {
            spec.symbol: coins_of(spec.symbol, spec.base, spec.quote, spec.price) for spec in profile.symbols
        }
        # Each (symbol, stream) of the account gets its own id slot, so ids (order and trade ids alike) are
        # unique account-wide.
        self._slots = {
            (spec.symbol, stream): slot
            for slot, (spec, stream) in enumerate(
                (spec, stream) for spec in profile.symbols for stream in self.streams_of(spec)
            )
        }
        if len(self._slots) > 1000:
            raise ValueError("a profile may hold at most 1000 (symbol, stream) pairs")
        self._streams: dict[tuple[str, str], list[Order]] = {}
        self._fills: dict[tuple[str, str], list[Fill]] = {}
        self._indexes: dict[tuple[Any, ...], StreamIndex] = {}
        self._fill_indexes: dict[tuple[Any, ...], FillIndex] = {}
        self._lock = threading.RLock()

    def coins(self, symbol: str) -> Coins:
        return self._coins[symbol]

    def streams_of(self, spec: SymbolSpec) -> tuple[str, ...]:
        """The order streams the account serves for a symbol: classic ones, or uta_<CATEGORY> when unified."""
        return spec.uta_streams() if self.mode == "unified" else spec.streams()

    def symbols_in(self, market: str) -> list[SymbolSpec]:
        """Profile symbols that trade in `market` (`spot`, a product type, or a unified stream `uta_<CATEGORY>`),
        in profile order."""
        return [spec for spec in self.profile.symbols if _trades_in(spec, market)]

    def has(self, symbol: str, market: str) -> bool:
        spec = self.profile.symbol(symbol)
        return spec is not None and _trades_in(spec, market)

    def stream_orders(self, symbol: str, stream: str) -> list[Order]:
        """Every order of one (symbol, stream), newest first, generated once: the past ones, those created
        after the anchor (future_days) and the open ones alike; lifecycle.py tells which exist at a time."""
        key = (symbol, stream)
        with self._lock:
            if key not in self._streams:
                spec = self.profile.symbol(symbol)
                if spec is None or stream not in self.streams_of(spec):
                    raise KeyError(f"{symbol} has no stream {stream}")
                unified = stream.startswith("uta_")
                self._streams[key] = generate_stream_orders(
                    self.seed,
                    symbol,
                    stream,
                    (spec.uta_orders if unified else spec.orders)[stream],
                    self.anchor_ms,
                    (spec.uta_days if unified else spec.days)[stream],
                    spec.tie_share,
                    slot=self._slots[key],
                    coins=self._coins[symbol],
                    future_days=(spec.uta_future_days if unified else spec.future_days).get(stream, 0.0),
                    open_share=spec.open_share,
                    open_days=spec.open_days,
                )
            return self._streams[key]

    def stream_fills(self, symbol: str, stream: str) -> list[Fill]:
        """Every fill of one (symbol, order stream), oldest first, generated once (fills.py)."""
        key = (symbol, stream)
        with self._lock:
            if key not in self._fills:
                self._fills[key] = stream_fills(
                    self.stream_orders(symbol, stream),
                    stream,
                    self._coins[symbol],
                    self._slots[key],
                    self.seed,
                    self.anchor_ms,
                )
            return self._fills[key]

    def fill_index(
        self, streams: tuple[str, ...], symbol: str | None, order_id: str | None = None
    ) -> FillIndex:
        """An index over the fills of the order streams `streams` of `symbol` (None: of every symbol trading
        in them), optionally of one order only (not cached: there would be one per order asked)."""
        key = (streams, symbol)
        with self._lock:
            found = self._fill_indexes.get(key) if order_id is None else None
            if found is None:
                fills = [
                    fill
                    for stream in streams
                    for spec in self.symbols_in(_market_of(stream))
                    if symbol in (None, spec.symbol)
                    for fill in self.stream_fills(spec.symbol, stream)
                    if order_id is None or fill.order["orderId"] == order_id
                ]
                found = FillIndex(fills)
                if order_id is None:
                    self._fill_indexes[key] = found
            return found

    def index(
        self, stream: str, symbol: str | None, market: str, filters: Filters = (), cache: bool = True
    ) -> StreamIndex:
        """An index over one stream of `symbol` (or of every symbol of `market`), keeping only the rows whose
        fields are among the allowed values of each filter, e.g. (("planType", frozenset({"track_plan"})),).
        """
        key = (stream, symbol, market, filters)
        with self._lock:
            found = self._indexes.get(key)
            if found is None:
                symbols = [symbol] if symbol else [spec.symbol for spec in self.symbols_in(market)]
                rows = [
                    order
                    for name in symbols
                    for order in self.stream_orders(name, stream)
                    if all(order.get(field) in allowed for field, allowed in filters)
                ]
                found = StreamIndex(rows)
                if cache:
                    self._indexes[key] = found
            return found


def _trades_in(spec: SymbolSpec, market: str) -> bool:
    return market in spec.uta_orders if market.startswith("uta_") else market in spec.markets


def _market_of(stream: str) -> str:
    """The market argument of `symbols_in` for an order stream."""
    if stream.startswith("uta_"):
        return stream
    return "spot" if stream.startswith("spot_") else stream.removesuffix("_plan")

"""Which streams a symbol has and which Bitget queries page each of them.

Classic account (v2): spot normal and tpsl order history (one endpoint, `tpslType`), spot plan history.
Futures, per product type: order history, and plan history as the union of one query per planType (Bitget
requires planType). Simulation product types only when asked for. Plan streams are part of an account's order
history: on unless switched off. Fills, when asked for: spot fills, and per product type its fill history (at
most 7 days per request).

Unified account (UTA, v3): per category (SPOT, MARGIN, USDT-/COIN-/USDC-FUTURES) its order history and, when
asked for, its fills, each at most 30 days per request (BITGET_API.md §11).

An account unit (common/account_scope.py) pages the same streams without a symbol; the v2 spot endpoints that
need one (plan history, fills) are paged per candidate symbol (`spot_symbol_streams`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambda_functions.common.account_mode import CLASSIC, UNIFIED
from lambda_functions.common.account_scope import ACCOUNT_FUTURES, ACCOUNT_SPOT, stream_key
from lambda_functions.common.bitget import endpoints
from lambda_functions.common.streams import (
    FUTURES_PLAN_TYPES,
    FUTURES_PRODUCT_TYPES,
    SIMULATION_PRODUCT_TYPES,
    SPOT_FILLS,
    SPOT_NORMAL,
    SPOT_PLAN,
    SPOT_TPSL,
    UTA_CATEGORIES,
    UTA_SPOT_CATEGORIES,
    fills_stream,
    futures_plan_stream,
    uta_stream,
)
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.markets import SPOT
from lambda_functions.worker.shard_job import Query
from lambda_functions.worker.window import FUTURES_FILLS_MAX_SPAN_MS, UTA_MAX_SPAN_MS


@dataclass(frozen=True)
class StreamSpec:
    """One stream: its name (its key in the checkpoint and the summary), the market whose list and naming rules
    apply, its queries; `label` is the stream written on its rows when it differs from the name (an account
    unit's `spot_plan:BTCUSDT` rows are `spot_plan` rows), `symbol` the one symbol it pages (None: every one)."""

    name: str
    market: str
    queries: tuple[Query, ...]
    label: str | None = None
    symbol: str | None = None

    @property
    def row_stream(self) -> str:
        return self.label or self.name


def plan_streams(
    client: Any,
    symbol: str,
    *,
    plan_orders: bool,
    simulation: bool,
    fills: bool = False,
    mode: str = CLASSIC,
) -> list[StreamSpec]:
    """The streams to page for one symbol, spot first."""
    if mode == UNIFIED:
        return uta_streams(client, UTA_CATEGORIES, symbol, fills=fills)
    specs = [
        StreamSpec(SPOT_NORMAL, SPOT, (_spot(client, symbol, "normal"),)),
        StreamSpec(SPOT_TPSL, SPOT, (_spot(client, symbol, "tpsl"),)),
    ]
    if plan_orders:
        fetch = pg.spot_plan_fetcher(client, symbol)
        specs.append(StreamSpec(SPOT_PLAN, SPOT, (Query(endpoints.SPOT_PLAN_HISTORY, fetch),)))
    if fills:
        specs.append(StreamSpec(SPOT_FILLS, SPOT, (_spot_fills(client, symbol),)))
    return specs + _futures_streams(client, symbol, plan_orders, simulation, fills)


def plan_account_streams(
    client: Any,
    unit: str,
    *,
    plan_orders: bool,
    simulation: bool,
    fills: bool = False,
    mode: str = CLASSIC,
) -> list[StreamSpec]:
    """The streams an account unit pages without a symbol (account_scope.py). The v2 spot endpoints that need
    a symbol (plan history, fills) are added per candidate once the candidates are known
    (`spot_symbol_streams`); v3 needs none."""
    if unit not in (ACCOUNT_SPOT, ACCOUNT_FUTURES):
        raise ValueError(f"{unit!r} is not an account unit")
    if mode == UNIFIED:
        spot = unit == ACCOUNT_SPOT
        categories = [c for c in UTA_CATEGORIES if (c in UTA_SPOT_CATEGORIES) == spot]
        return uta_streams(client, categories, None, fills=fills)
    if unit == ACCOUNT_SPOT:
        return [
            StreamSpec(SPOT_NORMAL, SPOT, (_spot(client, None, "normal"),)),
            StreamSpec(SPOT_TPSL, SPOT, (_spot(client, None, "tpsl"),)),
        ]
    return _futures_streams(client, None, plan_orders, simulation, fills)


def _futures_streams(
    client: Any, symbol: str | None, plan_orders: bool, simulation: bool, fills: bool
) -> list[StreamSpec]:
    """Per product type: order history, plan history (one query per planType), fills (live types only:
    Bitget's fill history does not serve the simulation ones)."""
    specs = []
    for pt in FUTURES_PRODUCT_TYPES + (SIMULATION_PRODUCT_TYPES if simulation else ()):
        history = Query(endpoints.FUTURES_HISTORY_ORDERS, pg.futures_fetcher(client, pt, symbol))
        specs.append(StreamSpec(pt, pt, (history,)))
        if plan_orders:
            plans = tuple(
                Query(endpoints.FUTURES_PLAN_HISTORY, pg.futures_fetcher(client, pt, symbol, plan))
                for plan in FUTURES_PLAN_TYPES
            )
            specs.append(StreamSpec(futures_plan_stream(pt), pt, plans))
        if fills and pt in FUTURES_PRODUCT_TYPES:
            fetch = pg.futures_fills_fetcher(client, pt, symbol)
            query = Query(endpoints.FUTURES_FILL_HISTORY, fetch, FUTURES_FILLS_MAX_SPAN_MS)
            specs.append(StreamSpec(fills_stream(pt), pt, (query,)))
    return specs


def uta_streams(client: Any, categories: Any, symbol: str | None, *, fills: bool) -> list[StreamSpec]:
    """A unified account's order history (and fills) per category; spot and margin are the `spot` market
    (their symbols are spot pairs), a futures category its product type."""
    specs = []
    for category in categories:
        market = SPOT if category in UTA_SPOT_CATEGORIES else category
        orders = pg.uta_fetcher(client, category, symbol, fills=False)
        query = Query(endpoints.UTA_HISTORY_ORDERS, orders, UTA_MAX_SPAN_MS)
        specs.append(StreamSpec(uta_stream(category), market, (query,)))
        if fills:
            fetch = pg.uta_fetcher(client, category, symbol, fills=True)
            query = Query(endpoints.UTA_FILLS, fetch, UTA_MAX_SPAN_MS)
            specs.append(StreamSpec(uta_stream(category, fills=True), market, (query,)))
    return specs


def spot_symbol_streams(
    client: Any, symbols: list[str], *, plan_orders: bool, fills: bool
) -> list[StreamSpec]:
    """The v2 spot streams Bitget pages only per symbol, for each candidate symbol of an account unit: plan
    history keyed `spot_plan:SYMBOL` (written as `spot_plan` rows), fills keyed `spot_fills:SYMBOL`."""
    specs = []
    for symbol in symbols:
        if plan_orders:
            query = Query(endpoints.SPOT_PLAN_HISTORY, pg.spot_plan_fetcher(client, symbol))
            specs.append(StreamSpec(stream_key(SPOT_PLAN, symbol), SPOT, (query,), SPOT_PLAN, symbol))
        if fills:
            specs.append(
                StreamSpec(
                    stream_key(SPOT_FILLS, symbol), SPOT, (_spot_fills(client, symbol),), SPOT_FILLS, symbol
                )
            )
    return specs


def _spot_fills(client: Any, symbol: str) -> Query:
    return Query(endpoints.SPOT_FILLS, pg.spot_fills_fetcher(client, symbol))


def _spot(client: Any, symbol: str | None, tpsl_type: str) -> Query:
    return Query(endpoints.SPOT_HISTORY_ORDERS, pg.spot_fetcher(client, symbol, tpsl_type))


def is_fast_path(path: str) -> bool:
    """A path Bitget allows 20 requests a second (spot history, every v3 one): it gets the larger lane
    (MAX_CONCURRENT_SPOT threads); the 10/s ones MAX_CONCURRENT_FUTURES."""
    return endpoints.PUBLISHED_LIMITS.get(path, endpoints.DEFAULT_LIMIT) >= 20.0

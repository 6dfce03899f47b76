"""Which streams a symbol has and which Bitget queries page each of them.

Spot: normal and tpsl order history (one endpoint, `tpslType`), spot plan history. Futures, per product type:
order history, and plan history as the union of one query per planType (Bitget requires planType). Simulation
product types only when asked for. Plan streams are part of an account's order history: on unless switched off.
An account unit (common/account_scope.py) pages the same streams without a symbol, spot plan per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambda_functions.common.account_scope import ACCOUNT_FUTURES, ACCOUNT_SPOT, stream_key
from lambda_functions.common.bitget import endpoints
from lambda_functions.common.streams import (
    FUTURES_PLAN_TYPES,
    FUTURES_PRODUCT_TYPES,
    SIMULATION_PRODUCT_TYPES,
    SPOT_NORMAL,
    SPOT_PLAN,
    SPOT_TPSL,
    futures_plan_stream,
)
from lambda_functions.worker import pagination as pg
from lambda_functions.worker.markets import SPOT
from lambda_functions.worker.shard_job import Query

SPOT_PATHS = frozenset({endpoints.SPOT_HISTORY_ORDERS, endpoints.SPOT_PLAN_HISTORY})


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


def plan_streams(client: Any, symbol: str, *, plan_orders: bool, simulation: bool) -> list[StreamSpec]:
    """The streams to page for one symbol, spot first."""
    specs = [
        StreamSpec(SPOT_NORMAL, SPOT, (_spot(client, symbol, "normal"),)),
        StreamSpec(SPOT_TPSL, SPOT, (_spot(client, symbol, "tpsl"),)),
    ]
    if plan_orders:
        fetch = pg.spot_plan_fetcher(client, symbol)
        specs.append(StreamSpec(SPOT_PLAN, SPOT, (Query(endpoints.SPOT_PLAN_HISTORY, fetch),)))
    product_types = FUTURES_PRODUCT_TYPES + (SIMULATION_PRODUCT_TYPES if simulation else ())
    for pt in product_types:
        history = Query(endpoints.FUTURES_HISTORY_ORDERS, pg.futures_fetcher(client, pt, symbol))
        specs.append(StreamSpec(pt, pt, (history,)))
        if plan_orders:
            plans = tuple(
                Query(endpoints.FUTURES_PLAN_HISTORY, pg.futures_fetcher(client, pt, symbol, plan))
                for plan in FUTURES_PLAN_TYPES
            )
            specs.append(StreamSpec(futures_plan_stream(pt), pt, plans))
    return specs


def plan_account_streams(client: Any, unit: str, *, plan_orders: bool, simulation: bool) -> list[StreamSpec]:
    """The streams an account unit pages without a symbol (account_scope.py). Spot plan history needs a
    symbol: `spot_plan_streams` adds it per candidate once the candidates are known."""
    if unit == ACCOUNT_SPOT:
        return [
            StreamSpec(SPOT_NORMAL, SPOT, (_spot(client, None, "normal"),)),
            StreamSpec(SPOT_TPSL, SPOT, (_spot(client, None, "tpsl"),)),
        ]
    if unit != ACCOUNT_FUTURES:
        raise ValueError(f"{unit!r} is not an account unit")
    specs = []
    for pt in FUTURES_PRODUCT_TYPES + (SIMULATION_PRODUCT_TYPES if simulation else ()):
        specs.append(
            StreamSpec(
                pt, pt, (Query(endpoints.FUTURES_HISTORY_ORDERS, pg.futures_fetcher(client, pt, None)),)
            )
        )
        if plan_orders:
            plans = tuple(
                Query(endpoints.FUTURES_PLAN_HISTORY, pg.futures_fetcher(client, pt, None, plan))
                for plan in FUTURES_PLAN_TYPES
            )
            specs.append(StreamSpec(futures_plan_stream(pt), pt, plans))
    return specs


def spot_plan_streams(client: Any, symbols: list[str]) -> list[StreamSpec]:
    """Spot plan history of each candidate symbol, keyed `spot_plan:SYMBOL`, written as `spot_plan` rows."""
    return [
        StreamSpec(
            stream_key(SPOT_PLAN, symbol),
            SPOT,
            (Query(endpoints.SPOT_PLAN_HISTORY, pg.spot_plan_fetcher(client, symbol)),),
            label=SPOT_PLAN,
            symbol=symbol,
        )
        for symbol in symbols
    ]


def _spot(client: Any, symbol: str | None, tpsl_type: str) -> Query:
    return Query(endpoints.SPOT_HISTORY_ORDERS, pg.spot_fetcher(client, symbol, tpsl_type))


def is_spot_path(path: str) -> bool:
    return path in SPOT_PATHS

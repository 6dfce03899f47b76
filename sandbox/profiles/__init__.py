"""Sandbox profiles: which symbols exist, in which markets, with how many orders per stream.

A profile is JSON (format in docs/sandbox.md). `load_profile` accepts a built-in name (`demo`, `bench`, `live`,
`uta`: the JSON files beside this module), a path to a JSON file, a dict, or a `Profile`.

A symbol's `orders` may name classic streams (`spot_normal`, `USDT-FUTURES_plan`, ...) and unified-account
streams (`uta_SPOT`, `uta_MARGIN`, `uta_USDT-FUTURES`, ...). A classic account serves the first, a unified one
the second; a symbol that names no unified stream gets them from its classic counts (`uta_streams_from`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.options import OPTION_KEYS, ServerOptions, parse_options

SPOT_STREAMS = ("spot_normal", "spot_tpsl", "spot_plan")
PRODUCT_TYPES = (
    "USDT-FUTURES",
    "USDC-FUTURES",
    "COIN-FUTURES",
    "SUSDT-FUTURES",
    "SUSDC-FUTURES",
    "SCOIN-FUTURES",
)
UTA_CATEGORIES = ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
UTA_STREAMS = tuple(f"uta_{category}" for category in UTA_CATEGORIES)
# The classic stream a unified stream takes its count, days and future_days from when a symbol names no unified
# stream. Spot TP/SL and plan orders are strategy orders on a unified account (history-strategy-orders, not
# served), margin and the simulated product types have no classic counterpart here.
UTA_FROM_CLASSIC = {
    "uta_SPOT": "spot_normal",
    "uta_USDT-FUTURES": "USDT-FUTURES",
    "uta_COIN-FUTURES": "COIN-FUTURES",
    "uta_USDC-FUTURES": "USDC-FUTURES",
}
_BUILT_IN = Path(__file__).parent


def streams_of_market(market: str) -> tuple[str, ...]:
    """`spot` -> the three spot streams; a product type -> its history and its plan history."""
    return SPOT_STREAMS if market == "spot" else (market, market + "_plan")


def uta_market(stream: str) -> str:
    """The classic market a unified stream trades in (its symbol is listed there): spot or a product type."""
    category = stream.removeprefix("uta_")
    return "spot" if category in ("SPOT", "MARGIN") else category


def market_of_stream(stream: str) -> str:
    if stream in SPOT_STREAMS:
        return "spot"
    product_type = stream.removesuffix("_plan")
    if product_type not in PRODUCT_TYPES:
        raise ValueError(f"unknown stream {stream!r}")
    return product_type


@dataclass(frozen=True)
class SymbolSpec:
    """One symbol: its markets, exact order count per stream, time spread (days) per stream, ties share, and
    how its history goes on: days of orders after the anchor per stream, the share of resting orders that
    finish late and how late at most (docs/sandbox.md, "Profiles")."""

    symbol: str
    markets: tuple[str, ...]
    orders: dict[str, int]
    days: dict[str, float]
    tie_share: float
    base: str | None = None
    quote: str | None = None
    price: float | None = None
    listed: bool = True  # False: delisted lately: left out of the symbol/contract lists, history still served
    future_days: dict[str, float] = field(default_factory=dict)  # per stream; absent = 0
    open_share: float = 0.0
    open_days: float = 20.0
    # The unified-account streams (uta_<CATEGORY>): exact count, days and future_days of each.
    uta_orders: dict[str, int] = field(default_factory=dict)
    uta_days: dict[str, float] = field(default_factory=dict)
    uta_future_days: dict[str, float] = field(default_factory=dict)

    def streams(self) -> tuple[str, ...]:
        return tuple(stream for market in self.markets for stream in streams_of_market(market))

    def uta_streams(self) -> tuple[str, ...]:
        return tuple(self.uta_orders)


@dataclass(frozen=True)
class Profile:
    name: str
    symbols: tuple[SymbolSpec, ...]
    faults: dict[str, float] = field(default_factory=dict)
    options: ServerOptions = field(default_factory=ServerOptions)

    def symbol(self, name: str) -> SymbolSpec | None:
        return next((spec for spec in self.symbols if spec.symbol == name), None)


def load_profile(source: str | Path | dict[str, Any] | Profile) -> Profile:
    """A `Profile` from a built-in name, a JSON path, a dict or a Profile; ValueError names what is wrong."""
    if isinstance(source, Profile):
        return source
    if isinstance(source, dict):
        return profile_from_dict(source)
    path = _BUILT_IN / f"{source}.json" if (_BUILT_IN / f"{source}.json").is_file() else Path(source)
    if not path.is_file():
        raise ValueError(
            f"profile {str(source)!r} is neither a built-in profile (demo, bench, live, uta) nor a JSON file"
        )
    return profile_from_dict(json.loads(path.read_text()), default_name=path.stem)


def profile_from_dict(raw: dict[str, Any], default_name: str = "custom") -> Profile:
    symbols = raw.get("symbols")
    if not isinstance(symbols, list) or not symbols:
        raise ValueError("profile field 'symbols' must be a non-empty list")
    defaults = {
        "days": raw.get("days", 60),
        "tie_share": raw.get("tie_share", 0.05),
        "future_days": raw.get("future_days", 0),
        "open_share": raw.get("open_share", 0.0),
        "open_days": raw.get("open_days", 20),
    }
    specs = tuple(_symbol_spec(item, defaults) for item in symbols)
    names = [spec.symbol for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError("profile field 'symbols' lists a symbol twice")
    faults = dict(raw.get("faults", {}))
    for key in ("latency_ms", "jitter_ms"):
        if key in raw:
            faults[key] = raw[key]
    options = parse_options({key: raw[key] for key in OPTION_KEYS if key in raw})
    return Profile(name=str(raw.get("name", default_name)), symbols=specs, faults=faults, options=options)


def _symbol_spec(item: dict[str, Any], defaults: dict[str, Any]) -> SymbolSpec:
    symbol = item.get("symbol")
    if not isinstance(symbol, str) or not symbol.isalnum() or not symbol.isupper():
        raise ValueError(f"profile symbol {symbol!r}: 'symbol' must be upper-case alphanumerics")
    all_orders = item.get("orders", {})
    for stream, count in all_orders.items():
        if stream not in UTA_STREAMS:
            market_of_stream(stream)
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"profile symbol {symbol}: orders[{stream!r}] must be an integer >= 0")
    orders = {s: n for s, n in all_orders.items() if s not in UTA_STREAMS}
    implied = [market_of_stream(s) for s in orders] + [uta_market(s) for s in all_orders if s in UTA_STREAMS]
    markets = tuple(item.get("markets") or dict.fromkeys(implied))
    for market in markets:
        if market != "spot" and market not in PRODUCT_TYPES:
            raise ValueError(f"profile symbol {symbol}: unknown market {market!r}")
    stray = [s for s in orders if market_of_stream(s) not in markets]
    stray += [s for s in all_orders if s in UTA_STREAMS and uta_market(s) not in markets]
    if stray:
        raise ValueError(f"profile symbol {symbol}: orders for {stray} but that market is not in 'markets'")
    days = _per_stream(
        item.get("days", defaults["days"]),
        markets,
        _number(defaults["days"], "profile field 'days'"),
        f"profile symbol {symbol}: 'days'",
    )
    tie_share = float(item.get("tie_share", defaults["tie_share"]))
    if not 0 <= tie_share < 1:
        raise ValueError(f"profile symbol {symbol}: 'tie_share' must be in [0, 1)")
    price = item.get("price")
    listed = item.get("listed", True)
    if not isinstance(listed, bool):
        raise ValueError(f"profile symbol {symbol}: 'listed' must be true or false")
    return SymbolSpec(
        symbol,
        markets,
        {s: orders.get(s, 0) for m in markets for s in streams_of_market(m)},
        days,
        tie_share,
        item.get("base"),
        item.get("quote"),
        None if price is None else float(price),
        listed,
        **_living(item, defaults, markets, symbol),
        **_unified(item, defaults, markets, symbol, all_orders),
    )


def uta_streams_from(orders: dict[str, int], markets: tuple[str, ...]) -> dict[str, str]:
    """{unified stream: the classic stream it is derived from} for a symbol that names no unified stream."""
    classic = {s for m in markets for s in streams_of_market(m)} | set(orders)
    return {uta: source for uta, source in UTA_FROM_CLASSIC.items() if source in classic}


def _unified(
    item: dict[str, Any],
    defaults: dict[str, Any],
    markets: tuple[str, ...],
    symbol: str,
    orders: dict[str, int],
) -> dict[str, Any]:
    """`uta_orders`, `uta_days`, `uta_future_days`: the streams the symbol names, or those derived from its
    classic streams (same count, days and future_days as their source)."""
    named = [s for s in UTA_STREAMS if s in orders]
    sources = {s: s for s in named} if named else uta_streams_from(orders, markets)
    where = f"profile symbol {symbol}"
    days_value = item.get("days", defaults["days"])
    future_value = item.get("future_days", defaults["future_days"])
    if isinstance(defaults["future_days"], dict) and isinstance(future_value, dict):
        future_value = {**defaults["future_days"], **future_value}
    days_fallback = _number(defaults["days"], "profile field 'days'")
    future_fallback = (
        0.0
        if isinstance(defaults["future_days"], dict)
        else _number(defaults["future_days"], "profile field 'future_days'")
    )
    uta_orders, uta_days, uta_future = {}, {}, {}
    for stream, source in sources.items():
        uta_orders[stream] = orders.get(source, 0)
        uta_days[stream] = _stream_value(days_value, stream, source, days_fallback, f"{where}: 'days'")
        uta_future[stream] = _stream_value(
            future_value, stream, source, future_fallback, f"{where}: 'future_days'"
        )
    if any(d <= 0 for d in uta_days.values()):
        raise ValueError(f"{where}: 'days' must be > 0")
    if any(d < 0 for d in uta_future.values()):
        raise ValueError(f"{where}: 'future_days' must be >= 0")
    return {"uta_orders": uta_orders, "uta_days": uta_days, "uta_future_days": uta_future}


def _stream_value(value: Any, stream: str, source: str, fallback: float, where: str) -> float:
    """A per-stream number (`days`, `future_days`): the stream's own entry, else its source's, else the
    fallback; a plain number applies to every stream."""
    if not isinstance(value, dict):
        return _number(value, where)
    return _number(value.get(stream, value.get(source, fallback)), where)


def _living(
    item: dict[str, Any], defaults: dict[str, Any], markets: tuple[str, ...], symbol: str
) -> dict[str, Any]:
    """`future_days` (per stream), `open_share` and `open_days` of one symbol, its own or the profile's.

    A per-stream `future_days` of the symbol completes the profile's per-stream one; streams named by neither
    get 0 (or the profile's number)."""
    default = defaults["future_days"]
    value = item.get("future_days", default)
    if isinstance(default, dict) and isinstance(value, dict):
        value = {**default, **value}
    fallback = 0.0 if isinstance(default, dict) else _number(default, "profile field 'future_days'")
    where = f"profile symbol {symbol}"
    future_days = _per_stream(value, markets, fallback, f"{where}: 'future_days'", zero_allowed=True)
    open_share = _number(item.get("open_share", defaults["open_share"]), f"{where}: 'open_share'")
    if not 0 <= open_share <= 1:
        raise ValueError(f"{where}: 'open_share' must be in [0, 1]")
    open_days = _number(item.get("open_days", defaults["open_days"]), f"{where}: 'open_days'")
    if open_days < 1 / 24:
        raise ValueError(f"{where}: 'open_days' must be at least one hour (1/24)")
    return {"future_days": future_days, "open_share": open_share, "open_days": open_days}


def _per_stream(
    value: Any, markets: tuple[str, ...], fallback: float, where: str, zero_allowed: bool = False
) -> dict[str, float]:
    """`days` (or `future_days`) may be one number or {stream: number} (streams not named get the profile's
    value)."""
    streams = [s for m in markets for s in streams_of_market(m)]
    per = value if isinstance(value, dict) else dict.fromkeys(streams, value)
    result = {s: _number(per.get(s, fallback), where) for s in streams}
    if any(d < 0 or (d == 0 and not zero_allowed) for d in result.values()):
        raise ValueError(f"{where} must be {'>= 0' if zero_allowed else '> 0'}")
    return result


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where} must be a number")
    return float(value)

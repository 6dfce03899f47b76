"""Sandbox profiles: which symbols exist, in which markets, with how many orders per stream.

A profile is JSON (format in docs/sandbox.md). `load_profile` accepts a built-in name (`demo`, `bench`, `live`: the
JSON files beside this module), a path to a JSON file, a dict, or a `Profile`.
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
_BUILT_IN = Path(__file__).parent


def streams_of_market(market: str) -> tuple[str, ...]:
    """`spot` -> the three spot streams; a product type -> its history and its plan history."""
    return SPOT_STREAMS if market == "spot" else (market, market + "_plan")


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

    def streams(self) -> tuple[str, ...]:
        return tuple(stream for market in self.markets for stream in streams_of_market(market))


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
            f"profile {str(source)!r} is neither a built-in profile (demo, bench, live) nor a JSON file"
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
    orders = item.get("orders", {})
    for stream, count in orders.items():
        market_of_stream(stream)
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"profile symbol {symbol}: orders[{stream!r}] must be an integer >= 0")
    markets = tuple(item.get("markets") or dict.fromkeys(market_of_stream(s) for s in orders))
    for market in markets:
        if market != "spot" and market not in PRODUCT_TYPES:
            raise ValueError(f"profile symbol {symbol}: unknown market {market!r}")
    stray = [s for s in orders if market_of_stream(s) not in markets]
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
    )


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

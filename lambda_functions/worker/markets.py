"""Which markets list a symbol: Bitget's spot symbol list and the futures contract lists, cached per process.

The lists say which markets currently trade a symbol. They cannot rule a market out: a symbol delisted
within Bitget's 90-day retention is gone from them but still has orders, so the extraction sends an
unlisted market one history request and lets Bitget's answer decide (40034/40309: not applicable; data:
paged to the end). The lists are public and fetched once per process (warm invocations reuse them) and
refreshed after a TTL. When a list cannot be fetched the answer is "unknown" (None).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from lambda_functions.common.bitget import BitgetError

SPOT = "spot"

log = logging.getLogger(__name__)


class MarketCatalog:
    """Thread-safe cache of symbol sets per market (`spot` or a futures product type)."""

    def __init__(self, ttl_s: float = 300.0, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._sets: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, market: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(market, threading.Lock())

    def listed(self, client: Any, market: str, symbol: str) -> bool | None:
        """True/False when the market's list is known, None when it could not be fetched."""
        with self._lock(market):  # one fetch per market even when several streams ask at once
            cached = self._sets.get(market)
            if cached is None or self._monotonic() - cached[0] > self.ttl_s:
                symbols = self._fetch(client, market)
                if symbols is None:
                    return None
                cached = (self._monotonic(), symbols)
                self._sets[market] = cached
        return symbol in cached[1]

    @staticmethod
    def _fetch(client: Any, market: str) -> frozenset[str] | None:
        try:
            rows = client.spot_symbols() if market == SPOT else client.futures_contracts(market)
        except BitgetError as exc:
            log.warning("market list unavailable", extra={"market": market, "error": type(exc).__name__})
            return None
        return frozenset(str(row.get("symbol", "")) for row in rows or [])


# What a symbol's name says about where it can trade (BITGET_API.md §2.3, §5.1): USDT-margined contracts are
# quoted in USDT (BTCUSDT), USDC-margined ones end in PERP or USDC (BTCPERP), coin-margined ones in USD with an
# optional delivery code (BTCUSD, BTCUSDZ25). The simulation types follow their real twins (SBTCSUSDT).
_QUOTE_OF_PRODUCT = {
    "USDT-FUTURES": "USDT",
    "SUSDT-FUTURES": "USDT",
    "USDC-FUTURES": "USDC",
    "SUSDC-FUTURES": "USDC",
    "COIN-FUTURES": "USD",
    "SCOIN-FUTURES": "USD",
}
_COIN_MARGINED = re.compile(r"USD([A-Z]\d{2}|\d{4,6})?$")


def name_quote(symbol: str) -> str | None:
    """The settlement family a symbol's name implies (USDT, USDC or USD), or None when it does not say."""
    if symbol.endswith("USDT"):
        return "USDT"
    if symbol.endswith(("PERP", "USDC")):
        return "USDC"
    if _COIN_MARGINED.search(symbol):
        return "USD"
    return None


def excluded_by_name(symbol: str, market: str) -> bool:
    """True when the symbol's name proves it cannot exist in this futures market, so asking is wasted.

    Only futures markets are ruled out, and only when the name is unambiguous; any other shape is asked.
    """
    family = _QUOTE_OF_PRODUCT.get(market)
    quote = name_quote(symbol)
    return family is not None and quote is not None and quote != family

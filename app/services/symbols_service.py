"""GET /symbols: Bitget's v2 spot pairs and USDT/USDC/COIN futures contracts, cached (SYMBOLS_CACHE_SECONDS).

Five public requests build one answer; the cache keeps a burst of clients from spending Bitget's 20 req/s IP
budget. One lock makes concurrent misses wait for a single refresh instead of all refreshing at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from app.schemas.symbols import ProductTypeSummary, SymbolEntry, SymbolsResponse
from lambda_functions.common.bitget.endpoints import FUTURES_CONTRACTS, SPOT_SYMBOLS
from lambda_functions.common.streams import FUTURES_PRODUCT_TYPES

DESCRIPTIONS = {
    "spot": "Spot trading pairs (v2)",
    "usdt-futures": "USDT-margined futures (v2)",
    "usdc-futures": "USDC-margined futures (v2)",
    "coin-futures": "Coin-margined futures (v2)",
}


class SymbolsClient(Protocol):
    def spot_symbols(self, symbol: str | None = None) -> list[dict]: ...

    def futures_contracts(self, product_type: str, symbol: str | None = None) -> list[dict]: ...


class SymbolsService:
    """Fetches and caches the consolidated symbol list; `exchange_info` is shown in `api_info`."""

    def __init__(
        self,
        client: SymbolsClient,
        *,
        cache_seconds: float,
        exchange_info: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.cache_seconds = cache_seconds
        self.exchange_info = exchange_info or {}
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: SymbolsResponse | None = None
        self._fetched_at = 0.0

    def get(self) -> SymbolsResponse:
        """The cached answer while fresh; otherwise one refresh (Bitget errors propagate, cache untouched)."""
        with self._lock:
            fresh = self._cached is not None and self._clock() - self._fetched_at < self.cache_seconds
            if not fresh:
                self._cached = self._fetch()
                self._fetched_at = self._clock()
                return self._answer(cached=False)
            return self._answer(cached=True)

    def _answer(self, *, cached: bool) -> SymbolsResponse:
        assert self._cached is not None
        return self._cached.model_copy(update={"api_info": {**self._cached.api_info, "cached": cached}})

    def _fetch(self) -> SymbolsResponse:
        entries = [_entry(row, "spot", "status") for row in self.client.spot_symbols()]
        for product_type in FUTURES_PRODUCT_TYPES:
            rows = self.client.futures_contracts(product_type)
            entries += [_entry(row, product_type.lower(), "symbolStatus") for row in rows]
        # v2 names only: v1 suffixed names (BTCUSDT_UMCBL) contain an underscore.
        entries = [e for e in entries if e.symbol and "_" not in e.symbol]
        summary = {
            kind: ProductTypeSummary(
                count=sum(1 for e in entries if e.product_type == kind), description=text
            )
            for kind, text in DESCRIPTIONS.items()
        }
        return SymbolsResponse(
            symbols=entries,
            total_count=len(entries),
            product_types_summary=summary,
            api_info={
                "note": "Only v2 symbols (no underscore) are included",
                "endpoints_used": [SPOT_SYMBOLS, FUTURES_CONTRACTS],
                **self.exchange_info,
                "cache_seconds": self.cache_seconds,
                "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )


def _entry(row: dict[str, Any], product_type: str, status_field: str) -> SymbolEntry:
    return SymbolEntry(
        symbol=str(row.get("symbol") or ""),
        status=str(row.get(status_field) or row.get("status") or "unknown"),
        product_type=product_type,
    )

"""Market metadata: coins, reference prices and precisions of a symbol, and Bitget's symbol/contract lists.

Everything is derived from the symbol name (or the profile's overrides), so the lists served by
`/api/v2/spot/public/symbols` and `/api/v2/mix/market/contracts` always agree with the generated orders.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

# Longest suffix first: SBTCSUSDT -> SBTC/SUSDT, BTCPERP -> BTC/USDC (Bitget's USDC contracts end in PERP).
_QUOTE_SUFFIXES = (
    ("SUSDT", "SUSDT"),
    ("SUSDC", "SUSDC"),
    ("PERP", "USDC"),
    ("USDT", "USDT"),
    ("USDC", "USDC"),
    ("USD", "USD"),
    ("BTC", "BTC"),
    ("ETH", "ETH"),
)
_REFERENCE_PRICES = {
    "BTC": 65000.0,
    "ETH": 3200.0,
    "SOL": 150.0,
    "XRP": 0.6,
    "BNB": 580.0,
    "DOGE": 0.15,
    "ADA": 0.45,
    "LTC": 85.0,
    "LINK": 14.0,
    "DOT": 6.5,
    "AVAX": 30.0,
    "TRX": 0.12,
}
PRODUCT_TYPE_MARGIN = {
    "USDT-FUTURES": "USDT",
    "USDC-FUTURES": "USDC",
    "SUSDT-FUTURES": "SUSDT",
    "SUSDC-FUTURES": "SUSDC",
}  # COIN-/SCOIN-FUTURES margin in the base coin


@dataclass(frozen=True)
class Coins:
    """Base/quote coins of a symbol, a reference price (in quote) and the price/quantity decimal places."""

    base: str
    quote: str
    price: float
    price_place: int
    quantity_place: int


def coins_of(
    symbol: str, base: str | None = None, quote: str | None = None, price: float | None = None
) -> Coins:
    """Coins and precisions of `symbol`; `base`/`quote`/`price` override what the name suggests."""
    if base is None or quote is None:
        base, quote = _split(symbol, base, quote)
    if price is None:
        plain = base[1:] if base.startswith("S") and base[1:] in _REFERENCE_PRICES else base
        price = _REFERENCE_PRICES.get(plain) or 0.01 + (zlib.crc32(plain.encode()) % 50000) / 100
    magnitude = math.floor(math.log10(price))
    return Coins(base, quote, price, min(8, max(1, 6 - magnitude)), min(8, max(0, magnitude + 2)))


def _split(symbol: str, base: str | None, quote: str | None) -> tuple[str, str]:
    for suffix, suffix_quote in _QUOTE_SUFFIXES:
        if symbol.endswith(suffix) and len(symbol) > len(suffix):
            return base or symbol[: -len(suffix)], quote or suffix_quote
    raise ValueError(f"cannot tell base and quote coins of symbol {symbol!r}; give 'base' and 'quote'")


def margin_coin(product_type: str, coins: Coins) -> str:
    return PRODUCT_TYPE_MARGIN.get(product_type, coins.base)


def spot_symbol_row(symbol: str, coins: Coins) -> dict[str, str]:
    """One row of `/api/v2/spot/public/symbols` (all values strings, as Bitget sends them)."""
    return {
        "symbol": symbol,
        "baseCoin": coins.base,
        "quoteCoin": coins.quote,
        "minTradeAmount": "0",
        "maxTradeAmount": "10000000000",
        "takerFeeRate": "0.001",
        "makerFeeRate": "0.001",
        "pricePrecision": str(coins.price_place),
        "quantityPrecision": str(coins.quantity_place),
        "quotePrecision": str(max(coins.price_place, 6)),
        "minTradeUSDT": "1",
        "status": "online",
        "buyLimitPriceRatio": "0.05",
        "sellLimitPriceRatio": "0.05",
        "orderQuantity": "200",
        "areaSymbol": "no",
        "maxLimitOrderValue": "",
        "maxMarketOrderValue": "",
    }


def contract_row(symbol: str, product_type: str, coins: Coins, launch_ms: int) -> dict[str, object]:
    """One row of `/api/v2/mix/market/contracts` (strings, plus the list `supportMarginCoins`)."""
    return {
        "symbol": symbol,
        "baseCoin": coins.base,
        "quoteCoin": coins.quote,
        "buyLimitPriceRatio": "0.05",
        "sellLimitPriceRatio": "0.05",
        "feeRateUpRatio": "0.005",
        "makerFeeRate": "0.0002",
        "takerFeeRate": "0.0006",
        "openCostUpRatio": "0.01",
        "supportMarginCoins": [margin_coin(product_type, coins)],
        "minTradeNum": f"{10**-coins.quantity_place:.{coins.quantity_place}f}"
        if coins.quantity_place
        else "1",
        "priceEndStep": "1",
        "volumePlace": str(coins.quantity_place),
        "pricePlace": str(coins.price_place),
        "sizeMultiplier": f"{10**-coins.quantity_place:.{coins.quantity_place}f}"
        if coins.quantity_place
        else "1",
        "symbolType": "perpetual",
        "minTradeUSDT": "5",
        "maxSymbolOrderNum": "200",
        "maxProductOrderNum": "400",
        "maxPositionNum": "150",
        "symbolStatus": "normal",
        "offTime": "-1",
        "limitOpenTime": "-1",
        "deliveryTime": "",
        "deliveryStartTime": "",
        "deliveryPeriod": "",
        "launchTime": str(launch_ms),
        "fundInterval": "8",
        "minLever": "1",
        "maxLever": "125",
        "posLimit": "0.05",
        "maintainTime": "",
        "maxMarketOrderQty": "1000000",
        "maxOrderQty": "2000000",
        "isRwa": "NO",
    }

"""Endpoints that third-party clients call while starting up, in a faithful minimal form.

ccxt's bitget `load_markets` (4.5.90) reads the coin list and the margin pairs besides symbols and contracts (and,
when it has credentials and no `uta` option, `/api/v3/account/settings`: identity.py). The sandbox account has no
margin trading and no deposit/withdrawal chains, so these answer accordingly (docs/sandbox.md, "Using a
third-party client").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.history import Account

Params = Mapping[str, str]


def spot_coins(account: Account, params: Params, now_ms: int) -> Any:
    """`/api/v2/spot/public/coins`: the coins of the profile's live (non-demo) markets, `coin` filters."""
    coins = sorted(
        {
            coin
            for spec in account.profile.symbols
            if any(not _is_demo(market) for market in spec.markets)
            for coin in (account.coins(spec.symbol).base, account.coins(spec.symbol).quote)
        }
    )
    wanted = params.get("coin")
    return [
        {"coinId": str(number), "coin": coin, "transfer": "true", "chains": [], "areaCoin": "no"}
        for number, coin in enumerate(coins, start=1)
        if wanted in (None, coin)
    ]


def _is_demo(market: str) -> bool:
    return market in ("SUSDT-FUTURES", "SUSDC-FUTURES", "SCOIN-FUTURES")


def margin_currencies(account: Account, params: Params, now_ms: int) -> Any:
    """`/api/v2/margin/currencies`: no symbol supports margin trading in the sandbox."""
    return []

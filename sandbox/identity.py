"""Who the key belongs to: `/api/v2/spot/account/info` and the UTA probe `/api/v3/account/settings`.

A classic account answers the v3 probe with 40084 (ccxt then uses the v2 endpoints); a unified one answers it
with its settings, while its v2 classic endpoints are refused with 40085 by the app (BITGET_API.md §10f, §11).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sandbox.errors import classic_account
from sandbox.history import Account

Params = Mapping[str, str]
# Read-only permission codes of Bitget's account/info doc: futures orders, futures holdings, spot trade,
# wallet transfer, taxation: what a key made for reading order history carries.
READ_AUTHORITIES = ["coor", "cpor", "stor", "wtor", "taxr"]


def spot_account_info(account: Account, params: Params, now_ms: int) -> Any:
    """`/api/v2/spot/account/info`: stable, seed-derived identity; no IP whitelist (`ips` "")."""
    rng = random.Random(f"{account.seed}|account-info")
    return {
        "userId": account.user_id,
        "inviterId": str(1_000_000_000 + rng.randrange(10**9)),
        "ips": "",
        "authorities": list(READ_AUTHORITIES),
        "parentId": int(account.user_id),  # a main account is its own parent
        "traderType": "not_trader",
        "channelCode": "",
        "channel": "",
        # A fixed point before any order (years before the anchor), stable across runs of the same seed.
        "regisTime": str(1_500_000_000_000 + rng.randrange(100_000_000_000)),
    }


def account_settings_v3(account: Account, params: Params, now_ms: int) -> Any:
    """`/api/v3/account/settings`: 40084 for a classic account, the UTA settings for a unified one."""
    if account.mode != "unified":
        raise classic_account()
    return {
        "uid": account.user_id,
        "accountMode": "unified",
        "assetMode": "single",
        "accountLevel": "basic",
        "holdMode": "hedge_mode",
        "stpMode": "none",
        "symbolConfigList": [],
        "coinConfigList": [],
    }

"""Classic or unified: which of Bitget's two APIs an account's history is read from (BITGET_API.md §10f, §11).

A classic account's key is refused by every v3 endpoint with 40084; a Unified Trading Account's key is refused
by every v2 classic endpoint with 40085, and answers `GET /api/v3/account/settings` with its settings. That probe
decides: settings with an `accountMode` mean unified (whatever it says: `unified`, `hybrid`, and the transitional
`upgrading`/`switching` all refuse v2), 40084 means classic. Anything else proves nothing (None).
"""

from __future__ import annotations

import logging
from typing import Any

from lambda_functions.common.bitget import BitgetAPIError, BitgetError

log = logging.getLogger(__name__)

CLASSIC = "classic"
UNIFIED = "unified"
ACCOUNT_MODES = (CLASSIC, UNIFIED)
CLASSIC_ON_V3 = "40084"  # "You are in Classic Account mode, and the Unified Account API is not supported"
UNIFIED_ON_V2 = "40085"  # "You are in Unified Account mode, and the Classic Account API is not supported"


def probe(client: Any) -> tuple[str | None, dict[str, Any]]:
    """(mode, the UTA settings) from one signed request; mode None when the answer proves nothing."""
    try:
        settings = client.uta_settings()
    except BitgetAPIError as exc:
        if str(exc.code) == CLASSIC_ON_V3:
            return CLASSIC, {}
        log.warning("account mode probe failed", extra={"error_code": exc.code, "error": str(exc)[:200]})
        return None, {}
    except BitgetError as exc:
        log.warning("account mode probe failed", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
        return None, {}
    if not isinstance(settings, dict) or not settings.get("accountMode"):
        log.warning("account mode probe: an answer without accountMode proves nothing")
        return None, {}
    return UNIFIED, settings


def checked(value: Any) -> str | None:
    """An event's `account_mode` (None: not known yet); ValueError for anything else."""
    if value is None or value in ACCOUNT_MODES:
        return value
    raise ValueError(
        f"'account_mode' must be one of {', '.join(ACCOUNT_MODES)} or null, got {str(value)[:40]!r}"
    )

"""The symbol rules, defined once: what a request may name, and what the pipeline carries and stores.

Two rules, because symbols come from two places:
- **A requested symbol** (`is_request_symbol`): one a user names in POST /orders (`symbols`, `spot_plan_symbols`)
  or POST /accounts/{id}/sync, checked after normalising (coordinator/validation.py `normalise_symbol`: stripped,
  upper-cased, a v1 product suffix such as `_UMCBL` dropped): a Bitget v2 symbol of 2 to 30 upper-case letters and
  digits. Strict, so that a typo or a v1 name is refused before anything starts, with a message that says what a
  symbol looks like (`REQUEST_SYMBOL_RULE`).
- **A symbol** (`is_symbol`, `SYMBOL_PATTERN`): what Bitget itself may send as a row's symbol, and so what the
  worker's and the aggregator's events, the account scope, the sync state, the ledger and the API's `symbol`
  filters accept: 1 to 40 of upper-case letters, digits, `$` and `_`. Looser, because Bitget's spot market has
  `$ALTUSDT` (BITGET_API.md §5.1, DOC-FAQ Q12): an account-wide extraction stores its orders, the next sync pages
  its spot plan history as `spot_plan:$ALTUSDT`, and the API must be able to filter by it. `_` is for the account
  units (`ALL_SPOT`, `ALL_FUTURES`) and for a v1 name given to a worker invoked directly, which it probes (Bitget
  answers 40034). Every one of these characters is safe in a results-store key segment (keys.py: no `/`, `.`).

A request cannot name `$ALTUSDT` yet (a whole-account extraction reads it): allowing `$` in REQUEST_SYMBOL is a
product decision that changes the API's message, not a consistency fix.
"""

from __future__ import annotations

import re
from typing import TypeGuard

REQUEST_SYMBOL = r"[A-Z0-9]{2,30}"
SYMBOL = r"[A-Z0-9_$]{1,40}"
SYMBOL_PATTERN = f"^{SYMBOL}$"  # anchored, for pydantic and FastAPI `pattern=`
REQUEST_SYMBOL_RULE = "a Bitget v2 symbol is 2 to 30 letters and digits, like BTCUSDT"  # for messages
# Bitget v1 product suffixes: spot, USDT/coin/USDC futures and their simulation ("S") variants (BITGET_API.md §5.1).
V1_SUFFIXES = ("_SPBL", "_UMCBL", "_DMCBL", "_CMCBL", "_SUMCBL", "_SDMCBL", "_SCMCBL")

_REQUEST_SYMBOL = re.compile(REQUEST_SYMBOL)
_SYMBOL = re.compile(SYMBOL)


def is_request_symbol(value: object) -> TypeGuard[str]:
    """A normalised symbol a request may name (`BTCUSDT`)."""
    return isinstance(value, str) and _REQUEST_SYMBOL.fullmatch(value) is not None


def is_symbol(value: object) -> TypeGuard[str]:
    """A symbol the pipeline carries and stores (`BTCUSDT`, `$ALTUSDT`, `ALL_SPOT`)."""
    return isinstance(value, str) and _SYMBOL.fullmatch(value) is not None


def without_v1_suffix(symbol: str) -> str:
    """`BTCUSDT_UMCBL` -> `BTCUSDT` (v2 has no product suffixes); any other name unchanged."""
    for suffix in V1_SUFFIXES:
        if symbol.endswith(suffix):
            return symbol[: -len(suffix)]
    return symbol

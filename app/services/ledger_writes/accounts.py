"""Which account an execution read: the orders it saw are stored under that account in the ledger.

The aggregator's response (`execution_results.result_data`) names it at its top level (`account_id`, Bitget's
userId from the account check; the started response echoes the same field). An execution that ran without an
account check, or before the field existed, is filed under "unknown".
"""

from __future__ import annotations

import json
import re
from typing import Any

UNKNOWN_ACCOUNT = "unknown"
# The API's account path parameter (app/schemas/accounts.py): every stored account can be asked for.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def valid_account(value: Any) -> str | None:
    """`value` as an account id (a userId string or integer), or None when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if _ACCOUNT_ID.fullmatch(text) else None


def account_of_result(result: Any) -> str | None:
    """The top-level `account_id` of an aggregator (or started) response, as a dict or its JSON text."""
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return None
    return valid_account(result.get("account_id")) if isinstance(result, dict) else None


def execution_account(result_data: str | None, recorded: str | None) -> str:
    """The account whose ledger an execution's orders go to: the result's, else the one recorded, else unknown."""
    return account_of_result(result_data) or valid_account(recorded) or UNKNOWN_ACCOUNT

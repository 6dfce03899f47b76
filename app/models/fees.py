"""The total fee of a `feeDetail`, as decimal text: a list's for UTA orders and fills (`fee_total`), a spot
order's JSON string for classic spot orders (`spot_fee`).

Bitget sends fees in three shapes: v3 (orders and fills) `[{"feeCoin", "fee"}]`, v2 futures fills
`[{"feeCoin", "totalFee", ...}]` and v2 spot fills one object `{"feeCoin", "totalFee", ...}`; some v2 endpoints
send the list JSON-encoded in a string. Values are kept as Bitget wrote them (sign included): one entry's
number is its own text (an exponent expanded), several entries of one coin are added exactly (Decimal). When the
entries name more than one coin a sum would mix currencies, so there is no total (the coins are still listed and
`raw` keeps the detail).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from lambda_functions.common import exact_json

# Numbers inside a JSON-encoded feeDetail string as their own text (exact, and cheaper than Decimal); a string
# value stays a str too, read as a number afterwards: Bitget's fee fields are numbers or numeric strings.
_decode = json.JSONDecoder(parse_float=str).decode


def _decoded(text: str) -> Any:
    """A JSON-encoded feeDetail; None when it is empty or not JSON."""
    if not text:
        return None
    try:
        return _decode(text)
    except ValueError:
        return None


def number_text(value: Any) -> str | None:
    """A fee value as plain decimal text; None when it is not a finite number (None, "", "abc")."""
    if type(value) is str:
        # The usual "-0.00642032", checked with string methods (a Decimal per row costs more than the rest).
        digits = value[1:] if value[:1] == "-" else value
        if digits.replace(".", "", 1).isdigit() and digits.isascii():
            return value
    elif type(value) is int:
        return str(value)
    elif isinstance(value, Decimal):
        return exact_json.decimal_text(value) if value.is_finite() else None
    if not isinstance(value, str) or not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return exact_json.decimal_text(number) if "e" in value or "E" in value else value.strip()


def fee_total(detail: Any, amount_key: str) -> tuple[str | None, str | None]:
    """(total fee, coin) of a feeDetail; the coin is a comma-separated list when there are several (and the
    total then None). `amount_key` is `fee` (v3) or `totalFee` (v2)."""
    if type(detail) is list and len(detail) == 1 and type(detail[0]) is dict:  # the usual shape, fast
        coin = detail[0].get("feeCoin")
        return number_text(detail[0].get(amount_key)), coin if type(coin) is str and coin else None
    if isinstance(detail, str):
        detail = _decoded(detail)
    entries = [detail] if isinstance(detail, dict) else detail
    if not isinstance(entries, list):
        return None, None
    amounts: list[str] = []
    coins: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        coin = entry.get("feeCoin")
        if isinstance(coin, str) and coin and coin not in coins:
            coins.append(coin)
        amount = number_text(entry.get(amount_key))
        if amount is not None:
            amounts.append(amount)
    coin_text = ",".join(coins) or None
    if not amounts or len(coins) > 1:
        return None, coin_text
    if len(amounts) == 1:
        return amounts[0], coin_text
    return exact_json.decimal_text(sum((Decimal(a) for a in amounts), Decimal(0))), coin_text


def spot_fee(fee_detail: Any) -> str | None:
    """Total fee of a spot order from its `feeDetail` JSON string (`newFees.t` wins, else the first coin's).

    The numbers inside are kept as their own text (Decimal only expands an exponent): `-0.0000794` stays
    `-0.0000794` (a float would say `-7.94e-05`). The `feeDetail` string itself is kept unchanged in `raw`.
    """
    detail = _decoded(fee_detail) if isinstance(fee_detail, str) else None
    if not isinstance(detail, dict):
        return None
    new_fees = detail.get("newFees")
    if isinstance(new_fees, dict) and "t" in new_fees:
        return _fee_text(new_fees["t"])
    for value in detail.values():
        if isinstance(value, dict) and "totalFee" in value:
            return _fee_text(value["totalFee"])
    return None


def _fee_text(value: Any) -> str | None:
    """A spot feeDetail number (its JSON text, see `_decode`) in plain notation; a string that is no number
    after all is kept as Bitget wrote it."""
    if isinstance(value, str):
        if "e" in value or "E" in value:
            try:
                return exact_json.decimal_text(Decimal(value))
            except (ArithmeticError, ValueError):
                return value
        return value
    return str(value) if type(value) is int else None

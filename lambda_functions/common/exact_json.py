"""JSON text for values parsed with exact numbers: no float round trip, no scientific notation.

Bitget sends amounts, fees and prices as strings, and strings pass through untouched. A JSON *number* with a
fraction (inside some raw rows) is parsed as `Decimal` (ijson's default; `json.load(parse_float=Decimal)`),
so no digit is lost, and written back in plain positional notation: `0.00000001`, never `1e-08` (a float's
repr) or `1E-8` (Decimal's str). The stdlib's C encoder stays the fast path; only a value that holds a
Decimal takes the slower recursive one.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def decimal_text(value: Decimal) -> str:
    """The number in plain notation, every digit kept (`Decimal("1E-8")` -> `0.00000001`).

    An absurd exponent (beyond +-1000, never an amount) keeps Decimal's own short form (valid JSON too)
    rather than a thousand zeros.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f") if -1000 <= value.adjusted() <= 1000 else str(value)


def dumps_exact(value: Any) -> str:
    """Compact JSON (non-ASCII kept) of `value`, with Decimal numbers written exactly."""
    try:
        return _encode(value)
    except TypeError:  # a Decimal somewhere (any other unsupported type fails again below)
        return _exact(value)


def _exact(value: Any) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dict):
        return "{" + ",".join(_encode(str(k)) + ":" + _exact(v) for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_exact(v) for v in value) + "]"
    return _encode(value)


def to_plain(value: Any) -> Any:
    """`value` with each Decimal as int (no fraction) or float: for the Step Functions response only.

    The response is serialised by the Lambda runtime's plain `json`, which knows no Decimal; the documents
    in the results store keep the exact numbers.
    """
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value

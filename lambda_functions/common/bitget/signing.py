"""Bitget request signing (BITGET_API.md §1.2): pure functions, no I/O.

`ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + ["?" + query] + body))`.

Query encoding (UNVERIFIED upstream, our decision): keys sorted ascending, values as `str`, `None` dropped,
and only the characters that would break the query's structure (`&`, `=`, `#`, `+`, `%`, space, `?`, control
and non-ASCII characters) are percent-encoded. Everything else, including `$` (spot symbols like `$ALTUSDT`),
is sent raw, as Bitget's own SDK and CCXT do. The client sends this exact string on the wire and signs the
same string, so the signature always matches what the server sees.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

# Sub-delimiters that are legal raw in a query component and never split it ("&", "=", "+" are excluded).
_SAFE_IN_QUERY = "$!'()*,/:;@"


def _encode(text: str) -> str:
    return quote(text, safe=_SAFE_IN_QUERY)


def _as_text(value: object) -> str:
    if isinstance(value, bool):  # Bitget expects lower-case booleans, as JSON writes them
        return "true" if value else "false"
    return str(value)


def build_query_string(params: Mapping[str, object] | None) -> str:
    """`k1=v1&k2=v2` sorted by key, `None` values dropped; "" when nothing is left."""
    if not params:
        return ""
    pairs = sorted((str(key), _as_text(value)) for key, value in params.items() if value is not None)
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def prehash(
    timestamp_ms: int | str, method: str, request_path: str, query_string: str = "", body: str = ""
) -> str:
    """The exact text Bitget signs: the query joins with "?" only when it is not empty."""
    target = f"{request_path}?{query_string}" if query_string else request_path
    return f"{timestamp_ms}{method.upper()}{target}{body}"


def sign(prehash_text: str, secret: str) -> str:
    """base64(HMAC-SHA256(secret, prehash)) as Bitget's `ACCESS-SIGN` header expects."""
    digest = hmac.new(secret.encode("utf-8"), prehash_text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")

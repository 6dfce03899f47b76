"""Turning one HTTP answer into the envelope's `data` or the typed error it stands for.

Bitget answers `{"code": "00000", "msg": "success", "requestTime": <ms>, "data": ...}`. The envelope's code
decides, whatever the HTTP status (business errors come as HTTP 400, sometimes 200). Without an envelope the
status decides: 429 is a rate limit, 4xx an API error named by the status, anything else a transport error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from lambda_functions.common.bitget.codes import RATE_LIMIT_CODE
from lambda_functions.common.bitget.errors import BitgetAPIError, BitgetRateLimitError, BitgetTransportError
from lambda_functions.common.bitget.retry import RATE_LIMIT_WINDOW_S

SUCCESS_CODE = "00000"
REMAINING_QUOTA_HEADER = "x-mbx-used-remain-limit"


def data_or_raise(
    path: str, status: int, headers: Mapping[str, str], body: bytes, redact: Callable[[str], str]
) -> Any:
    """The envelope's `data`, or raise the typed error; `redact` scrubs credentials from server text."""
    envelope = decode_envelope(body, status, path)
    code = str(envelope.get("code")) if envelope is not None else None
    request_time_ms = parse_ms(envelope.get("requestTime")) if envelope is not None else None
    if status == 429 or code == RATE_LIMIT_CODE:
        raise BitgetRateLimitError(
            code or RATE_LIMIT_CODE,
            redact(message_of(envelope) or "Too Many Requests"),
            status,
            path=path,
            request_time_ms=request_time_ms,
            retry_after_s=retry_after_s(headers),
        )
    if envelope is None:
        if 400 <= status < 500:
            raise BitgetAPIError(str(status), f"HTTP {status} without a Bitget envelope", status, path=path)
        raise BitgetTransportError(
            f"unexpected body (HTTP {status}) on {path}", path=path, http_status=status
        )
    if code != SUCCESS_CODE:
        message = redact(message_of(envelope))
        raise BitgetAPIError(code or "", message, status, path=path, request_time_ms=request_time_ms)
    if status >= 300:
        raise BitgetTransportError(
            f"HTTP {status} with a success envelope on {path}", path=path, http_status=status
        )
    return envelope.get("data")


def decode_envelope(body: bytes, status: int, path: str) -> dict[str, Any] | None:
    """The JSON envelope, or None when the body is not one; a non-JSON 2xx/5xx body is a transport error."""
    try:
        # A number with a fraction stays exact (Decimal), never a float: amounts are kept as Bitget sent them.
        # NaN/Infinity are not JSON: such a body is as garbled as a truncated one.
        payload = json.loads(body, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # truncated, garbled, non-UTF-8 or absurdly nested body
        if status == 429 or 400 <= status < 500:
            return None
        raise BitgetTransportError(
            f"invalid or truncated JSON body (HTTP {status}) on {path}", path=path, http_status=status
        ) from exc
    if isinstance(payload, dict) and "code" in payload:
        return payload
    return None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def message_of(envelope: Mapping[str, Any] | None) -> str:
    """Bitget's text: real answers use `msg`, some doc examples `message`."""
    if not envelope:
        return ""
    text = envelope.get("msg")
    if text is None:
        text = envelope.get("message")
    return "" if text is None else str(text)


def parse_ms(value: object) -> int | None:
    """`requestTime` arrives as a JSON number or as a string of digits."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value) if isinstance(value, int | float) else int(str(value).strip())
    except (ValueError, OverflowError):  # not digits; a float infinity
        return None


def remaining_quota(headers: Mapping[str, str]) -> float | None:
    """`x-mbx-used-remain-limit`: requests left in the current second on that endpoint; None if absent or
    not a number."""
    remaining = headers.get(REMAINING_QUOTA_HEADER)
    if remaining is None:
        return None
    try:
        return float(remaining)
    except ValueError:
        return None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The server's wait hint on a 429: Retry-After in seconds, else one full window when no quota remains."""
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass  # an HTTP-date: not known to be used by Bitget; fall back to the quota header
    remaining = remaining_quota(headers)
    return RATE_LIMIT_WINDOW_S if remaining is not None and remaining <= 0 else None

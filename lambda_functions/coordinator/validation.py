"""Validation of an extraction request: symbols and the time window.

Every rejection raises `RequestError` with a message that names the problem; nothing is started or written for
a rejected request. Times are integer milliseconds since the epoch, at most `MAX_MS` (2100-01-01). A window
must reach into Bitget's 90-day order-history retention (it may start before it: the worker clamps the start
and says so) and must not start in the future. Symbols are upper-cased, stripped and deduplicated (first occurrence wins). Bitget v1
symbols with a product suffix (`BTCUSDT_UMCBL`, `BTCUSDT_SPBL`, ...) are normalised to the v2 symbol
(`BTCUSDT`): v2 has no suffixes, and the worker queries every market for the symbol anyway. Any other
underscore is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DAY_MS = 24 * 60 * 60 * 1000
DEFAULT_WINDOW_DAYS = 90
DEFAULT_MAX_SYMBOLS = 500
RETENTION_DAYS = 90  # Bitget keeps 90 days of order history
MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z: beyond any real order, and far inside a 64-bit column
FUTURE_TOLERANCE_MS = 60_000  # clock skew between the caller and us

SYMBOL_PATTERN = re.compile(r"[A-Z0-9]{2,30}")
# Bitget v1 product suffixes: spot, USDT/coin/USDC futures and their simulation ("S") variants.
V1_SUFFIXES = ("_SPBL", "_UMCBL", "_DMCBL", "_CMCBL", "_SUMCBL", "_SDMCBL", "_SCMCBL")


class RequestError(ValueError):
    """The request is invalid; the message says what is wrong (HTTP 400)."""


@dataclass(frozen=True)
class ExtractionRequest:
    symbols: list[str]
    start_ms: int
    end_ms: int


def normalise_symbol(raw: Any) -> str:
    """`" btcusdt_umcbl "` -> `"BTCUSDT"`; raises RequestError for anything that is not a symbol."""
    if not isinstance(raw, str):
        raise RequestError(f"every symbol must be a string, got {type(raw).__name__}: {raw!r}")
    symbol = raw.strip().upper()
    for suffix in V1_SUFFIXES:
        if symbol.endswith(suffix):
            symbol = symbol[: -len(suffix)]
            break
    if not SYMBOL_PATTERN.fullmatch(symbol):
        raise RequestError(
            f"invalid symbol {raw!r}: a Bitget v2 symbol is 2 to 30 letters and digits, like BTCUSDT"
        )
    return symbol


def parse_symbols(raw: Any, max_symbols: int) -> list[str]:
    if raw is None:
        raise RequestError("'symbols' is required: a non-empty list like [\"BTCUSDT\"]")
    if not isinstance(raw, list):
        raise RequestError(f"'symbols' must be a list of strings, got {type(raw).__name__}")
    symbols = list(dict.fromkeys(normalise_symbol(item) for item in raw))
    if not symbols:
        raise RequestError("'symbols' is empty: give at least one symbol, like [\"BTCUSDT\"]")
    if len(symbols) > max_symbols:
        raise RequestError(
            f"too many symbols: {len(symbols)} (at most {max_symbols} per request, MAX_SYMBOLS)"
        )
    return symbols


def parse_millis(name: str, raw: Any) -> int | None:
    """An optional epoch-milliseconds integer (bool and fractional numbers are rejected)."""
    if raw is None:
        return None
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or (isinstance(raw, float) and not raw.is_integer())
    ):
        raise RequestError(f"'{name}' must be an integer number of milliseconds since the epoch, got {raw!r}")
    if raw < 0:
        raise RequestError(f"'{name}' must not be negative, got {raw!r}")
    if raw > MAX_MS:
        raise RequestError(f"'{name}' must be at most {MAX_MS} (2100-01-01T00:00:00Z), got {raw!r}")
    return int(raw)


def parse_window(raw_start: Any, raw_end: Any, now_ms: int, window_days: int) -> tuple[int, int]:
    """Defaults: end = now, start = end - window_days; then `check_window`."""
    start_ms, end_ms = parse_millis("start_ms", raw_start), parse_millis("end_ms", raw_end)
    end = end_ms if end_ms is not None else now_ms
    start = start_ms if start_ms is not None else end - window_days * DAY_MS
    check_window(start, end, now_ms)
    return start, end


def check_window(start: int, end: int, now_ms: int) -> None:
    """Ordered, reaching into Bitget's retention, not starting in the future; RequestError otherwise."""
    if start >= end:
        raise RequestError(f"'start_ms' ({start}) must be before 'end_ms' ({end})")
    oldest = now_ms - RETENTION_DAYS * DAY_MS
    if end <= oldest:
        raise RequestError(
            f"'end_ms' ({end}) is older than Bitget's {RETENTION_DAYS}-day order-history retention: "
            f"the window must end after {oldest} (now - {RETENTION_DAYS} days), or no order can be returned"
        )
    if start > now_ms + FUTURE_TOLERANCE_MS:
        raise RequestError(
            f"'start_ms' ({start}) is in the future (now is {now_ms}): no order can exist there"
        )


def parse_request(
    body: Any,
    now_ms: int,
    max_symbols: int = DEFAULT_MAX_SYMBOLS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> ExtractionRequest:
    """The validated request from a decoded JSON body."""
    if not isinstance(body, dict):
        raise RequestError(f"the request must be a JSON object, got {type(body).__name__}")
    symbols = parse_symbols(body.get("symbols"), max_symbols)
    start_ms, end_ms = parse_window(body.get("start_ms"), body.get("end_ms"), now_ms, window_days)
    return ExtractionRequest(symbols, start_ms, end_ms)

"""Bitget's error envelope as an exception: raised anywhere in a handler, turned into a response by the app.

Every business error answers HTTP 400 (Bitget does so for 40009 and 40034, the two statuses on record), except
rate limits (429) and unknown paths (404). The codes and messages follow BITGET_API.md §4.
"""

from __future__ import annotations


class ApiError(Exception):
    """A Bitget error: `code` is the 5-digit string of the body, `http_status` the HTTP status."""

    def __init__(self, code: str, msg: str, http_status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status


def missing_parameter(name: str) -> ApiError:
    return ApiError("40019", f"Parameter {name} cannot be empty")


def bad_parameter(name: str) -> ApiError:
    return ApiError("40020", f"Parameter {name} error")


def unknown_symbol(symbol: str) -> ApiError:
    return ApiError("40034", f"Parameter {symbol} does not exist")


def too_many_requests() -> ApiError:
    return ApiError("429", "Too Many Requests", http_status=429)


def not_found() -> ApiError:
    return ApiError("40404", "Request URL NOT FOUND", http_status=404)


def unified_account() -> ApiError:
    return ApiError(
        "40085", "You are in Unified Account mode, and the Classic Account API is not supported at this time"
    )


def classic_account() -> ApiError:
    return ApiError(
        "40084", "You are in Classic Account mode, and the Unified Account API is not supported at this time"
    )


def no_permission() -> ApiError:
    return ApiError("40014", "Incorrect permissions")


def ip_not_allowed() -> ApiError:
    return ApiError("40018", "Invalid IP")


def time_range_illegal() -> ApiError:
    """A startTime older than the 90-day retention on the fill and v3 endpoints (live on spot fills, ccxt#21502;
    BITGET_API.md §10e)."""
    return ApiError("43111", "param error time range illegal")


def interval_too_long(days: int) -> ApiError:
    """Bitget's template `00001` "startTime and endTime interval cannot be greater than {0} days" (§10g)."""
    return ApiError("00001", f"startTime and endTime interval cannot be greater than {days} days")


def verification_failed() -> ApiError:
    """v3's parameter error (`400172`, seen live for a missing category, BITGET_API.md §11)."""
    return ApiError("400172", "Parameter verification failed")

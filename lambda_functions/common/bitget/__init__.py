"""Bitget v2 REST client: signing, typed errors, rate limits, bounded retries (see docs/client.md)."""

from lambda_functions.common.bitget.client import BitgetClient
from lambda_functions.common.bitget.credentials import Credentials
from lambda_functions.common.bitget.errors import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
)
from lambda_functions.common.bitget.rate_limit import RateLimiter, Ticket
from lambda_functions.common.bitget.retry import RetryPolicy
from lambda_functions.common.bitget.signing import build_query_string, prehash, sign
from lambda_functions.common.bitget.stats import ClientStats

__all__ = [
    "BitgetAPIError",
    "BitgetClient",
    "BitgetError",
    "BitgetRateLimitError",
    "BitgetTimeoutError",
    "BitgetTransportError",
    "ClientStats",
    "Credentials",
    "RateLimiter",
    "RetryPolicy",
    "Ticket",
    "build_query_string",
    "prehash",
    "sign",
]

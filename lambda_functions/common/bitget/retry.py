"""Which failures are worth another attempt, and how long to wait before it.

Retryable: HTTP 429 / code "429", 5xx, timeouts, connection resets, truncated or invalid bodies, and the codes
Bitget documents as transient (40015, 45001, 40725, 40808: the release window, DOC-FAQ Q14). Everything else
(bad symbol, auth, bad parameters) fails at once: repeating it cannot succeed.

Backoff is exponential with full jitter: wait `uniform(0, min(max_delay, base × 2^n))` before retry n, so that
parallel workers that failed together do not retry together. A 429 waits at least the server's hint.

The default budget (6 retries, base 0.5 s, cap 8 s) is sized for 25 % combined faults (5xx, resets, truncated
bodies, 429 bursts; issue 8), where the old 2 retries / 0.25 s lost orders:
- a request fails only when all 7 attempts fail: 0.25^7 ≈ 6.1e-5, one request in 16,384 at 25 % independent
  faults (2 retries: 0.25^3 ≈ 1.6 %, one in 64);
- the longest backoff is the sum of the ceilings, 0.5 + 1 + 2 + 4 + 8 + 8 = 23.5 s (11.75 s on average when all
  retries are used), plus the attempts themselves; a 429 waits at least its hint (one window, or a
  Retry-After of at most 60 s), so the budget is bounded in every case;
- at 25 % faults a request sleeps about 0.12 s on average (0.25 × 0.25 + 0.25² × 0.5 + ...).

The clock codes (40008 "timestamp expired", 40005 "invalid ACCESS_TIMESTAMP") are not retried here: the client
re-syncs its server-clock offset and repeats a signed request once on them (`client.py`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from lambda_functions.common.bitget.codes import RETRYABLE_CODES
from lambda_functions.common.bitget.errors import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTransportError,
)

CLOCK_CODES = frozenset({"40008", "40005"})  # our ACCESS-TIMESTAMP is too far from Bitget's clock
# Rate-limit windows are one second (x-mbx-used-remain-limit counts the current second).
RATE_LIMIT_WINDOW_S = 1.0
# A Retry-After longer than this is not waited for: the error is raised so the caller can decide.
MAX_HONOURED_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: `retries` attempts after the first, exponential backoff with full jitter, capped."""

    retries: int = 6  # BITGET_RETRIES
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries!r}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("base_delay_s and max_delay_s must be >= 0")

    def backoff(self, retry_index: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry `retry_index` (0-based): full jitter under the capped ceiling."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry_index))
        return rand() * ceiling


def is_retryable(error: BitgetError) -> bool:
    """True when the same request may succeed if sent again."""
    if isinstance(error, BitgetRateLimitError):
        return error.retry_after_s is None or error.retry_after_s <= MAX_HONOURED_RETRY_AFTER_S
    if isinstance(error, BitgetAPIError):
        return error.code in RETRYABLE_CODES or (error.http_status or 0) >= 500
    # No usable answer (reset, timeout, truncated or unexpected body): sending again may well work.
    return isinstance(error, BitgetTransportError)


def is_clock_error(error: BitgetError) -> bool:
    """True when Bitget refused our ACCESS-TIMESTAMP (a skewed clock), so a re-sync may fix it."""
    return isinstance(error, BitgetAPIError) and error.code in CLOCK_CODES


def retry_delay(
    error: BitgetError, policy: RetryPolicy, retry_index: int, rand: Callable[[], float]
) -> float:
    """The wait before the next attempt: the jittered backoff, raised to the server's hint on a 429."""
    delay = policy.backoff(retry_index, rand)
    if isinstance(error, BitgetRateLimitError) and error.retry_after_s is not None:
        delay = max(delay, error.retry_after_s)
    return delay

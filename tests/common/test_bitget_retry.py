"""Retry decisions and backoff (lambda_functions/common/bitget/retry.py)."""

from __future__ import annotations

import random

import pytest

from lambda_functions.common.bitget import (
    BitgetAPIError,
    BitgetError,
    BitgetRateLimitError,
    BitgetTimeoutError,
    BitgetTransportError,
    RetryPolicy,
)
from lambda_functions.common.bitget.retry import is_clock_error, is_retryable, retry_delay


def test_the_default_budget_absorbs_25_percent_faults_within_a_bounded_wait() -> None:
    policy = RetryPolicy()
    assert (policy.retries, policy.base_delay_s, policy.max_delay_s) == (6, 0.5, 8.0)
    # A request is lost only when all of its attempts fail: at 25 % independent faults, 1 in 16,384.
    assert 0.25 ** (policy.retries + 1) == pytest.approx(6.1e-5, rel=0.01)
    # The longest it can sleep is the sum of the backoff ceilings.
    worst = sum(policy.backoff(n, rand=lambda: 1.0) for n in range(policy.retries))
    assert worst == 23.5


def test_backoff_is_exponential_and_capped_at_its_ceiling() -> None:
    policy = RetryPolicy(retries=7, base_delay_s=0.25, max_delay_s=8.0)
    ceilings = [policy.backoff(n, rand=lambda: 1.0) for n in range(8)]
    assert ceilings == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_is_full_jitter_below_the_ceiling() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(7)
    delays = [policy.backoff(3, rand=rng.random) for _ in range(200)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert len(set(delays)) == 200  # jittered, not a fixed value
    assert min(delays) < 2.0 < 6.0 < max(delays)  # spread over the whole range
    assert policy.backoff(3, rand=lambda: 0.5) == 4.0


@pytest.mark.parametrize(
    "error",
    [
        BitgetRateLimitError(path="/p"),
        BitgetAPIError("45001", "busy", 200),
        BitgetAPIError("40015", "busy", 400),
        BitgetAPIError("40725", "busy", 400),
        BitgetAPIError("40808", "busy", 400),
        BitgetAPIError("50000", "server", 500),
        BitgetTransportError("reset"),
        BitgetTransportError("bad gateway", http_status=502),
        BitgetTimeoutError("read timeout"),
    ],
)
def test_transient_failures_are_retryable(error: BitgetError) -> None:
    assert is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        BitgetAPIError("40034", "Parameter does not exist", 400),
        BitgetAPIError("40009", "sign signature error", 400),
        BitgetAPIError("40085", "UTA", 400),
        BitgetAPIError("404", "HTTP 404 without a Bitget envelope", 404),
        BitgetRateLimitError(retry_after_s=3600.0),  # too long to wait here: the caller decides
    ],
)
def test_permanent_failures_are_not_retryable(error: BitgetError) -> None:
    assert not is_retryable(error)


def test_a_429_waits_at_least_the_servers_hint() -> None:
    policy = RetryPolicy()
    assert retry_delay(BitgetRateLimitError(retry_after_s=3.0), policy, 0, lambda: 1.0) == 3.0
    assert retry_delay(BitgetRateLimitError(), policy, 0, lambda: 1.0) == 0.5


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BitgetAPIError("40008", "Request timestamp expired", 400), True),
        (BitgetAPIError("40005", "Invalid ACCESS_TIMESTAMP", 400), True),
        (BitgetAPIError("40009", "sign signature error", 400), False),
        (BitgetTransportError("reset"), False),
    ],
)
def test_clock_errors_are_recognised_by_code(error: BitgetError, expected: bool) -> None:
    assert is_clock_error(error) is expected
    assert not is_retryable(error) or not expected


def test_negative_retries_are_rejected() -> None:
    with pytest.raises(ValueError, match="retries"):
        RetryPolicy(retries=-1)

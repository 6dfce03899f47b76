"""The limiter pool: one limiter per concurrent invocation, reused by the next one (spacing remembered)."""

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.worker.limiter_pool import LimiterPool


def test_sequential_invocations_reuse_one_limiter():
    pool = LimiterPool(RateLimiter)
    with pool.lend() as first:
        pass
    with pool.lend() as second:
        pass
    assert first is second
    assert pool.created == 1


def test_concurrent_invocations_get_their_own_limiters_and_return_them():
    pool = LimiterPool(lambda: RateLimiter(share=0.5))
    with pool.lend() as a, pool.lend() as b:
        assert a is not b
    with pool.lend() as c, pool.lend() as d:
        assert {id(c), id(d)} == {id(a), id(b)}
    assert pool.created == 2

"""The limiter pool: one limiter per concurrent invocation and share, reused by the next one (spacing
remembered); the shared pool of embedded mode lends one limiter to everyone."""

from lambda_functions.common.bitget import RateLimiter
from lambda_functions.worker.limiter_pool import LimiterPool


def make(share: float) -> RateLimiter:
    return RateLimiter(share=share)


def test_sequential_invocations_reuse_one_limiter():
    pool = LimiterPool(make)
    with pool.lend() as first:
        pass
    with pool.lend() as second:
        pass
    assert first is second
    assert pool.created == 1


def test_concurrent_invocations_get_their_own_limiters_and_return_them():
    pool = LimiterPool(make, 0.5)
    with pool.lend() as a, pool.lend() as b:
        assert a is not b
    with pool.lend() as c, pool.lend() as d:
        assert {id(c), id(d)} == {id(a), id(b)}
    assert pool.created == 2


def test_the_event_share_picks_a_limiter_of_that_share():
    pool = LimiterPool(make, 0.2)
    with pool.lend(1.0) as whole, pool.lend() as default:
        assert whole.rate("/x") == 5 * default.rate("/x")


def test_the_shared_pool_lends_one_limiter_whatever_the_share():
    limiter = RateLimiter()
    pool = LimiterPool.shared(limiter)
    with pool.lend(0.25) as a, pool.lend() as b:
        assert a is limiter and b is limiter

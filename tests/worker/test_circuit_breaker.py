"""Circuit breaker states with a fake clock: closed -> open -> half-open -> closed / open again."""

from lambda_functions.worker.circuit_breaker import BreakerState, CircuitBreaker
from tests.worker.fakes import FakeClock

KEY = "BTCUSDT:USDC-FUTURES"


def _breaker(clock: FakeClock, **kwargs) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, recovery_s=30.0, monotonic=clock.monotonic, **kwargs)


def test_stays_closed_below_the_threshold_and_success_resets_the_count():
    clock = FakeClock()
    breaker = _breaker(clock)
    breaker.record_failure(KEY, "symbol_not_found")
    breaker.record_failure(KEY, "symbol_not_found")
    breaker.record_success(KEY)
    breaker.record_failure(KEY, "symbol_not_found")
    breaker.record_failure(KEY, "symbol_not_found")
    assert breaker.state(KEY) is BreakerState.CLOSED
    assert breaker.allow(KEY)


def test_opens_after_threshold_consecutive_failures_and_blocks_until_recovery():
    clock = FakeClock()
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure(KEY, "symbol_not_found")
    assert breaker.state(KEY) is BreakerState.OPEN
    assert not breaker.allow(KEY)
    assert breaker.open_category(KEY) == "symbol_not_found"
    clock.advance(29.9)
    assert not breaker.allow(KEY)
    assert breaker.allow("ETHUSDT:USDC-FUTURES")  # keys are independent


def test_half_open_lets_one_probe_through_and_success_closes():
    clock = FakeClock()
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure(KEY, "auth")
    clock.advance(30.0)
    assert breaker.state(KEY) is BreakerState.HALF_OPEN
    assert breaker.allow(KEY)
    assert not breaker.allow(KEY)  # only one probe at a time
    breaker.record_success(KEY)
    assert breaker.state(KEY) is BreakerState.CLOSED
    assert breaker.allow(KEY)


def test_failed_probe_reopens_for_a_full_recovery_period():
    clock = FakeClock()
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure(KEY, "symbol_not_found")
    clock.advance(31.0)
    assert breaker.allow(KEY)
    breaker.record_failure(KEY, "symbol_not_found")
    assert breaker.state(KEY) is BreakerState.OPEN
    clock.advance(29.0)
    assert not breaker.allow(KEY)
    clock.advance(1.0)
    assert breaker.state(KEY) is BreakerState.HALF_OPEN


def test_disabled_breaker_always_allows():
    clock = FakeClock()
    breaker = _breaker(clock, enabled=False)
    for _ in range(10):
        breaker.record_failure(KEY, "symbol_not_found")
    assert breaker.allow(KEY)
    assert breaker.state(KEY) is BreakerState.CLOSED

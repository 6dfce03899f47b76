"""Time budget: dynamic request timeouts from the Lambda context or MAX_EXECUTION_TIME."""

from lambda_functions.worker.budget import TimeBudget
from tests.worker.fakes import FakeClock


class FakeContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_request_timeout_is_the_configured_one_while_time_is_plentiful():
    clock = FakeClock()
    budget = TimeBudget(50.0, request_timeout_s=15.0, safety_margin_s=3.0, monotonic=clock.monotonic)
    assert budget.request_timeout() == 15.0


def test_request_timeout_shrinks_to_the_remaining_budget_then_stops():
    clock = FakeClock()
    budget = TimeBudget(50.0, request_timeout_s=15.0, safety_margin_s=3.0, monotonic=clock.monotonic)
    clock.advance(40.0)
    assert budget.request_timeout() == 7.0
    clock.advance(6.6)
    assert budget.request_timeout() is None
    assert budget.exhausted()


def test_context_remaining_time_wins_over_max_execution_time():
    clock = FakeClock()
    budget = TimeBudget.for_invocation(
        FakeContext(10_000),
        max_execution_s=900,
        request_timeout_s=15.0,
        safety_margin_s=2.0,
        monotonic=clock.monotonic,
    )
    assert budget.request_timeout() == 8.0


def test_without_context_max_execution_time_is_the_budget():
    clock = FakeClock()
    budget = TimeBudget.for_invocation(
        None, max_execution_s=5, request_timeout_s=15.0, safety_margin_s=1.0, monotonic=clock.monotonic
    )
    assert budget.request_timeout() == 4.0

"""Per-key, per-endpoint limits: 429 with code "429", and the remaining-quota header."""

from __future__ import annotations

from sandbox.ratelimit import SlidingWindowLimiter
from tests.sandbox.bitget_http import get

MIX = "/api/v2/mix/order/orders-history"


def test_evenly_spaced_requests_at_the_limit_are_never_refused() -> None:
    limiter = SlidingWindowLimiter()
    results = [limiter.hit("k", 20, i * 0.05)[0] for i in range(200)]
    assert all(results)


def test_a_burst_over_the_limit_is_refused_until_the_window_slides() -> None:
    limiter = SlidingWindowLimiter()
    burst = [limiter.hit("k", 10, 5.0 + i * 0.001) for i in range(11)]
    assert [allowed for allowed, _ in burst] == [True] * 10 + [False]
    assert [remaining for _, remaining in burst] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert limiter.hit("k", 10, 5.9)[0] is False
    assert limiter.hit("k", 10, 6.0005)[0] is True
    assert limiter.hit("other", 10, 5.0)[0] is True


def test_futures_history_allows_10_per_second_then_429(sandbox) -> None:
    responses = [get(sandbox, MIX, {"productType": "USDT-FUTURES", "limit": 1}) for _ in range(14)]
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) >= 1
    assert statuses[:10] == [200] * 10
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["code"] == "429"
    assert refused.json()["msg"] == "Too Many Requests"
    assert refused.headers["x-mbx-used-remain-limit"] == "0"
    assert [r.headers["x-mbx-used-remain-limit"] for r in responses[:3]] == ["9", "8", "7"]
    assert sandbox.stats()["endpoints"][MIX]["http_429"] == statuses.count(429)


def test_limits_are_per_endpoint(sandbox) -> None:
    for _ in range(12):
        get(sandbox, MIX, {"productType": "USDT-FUTURES", "limit": 1})
    other = get(sandbox, "/api/v2/spot/trade/history-orders", {"limit": 1})
    assert other.status_code == 200
    assert other.headers["x-mbx-used-remain-limit"] == "19"


def test_rate_limits_can_be_disabled(make_sandbox) -> None:
    server = make_sandbox("demo", enforce_rate_limits=False)
    statuses = {get(server, MIX, {"productType": "USDT-FUTURES", "limit": 1}).status_code for _ in range(25)}
    assert statuses == {200}

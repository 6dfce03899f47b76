"""The response stays small and faithful whatever the number of symbols, errors or orders."""

from __future__ import annotations

import json

from lambda_functions.aggregator.digest import digest_results, optimisation_counters
from lambda_functions.aggregator.merge import MergeStats
from lambda_functions.aggregator.response_optimizer import (
    MAX_INCOMPLETE_LISTED,
    MAX_NAMED,
    build_response,
    build_summary,
)
from tests.aggregator.factory import catch_item, make_orders, worker_summary

STEP_FUNCTIONS_LIMIT = 256 * 1024


def _response(summary: dict, head: list[dict] | None = None, max_orders: int = 0) -> dict:
    return build_response(
        execution="e",
        execution_arn="arn:aws:states:us-east-2:1:execution:sm:e",
        summary=summary,
        s3_uri="s3://bucket/key",
        s3_data_url="https://bucket.s3.us-east-2.amazonaws.com/key?X-Amz-Signature=abc",
        url_expires_s=3600,
        aggregator_seconds=115.092,
        execution_seconds=None,
        head=head or [],
        max_orders=max_orders,
    )


def test_500_symbols_with_errors_stay_well_under_256_kib() -> None:
    # GIVEN 500 symbols: a third failed, a third incomplete on every stream, all with errors
    symbols = [f"SYM{i:04d}USDT" for i in range(500)]
    results = []
    for i, symbol in enumerate(symbols):
        if i % 3 == 0:
            results.append(catch_item(symbol, "Lambda.Unknown", "c" * 5000))
        else:
            streams = ["spot_normal", "spot_tpsl", "USDT-FUTURES", "USDC-FUTURES"] if i % 3 == 1 else []
            errors = {"rate_limit": 3, "timeout": 1, "server_error": 2, "max_pages": 1}
            results.append(
                worker_summary(symbol, 10, incomplete_streams=streams, complete=not streams, errors=errors)
            )
    stats = MergeStats(orders=3340)
    stats.read_by_source.update({s: 10 for s in symbols[1::3] + symbols[2::3]})
    digest = digest_results(symbols, results, set(symbols))
    summary = build_summary(symbols, digest, stats)
    # WHEN the response is built, with as many orders as allowed
    head = make_orders("BTCUSDT", 2000)
    response = _response(summary, head, max_orders=100_000)
    size = len(json.dumps(response).encode())
    # THEN it stays far below the Step Functions limit, and the counts still cover everything
    assert size < STEP_FUNCTIONS_LIMIT * 0.75
    assert summary["failed_symbols"]["count"] == 167
    assert len(summary["failed_symbols"]["symbols"]) == MAX_NAMED
    assert summary["failed_symbols"]["truncated"] is True
    assert summary["incomplete_streams_count"] == 167 * 4 + 167  # streams, and each failed symbol
    assert len(summary["incomplete_streams"]) == MAX_INCOMPLETE_LISTED
    assert summary["incomplete_streams_omitted"] == 167 * 5 - MAX_INCOMPLETE_LISTED
    assert summary["error_summary"]["worker_error"] == {"count": 167}
    assert summary["error_summary"]["rate_limit"] == {"count": 333 * 3}
    assert 0 < response["orders_in_response"] < 2000
    assert response["orders_truncated"] is True


def test_no_orders_key_unless_asked() -> None:
    summary = build_summary(["A"], digest_results(["A"], [worker_summary("A", 0)], {"A"}), MergeStats())
    response = _response(summary, make_orders("A", 3))
    assert "orders" not in response
    assert response["aggregator_duration_formatted"] == "1m 55.092s"
    assert response["summary"]["complete"] is True


def test_malformed_result_items_count_as_worker_errors() -> None:
    digest = digest_results(["A"], ["oops", None, worker_summary("A", 0)], {"A"})
    assert digest.errors == {"worker_error": 2}
    assert digest.failed == {}


def test_counters_in_the_summary_win_over_the_detail() -> None:
    calls: list[str] = []

    def load(symbol: str) -> dict:
        calls.append(symbol)
        return {"circuit_breaker": {"skipped_streams": 9}}

    results = [
        worker_summary(
            "A", 0, circuit_breaker_saves=1, smart_pagination_stops=2, adaptive_size_adjustments=0
        ),
        worker_summary("B", 0),
    ]
    digest = digest_results(["A", "B"], results, {"A", "B"}, load)
    assert calls == ["B"]
    assert digest.perf["circuit_breaker_saves"] == 10
    assert digest.perf["smart_pagination_stops"] == 2


def test_optimisation_counters_tolerate_missing_or_odd_detail() -> None:
    assert optimisation_counters(None) == {}
    odd = {"circuit_breaker": {"skipped_streams": True}, "page_size": {"adjustments": "3"}}
    assert optimisation_counters(odd) == {
        "circuit_breaker_saves": 0,
        "smart_pagination_stops": 0,
        "adaptive_size_adjustments": 0,
    }

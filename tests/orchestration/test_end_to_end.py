"""The real worker and aggregator handlers, run by the embedded runner, against the sandbox exchange."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.orchestration.embedded import EmbeddedOrchestrator, build_runner
from lambda_functions.aggregator.app import AggregatorFunction, Dependencies
from lambda_functions.aggregator.settings import AggregatorSettings
from lambda_functions.common.bitget import BitgetClient, Credentials, RateLimiter, RetryPolicy
from lambda_functions.common.bitget import endpoints as ep
from lambda_functions.common.keys import result_key
from lambda_functions.common.results_store import LocalResultsStore, ResultsStore
from lambda_functions.worker.app import WorkerFunction
from lambda_functions.worker.budget import Clock
from lambda_functions.worker.circuit_breaker import CircuitBreaker
from lambda_functions.worker.limiter_pool import LimiterPool
from lambda_functions.worker.markets import MarketCatalog
from lambda_functions.worker.settings import WorkerSettings
from lambda_functions.worker.wiring import Dependencies as WorkerDependencies

pytestmark = pytest.mark.sandbox

PREFIX = "bitget-results/"
FAST_LIMITS = dict.fromkeys(ep.PUBLISHED_LIMITS, 2000.0)
PROFILE = {
    "name": "orchestration-e2e",
    "days": 30,
    "symbols": [
        {"symbol": "BTCUSDT", "orders": {"spot_normal": 250, "spot_tpsl": 5, "USDT-FUTURES": 120}},
        {"symbol": "ETHUSDT", "orders": {"spot_normal": 90, "USDT-FUTURES": 40}},
        {"symbol": "XRPUSDT", "tie_share": 0.5, "orders": {"spot_normal": 150}},
    ],
}


def install_worker(server: Any, store: ResultsStore) -> WorkerFunction:
    """The real worker handler, talking to `server` and writing to `store`."""
    settings = WorkerSettings(_env_file=None, bitget_base=server.base_url)
    credentials = Credentials("sandbox-key", "sandbox-secret", "sandbox-pass")

    def make_client(limiter: RateLimiter) -> BitgetClient:
        retry = RetryPolicy(retries=2, base_delay_s=0.01, max_delay_s=0.05)
        return BitgetClient(server.base_url, credentials, timeout_s=5, retry=retry, limiter=limiter)

    return WorkerFunction(
        WorkerDependencies(
            settings=settings,
            store=store,
            catalog=MarketCatalog(settings.markets_ttl_s),
            breaker=CircuitBreaker(),
            limiters=LimiterPool(lambda _share: RateLimiter(FAST_LIMITS)),
            make_client=make_client,
            clock=Clock(),
        )
    )


def real_aggregator(store: ResultsStore) -> AggregatorFunction:
    """The real aggregator handler, writing to `store`."""
    settings = AggregatorSettings(_env_file=None, results_prefix=PREFIX)
    return AggregatorFunction(Dependencies(store=store, settings=settings))


@pytest.fixture
def handlers(make_sandbox, tmp_path):
    """The sandbox, the store, and the real worker and aggregator wired to both."""
    server = make_sandbox(PROFILE, seed=11, enforce_rate_limits=False)
    store = LocalResultsStore(tmp_path / "results", "http://test/results")
    return server, store, install_worker(server, store), real_aggregator(store)


@pytest.fixture
def orchestrator(handlers):
    server, store, worker, aggregator = handlers
    runner, machine = build_runner(worker, aggregator, map_max_concurrency=2)
    yield EmbeddedOrchestrator(runner, machine, store, results_prefix=PREFIX), server, store
    runner.close()


def run(orchestrator: EmbeddedOrchestrator, symbols: list[str]):
    started = orchestrator.start(symbols, None, None)
    orchestrator.runner.wait(started.execution_arn, timeout_s=120)
    return started, orchestrator.describe(started.execution_arn)


def test_consolidated_orders_equal_the_sandbox_truth(orchestrator):
    orchestrator, server, store = orchestrator
    started, state = run(orchestrator, ["BTCUSDT", "ETHUSDT", "XRPUSDT"])
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    document = store.get_json(result_key(PREFIX, started.execution_name))
    truth = [o for s in started.symbols for o in server.truth(s, started.start_ms, started.end_ms)]
    truth.sort(key=lambda o: (int(o["cTime"]), int(o["orderId"]), o["stream"]), reverse=True)
    orders = document["orders"]
    assert len({(o["stream"], o["orderId"]) for o in orders}) == len(orders)
    assert [(o["stream"], o["orderId"]) for o in orders] == [(o["stream"], o["orderId"]) for o in truth]
    assert document["execution_arn"] == started.execution_arn
    assert state.progress["symbols_done"] == 3


def test_one_unknown_symbol_is_reported_and_the_rest_succeed(orchestrator):
    orchestrator, server, store = orchestrator
    started, state = run(orchestrator, ["BTCUSDT", "NOSUCHCOIN"])
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    document = store.get_json(result_key(PREFIX, started.execution_name))
    assert {o["symbol"] for o in document["orders"]} == {"BTCUSDT"}
    assert len(document["orders"]) == len(server.truth("BTCUSDT", started.start_ms, started.end_ms))
    assert state.output["summary"]["error_summary"]["symbol_not_found"]["count"] == 1


def test_a_crashing_worker_becomes_a_failed_symbol(orchestrator, handlers):
    orchestrator, _, store = orchestrator
    _, _, real_worker, real_aggregator = handlers

    def crash_on_eth(event, context):
        if event["symbol"] == "ETHUSDT":
            raise RuntimeError("worker crashed")
        return real_worker(event, context)

    orchestrator.runner.close()
    runner, machine = build_runner(crash_on_eth, real_aggregator)
    crashing = EmbeddedOrchestrator(runner, machine, store, results_prefix=PREFIX)
    started, state = run(crashing, ["BTCUSDT", "ETHUSDT"])
    runner.close()
    assert state.status == "SUCCEEDED", (state.error, state.cause)
    assert state.output["summary"]["failed_symbols"]["symbols"] == ["ETHUSDT"]
    document = store.get_json(result_key(PREFIX, started.execution_name))
    assert {o["symbol"] for o in document["orders"]} == {"BTCUSDT"}


def test_worker_summaries_fit_500_symbols_in_the_map_output(handlers):
    # The Map output (every summary) must stay under Step Functions' 256 KiB with MAX_SYMBOLS symbols.
    _, _, worker, _ = handlers
    summary = worker({"symbol": "BTCUSDT", "execution": "20250101T000000Z-abcdef12-abcdef"}, None)
    assert len(json.dumps(summary)) * 500 < 256 * 1024 * 0.9, len(json.dumps(summary))
